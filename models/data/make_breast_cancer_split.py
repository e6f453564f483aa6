"""Divide breast_cancer.csv (the Wisconsin diagnostic breast cancer set as
scikit-learn 1.2.1 ships it, ../../../shared/data/breast_cancer.csv) into
the training, validation and test files that models/tabular_mlp.nn and
models/torch/tabular_mlp.py read.

The split is stratified by the label, 60/20/20: the rows of each class,
in the order of numpy.random.RandomState(0).permutation of that class's
row numbers (class 0 first), give round(0.6·n) rows to training, the next
round(0.2·n) to validation and the rest to test (341 training, 113
validation, 115 test rows; each file in the original row order). Values
are written as read (Python's shortest repr of each float); the header
names the 30 features as scikit-learn does and the label "target" (0:
malignant, 1: benign), last.

Run with /usr/bin/python3 (numpy) from models/data/:
    /usr/bin/python3 make_breast_cancer_split.py [path/to/breast_cancer.csv]
"""
import sys

import numpy as np

src = sys.argv[1] if len(sys.argv) > 1 else "../../../shared/data/breast_cancer.csv"
rows = np.loadtxt(src, delimiter=",", skiprows=1)
x, y = rows[:, :-1], rows[:, -1].astype(int)
names = [f"{kind}{f}" for kind in ("mean ", "", "worst ") for f in (
    "radius", "texture", "perimeter", "area", "smoothness", "compactness",
    "concavity", "concave points", "symmetry", "fractal dimension")]
names = names[:10] + [n + " error" for n in names[10:20]] + names[20:]
assert x.shape == (569, 30) and len(names) == 30

rng = np.random.RandomState(0)
train, val, test = [], [], []
for c in (0, 1):
    rows_c = np.flatnonzero(y == c)[rng.permutation(int((y == c).sum()))]
    n_train, n_val = round(0.6 * len(rows_c)), round(0.2 * len(rows_c))
    train += list(rows_c[:n_train])
    val += list(rows_c[n_train:n_train + n_val])
    test += list(rows_c[n_train + n_val:])
train, val, test = sorted(train), sorted(val), sorted(test)

for name, part in (("train", train), ("val", val), ("test", test)):
    with open(f"breast_cancer_{name}.csv", "w") as f:
        f.write(",".join(names + ["target"]) + "\n")
        for i in part:
            f.write(",".join(repr(float(v)) for v in x[i]) + f",{y[i]}\n")
    print(name, len(part), "rows, class counts", np.bincount(y[part]).tolist())
