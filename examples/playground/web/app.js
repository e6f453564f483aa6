// The nnc playground's page: a CodeMirror 6 editor wired to the checker,
// formatter and graph printer compiled to WebAssembly (nnc.wasm, whose
// functions are described in ../play.go). build.sh bundles this file with
// esbuild. With ?selftest=1 the page runs selftest() and writes its
// findings, as JSON, into <pre id="selftest"> (the Go test reads them).
import { EditorView, basicSetup } from "codemirror";
import { EditorState } from "@codemirror/state";
import { hoverTooltip } from "@codemirror/view";
import { setDiagnostics, lintGutter } from "@codemirror/lint";
import { StreamLanguage } from "@codemirror/language";
import { samples } from "./samples.js";

const $ = (id) => document.getElementById(id);

// The .nn syntax, for highlighting only (the checker does the rest).
const keywords = new Set(["as", "const", "else", "false", "fn", "for", "grad", "if", "import", "in",
  "model", "param", "return", "sparse", "state", "train", "true"]);
const dtypes = /^(f32|f64|i32|i64|bool|int|float|str)\b/;
const nnLanguage = StreamLanguage.define({
  token(stream) {
    if (stream.eatSpace()) return null;
    if (stream.match("//")) { stream.skipToEnd(); return "comment"; }
    if (stream.match(/^"([^"\\]|\\.)*"?/)) return "string";
    if (stream.match(/^[0-9][0-9_]*(\.[0-9]*)?([eE][-+]?[0-9]+)?/)) return "number";
    if (stream.match(dtypes)) return "typeName";
    const w = stream.match(/^[A-Za-z_][A-Za-z0-9_]*/);
    if (w) return keywords.has(w[0]) ? "keyword" : (/^[A-Z]/.test(w[0]) ? "className" : "variableName");
    stream.next();
    return "operator";
  },
});

let view = null;
let ready = false;
let timer = null;
let last = { diagnostics: [], entries: [] };

// call runs one of the wasm functions and decodes its JSON answer.
function call(name, ...args) {
  return JSON.parse(globalThis.nnc[name](...args));
}

// range converts a 1-based line and UTF-16 columns to document offsets,
// clamped to the line.
function range(doc, line, col, endCol) {
  const l = doc.line(Math.min(Math.max(line, 1), doc.lines));
  const from = Math.min(l.from + col - 1, l.to);
  const to = Math.max(from, Math.min(l.from + endCol - 1, l.to));
  return { from, to };
}

// refresh checks the editor's text and shows the errors, the summary and
// the graphs.
function refresh() {
  if (!ready) return;
  const src = view.state.doc.toString();
  last = call("check", src, $("shapes").value);
  const doc = view.state.doc;
  const diags = last.diagnostics.map((d) => ({
    ...range(doc, d.line, d.col, d.endCol), severity: "error", source: d.code, message: d.message,
  }));
  view.dispatch(setDiagnostics(view.state, diags));
  const ul = $("diagnostics");
  ul.replaceChildren(...last.diagnostics.map((d) => {
    const li = document.createElement("li");
    li.className = "diag";
    li.dataset.line = d.line;
    li.dataset.code = d.code;
    li.textContent = `${d.line}:${d.col}: ${d.code} ${d.message}`;
    li.onclick = () => {
      const r = range(view.state.doc, d.line, d.col, d.endCol);
      view.dispatch({ selection: { anchor: r.from, head: r.to }, scrollIntoView: true });
      view.focus();
    };
    return li;
  }));
  $("status").textContent = last.diagnostics.length ? `${last.diagnostics.length} error(s)` : "checks";
  renderSummary(last);
  const sel = $("entry");
  const keep = sel.value;
  sel.replaceChildren(...last.entries.map((e) => new Option(e, e)));
  if (last.entries.includes(keep)) sel.value = keep;
  drawGraphs();
}

// drawGraphs draws the selected entry's graph before and after the
// optimizer (nothing while the text has errors).
function drawGraphs() {
  const entry = $("entry").value;
  for (const [id, optimized] of [["graph-raw", false], ["graph-opt", true]]) {
    const box = $(id);
    if (!entry || last.diagnostics.length) {
      const p = document.createElement("div");
      p.className = "note";
      p.textContent = last.diagnostics.length ? "the graph shows when the program checks" : "no function or method to draw";
      box.replaceChildren(p);
      continue;
    }
    const g = call("graph", view.state.doc.toString(), entry, optimized);
    if (g.error) {
      const p = document.createElement("div");
      p.className = "error";
      p.textContent = g.error;
      box.replaceChildren(p);
    } else {
      box.innerHTML = g.svg;
      const svg = box.querySelector("svg");
      svg.onclick = () => svg.classList.toggle("natural"); // fit the panel, or full size
    }
  }
}

