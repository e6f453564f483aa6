"""Arithmetic, NumPy broadcasting, `**`, `@` and the unary functions.

References are computed in float64 with NumPy/PyTorch from the same inputs.
"""

import numpy as np
import torch

from common import Case, grid, rng, write_all

T = torch.float64


def t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=T, requires_grad=grad)


def n(x):
    return x.detach().numpy()


cases = []


def case(name, header, program, entry="f"):
    c = Case("arith", name, header, program, entry)
    cases.append(c)
    return c


r = rng(1)
x, y = grid(r, (2, 3)), grid(r, (2, 3), 0.5, 3)
case("add_same_shape", "x + y on two f32[2, 3] tensors.", """
fn f(x: f32[2, 3], y: f32[2, 3]) -> f32[2, 3] {
    return x + y
}
""").input("x", x).input("y", y).out(x + y)

case("sub_mul_div", "-, * and / elementwise, left-associative, with the usual precedence.", """
fn f(x: f32[2, 3], y: f32[2, 3]) -> f32[2, 3] {
    return x - y - x * y / (y + 1)
}
""").input("x", x).input("y", y).out(x - y - x * y / (y + 1))

r = rng(2)
x, b = grid(r, (2, 3)), grid(r, (3,))
case("broadcast_row", "f32[2, 3] + f32[3]: the vector broadcasts over rows (NumPy rules).", """
fn f(x: f32[2, 3], b: f32[3]) -> f32[2, 3] {
    return x + b
}
""").input("x", x).input("b", b).out(x + b)

r = rng(3)
u, v = grid(r, (3, 1)), grid(r, (1, 4))
case("broadcast_outer", "f32[3, 1] * f32[1, 4] gives f32[3, 4]: size-1 axes stretch on both sides.", """
fn f(u: f32[3, 1], v: f32[1, 4]) -> f32[3, 4] {
    return u * v
}
""").input("u", u).input("v", v).out(u * v)

r = rng(4)
a, c = grid(r, (2, 1, 3)), grid(r, (4, 1))
case("broadcast_rank_mismatch", "f32[2, 1, 3] - f32[4, 1] gives f32[2, 4, 3]: the lower-rank operand gets leading 1s.", """
fn f(a: f32[2, 1, 3], c: f32[4, 1]) -> f32[2, 4, 3] {
    return a - c
}
""").input("a", a).input("c", c).out(a - c)

r = rng(5)
x = grid(r, (2, 3))
case("scalar_literals", "Integer and float literals adopt the tensor's element type, on either side.", """
fn f(x: f32[2, 3]) -> f32[2, 3] {
    return 2 * x - 1.5 + x / 4 + (1 - x) * 0.25
}
""").input("x", x).out(2 * x - 1.5 + x / 4 + (1 - x) * 0.25)

s = 0.75
case("scalar_tensor_input", "A scalar f32 input broadcasts against a tensor; a bare f32 type is a scalar.", """
fn f(s: f32, x: f32[2, 3]) -> f32[2, 3] {
    return s * x + s
}
""").input("s", s).input("x", x).out(s * x + s)

case("scalar_output", "A function may return a bare f32 scalar (shape []).", """
fn f(x: f32[2, 3]) -> f32 {
    return sum(x) * 0.5
}
""").input("x", x).out(np.sum(x) * 0.5)

r = rng(6)
x, y = grid(r, (3,)), grid(r, (3,))
case("precedence", "`**` binds tighter than unary minus, which binds tighter than * and /; + and - bind loosest.", """
fn f(x: f32[3], y: f32[3]) -> f32[3] {
    return -x ** 2 + 2 * y - x * y / 2
}
""").input("x", x).input("y", y).out(-(x ** 2) + 2 * y - x * y / 2)

r = rng(7)
x, p = grid(r, (2, 3), 0.25, 2), grid(r, (2, 3), -1, 2, 4)
case("pow", "`**` with an integer literal, a fractional literal and a tensor exponent (positive base).", """
fn f(x: f32[2, 3], p: f32[2, 3]) -> f32[2, 3] {
    return x ** 3 + x ** 0.5 + x ** p
}
""").input("x", x).input("p", p).out(x ** 3 + x ** 0.5 + x ** p).tolerance(1e-5, 1e-5)

