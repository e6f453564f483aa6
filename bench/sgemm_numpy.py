"""Times NumPy's float32 matmul C = A @ B at the sizes of nnc's BenchmarkGemm.

Run by bench/gemm.sh; the thread count comes from OPENBLAS_NUM_THREADS. Each
size is timed as the mean of a loop of at least --seconds, the best of
--repeat loops, and printed as GFLOP/s (2*n^3 operations per product).
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
        best = float("inf")
        for _ in range(args.repeat):
            reps, t0 = 0, time.perf_counter()
            while True:
                np.matmul(a, b, out=c)
                reps += 1
                elapsed = time.perf_counter() - t0
                if elapsed >= args.seconds:
                    break
            best = min(best, elapsed / reps)
        print(f"numpy f32 n={n} {best * 1e9:.0f} ns/op {2 * n**3 / best / 1e9:.2f} GFLOP/s")


if __name__ == "__main__":
    main()
