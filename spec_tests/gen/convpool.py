"""The padding, pooling and reshape modes real models use (issue 15, item 5):
conv1d and conv2d with pad = "same" (ONNX SAME_UPPER), "same_lower", "valid",
per-axis and [before, after] widths, rectangular kernels; max_pool2d and
avg_pool2d with ceil_mode, dilation, count_include_pad on windows that hang
off the end, asymmetric and "same" padding; global pooling (std/nn);
pad() with modes constant, reflect and edge; reshape with ONNX's 0.

References are PyTorch in float64. Asymmetric and "same" paddings are
computed independently of nnc's rule: the widths by ONNX's formula below,
applied with F.pad (zeros for convolutions, -inf for max pooling) before an
unpadded PyTorch op; count_include_pad = false divides by a pooled mask of
ones. Programs with gradients are written in f64.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F

from common import Case, select, grid, rng, write_all, pos

T = torch.float64

PENDING = []


def t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=T, requires_grad=grad)


def n(x):
    return x.detach().numpy()


cases = []


def case(topic, name, header, program, entry="f"):
    c = Case(topic, name, header, program, entry)
    cases.append(c)
    return c


def same_pads(size, k, s, d, lower=False):
    """ONNX's SAME_UPPER (lower: SAME_LOWER) widths (before, after) of one axis."""
    out = (size + s - 1) // s
    total = max((out - 1) * s + d * (k - 1) + 1 - size, 0)
    small, big = total // 2, total - total // 2
    return (big, small) if lower else (small, big)


def torch_pad(x, hw_pads, value=0.0):
    """F.pad of NCHW or NCW x by [(before, after) per spatial axis], outer first."""
    flat = []
    for b, a in reversed(hw_pads):
        flat += [b, a]
    return F.pad(x, flat, value=value)


def with_grads(c, fn, inputs, r, dtype="f64"):
    """Adds the inputs, a weight w, sum(fn(...) * w) and its gradients."""
    ts = [t(v, True) for _, v in inputs]
    y = fn(*ts)
    w = grid(r, tuple(y.shape))
    val = (y * t(w)).sum()
    val.backward()
    for (name, v) in inputs:
        c.input(name, v)
    c.input("w", w).out(n(val), dtype)
    for (name, _), tv in zip(inputs, ts):
        c.grad(name, n(tv.grad), dtype)
    return c


# ---- convolutions ----
r = rng(1501)
x, K = grid(r, (2, 3, 7, 8)), grid(r, (4, 3, 3, 5))
p1 = [same_pads(7, 3, 1, 1), same_pads(8, 5, 1, 1)]
p2 = [same_pads(7, 3, 2, 1), same_pads(8, 5, 2, 1)]
p3 = [same_pads(7, 3, 2, 1, True), same_pads(8, 5, 2, 1, True)]
case("conv_modes", "conv2d_same", 'conv2d with a rectangular [3, 5] kernel: pad = "same" with stride 1 keeps the size; with stride 2 (ONNX SAME_UPPER: ceil(size / 2) positions, the odd padding after) and "same_lower" (the odd padding before); "valid" is no padding.', """
fn f(x: f32[2, 3, 7, 8], K: f32[4, 3, 3, 5]) -> (f32[2, 4, 7, 8], f32[2, 4, 4, 4], f32[2, 4, 4, 4], f32[2, 4, 5, 4]) {
    return conv2d(x, K, pad = "same"), conv2d(x, K, stride = 2, pad = "same"), conv2d(x, K, stride = 2, pad = "same_lower"), conv2d(x, K, pad = "valid")
}
""").input("x", x).input("K", K) \
    .out(n(F.conv2d(torch_pad(t(x), p1), t(K)))) \
    .out(n(F.conv2d(torch_pad(t(x), p2), t(K), stride=2))) \
    .out(n(F.conv2d(torch_pad(t(x), p3), t(K), stride=2))) \
    .out(n(F.conv2d(t(x), t(K))))

