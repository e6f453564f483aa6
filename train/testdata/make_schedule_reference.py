"""Learning-rate sequences from torch.optim.lr_scheduler, the reference of
train/schedule_test.go. Run: /usr/bin/python3 make_schedule_reference.py
(writes schedule_reference.json beside it)."""
import json
import os
import warnings

import numpy as np
import torch
from torch.optim import lr_scheduler as S

warnings.filterwarnings("ignore")


def opt(lr):
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)


def run(o, sched, n, metrics=None):
    """The rate in effect for each of n steps (or epochs), stepping the
    scheduler after each; plateau steps with metrics[i]."""
    out = []
    for i in range(n):
        out.append(o.param_groups[0]["lr"])
        o.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[i])
    return out


def warm_then(o, lr, warmup, after):
    if warmup == 0:
        return after
    first = S.LinearLR(o, start_factor=1.0 / warmup, end_factor=1.0, total_iters=warmup - 1)
    return S.SequentialLR(o, [first, after], milestones=[warmup])


cases = []

for lr, every, gamma, n in [(0.1, 2, 0.5, 30), (0.03, 3, 0.7, 25)]:
    o = opt(lr)
    cases.append(dict(kind="step", lr=lr, every=every, gamma=gamma, per="epoch",
                      rates=run(o, S.StepLR(o, step_size=every, gamma=gamma), n)))

for lr, gamma, n in [(0.1, 0.9, 40), (0.5, 0.97, 60)]:
    o = opt(lr)
    cases.append(dict(kind="exponential", lr=lr, gamma=gamma, per="epoch",
                      rates=run(o, S.ExponentialLR(o, gamma=gamma), n)))

for lr, warmup, min_lr, epochs, spe in [(0.1, 10, 0.001, 5, 60), (0.05, 0, 0.0, 4, 50), (0.3, 37, 0.01, 3, 101)]:
    o = opt(lr)
    total = epochs * spe
    sched = warm_then(o, lr, warmup, S.CosineAnnealingLR(o, T_max=total - warmup, eta_min=min_lr))
    cases.append(dict(kind="cosine", lr=lr, warmup=warmup, min_lr=min_lr, epochs=epochs,
                      steps_per_epoch=spe, per="step", rates=run(o, sched, total)))

for lr, warmup, epochs, spe in [(0.1, 20, 3, 70), (0.02, 0, 2, 45)]:
    o = opt(lr)
    total = epochs * spe
    sched = warm_then(o, lr, warmup, S.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=total - warmup))
    cases.append(dict(kind="linear", lr=lr, warmup=warmup, epochs=epochs,
                      steps_per_epoch=spe, per="step", rates=run(o, sched, total)))

for max_lr, pct, epochs, spe in [(0.5, 0.3, 4, 64), (1.0, 0.25, 3, 33), (0.01, 0.5, 1, 7)]:
    o = opt(0.123)
    sched = S.OneCycleLR(o, max_lr=max_lr, total_steps=epochs * spe, pct_start=pct,
                         anneal_strategy="cos", cycle_momentum=False)
    cases.append(dict(kind="one_cycle", lr=0.123, max_lr=max_lr, pct=pct, epochs=epochs,
                      steps_per_epoch=spe, per="step", rates=run(o, sched, epochs * spe)))

rng = np.random.default_rng(12)
for lr, patience, factor, monitor, mode, n in [(0.1, 2, 0.5, "val_loss", "min", 60),
                                                (0.2, 0, 0.1, "val_accuracy", "max", 40),
                                                (0.05, 4, 0.3, "train_loss", "min", 80)]:
    # A noisy metric that improves, stalls and improves again; repeated
    # values and values within the 1e-4 relative threshold included.
    base = np.concatenate([np.linspace(1.0, 0.5, n // 3), np.full(n // 3, 0.5), np.linspace(0.5, 0.2, n - 2 * (n // 3))])
    noise = rng.normal(0, 0.02, n)
    noise[::7] = 0.0
    m = base + noise
    if mode == "max":
        m = 1.0 - m
    m[10] = m[9] * (1 + 5e-5)  # within the threshold: not an improvement
    metrics = [float(x) for x in m]
    o = opt(lr)
    sched = S.ReduceLROnPlateau(o, mode=mode, factor=factor, patience=patience)
    cases.append(dict(kind="plateau", lr=lr, patience=patience, factor=factor, monitor=monitor,
                      per="epoch", metrics=metrics, rates=run(o, sched, n, metrics)))

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "schedule_reference.json"), "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, indent=1)
    f.write("\n")
