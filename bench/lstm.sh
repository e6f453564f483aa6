#!/usr/bin/env bash
# Runs the LSTM training-step benchmarks (bench/lstm_bench_test.go) and the
# PyTorch reference (lstm_torch.py) alternately (with CELL=gru the GRU's:
# BenchmarkGRU*, lstm_torch.py gru), one thread each
# (GOMAXPROCS=1, torch.set_num_threads(1)), ROUNDS times (default 3), and
# prints per size the median over rounds of the wall and the process CPU
# time per step, and the ratios nnc/PyTorch with their range over rounds.
# CPU time is the figure to read when other jobs load the machine.
#
#	bash bench/lstm.sh                # from the repository root
#	ROUNDS=5 BENCHTIME=2s bash bench/lstm.sh
#	CELL=gru bash bench/lstm.sh
#	taskset -c 0 bash bench/lstm.sh   # both sides on one core: PyTorch
#	                                  # otherwise keeps a second thread busy
#	FLUSH_DENORMAL=1 bash bench/lstm.sh  # PyTorch flushing subnormals too, as
#	                                  # nnc's f32 products do (docs/language.md)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/torch_env.sh
rounds=${ROUNDS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cell=${CELL:-lstm}
name=LSTM
[[ $cell == gru ]] && name=GRU
sizes="64 128 50 32  64 128 32 32  64 128 256 32  64 256 50 32  64 512 50 32  64 512 128 32"

go test -c -o "$tmp/bench.test" ./bench/
for round in $(seq "$rounds"); do
	echo "round $round of $rounds" >&2
	(cd bench && "$tmp/bench.test" -test.run XXX -test.bench "${name}StepSGD|${name}Sizes" -test.cpu 1 -test.benchtime "${BENCHTIME:-1s}") | sed "s/^/round=$round /" >>"$tmp/go.txt"
	# shellcheck disable=SC2086
	(cd bench && /usr/bin/python3 lstm_torch.py "$cell" $sizes) | sed "s/^/round=$round /" >>"$tmp/torch.txt"
done
/usr/bin/python3 - "$tmp/go.txt" "$tmp/torch.txt" "$cell" <<'PY'
import re, statistics, sys
cell = sys.argv[3]
go, torch = {}, {}
for line in open(sys.argv[1]):
    m = re.match(r"round=(\d+) Benchmark(?:LSTM|GRU)(?:StepSGD|Sizes/(\w+))\s+\d+\s+([\d.]+) ns/op\s+([\d.]+) cpu-ms/op", line)
    if m:
        size = m.group(2) or "64_128_50_32"
        go.setdefault(size, {})[int(m.group(1))] = (float(m.group(3)) / 1e6, float(m.group(4)))
for line in open(sys.argv[2]):
    m = re.match(r"round=(\d+) torch " + cell + r" (\w+) threads=1(?: flush=1)? median_ms=([\d.]+) cpu_ms=([\d.]+)", line)
    if m:
        torch.setdefault(m.group(2), {})[int(m.group(1))] = (float(m.group(3)), float(m.group(4)))
print("| in_hidden_T_batch | nnc wall | PyTorch wall | wall ratio (range) | nnc CPU | PyTorch CPU | CPU ratio (range) |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for size in go:
    if size not in torch:
        continue
    rs = sorted(set(go[size]) & set(torch[size]))
    med = lambda xs: statistics.median(xs)
    cells = []
    for k in (0, 1):
        g = [go[size][r][k] for r in rs]
        p = [torch[size][r][k] for r in rs]
        q = [a / b for a, b in zip(g, p)]
        cells.append(f"{med(g):.1f} ms | {med(p):.1f} ms | {med(q):.2f}× ({min(q):.2f}–{max(q):.2f})")
    print(f"| {size} | {cells[0]} | {cells[1]} |")
PY
