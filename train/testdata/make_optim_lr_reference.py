"""Reference trajectories of torch.optim's SGD (momentum, Nesterov, L2),
Adam and AdamW with a learning rate changed before every step, for
train/optimizer_lr_test.go (the optimizers reading their rate from the
LRState state). Run from this directory:

    /usr/bin/python3 make_optim_lr_reference.py

The problem is make_optim_reference.py's quadratic,

    loss = sum(a * (w - c)**2) + 0.5 * sum(v * v)

in float32, w: [2, 3], v: [3]. Each run records, for each of 10 steps, the
learning rate in effect, the loss before the step and the parameters after
it. Writes optim_lr_reference.json beside this script.
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

configs = {
    "sgd": lambda ps: torch.optim.SGD(ps, lr=0.1),
    "sgd_momentum": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
    "sgd_nesterov_wd": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.01),
    "adam": lambda ps: torch.optim.Adam(ps, lr=0.1),
    "adam_wd": lambda ps: torch.optim.Adam(ps, lr=0.1, weight_decay=0.1),
    "adamw": lambda ps: torch.optim.AdamW(ps, lr=0.1, weight_decay=0.2),
}

runs = {}
for name, make in configs.items():
    w = torch.tensor(w0).requires_grad_(True)
    v = torch.tensor(v0).requires_grad_(True)
    opt = make([w, v])
    steps = []
    for k in range(STEPS):
        lr = SCHEDULE[k] * (10 if name.startswith("adam") else 5)
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad()
        loss = (torch.tensor(a) * (w - torch.tensor(c)) ** 2).sum() + 0.5 * (v * v).sum()
        loss.backward()
        opt.step()
        steps.append({"lr": lr, "loss": loss.item(),
                      "w": w.detach().flatten().tolist(), "v": v.detach().flatten().tolist()})
    runs[name] = steps

with open("optim_lr_reference.json", "w") as f:
    json.dump({"a": a.flatten().tolist(), "c": c.flatten().tolist(), "w0": w0.flatten().tolist(),
               "v0": v0.flatten().tolist(), "runs": runs}, f, indent=1)
