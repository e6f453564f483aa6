"""PyTorch side of models/tabular_mlp.nn: the same network (30-32-32-2,
relu, Glorot-uniform weights, zero biases), the same files of
models/data/ (the stratified 60/20/20 split of
data/make_breast_cancer_split.py), standardization with the training rows'
mean and standard deviation (ddof 0), cross entropy weighed "balanced"
(n / (2 * count[c]) from the training labels) in training and unweighted in
evaluation, Adam (lr 1e-3), batches of 32 rows reshuffled every epoch, in
float32. Trains seeds 0-4 for 50 epochs (the model's run) and for 5 epochs
(the brief run of TestTabularMLP), and writes tabular_mlp.json: each
seed's final test accuracy, loss, macro F1 and ROC AUC, and the time per
epoch (the epoch's training steps and the validation pass).

Run with /usr/bin/python3 (torch 1.13, numpy) from models/torch/:
    /usr/bin/python3 tabular_mlp.py
"""
import json
import time

import numpy as np
import torch
from threads import set_threads
from torch import nn

# One thread: on the loaded 2-core machine two threads made a step 20-50
# times slower (0.44 ms against 10-25 ms), for a network this small.
set_threads(1)


def read(name):
    rows = np.loadtxt(f"../data/breast_cancer_{name}.csv", delimiter=",", skiprows=1)
    return rows[:, :-1], rows[:, -1].astype(np.int64)


xtr, ytr = read("train")
xva, yva = read("val")
xte, yte = read("test")
mean, std = xtr.mean(axis=0), xtr.std(axis=0)
xtr, xva, xte = [torch.tensor((x - mean) / std, dtype=torch.float32) for x in (xtr, xva, xte)]
ytr, yva, yte = [torch.tensor(y) for y in (ytr, yva, yte)]
counts = np.bincount(ytr.numpy())
weight = torch.tensor(len(ytr) / (2 * counts), dtype=torch.float32)


def auc(score, y):
    """Binary ROC AUC, tied scores counting half (the Mann-Whitney U)."""
    pos, neg = score[y == 1], score[y == 0]
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


def f1_macro(pred, y):
    out = []
    for c in (0, 1):
        tp = ((pred == c) & (y == c)).sum()
        fp = ((pred == c) & (y != c)).sum()
        fn = ((pred != c) & (y == c)).sum()
        out.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(out))


def measure(model, x, y):
    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss = float(nn.functional.cross_entropy(logits, y))
    model.train()
    pred = logits.argmax(dim=1).numpy()
    score = (logits[:, 1] - logits[:, 0]).numpy()
    return {"accuracy": float((pred == y.numpy()).mean()), "loss": loss,
            "f1_macro": f1_macro(pred, y.numpy()), "auc": auc(score, y.numpy())}


def run(seed, epochs):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(30, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2))
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    lossf = nn.CrossEntropyLoss(weight=weight)
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        order = torch.randperm(len(ytr))
        for i in range(0, len(order), 32):
            b = order[i:i + 32]
            opt.zero_grad()
            loss = lossf(model(xtr[b]), ytr[b])
            loss.backward()
            opt.step()
        measure(model, xva, yva)
        times.append(time.perf_counter() - t0)
    return measure(model, xte, yte), times


out = {}
for epochs in (50, 5):
    runs, times = [], []
    for seed in range(5):
        m, t = run(seed, epochs)
        runs.append(dict(seed=seed, **{"test_" + k: v for k, v in m.items()}))
        times += t
    acc = np.array([r["test_accuracy"] for r in runs])
    out[f"epochs_{epochs}"] = {"runs": runs, "test_accuracy_mean": acc.mean(), "test_accuracy_std": acc.std(ddof=1),
                               "test_accuracy_min": acc.min(), "test_accuracy_max": acc.max(),
                               "seconds_per_epoch_median": float(np.median(times)), "seconds_per_epoch_min": float(np.min(times))}
    print(epochs, "epochs: test accuracy", acc.round(4).tolist(), f"mean {acc.mean():.4f} ± {acc.std(ddof=1):.4f}",
          f"median {np.median(times) * 1e3:.2f} ms an epoch")
with open("tabular_mlp.json", "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
