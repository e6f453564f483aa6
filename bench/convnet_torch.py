"""PyTorch reference of bench/convnet.nn, batch 64, f32: conv 3x3 (pad 1)
to 32, relu, max pool 2, conv 3x3 (pad 1) to 64, relu, max pool 2, flatten,
linear to 10.

Times one training step (forward, cross entropy, backward, SGD lr 0.01) and
inference (forward under no_grad) with 1 and 2 threads.
"""
import sys

import torch

from torch_common import run


def make():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(64 * 7 * 7, 10))


if __name__ == "__main__":
    threads = [int(t) for t in sys.argv[1:]] or [1, 2]
    g = torch.Generator().manual_seed(1)
    x = torch.rand(64, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (64,), generator=g)
    run("convnet", make, x, y, threads)
