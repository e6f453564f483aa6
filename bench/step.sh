#!/usr/bin/env bash
# Runs nnc's training-step and inference benchmarks (bench/step_bench_test.go)
# and the PyTorch references (mlp_torch.py, convnet_torch.py) side by side on
# 1 and 2 threads (GOMAXPROCS for Go, torch.set_num_threads for PyTorch),
# ROUNDS times (default 3) alternating the two, and prints a Markdown table
# of the best of each with the ratios nnc/PyTorch (below 1: nnc is faster).
#
#	bash bench/step.sh            # from the repository root
#	ROUNDS=5 bash bench/step.sh
#	KEEP=/tmp/raw bash bench/step.sh   # also keep the raw outputs there
#	THREADS=1 bash bench/step.sh       # one thread only (bench/all.sh)
#
# The machine is shared, so the table keeps the best of the rounds, each nnc
# figure being the mean time per call over at least 1 s of calls and each
# PyTorch figure the median of 7 batches of at least 0.3 s (after warm-up).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/torch_env.sh
rounds=${ROUNDS:-3}
threads=${THREADS:-1,2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go test -c -o "$tmp/bench.test" ./bench/
for round in $(seq "$rounds"); do
	echo "round $round of $rounds" >&2
	# One invocation per thread count: with a list (-test.cpu 1,2), Go's
	# testing may make a benchmark's first call for the first count before
	# it sets GOMAXPROCS, and b.Loop measures it all then, so the "1
	# thread" figures came from two (BENCHMARKS.md, session 12).
	for t in ${threads//,/ }; do
		(cd bench && "$tmp/bench.test" -test.run XXX -test.bench 'MLP|ConvNet(Step|Inference)' -test.cpu "$t" -test.benchtime 1s) >>"$tmp/go.txt"
	done
	(cd bench && /usr/bin/python3 mlp_torch.py ${threads//,/ } && /usr/bin/python3 convnet_torch.py ${threads//,/ }) >>"$tmp/torch.txt"
done
if [[ -n ${KEEP:-} ]]; then
	mkdir -p "$KEEP" && cp "$tmp/go.txt" "$tmp/torch.txt" "$KEEP/"
fi
/usr/bin/python3 - "$tmp/go.txt" "$tmp/torch.txt" <<'PY'
import re, sys
go, torch = {}, {}
names = {"MLPStepSGD": ("mlp", "step-sgd"), "MLPStepAdam": ("mlp", "step-adam"),
         "MLPInference": ("mlp", "inference"), "ConvNetStepSGD": ("convnet", "step-sgd"),
         "ConvNetInference": ("convnet", "inference")}
for line in open(sys.argv[1]):
    m = re.match(r"Benchmark(\w+?)(?:-(\d+))?\s+\d+\s+([\d.]+) ns/op", line)
    if m:
        key = names[m.group(1)] + (int(m.group(2) or 1),)
        go[key] = min(go.get(key, 1e18), float(m.group(3)) / 1e6)
for line in open(sys.argv[2]):
    m = re.match(r"torch (\w+) (\S+) threads=(\d+) median_ms=([\d.]+)", line)
    if m:
        key = (m.group(1), m.group(2), int(m.group(3)))
        torch[key] = min(torch.get(key, 1e18), float(m.group(4)))
threads = sorted({k[2] for k in go} & {k[2] for k in torch})
head = "| workload |" + "".join(f" nnc {t} thread{'s' if t > 1 else ''} | PyTorch {t} thread{'s' if t > 1 else ''} | ratio |" for t in threads)
if len(threads) > 1:
    head += " nnc best / PyTorch best |"
print(head)
print("|" + " --- |" * (head.count("|") - 1))
for model, work in [("mlp", "step-sgd"), ("mlp", "step-adam"), ("mlp", "inference"),
                    ("convnet", "step-sgd"), ("convnet", "inference")]:
    cells = []
    for t in threads:
        g, p = go.get((model, work, t)), torch.get((model, work, t))
        if g is None or p is None:
            cells.append(" | | |")
            continue
        cells.append(f" {g:.2f} ms | {p:.2f} ms | {g / p:.2f}× |")
    row = f"| {model} {work} |" + "".join(cells)
    if len(threads) > 1:
        gb = min(go.get((model, work, t), 1e18) for t in threads)
        pb = min(torch.get((model, work, t), 1e18) for t in threads)
        row += f" {gb / pb:.2f}× |"
    print(row)
PY
