"""Reference pruning masks for train/prune_test.go. Run from this
directory:

    /usr/bin/python3 make_prune_reference.py

Three weight tensors (w1: [6, 5], w2: [4, 4], w3: [7]) with many ties
(values drawn from a few magnitudes), and a previous mask of w1 that has
pruned some of its weights (which are zero). For the sparsities in
SPARSITIES, the masks that prune round(s·n) weights of smallest magnitude
(Python's round, half to even, as torch.nn.utils.prune counts
them), ties going to weights already pruned and then to the lower index:
each tensor alone ("layer") and all three together in the order w1, w2, w3
("global"). Computed with NumPy's stable argsort over the keys
(magnitude, kept, position).

The second part checks the same rule against PyTorch itself on weights
without ties: torch.nn.utils.prune.l1_unstructured (each tensor) and
global_unstructured (all three), for the same sparsities.

The third part is Zhu & Gupta's schedule s(t) = s_f·(1 - (1 - (t-t0)/(t1-t0))³)
for s_f = 0.9, t0 = 3, t1 = 13.
"""
import json

import numpy as np
import torch
import torch.nn.utils.prune as prune

rng = np.random.default_rng(11)
SHAPES = {"w1": (6, 5), "w2": (4, 4), "w3": (7,)}
SPARSITIES = [0.1, 0.25, 0.5, 0.7, 0.9]


def tied(shape):
    return rng.choice([-0.5, -0.25, 0.0, 0.25, 0.5, 1.0, -1.0], size=shape) * rng.choice([1.0, 1.0, 2.0], size=shape)


weights = {k: tied(s) for k, s in SHAPES.items()}
prev = {k: np.ones(s) for k, s in SHAPES.items()}
prev["w1"].ravel()[[3, 7, 20]] = 0
weights["w1"].ravel()[[3, 7, 20]] = 0


def masks_for(names, s):
    mags = np.concatenate([np.abs(weights[k]).ravel() for k in names])
    kept = np.concatenate([prev[k].ravel() != 0 for k in names]).astype(np.int64)
    pos = np.arange(mags.size)
    n = mags.size
    k = int(round(s * n))
    order = np.lexsort((pos, kept, mags))  # last key is primary
    m = np.ones(n)
    m[order[:k]] = 0
    out, o = {}, 0
    for name in names:
        size = weights[name].size
        out[name] = m[o:o + size].tolist()
        o += size
    return out


layer, glob = {}, {}
for s in SPARSITIES:
    layer[str(s)] = {}
    for name in SHAPES:
        layer[str(s)].update(masks_for([name], s))
    glob[str(s)] = masks_for(list(SHAPES), s)

# PyTorch on weights without ties.
distinct = {k: rng.normal(size=s) for k, s in SHAPES.items()}
torch_layer, torch_global = {}, {}
for s in SPARSITIES:
    torch_layer[str(s)] = {}
    for name, w in distinct.items():
        mod = torch.nn.Module()
        mod.weight = torch.nn.Parameter(torch.tensor(w))
        prune.l1_unstructured(mod, "weight", amount=s)
        torch_layer[str(s)][name] = mod.weight_mask.numpy().ravel().tolist()
    mods = {}
    for name, w in distinct.items():
        mod = torch.nn.Module()
        mod.weight = torch.nn.Parameter(torch.tensor(w))
        mods[name] = mod
    prune.global_unstructured([(mods[n], "weight") for n in SHAPES], pruning_method=prune.L1Unstructured, amount=s)
    torch_global[str(s)] = {n: mods[n].weight_mask.numpy().ravel().tolist() for n in SHAPES}

schedule = {str(t): (0.9 * (1 - (1 - (t - 3) / 10) ** 3) if 3 <= t < 13 else (0.0 if t < 3 else 0.9)) for t in range(0, 16)}

out = {
    "shapes": {k: list(s) for k, s in SHAPES.items()},
    "weights": {k: v.ravel().tolist() for k, v in weights.items()},
    "prev": {k: v.ravel().tolist() for k, v in prev.items()},
    "layer": layer, "global": glob,
    "distinct": {k: v.ravel().tolist() for k, v in distinct.items()},
    "torch_layer": torch_layer, "torch_global": torch_global,
    "schedule": schedule,
}
with open("prune_reference.json", "w") as f:
    json.dump(out, f)
    f.write("\n")
