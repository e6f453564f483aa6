"""Writes mnist_small/: the first 2,000 images of MNIST's official training
set and the first 500 of its official test set, with their labels, as
gzipped IDX files named as the official ones, so that nnc's mnist("dir")
and idx(...) read them. The brief tests of models/ (TestMnistMLP,
TestLeNet) train on them; models/torch/ trains PyTorch on the same images.

Run with /usr/bin/python3 (NumPy) from models/data/, MNIST downloaded as
mnist_idx.py says:
    /usr/bin/python3 make_mnist_small.py
"""
import hashlib
import os

import mnist_idx

SIZES = {"train": 2000, "test": 500}


def main():
    src = mnist_idx.find_mnist()
    os.makedirs("mnist_small", exist_ok=True)
    for part, n in SIZES.items():
        x, y = mnist_idx.load(src, part)
        for name, a in zip(mnist_idx.FILES[part], (x[:n], y[:n])):
            path = os.path.join("mnist_small", name)
            mnist_idx.write_idx(path, a)
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            print(f"{path}: {a.shape} {os.path.getsize(path)} bytes sha256 {digest}")
        print(part, "classes", [int((y[:n] == c).sum()) for c in range(10)])


if __name__ == "__main__":
    main()
