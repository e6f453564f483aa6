// tokenize.js prints the tokens of each file named on the command line as
// one JSON object: {file: {tokens: [[line, text, scopes], ...], depth: n}}:
// each line's tokens in order (together they are the line), lines from 1;
// depth is the depth of the rule stack at the end of the file (1 when no
// region is left open). editors_test.go reads it and asserts the scopes of
// chosen tokens.
"use strict";

const fs = require("fs");
const { load } = require("./grammar");

async function main() {
  const { grammar, INITIAL } = await load();
  const out = {};
  for (const file of process.argv.slice(2)) {
    const lines = fs.readFileSync(file, "utf8").split(/\r?\n/);
    let state = INITIAL;
    const toks = [];
    lines.forEach((line, i) => {
      const r = grammar.tokenizeLine(line, state);
      for (const t of r.tokens) {
        const end = Math.min(t.endIndex, line.length);
        if (end > t.startIndex) {
          toks.push([i + 1, line.slice(t.startIndex, end), t.scopes]);
        }
      }
      state = r.ruleStack;
    });
    out[file] = { tokens: toks, depth: state.depth };
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
