#!/usr/bin/python3
"""Reference values for nnc's network ops, computed with PyTorch in float64.

Run from this directory with /usr/bin/python3 (Debian's python3-torch, 1.13):

    /usr/bin/python3 gen.py > nn.json

Each case applies one nnc op (named as in nnc's registry, with nnc's
attributes) to inputs and records the result and, for a random cotangent r,
the gradient of sum(result * r) with respect to every float input (null for
integer inputs and masks), and a second derivative: for random s_i, the
gradient of sum_i sum(grad_i * s_i) with respect to the float inputs.
ops/nn_torch_test.go compares.
"""
import json

import torch
import torch.nn.functional as F

torch.manual_seed(0)
D = torch.float64


def t(x):
    x = x.detach()
    dt = {torch.float64: "f64", torch.int64: "i64", torch.bool: "bool"}[x.dtype]
    return {"dtype": dt, "shape": list(x.shape), "data": [float(v) for v in x.reshape(-1).tolist()]}


cases = []


def case(name, op, attrs, inputs, fn, second=True):
    """inputs: tensors; fn(*inputs) -> result. Float inputs get gradients.

    With second, the case also records random s_i (one per float input) and
    the gradient of F = sum_i sum(grad_i * s_i), a second derivative."""
    leaves = []
    for x in inputs:
        x = x.clone()
        if x.dtype == D:
            x.requires_grad_(True)
        leaves.append(x)
    out = fn(*leaves)
    r = torch.randn(out.shape, dtype=D)
    fl = [x for x in leaves if x.dtype == D]
    g = torch.autograd.grad((out * r).sum(), fl, create_graph=second, allow_unused=True)
    g = [torch.zeros_like(x) if gi is None else gi for x, gi in zip(fl, g)]
    grads, k = [], 0
    for x in leaves:
        if x.dtype != D:
            grads.append(None)
        else:
            grads.append(t(g[k]))
            k += 1
    c = {"name": name, "op": op, "attrs": attrs, "inputs": [t(x) for x in leaves],
         "cotangent": t(r), "output": t(out), "grads": grads}
    if second:
        ss = [torch.randn(x.shape, dtype=D) for x in fl]
        F = sum((gi * si).sum() for gi, si in zip(g, ss))
        g2 = torch.autograd.grad(F, fl, allow_unused=True) if F.requires_grad else [None] * len(fl)
        c["s"] = [t(si) for si in ss]
        c["grads2"] = [t(torch.zeros_like(x) if gi is None else gi) for x, gi in zip(fl, g2)]
    cases.append(c)


def randn(*s):
    return torch.randn(*s, dtype=D)


# Convolutions.
case("conv2d_stride_pad_dilation_groups", "conv2d",
     {"stride": [2, 1], "pad": [1, 2], "dilation": [2, 1], "groups": 2},
     [randn(2, 4, 7, 6), randn(6, 2, 3, 2)],
     lambda x, k: F.conv2d(x, k, stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2))
case("conv2d_pad1", "conv2d", {"pad": 1},
     [randn(1, 3, 5, 5), randn(4, 3, 3, 3)],
     lambda x, k: F.conv2d(x, k, padding=1))
case("conv2d_1x1", "conv2d", {},
     [randn(2, 3, 4, 5), randn(5, 3, 1, 1)],
     lambda x, k: F.conv2d(x, k))
case("conv2d_depthwise_stride3", "conv2d", {"stride": 3, "groups": 3},
     [randn(2, 3, 8, 7), randn(6, 1, 2, 2)],
     lambda x, k: F.conv2d(x, k, stride=3, groups=3))
case("conv1d_stride_pad_dilation_groups", "conv1d",
     {"stride": 2, "pad": 1, "dilation": 2, "groups": 2},
     [randn(2, 4, 9), randn(6, 2, 3)],
     lambda x, k: F.conv1d(x, k, stride=2, padding=1, dilation=2, groups=2))

# Pooling.
case("max_pool2d", "max_pool2d", {"k": [3, 2], "stride": [2, 2], "pad": [1, 1]},
     [randn(2, 3, 6, 7)],
     lambda x: F.max_pool2d(x, (3, 2), stride=(2, 2), padding=(1, 1)))
