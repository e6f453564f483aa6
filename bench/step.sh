#!/usr/bin/env bash
# Runs nnc's training-step and inference benchmarks (bench/step_bench_test.go)
# and the PyTorch references (mlp_torch.py, convnet_torch.py) side by side on
# 1 and 2 threads (GOMAXPROCS for Go, torch.set_num_threads for PyTorch),
# ROUNDS times (default 3) alternating the two, and prints a Markdown table
# of the best of each with the ratios nnc/PyTorch (below 1: nnc is faster).
#
#	bash bench/step.sh            # from the repository root
#	ROUNDS=5 bash bench/step.sh
#
# The machine is shared, so the table keeps the best wall time of the
# rounds (each nnc figure is itself a mean over at least 1 s of steps, each
# PyTorch figure the median of 7 batches of 0.3 s) and, for 1 thread, the
# best CPU time per step, which other processes do not inflate.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go test -c -o "$tmp/bench.test" ./bench/
for round in $(seq "$rounds"); do
	echo "round $round of $rounds" >&2
	(cd bench && "$tmp/bench.test" -test.run XXX -test.bench . -test.cpu 1,2 -test.benchtime 1s) >>"$tmp/go.txt"
	(cd bench && /usr/bin/python3 mlp_torch.py && /usr/bin/python3 convnet_torch.py) >>"$tmp/torch.txt"
done
/usr/bin/python3 - "$tmp/go.txt" "$tmp/torch.txt" <<'PY'
import re, sys
go, torch = {}, {}
names = {"MLPStepSGD": ("mlp", "step-sgd"), "MLPStepAdam": ("mlp", "step-adam"),
         "MLPInference": ("mlp", "inference"), "ConvNetStepSGD": ("convnet", "step-sgd"),
         "ConvNetInference": ("convnet", "inference")}
for line in open(sys.argv[1]):
    m = re.match(r"Benchmark(\w+?)(?:-(\d+))?\s+\d+\s+([\d.]+) ns/op\s+([\d.]+) cpu-ns/op", line)
    if m:
        key = names[m.group(1)] + (int(m.group(2) or 1),)
        wall, cpu = float(m.group(3)) / 1e6, float(m.group(4)) / 1e6
        old = go.get(key, (1e18, 1e18))
        go[key] = (min(old[0], wall), min(old[1], cpu))
for line in open(sys.argv[2]):
    m = re.match(r"torch (\w+) (\S+) threads=(\d+) median_ms=([\d.]+) best_ms=([\d.]+) cpu_ms=([\d.]+)", line)
    if m:
        key = (m.group(1), m.group(2), int(m.group(3)))
        old = torch.get(key, (1e18, 1e18))
        torch[key] = (min(old[0], float(m.group(4))), min(old[1], float(m.group(6))))
print("| workload | threads | nnc ms | PyTorch ms | nnc/PyTorch | nnc CPU ms | PyTorch CPU ms | CPU ratio |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for model, work in [("mlp", "step-sgd"), ("mlp", "step-adam"), ("mlp", "inference"),
                    ("convnet", "step-sgd"), ("convnet", "inference")]:
    for t in (1, 2):
        g, p = go.get((model, work, t)), torch.get((model, work, t))
        if not g or not p:
            continue
        cpu = f"{g[1]:.2f} | {p[1]:.2f} | {g[1] / p[1]:.2f}×" if t == 1 else "| |"
        print(f"| {model} {work} | {t} | {g[0]:.2f} | {p[0]:.2f} | {g[0] / p[0]:.2f}× | {cpu} |")
best = {}
for (model, work, t), v in torch.items():
    best[(model, work)] = min(best.get((model, work), 1e18), v[0])
print()
print("| workload | nnc best ms (threads) | PyTorch best ms, any thread count | ratio |")
print("| --- | --- | --- | --- |")
for (model, work), p in best.items():
    gs = [(go[(model, work, t)][0], t) for t in (1, 2) if (model, work, t) in go]
    if gs:
        g, t = min(gs)
        print(f"| {model} {work} | {g:.2f} ({t}) | {p:.2f} | {g / p:.2f}× |")
PY