x, K = grid(r, (1, 2, 6, 6)), grid(r, (3, 2, 3, 3))
pd = [same_pads(6, 3, 2, 2), same_pads(6, 3, 2, 2)]
with_grads(case("conv_modes", "conv2d_same_dilated_grads", 'conv2d with stride 2, dilation 2 and pad = "same" on even sizes (the dilated window is 5: 1 before, 2 after); gradients w.r.t. input and kernel.', """
fn f(x: f64[1, 2, 6, 6], K: f64[3, 2, 3, 3], w: f64[1, 3, 3, 3]) -> f64 {
    return sum(conv2d(x, K, stride = 2, dilation = 2, pad = "same") * w)
}
"""), lambda a, b: F.conv2d(torch_pad(a, pd), b, stride=2, dilation=2), [("x", x), ("K", K)], r)

x, K = grid(r, (2, 4, 5, 6)), grid(r, (4, 2, 2, 3))
with_grads(case("conv_modes", "conv2d_asymmetric_grads", "conv2d with pad = [top, bottom, left, right] = [0, 1, 2, 0], stride [2, 1] and groups 2; gradients w.r.t. input and kernel.", """
fn f(x: f64[2, 4, 5, 6], K: f64[4, 2, 2, 3], w: f64[2, 4, 3, 6]) -> f64 {
    return sum(conv2d(x, K, stride = [2, 1], pad = [0, 1, 2, 0], groups = 2) * w)
}
"""), lambda a, b: F.conv2d(torch_pad(a, [(0, 1), (2, 0)]), b, stride=(2, 1), groups=2), [("x", x), ("K", K)], r)

x, K = grid(r, (2, 3, 9)), grid(r, (2, 3, 4))
case("conv_modes", "conv1d_modes", 'conv1d with pad = [left, right] = [2, 1], "same" with stride 1 (an even kernel: 1 before, 2 after), and "same" with stride 2.', """
fn f(x: f32[2, 3, 9], K: f32[2, 3, 4]) -> (f32[2, 2, 9], f32[2, 2, 9], f32[2, 2, 5]) {
    return conv1d(x, K, pad = [2, 1]), conv1d(x, K, pad = "same"), conv1d(x, K, stride = 2, pad = "same")
}
""").input("x", x).input("K", K) \
    .out(n(F.conv1d(torch_pad(t(x), [(2, 1)]), t(K)))) \
    .out(n(F.conv1d(torch_pad(t(x), [same_pads(9, 4, 1, 1)]), t(K)))) \
    .out(n(F.conv1d(torch_pad(t(x), [same_pads(9, 4, 2, 1)]), t(K), stride=2)))

x, K = grid(r, (1, 2, 5, 5)), grid(r, (2, 2, 3, 3))
case("conv_modes", "conv2d_pad_errors", "conv2d rejects a pad of 3 values and an unknown mode, at the argument.", """
fn f(x: f32[1, 2, 5, 5], K: f32[2, 2, 3, 3]) -> f32[1, 2, 5, 5] {
    return conv2d(x, K, pad = [1, 1, 1])
}

fn g(x: f32[1, 2, 5, 5], K: f32[2, 2, 3, 3]) -> f32[1, 2, 5, 5] {
    return conv2d(x, K, pad = "full")
}
""").error("main.nn:2: conv2d ... pad has 3 values, want 1, 2 (one per spatial axis) or 4") \
    .error("main.nn:6:25: conv2d ... pad must be ... \"same\" ... \"full\"")

x, K, b = grid(r, (2, 2, 7, 9)), grid(r, (3, 2, 3, 5), -0.5, 0.5, 32), grid(r, (3,), -0.5, 0.5, 32)
conv = torch.nn.Conv2d(2, 3, (3, 5), stride=(2, 1), padding=(1, 2), dilation=(1, 2)).double()
with torch.no_grad():
    conv.weight.copy_(t(K))
    conv.bias.copy_(t(b))
