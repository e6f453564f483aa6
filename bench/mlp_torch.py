"""PyTorch reference of bench/mlp.nn: MLP 784-512-512-10, batch 128, f32.

Times one training step (forward, cross entropy, backward, SGD lr 0.01 or
Adam lr 1e-3) and inference (forward under no_grad) with 1 and 2 threads.
"""
import sys

import torch

from torch_common import run


def make():
    return torch.nn.Sequential(
        torch.nn.Linear(784, 512), torch.nn.ReLU(),
        torch.nn.Linear(512, 512), torch.nn.ReLU(),
        torch.nn.Linear(512, 10))


if __name__ == "__main__":
    threads = [int(t) for t in sys.argv[1:]] or [1, 2]
    g = torch.Generator().manual_seed(1)
    x = torch.rand(128, 784, generator=g)
    y = torch.randint(0, 10, (128,), generator=g)
    run("mlp", make, x, y, threads)
