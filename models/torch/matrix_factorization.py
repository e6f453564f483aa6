"""Matrix factorization with biases on InstEval in PyTorch, beside
models/matrix_factorization.nn, and the trivial baselines.

Same data (models/data/insteval_{train,val,test}.npz: student u, lecturer
i, rating r in 1..5), same model (r ~ mu + b_u + b_i + <P_u, Q_i>, k = 16,
tables drawn from N(0, 0.1^2), biases and mu from 0), same loss (mean
squared error of the batch + lam * (sum P^2 + sum Q^2)), Adam 1e-2,
batches of 1024 in a fresh random order each epoch, the epochs given.
Baselines computed here in NumPy: the training mean, and user + item
biases fitted by ridge-regularized alternating least squares.

    /usr/bin/python3 torch/matrix_factorization.py [epochs [seeds]]   # from models/; writes torch/matrix_factorization.json
"""
import json
import os
import sys
import time

import numpy as np
import torch
from threads import set_threads

K, LAM, LR, BATCH = 16, 1e-3, 1e-2, 1024
USERS, ITEMS = 2972, 1128


def load(name):
    here = os.path.dirname(os.path.abspath(__file__))
    d = np.load(os.path.join(here, "..", "data", "insteval_%s.npz" % name))
    return d["u"].astype(np.int64), d["i"].astype(np.int64), d["r"].astype(np.float32)


def rmse(p, r):
    return float(np.sqrt(np.mean((np.asarray(p, np.float64) - r) ** 2)))


def biases(tr, lam=5.0, rounds=20):
    """Ridge user and item biases around the mean, by alternating least squares."""
    u, i, r = tr
    mu = r.mean()
    bu, bi = np.zeros(USERS), np.zeros(ITEMS)
    for _ in range(rounds):
        bi = np.bincount(i, r - mu - bu[u], ITEMS) / (np.bincount(i, None, ITEMS) + lam)
        bu = np.bincount(u, r - mu - bi[i], USERS) / (np.bincount(u, None, USERS) + lam)
    return lambda s: mu + bu[s[0]] + bi[s[1]]


def train(tr, sets, epochs, seed):
    torch.manual_seed(seed)
    P = torch.nn.Parameter(torch.randn(USERS, K) * 0.1)
    Q = torch.nn.Parameter(torch.randn(ITEMS, K) * 0.1)
    bu = torch.nn.Parameter(torch.zeros(USERS))
    bi = torch.nn.Parameter(torch.zeros(ITEMS))
    mu = torch.nn.Parameter(torch.zeros(()))
    opt = torch.optim.Adam([P, Q, bu, bi, mu], lr=LR)
    u, i, r = (torch.tensor(a) for a in tr)

    def forward(u, i):
        return (P[u] * Q[i]).sum(1) + bu[u] + bi[i] + mu

    t0 = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(len(r))
        for s in range(0, len(r), BATCH):
            b = perm[s:s + BATCH]
            loss = ((forward(u[b], i[b]) - r[b]) ** 2).mean() + LAM * ((P ** 2).sum() + (Q ** 2).sum())
            opt.zero_grad()
            loss.backward()
            opt.step()
    dt = (time.perf_counter() - t0) / epochs
    with torch.no_grad():
        out = {k: rmse(forward(torch.tensor(v[0]), torch.tensor(v[1])).numpy(), v[2]) for k, v in sets.items()}
    out["ms_per_epoch"] = dt * 1e3
    out["seed"] = seed
    return out


def main():
    set_threads(1)
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    seeds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    tr, va, te = load("train"), load("val"), load("test")
    sets = {"train_rmse": tr, "val_rmse": va, "test_rmse": te}
    out = {"epochs": epochs, "k": K, "lam": LAM, "lr": LR, "batch": BATCH}
    out["global_mean"] = {k: rmse(np.full(len(v[2]), tr[2].mean()), v[2]) for k, v in sets.items()}
    b = biases(tr)
    out["biases"] = {k: rmse(b(v), v[2]) for k, v in sets.items()}
    out["runs"] = [train(tr, sets, epochs, s) for s in range(seeds)]
    t = np.array([x["test_rmse"] for x in out["runs"]])
    out["test_rmse"] = {"mean": float(t.mean()), "std": float(t.std(ddof=1) if len(t) > 1 else 0.0), "min": float(t.min()), "max": float(t.max())}
    print(json.dumps({k: v for k, v in out.items() if k != "runs"}, indent=1))
    for x in out["runs"]:
        print(x)
    name = "matrix_factorization.json" if epochs == 10 else "matrix_factorization_%d.json" % epochs
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
