"""Writes fashion_small/: the first 2,000 images of Fashion-MNIST's official
training set and the first 500 of its official test set, with their labels,
as gzipped IDX files named as the official ones, so that nnc's
fashion_mnist("dir") and idx(...) read them. The brief tests of models/
(TestFashionCNNSmall, TestResNetSmallSmall) train on them;
models/torch/fashion_cnn.py and resnet_small.py train PyTorch on the same
images.

Run with /usr/bin/python3 (NumPy) from models/data/, with Debian's
dataset-fashion-mnist installed (or FASHION_MNIST=dir naming the four
official files):
    /usr/bin/python3 make_fashion_small.py
"""
import gzip
import hashlib
import os
import struct

import numpy as np

SRC = os.environ.get("FASHION_MNIST", "/usr/share/datasets/fashion-mnist")
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
SIZES = {"train": 2000, "test": 500}


def read_idx(path):
    """Reads a gzipped IDX file of unsigned bytes as a NumPy array."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw[4 + 4 * ndim:], np.uint8).reshape(dims)


def write_idx(path, a):
    """Writes a uint8 array as a gzipped IDX file (mtime 0: reproducible)."""
    head = struct.pack(">HBB", 0, 0x08, a.ndim) + struct.pack(">" + "I" * a.ndim, *a.shape)
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as f:
            f.write(head + a.astype(np.uint8).tobytes())


def main():
    os.makedirs("fashion_small", exist_ok=True)
    for part, n in SIZES.items():
        x = read_idx(os.path.join(SRC, FILES[part][0]))
        y = read_idx(os.path.join(SRC, FILES[part][1]))
        for name, a in zip(FILES[part], (x[:n], y[:n])):
            path = os.path.join("fashion_small", name)
            write_idx(path, a)
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            print(f"{path}: {a.shape} {os.path.getsize(path)} bytes sha256 {digest}")
        print(part, "classes", [int((y[:n] == c).sum()) for c in range(10)])


if __name__ == "__main__":
    main()
