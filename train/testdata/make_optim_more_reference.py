"""Reference trajectories of rmsprop, adagrad (torch.optim) and lion (the
update rule of Chen et al. 2023, Algorithm 2, computed in NumPy) for
train/optimizer_more_test.go. Run from this directory:

    /usr/bin/python3 make_optim_more_reference.py

The problem is train/testdata/make_optim_reference.py's quadratic,

    loss = sum(a * (w - c)**2) + 0.5 * sum(v * v)

in float32, w: [2, 3], v: [3]. Each run records, for each of 10 steps, the
learning rate in effect, the loss before the step and the parameters after
it; the "scheduled" runs change the rate at every step.
"""
import json

import numpy as np
import torch

a = np.array([[1.0, 2.0, 0.5], [3.0, 0.25, 1.5]], dtype=np.float32)
c = np.array([[0.5, -1.0, 2.0], [0.0, 3.0, -0.5]], dtype=np.float32)
w0 = np.array([[1.0, 0.0, -1.0], [2.0, 0.5, 0.25]], dtype=np.float32)
v0 = np.array([0.3, -1.2, 2.5], dtype=np.float32)
STEPS = 10
SCHEDULE = [0.01, 0.02, 0.005, 0.03, 0.001, 0.015, 0.04, 0.002, 0.01, 0.025]

torch_configs = {
    "rmsprop": (lambda ps: torch.optim.RMSprop(ps, lr=0.01), None),
    "rmsprop_full": (lambda ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.1,
                                                    momentum=0.8, centered=True), None),
    "rmsprop_scheduled": (lambda ps: torch.optim.RMSprop(ps, lr=0.01, momentum=0.5), SCHEDULE),
    "adagrad": (lambda ps: torch.optim.Adagrad(ps, lr=0.1), None),
    "adagrad_full": (lambda ps: torch.optim.Adagrad(ps, lr=0.5, lr_decay=0.1, weight_decay=0.05,
                                                    initial_accumulator_value=0.1, eps=1e-6), None),
    "adagrad_scheduled": (lambda ps: torch.optim.Adagrad(ps, lr=0.01, lr_decay=0.2), [10 * x for x in SCHEDULE]),
}

runs = {}
for name, (make, lrs) in torch_configs.items():
    w = torch.tensor(w0).requires_grad_(True)
    v = torch.tensor(v0).requires_grad_(True)
    opt = make([w, v])
    steps = []
    for k in range(STEPS):
        if lrs is not None:
            for g in opt.param_groups:
                g["lr"] = lrs[k]
        opt.zero_grad()
        loss = (torch.tensor(a) * (w - torch.tensor(c)) ** 2).sum() + 0.5 * (v * v).sum()
        loss.backward()
        opt.step()
        steps.append({"lr": opt.param_groups[0]["lr"], "loss": loss.item(),
                      "w": w.detach().flatten().tolist(), "v": v.detach().flatten().tolist()})
    runs[name] = steps


def lion(lr, beta1, beta2, wd, lrs=None):
    """Lion in float32: c = b1 m + (1-b1) g; p -= lr (sign(c) + wd p);
    m = b2 m + (1-b2) g."""
    f = np.float32
    w, v = w0.copy(), v0.copy()
    mw, mv = np.zeros_like(w), np.zeros_like(v)
    steps = []
    for k in range(STEPS):
        rate = lrs[k] if lrs is not None else lr
        loss = float(np.sum(a * (w - c) ** 2, dtype=np.float64) + 0.5 * np.sum(v * v, dtype=np.float64))
        gw, gv = f(2) * a * (w - c), v.copy()
        for p, m, g in ((w, mw, gw), (v, mv, gv)):
            upd = np.sign(f(beta1) * m + f(1 - beta1) * g)
            p -= f(rate) * (upd + f(wd) * p)
            m[...] = f(beta2) * m + f(1 - beta2) * g
        steps.append({"lr": rate, "loss": loss, "w": w.flatten().tolist(), "v": v.flatten().tolist()})
    return steps


runs["lion"] = lion(0.03, 0.9, 0.99, 0.0)
runs["lion_wd"] = lion(0.02, 0.8, 0.95, 0.5)
runs["lion_scheduled"] = lion(0.01, 0.9, 0.99, 0.1, SCHEDULE)

out = {"torch": torch.__version__, "a": a.flatten().tolist(), "c": c.flatten().tolist(),
       "w0": w0.flatten().tolist(), "v0": v0.flatten().tolist(), "runs": runs}
with open("optim_more_reference.json", "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
