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


# The products of a training step of the MLP 784-512-512-10 on batches of
# 128, as nnc's BenchmarkGemmMLP: name, M, N, K, op(A) transposed, op(B)
# transposed (timed on transposed views, as a framework's backward pass
# multiplies them).
MLP_SHAPES = [
    ("x.W1", 128, 512, 784, False, False),
    ("h1.W2", 128, 512, 512, False, False),
    ("h2.W3", 128, 10, 512, False, False),
    ("dW1", 784, 512, 128, True, False),
    ("dW2", 512, 512, 128, True, False),
    ("dW3", 512, 10, 128, True, False),
    ("dh2", 128, 512, 10, False, True),
    ("dh1", 128, 512, 512, False, True),
]

# one block of bench/transformer.nn's step at d 128, 16 x 64 tokens; the
# same list as kernels' gemmTransformerShapes
TRANSFORMER_SHAPES = [
    ("x.Wqkv", 1024, 384, 128, False, False),
    ("a.Wo", 1024, 128, 128, False, False),
    ("h.Wup", 1024, 512, 128, False, False),
    ("u.Wdown", 1024, 128, 512, False, False),
    ("dWqkv", 128, 384, 1024, True, False),
    ("dWo", 128, 128, 1024, True, False),
    ("dWup", 128, 512, 1024, True, False),
    ("dWdown", 512, 128, 1024, True, False),
    ("dx.qkv", 1024, 128, 384, False, True),
    ("da.o", 1024, 128, 128, False, True),
    ("dh.up", 1024, 128, 512, False, True),
    ("du.down", 1024, 512, 128, False, True),
]


def time_product(a, b, c, seconds, repeat):
    """Best mean wall and thread-CPU seconds of np.matmul(a, b, out=c)."""
    np.matmul(a, b, out=c)
    best = best_cpu = float("inf")
    for _ in range(repeat):
        reps, t0, c0 = 0, time.perf_counter(), time.thread_time()
        while True:
            np.matmul(a, b, out=c)
            reps += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= seconds:
                break
        best = min(best, elapsed / reps)
        best_cpu = min(best_cpu, (time.thread_time() - c0) / reps)
    return best, best_cpu


def shapes(args, label, table):
    """Times each product of table; prints per-product and total times."""
    rng = np.random.default_rng(2)
    total = total_cpu = 0.0
    for name, m, n, k, ta, tb in table:
        a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
        b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
        c = np.empty((m, n), np.float32)
        wall, cpu = time_product(a.T if ta else a, b.T if tb else b, c, args.seconds, args.repeat)
        total, total_cpu = total + wall, total_cpu + cpu
        print(f"numpy {label} {name} {m}x{n}x{k} {wall * 1e6:.1f} us wall {cpu * 1e6:.1f} us cpu "
              f"{2 * m * n * k / cpu / 1e9:.1f} cpu-GFLOP/s")
    print(f"numpy {label} total {total * 1e6:.1f} us wall {total_cpu * 1e6:.1f} us cpu")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="128,256,512,1024,2048")
    ap.add_argument("--seconds", type=float, default=0.5)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--mlp", action="store_true", help="time the MLP step's products instead")
    ap.add_argument("--transformer", action="store_true", help="time a transformer block's products instead")
    args = ap.parse_args()

    np.ones((64, 64), np.float32) @ np.ones((64, 64), np.float32)  # load BLAS
    info = openblas_info()
    if info is None:
        print("# numpy", np.__version__, "without OpenBLAS; its configuration:")
        np.show_config()
    else:
        path, core, config, threads = info
        print(f"# numpy {np.__version__}, OpenBLAS {path}: core {core}, threads {threads}, config {config}")

    if args.mlp:
        shapes(args, "mlp", MLP_SHAPES)
        return
    if args.transformer:
        shapes(args, "transformer", TRANSFORMER_SHAPES)
        return
    rng = np.random.default_rng(1)
    for n in (int(s) for s in args.sizes.split(",")):
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        c = np.empty((n, n), np.float32)
        best, best_cpu = time_product(a, b, c, args.seconds, args.repeat)
        flop = 2 * n**3
        line = f"numpy f32 n={n} {best * 1e9:.0f} ns/op {flop / best / 1e9:.2f} GFLOP/s"
        if os.environ.get("OPENBLAS_NUM_THREADS") == "1" and best_cpu > 0:
            line += f" {flop / best_cpu / 1e9:.2f} cpu-GFLOP/s"
        print(line)

if __name__ == "__main__":
    main()
