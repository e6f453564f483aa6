"""Reductions, shape functions and the network built-ins of the foundation slice
(softmax, log_softmax, cross_entropy, one_hot, cast).

References are computed in float64 with NumPy/PyTorch from the same inputs.
"""

import numpy as np
import torch
import torch.nn.functional as F

from common import Case, grid, rng, write_all

T = torch.float64


def t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=T, requires_grad=grad)


def n(x):
    return x.detach().numpy()


cases = []


def case(topic, name, header, program, entry="f"):
    c = Case(topic, name, header, program, entry)
    cases.append(c)
    return c


# ---- reductions ----
r = rng(21)
x = grid(r, (2, 3, 4))
case("reduce", "sum_all", "sum without axis reduces every axis to a scalar.", """
fn f(x: f32[2, 3, 4]) -> f32 {
    return sum(x)
}
""").input("x", x).out(x.sum())

case("reduce", "sum_axis", "sum(x, axis = 1) removes axis 1.", """
fn f(x: f32[2, 3, 4]) -> f32[2, 4] {
    return sum(x, axis = 1)
}
""").input("x", x).out(x.sum(axis=1))

case("reduce", "sum_negative_axis_keepdims", "sum(x, axis = -1, keepdims = true) keeps the reduced axis with size 1.", """
fn f(x: f32[2, 3, 4]) -> f32[2, 3, 1] {
    return sum(x, axis = -1, keepdims = true)
}
""").input("x", x).out(x.sum(axis=-1, keepdims=True))

case("reduce", "mean_axis_and_all", "mean with an axis and without one (every axis), returned as a tuple.", """
fn f(x: f32[2, 3, 4]) -> (f32[3, 4], f32) {
    return mean(x, axis = 0), mean(x)
}
""").input("x", x).out(x.mean(axis=0)).out(x.mean())

r = rng(22)
xd = (r.permutation(24).reshape(2, 3, 4) - 12) / 8.0  # distinct values: unique max/min
case("reduce", "max_axis", "max over axis 1 of f32[2, 3, 4].", """
fn f(x: f32[2, 3, 4]) -> f32[2, 4] {
    return max(x, axis = 1)
}
""").input("x", xd).out(xd.max(axis=1))

case("reduce", "min_negative_axis_keepdims", "min over axis -2 with keepdims.", """
fn f(x: f32[2, 3, 4]) -> f32[2, 1, 4] {
    return min(x, axis = -2, keepdims = true)
}
""").input("x", xd).out(xd.min(axis=-2, keepdims=True))

case("reduce", "max_all", "max without axis is the largest element, a scalar.", """
fn f(x: f32[2, 3, 4]) -> f32 {
    return max(x)
}
""").input("x", xd).out(xd.max())

tx = t(xd, True)
w = grid(r, (2, 4))
val = (tx.max(dim=1).values * t(w)).sum() + tx.mean(dim=-1).square().sum()
val.backward()
case("reduce", "reduction_grads", "Gradients through max (to the unique argmax) and mean with axes.", """
fn f(x: f32[2, 3, 4], w: f32[2, 4]) -> f32 {
    return sum(max(x, axis = 1) * w) + sum(square(mean(x, axis = -1)))
}
""").input("x", xd).input("w", w).out(n(val)).grad("x", n(tx.grad))

case("reduce", "center_keepdims", "A keepdims reduction broadcasts back against its operand: x - mean(x, axis = -1, keepdims = true).", """
fn f(x: f32[2, 3, 4]) -> f32[2, 3, 4] {
    return x - mean(x, axis = -1, keepdims = true)
}
""").input("x", x).out(x - x.mean(axis=-1, keepdims=True))

# ---- shapes ----
r = rng(23)
x = grid(r, (2, 3, 2))
case("shape", "reshape_neg1", "reshape with -1 infers one dimension: [2, 3, 2] to [3, -1] is [3, 4].", """
fn f(x: f32[2, 3, 2]) -> f32[3, 4] {
    return reshape(x, [3, -1])
}
""").input("x", x).out(x.reshape(3, -1))

x = grid(r, (2, 6))
case("shape", "reshape_shape_var", "reshape to a shape that names a shape variable bound by the argument.", """
fn f(x: f32[B, 6]) -> f32[B, 2, 3] {
    return reshape(x, [B, 2, 3])
}
""").input("x", x).out(x.reshape(2, 2, 3))