const group = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
function bytes(b) {
  for (const [u, s] of [[2 ** 40, "TiB"], [2 ** 30, "GiB"], [2 ** 20, "MiB"], [2 ** 10, "KiB"]]) {
    if (b >= u) return (b / u).toFixed(1) + " " + s;
  }
  return b + " B";
}

// table builds a <table> with a caption, a header and rows of cells; a
// cell that is a number is right-aligned.
function table(caption, head, rows) {
  const t = document.createElement("table");
  t.createCaption().textContent = caption;
  const h = t.createTHead().insertRow();
  for (const c of head) { const th = document.createElement("th"); th.textContent = c; h.appendChild(th); }
  const body = t.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    for (const c of r) {
      const td = tr.insertCell();
      td.textContent = c.text ?? c;
      if (c.num) td.className = "n";
    }
  }
  return t;
}

// renderSummary shows nnc check's table: each model's parameters, and
// each entry's FLOPs, peak memory and kernel scratch for the shapes given.
function renderSummary(r) {
  const box = $("summary");
  box.replaceChildren();
  if (r.error) {
    const p = document.createElement("div");
    p.className = "error";
    p.textContent = r.error;
    box.appendChild(p);
  }
  const s = r.summary;
  if (!s) return;
  for (const m of s.models || []) {
    box.appendChild(table(`model ${m.name}: ${group(m.parameters)} parameters`, ["param", "type", "count"],
      (m.tensors || []).map((p) => [p.path, p.type, { text: group(p.count), num: true }])));
  }
  const rows = (s.entries || []).map((e) => {
    const sig = `${e.name}(${(e.inputs || []).map((a) => a.name + ": " + a.type).join(", ")}) -> ${(e.results || []).join(", ")}`;
    if (e.peak_bytes > 0) {
      return [sig, { text: group(e.flops || 0), num: true }, { text: bytes(e.peak_bytes), num: true },
        { text: bytes(e.naive_bytes || 0), num: true }, { text: bytes(e.scratch_bytes || 0), num: true }];
    }
    const miss = (e.missing_shapes || []).map((v) => v + "=N").join(", ");
    return [sig, miss ? `give shapes ${miss}` : "", "", "", ""];
  });
  box.appendChild(table("entries (FLOPs and memory per call)", ["entry", "FLOPs", "peak memory", "without reuse", "kernel scratch"], rows));
}

// hoverInfo describes the token at a document offset, with its range.
function hoverInfo(pos) {
  if (!ready) return null;
  const line = view.state.doc.lineAt(pos);
  const h = call("hover", view.state.doc.toString(), line.number, pos - line.from + 1);
  if (!h.found) return null;
  return { ...h, from: line.from + h.col - 1, to: line.from + h.endCol - 1 };
}

function hoverText(h) {
  return `${h.name}${h.type ? ": " + h.type : ""}  (${h.kind})`;
}

// The hover tooltip: the name, its type and shape, what it is, the details.
const nnHover = hoverTooltip((_view, pos) => {
  const h = hoverInfo(pos);
  if (!h) return null;
  return {
    pos: h.from, end: h.to, above: true,
    create() {
      const dom = document.createElement("div");
      dom.className = "nn-hover";
      const b = document.createElement("b");
      b.textContent = h.name + (h.type ? ": " + h.type : "");
      const i = document.createElement("i");
      i.textContent = "\n" + h.kind + ((h.detail || []).length ? "\n" + h.detail.join("\n") : "");
      dom.append(b, i);
      return { dom };
    },
  };
});

// The bar under the editor shows what the cursor is on (the hover's text,
// for the keyboard).
const cursorInfo = EditorView.updateListener.of((u) => {
  if (!u.selectionSet && !u.docChanged) return;
  const h = hoverInfo(u.state.selection.main.head);
  $("info").textContent = h ? hoverText(h) : "";
});

const onChange = EditorView.updateListener.of((u) => {
  if (!u.docChanged) return;
  clearTimeout(timer);
  timer = setTimeout(refresh, 250);
});

