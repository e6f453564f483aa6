"""Kipf & Welling's two-layer GCN on Cora in PyTorch, beside models/gcn.nn.

Same data (models/data/cora.npz), same preprocessing (A' = max(A, A^T),
D^-1/2 (A' + I) D^-1/2 as a torch sparse matrix; features divided by their
row sums) and the same split as gcn.nn's planetoid(20, 500, 1000, seed = S):
the split is re-derived here by nnc's documented rule (data/rng.go's
splitmix64 Fisher-Yates permutation on the stream "planet", then the first
20 nodes of each class in that order train, the next 500 others validate,
the next 1000 test; train_graph.go's planetoid). K&W's settings: hidden 16,
dropout 0.5 on the input and hidden features, weight decay 5e-4 as
5e-4 * sum(W1^2) / 2 (tf.nn.l2_loss) on the first layer only, Adam 0.01,
200 epochs, Glorot-uniform weights, no biases (their default).

    /usr/bin/python3 torch/gcn.py            # from models/: writes torch/gcn.json

Reports, for training seeds 0-9 on split seed 0 and for split seeds 0-9
(training seed 0), the test accuracy at the last epoch and at the epoch of
the best validation accuracy, and the time per epoch (one thread).
"""
import json
import os
import sys
import time

import numpy as np
import scipy.sparse as sp
import torch
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


def load(path):
    d = np.load(path, allow_pickle=False)
    a = sp.csr_matrix((d["adj_data"], d["adj_indices"], d["adj_indptr"]), shape=tuple(d["adj_shape"]))
    x = sp.csr_matrix((d["attr_data"], d["attr_indices"], d["attr_indptr"]), shape=tuple(d["attr_shape"]))
    a = a.maximum(a.T).astype(np.float64) + sp.eye(a.shape[0])
    deg = np.asarray(a.sum(1)).ravel()
    dinv = sp.diags(1 / np.sqrt(deg))
    a = (dinv @ a @ dinv).tocoo()
    s = np.asarray(x.sum(1), dtype=np.float64).ravel()
    x = (sp.diags(np.divide(1, s, out=np.zeros_like(s), where=s != 0)) @ x.astype(np.float64)).tocoo()
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


def run(A, X, y, split, seed, epochs=200, hidden=16, p=0.5, lr=0.01, wd=5e-4):
    torch.manual_seed(seed)
    tr, va, te = (torch.tensor(s) for s in split)
    W1, W2 = glorot(X.shape[1], hidden), glorot(hidden, int(y.max()) + 1)
    opt = torch.optim.Adam([W1, W2], lr=lr)

    def forward(train):
        h = torch.relu(torch.sparse.mm(A, torch.sparse.mm(sparse_dropout(X, p, train), W1)))
        return torch.sparse.mm(A, F.dropout(h, p, train) @ W2)

    def acc(out, idx):
        return (out[idx].argmax(1) == y[idx]).float().mean().item()

    best, t0 = (-1.0, 0.0, 0), time.perf_counter()
    for ep in range(epochs):
        opt.zero_grad()
        out = forward(True)
        loss = F.cross_entropy(out[tr], y[tr]) + wd * (W1 ** 2).sum() / 2
        loss.backward()
        opt.step()
        with torch.no_grad():
            out = forward(False)
            va_acc = acc(out, va)
            if va_acc > best[0]:
                best = (va_acc, acc(out, te), ep)
    dt = (time.perf_counter() - t0) / epochs
    with torch.no_grad():
        out = forward(False)
    return {"seed": seed, "test_last": acc(out, te), "val_last": acc(out, va),
            "test_at_best_val": best[1], "best_val": best[0], "best_epoch": best[2],
            "ms_per_epoch": dt * 1e3}


def summary(rows, key):
    v = np.array([r[key] for r in rows])
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)), "min": float(v.min()), "max": float(v.max())}


def main():
    torch.set_num_threads(1)
    here = os.path.dirname(os.path.abspath(__file__))
    A, X, y = load(os.path.join(here, "..", "data", "cora.npz"))
    y = torch.tensor(y)
    out = {}
    split0 = planetoid(y.numpy(), 20, 500, 1000, 0)
    out["split0_first_train"] = split0[0][:10]
    out["train_seeds"] = [run(A, X, y, split0, s) for s in range(10)]
    print("train seeds", [round(r["test_last"], 3) for r in out["train_seeds"]], flush=True)
    out["split_seeds"] = [run(A, X, y, planetoid(y.numpy(), 20, 500, 1000, s), 0) for s in range(10)]
    for k in ("train_seeds", "split_seeds"):
        for m in ("test_last", "test_at_best_val"):
            out[k + "_" + m] = summary(out[k], m)
            print(k, m, "%.4f ± %.4f (min %.3f max %.3f)" % tuple(out[k + "_" + m].values()))
    with open(os.path.join(here, "gcn.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
