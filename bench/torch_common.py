"""Shared timing for the PyTorch references of bench/step.sh."""
import statistics
import time

import torch
from torch_threads import set_threads


def median_ms(fn, warmup=10, reps=7, min_s=0.3):
    """Median and best over reps of the mean time of fn in a batch of calls
    lasting min_s."""
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
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        times.append((time.perf_counter() - t) / n * 1e3)
    return statistics.median(times), min(times)


def step_fn(model, x, y, optimizer):
    """One training step: forward, cross entropy, backward, update."""
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    return step


def infer_fn(model, x):
    def infer():
        with torch.no_grad():
            model(x)
    return infer


def run(name, make_model, x, y, threads):
    for t in threads:
        set_threads(t)
        torch.manual_seed(0)
        model = make_model()
        for opt_name, make_opt in [("sgd", lambda p: torch.optim.SGD(p, lr=0.01)),
                                   ("adam", lambda p: torch.optim.Adam(p, lr=1e-3))]:
            if name == "convnet" and opt_name == "adam":
                continue
            med, best = median_ms(step_fn(model, x, y, make_opt(model.parameters())))
            print(f"torch {name} step-{opt_name} threads={t} median_ms={med:.3f} best_ms={best:.3f}")
        med, best = median_ms(infer_fn(model, x))
        print(f"torch {name} inference threads={t} median_ms={med:.3f} best_ms={best:.3f}")