function setText(text) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

function setup() {
  view = new EditorView({
    parent: $("editor"),
    state: EditorState.create({
      doc: samples[0].text,
      extensions: [basicSetup, nnLanguage, lintGutter(), nnHover, cursorInfo, onChange],
    }),
  });
  const sample = $("sample");
  sample.replaceChildren(...samples.map((s, i) => new Option(s.name, i)));
  sample.onchange = () => { setText(samples[+sample.value].text); refresh(); };
  $("format").onclick = () => {
    const f = call("format", view.state.doc.toString());
    if (!f.diagnostics.length && f.text !== view.state.doc.toString()) setText(f.text);
    refresh();
  };
  $("shapes").onchange = refresh;
  $("entry").onchange = drawGraphs;
}

// selftest loads a broken sample and then a good one, and records what the
// page shows: the errors and the line CodeMirror underlines, the shape the
// hover gives, the graphs' node counts, the summary's rows.
async function selftest() {
  const out = {};
  const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  const broken = samples.find((s) => s.name === "shape error");
  setText(broken.text);
  refresh();
  await frame();
  const lines = [...document.querySelectorAll("#editor .cm-line")];
  out.broken = {
    diagnostics: last.diagnostics,
    listed: [...document.querySelectorAll("#diagnostics li")].map((li) => ({ line: +li.dataset.line, code: li.dataset.code, text: li.textContent })),
    underlined: lines.map((l, i) => (l.querySelector(".cm-lintRange-error") ? i + 1 : 0)).filter((n) => n > 0),
    graphs: document.querySelectorAll("div.graph svg").length,
  };
  const good = samples.find((s) => s.name === "tiny");
  setText(good.text);
  refresh();
  $("entry").value = "f";
  drawGraphs();
  await frame();
  const svg = (id) => {
    const s = document.querySelector(`#${id} svg`);
    return s ? { nodes: s.querySelectorAll("g.node").length, dataNodes: +s.dataset.nodes,
      edges: s.querySelectorAll("path.edge").length, ops: [...s.querySelectorAll("g.node")].map((g) => g.dataset.op),
      width: s.getBoundingClientRect().width } : null;
  };
  const text = view.state.doc.toString();
  const at = text.indexOf("    h = ") + 4; // at the name h of line 3
  view.dispatch({ selection: { anchor: at } });
  await frame();
  out.good = {
    diagnostics: last.diagnostics,
    entries: last.entries,
    raw: svg("graph-raw"),
    opt: svg("graph-opt"),
    hover: hoverInfo(at),
    info: $("info").textContent,
    summary: [...document.querySelectorAll("#summary caption")].map((c) => c.textContent),
    summaryRows: [...document.querySelectorAll("#summary tbody tr")].map((r) => [...r.cells].map((c) => c.textContent)),
  };
  const f = call("format", "fn   g(x: f32[N]) -> f32[N] {\nreturn   relu(x)\n}\n");
  out.format = f.text;
  const pre = $("selftest");
  pre.textContent = JSON.stringify(out);
  pre.hidden = false;
  document.title = "selftest done";
}

// The page's URL may choose a sample and put the cursor on a line and
// column: ?sample=2&line=4&col=12 (for links and the docs' screenshots).
function fromURL(q) {
  const i = +q.get("sample");
  if (i > 0 && i < samples.length) {
    $("sample").value = i;
    setText(samples[i].text);
  }
  const line = +q.get("line"), col = +q.get("col");
  if (line >= 1 && line <= view.state.doc.lines && col >= 1) {
    const r = range(view.state.doc, line, col, col);
    view.dispatch({ selection: { anchor: r.from }, scrollIntoView: true });
    view.focus();
  }
}

globalThis.nncReady = () => {
  ready = true;
  $("status").textContent = "ready";
  const q = new URLSearchParams(location.search);
  fromURL(q);
  refresh();
  if (q.get("selftest") === "1") {
    selftest().catch((e) => {
      $("selftest").textContent = JSON.stringify({ error: String(e && e.stack || e) });
      document.title = "selftest failed";
    });
  }
};

setup();
const go = new Go();
WebAssembly.instantiateStreaming(fetch("nnc.wasm"), go.importObject)
  .then((r) => go.run(r.instance))
  .catch((e) => { $("status").textContent = "could not load nnc.wasm: " + e; });
