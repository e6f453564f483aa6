"""Kipf & Welling's two-layer GCN on Cora in PyTorch, beside models/gcn.nn.

Same data (models/data/cora.npz), same preprocessing (A' = max(A, A^T),
D^-1/2 (A' + I) D^-1/2 as a torch sparse matrix; features divided by their
row sums, or left as they are with norm "none") and the same split as
gcn.nn's planetoid(20, 500, 1000, seed = S): the split is re-derived here
by nnc's documented rule (data/rng.go's splitmix64 Fisher-Yates
permutation on the stream "planet", then the first 20 nodes of each class
in that order train, the next 500 others validate, the next 1000 test;
train_graph.go's planetoid). The model is K&W's: two graph convolutions,
Glorot-uniform weights, no biases, dropout p on the input and hidden
features, Adam, weight decay wd * sum(W^2) / 2 (tf.nn.l2_loss) on the
first layer (K&W) or on both.

    /usr/bin/python3 torch/gcn.py grid   # from models/: writes torch/gcn_grid.json
    /usr/bin/python3 torch/gcn.py        # from models/: writes torch/gcn.json

"grid" chooses the recipe by validation accuracy only: every setting of
GRID trains on split seeds 0-9 (training seed = split seed) with early
stopping on the validation loss (Keras's rule, as nnc's early_stop: an
epoch improves when its loss is below the best so far; training stops
after PATIENCE epochs in a row without improvement, at most MAX_EPOCHS)
and the parameters of the best validation-loss epoch put back; the
setting with the highest mean validation accuracy wins (the first in GRID
order on a tie). Test accuracy is neither computed nor written there.

The default run reports, for K&W's exact settings (200 epochs, no early
stopping) over training seeds 0-9 on split seed 0 and over split seeds 0-9
(training seed 0), and for the chosen recipe over split seeds 0-9 (each
with its own training seed) and over training seeds 0-9 on split seed 0,
the test accuracy and the CPU time per epoch (one thread).
"""
import itertools
import json
import multiprocessing
import os
import sys
import time

import numpy as np
import scipy.sparse as sp
import torch
from threads import set_threads
import torch.nn.functional as F

M64 = (1 << 64) - 1
PLANETOID_STREAM = 0x706C616E6574


class SplitMix:
    """data/rng.go's generator: splitmix64 seeded with seed ^ stream * C."""

    def __init__(self, seed, stream):
        self.s = (seed ^ (stream * 0xD1B54A32D192ED03)) & M64
        self.next()

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M64
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def intn(self, n):
        limit = ((1 << 64) - n) % n
        while True:
            x = self.next()
            if x >= limit:
                return x % n


def permutation(n, seed, stream):
    p = list(range(n))
    r = SplitMix(seed, stream)
    for i in range(n - 1, 0, -1):
        j = r.intn(i + 1)
        p[i], p[j] = p[j], p[i]
    return p


def planetoid(labels, per, n_val, n_test, seed):
    taken = {int(y): 0 for y in labels}
    train, rest = [], []
    for i in permutation(len(labels), seed, PLANETOID_STREAM):
        y = int(labels[i])
        if taken[y] < per:
            taken[y] += 1
            train.append(i)
        else:
            rest.append(i)
    return sorted(train), rest[:n_val], rest[n_val:n_val + n_test]


def load(path, norm="row"):
    d = np.load(path, allow_pickle=False)
    a = sp.csr_matrix((d["adj_data"], d["adj_indices"], d["adj_indptr"]), shape=tuple(d["adj_shape"]))
    x = sp.csr_matrix((d["attr_data"], d["attr_indices"], d["attr_indptr"]), shape=tuple(d["attr_shape"]))
    a = a.maximum(a.T).astype(np.float64) + sp.eye(a.shape[0])
    deg = np.asarray(a.sum(1)).ravel()
    dinv = sp.diags(1 / np.sqrt(deg))
    a = (dinv @ a @ dinv).tocoo()
    x = x.astype(np.float64)
    if norm == "row":
        s = np.asarray(x.sum(1), dtype=np.float64).ravel()
        x = sp.diags(np.divide(1, s, out=np.zeros_like(s), where=s != 0)) @ x
    x = x.tocoo()
    A = torch.sparse_coo_tensor(np.vstack([a.row, a.col]), a.data.astype(np.float32), a.shape).coalesce()
    X = torch.sparse_coo_tensor(np.vstack([x.row, x.col]), x.data.astype(np.float32), x.shape).coalesce()
    return A, X, d["labels"].astype(np.int64)


