"""3-D convolution and pooling (conv3d, max_pool3d, avg_pool3d) and 2-D
average pooling with dilations (issue 15: ONNX's Conv, MaxPool and
AveragePool with three spatial axes, AveragePool's dilations).

References are PyTorch in float64: F.conv3d, F.max_pool3d and F.avg_pool3d
(asymmetric padding by F.pad before an unpadded op, as convpool.py does).
PyTorch's average pooling has no dilation, so avg_pool2d with dilations is
computed from F.unfold's dilated patches: the sum of each window's taps
over the number of its taps inside the input (count_include_pad = false) or
inside the padded input (count_include_pad = true), ONNX's AveragePool
rule. Programs with gradients are written in f64.
"""

import numpy as np
import torch
import torch.nn.functional as F

from common import Case, select, grid, rng, write_all

T = torch.float64

PENDING = []

cases = []


def t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=T, requires_grad=grad)


def n(x):
    return x.detach().numpy()


def case(topic, name, header, program, entry="f"):
    c = Case(topic, name, header, program, entry)
    cases.append(c)
    return c


def torch_pad(x, pads, value=0.0):
    """F.pad by [(before, after) per spatial axis], outer axis first."""
    flat = []
    for b, a in reversed(pads):
        flat += [b, a]
    return F.pad(x, flat, value=value)


def with_grads(c, fn, inputs, r):
    """Adds the inputs, a weight w, sum(fn(...) * w) and its gradients."""
    ts = [t(v, True) for _, v in inputs]
    y = fn(*ts)
    w = grid(r, tuple(y.shape))
    val = (y * t(w)).sum()
    val.backward()
    for name, v in inputs:
        c.input(name, v)
    c.input("w", w).out(n(val), "f64")
    for (name, _), tv in zip(inputs, ts):
        c.grad(name, n(tv.grad), "f64")
    return c


