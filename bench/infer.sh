#!/usr/bin/env bash
# Small-batch inference latency: nnc (BenchmarkInferLatency in
# infer_bench_test.go), ONNX Runtime (infer_ort.js on the models exported
# with `nnc export`) and PyTorch (infer_torch.py), each on one thread pinned
# to one core (taskset -c $CORE, GOMAXPROCS=1, intraOpNumThreads 1,
# torch.set_num_threads(1)), ROUNDS times (default 3) alternating the three,
# for the MLP 784-512-512-10 at batch 1, 8 and 128 and bench/convnet.nn and
# models/lenet.nn at batch 1, 8 and 64. Prints the load average before and after and a Markdown
# table: per side the best and worst wall time per call over the rounds
# and the CPU time per call of the best round, and the ratios of nnc's CPU
# time to the others' (below 1: nnc is faster).
#
#	bash bench/infer.sh                 # from the repository root
#	ROUNDS=5 CORE=1 bash bench/infer.sh
#	KEEP=/tmp/raw bash bench/infer.sh   # also keep the raw outputs there
#
# Needs node with onnxruntime-node in interop/onnx/testdata/ort (installed
# here with `npm ci --ignore-scripts` when absent) and /usr/bin/python3 with
# torch. CPU time is the process's user plus system time, which other jobs
# on a shared machine inflate less than the wall time; nnc's excludes the
# start-up, ONNX Runtime's and PyTorch's include their warm-up calls.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/torch_env.sh
rounds=${ROUNDS:-3}
core=${CORE:-0}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ort=interop/onnx/testdata/ort
if [[ ! -d $ort/node_modules/onnxruntime-node ]]; then
	(cd "$ort" && npm ci --ignore-scripts)
fi
go build -o "$tmp/nnc" ./cmd/nnc
"$tmp/nnc" export bench/mlp.nn --entry MLP.forward -o "$tmp/mlp.onnx" >&2
"$tmp/nnc" export bench/convnet.nn --entry ConvNet.forward -o "$tmp/convnet.onnx" >&2
"$tmp/nnc" export models/lenet.nn --entry LeNet.forward -o "$tmp/lenet.onnx" >&2
go test -c -o "$tmp/bench.test" ./bench/
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
	echo "round $round of $rounds" >&2
	(cd bench && GOMAXPROCS=1 taskset -c "$core" "$tmp/bench.test" -test.run XXX \
		-test.bench InferLatency -test.benchtime 1s) | sed "s/^/round=$round /" >>"$tmp/go.txt"
	(cd bench && export NODE_PATH="$PWD/../$ort/node_modules" &&
		taskset -c "$core" node infer_ort.js mlp "$tmp/mlp.onnx" 784 1 8 128 &&
		taskset -c "$core" node infer_ort.js convnet "$tmp/convnet.onnx" 1x28x28 1 8 64 &&
		taskset -c "$core" node infer_ort.js lenet "$tmp/lenet.onnx" 1x28x28 1 8 64) |
		sed "s/^/round=$round /" >>"$tmp/ort.txt"
	(cd bench && taskset -c "$core" /usr/bin/python3 infer_torch.py) | sed "s/^/round=$round /" >>"$tmp/torch.txt"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -n ${KEEP:-} ]]; then
	mkdir -p "$KEEP" && cp "$tmp/go.txt" "$tmp/ort.txt" "$tmp/torch.txt" "$KEEP/"
fi
/usr/bin/python3 - "$tmp/go.txt" "$tmp/ort.txt" "$tmp/torch.txt" <<'PY'
import re, sys
# side -> (model, batch) -> list of (wall ms, cpu ms), one per round
runs = {"nnc": {}, "ort": {}, "torch": {}}
for line in open(sys.argv[1]):
    m = re.match(r"round=\d+ BenchmarkInferLatency/(\w+)/batch=(\d+)\S*\s+\d+\s+([\d.]+) ns/op\s+([\d.]+) cpu-ms/op", line)
    if m:
        key = (m.group(1).lower(), int(m.group(2)))
        runs["nnc"].setdefault(key, []).append((float(m.group(3)) / 1e6, float(m.group(4))))
for side, path in (("ort", sys.argv[2]), ("torch", sys.argv[3])):
    for line in open(path):
        m = re.match(r"round=\d+ \w+ (\w+) batch=(\d+) median_ms=([\d.]+) best_ms=[\d.]+ cpu_ms=([\d.]+)", line)
        if m:
            key = (m.group(1), int(m.group(2)))
            runs[side].setdefault(key, []).append((float(m.group(3)), float(m.group(4))))

def cell(side, key):
    rs = runs[side].get(key)
    if not rs:
        return "", None
    best = min(rs)
    worst = max(r[0] for r in rs)
    return f"{best[0]:.3f}–{worst:.3f} | {best[1]:.3f}", best[1]

print("| workload | nnc wall ms | nnc cpu ms | ORT wall ms | ORT cpu ms | PyTorch wall ms | PyTorch cpu ms | nnc/ORT (cpu) | nnc/PyTorch (cpu) |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for key in [("mlp", 1), ("mlp", 8), ("mlp", 128), ("convnet", 1), ("convnet", 8), ("convnet", 64),
            ("lenet", 1), ("lenet", 8), ("lenet", 64)]:
    cells, cpu = [], {}
    for side in ("nnc", "ort", "torch"):
        c, cpu[side] = cell(side, key)
        cells.append(c or " | ")
    ratio = lambda o: f"{cpu['nnc'] / cpu[o]:.2f}×" if cpu["nnc"] and cpu[o] else ""
    print(f"| {key[0]} batch {key[1]} | " + " | ".join(cells) + f" | {ratio('ort')} | {ratio('torch')} |")
PY