x = grid(r, (2, 3))
case("shape", "transpose_2d", "transpose(x) reverses the axes of a matrix.", """
fn f(x: f32[2, 3]) -> f32[3, 2] {
    return transpose(x)
}
""").input("x", x).out(x.T)

case("shape", "dot_T", "x.T is the transpose; x.T @ x is the Gram matrix.", """
fn f(x: f32[2, 3]) -> f32[3, 3] {
    return x.T @ x
}
""").input("x", x).out(x.T @ x)

x = grid(r, (2, 3, 4))
case("shape", "transpose_perm", "transpose(x, [1, 0, 2]) permutes axes as NumPy's np.transpose(x, axes).", """
fn f(x: f32[2, 3, 4]) -> f32[3, 2, 4] {
    return transpose(x, [1, 0, 2])
}
""").input("x", x).out(np.transpose(x, (1, 0, 2)))

tx = t(x, True)
w = grid(r, (4, 6))
# Every fifth element is picked with a 0/1 weight vector (no slicing needed).
sel = np.zeros(36)
sel[::5] = 1
val = (torch.tanh(tx.reshape(6, 4) @ t(w)).transpose(0, 1).reshape(-1) * t(sel)).sum() \
    + (tx.permute(2, 0, 1) ** 2).sum()
val.backward()
case("shape", "shape_grads", "Gradients flow back through reshape and transpose.", """
fn f(x: f32[2, 3, 4], w: f32[4, 6], sel: f32[36]) -> f32 {
    h = transpose(tanh(reshape(x, [6, 4]) @ w))
    return sum(reshape(h, [-1]) * sel) + sum(transpose(x, [2, 0, 1]) ** 2)
}
""").input("x", x).input("w", w).input("sel", sel).out(n(val)).grad("x", n(tx.grad)).tolerance(1e-5, 1e-5)

# ---- network built-ins ----
r = rng(24)
z = grid(r, (2, 4))
case("nn", "softmax_default_axis", "softmax without axis normalizes the last axis.", """
fn f(z: f32[2, 4]) -> f32[2, 4] {
    return softmax(z)
}
""").input("z", z).out(n(torch.softmax(t(z), dim=-1)))

case("nn", "softmax_axis0", "softmax(z, axis = 0) normalizes columns.", """
fn f(z: f32[2, 4]) -> f32[2, 4] {
    return softmax(z, axis = 0)
}
""").input("z", z).out(n(torch.softmax(t(z), dim=0)))

z3 = grid(r, (2, 3, 4), -4, 4)
case("nn", "log_softmax_axis", "log_softmax over axis 1 of a rank-3 tensor.", """
fn f(z: f32[2, 3, 4]) -> f32[2, 3, 4] {
    return log_softmax(z, axis = 1)
}
""").input("z", z3).out(n(torch.log_softmax(t(z3), dim=1)))

tz = t(z, True)
val = (torch.softmax(tz, dim=-1) * t(np.arange(4.0))).sum() \
    + (torch.log_softmax(tz, dim=0) * t([[0.0], [1.0]])).sum()
val.backward()
case("nn", "softmax_grads", "Gradients of softmax and log_softmax (Grad API).", """
fn f(z: f32[2, 4], c: f32[4], m: f32[2, 1]) -> f32 {
    return sum(softmax(z) * c) + sum(log_softmax(z, axis = 0) * m)
}
""").input("z", z).input("c", np.arange(4.0)).input("m", [[0.0], [1.0]]).out(n(val)).grad("z", n(tz.grad))

logits = grid(r, (4, 3), -3, 3)
labels = np.array([2, 0, 1, 2], dtype=np.int32)
tl = t(logits, True)
val = F.cross_entropy(tl, torch.tensor(labels, dtype=torch.long))
val.backward()
case("nn", "cross_entropy", "cross_entropy(logits, labels: i32[N]) is the mean NLL of log_softmax, as in PyTorch; its gradient is (softmax - one_hot) / N.", """
fn f(logits: f32[N, 3], labels: i32[N]) -> f32 {
    return cross_entropy(logits, labels)
}
""").input("logits", logits).input("labels", labels).out(n(val)).grad("logits", n(tl.grad))

