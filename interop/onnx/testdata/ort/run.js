// Runs ONNX models in ONNX Runtime (CPU, one thread) for nnc's export
// tests. Reads a JSON array of jobs on stdin, each
//   {"model": "path.onnx", "inputs": {"x": {"dtype": "f32", "shape": [2, 3], "data": [...]}}}
// and prints a JSON array of results, each {"outputs": {"out": {"shape": [...], "data": [...]}}}
// or {"error": "message"}.
const ort = require('onnxruntime-node');

const types = { f32: 'float32', f64: 'float64', i32: 'int32', i64: 'int64', bool: 'bool' };
const arrays = { f32: Float32Array, f64: Float64Array, i32: Int32Array, bool: Uint8Array };

function tensorOf(v) {
  if (v.dtype === 'i64') {
    return new ort.Tensor('int64', BigInt64Array.from(v.data.map(BigInt)), v.shape);
  }
  return new ort.Tensor(types[v.dtype], arrays[v.dtype].from(v.data), v.shape);
}

async function run(job) {
  const opts = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
  const session = await ort.InferenceSession.create(job.model, opts);
  const feeds = {};
  for (const [name, v] of Object.entries(job.inputs)) feeds[name] = tensorOf(v);
  const out = await session.run(feeds);
  const outputs = {};
  for (const [name, t] of Object.entries(out)) {
    outputs[name] = { shape: t.dims.map(Number), data: Array.from(t.data, Number) };
  }
  return { outputs };
}

async function main() {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  const results = [];
  for (const job of JSON.parse(text)) {
    try {
      results.push(await run(job));
    } catch (e) {
      results.push({ error: String(e && e.message ? e.message : e) });
    }
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((e) => { console.error(e); process.exit(1); });