r = rng(8)
x, y = grid(r, (2, 3)), grid(r, (2, 3))
case("f64_program", "A program in f64 computes in f64 (tolerance 1e-10 relative).", """
fn f(x: f64[2, 3], y: f64[2, 3]) -> f64[2, 3] {
    return exp(x) * y + tanh(x * y) / 3
}
""").input("x", x).input("y", y).out(np.exp(x) * y + np.tanh(x * y) / 3, "f64")

# Unary functions, one case each.
r = rng(9)
xs = grid(r, (2, 3))
pos_x = grid(r, (2, 3), 0.125, 3)
unary = [
    ("exp", xs, np.exp(xs)),
    ("log", pos_x, np.log(pos_x)),
    ("tanh", xs, np.tanh(xs)),
    ("sigmoid", xs, 1 / (1 + np.exp(-xs))),
    ("relu", xs, np.maximum(xs, 0)),
    ("sqrt", pos_x, np.sqrt(pos_x)),
    ("abs", xs, np.abs(xs)),
    ("square", xs, np.square(xs)),
    ("log1p", pos_x - 0.0625, np.log1p(pos_x - 0.0625)),
]
for fn, inp, want in unary:
    case("unary_" + fn, "The elementwise built-in %s on f32[2, 3]." % fn, """
fn f(x: f32[2, 3]) -> f32[2, 3] {
    return %s(x)
}
""" % fn).input("x", inp).out(want)

# Gradients of the unary functions through the Grad API. The 1/32 shift keeps
# relu(x - 1) and abs(x - 1) away from their kinks.
r = rng(10)
x = grid(r, (2, 3), 0.25, 2) + 1 / 32
w = grid(r, (2, 3))
tx, tw = t(x, True), t(w)
val = (torch.exp(tx) * tw).sum() + torch.log(tx).sum() + (torch.tanh(tx) * tw).sum() \
    + torch.sigmoid(tx).sum() + (torch.relu(tx - 1) * tw).sum() + torch.sqrt(tx).sum() \
    + torch.abs(tx - 1).sum() + (torch.square(tx) * tw).sum() + torch.log1p(tx).sum()
val.backward()
case("unary_grads", "Gradients of every unary built-in of the slice, through the Grad API w.r.t. an input.", """
fn f(x: f32[2, 3], w: f32[2, 3]) -> f32 {
    a = sum(exp(x) * w) + sum(log(x)) + sum(tanh(x) * w) + sum(sigmoid(x))
    b = sum(relu(x - 1) * w) + sum(sqrt(x)) + sum(abs(x - 1))
    return a + b + sum(square(x) * w) + sum(log1p(x))
}
""").input("x", x).input("w", w).out(n(val)).grad("x", n(tx.grad)).tolerance(1e-5, 1e-5)

# Matrix products.
r = rng(11)
a, w = grid(r, (2, 3)), grid(r, (3, 4))
case("matmul_2d", "f32[2, 3] @ f32[3, 4] gives f32[2, 4].", """
fn f(a: f32[2, 3], w: f32[3, 4]) -> f32[2, 4] {
    return a @ w
}
""").input("a", a).input("w", w).out(a @ w)

r = rng(12)
a, w = grid(r, (2, 2, 3)), grid(r, (2, 3, 4))
case("matmul_batched", "Batched @: f32[2, 2, 3] @ f32[2, 3, 4] multiplies matrix by matrix along the leading axis.", """
fn f(a: f32[2, 2, 3], w: f32[2, 3, 4]) -> f32[2, 2, 4] {
    return a @ w
}
""").input("a", a).input("w", w).out(a @ w)

w2 = grid(r, (3, 4))
case("matmul_batched_shared", "f32[2, 2, 3] @ f32[3, 4]: one matrix applied to every batch entry.", """
fn f(a: f32[2, 2, 3], w: f32[3, 4]) -> f32[2, 2, 4] {
    return a @ w
}
""").input("a", a).input("w", w2).out(a @ w2)

r = rng(13)
m, v, u = grid(r, (2, 3)), grid(r, (3,)), grid(r, (2,))
case("matmul_mat_vec", "f32[2, 3] @ f32[3] gives f32[2] (NumPy's matrix-vector rule).", """
fn f(m: f32[2, 3], v: f32[3]) -> f32[2] {
    return m @ v
}
""").input("m", m).input("v", v).out(m @ v)