def sparse_dropout(x, p, train):
    """Dropout of a sparse matrix's stored entries (K&W's sparse_dropout): the
    zeros stay zeros, so it draws as dense dropout of the same matrix would."""
    if not train:
        return x
    keep = torch.rand(x.values().shape[0]) >= p
    return torch.sparse_coo_tensor(x.indices()[:, keep], x.values()[keep] / (1 - p), x.shape)


def glorot(fan_in, fan_out):
    r = np.sqrt(6.0 / (fan_in + fan_out))
    return torch.nn.Parameter(torch.empty(fan_in, fan_out).uniform_(-r, r))


# The recipe's grid: standard GCN choices (hidden width, dropout, where
# K&W's weight decay applies), with the learning rate, the early stopping
# and the features' normalization (rows summing to 1) fixed. Kept to eight
# settings by the machine's time: each is ten trainings.
GRID = {
    "hidden": [16, 64],
    "p": [0.5, 0.8],
    "decay": [("W1", 5e-4), ("all", 5e-4)],
    "norm": ["row"],
}
LR, PATIENCE, MAX_EPOCHS = 0.01, 50, 500


def run(A, X, y, split, seed, hidden=16, p=0.5, lr=0.01, wd=5e-4, decay_on="W1", epochs=200, patience=None, test=True):
    """Trains one GCN. With patience None, K&W's fixed epochs: the last
    epoch's parameters (and the test accuracy at the best validation
    accuracy's epoch, for comparison). With patience, early stopping on the
    validation loss (the training loss's form, weight decay included, as
    K&W's and nnc's) and the best epoch's parameters."""
    torch.manual_seed(seed)
    tr, va, te = (torch.tensor(s) for s in split)
    W1, W2 = glorot(X.shape[1], hidden), glorot(hidden, int(y.max()) + 1)
    opt = torch.optim.Adam([W1, W2], lr=lr)

    def forward(train):
        h = torch.relu(torch.sparse.mm(A, torch.sparse.mm(sparse_dropout(X, p, train), W1)))
        return torch.sparse.mm(A, F.dropout(h, p, train) @ W2)

    def decay():
        s = (W1 ** 2).sum() + ((W2 ** 2).sum() if decay_on == "all" else 0)
        return wd * s / 2

    def acc(out, idx):
        return (out[idx].argmax(1) == y[idx]).float().mean().item()

    best, best_acc, wait, kept, t0 = None, (-1.0, 0.0, 0), 0, None, time.process_time()
    for ep in range(1, epochs + 1):
        opt.zero_grad()
        out = forward(True)
        loss = F.cross_entropy(out[tr], y[tr]) + decay()
        loss.backward()
        opt.step()
        with torch.no_grad():
            out = forward(False)
            if patience is None:
                if (va_acc := acc(out, va)) > best_acc[0]:
                    best_acc = (va_acc, acc(out, te), ep - 1)
                continue
            val_loss = (F.cross_entropy(out[va], y[va]) + decay()).item()
        if best is None or val_loss < best:
            best, best_ep, wait, kept = val_loss, ep, 0, (W1.detach().clone(), W2.detach().clone())
        else:
            wait += 1
            if wait >= patience:
                break
    dt = (time.process_time() - t0) / ep
    with torch.no_grad():
        if kept is not None:
            W1.copy_(kept[0])
            W2.copy_(kept[1])
        out = forward(False)
    r = {"seed": seed, "val": acc(out, va), "epochs": ep, "cpu_ms_per_epoch": dt * 1e3}
    if test:
        r["test"] = acc(out, te)
    if patience is None:
        r.update(best_val=best_acc[0], best_epoch=best_acc[2])
        if test:
            r["test_at_best_val"] = best_acc[1]
    else:
        r["best_epoch"] = best_ep
    return r


def summary(rows, key):
    v = np.array([r[key] for r in rows])
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)), "min": float(v.min()), "max": float(v.max())}


