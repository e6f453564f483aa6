"""PyTorch side of models/lenet.nn: the same network (3x3 convolutions of
32 and 64 channels, padded, each followed by relu and 2x2 max pooling; a
dense layer of 128, relu, dropout 0.25; 10 logits), He-uniform kernels
(kaiming_uniform_ for relu: U(±√(6/fan_in))), Glorot-uniform dense weights,
zero biases, the official MNIST split (pixels / 255), cross entropy, Adam
(lr 1e-3, constant), batches of 128 reshuffled every epoch, in float32.
The training loop, the data and the json are mnist_mlp.py's:

    /usr/bin/python3 lenet.py small       # TestLeNet's brief run (3 epochs on data/mnist_small), seeds 0-4
    /usr/bin/python3 lenet.py full 0      # the model's 5 epochs, seed 0, one thread
    /usr/bin/python3 lenet.py first 0     # TestLeNetEpoch's run: one epoch of it
    /usr/bin/python3 lenet.py threads     # seed 0 on two threads, 1 epoch (time only)
    /usr/bin/python3 lenet.py aug 0       # a recipe for 99.2%: augmentation and a cosine, AUG_EPOCHS epochs

aug trains the same network with each training image rotated by a uniform
angle in [-10, 10] degrees and shifted by a uniform fraction in [-0.1,
0.1] of its width and height (bilinear, zeros outside: nnc's augment(rotate
= 10, translate = 0.1)), Adam 1e-3 with a per-step cosine to 0, for
AUG_EPOCHS epochs, and records the run under "aug" in lenet.json.
"""
import json
import math
import os
import sys

import torch
from torch import nn

from mnist_mlp import HERE, main, tensors, train
import mnist_idx  # noqa: E402 (mnist_mlp puts data/ on the path)

AUG_EPOCHS = 10


def augment(x, rotate=10.0, translate=0.1):
    """Rotates and shifts every image of x [N, 1, H, W] at random."""
    n = len(x)
    a = (torch.rand(n) * 2 - 1) * math.radians(rotate)
    t = (torch.rand(n, 2) * 2 - 1) * translate * 2  # grid units: the image spans [-1, 1]
    c, s = torch.cos(a), torch.sin(a)
    theta = torch.stack([torch.stack([c, -s, -(c * t[:, 0] - s * t[:, 1])], 1),
                         torch.stack([s, c, -(s * t[:, 0] + c * t[:, 1])], 1)], 1)
    grid = nn.functional.affine_grid(theta, list(x.shape), align_corners=False)
    return nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def lenet(p=0.25):
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(p),
        nn.Linear(128, 10))
    for m in model:
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_uniform_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def aug(seeds):
    """The augmented, cosine run of each seed, one thread, into lenet.json's "aug"."""
    path = os.path.join(HERE, "lenet.json")
    data = tensors(mnist_idx.find_mnist())
    runs = [train(lenet, data, int(s), AUG_EPOCHS, cosine=True, augment=augment) for s in seeds]
    with open(path) as f:
        out = json.load(f)
    out["aug"] = {"settings": "augment(rotate = 10, translate = 0.1), Adam 1e-3, cosine, %d epochs" % AUG_EPOCHS,
                  "runs": runs}
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "aug":
        aug(sys.argv[2:] or ["0"])
        sys.exit()
    main(lenet, "lenet", full_epochs=5, small_epochs=3, threads_epochs=1, cosine=False, small_seeds=5)
