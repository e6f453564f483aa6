"""PyTorch reference of bench/lstm.nn: a one-layer LSTM (batch_first), or
GRU with "gru" first, a dense head on the last step, cross entropy over 10
classes, plain SGD lr 0.01, f32, one thread (THREADS=N in the environment:
N threads).

    python3 lstm_torch.py [lstm|gru] IN HIDDEN T BATCH [IN HIDDEN T BATCH ...]

prints "torch lstm IN_HIDDEN_T_BATCH threads=N median_ms=... cpu_ms=... cpu_min=...
cpu_max=..." (or "torch gru ...") per size (wall and process CPU time per
step) (default 64 128 50 32). With FLUSH_DENORMAL=1 in the environment it
calls torch.set_flush_denormal(True) first, as nnc's f32 products flush
subnormals (docs/language.md); the line then says "flush=1".
"""
import os
import statistics
import sys
import time

import torch
from torch_threads import set_threads

from torch_common import step_fn


def timed(fn, reps=5, min_s=0.3):
    """Median and spread over reps of the wall and CPU (process) time per
    call, each rep a batch of calls lasting about min_s, after warm-up."""
    for _ in range(3):
        fn()
    n = 1
    while True:
        t = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - t >= min_s / 4:
            break
        n *= 2
    wall, cpu = [], []
    for _ in range(reps):
        t, c = time.perf_counter(), time.process_time()
        for _ in range(n):
            fn()
        wall.append((time.perf_counter() - t) / n * 1e3)
        cpu.append((time.process_time() - c) / n * 1e3)
    return statistics.median(wall), statistics.median(cpu), min(cpu), max(cpu)


class Net(torch.nn.Module):
    def __init__(self, n_in, hidden, cell=torch.nn.LSTM):
        super().__init__()
        self.rnn = cell(n_in, hidden, batch_first=True)
        self.head = torch.nn.Linear(hidden, 10)

    def forward(self, x):
        hs, _ = self.rnn(x)
        return self.head(hs[:, -1])


if __name__ == "__main__":
    argv = sys.argv[1:]
    kind = argv.pop(0) if argv[:1] in (["lstm"], ["gru"]) else "lstm"
    cell = torch.nn.GRU if kind == "gru" else torch.nn.LSTM
    args = [int(a) for a in argv] or [64, 128, 50, 32]
    threads = int(os.environ.get("THREADS", "1"))
    set_threads(threads)
    flush = os.environ.get("FLUSH_DENORMAL") == "1"
    if flush and not torch.set_flush_denormal(True):
        sys.exit("torch.set_flush_denormal is not supported on this processor")
    for k in range(0, len(args), 4):
        n_in, hidden, t, batch = args[k:k + 4]
        torch.manual_seed(0)
        g = torch.Generator().manual_seed(1)
        x = torch.rand(batch, t, n_in, generator=g)
        y = torch.randint(0, 10, (batch,), generator=g)
        model = Net(n_in, hidden, cell)
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        wall, cpu, lo, hi = timed(step_fn(model, x, y, opt))
        print(f"torch {kind} {n_in}_{hidden}_{t}_{batch} threads={threads}{' flush=1' if flush else ''} median_ms={wall:.3f} "
              f"cpu_ms={cpu:.3f} cpu_min={lo:.3f} cpu_max={hi:.3f}", flush=True)
