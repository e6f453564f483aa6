#!/usr/bin/env bash
# Runs the transformer benchmarks (bench/transformer_bench_test.go, one
# thread: -test.cpu 1) and the PyTorch reference (transformer_torch.py, one
# thread) ROUNDS times (default 3), alternating the two, and prints a
# Markdown table per size of the per-round medians: wall time and process
# CPU time per call, and the nnc/PyTorch ratios as the median of the
# per-round ratios with their range (below 1: nnc is faster).
#
#	bash bench/transformer.sh              # from the repository root
#	ROUNDS=5 FILTER=d128_h4_T64 bash bench/transformer.sh
#	KEEP=/tmp/raw bash bench/transformer.sh
#	BASE=<git revision> bash bench/transformer.sh   # also that revision's benchmarks, a third in each round
#
# With BASE, each round runs the revision's benchmarks (built from git
# archive in a temporary directory) too, and a second table gives its
# figures against the same PyTorch rounds: before and after in one run.
#
# When other jobs load the machine the wall times mostly measure the wait
# for a core; the CPU-time ratio is then the fairer figure.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/torch_env.sh
rounds=${ROUNDS:-3}
filter=${FILTER:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go test -c -o "$tmp/bench.test" ./bench/
if [[ -n ${BASE:-} ]]; then
	mkdir "$tmp/base"
	git archive "$BASE" | tar -x -C "$tmp/base"
	(cd "$tmp/base" && go test -c -o "$tmp/base.test" ./bench/)
fi
for round in $(seq "$rounds"); do
	echo "round $round of $rounds" >&2
	if [[ -n ${BASE:-} ]]; then
		(cd bench && "$tmp/base.test" -test.run XXX -test.bench "Transformer(Step|Inference)/.*$filter" \
			-test.cpu 1 -test.benchtime 1s) | sed "s/^/round=$round /" >>"$tmp/base.txt"
	fi
	(cd bench && "$tmp/bench.test" -test.run XXX -test.bench "Transformer(Step|Inference)/.*$filter" \
		-test.cpu 1 -test.benchtime 1s) | sed "s/^/round=$round /" >>"$tmp/go.txt"
	(cd bench && /usr/bin/python3 transformer_torch.py 1) | sed "s/^/round=$round /" >>"$tmp/torch.txt"
done
if [[ -n ${KEEP:-} ]]; then
	mkdir -p "$KEEP" && cp "$tmp"/*.txt "$KEEP/"
fi
table() {
	/usr/bin/python3 - "$1" "$tmp/torch.txt" <<'PY'
import re, statistics, sys
go, torch = {}, {}
for line in open(sys.argv[1]):
    m = re.match(r"round=(\d+) BenchmarkTransformer(Step|Inference)/(\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op\s+([\d.]+) cpu-ms/op", line)
    if m:
        work = m.group(2).lower()
        go[(work, m.group(3), int(m.group(1)))] = (float(m.group(4)) / 1e6, float(m.group(5)))
for line in open(sys.argv[2]):
    m = re.match(r"round=(\d+) torch transformer (\w+) (\S+) threads=1 median_ms=([\d.]+) cpu_ms=([\d.]+)", line)
    if m:
        torch[(m.group(2), m.group(3), int(m.group(1)))] = (float(m.group(4)), float(m.group(5)))
def fmt(v):
    return f"{statistics.median(v):.3g} ({min(v):.3g}–{max(v):.3g})"
print("| workload | nnc wall ms | PyTorch wall ms | wall ratio | nnc CPU ms | PyTorch CPU ms | CPU ratio |")
print("| --- | --- | --- | --- | --- | --- | --- |")
keys = sorted({(w, s) for (w, s, _) in go}, key=lambda k: (k[0] != "step", k[1]))
for work, size in keys:
    rs = sorted(r for (w, s, r) in go if (w, s) == (work, size) and (w, s, r) in torch)
    if not rs:
        continue
    g = [go[(work, size, r)] for r in rs]
    p = [torch[(work, size, r)] for r in rs]
    print(f"| {work} {size} | {fmt([a[0] for a in g])} | {fmt([a[0] for a in p])} | "
          f"{fmt([a[0] / b[0] for a, b in zip(g, p)])}× | {fmt([a[1] for a in g])} | "
          f"{fmt([a[1] for a in p])} | {fmt([a[1] / b[1] for a, b in zip(g, p)])}× |")
PY
}
table "$tmp/go.txt"
if [[ -n ${BASE:-} ]]; then
	echo
	echo "BASE $BASE:"
	table "$tmp/base.txt"
fi
