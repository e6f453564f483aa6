"""PyTorch side of models/resnet_small.nn: the same residual network (a 3x3
stem of 16 channels with batch norm and relu; two blocks 16->32 and 32->64,
each conv 3x3 of stride 2, batch norm, relu, conv 3x3, batch norm, plus a
1x1 convolution of stride 2 with batch norm as the shortcut, then relu;
global average pooling; 10 logits; every convolution with a bias, as
std/nn's Conv2D), initialized as nnc's std/nn does, on Fashion-MNIST with
the same augmentation, SGD (lr 0.1, Nesterov momentum 0.9, weight decay
5e-4 on every parameter, PyTorch's rule as nnc's) with a per-step cosine to
0, batches of 128, float32, one thread. Data, augmentation, modes and the
training loop are fashion_cnn.py's:

    /usr/bin/python3 resnet_small.py small|short|full    # from models/torch/

writes resnet_small.json.
"""
import os

import torch
from torch import nn

import fashion_cnn


class Block(nn.Module):
    """resnet_small.nn's Block."""

    def __init__(self, c_in, c_out, stride=2):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.proj = nn.Conv2d(c_in, c_out, 1, stride=stride)
        self.bnp = nn.BatchNorm2d(c_out)

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return torch.relu(h + self.bnp(self.proj(x)))


def resnet_small():
    """resnet_small.nn's ResNetSmall."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        Block(16, 32), Block(32, 64),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


def sgd(params):
    """resnet_small.nn's optimizer."""
    return torch.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)


if __name__ == "__main__":
    fashion_cnn.main("models/resnet_small.nn", resnet_small, sgd,
                     os.path.join(os.path.dirname(os.path.abspath(__file__)), "resnet_small.json"), 8)