case("max_pool2d_default_stride", "max_pool2d", {"k": 2},
     [randn(1, 2, 5, 4)],
     lambda x: F.max_pool2d(x, 2))
case("avg_pool2d", "avg_pool2d", {"k": 3, "stride": 2, "pad": 1},
     [randn(2, 3, 6, 7)],
     lambda x: F.avg_pool2d(x, 3, stride=2, padding=1))
case("avg_pool2d_exclude_pad", "avg_pool2d", {"k": [2, 3], "stride": [1, 2], "pad": [1, 1], "count_include_pad": False},
     [randn(1, 2, 5, 6)],
     lambda x: F.avg_pool2d(x, (2, 3), stride=(1, 2), padding=(1, 1), count_include_pad=False))

# Normalization.
case("layer_norm", "layer_norm", {"eps": 1e-5},
     [randn(3, 4, 5), randn(5), randn(5)],
     lambda x, g, b: F.layer_norm(x, (5,), g, b, eps=1e-5))
case("batch_norm_nchw", "batch_norm", {"eps": 1e-5},
     [randn(4, 3, 5, 2), randn(3), randn(3)],
     lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True, eps=1e-5))
case("batch_norm_nc", "batch_norm", {"eps": 0.01},
     [randn(6, 3), randn(3), randn(3)],
     lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True, eps=0.01))

# Embedding (repeated ids accumulate their gradients).
case("embedding", "embedding", {},
     [torch.tensor([[1, 0, 6], [3, 1, 1]]), randn(7, 4)],
     lambda ids, w: F.embedding(ids, w))


# Attention with a mask: PyTorch 1.13 has no fused scaled_dot_product_attention,
# so it is written out as its definition.
def attention(q, k, v, mask):
    s = q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5
    s = s.masked_fill(~mask, float("-inf"))
    return torch.softmax(s, dim=-1) @ v


mask = torch.rand(4, 6) < 0.6
mask[:, 0] = True  # every row keeps a position
mask[1, 3] = False
case("attention_mask", "attention", {},
     [randn(2, 3, 4, 5), randn(2, 3, 6, 5), randn(2, 3, 6, 4), mask], attention)
case("attention_nomask", "attention", {},
     [randn(2, 5, 3), randn(2, 4, 3), randn(2, 4, 2)],
     lambda q, k, v: torch.softmax(q @ k.transpose(-2, -1) / 3 ** 0.5, dim=-1) @ v)


# Cross entropy. PyTorch does not differentiate nll_loss's class weights, so
# the weights' gradient comes from the definition written out with autograd;
# its value is checked against F.cross_entropy first.
def ce_def(z, y, w, eps):
    logp = torch.log_softmax(z, dim=1)
    c = z.shape[1]
    wy = w[y]
    nll = -logp.gather(1, y[:, None])[:, 0]
    smooth = -(logp * w[None, :]).sum(1)
    return ((1 - eps) * wy * nll + eps / c * smooth).sum() / wy.sum()


z, y, w = randn(5, 4), torch.tensor([0, 3, 1, 3, 2]), torch.rand(4, dtype=D) + 0.5
ref = F.cross_entropy(z, y, weight=w, label_smoothing=0.1)
assert torch.allclose(ref, ce_def(z, y, w, 0.1), rtol=1e-12, atol=0), (ref, ce_def(z, y, w, 0.1))
case("cross_entropy_weights_smoothing", "cross_entropy", {"label_smoothing": 0.1},
     [z, y, w], lambda z, y, w: ce_def(z, y, w, 0.1))
case("cross_entropy_smoothing", "cross_entropy", {"label_smoothing": 0.25},
     [randn(3, 6), torch.tensor([5, 0, 2])],
     lambda z, y: F.cross_entropy(z, y, label_smoothing=0.25))