case("matmul_vec_mat", "f32[2] @ f32[2, 3] gives f32[3] (NumPy's vector-matrix rule).", """
fn f(u: f32[2], m: f32[2, 3]) -> f32[3] {
    return u @ m
}
""").input("u", u).input("m", m).out(u @ m)

v2 = grid(r, (3,))
case("matmul_vec_vec", "f32[3] @ f32[3] is the dot product, a scalar.", """
fn f(v: f32[3], w: f32[3]) -> f32 {
    return v @ w
}
""").input("v", v).input("w", v2).out(v @ v2)

# Gradient of a batched matmul through the Grad API (vs torch.autograd).
r = rng(14)
a, w = grid(r, (2, 2, 3)), grid(r, (3, 4))
ta, tw = t(a, True), t(w, True)
val = (torch.tanh(ta @ tw) * torch.arange(4, dtype=T)).sum()
val.backward()
case("matmul_batched_grad", "Gradients of a batched matmul w.r.t. both operands (the shared matrix sums over the batch).", """
fn f(a: f32[2, 2, 3], w: f32[3, 4], c: f32[4]) -> f32 {
    return sum(tanh(a @ w) * c)
}
""").input("a", a).input("w", w).input("c", np.arange(4.0)).out(n(val)).grad("a", n(ta.grad)).grad("w", n(tw.grad)).tolerance(1e-5, 1e-5)

# Gradients of the binary operators (Grad API).
r = rng(15)
x, y = grid(r, (2, 3)), grid(r, (3,), 0.5, 2)
tx, ty = t(x, True), t(y, True)
val = ((tx - ty) / (ty * ty + 1) * -tx).sum() + (2 - tx * ty).sum() / 4
val.backward()
case("binary_grads", "Gradients of -, *, / and unary minus, with broadcasting, w.r.t. both operands.", """
fn f(x: f32[2, 3], y: f32[3]) -> f32 {
    return sum((x - y) / (y * y + 1) * -x) + sum(2 - x * y) / 4
}
""").input("x", x).input("y", y).out(n(val)).grad("x", n(tx.grad)).grad("y", n(ty.grad)).tolerance(1e-5, 1e-5)

r = rng(16)
x, p = grid(r, (2, 3), 0.25, 2), grid(r, (2, 3), -1, 2, 4)
tx, tp = t(x, True), t(p, True)
val = (tx ** tp).sum() + (tx ** 3).sum()
val.backward()
case("pow_grads", "Gradients of `**` w.r.t. the base and a tensor exponent (x ** p * log x).", """
fn f(x: f32[2, 3], p: f32[2, 3]) -> f32 {
    return sum(x ** p) + sum(x ** 3)
}
""").input("x", x).input("p", p).out(n(val)).grad("x", n(tx.grad)).grad("p", n(tp.grad)).tolerance(1e-5, 1e-5)

r = rng(17)
a, c, w = grid(r, (2, 1, 3)), grid(r, (4, 1)), grid(r, (2, 4, 3))
ta, tc = t(a, True), t(c, True)
val = (torch.tanh(ta - tc) * t(w)).sum()
val.backward()
case("broadcast_rank_mismatch_grads", "Gradients through broadcasting on both sides: each operand's gradient is summed back to its own shape.", """
fn f(a: f32[2, 1, 3], c: f32[4, 1], w: f32[2, 4, 3]) -> f32 {
    return sum(tanh(a - c) * w)
}
""").input("a", a).input("c", c).input("w", w).out(n(val)).grad("a", n(ta.grad)).grad("c", n(tc.grad)).tolerance(1e-5, 1e-5)

r = rng(18)
m, v, u = grid(r, (2, 3)), grid(r, (3,)), grid(r, (2,))
tm, tv, tu = t(m, True), t(v, True), t(u, True)
val = torch.tanh(tm @ tv).sum() + (tu @ tm).square().sum() + tv @ tv
val.backward()
case("matmul_vector_grads", "Gradients of the matrix-vector, vector-matrix and vector-vector products.", """
fn f(m: f32[2, 3], v: f32[3], u: f32[2]) -> f32 {
    return sum(tanh(m @ v)) + sum(square(u @ m)) + v @ v
}
""").input("m", m).input("v", v).input("u", u).out(n(val)).grad("m", n(tm.grad)).grad("v", n(tv.grad)).grad("u", n(tu.grad)).tolerance(1e-5, 1e-5)

write_all(cases)
