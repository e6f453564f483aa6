"""Reference values of the metrics of train/metrics.go, from scikit-learn,
NumPy and torch, on random data committed with them. Run from this
directory:

    /usr/bin/python3 make_metrics_reference.py

(writes metrics_reference.json). Each case holds the data, the batch sizes
the Go test feeds it in, and the expected values.
"""
import json

import numpy as np
import sklearn
import torch
from sklearn import metrics as M

rng = np.random.default_rng(7)


def batches(n, size):
    out = [size] * (n // size)
    if n % size:
        out.append(n % size)
    return out


cases = {}

# Classification: 6 classes, imbalanced; class 3 is never a label but is
# sometimes predicted, class 5 is never a label nor predicted (left out of
# the macro averages, as sklearn's default labels leave it out).
N, C = 517, 6
y = rng.choice(6, size=N, p=[0.4, 0.3, 0.2, 0.0, 0.1, 0.0])
logits = rng.normal(0, 1.0, size=(N, C)) + 1.6 * np.eye(C)[y]
logits[:, 5] -= 100
mask = (rng.random(N) < 0.8).astype(np.int64)
sel = mask == 1
ys, ps = y[sel], logits[sel].argmax(axis=1)
cls = {
    "accuracy": M.accuracy_score(ys, ps),
    "precision_macro": M.precision_score(ys, ps, average="macro", zero_division=0),
    "recall_macro": M.recall_score(ys, ps, average="macro", zero_division=0),
    "f1_macro": M.f1_score(ys, ps, average="macro", zero_division=0),
}
for name, fn in [("precision", M.precision_score), ("recall", M.recall_score), ("f1", M.f1_score)]:
    per = fn(ys, ps, labels=list(range(C)), average=None, zero_division=0)
    for i, v in enumerate(per):
        cls["%s_class%d" % (name, i)] = float(v)
for k in (1, 2, 3, 5):
    cls["top%d_accuracy" % k] = M.top_k_accuracy_score(ys, logits[sel], k=k, labels=list(range(C)))
cases["classification"] = dict(
    logits=logits.flatten().tolist(), shape=[N, C], labels=y.tolist(), mask=mask.tolist(),
    batches=batches(N, 64), values=cls,
    confusion=M.confusion_matrix(ys, ps, labels=list(range(C))).tolist(),
    count=int(sel.sum()))

# Binary ROC AUC with many tied scores (rounded to one decimal).
N = 403
yb = (rng.random(N) < 0.3).astype(np.int64)
score = np.round(rng.normal(0, 1, N) + 0.8 * yb, 1)
cases["auc_scores"] = dict(scores=score.tolist(), shape=[N], labels=yb.tolist(), batches=batches(N, 50),
                           values={"auc": M.roc_auc_score(yb, score)})
pair = rng.normal(0, 1, size=(N, 2))
pair[:, 1] += 0.7 * yb
cases["auc_logits"] = dict(scores=pair.flatten().tolist(), shape=[N, 2], labels=yb.tolist(), batches=batches(N, 32),
                           values={"auc": M.roc_auc_score(yb, pair[:, 1] - pair[:, 0])})

# Regression: 3 outputs with a large offset (a naive sum of squares would
# lose the variance), and one output.
for name, (n, d, off) in {"regression3": (611, 3, 1e6), "regression1": (250, 1, 0.0)}.items():
    yt = off + rng.normal(0, 2, size=(n, d)) * np.array([1.0, 0.5, 3.0])[:d]
    yp = yt + rng.normal(0, 0.7, size=(n, d))
    flat = (lambda a: a.flatten()) if d > 1 else (lambda a: a[:, 0])
    cases[name] = dict(pred=yp.flatten().tolist(), target=yt.flatten().tolist(), shape=[n, d] if d > 1 else [n],
                       batches=batches(n, 100), values={
                           "mae": M.mean_absolute_error(flat(yt) if d == 1 else yt, flat(yp) if d == 1 else yp),
                           "rmse": float(np.sqrt(np.mean((yp - yt) ** 2))),
                           "r2": M.r2_score(yt, yp, multioutput="uniform_average"),
                       })

# Language model: logits [B, T, V], next tokens [B, T], a padding mask.
B, T, V = 37, 9, 11
tl = rng.normal(0, 2, size=(B, T, V))
tt = rng.integers(0, V, size=(B, T))
tm = (rng.random((B, T)) < 0.9).astype(np.int64)
ce = torch.nn.functional.cross_entropy(torch.tensor(tl).reshape(-1, V), torch.tensor(tt).reshape(-1), reduction="none")
nats = float(ce[torch.tensor(tm).reshape(-1) == 1].mean())
cases["tokens"] = dict(logits=tl.flatten().tolist(), shape=[B, T, V], labels=tt.flatten().tolist(), label_shape=[B, T],
                       mask=tm.flatten().tolist(), batches=batches(B, 8),
                       values={"nats_per_token": nats, "bits_per_token": nats / np.log(2), "perplexity": float(np.exp(nats))})

with open("metrics_reference.json", "w") as f:
    json.dump({"sklearn": sklearn.__version__, "torch": torch.__version__, "cases": cases}, f)
    f.write("\n")
