"""PyTorch reference of bench/transformer.nn: two pre-norm
TransformerEncoderLayers (causal self-attention, gelu feed-forward of width
4d, no dropout), a final LayerNorm, the mean over the tokens and a Linear
head to 10 classes, f32.

    /usr/bin/python3 transformer_torch.py [threads]   # from bench/

Times one training step (forward, cross entropy, backward, Adam lr 1e-3) and
inference (forward under no_grad) at the sizes of bench/transformer.go,
printing for each the median wall time and the median CPU time (process
time) per call over 7 batches of calls lasting at least 0.3 s.
"""
import statistics
import sys
import time

import torch
from torch_threads import set_threads

SIZES = [(128, 4, 64, 16), (128, 4, 32, 16), (128, 4, 256, 4), (256, 8, 64, 16), (256, 8, 128, 8)]


class Net(torch.nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.blocks = torch.nn.ModuleList([
            torch.nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, activation="gelu",
                                             batch_first=True, norm_first=True) for _ in range(2)])
        self.ln = torch.nn.LayerNorm(d)
        self.head = torch.nn.Linear(d, 10)

    def forward(self, x, mask):
        for b in self.blocks:
            x = b(x, src_mask=mask)
        return self.head(self.ln(x).mean(dim=1))


def timed(fn, warmup=5, reps=7, min_s=0.3):
    for _ in range(warmup):
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
    return statistics.median(wall), statistics.median(cpu)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    set_threads(threads)
    for d, h, t, b in SIZES:
        torch.manual_seed(0)
        g = torch.Generator().manual_seed(1)
        x = torch.rand(b, t, d, generator=g)
        y = torch.randint(0, 10, (b,), generator=g)
        mask = torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
        model = Net(d, h)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = torch.nn.CrossEntropyLoss()

        def step():
            opt.zero_grad(set_to_none=True)
            loss_fn(model(x, mask), y).backward()
            opt.step()

        def infer():
            with torch.no_grad():
                model(x, mask)
        name = f"d{d}_h{h}_T{t}_B{b}"
        for work, fn in (("step", step), ("inference", infer)):
            wall, cpu = timed(fn)
            print(f"torch transformer {work} {name} threads={threads} median_ms={wall:.3f} cpu_ms={cpu:.3f}", flush=True)


if __name__ == "__main__":
    main()