z, y, w = randn(4, 3), torch.tensor([2, 2, 0, 1]), torch.rand(3, dtype=D) + 0.5
assert torch.allclose(F.cross_entropy(z, y, weight=w), ce_def(z, y, w, 0.0), rtol=1e-12, atol=0)
case("cross_entropy_weights", "cross_entropy", {}, [z, y, w], lambda z, y, w: ce_def(z, y, w, 0.0))

# Elementwise losses, means.
p = torch.sigmoid(randn(3, 4))
case("binary_cross_entropy", "binary_cross_entropy", {},
     [p, torch.rand(3, 4, dtype=D)], lambda p, y: F.binary_cross_entropy(p, y))
case("binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits", {},
     [randn(3, 4) * 3, torch.rand(3, 4, dtype=D)], lambda z, y: F.binary_cross_entropy_with_logits(z, y))
case("mse", "mse", {}, [randn(2, 5), randn(2, 5)], lambda x, y: F.mse_loss(x, y))
case("huber", "huber", {"delta": 0.7}, [randn(3, 5), randn(3, 5)], lambda x, y: F.huber_loss(x, y, delta=0.7))
# An elementwise activation (added after the others, so that their draws
# stay as they were): mish over normal draws and values where softplus
# saturates (PyTorch's threshold 20) or underflows.
case("mish", "mish", {},
     [torch.cat([randn(12) * 3, torch.tensor([-40.0, -20.0, -1e-3, 0.0, 1e-3, 20.0, 21.0, 40.0], dtype=D)]).reshape(4, 5)],
     lambda x: F.mish(x))

# Self-attention (q, k and v of one shape: attention's VJP is the fused
# attention_grad) past one strip of kernels.AttnRows = 64 query rows and one
# tile of 64 keys: a causal mask over 70 positions, and a mask that is not a
# prefix (holes; the first key kept in every row). Added after the others.
causal = torch.tril(torch.ones(70, 70, dtype=torch.bool))
case("attention_self_causal", "attention", {},
     [randn(2, 70, 5), randn(2, 70, 5), randn(2, 70, 5), causal], attention)
holes = torch.rand(67, 67) < 0.7
holes[:, 0] = True
case("attention_self_holes", "attention", {},
     [randn(67, 3), randn(67, 3), randn(67, 3), holes], attention)
case("attention_self_nomask", "attention", {},
     [randn(3, 66, 4), randn(3, 66, 4), randn(3, 66, 4)],
     lambda q, k, v: torch.softmax(q @ k.transpose(-2, -1) / 2, dim=-1) @ v)

# Cross entropy with ignore_index (added after the others): rows labelled -1
# (PyTorch's usual "no target here") and, with weights and smoothing, an
# in-range ignored class; the weights' gradient again from the definition.
def ce_def_ignore(z, y, w, eps, ig):
    keep = y != ig
    return ce_def(z[keep], y[keep], w, eps)


z, y = randn(7, 5), torch.tensor([0, -1, 4, -1, 2, 2, -1])
case("cross_entropy_ignore", "cross_entropy", {"ignore_index": -1},
     [z, y], lambda z, y: F.cross_entropy(z, y, ignore_index=-1))
z, y, w = randn(6, 4), torch.tensor([3, 1, 0, 1, 2, 3]), torch.rand(4, dtype=D) + 0.5
ref = F.cross_entropy(z, y, weight=w, label_smoothing=0.15, ignore_index=1)
assert torch.allclose(ref, ce_def_ignore(z, y, w, 0.15, 1), rtol=1e-12, atol=0), (ref, ce_def_ignore(z, y, w, 0.15, 1))
case("cross_entropy_ignore_weights_smoothing", "cross_entropy", {"label_smoothing": 0.15, "ignore_index": 1},
     [z, y, w], lambda z, y, w: ce_def_ignore(z, y, w, 0.15, 1))
z, y = randn(5, 3), torch.tensor([2, -100, 0, 1, -100])
case("cross_entropy_ignore_smoothing", "cross_entropy", {"label_smoothing": 0.3, "ignore_index": -100},
     [z, y], lambda z, y: F.cross_entropy(z, y, label_smoothing=0.3, ignore_index=-100))

print(json.dumps({"torch": torch.__version__, "cases": cases}, indent=None))