def settings(c):
    return {"hidden": c[0], "p": c[1], "decay_on": c[2][0], "wd": c[2][1], "norm": c[3]}


def grid_one(c):
    set_threads(1)
    s = settings(c)
    A, X, y = load(os.path.join(HERE, "..", "data", "cora.npz"), s["norm"])
    y = torch.tensor(y)
    kw = {k: v for k, v in s.items() if k != "norm"}
    rows = [run(A, X, y, planetoid(y.numpy(), 20, 500, 1000, k), k, lr=LR, epochs=MAX_EPOCHS, patience=PATIENCE, test=False, **kw)
            for k in range(10)]
    out = dict(s, val=summary(rows, "val"), epochs=summary(rows, "epochs"), cpu_ms_per_epoch=summary(rows, "cpu_ms_per_epoch"))
    print(s, "val %.4f ± %.4f, %.0f epochs" % (out["val"]["mean"], out["val"]["std"], out["epochs"]["mean"]), flush=True)
    return out


def grid():
    combos = list(itertools.product(*GRID.values()))
    with multiprocessing.Pool(int(os.environ.get("GCN_PROCS", "4"))) as pool:
        rows = pool.map(grid_one, combos, chunksize=1)
    best = max(range(len(rows)), key=lambda i: (rows[i]["val"]["mean"], -i))
    out = {"lr": LR, "patience": PATIENCE, "max_epochs": MAX_EPOCHS, "settings": rows, "chosen": settings(combos[best])}
    print("chosen", out["chosen"], "val %.4f" % rows[best]["val"]["mean"])
    with open(os.path.join(HERE, "gcn_grid.json"), "w") as f:
        json.dump(out, f, indent=1)


def job(args):
    """One training of main's: (section, norm, split seed, training seed, settings)."""
    set_threads(1)
    section, norm, split_seed, seed, kw = args
    A, X, y = load(os.path.join(HERE, "..", "data", "cora.npz"), norm)
    y = torch.tensor(y)
    return section, run(A, X, y, planetoid(y.numpy(), 20, 500, 1000, split_seed), seed, **kw)


def main():
    set_threads(1)
    if sys.argv[1:] == ["grid"]:
        return grid()
    with open(os.path.join(HERE, "gcn_grid.json")) as f:
        chosen = json.load(f)["chosen"]
    y = np.load(os.path.join(HERE, "..", "data", "cora.npz"))["labels"]
    out = {"split0_first_train": planetoid(y, 20, 500, 1000, 0)[0][:10], "recipe": dict(chosen, lr=LR, patience=PATIENCE, max_epochs=MAX_EPOCHS)}
    es = dict(lr=LR, epochs=MAX_EPOCHS, patience=PATIENCE, **{k: v for k, v in chosen.items() if k != "norm"})
    jobs = [("recipe_split_seeds", chosen["norm"], s, s, es) for s in range(10)]
    jobs += [("recipe_train_seeds", chosen["norm"], 0, s, es) for s in range(10)]
    jobs += [("kw_train_seeds", "row", 0, s, {}) for s in range(10)]
    jobs += [("kw_split_seeds", "row", s, 0, {}) for s in range(10)]
    with multiprocessing.Pool(int(os.environ.get("GCN_PROCS", "4"))) as pool:
        for section, r in pool.map(job, jobs, chunksize=1):
            out.setdefault(section, []).append(r)
    for k in ("recipe_split_seeds", "recipe_train_seeds", "kw_train_seeds", "kw_split_seeds"):
        for m in ("test", "val", "epochs", "cpu_ms_per_epoch") + (("test_at_best_val",) if k.startswith("kw") else ()):
            out[k + "_" + m] = summary(out[k], m)
        print(k, "test %.4f ± %.4f (min %.3f max %.3f)" % tuple(out[k + "_test"].values()),
              "val %.4f, %.0f epochs, %.1f ms CPU an epoch" % (out[k + "_val"]["mean"], out[k + "_epochs"]["mean"], out[k + "_cpu_ms_per_epoch"]["mean"]))
    with open(os.path.join(HERE, "gcn.json"), "w") as f:
        json.dump(out, f, indent=1)


HERE = os.path.dirname(os.path.abspath(__file__))

if __name__ == "__main__":
    sys.exit(main())
