"""Writes preprocess_expect.json: inputs and the statistics and outputs of
standardization, min-max scaling, one-hot and label encoding, computed
with NumPy and math.fsum (not nnc) by the rules docs/data.md states.

Run with /usr/bin/python3 (NumPy) from this directory:

    /usr/bin/python3 make_preprocess.py
"""
import json
import math

import numpy as np

rng = np.random.default_rng(11)


def f32_list(a):
    return [float(v) for v in np.asarray(a, dtype=np.float32).ravel()]


def f64_list(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def fit(x):
    """x: float64 [n, f] (the values the model sees). Mean and std by
    exactly rounded sums; a constant feature has its value as mean, std 0."""
    n, f = x.shape
    mean, std, lo, hi = [], [], [], []
    for j in range(f):
        col = x[:, j]
        lo.append(float(col.min()))
        hi.append(float(col.max()))
        if col.min() == col.max():
            mean.append(float(col[0]))
            std.append(0.0)
            continue
        m = math.fsum(col) / n
        mean.append(m)
        std.append(math.sqrt(math.fsum((col - m) ** 2) / n))
    mean, std = np.array(mean), np.array(std)
    # Sanity: NumPy's own mean and std agree to rounding.
    assert np.allclose(mean, x.mean(axis=0), rtol=1e-13, atol=1e-300)
    assert np.allclose(std, x.std(axis=0), rtol=1e-12, atol=1e-12)
    return mean, std, np.array(lo), np.array(hi)


def standardize(x, mean, std):
    s = np.where(std == 0, 1.0, std)
    return (x - mean) / s


def minmax(x, lo, hi, low, high):
    r = np.where(hi - lo == 0, 1.0, hi - lo)
    return low + (x - lo) / r * (high - low)


out = {}

# f32 features: normal, a large offset, a constant 0.1 (f32), integers, tiny.
n_train, n_test, f = 30, 10, 5
x = np.empty((n_train + n_test, f), dtype=np.float32)
x[:, 0] = rng.normal(2.0, 3.0, size=n_train + n_test)
x[:, 1] = 1e4 + rng.normal(0, 1e-2, size=n_train + n_test)
x[:, 2] = np.float32(0.1)
x[:, 3] = rng.integers(-5, 6, size=n_train + n_test)
x[:, 4] = rng.normal(0, 1e-6, size=n_train + n_test)
x[n_train + 3, 2] = np.float32(0.7)  # a test value where train is constant
train, test = x[:n_train].astype(np.float64), x[n_train:].astype(np.float64)
mean, std, lo, hi = fit(train)
out["f32"] = {
    "shape": [f],
    "train": f32_list(x[:n_train]),
    "test": f32_list(x[n_train:]),
    "mean": f64_list(mean), "std": f64_list(std), "min": f64_list(lo), "max": f64_list(hi),
    "std_train": f32_list(standardize(train, mean, std)),
    "std_test": f32_list(standardize(test, mean, std)),
    "minmax_test": f32_list(minmax(test, lo, hi, -1.0, 2.0)),
    "minmax01_train": f32_list(minmax(train, lo, hi, 0.0, 1.0)),
}

# f64 features [N, 2, 2]: stay f64.
x64 = rng.normal(-1.0, 0.5, size=(12, 2, 2))
t64 = x64.reshape(12, 4)
mean, std, lo, hi = fit(t64[:8])
out["f64"] = {
    "train": f64_list(x64[:8]), "test": f64_list(x64[8:]),
    "mean": f64_list(mean), "std": f64_list(std),
    "std_test": f64_list(standardize(t64[8:], mean, std)),
}

# Byte images [12, 2, 3] read as f32 times 1/255: statistics of the f32
# values (float32(v * (1/255))), as the model sees them.
u8 = rng.integers(0, 256, size=(12, 2, 3), dtype=np.uint8)
u8[:, 0, 0] = 7  # a constant pixel
vals = (u8.astype(np.float64) * (1.0 / 255)).astype(np.float32).astype(np.float64).reshape(12, 6)
mean, std, lo, hi = fit(vals[:9])
out["bytes"] = {
    "data": [int(v) for v in u8.ravel()],
    "mean": f64_list(mean), "std": f64_list(std),
    "std_all": f32_list(standardize(vals, mean, std)),
}

# One-hot: columns 1 and 3 of x [6, 4] hold ids; classes fitted on the
# first 4 rows (col 1: ids 0..2 -> 3; col 3: ids 0..1 -> 2).
oh = np.array([[0.5, 0, 1.5, 1],
               [1.5, 2, 2.5, 0],
               [2.5, 1, 3.5, 0],
               [3.5, 0, 4.5, 1],
               [4.5, 2, 5.5, 1],
               [5.5, 1, 6.5, 0]], dtype=np.float32)
cols, classes = [1, 3], [3, 2]
rows = []
for r in oh:
    row = []
    for j, v in enumerate(r):
        if j in cols:
            k = classes[cols.index(j)]
            row.extend(np.eye(k, dtype=np.float32)[int(v)])
        else:
            row.append(v)
    rows.append(row)
expanded = np.array(rows, dtype=np.float32)
mean, std, lo, hi = fit(expanded[:4].astype(np.float64))
out["one_hot"] = {
    "x": f32_list(oh), "columns": cols, "classes": classes,
    "expanded": f32_list(expanded),
    "mean": f64_list(mean), "std": f64_list(std),
    "std_all": f32_list(standardize(expanded.astype(np.float64), mean, std)),
}
labels = np.array([3, 0, 2, 2, 1], dtype=np.int32)
out["one_hot_labels"] = {"y": [int(v) for v in labels], "classes": 4,
                         "onehot": f32_list(np.eye(4, dtype=np.float32)[labels])}

# Label encoding: sorted distinct strings (Python's sort of str is by code
# point, as Go's sort.Strings of UTF-8 bytes).
words = ["pear", "apple", " fig", "pear", "Zebra", "apple", "éclair"]
stripped = [w.strip() for w in words]
cats = sorted(set(stripped))
out["labels"] = {"values": words, "categories": cats, "ids": [cats.index(w) for w in stripped]}

with open("preprocess_expect.json", "w") as fh:
    json.dump(out, fh, indent=1)
    fh.write("\n")