case("conv_modes", "stdnn_conv2d_rect", "nn.Conv2D with a rectangular kernel [3, 5], stride [2, 1], pad [1, 2] and dilation [1, 2], like torch.nn.Conv2d(2, 3, (3, 5), stride=(2, 1), padding=(1, 2), dilation=(1, 2)); a second layer with the int defaults beside it.", """
import "std/nn"

model Net() {
    conv   = nn.Conv2D(2, 3, kernel = [3, 5], stride = [2, 1], pad = [1, 2], dilation = [1, 2])
    square = nn.Conv2D(3, 1)

    fn forward(x: f32[2, 2, 7, 9]) -> f32[2, 3, 4, 5] {
        return conv(x)
    }
}
""", entry="Net.forward").input("x", x).param("conv.K", K).param("conv.b", b).out(n(conv(t(x))))

# ---- pooling ----
r = rng(1502)
x = grid(r, (2, 2, 6, 7))
tx = t(x)
case("pool_modes", "max_pool2d_modes", "max_pool2d with ceil_mode (window 3, stride 2, pad 1: the last windows hang off the end), dilation 2, and a rectangular window with [2, 1] strides.", """
fn f(x: f32[2, 2, 6, 7]) -> (f32[2, 2, 4, 4], f32[2, 2, 2, 3], f32[2, 2, 3, 6]) {
    return max_pool2d(x, 3, stride = 2, pad = 1, ceil_mode = true), max_pool2d(x, 2, stride = 2, dilation = 2), max_pool2d(x, [2, 2], stride = [2, 1])
}
""").input("x", x) \
    .out(n(F.max_pool2d(tx, 3, stride=2, padding=1, ceil_mode=True))) \
    .out(n(F.max_pool2d(tx, 2, stride=2, dilation=2))) \
    .out(n(F.max_pool2d(tx, (2, 2), stride=(2, 1))))

x = grid(r, (1, 2, 7, 6))
x[0, 0, 1, 1] = x[0, 0, 1, 2]  # a tie: the gradient goes to the first maximum
with_grads(case("pool_modes", "max_pool2d_ceil_dilated_grads", "The gradient of max_pool2d with ceil_mode, dilation [2, 1] and pad 1 goes to each window's first maximum.", """
fn f(x: f64[1, 2, 7, 6], w: f64[1, 2, 3, 4]) -> f64 {
    return sum(max_pool2d(x, 3, stride = 2, pad = 1, dilation = [2, 1], ceil_mode = true) * w)
}
"""), lambda a: F.max_pool2d(a, 3, stride=2, padding=1, dilation=(2, 1), ceil_mode=True), [("x", x)], r)

x = grid(r, (2, 2, 6, 7))
tx = t(x)
case("pool_modes", "avg_pool2d_ceil", "avg_pool2d with ceil_mode: windows that hang off the end divide by the part inside the padded input (count_include_pad, PyTorch's default) or by the part inside the input.", """
fn f(x: f32[2, 2, 6, 7]) -> (f32[2, 2, 4, 4], f32[2, 2, 4, 4], f32[2, 2, 3, 4]) {
    return avg_pool2d(x, 3, stride = 2, pad = 1, ceil_mode = true), avg_pool2d(x, 3, stride = 2, pad = 1, ceil_mode = true, count_include_pad = false), avg_pool2d(x, 2, ceil_mode = true)
}
""").input("x", x) \
    .out(n(F.avg_pool2d(tx, 3, stride=2, padding=1, ceil_mode=True))) \
    .out(n(F.avg_pool2d(tx, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False))) \
    .out(n(F.avg_pool2d(tx, 2, ceil_mode=True)))

x = grid(r, (1, 2, 5, 6))
with_grads(case("pool_modes", "avg_pool2d_ceil_grads", "The gradient of avg_pool2d with ceil_mode and pad 1, counting the padding: each window's share over its divisor.", """
fn f(x: f64[1, 2, 5, 6], w: f64[1, 2, 3, 4]) -> f64 {
    return sum(avg_pool2d(x, 3, stride = 2, pad = 1, ceil_mode = true) * w)
}
"""), lambda a: F.avg_pool2d(a, 3, stride=2, padding=1, ceil_mode=True), [("x", x)], r)

