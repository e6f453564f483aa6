"""Differentiation: grad(y, x) inside .nn code, nested (second-order) grad,
and the Grad API w.r.t. inputs and params, all against torch.autograd in
float64 (create_graph=True for the nested cases).
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
    c = Case("grad", name, header, program, entry)
    cases.append(c)
    return c


r = rng(51)
x = grid(r, (3,))
case("grad_in_nn", "grad(y, x) inside a function: the derivative of sum(x ** 3) is 3 x ** 2.", """
fn f(x: f32[3]) -> f32[3] {
    return grad(sum(x ** 3), x)
}
""").input("x", x).out(3 * x ** 2)

r = rng(52)
x, W = grid(r, (2, 3)), grid(r, (3, 2))
tx, tW = t(x, True), t(W, True)
loss = (torch.tanh(tx @ tW) ** 2).sum()
gx, gW = torch.autograd.grad(loss, (tx, tW))
case("grad_wrt_tuple", "grad(y, (x, W)) differentiates w.r.t. a tuple and gives a tuple of gradients.", """
fn f(x: f32[2, 3], W: f32[3, 2]) -> (f32[2, 3], f32[3, 2]) {
    loss = sum(tanh(x @ W) ** 2)
    gx, gW = grad(loss, (x, W))
    return gx, gW
}
""").input("x", x).input("W", W).out(n(gx)).out(n(gW))

tx, tW = t(x, True), t(W, True)
loss = torch.tanh(tx @ tW).sum()
g = torch.autograd.grad(loss, tx, create_graph=True)[0]
h = torch.autograd.grad((g ** 2).sum(), tW)[0]
case("grad_nested_in_nn", "Second order inside .nn: grad(sum(grad(loss, x) ** 2), W) is exact.", """
fn f(x: f32[2, 3], W: f32[3, 2]) -> f32[3, 2] {
    loss = sum(tanh(x @ W))
    return grad(sum(grad(loss, x) ** 2), W)
}
""").input("x", x).input("W", W).out(n(h)).tolerance(1e-5, 1e-5)

r = rng(53)
x, W, y = grid(r, (3, 2)), grid(r, (2, 2)), grid(r, (3, 2), -1, 1)
tx, tW = t(x, True), t(W, True)
loss = ((torch.tanh(tx @ tW) - t(y)) ** 2).sum()
g = torch.autograd.grad(loss, tx, create_graph=True)[0]
val = loss + 0.1 * (g ** 2).sum()
val.backward()
case("gradient_penalty_api", "A gradient penalty (grad inside the entry) differentiated again by the Grad API w.r.t. W and x.", """
fn f(x: f32[N, 2], W: f32[2, 2], y: f32[N, 2]) -> f32 {
    loss = sum((tanh(x @ W) - y) ** 2)
    g = grad(loss, x)
    return loss + 0.1 * sum(g ** 2)
}
""").input("x", x).input("W", W).input("y", y).out(n(val)).grad("W", n(tW.grad)).grad("x", n(tx.grad)).tolerance(1e-5, 1e-5)

r = rng(54)
x, W = grid(r, (3, 4)), grid(r, (4, 2))
tx, tW = t(x, True), t(W, True)
val = (torch.tanh(tx @ tW) ** 2).sum()
val.backward()
case("grad_api_issue_example", "The issue's acceptance example: sum(tanh(x @ W) ** 2) w.r.t. x and W matches PyTorch to 1e-5 relative.", """
fn f(x: f32[3, 4], W: f32[4, 2]) -> f32 {
    return sum(tanh(x @ W) ** 2)
}
""").input("x", x).input("W", W).out(n(val)).grad("x", n(tx.grad)).grad("W", n(tW.grad)).tolerance(1e-5, 1e-6)

r = rng(55)
x, z = grid(r, (3,)), grid(r, (2,))
case("grad_api_unused_input", "An input the value does not depend on gets a zero gradient.", """
fn f(x: f32[3], z: f32[2]) -> f32 {
    return sum(x * x)
}
""").input("x", x).input("z", z).out(np.sum(x * x)).grad("z", np.zeros(2)).grad("x", 2 * x)

r = rng(56)
x, b = grid(r, (2, 3)), grid(r, (3,))
tx, tb = t(x, True), t(b, True)
val = torch.tanh(tx + tb).sum()
val.backward()
case("grad_api_broadcast", "The gradient w.r.t. a broadcast operand sums over the broadcast axes.", """
fn f(x: f32[2, 3], b: f32[3]) -> f32 {
    return sum(tanh(x + b))
}
""").input("x", x).input("b", b).out(n(val)).grad("b", n(tb.grad)).grad("x", n(tx.grad))

r = rng(57)
x, s = grid(r, (2, 3)), 0.75
tx, ts = t(x, True), t(s, True)
val = (torch.exp(tx * ts) / (1 + ts ** 2)).sum()
val.backward()
case("grad_api_f64_scalar", "Grad API on an f64 program, w.r.t. a scalar input and a matrix (1e-10 relative).", """
fn f(x: f64[2, 3], s: f64) -> f64 {
    return sum(exp(x * s) / (1 + s ** 2))
}
""").input("x", x).input("s", s).out(n(val), "f64").grad("s", n(ts.grad), "f64").grad("x", n(tx.grad), "f64")

r = rng(58)
x, W, b = grid(r, (2, 3)), grid(r, (3, 2)), grid(r, (2,))
tW, tb = t(W, True), t(b, True)
val = (torch.sigmoid(t(x) @ tW + tb) ** 2).sum()
gW = torch.autograd.grad(val, tW)[0]
case("grad_param_in_method", "grad(y, W) inside a method, w.r.t. a param of the model.", """
model M() {
    param W: f32[3, 2] = glorot_uniform()
    param b: f32[2]    = zeros()

    fn forward(x: f32[B, 3]) -> f32[B, 2] {
        return sigmoid(x @ W + b)
    }

    fn dW(x: f32[B, 3]) -> f32[3, 2] {
        return grad(sum(forward(x) ** 2), W)
    }
}
""", "M.dW").input("x", x).param("W", W).param("b", b).out(n(gW))

r = rng(59)
x, c = grid(r, (3,)), grid(r, (3,))
case("grad_of_grad_api", "The Grad API differentiates an entry that uses grad: d/dx sum(3 x ** 2 * c) = 6 x c.", """
fn f(x: f32[3], c: f32[3]) -> f32 {
    return sum(grad(sum(x ** 3), x) * c)
}
""").input("x", x).input("c", c).out(np.sum(3 * x ** 2 * c)).grad("x", 6 * x * c)

write_all(cases)
