"""PyTorch reference trajectories for the optimizer tests.

Run with /usr/bin/python3 (torch 1.13) from this directory:

    /usr/bin/python3 make_optim_reference.py

The problem is a small quadratic in two float32 parameters,

    loss = sum(a * (w - c)**2) + 0.5 * sum(v * v)

with w: [2, 3] and v: [3]. For each optimizer configuration the file records
the parameter values after each of 5 steps of torch.optim.
"""
import json

import torch

a = torch.tensor([[1.0, 2.0, 0.5], [3.0, 0.25, 1.5]], dtype=torch.float32)
c = torch.tensor([[0.5, -1.0, 2.0], [0.0, 3.0, -0.5]], dtype=torch.float32)
w0 = torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.5, 0.25]], dtype=torch.float32)
v0 = torch.tensor([0.3, -1.2, 2.5], dtype=torch.float32)

configs = {
    "sgd": lambda ps: torch.optim.SGD(ps, lr=0.1),
    "sgd_momentum": lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9),
    "sgd_nesterov_wd": lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01),
    "adam": lambda ps: torch.optim.Adam(ps, lr=0.01),
    "adam_custom": lambda ps: torch.optim.Adam(ps, lr=0.1, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    "adamw": lambda ps: torch.optim.AdamW(ps, lr=0.05, weight_decay=0.2),
}

out = {
    "a": a.flatten().tolist(),
    "c": c.flatten().tolist(),
    "w0": w0.flatten().tolist(),
    "v0": v0.flatten().tolist(),
    "runs": {},
}
for name, make in configs.items():
    w = w0.clone().requires_grad_(True)
    v = v0.clone().requires_grad_(True)
    opt = make([w, v])
    steps = []
    for _ in range(5):
        opt.zero_grad()
        loss = (a * (w - c) ** 2).sum() + 0.5 * (v * v).sum()
        loss.backward()
        opt.step()
        steps.append({"loss": loss.item(), "w": w.detach().flatten().tolist(), "v": v.detach().flatten().tolist()})
    out["runs"][name] = steps

with open("optim_reference.json", "w") as f:
    json.dump(out, f, indent=1)