x = grid(r, (1, 2, 6, 7))
tx = t(x)
ps = [same_pads(6, 3, 2, 1), same_pads(7, 3, 2, 1)]
ones = torch.ones_like(tx)
real = F.avg_pool2d(torch_pad(ones, ps), 3, stride=2)
case("pool_modes", "pool_same_asymmetric", 'Pooling with pad = "same" (stride 2: 0 before, 1 after on 6; 1 and 1 on 7) and with [top, bottom, left, right] = [1, 0, 0, 1]; the padding never wins a maximum; an average counts it unless count_include_pad = false.', """
fn f(x: f32[1, 2, 6, 7]) -> (f32[1, 2, 3, 4], f32[1, 2, 3, 4], f32[1, 2, 3, 4], f32[1, 2, 3, 3]) {
    a = max_pool2d(x, 3, stride = 2, pad = "same")
    b = avg_pool2d(x, 3, stride = 2, pad = "same")
    c = avg_pool2d(x, 3, stride = 2, pad = "same", count_include_pad = false)
    return a, b, c, max_pool2d(x, 3, stride = 2, pad = [1, 0, 0, 1])
}
""").input("x", x) \
    .out(n(F.max_pool2d(torch_pad(tx, ps, -math.inf), 3, stride=2))) \
    .out(n(F.avg_pool2d(torch_pad(tx, ps), 3, stride=2))) \
    .out(n(F.avg_pool2d(torch_pad(tx, ps), 3, stride=2) / real)) \
    .out(n(F.max_pool2d(torch_pad(tx, [(1, 0), (0, 1)], -math.inf), 3, stride=2)))

x = grid(r, (2, 3, 4, 5))
tx = t(x)
case("pool_modes", "global_pool", "std/nn's global_avg_pool2d and global_max_pool2d pool each channel to 1×1 (ONNX GlobalAveragePool, GlobalMaxPool; torch's adaptive pools to 1).", """
import "std/nn"

fn f(x: f32[2, 3, 4, 5]) -> (f32[2, 3, 1, 1], f32[2, 3, 1, 1]) {
    return nn.global_avg_pool2d(x), nn.global_max_pool2d(x)
}
""").input("x", x).out(n(F.adaptive_avg_pool2d(tx, 1))).out(n(F.adaptive_max_pool2d(tx, 1)))

x = grid(r, (1, 1, 4, 4))
case("pool_modes", "pool_pad_errors", "Pooling rejects a padding as wide as the window (a window would see only padding) and a 3-D window over a 4-D input.", """
fn f(x: f32[1, 1, 4, 4]) -> f32[1, 1, 4, 4] {
    return max_pool2d(x, 2, stride = 1, pad = [2, 0, 0, 0])
}

fn g(x: f32[1, 1, 4, 4]) -> f32[1, 1, 2, 2] {
    return avg_pool3d(x, 2)
}
""").error("main.nn:2: max_pool2d ... pad [2 0 0 0] is not less than the window") \
    .error("main.nn:6:12: avg_pool3d: needs an f32 or f64 [N, C, D, H, W] input: x is f32[1, 1, 4, 4]")

# ---- pad ----
r = rng(1503)
x = grid(r, (2, 3, 4, 5))
tx = t(x)
case("pad_modes", "pad_modes", 'pad(x, [top, bottom, left, right]) widths go outer axis first, [before, after] per axis for the last k axes (PyTorch\'s F.pad takes the last axis first: F.pad(x, (left, right, top, bottom))); mode "constant" with a value, "reflect" and "edge" (PyTorch\'s replicate).', """
fn f(x: f32[2, 3, 4, 5]) -> (f32[2, 3, 5, 8], f32[2, 3, 7, 6], f32[2, 3, 5, 8], f32[2, 3, 4, 7]) {
    a = pad(x, [1, 0, 2, 1], 1.5)
    b = pad(x, [2, 1, 0, 1], mode = "reflect")
    c = pad(x, [1, 0, 2, 1], mode = "edge")
    return a, b, c, pad(x, [2, 0], mode = "reflect")
}
""").input("x", x) \
    .out(n(F.pad(tx, (2, 1, 1, 0), value=1.5))) \
    .out(n(F.pad(tx, (0, 1, 2, 1), mode="reflect"))) \
    .out(n(F.pad(tx, (2, 1, 1, 0), mode="replicate"))) \
    .out(n(F.pad(tx, (2, 0, 0, 0), mode="reflect")))

