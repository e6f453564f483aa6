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
let timer = null;
let last = { diagnostics: [], entries: [] };
let refreshGen = 0;
let graphGen = 0;
let infoGen = 0;
let infoPending = Promise.resolve();
const query = new URLSearchParams(location.search);
const selftestMode = query.get("selftest") === "1";

// The checker runs in a Web Worker (worker.js): call sends it a request
// and resolves to the decoded answer. A worker that answers nothing for
// limitMs (a program whose check does not end) is stopped and started
// again; the page then waits for the next edit.
let limitMs = 30000;
let worker = null;
let ready = false;
let started = false;
let nextId = 0;
let lastProgress = 0;
const waiting = new Map();
let readyWaiters = [];

// whenReady resolves once the worker has loaded nnc.wasm.
function whenReady() {
  return ready ? Promise.resolve() : new Promise((r) => readyWaiters.push(r));
}

function startWorker() {
  ready = false;
  worker = new Worker("worker.js");
  worker.onmessage = ({ data }) => {
    if (data.ready) {
      ready = true;
      readyWaiters.forEach((r) => r());
      readyWaiters = [];
      onReady();
      return;
    }
    if (data.loadError) {
      $("status").textContent = "could not load nnc.wasm: " + data.loadError;
      return;
    }
    const w = waiting.get(data.id);
    if (!w) return;
    waiting.delete(data.id);
    lastProgress = Date.now();
    w.resolve(JSON.parse(data.result));
  };
}

function call(name, ...args) {
  if (!ready) return Promise.reject(new Error("the checker is not ready"));
  if (waiting.size === 0) lastProgress = Date.now();
  return new Promise((resolve, reject) => {
    const id = ++nextId;
    waiting.set(id, { resolve, reject });
    worker.postMessage({ id, name, args });
  });
}

setInterval(() => {
  if (waiting.size === 0 || Date.now() - lastProgress < limitMs) return;
  worker.terminate();
  for (const w of waiting.values()) w.reject(new Error("the checker was restarted"));
  waiting.clear();
  startWorker();
  $("status").textContent = `the checker ran over ${limitMs / 1000} s on this text and was restarted`;
}, 250);

// range converts a 1-based line and UTF-16 columns to document offsets,
// clamped to the line.
function range(doc, line, col, endCol) {
  const l = doc.line(Math.min(Math.max(line, 1), doc.lines));
  const from = Math.min(l.from + col - 1, l.to);
  const to = Math.max(from, Math.min(l.from + endCol - 1, l.to));
  return { from, to };
}

// refresh checks the editor's text and shows the errors, then the graphs
// and the summary. An edit made meanwhile starts another refresh, and
// this one stops at its next answer.
async function refresh() {
  if (!ready) return;
  const gen = ++refreshGen;
  const src = view.state.doc.toString();
  const r = await call("check", src);
  if (gen !== refreshGen) return;
  last = { diagnostics: r.diagnostics || [], entries: r.entries || [] };
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
  $("status").textContent = r.error || (last.diagnostics.length ? `${last.diagnostics.length} error(s)` : "checks");
  const sel = $("entry");
  const keep = sel.value;
  sel.replaceChildren(...last.entries.map((e) => new Option(e, e)));
  if (last.entries.includes(keep)) sel.value = keep;
  const graphs = drawGraphs();
  const s = last.diagnostics.length ? {} : await call("summary", src, $("shapes").value);
  await graphs;
  if (gen !== refreshGen) return;
  renderSummary(s);
}

