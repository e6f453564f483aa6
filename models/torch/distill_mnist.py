"""PyTorch side of models/distill_mnist.nn: knowledge distillation on MNIST.

The teacher is mnist_mlp.py's network (784-512-512-10, relu, dropout 0.2,
Adam 1e-3 with a per-step cosine to 0, batches of 128); the student a
784-H-10 MLP (H = 32, or hidden=N; relu, no dropout; Glorot-uniform weights, zero biases),
trained with the same optimizer and schedule either alone (cross entropy)
or distilled: alpha * T^2 * KL(softmax(t/T) || softmax(s/T)) + (1 - alpha) *
cross entropy, the teacher in evaluation mode (no dropout) and fixed.

    /usr/bin/python3 distill_mnist.py small        # TestDistillMNIST's brief runs, seeds 0-9
    /usr/bin/python3 distill_mnist.py full 0       # the full runs, seed 0, one thread
    /usr/bin/python3 distill_mnist.py full 0 hidden=128    # the same with a 784-128-10 student

small trains, for each seed, the teacher for 8 epochs on data/mnist_small
(the first 2,000 training and 500 test images), then the student alone and
distilled for SMALL_EPOCHS each; full trains the teacher for 20 epochs on
the official 60,000/10,000 split, then the student alone and distilled for
20 epochs each. Each command updates its part of distill_mnist.json:
every run's final test accuracy and loss (cross entropy) of the teacher,
the student alone and the distilled student, and their training times per
epoch (median). Run with MNIST where data/mnist_idx.py finds it.
"""
import json
import os
import sys
import time

import numpy as np
import torch
from threads import set_threads
from torch import nn

from mnist_mlp import SMALL, evaluate, mlp, summary, tensors
import mnist_idx  # noqa: E402 (mnist_mlp puts data/ on the path)

HERE = os.path.dirname(os.path.abspath(__file__))
T, ALPHA, HIDDEN = 4.0, 0.7, 32
SMALL_EPOCHS = 10


def student(hidden=None):
    hidden = hidden or HIDDEN  # read when called: hidden=N sets HIDDEN
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def distill_loss(s, t, y, temp=T, alpha=ALPHA):
    log_pt = nn.functional.log_softmax(t / temp, dim=1)
    kl = (log_pt.exp() * (log_pt - nn.functional.log_softmax(s / temp, dim=1))).sum(dim=1).mean()
    return alpha * temp * temp * kl + (1 - alpha) * nn.functional.cross_entropy(s, y)


def fit(model, data, seed, epochs, teacher=None, batch=128, lr=1e-3, name="student alone"):
    """Trains model with Adam and a per-step cosine to 0: on the labels, or
    distilled from teacher; returns the test accuracy, loss and the
    median epoch time."""
    torch.manual_seed(seed)
    (xtr, ytr), (xte, yte) = data
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * ((len(xtr) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    if teacher is not None:
        teacher.eval()
    times = []
    for epoch in range(epochs):
        t0 = time.perf_counter()
        order = torch.randperm(len(xtr))
        for i in range(0, len(xtr), batch):
            idx = order[i:i + batch]
            s = model(xtr[idx])
            if teacher is None:
                loss = nn.functional.cross_entropy(s, ytr[idx])
            else:
                with torch.no_grad():
                    t = teacher(xtr[idx])
                loss = distill_loss(s, t, ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        times.append(time.perf_counter() - t0)
    acc, tl = evaluate(model, xte, yte)
    print(f"seed {seed} {name}: test accuracy {acc:.4f} "
          f"loss {tl:.4f} ({float(np.median(times)):.2f} s an epoch)", flush=True)
    return {"test_accuracy": acc, "test_loss": tl, "epoch_seconds": float(np.median(times))}


def run(data, seed, teacher_epochs, epochs):
    """One seed: the teacher, the student alone and the distilled student."""
    set_threads(1)
    torch.manual_seed(seed)
    teacher = mlp()
    t = fit(teacher, data, seed, teacher_epochs, name="teacher")
    torch.manual_seed(seed)
    alone = fit(student(), data, seed, epochs, name=f"student alone ({HIDDEN})")
    torch.manual_seed(seed)
    dist = fit(student(), data, seed, epochs, teacher=teacher, name=f"distilled student ({HIDDEN})")
    return {"seed": seed, "hidden": HIDDEN, "teacher": t, "alone": alone, "distilled": dist,
            "test_accuracy": dist["test_accuracy"], "test_loss": dist["test_loss"]}


def main():
    global HIDDEN
    args = [a for a in sys.argv[1:] if not a.startswith("hidden=")]
    for a in sys.argv[1:]:
        if a.startswith("hidden="):
            HIDDEN = int(a[len("hidden="):])
    path = os.path.join(HERE, "distill_mnist.json")

    def existing():
        if os.path.exists(path):
            with open(path) as f:
                return json.load(f)
        return {}

    out = {}
    what = args[0] if args else "small"
    if what == "small":
        if HIDDEN != 32:
            raise SystemExit("the brief runs are of the 32-unit student (TestDistillMNIST)")
        data = tensors(SMALL)
        out["small"] = [run(data, s, 8, SMALL_EPOCHS) for s in range(10)]
        for k in ("teacher", "alone", "distilled"):
            out["small_summary_" + k] = summary([r[k] for r in out["small"]])
    elif what == "full":
        data = tensors(mnist_idx.find_mnist())
        runs = {(r["seed"], r.get("hidden", 32)): r for r in existing().get("full", [])}
        for s in args[1:] or ["0"]:
            runs[(int(s), HIDDEN)] = run(data, int(s), 20, 20)
        out["full"] = [runs[k] for k in sorted(runs)]
    else:
        raise SystemExit("usage: small | full SEED...")
    out = {**existing(), **out}  # the other command's part as it is now
    out["settings"] = {"T": T, "alpha": ALPHA, "small_hidden": 32, "small_epochs": SMALL_EPOCHS}
    out["torch"] = torch.__version__
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
