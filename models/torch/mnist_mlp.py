"""PyTorch side of models/mnist_mlp.nn: the same network (784-512-512-10,
relu, dropout 0.2 after each hidden layer, Glorot-uniform weights, zero
biases), the official MNIST split (60,000 training, 10,000 test images,
pixels / 255), cross entropy, Adam (lr 1e-3) with a cosine decay to 0 over
every step of the run (nnc's cosine(): CosineAnnealingLR stepped per
batch), batches of 128 reshuffled every epoch, in float32.

    /usr/bin/python3 mnist_mlp.py small       # TestMnistMLP's brief run, seeds 0-9
    /usr/bin/python3 mnist_mlp.py full 0      # the model's 20 epochs, seed 0, one thread
    /usr/bin/python3 mnist_mlp.py threads     # seed 0 on two threads, 2 epochs (time only)

The brief run is 8 epochs on data/mnist_small (the first 2,000 training
and 500 test images). Each command updates its part of mnist_mlp.json:
every run's final test accuracy and loss and its training time per epoch
(median over the epochs; the epoch's steps, without the test pass), and
the test accuracy after every epoch. Run
with MNIST where data/mnist_idx.py finds it.
"""
import json
import os
import sys
import time

import numpy as np
import torch
from threads import set_threads
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data"))
import mnist_idx  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SMALL = os.path.join(HERE, "..", "data", "mnist_small")


def tensors(folder):
    """Training and test images as f32 [N, 1, 28, 28] in [0, 1] and i64 labels."""
    out = []
    for part in ("train", "test"):
        x, y = mnist_idx.load(folder, part)
        out.append((torch.tensor(x, dtype=torch.float32).div_(255).unsqueeze(1),
                    torch.tensor(y.astype(np.int64))))
    return out


def mlp(p=0.2):
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Dropout(p),
                          nn.Linear(512, 512), nn.ReLU(), nn.Dropout(p), nn.Linear(512, 10))
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def evaluate(model, x, y):
    model.eval()
    loss, correct = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(x), 256):
            logits = model(x[i:i + 256])
            loss += float(nn.functional.cross_entropy(logits, y[i:i + 256], reduction="sum"))
            correct += int((logits.argmax(dim=1) == y[i:i + 256]).sum())
    model.train()
    return correct / len(x), loss / len(x)


def train(make, data, seed, epochs, batch=128, lr=1e-3, threads=1, cosine=True, augment=None):
    """Trains make() with Adam, with a per-step cosine decay of its rate to
    0 when cosine (else a constant rate), each training batch changed by
    augment when given; returns the final test accuracy and loss and the
    epochs' training times."""
    set_threads(threads)
    torch.manual_seed(seed)
    (xtr, ytr), (xte, yte) = data
    model = make()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * ((len(xtr) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps) if cosine else None
    times, curve = [], []
    for epoch in range(epochs):
        t0 = time.perf_counter()
        order = torch.randperm(len(xtr))
        total = 0.0
        for i in range(0, len(xtr), batch):
            idx = order[i:i + batch]
            xb = xtr[idx] if augment is None else augment(xtr[idx])
            loss = nn.functional.cross_entropy(model(xb), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            if sched:
                sched.step()
            total += float(loss) * len(idx)
        times.append(time.perf_counter() - t0)
        acc, tl = evaluate(model, xte, yte)
        curve.append(acc)
        print(f"seed {seed} epoch {epoch + 1}: train loss {total / len(xtr):.4f} "
              f"test accuracy {acc:.4f} loss {tl:.4f} ({times[-1]:.1f} s)", flush=True)
    acc, tl = evaluate(model, xte, yte)
    return {"seed": seed, "epochs": epochs, "threads": threads, "test_accuracy": acc,
            "test_loss": tl, "epoch_seconds": float(np.median(times)), "test_accuracy_by_epoch": curve}


def summary(runs):
    a = np.array([r["test_accuracy"] for r in runs])
    return {"mean": float(a.mean()), "std": float(a.std(ddof=1)) if len(a) > 1 else 0.0,
            "min": float(a.min()), "max": float(a.max())}


def main(make, name, full_epochs, small_epochs, threads_epochs=2, cosine=True, small_seeds=10):
    """The runs of one model's json, by the command line's first word:
    small (seeds 0 to small_seeds-1 on data/mnist_small), full SEED...
    (one thread), first SEED... (one epoch of the full data, one thread),
    or threads (seed 0 on two threads for threads_epochs epochs: the time
    per epoch only). Each updates its part of NAME.json and keeps the
    others."""
    path = os.path.join(HERE, name + ".json")
    out = {}
    if os.path.exists(path):
        with open(path) as f:
            out = json.load(f)
    what = sys.argv[1] if len(sys.argv) > 1 else "small"
    if what == "small":
        small = tensors(SMALL)
        out["small"] = [train(make, small, s, small_epochs, cosine=cosine) for s in range(small_seeds)]
        out["small_summary"] = summary(out["small"])
    elif what == "full":
        data = tensors(mnist_idx.find_mnist())
        runs = {r["seed"]: r for r in out.get("full", [])}
        for s in sys.argv[2:] or ["0"]:
            runs[int(s)] = train(make, data, int(s), full_epochs, cosine=cosine)
        out["full"] = [runs[k] for k in sorted(runs)]
        out["full_summary"] = summary(out["full"])
    elif what == "first":
        data = tensors(mnist_idx.find_mnist())
        runs = {r["seed"]: r for r in out.get("first_epoch", [])}
        for s in sys.argv[2:] or ["0"]:
            runs[int(s)] = train(make, data, int(s), 1, cosine=cosine)
        out["first_epoch"] = [runs[k] for k in sorted(runs)]
    elif what == "threads":
        data = tensors(mnist_idx.find_mnist())
        out["two_threads"] = train(make, data, 0, threads_epochs, threads=2, cosine=cosine)
    else:
        raise SystemExit("usage: small | full SEED... | first SEED... | threads")
    out["torch"] = torch.__version__
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(mlp, "mnist_mlp", full_epochs=20, small_epochs=8)
