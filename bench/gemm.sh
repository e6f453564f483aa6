#!/usr/bin/env bash
# Runs nnc's sgemm benchmark and NumPy's matmul side by side, on 1 and 2
# threads (GOMAXPROCS for Go, OPENBLAS_NUM_THREADS for OpenBLAS), ROUNDS times
# (default 2), and prints a Markdown table of the best of each.
#
#	bash bench/gemm.sh            # from the repository root
#	ROUNDS=3 bash bench/gemm.sh
#
# NumPy runs with /usr/bin/python3 (Debian's python3-numpy). Its BLAS is the
# one libblas.so.3 points to; when Debian's OpenBLAS is installed
# (apt-get install libopenblas0-pthread) the script loads it explicitly, and
# the report names the OpenBLAS core it runs. With one thread both sides also
# report GFLOP/s by the thread's CPU time (cpu columns), which the other
# processes of a shared machine do not inflate.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-2}
sizes=128,256,512,1024,2048
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread
if [[ ! -e $openblas/libblas.so.3 ]]; then
	echo "warning: Debian's OpenBLAS is not installed (apt-get install libopenblas0-pthread);" \
		"NumPy runs the BLAS that libblas.so.3 points to" >&2
	openblas=
fi

go test -c -o "$tmp/kernels.test" ./kernels/
for round in $(seq "$rounds"); do
	for t in 1 2; do
		echo "round $round, $t thread(s)" >&2
		GOMAXPROCS=$t "$tmp/kernels.test" -test.run '^$' -test.bench 'Gemm/f32/' -test.benchtime 1s |
			awk -v t="$t" '/^BenchmarkGemm/ {
				split($1, p, "n="); sub(/-[0-9]+$/, "", p[2]); cpu = 0
				for (i = 1; i < NF; i++) { if ($(i+1) == "GFLOP/s") g = $i; if ($(i+1) == "cpu-GFLOP/s") cpu = $i }
				print "nnc", t, p[2], g, cpu }' >>"$tmp/raw"
		(
			unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
			export OPENBLAS_NUM_THREADS=$t
			if [[ -n $openblas ]]; then export LD_LIBRARY_PATH=$openblas${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}; fi
			/usr/bin/python3 bench/sgemm_numpy.py --sizes "$sizes" --seconds 0.5 --repeat 3
		) >"$tmp/numpy.out"
		grep '^#' "$tmp/numpy.out" >"$tmp/numpy.info" || true
		awk -v t="$t" '/^numpy/ {
			sub(/n=/, "", $3); cpu = 0
			for (i = 1; i < NF; i++) { if ($(i+1) == "GFLOP/s") g = $i; if ($(i+1) == "cpu-GFLOP/s") cpu = $i }
			print "numpy", t, $3, g, cpu }' "$tmp/numpy.out" >>"$tmp/raw"
	done
done

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $(go env GOVERSION); best of $rounds rounds"
sed 's/^# */NumPy: /' "$tmp/numpy.info"
echo
awk '
	{
		k = $2 " " $3; seen[k] = 1
		if ($4 > best[$1, k]) best[$1, k] = $4
		if ($5 > cpu[$1, k]) cpu[$1, k] = $5
	}
	END {
		print "| threads | n | nnc GFLOP/s | NumPy GFLOP/s | nnc/NumPy | nnc cpu-GFLOP/s | NumPy cpu-GFLOP/s | nnc/NumPy (cpu) |"
		print "|---:|---:|---:|---:|---:|---:|---:|---:|"
		for (t = 1; t <= 2; t++)
			for (n = 128; n <= 2048; n *= 2) {
				k = t " " n
				if (!(k in seen)) continue
				line = sprintf("| %d | %d | %.1f | %.1f | %.2f |", t, n, best["nnc", k], best["numpy", k], best["nnc", k] / best["numpy", k])
				if (cpu["nnc", k] > 0 && cpu["numpy", k] > 0)
					line = line sprintf(" %.1f | %.1f | %.2f |", cpu["nnc", k], cpu["numpy", k], cpu["nnc", k] / cpu["numpy", k])
				else
					line = line " | | |"
				print line
			}
	}' "$tmp/raw"
