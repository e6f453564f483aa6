#!/usr/bin/env bash
# Runs nnc's sgemm benchmark and NumPy's matmul side by side, on 1 and 2
# threads (GOMAXPROCS for Go, OPENBLAS_NUM_THREADS for OpenBLAS), ROUNDS times
# (default 2), and prints a Markdown table of the best GFLOP/s of each.
#
#	bash bench/gemm.sh            # from the repository root
#	ROUNDS=3 bash bench/gemm.sh
#
# NumPy runs with /usr/bin/python3 (Debian's python3-numpy). Its BLAS is
# whatever libblas.so.3 points to; when Debian's OpenBLAS is installed
# (apt-get install libopenblas0-pthread) the script loads it explicitly, and
# the report names the OpenBLAS core it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-2}
sizes=128,256,512,1024,2048
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT

openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread
if [[ ! -e $openblas/libblas.so.3 ]]; then
	echo "warning: Debian's OpenBLAS is not installed; NumPy runs the BLAS that libblas.so.3 points to" >&2
	openblas=
fi

go test -c -o "$raw.test" ./runtime/kernels/
for round in $(seq "$rounds"); do
	for t in 1 2; do
		GOMAXPROCS=$t "$raw.test" -test.run '^$' -test.bench 'Gemm/f32/' -test.benchtime 1s |
			awk -v t="$t" '/^BenchmarkGemm/ { split($1, p, "n="); sub(/-[0-9]+$/, "", p[2]); print "nnc", t, p[2], $(NF-1) }' >>"$raw"
		(
			unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
			export OPENBLAS_NUM_THREADS=$t
			[[ -n $openblas ]] && export LD_LIBRARY_PATH=$openblas${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
			/usr/bin/python3 bench/sgemm_numpy.py --sizes "$sizes" --seconds 0.5 --repeat 3
		) | tee >(grep '^#' >&2) | awk -v t="$t" '/^numpy/ { sub(/n=/, "", $3); print "numpy", t, $3, $(NF-1) }' >>"$raw"
	done
done
rm -f "$raw.test"

echo
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; go $(go env GOVERSION); best of $rounds rounds"
echo
awk '
	{ k = $2 " " $3; if ($4 > best[$1, k]) best[$1, k] = $4; seen[k] = 1 }
	END {
		print "| threads | n | nnc GFLOP/s | NumPy GFLOP/s | nnc/NumPy |"
		print "|---:|---:|---:|---:|---:|"
		for (t = 1; t <= 2; t++)
			for (n = 128; n <= 2048; n *= 2) {
				k = t " " n
				if (!(k in seen)) continue
				printf "| %d | %d | %.1f | %.1f | %.2f |\n", t, n, best["nnc", k], best["numpy", k], best["nnc", k] / best["numpy", k]
			}
	}' "$raw"
