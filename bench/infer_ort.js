// ONNX Runtime side of bench/infer.sh: times one model's inference at the
// given batch sizes with one intra-op and one inter-op thread.
//
//	node infer_ort.js NAME MODEL.onnx SAMPLE_SHAPE BATCH...
//	node infer_ort.js mlp mlp.onnx 784 1 8
//
// Prints, for each batch, "ort NAME batch=B median_ms=… best_ms=… cpu_ms=…":
// the median and best of 7 batches of calls lasting at least 0.3 s each,
// after 20 warm-up calls (the same protocol as torch_common.median_ms), and
// the process's CPU time per call over the 7 batches. Needs
// onnxruntime-node on NODE_PATH (interop/onnx/testdata/ort/node_modules).
const ort = require('onnxruntime-node');

async function timeCalls(session, feeds) {
  for (let i = 0; i < 20; i++) await session.run(feeds);
  let n = 1;
  for (;;) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await session.run(feeds);
    if (Number(process.hrtime.bigint() - t) / 1e9 >= 0.3 / 4) break;
    n *= 2;
  }
  const times = [];
  const c0 = process.cpuUsage();
  for (let r = 0; r < 7; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t) / 1e6 / n);
  }
  const c = process.cpuUsage(c0);
  times.sort((a, b) => a - b);
  return [times[3], times[0], (c.user + c.system) / 1e3 / (7 * n)];
}

async function main() {
  const [name, model, sample, ...batches] = process.argv.slice(2);
  const opts = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' };
  const session = await ort.InferenceSession.create(model, opts);
  const dims = sample.split('x').map(Number);
  for (const b of batches.map(Number)) {
    const shape = [b, ...dims];
    const n = shape.reduce((a, c) => a * c, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = ((i * 7919) % 1000) / 1000;
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, shape) };
    const [med, best, cpu] = await timeCalls(session, feeds);
    console.log(`ort ${name} batch=${b} median_ms=${med.toFixed(4)} best_ms=${best.toFixed(4)} cpu_ms=${cpu.toFixed(4)}`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
