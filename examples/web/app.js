// app.js: the page of examples/web. A drawing on the 280x280 canvas is
// prepared as MNIST's digits were (the stroke's bounding box scaled into
// 20x20 pixels, centered by its center of mass in 28x28, values in [0, 1],
// row by row) and given to the model, built by nnc build --target wasm into
// model/. With ?test in the address the page draws a fixed "7" itself,
// predicts, and posts the input and output (as the bits of each float32)
// to /result: nnc's TestWebPage checks them against nnc run.
"use strict";

const pad = document.getElementById("pad");
const ctx = pad.getContext("2d", { willReadFrequently: true });
const testMode = new URLSearchParams(location.search).has("test");
let model = null;

function clearPad() {
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, pad.width, pad.height);
}

// stroke draws a polyline in white, as the pointer does.
function stroke(points) {
  ctx.strokeStyle = "#fff";
  ctx.lineWidth = 20;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.beginPath();
  ctx.moveTo(points[0][0], points[0][1]);
  for (const [x, y] of points.slice(1)) ctx.lineTo(x, y);
  if (points.length === 1) ctx.lineTo(points[0][0] + 0.1, points[0][1]);
  ctx.stroke();
}

// preprocess turns the canvas into the model's 784 inputs, or null when
// nothing is drawn.
function preprocess() {
  const { width: W, height: H } = pad;
  const rgba = ctx.getImageData(0, 0, W, H).data;
  const g = new Float32Array(W * H);
  let x0 = W, y0 = H, x1 = -1, y1 = -1;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const v = rgba[4 * (y * W + x)] / 255;
      g[y * W + x] = v;
      if (v > 0.05) {
        x0 = Math.min(x0, x); x1 = Math.max(x1, x);
        y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return null;
  const w = x1 - x0 + 1, h = y1 - y0 + 1;
  const s = 20 / Math.max(w, h);
  const tw = Math.max(1, Math.round(w * s)), th = Math.max(1, Math.round(h * s));
  // Box filter: each target pixel is the mean of the source pixels whose
  // centers fall in its square.
  const box = new Float32Array(tw * th);
  const count = new Float32Array(tw * th);
  for (let y = y0; y <= y1; y++) {
    const ty = Math.min(th - 1, Math.floor((y - y0 + 0.5) * s));
    for (let x = x0; x <= x1; x++) {
      const tx = Math.min(tw - 1, Math.floor((x - x0 + 0.5) * s));
      box[ty * tw + tx] += g[y * W + x];
      count[ty * tw + tx] += 1;
    }
  }
  let mass = 0, cx = 0, cy = 0;
  for (let i = 0; i < box.length; i++) {
    if (count[i] > 0) box[i] /= count[i];
    mass += box[i];
    cx += box[i] * (i % tw + 0.5);
    cy += box[i] * (Math.floor(i / tw) + 0.5);
  }
  cx /= mass; cy /= mass;
  const ox = Math.round(14 - cx), oy = Math.round(14 - cy);
  const out = new Float32Array(28 * 28);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const X = x + ox, Y = y + oy;
      if (X >= 0 && X < 28 && Y >= 0 && Y < 28) out[Y * 28 + X] = Math.min(1, box[y * tw + x]);
    }
  }
  return out;
}

function showInput(x) {
  const small = document.getElementById("small").getContext("2d");
  const img = small.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(255 * (x ? x[i] : 0));
    img.data.set([v, v, v, 255], 4 * i);
  }
  small.putImageData(img, 0, 0);
}

function showScores(scores) {
  const bars = document.getElementById("bars");
  bars.innerHTML = "";
  if (!scores) {
    document.getElementById("digit").textContent = "–";
    return;
  }
  const m = Math.max(...scores);
  const e = Array.from(scores, (v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b, 0);
  let best = 0;
  e.forEach((v, d) => {
    if (v > e[best]) best = d;
    const row = document.createElement("div");
    row.innerHTML = `<span>${d}</span><span class="bar" style="width:${Math.round(200 * v / z)}px"></span><span>${(100 * v / z).toFixed(1)}%</span>`;
    bars.appendChild(row);
  });
  document.getElementById("digit").textContent = String(best);
  return best;
}

// update predicts the digit on the canvas and shows it.
function update() {
  const x = preprocess();
  showInput(x);
  if (!x || !model) return showScores(null), null;
  const [scores] = model.predict(x);
  return { x, scores, digit: showScores(scores) };
}

function hexBits(f32) {
  return Array.from(new Uint32Array(f32.buffer, f32.byteOffset, f32.length), (u) => u.toString(16).padStart(8, "0"));
}

async function report(body) {
  document.getElementById("result").textContent = JSON.stringify(body);
  if (testMode) await fetch("/result", { method: "POST", body: JSON.stringify(body) });
}

// Drawing with a mouse, a pen or a finger.
let drawing = null;
pad.addEventListener("pointerdown", (e) => {
  drawing = [[e.offsetX, e.offsetY]];
  pad.setPointerCapture(e.pointerId);
  stroke(drawing);
});
pad.addEventListener("pointermove", (e) => {
  if (!drawing) return;
  const last = drawing[drawing.length - 1];
  drawing.push([e.offsetX, e.offsetY]);
  stroke([last, [e.offsetX, e.offsetY]]);
});
pad.addEventListener("pointerup", () => { drawing = null; update(); });
document.getElementById("clear").addEventListener("click", () => { clearPad(); update(); });

// The fixed drawing of test mode: a "7".
const seven = [[80, 60], [200, 60], [190, 90], [120, 230]];

async function main() {
  clearPad();
  try {
    model = await nncLoadModel("model/model.wasm");
  } catch (e) {
    document.getElementById("status").textContent = String(e);
    await report({ error: String(e) });
    return;
  }
  document.getElementById("status").textContent = "ready";
  if (!testMode) return;
  try {
    stroke(seven);
    const r = update();
    // The time of a steady prediction (the model's call alone), for
    // BENCHMARKS.md.
    const n = 200, t0 = performance.now();
    for (let i = 0; i < n; i++) model.predict(r.x);
    const msPerPredict = (performance.now() - t0) / n;
    // A wrong length throws an Error naming the input.
    let lengthError = "no error";
    try { model.predict(new Float32Array(3)); } catch (e) { lengthError = e.message; }
    await report({ input: hexBits(r.x), output: hexBits(r.scores), digit: r.digit, ms_per_predict: msPerPredict,
      length_error: lengthError });
  } catch (e) {
    await report({ error: String(e) + (e.stack ? "\n" + e.stack : "") });
  }
}

main();
