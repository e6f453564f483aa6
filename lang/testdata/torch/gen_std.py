"""Reference values for lang's std/nn layers, computed with PyTorch (1.13).

Run:  /usr/bin/python3 lang/testdata/torch/gen_std.py
Writes std.json beside this script. Each case sets a PyTorch module's
weights to deterministic values, runs it in float64 on fixed inputs and
records, in nnc's layouts (Dense-style matrices [n_in, n_out], i.e. the
transpose of torch.nn.Linear.weight):
  params  - our parameter (and state) paths with their values,
  inputs  - the entry's inputs,
  out     - the forward result,
  grads   - d sum(out * r) / d (named params and inputs), r = inputs["r"],
  states  - (BatchNorm in training) the running statistics after the step.
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def det(shape, seed, scale=0.5):
    n = 1
    for s in shape:
        n *= s
    v = [math.sin(0.7 * k + seed) * scale for k in range(n)]
    return torch.tensor(v).reshape(shape)


def enc(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": [float(x) for x in t.reshape(-1).tolist()]}


def set_(p, t):
    with torch.no_grad():
        p.copy_(t)


cases = {}


def record(name, module_params, inputs, out, wrt, states=None):
    """module_params: our path -> torch tensor in our layout (grad-tracking
    leaves or views); wrt: our name -> torch leaf whose .grad is wanted,
    with a function mapping torch's grad to our layout."""
    r = det(list(out.shape), 9.0, 1.0)
    (out * r).sum().backward()
    grads = {}
    for k, (leaf, conv) in wrt.items():
        grads[k] = enc(conv(leaf.grad))
    inputs = dict(inputs)
    inputs["r"] = r
    cases[name] = {
        "params": {k: enc(v) for k, v in module_params.items()},
        "inputs": {k: enc(v) for k, v in inputs.items()},
        "out": enc(out),
        "grads": grads,
    }
    if states:
        cases[name]["states"] = {k: enc(v) for k, v in states.items()}


ident = lambda g: g
tr = lambda g: g.t()

# Dense(3, 4)
lin = nn.Linear(3, 4)
set_(lin.weight, det([4, 3], 1.0))
set_(lin.bias, det([4], 2.0))
x = det([2, 5, 3], 3.0, 1.0).requires_grad_()
record("dense", {"l.W": lin.weight.t(), "l.b": lin.bias}, {"x": x}, lin(x),
       {"l.W": (lin.weight, tr), "x": (x, ident)})

# MLP(3, 5, 2)
l1, l2 = nn.Linear(3, 5), nn.Linear(5, 2)
for k, p in enumerate([l1.weight, l1.bias, l2.weight, l2.bias]):
    set_(p, det(list(p.shape), 10.0 + k))
x = det([4, 3], 4.0, 1.0).requires_grad_()
record("mlp", {"l.l1.W": l1.weight.t(), "l.l1.b": l1.bias, "l.l2.W": l2.weight.t(), "l.l2.b": l2.bias},
       {"x": x}, l2(torch.relu(l1(x))), {"l.l1.W": (l1.weight, tr), "x": (x, ident)})

# Conv2D(2, 3, kernel = 3, stride = 2, pad = 1)
conv = nn.Conv2d(2, 3, 3, stride=2, padding=1)
set_(conv.weight, det([3, 2, 3, 3], 5.0))
set_(conv.bias, det([3], 6.0))
x = det([2, 2, 5, 6], 7.0, 1.0).requires_grad_()
record("conv2d", {"l.K": conv.weight, "l.b": conv.bias}, {"x": x}, conv(x),
       {"l.K": (conv.weight, ident), "l.b": (conv.bias, ident), "x": (x, ident)})

# Embedding(5, 3)
emb = nn.Embedding(5, 3)
set_(emb.weight, det([5, 3], 8.0))
ids = torch.tensor([[0, 4, 2], [2, 2, 1]])
record("embedding", {"l.table": emb.weight}, {"ids": ids}, emb(ids), {"l.table": (emb.weight, ident)})

# LayerNorm(4)
ln = nn.LayerNorm(4)
set_(ln.weight, det([4], 11.0) + 1.0)
set_(ln.bias, det([4], 12.0))
x = det([2, 3, 4], 13.0, 2.0).requires_grad_()
record("layernorm", {"l.gamma": ln.weight, "l.beta": ln.bias}, {"x": x}, ln(x),
       {"l.gamma": (ln.weight, ident), "x": (x, ident)})