def avg_dilated2d(x, k, s, d, pads, include_pad, ceil=False):
    """Dilated 2-D average pooling of NCHW x from F.unfold's patches."""
    N, C, H, W = x.shape
    outs, ext = [], []
    for size, kk, ss, dd, (lo, hi) in zip((H, W), k, s, d, pads):
        eff = dd * (kk - 1) + 1
        num = size + lo + hi - eff
        o = (-(-num // ss) if ceil else num // ss) + 1
        if ceil and (o - 1) * ss >= size + lo:
            o -= 1
        outs.append(o)
        ext.append(max((o - 1) * ss + eff - (size + lo + hi), 0))
    full = [(lo, hi + e) for (lo, hi), e in zip(pads, ext)]
    xp = torch_pad(x, full)
    inside = torch_pad(torch.ones(1, 1, H, W, dtype=T), full)
    padded = torch_pad(torch.ones(1, 1, H + pads[0][0] + pads[0][1], W + pads[1][0] + pads[1][1], dtype=T),
                       [(0, e) for e in ext])
    mask = padded if include_pad else inside

    def patches(v):
        return F.unfold(v, k, dilation=d, stride=s)

    sums = patches(xp.reshape(N * C, 1, *xp.shape[2:])).sum(1)
    cnt = patches(mask).sum(1)
    return (sums / cnt).reshape(N, C, *outs)


# ---- conv3d ----
r = rng(1503)
x, K = grid(r, (2, 3, 5, 6, 4)), grid(r, (4, 3, 3, 2, 3))
tx, tK = t(x), t(K)
case("conv3d", "conv3d", "conv3d over [N, C, D, H, W] like F.conv3d: pad 1 with strides [2, 1, 1]; dilation [1, 2, 1] with pad [0, 1, 1]; \"same\" padding (stride 1, even kernel: the odd padding after).", """
fn f(x: f32[2, 3, 5, 6, 4], K: f32[4, 3, 3, 2, 3]) -> (f32[2, 4, 3, 7, 4], f32[2, 4, 3, 6, 4], f32[2, 4, 5, 6, 4]) {
    return conv3d(x, K, stride = [2, 1, 1], pad = 1), conv3d(x, K, dilation = [1, 2, 1], pad = [0, 1, 1]), conv3d(x, K, pad = "same")
}
""").input("x", x).input("K", K) \
    .out(n(F.conv3d(tx, tK, stride=(2, 1, 1), padding=1))) \
    .out(n(F.conv3d(tx, tK, dilation=(1, 2, 1), padding=(0, 1, 1)))) \
    .out(n(F.conv3d(torch_pad(tx, [(1, 1), (0, 1), (1, 1)]), tK)))

x, K = grid(r, (2, 4, 4, 5, 5)), grid(r, (4, 2, 2, 3, 2))
with_grads(case("conv3d", "conv3d_grads", "conv3d with groups 2, strides [1, 2, 1], dilation [2, 1, 1] and asymmetric pad [front, back, top, bottom, left, right] = [1, 0, 1, 1, 0, 2]; gradients w.r.t. input and kernel.", """
fn f(x: f64[2, 4, 4, 5, 5], K: f64[4, 2, 2, 3, 2], w: f64[2, 4, 3, 3, 6]) -> f64 {
    return sum(conv3d(x, K, stride = [1, 2, 1], dilation = [2, 1, 1], pad = [1, 0, 1, 1, 0, 2], groups = 2) * w)
}
"""), lambda a, b: F.conv3d(torch_pad(a, [(1, 0), (1, 1), (0, 2)]), b, stride=(1, 2, 1), dilation=(2, 1, 1), groups=2),
    [("x", x), ("K", K)], r)

x, K, b = grid(r, (2, 2, 4, 5, 6), -1, 1, 32), grid(r, (3, 2, 3, 3, 3), -0.5, 0.5, 32), grid(r, (3,), -0.5, 0.5, 32)
conv = torch.nn.Conv3d(2, 3, 3, stride=(1, 2, 2), padding=1).double()
with torch.no_grad():
    conv.weight.copy_(t(K))
    conv.bias.copy_(t(b))
case("conv3d", "stdnn_conv3d", "nn.Conv3D(2, 3, kernel = [3, 3, 3], stride = [1, 2, 2], pad = 1) is torch.nn.Conv3d(2, 3, 3, stride=(1, 2, 2), padding=1): K [3, 2, 3, 3, 3] and a bias b [3].", """
import "std/nn"

model Net() {
    conv = nn.Conv3D(2, 3, kernel = [3, 3, 3], stride = [1, 2, 2], pad = 1)

    fn forward(x: f32[2, 2, 4, 5, 6]) -> f32[2, 3, 4, 3, 3] {
        return conv(x)
    }
}
""", entry="Net.forward").input("x", x).param("conv.K", K).param("conv.b", b).out(n(conv(t(x))))

# ---- 3-D pooling ----
r = rng(1504)
x = grid(r, (2, 2, 5, 6, 7))
tx = t(x)
case("conv3d", "pool3d", "max_pool3d and avg_pool3d like F.max_pool3d and F.avg_pool3d: window 2; window 3, stride 2, pad 1 with ceil_mode; max with dilation [1, 2, 1]; average without the padding in the divisor.", """
fn f(x: f32[2, 2, 5, 6, 7]) -> (f32[2, 2, 2, 3, 3], f32[2, 2, 3, 4, 4], f32[2, 2, 4, 4, 6], f32[2, 2, 3, 4, 4], f32[2, 2, 3, 3, 4]) {
    a = max_pool3d(x, 2)
    b = max_pool3d(x, 3, stride = 2, pad = 1, ceil_mode = true)
    c = max_pool3d(x, 2, stride = 1, dilation = [1, 2, 1])
    d = avg_pool3d(x, 3, stride = 2, pad = 1, ceil_mode = true)
    e = avg_pool3d(x, [3, 2, 3], stride = 2, pad = [1, 0, 1], count_include_pad = false)
    return a, b, c, d, e
}
""").input("x", x) \
    .out(n(F.max_pool3d(tx, 2))) \
    .out(n(F.max_pool3d(tx, 3, stride=2, padding=1, ceil_mode=True))) \
    .out(n(F.max_pool3d(tx, 2, stride=1, dilation=(1, 2, 1)))) \
    .out(n(F.avg_pool3d(tx, 3, stride=2, padding=1, ceil_mode=True))) \
    .out(n(F.avg_pool3d(tx, (3, 2, 3), stride=2, padding=(1, 0, 1), count_include_pad=False)))

x = grid(r, (1, 2, 4, 5, 5))
x[0, 1, 1, 1, 1] = x[0, 1, 1, 1, 2]  # a tie: the gradient goes to the first maximum
with_grads(case("conv3d", "max_pool3d_grads", "The gradient of max_pool3d with pad 1, strides [1, 2, 2], dilation [2, 1, 1] and ceil_mode goes to each window's first maximum.", """
fn f(x: f64[1, 2, 4, 5, 5], w: f64[1, 2, 4, 3, 3]) -> f64 {
    return sum(max_pool3d(x, 2, stride = [1, 2, 2], pad = 1, dilation = [2, 1, 1], ceil_mode = true) * w)
}
"""), lambda a: F.max_pool3d(a, 2, stride=(1, 2, 2), padding=1, dilation=(2, 1, 1), ceil_mode=True), [("x", x)], r)

x = grid(r, (1, 2, 5, 4, 5))
with_grads(case("conv3d", "avg_pool3d_grads", "The gradient of avg_pool3d with window [3, 2, 3], stride 2, pad [1, 1, 1], ceil_mode and count_include_pad = false.", """
fn f(x: f64[1, 2, 5, 4, 5], w: f64[1, 2, 3, 3, 3]) -> f64 {
    return sum(avg_pool3d(x, [3, 2, 3], stride = 2, pad = 1, ceil_mode = true, count_include_pad = false) * w)
}
"""), lambda a: F.avg_pool3d(a, (3, 2, 3), stride=2, padding=1, ceil_mode=True, count_include_pad=False), [("x", x)], r)

# ---- 2-D average pooling with dilations ----
r = rng(1505)
x = grid(r, (2, 2, 7, 8))
tx = t(x)
case("conv3d", "avg_pool2d_dilated", "avg_pool2d with dilations (ONNX's AveragePool): window 2 with dilation 2; window 3, dilation [2, 1], stride 2, pad 1, counting the padding; the same without it, and with ceil_mode (a window hanging past the padding divides by its taps inside it).", """
fn f(x: f32[2, 2, 7, 8]) -> (f32[2, 2, 5, 6], f32[2, 2, 3, 4], f32[2, 2, 3, 4], f32[2, 2, 4, 5]) {
    a = avg_pool2d(x, 2, stride = 1, dilation = 2)
    b = avg_pool2d(x, 3, stride = 2, pad = 1, dilation = [2, 1])
    c = avg_pool2d(x, 3, stride = 2, pad = 1, dilation = [2, 1], count_include_pad = false)
    d = avg_pool2d(x, 2, stride = 2, pad = 1, dilation = 2, ceil_mode = true)
    return a, b, c, d
}
""").input("x", x) \
    .out(n(avg_dilated2d(tx, (2, 2), (1, 1), (2, 2), [(0, 0), (0, 0)], True))) \
    .out(n(avg_dilated2d(tx, (3, 3), (2, 2), (2, 1), [(1, 1), (1, 1)], True))) \
    .out(n(avg_dilated2d(tx, (3, 3), (2, 2), (2, 1), [(1, 1), (1, 1)], False))) \
    .out(n(avg_dilated2d(tx, (2, 2), (2, 2), (2, 2), [(1, 1), (1, 1)], True, ceil=True)))

x = grid(r, (1, 2, 6, 5))
with_grads(case("conv3d", "avg_pool2d_dilated_grads", "The gradient of avg_pool2d with window 3, dilation [1, 2], stride [1, 2], pad 1 and count_include_pad = false: each window's share over its taps inside the input.", """
fn f(x: f64[1, 2, 6, 5], w: f64[1, 2, 6, 2]) -> f64 {
    return sum(avg_pool2d(x, 3, stride = [1, 2], pad = 1, dilation = [1, 2], count_include_pad = false) * w)
}
"""), lambda a: avg_dilated2d(a, (3, 3), (1, 2), (1, 2), [(1, 1), (1, 1)], False), [("x", x)], r)

live = select(cases, PENDING)

if __name__ == "__main__":
    write_all(live)