// drawGraphs draws the selected entry's graph before and after the
// optimizer (a note while the text has errors).
async function drawGraphs() {
  const gen = ++graphGen;
  const entry = $("entry").value;
  const src = view.state.doc.toString();
  await Promise.all([["graph-raw", false], ["graph-opt", true]].map(async ([id, optimized]) => {
    const box = $(id);
    const note = (text, cls) => {
      const p = document.createElement("div");
      p.className = cls;
      p.textContent = text;
      box.replaceChildren(p);
    };
    if (!entry || last.diagnostics.length) {
      note(last.diagnostics.length ? "the graph shows when the program checks" : "no function or method to draw", "note");
      return;
    }
    const g = await call("graph", src, entry, optimized);
    if (gen !== graphGen) return;
    if (g.error) {
      note(g.error, "error");
      return;
    }
    box.innerHTML = g.svg;
    const svg = box.querySelector("svg");
    svg.onclick = () => svg.classList.toggle("natural"); // fit the panel, or full size
  }));
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

// hoverInfo resolves to what the checker knows of the token at a document
// offset, with its range (null when nothing, or when the text changed).
async function hoverInfo(pos) {
  if (!ready) return null;
  const src = view.state.doc.toString();
  const line = view.state.doc.lineAt(pos);
  const h = await call("hover", src, line.number, pos - line.from + 1);
  if (!h.found || view.state.doc.toString() !== src) return null;
  return { ...h, from: line.from + h.col - 1, to: line.from + h.endCol - 1 };
}

function hoverText(h) {
  return `${h.name}${h.type ? ": " + h.type : ""}  (${h.kind})`;
}

// The hover tooltip: the name, its type and shape, what it is, the details.
const nnHover = hoverTooltip(async (_view, pos) => {
  const h = await hoverInfo(pos).catch(() => null);
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
  const gen = ++infoGen;
  infoPending = hoverInfo(u.state.selection.main.head).then((h) => {
    if (gen === infoGen) $("info").textContent = h ? hoverText(h) : "";
  }, () => {});
});

const onChange = EditorView.updateListener.of((u) => {
  if (!u.docChanged) return;
  clearTimeout(timer);
  timer = setTimeout(() => refresh().catch(() => {}), 250);
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
  sample.onchange = () => setText(samples[+sample.value].text);
  $("format").onclick = async () => {
    const src = view.state.doc.toString();
    const f = await call("format", src);
    if (!(f.diagnostics || []).length && f.text !== src && view.state.doc.toString() === src) setText(f.text);
  };
  $("shapes").onchange = () => refresh().catch(() => {});
  $("entry").onchange = () => drawGraphs().catch(() => {});
}

// selftest loads a broken sample and then a good one, and records what the
// page shows: the errors and the line CodeMirror underlines, the shape the
// hover gives, the graphs' node counts, the summary's rows.
async function selftest() {
  const out = {};
  const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  const load = async (name) => {
    setText(samples.find((s) => s.name === name).text);
    clearTimeout(timer);
    await refresh();
    await frame();
  };
  await load("shape error");
  const lines = [...document.querySelectorAll("#editor .cm-line")];
  out.broken = {
    diagnostics: last.diagnostics,
    listed: [...document.querySelectorAll("#diagnostics li")].map((li) => ({ line: +li.dataset.line, code: li.dataset.code, text: li.textContent })),
    underlined: lines.map((l, i) => (l.querySelector(".cm-lintRange-error") ? i + 1 : 0)).filter((n) => n > 0),
    graphs: document.querySelectorAll("div.graph svg").length,
  };
  await load("tiny");
  $("entry").value = "f";
  await drawGraphs();
  await frame();
  const svg = (id) => {
    const s = document.querySelector(`#${id} svg`);
    return s ? { nodes: s.querySelectorAll("g.node").length, dataNodes: +s.dataset.nodes,
      edges: s.querySelectorAll("path.edge").length, ops: [...s.querySelectorAll("g.node")].map((g) => g.dataset.op),
      width: s.getBoundingClientRect().width } : null;
  };
  const at = view.state.doc.toString().indexOf("    h = ") + 4; // at the name h of line 3
  view.dispatch({ selection: { anchor: at } });
  await infoPending;
  out.good = {
    diagnostics: last.diagnostics,
    entries: last.entries,
    raw: svg("graph-raw"),
    opt: svg("graph-opt"),
    hover: await hoverInfo(at),
    info: $("info").textContent,
    summary: [...document.querySelectorAll("#summary caption")].map((c) => c.textContent),
    summaryRows: [...document.querySelectorAll("#summary tbody tr")].map((r) => [...r.cells].map((c) => c.textContent)),
  };
  // The tooltip: the mouse moved onto h (CodeMirror shows it after its
  // hover delay).
  const c = view.coordsAtPos(at);
  view.contentDOM.dispatchEvent(new MouseEvent("mousemove", { clientX: c.left + 2, clientY: (c.top + c.bottom) / 2, bubbles: true }));
  for (let i = 0; i < 100 && !document.querySelector(".cm-tooltip-hover .nn-hover"); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const tip = document.querySelector(".cm-tooltip-hover .nn-hover");
  out.tooltip = tip ? tip.textContent : null;
  out.format = (await call("format", "fn   g(x: f32[N]) -> f32[N] {\nreturn   relu(x)\n}\n")).text;
  // The watchdog: a worker busy for longer than the limit (here lowered
  // to 1.5 s; worker.js's "spin" keeps it busy for 60 s) is restarted,
  // and the new one answers.
  limitMs = 1500;
  const spin = await call("spin", 60000).then(() => "answered", (e) => "stopped: " + e.message);
  limitMs = 30000;
  const status = $("status").textContent;
  await whenReady();
  const again = await call("check", view.state.doc.toString());
  out.watchdog = { spin, status, entries: again.entries };
  const pre = $("selftest");
  pre.textContent = JSON.stringify(out);
  pre.hidden = false;
  document.title = "selftest done";
}

// The page's URL may choose a sample and put the cursor on a line and
// column: ?sample=2&line=4&col=12 (for links and the docs' screenshots).
function fromURL() {
  const i = +query.get("sample");
  if (i > 0 && i < samples.length) {
    $("sample").value = i;
    setText(samples[i].text);
    clearTimeout(timer);
  }
  const line = +query.get("line"), col = +query.get("col");
  if (line >= 1 && line <= view.state.doc.lines && col >= 1) {
    const r = range(view.state.doc, line, col, col);
    view.dispatch({ selection: { anchor: r.from }, scrollIntoView: true });
    view.focus();
  }
}

// onReady runs when the worker has loaded nnc.wasm: the first time, the
// URL's sample and cursor, the first check and the self-test; after a
// restart, nothing until the next edit.
function onReady() {
  if (started) {
    return;
  }
  started = true;
  $("status").textContent = "ready";
  fromURL();
  const first = refresh();
  if (selftestMode) {
    first.then(selftest).catch((e) => {
      $("selftest").textContent = JSON.stringify({ error: String(e && e.stack || e) });
      $("selftest").hidden = false;
      document.title = "selftest failed";
    });
  } else {
    first.catch(() => {});
  }
}

setup();
startWorker();