# BatchNorm(3): evaluation with running statistics, and a training step.
for mode in ["eval", "train"]:
    bn = nn.BatchNorm2d(3)
    set_(bn.weight, det([3], 14.0) + 1.0)
    set_(bn.bias, det([3], 15.0))
    bn.running_mean.copy_(det([3], 16.0))
    bn.running_var.copy_(det([3], 17.0).abs() + 0.5)
    params = {"l.gamma": bn.weight.detach().clone(), "l.beta": bn.bias.detach().clone(),
              "l.running_mean": bn.running_mean.clone(), "l.running_var": bn.running_var.clone()}
    x = det([2, 3, 2, 3], 18.0, 2.0).requires_grad_()
    if mode == "eval":
        bn.eval()
    else:
        bn.train()
    y = bn(x)
    states = None
    if mode == "train":
        states = {"l.running_mean": bn.running_mean.clone(), "l.running_var": bn.running_var.clone()}
    record("batchnorm_" + mode, params, {"x": x}, y, {"l.gamma": (bn.weight, ident), "x": (x, ident)}, states)

# LSTM(3, 4), batch first.
lstm = nn.LSTM(3, 4, batch_first=True)
for k, p in enumerate([lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0]):
    set_(p, det(list(p.shape), 20.0 + k))
x = det([2, 3, 3], 24.0, 1.0).requires_grad_()
y, _ = lstm(x)
record("lstm", {"l.W_ih": lstm.weight_ih_l0.t(), "l.W_hh": lstm.weight_hh_l0.t(),
                "l.b_ih": lstm.bias_ih_l0, "l.b_hh": lstm.bias_hh_l0},
       {"x": x}, y, {"l.W_hh": (lstm.weight_hh_l0, tr), "x": (x, ident)})

# GRU(3, 4), batch first.
gru = nn.GRU(3, 4, batch_first=True)
for k, p in enumerate([gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0]):
    set_(p, det(list(p.shape), 30.0 + k))
x = det([2, 3, 3], 34.0, 1.0).requires_grad_()
y, _ = gru(x)
record("gru", {"l.W_ih": gru.weight_ih_l0.t(), "l.W_hh": gru.weight_hh_l0.t(),
               "l.b_ih": gru.bias_ih_l0, "l.b_hh": gru.bias_hh_l0},
       {"x": x}, y, {"l.W_hh": (gru.weight_hh_l0, tr), "x": (x, ident)})


def mha_params(prefix, mha, d):
    w, b = mha.in_proj_weight, mha.in_proj_bias
    out = {}
    for k, name in enumerate(["wq", "wk", "wv"]):
        out[prefix + name + ".W"] = w[k * d:(k + 1) * d].t()
        out[prefix + name + ".b"] = b[k * d:(k + 1) * d]
    out[prefix + "wo.W"] = mha.out_proj.weight.t()
    out[prefix + "wo.b"] = mha.out_proj.bias
    return out


def causal_mask(t):
    return torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)


# MultiHeadAttention(4, 2), plain and causal.
for causal in [False, True]:
    mha = nn.MultiheadAttention(4, 2, batch_first=True)
    for k, p in enumerate([mha.in_proj_weight, mha.in_proj_bias, mha.out_proj.weight, mha.out_proj.bias]):
        set_(p, det(list(p.shape), 40.0 + k))
    x = det([2, 3, 4], 45.0, 1.0).requires_grad_()
    mask = causal_mask(3) if causal else None
    y, _ = mha(x, x, x, attn_mask=mask, need_weights=False)
    record("mha_causal" if causal else "mha", mha_params("l.", mha, 4), {"x": x}, y,
           {"l.wq.W": (mha.in_proj_weight, lambda g: g[0:4].t()), "x": (x, ident)})

# TransformerBlock(4, 2, ff = 8): pre-norm encoder layer with gelu.
for causal in [False, True]:
    blk = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0, activation="gelu",
                                     batch_first=True, norm_first=True)
    for k, (n, p) in enumerate(sorted(blk.named_parameters())):
        v = det(list(p.shape), 50.0 + k)
        if n.endswith("norm1.weight") or n.endswith("norm2.weight"):
            v = v + 1.0
        set_(p, v)
    x = det([2, 3, 4], 49.0, 1.0).requires_grad_()
    y = blk(x, src_mask=causal_mask(3) if causal else None)
    params = mha_params("l.attn.", blk.self_attn, 4)
    params.update({"l.ln1.gamma": blk.norm1.weight, "l.ln1.beta": blk.norm1.bias,
                   "l.ln2.gamma": blk.norm2.weight, "l.ln2.beta": blk.norm2.bias,
                   "l.up.W": blk.linear1.weight.t(), "l.up.b": blk.linear1.bias,
                   "l.down.W": blk.linear2.weight.t(), "l.down.b": blk.linear2.bias})
    record("block_causal" if causal else "block", params, {"x": x}, y,
           {"l.up.W": (blk.linear1.weight, tr), "x": (x, ident)})

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "std.json"), "w") as f:
    json.dump(cases, f, indent=1, sort_keys=True)
    f.write("\n")
