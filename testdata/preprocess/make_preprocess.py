"""Writes the CSV files of the train block's preprocess tests and, with
NumPy and math.fsum (not nnc), the statistics of the training file and the
test file as the model sees it once preprocessed:

- train.csv, test.csv: features a, b, c (different scales) and a label y;
  std.json the mean and population std of train.csv's features, and
  test_std.csv the test file standardized with them.
- cat_train.csv, cat_test.csv: features a, colour (text, a categorical
  column: ids in the sorted order of the strings), b, and y; test_mm.csv the
  test file with colour one-hot encoded (3 classes) and every column
  min-max scaled to [-1, 1] with the training file's minimum and maximum.

Run with /usr/bin/python3 (NumPy) from this directory:

    /usr/bin/python3 make_preprocess.py
"""
import json
import math

import numpy as np

rng = np.random.default_rng(3)


def f32(a):
    return np.asarray(a, dtype=np.float32)


def write_csv(path, header, rows):
    with open(path, "w") as fh:
        fh.write(",".join(header) + "\n")
        for r in rows:
            fh.write(",".join(str(v) for v in r) + "\n")


def fit(x):
    n = x.shape[0]
    mean = np.array([math.fsum(x[:, j]) / n for j in range(x.shape[1])])
    std = np.array([math.sqrt(math.fsum((x[:, j] - mean[j]) ** 2) / n) for j in range(x.shape[1])])
    assert np.allclose(mean, x.mean(axis=0), rtol=1e-13) and np.allclose(std, x.std(axis=0), rtol=1e-12)
    return mean, std


def rows_of(x, y):
    return [[repr(float(v)) for v in r] + [int(l)] for r, l in zip(x, y)]


# Standardization: features on three scales, labels from a linear rule.
def numeric(n):
    x = np.stack([rng.normal(5, 2, n), rng.normal(-300, 50, n), rng.uniform(0, 1e-3, n)], axis=1)
    x = f32(x).astype(np.float64)  # the values nnc reads (f32)
    y = (x[:, 0] - 5 + (x[:, 1] + 300) / 25 > 0).astype(int) + (x[:, 2] > 5e-4).astype(int)
    return x, y


xtr, ytr = numeric(60)
xte, yte = numeric(20)
write_csv("train.csv", ["a", "b", "c", "y"], rows_of(xtr, ytr))
write_csv("test.csv", ["a", "b", "c", "y"], rows_of(xte, yte))
mean, std = fit(xtr)
with open("std.json", "w") as fh:
    json.dump({"mean": list(mean), "std": list(std)}, fh, indent=1)
    fh.write("\n")
write_csv("test_std.csv", ["a", "b", "c", "y"], rows_of(f32((xte - mean) / std).astype(np.float64), yte))

# One-hot and min-max: colour is a text column.
colours = np.array(["blue", "green", "red"])


def categorical(n):
    a = f32(rng.normal(0, 3, n)).astype(np.float64)
    b = f32(rng.uniform(10, 20, n)).astype(np.float64)
    c = rng.integers(0, 3, n)
    c[:3] = [0, 1, 2]  # every colour in every file: ids mean the same
    y = (c + (a > 0)) % 3
    return a, c, b, y


def expanded(a, c, b):
    return np.column_stack([a, np.eye(3)[c], b])


a, c, b, y = categorical(45)
write_csv("cat_train.csv", ["a", "colour", "b", "y"], [[repr(float(a[i])), colours[c[i]], repr(float(b[i])), int(y[i])] for i in range(45)])
lo, hi = expanded(a, c, b).min(axis=0), expanded(a, c, b).max(axis=0)
a, c, b, y = categorical(15)
write_csv("cat_test.csv", ["a", "colour", "b", "y"], [[repr(float(a[i])), colours[c[i]], repr(float(b[i])), int(y[i])] for i in range(15)])
r = np.where(hi - lo == 0, 1.0, hi - lo)
mm = f32(-1 + (expanded(a, c, b) - lo) / r * 2).astype(np.float64)
write_csv("test_mm.csv", ["a", "blue", "green", "red", "b", "y"], rows_of(mm, y))

# A graph's node features: statistics of the training nodes only (the
# Cora subgraph of ../train/cora_small.npz, features as stored, dense).
z = np.load("../train/cora_small.npz")
n, f = z["attr_shape"]
dense = np.zeros((n, f))
for i in range(n):
    for k in range(z["attr_indptr"][i], z["attr_indptr"][i + 1]):
        dense[i, z["attr_indices"][k]] += z["attr_data"][k]
train_rows = dense[z["train_mask"]]
mean, std = fit(train_rows)
with open("cora_small_stats.json", "w") as fh:
    json.dump({"rows": int(z["train_mask"].sum()), "mean": list(mean), "std": list(std)}, fh)
    fh.write("\n")
