// render.js writes an HTML page of a .nn file highlighted by the
// extension's grammar: each token tokenized by vscode-textmate and colored
// by the scopes' colors in a theme of VS Code's Dark+ colors. docs/img's
// editors-vscode.png is this page rendered by headless Chromium:
//
//     node test/render.js FILE FIRST LAST > page.html
//
// (lines FIRST to LAST of FILE, from 1).
"use strict";

const fs = require("fs");
const path = require("path");
const { load } = require("./grammar");

const theme = {
  name: "dark-plus-subset",
  settings: [
    { settings: { foreground: "#D4D4D4", background: "#1E1E1E" } },
    { scope: "comment", settings: { foreground: "#6A9955" } },
    { scope: "string", settings: { foreground: "#CE9178" } },
    { scope: "constant.character.escape", settings: { foreground: "#D7BA7D" } },
    { scope: "constant.numeric", settings: { foreground: "#B5CEA8" } },
    { scope: "constant.language", settings: { foreground: "#569CD6" } },
    { scope: "variable.language", settings: { foreground: "#569CD6" } },
    { scope: "keyword", settings: { foreground: "#C586C0" } },
    { scope: "keyword.operator", settings: { foreground: "#D4D4D4" } },
    { scope: "storage", settings: { foreground: "#569CD6" } },
    { scope: "support.type", settings: { foreground: "#4EC9B0" } },
    { scope: "entity.name.type", settings: { foreground: "#4EC9B0" } },
    { scope: "support.class", settings: { foreground: "#4EC9B0" } },
    { scope: "entity.name.type.parameter", settings: { foreground: "#FFB86C", fontStyle: "italic" } },
    { scope: "entity.name.function", settings: { foreground: "#DCDCAA" } },
    { scope: "support.function", settings: { foreground: "#DCDCAA" } },
    { scope: "entity.name.namespace", settings: { foreground: "#4EC9B0" } },
    { scope: "variable.parameter", settings: { foreground: "#9CDCFE" } },
    { scope: "variable.other", settings: { foreground: "#9CDCFE" } },
    { scope: "support.type.property-name", settings: { foreground: "#9CDCFE" } },
  ],
};

function escape(s) {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

async function main() {
  const [file, first, last] = process.argv.slice(2);
  const { registry, grammar, INITIAL } = await load(theme);
  const colors = registry.getColorMap();
  const lines = fs.readFileSync(file, "utf8").split(/\r?\n/);
  const lo = Number(first || 1);
  const hi = Number(last || lines.length);
  let state = INITIAL;
  const html = [];
  lines.forEach((line, i) => {
    const r = grammar.tokenizeLine2(line, state);
    state = r.ruleStack;
    if (i + 1 < lo || i + 1 > hi) {
      return;
    }
    const t = r.tokens;
    let out = "";
    for (let k = 0; k < t.length; k += 2) {
      const start = t[k];
      const end = k + 2 < t.length ? t[k + 2] : line.length;
      const meta = t[k + 1];
      const fg = colors[(meta >>> 15) & 0x1ff];
      const italic = (meta >>> 11) & 1;
      const style = `color:${fg}` + (italic ? ";font-style:italic" : "");
      out += `<span style="${style}">${escape(line.slice(start, end))}</span>`;
    }
    html.push(`<span class="n">${i + 1}</span>${out}`);
  });
  const title = escape(path.basename(file));
  process.stdout.write(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${title}</title><style>
body { margin: 0; background: #1E1E1E; overflow: hidden; }
.tab { font: 13px sans-serif; color: #FFFFFF; background: #1E1E1E; padding: 7px 14px; border-bottom: 1px solid #333; }
pre { margin: 0; padding: 8px 0; font: 14px/19px "DejaVu Sans Mono", monospace; color: #D4D4D4; }
.n { display: inline-block; width: 3em; margin-right: 1.5em; text-align: right; color: #858585; }
</style></head><body><div class="tab">${title}</div><pre>${html.join("\n")}</pre></body></html>
`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