y = np.array([3, 0, 2], dtype=np.int32)
case("nn", "one_hot", "one_hot(y, 4) of i32 labels gives f32 rows with a single 1.", """
fn f(y: i32[3]) -> f32[3, 4] {
    return one_hot(y, 4)
}
""").input("y", y).out(np.eye(4)[y])

zz = grid(r, (3, 4))
nll = -(np.eye(4)[y] * n(torch.log_softmax(t(zz), dim=1))).sum(axis=1)
case("nn", "one_hot_nll", "The masked-NLL idiom of gcn.nn: -sum(one_hot(y, C) * log_softmax(z), axis = 1).", """
const C = 4

fn f(z: f32[N, C], y: i32[N]) -> f32[N] {
    return -sum(one_hot(y, C) * log_softmax(z), axis = 1)
}
""").input("z", zz).input("y", y).out(nll)

yi = np.array([1, -2, 3, 0], dtype=np.int32)
case("nn", "cast_i32_to_f32", "cast(y, f32) converts integers to floats.", """
fn f(y: i32[4]) -> f32[4] {
    return cast(y, f32) * 0.5
}
""").input("y", yi).out(yi * 0.5)

xf = grid(r, (3,))
case("nn", "cast_f32_to_f64", "cast(x, f64) widens; the f64 result mixes with f64 inputs.", """
fn f(x: f32[3], y: f64[3]) -> f64[3] {
    return cast(x, f64) * y
}
""").input("x", xf).input("y", xf + 0.5).out(xf * (xf + 0.5), "f64")

case("nn", "cast_grad", "The gradient flows back through cast: an f64 value, an f32 gradient 2x.", """
fn f(x: f32[3]) -> f64 {
    return sum(cast(x, f64) ** 2)
}
""").input("x", xf).out(np.sum(xf ** 2), "f64").grad("x", 2 * xf)

r = rng(25)
xk = (r.permutation(24).reshape(2, 3, 4) - 12) / 8.0  # distinct values
w = grid(r, (2, 3, 4))
tx = t(xk, True)
val = ((tx - tx.max(dim=-1, keepdim=True).values) * t(w)).sum() + tx.min(dim=0).values.sum() * 2 \
    + tx.sum(dim=1, keepdim=True).square().sum()
val.backward()
case("reduce", "keepdims_grads", "Gradients through max and sum with keepdims and through min over axis 0.", """
fn f(x: f32[2, 3, 4], w: f32[2, 3, 4]) -> f32 {
    a = sum((x - max(x, axis = -1, keepdims = true)) * w)
    return a + sum(min(x, axis = 0)) * 2 + sum(square(sum(x, axis = 1, keepdims = true)))
}
""").input("x", xk).input("w", w).out(n(val)).grad("x", n(tx.grad)).tolerance(1e-5, 1e-5)

z3 = grid(r, (2, 3, 4), -3, 3)
c3 = grid(r, (2, 3, 4))
tz = t(z3, True)
val = (torch.log_softmax(tz, dim=1) * t(c3)).sum()
val.backward()
case("nn", "log_softmax_axis_grads", "The gradient of log_softmax over a middle axis of a rank-3 tensor.", """
fn f(z: f32[2, 3, 4], c: f32[2, 3, 4]) -> f32 {
    return sum(log_softmax(z, axis = 1) * c)
}
""").input("z", z3).input("c", c3).out(n(val)).grad("z", n(tz.grad)).tolerance(1e-5, 1e-5)

logits64 = grid(r, (3, 4), -3, 3)
labels64 = np.array([3, 1, 0], dtype=np.int32)
tl = t(logits64, True)
val = F.cross_entropy(tl, torch.tensor(labels64, dtype=torch.long))
val.backward()
case("nn", "cross_entropy_f64", "cross_entropy on f64 logits computes in f64, with its gradient (1e-10 relative).", """
fn f(logits: f64[N, C], labels: i32[N]) -> f64 {
    return cross_entropy(logits, labels)
}
""").input("logits", logits64).input("labels", labels64).out(n(val), "f64").grad("logits", n(tl.grad), "f64")

write_all(cases)
