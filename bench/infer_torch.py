"""PyTorch side of bench/infer.sh: inference of bench/mlp.nn's model at
batch 1, 8 and 128 and of bench/convnet.nn's and models/lenet.nn's at batch
1, 8 and 64, on one thread, under no_grad (lenet's dropout is off in eval
mode, as in nnc's forward pass).

Prints "torch NAME batch=B median_ms=... best_ms=... cpu_ms=..." per model
and batch (torch_common.median_ms: median and best of 7 batches of calls
lasting at least 0.3 s, after 10 warm-up calls; cpu_ms: the process's CPU
time per call over those calls).
"""
import time

import torch
from torch_threads import set_threads

from torch_common import infer_fn, median_ms


def mlp():
    return torch.nn.Sequential(
        torch.nn.Linear(784, 512), torch.nn.ReLU(),
        torch.nn.Linear(512, 512), torch.nn.ReLU(),
        torch.nn.Linear(512, 10))


def convnet():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(64 * 7 * 7, 10))


def lenet():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(64 * 7 * 7, 128), torch.nn.ReLU(),
        torch.nn.Dropout(0.25), torch.nn.Linear(128, 10))


if __name__ == "__main__":
    set_threads(1)
    g = torch.Generator().manual_seed(1)
    for name, make, sample, batches in [("mlp", mlp, (784,), (1, 8, 128)),
                                        ("convnet", convnet, (1, 28, 28), (1, 8, 64)),
                                        ("lenet", lenet, (1, 28, 28), (1, 8, 64))]:
        torch.manual_seed(0)
        model = make().eval()
        for batch in batches:
            x = torch.rand((batch,) + sample, generator=g)
            fn, calls = infer_fn(model, x), [0]

            def counted():
                calls[0] += 1
                fn()
            c0 = time.process_time()
            med, best = median_ms(counted)
            cpu = (time.process_time() - c0) / calls[0] * 1e3
            print(f"torch {name} batch={batch} median_ms={med:.4f} best_ms={best:.4f} cpu_ms={cpu:.4f}")
