// grammar.js loads syntaxes/nn.tmLanguage.json into vscode-textmate (the
// tokenizer VS Code itself uses, with the Oniguruma regular expressions of
// vscode-oniguruma) for tokenize.js and render.js.
"use strict";

const fs = require("fs");
const path = require("path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const root = path.join(__dirname, "..");

// load returns a vscode-textmate Registry (with theme, if given: a
// {settings: [{scope, settings: {foreground}}]} raw theme) and the grammar
// of source.nn.
async function load(theme) {
  const wasm = fs.readFileSync(path.join(root, "node_modules", "vscode-oniguruma", "release", "onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new oniguruma.OnigScanner(sources),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== "source.nn") {
        return null;
      }
      const file = path.join(root, "syntaxes", "nn.tmLanguage.json");
      return vsctm.parseRawGrammar(fs.readFileSync(file, "utf8"), file);
    },
    theme,
  });
  const grammar = await registry.loadGrammar("source.nn");
  if (!grammar) {
    throw new Error("source.nn did not load");
  }
  return { registry, grammar, INITIAL: vsctm.INITIAL };
}

module.exports = { load };
