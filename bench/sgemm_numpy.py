"""Times NumPy's float32 matmul C = A @ B at the sizes of nnc's BenchmarkGemm.

Run by bench/gemm.sh; the thread count comes from OPENBLAS_NUM_THREADS. Each
size is timed as the mean of a loop of at least --seconds, the best of
--repeat loops, and printed as GFLOP/s (2*n^3 operations per product). With
one thread, OpenBLAS computes on the calling thread, so the script also prints
cpu GFLOP/s by that thread's CPU time, which other processes on a shared
machine do not inflate (as nnc's BenchmarkGemm does with GOMAXPROCS=1).
"""

import argparse
import ctypes
import os
import time

import numpy as np


def openblas_info():
    """The OpenBLAS core (kernel set) and configuration NumPy runs, read from
    the loaded library; None when NumPy is not linked to OpenBLAS."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line}
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            threads = lib.openblas_get_num_threads()
            return path, lib.openblas_get_corename().decode(), lib.openblas_get_config().decode(), threads
        except (OSError, AttributeError):
            continue
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="128,256,512,1024,2048")
    ap.add_argument("--seconds", type=float, default=0.5)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    np.ones((64, 64), np.float32) @ np.ones((64, 64), np.float32)  # load BLAS
    info = openblas_info()
    if info is None:
        print("# numpy", np.__version__, "without OpenBLAS; its configuration:")
        np.show_config()
    else:
        path, core, config, threads = info
        print(f"# numpy {np.__version__}, OpenBLAS {path}: core {core}, threads {threads}, config {config}")

    rng = np.random.default_rng(1)
    for n in (int(s) for s in args.sizes.split(",")):
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        c = np.empty((n, n), np.float32)
        np.matmul(a, b, out=c)
        best = best_cpu = float("inf")
        for _ in range(args.repeat):
            reps, t0, c0 = 0, time.perf_counter(), time.thread_time()
            while True:
                np.matmul(a, b, out=c)
                reps += 1
                elapsed = time.perf_counter() - t0
                if elapsed >= args.seconds:
                    break
            best = min(best, elapsed / reps)
            best_cpu = min(best_cpu, (time.thread_time() - c0) / reps)
        flop = 2 * n**3
        line = f"numpy f32 n={n} {best * 1e9:.0f} ns/op {flop / best / 1e9:.2f} GFLOP/s"
        if os.environ.get("OPENBLAS_NUM_THREADS") == "1" and best_cpu > 0:
            line += f" {flop / best_cpu / 1e9:.2f} cpu-GFLOP/s"
        print(line)


if __name__ == "__main__":
    main()