x = grid(r, (1, 2, 3, 4))
with_grads(case("pad_modes", "pad_reflect_grads", 'The gradient of a reflect padding adds each padded element\'s gradient into the element it mirrors.', """
fn f(x: f64[1, 2, 3, 4], w: f64[1, 2, 7, 7]) -> f64 {
    return sum(pad(x, [2, 2, 3, 0], mode = "reflect") * w)
}
"""), lambda a: F.pad(a, (3, 0, 2, 2), mode="reflect"), [("x", x)], r)

x = grid(r, (2, 3, 4))
with_grads(case("pad_modes", "pad_edge_grads", 'The gradient of an edge padding sums the gradients of the repeated copies into the first and last elements.', """
fn f(x: f64[2, 3, 4], w: f64[2, 3, 8]) -> f64 {
    return sum(pad(x, [3, 1], mode = "edge") * w)
}
"""), lambda a: F.pad(a, (3, 1), mode="replicate"), [("x", x)], r)

case("pad_modes", "pad_mode_errors", "pad rejects a reflect width not below the axis's size, an unknown mode, and a value with a mode other than constant.", """
fn f(x: f32[2, 3]) -> f32[2, 9] {
    return pad(x, [3, 3], mode = "reflect")
}

fn g(x: f32[2, 3]) -> f32[2, 5] {
    return pad(x, [1, 1], mode = "wrap")
}

fn h(x: f32[2, 3]) -> f32[2, 5] {
    return pad(x, [1, 1], 2.0, mode = "edge")
}
""").error("main.nn:2: pad ... reflect padding of 3 before and 3 after axis 1 needs both below its size 3") \
    .error("main.nn:6:27: pad: mode must be \"constant\", \"reflect\" or \"edge\", got \"wrap\"") \
    .error("main.nn:10:32: pad: a value is for mode \"constant\", not \"edge\"")

# ---- reshape ----
r = rng(1504)
x = grid(r, (2, 3, 4))
case("reshape_zero", "reshape_zero", "reshape with ONNX's 0: copy the input's dimension at that index; beside a -1 (which then counts the rest: [-1, 0] of [2, 3, 4] is [8, 3]).", """
fn f(x: f32[2, 3, 4]) -> (f32[2, 12], f32[2, 3, 2, 2], f32[8, 3]) {
    return reshape(x, [0, -1]), reshape(x, [0, 0, 2, -1]), reshape(x, [-1, 0])
}
""").input("x", x).out(x.reshape(2, 12)).out(x.reshape(2, 3, 2, 2)).out(x.reshape(8, 3))

case("reshape_zero", "reshape_zero_symbolic", "reshape(x, [0, -1]) keeps a symbolic batch dimension.", """
fn g(x: f32[B, 3, 4]) -> f32[B, 12] {
    return reshape(x, [0, -1])
}
""", entry="g").input("x", x).out(x.reshape(2, 12))

case("reshape_zero", "reshape_errors", "reshape's errors name the bad entry: a 0 past the input's rank, two -1s, and other dimensions that do not divide the element count (not the -1).", """
fn f(x: f32[2, 3]) -> f32[2, 3, 1] {
    return reshape(x, [0, 0, 0])
}

fn g(x: f32[2, 3]) -> f32[6] {
    return reshape(x, [-1, -1])
}

fn h(x: f32[2, 3]) -> f32[6] {
    return reshape(x, [4, -1])
}
""").error("main.nn:2:23: reshape: the 0 at index 2 of [0, 0, 0] copies dimension 2 of x, which has type f32[2, 3] (rank 2)") \
    .error("main.nn:6:23: reshape: two -1s in [-1, -1] (at indices 0 and 1") \
    .error("main.nn:10:23: reshape: the other dimensions of [4, -1] ([4], 4 elements) do not divide the 6 elements of x")

live = select(cases, PENDING)

if __name__ == "__main__":
    write_all(live)
