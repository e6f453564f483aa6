"""Reference trajectories of the step settings of train.StepOptions
(clip_norm, clip_value, parameter groups, the moving average of the
weights, class weights) for train/step_options_test.go, computed with
PyTorch (torch.nn.utils.clip_grad_norm_, clip_grad_value_, optimizer
parameter groups, torch.optim.swa_utils.AveragedModel with
get_ema_multi_avg_fn's rule, ema.lerp_(p, 1 - decay) after a first copy, written out (torch 1.13 has no get_ema_multi_avg_fn;
with a start S, the copy is made at each of the first S+1 steps, as an AveragedModel first updated after S steps),
CrossEntropyLoss(weight=...)) and scikit-learn (compute_class_weight).
Run from this directory:

    /usr/bin/python3 make_step_options_reference.py

The model is a small MLP, logits = relu(x @ W1 + b1) @ W2 + b2, with
x: [24, 4] in three fixed batches of 8 rows, 3 classes (imbalanced labels)
and the mean cross entropy as the loss. Every run takes 6 steps, batch
k % 3 at step k, and records the loss before each step, the parameters
after it, and the moving average when there is one. The runs are in
float64, except "clip_norm_adam_f32".
"""
import json

import numpy as np
import torch
from sklearn.utils.class_weight import compute_class_weight

rng = np.random.default_rng(7)
X = rng.normal(size=(24, 4))
Y = np.array([0, 0, 1, 0, 0, 2, 0, 0,
              0, 1, 0, 0, 0, 0, 2, 0,
              1, 0, 0, 0, 0, 0, 0, 1])
P0 = {
    "W1": rng.normal(scale=0.8, size=(4, 5)),
    "b1": rng.normal(scale=0.1, size=(5,)),
    "W2": rng.normal(scale=0.8, size=(5, 3)),
    "b2": rng.normal(scale=0.1, size=(3,)),
}
NAMES = ["W1", "b1", "W2", "b2"]
STEPS = 6
BALANCED = compute_class_weight("balanced", classes=np.unique(Y), y=Y)


def forward(p, x):
    return torch.relu(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]


def run(make_opt, dtype=torch.float64, clip_norm=None, clip_value=None, ema=None, weight=None, groups=None, ema_start=0):
    p = {k: torch.tensor(v, dtype=dtype).requires_grad_(True) for k, v in P0.items()}
    if groups is None:
        opt = make_opt([p[k] for k in NAMES])
    else:
        opt = make_opt(groups(p))
    w = None if weight is None else torch.tensor(weight, dtype=dtype)
    loss_fn = torch.nn.CrossEntropyLoss(weight=w)
    avg = None
    steps = []
    for k in range(STEPS):
        b = k % 3
        x = torch.tensor(X[8 * b:8 * b + 8], dtype=dtype)
        y = torch.tensor(Y[8 * b:8 * b + 8])
        opt.zero_grad()
        loss = loss_fn(forward(p, x), y)
        loss.backward()
        norm = None
        # clip_grad_value_ and clip_grad_norm_ take the tensors whose .grad
        # they clip.
        if clip_value is not None:
            torch.nn.utils.clip_grad_value_([p[k] for k in NAMES], clip_value)
        if clip_norm is not None:
            norm = torch.nn.utils.clip_grad_norm_([p[k] for k in NAMES], clip_norm).item()
        opt.step()
        if ema is not None:
            with torch.no_grad():
                if avg is None or k <= ema_start:
                    avg = {n: p[n].detach().clone() for n in NAMES}
                else:
                    for k in NAMES:
                        avg[k].lerp_(p[k].detach(), 1 - ema)
        rec = {"loss": loss.item(), "params": {k: p[k].detach().numpy().ravel().tolist() for k in NAMES}}
        if norm is not None:
            rec["norm"] = norm
        if avg is not None:
            rec["ema"] = {k: avg[k].numpy().ravel().tolist() for k in NAMES}
        steps.append(rec)
    return steps


def no_decay_groups(p):
    return [{"params": [p["W1"], p["W2"]]},
            {"params": [p["b1"], p["b2"]], "weight_decay": 0.0}]


def sgd_groups(p):
    return [{"params": [p["W1"]]},
            {"params": [p["W2"]], "lr": 0.3, "momentum": 0.5},
            {"params": [p["b1"], p["b2"]], "weight_decay": 0.0}]


runs = {
    "clip_norm_sgd": run(lambda ps: torch.optim.SGD(ps, lr=0.5, momentum=0.9), clip_norm=0.25),
    "clip_norm_adam": run(lambda ps: torch.optim.Adam(ps, lr=0.05), clip_norm=0.1),
    "clip_norm_adam_f32": run(lambda ps: torch.optim.Adam(ps, lr=0.05), dtype=torch.float32, clip_norm=0.1),
    "clip_value_sgd": run(lambda ps: torch.optim.SGD(ps, lr=0.5), clip_value=0.05),
    "clip_both": run(lambda ps: torch.optim.SGD(ps, lr=0.5, momentum=0.9), clip_value=0.1, clip_norm=0.15),
    "groups_adamw": run(lambda gs: torch.optim.AdamW(gs, lr=0.02, weight_decay=0.5), groups=no_decay_groups),
    "groups_sgd": run(lambda gs: torch.optim.SGD(gs, lr=0.1, momentum=0.9, weight_decay=0.05), groups=sgd_groups),
    "ema_adam": run(lambda ps: torch.optim.Adam(ps, lr=0.05), ema=0.9),
    "ema_start_adam": run(lambda ps: torch.optim.Adam(ps, lr=0.05), ema=0.9, ema_start=3),
    "class_weights_balanced": run(lambda ps: torch.optim.SGD(ps, lr=0.5), weight=BALANCED),
    "class_weights_list": run(lambda ps: torch.optim.Adam(ps, lr=0.05), weight=[1.0, 2.0, 0.5]),
    "all": run(lambda gs: torch.optim.AdamW(gs, lr=0.02, weight_decay=0.5), clip_norm=0.1, ema=0.8,
               weight=BALANCED, groups=no_decay_groups),
}

out = {
    "x": X.ravel().tolist(), "y": Y.tolist(),
    "p0": {k: v.ravel().tolist() for k, v in P0.items()},
    "balanced": BALANCED.tolist(),
    "runs": runs,
}
with open("step_options_reference.json", "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
