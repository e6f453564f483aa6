"""jvp, vjp and hvp in .nn, and custom gradients (`fn ... } grad(x, y, g)
{ ... }`), against torch.autograd.functional (jvp, vjp, hvp) and
torch.autograd in float64.

The cases go to cases/grad/ beside grad.py's, named jvp_*, vjp_*, hvp_* and
custom_*; this script rewrites (and removes stale files of) those prefixes
only, so that grad.py's cases stay.
"""

import os

import numpy as np
import torch
from torch.autograd.functional import hvp, jvp, vjp

from common import CASES, Case, grid, rng

T = torch.float64
PREFIXES = ("jvp_", "vjp_", "hvp_", "custom_")


def t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=T, requires_grad=grad)


def n(x):
    return x.detach().numpy()


cases = []


def case(name, header, program, entry="f"):
    assert name.startswith(PREFIXES), name
    c = Case("grad", name, header, program, entry)
    cases.append(c)
    return c


# ---- jvp ----

r = rng(201)
x, u = grid(r, (2, 3)), grid(r, (2, 3))
_, want = jvp(lambda x: torch.tanh(x) * x ** 2, (t(x),), (t(u),))
case("jvp_elementwise", "jvp(y, x, t) is the directional derivative J·t of an elementwise function, against torch.autograd.functional.jvp.", """
fn f(x: f32[2, 3], u: f32[2, 3]) -> f32[2, 3] {
    return jvp(tanh(x) * x ** 2, x, u)
}
""").input("x", x).input("u", u).out(n(want))

r = rng(202)
x, W, tx, tW = grid(r, (2, 3)), grid(r, (3, 4)), grid(r, (2, 3)), grid(r, (3, 4))
_, want = jvp(lambda x, W: torch.softmax(x @ W, dim=-1), (t(x), t(W)), (t(tx), t(tW)))
case("jvp_tuple", "jvp with a tuple of inputs and a tuple of tangents sums their contributions: d softmax(x @ W) along (tx, tW).", """
fn f(x: f32[2, 3], W: f32[3, 4], tx: f32[2, 3], tW: f32[3, 4]) -> f32[2, 4] {
    return jvp(softmax(x @ W), (x, W), (tx, tW))
}
""").input("x", x).input("W", W).input("tx", tx).input("tW", tW).out(n(want))

# ---- vjp ----

r = rng(203)
x, W, v = grid(r, (3, 2)), grid(r, (2, 2)), grid(r, (3, 2))
_, (gx, gW) = vjp(lambda x, W: torch.sigmoid(x @ W), (t(x), t(W)), t(v))
case("vjp_tuple", "vjp(y, (x, W), v) is vᵀJ for each input, against torch.autograd.functional.vjp.", """
fn f(x: f32[3, 2], W: f32[2, 2], v: f32[3, 2]) -> (f32[3, 2], f32[2, 2]) {
    gx, gW = vjp(sigmoid(x @ W), (x, W), v)
    return gx, gW
}
""").input("x", x).input("W", W).input("v", v).out(n(gx)).out(n(gW))

# ---- hvp ----

r = rng(204)
x, v = grid(r, (4,)), grid(r, (4,))
_, want = hvp(lambda x: (torch.exp(x) * torch.tanh(x)).sum() + (x ** 2).sum() ** 2, t(x), t(v))
case("hvp_scalar", "hvp(y, x, v) is the Hessian of the scalar y times v, against torch.autograd.functional.hvp.", """
fn f(x: f32[4], v: f32[4]) -> f32[4] {
    return hvp(sum(exp(x) * tanh(x)) + sum(x ** 2) ** 2, x, v)
}
""").input("x", x).input("v", v).out(n(want)).tolerance(1e-5, 1e-5)

r = rng(205)
x, W, vx, vW = grid(r, (2, 3)), grid(r, (3, 2)), grid(r, (2, 3)), grid(r, (3, 2))
_, (hx, hW) = hvp(lambda x, W: (torch.tanh(x @ W) ** 2).sum(), (t(x), t(W)), (t(vx), t(vW)))
case("hvp_tuple", "hvp with a tuple of inputs: the mixed second derivatives included, against torch.autograd.functional.hvp.", """
fn f(x: f32[2, 3], W: f32[3, 2], vx: f32[2, 3], vW: f32[3, 2]) -> (f32[2, 3], f32[3, 2]) {
    hx, hW = hvp(sum(tanh(x @ W) ** 2), (x, W), (vx, vW))
    return hx, hW
}
""").input("x", x).input("W", W).input("vx", vx).input("vW", vW).out(n(hx)).out(n(hW)).tolerance(1e-5, 1e-5)

r = rng(206)
x, u = grid(r, (3,)), grid(r, (3,))
tx = t(x, True)
_, jv = jvp(lambda x: torch.sin(x) * x, (tx,), (t(u),), create_graph=True)
want = torch.autograd.grad(jv.sum(), tx)[0]
case("jvp_nested_grad", "grad of a jvp: d/dx sum(J(x)·u) for y = sin(x)·x.", """
fn f(x: f32[3], u: f32[3]) -> f32[3] {
    return grad(sum(jvp(sin(x) * x, x, u)), x)
}
""").input("x", x).input("u", u).out(n(want))

# ---- custom gradients ----

r = rng(207)
x = grid(r, (5,), -4, 4)
tx = t(x, True)
val = torch.nn.functional.softplus(tx).sum()
val.backward()
case("custom_softplus", "A stable softplus with its own gradient sigmoid(x): value and gradient (Grad API) against torch's softplus.", """
fn softplus_stable(x: f32[N]) -> f32[N] {
    return maximum(x, 0.0) + log1p(exp(-abs(x)))
} grad(x, y, g) {
    return g * sigmoid(x)
}

fn f(x: f32[N]) -> f32 {
    return sum(softplus_stable(x))
}
""").input("x", x).out(n(val)).grad("x", n(tx.grad))

r = rng(208)
x, c = grid(r, (4,)), grid(r, (4,))
tx = t(x, True)
# Straight-through: torch's usual form x + (sign(x) - x).detach().
ste = tx + (torch.sign(tx) - tx).detach()
val = (ste * t(c)).sum() + (tx ** 2).sum()
val.backward()
case("custom_straight_through", "A straight-through estimator (sign forward, identity backward) written as a custom gradient, against torch's x + (sign(x) - x).detach().", """
fn binarize(x: f32[N]) -> f32[N] {
    return sign(x)
} grad(x, y, g) {
    return g
}

fn f(x: f32[N], c: f32[N]) -> f32 {
    return sum(binarize(x) * c) + sum(x ** 2)
}
""").input("x", x).input("c", c).out(n(val)).grad("x", n(tx.grad))

r = rng(209)
x, w = grid(r, (3,)), grid(r, (3,))
tx, tw = t(x, True), t(w, True)
val = (torch.tanh(tx * tw * 0.5) ** 2).sum()
val.backward()
case("custom_two_inputs", "A custom gradient of two inputs and a compile-time parameter: both cotangents, through a tanh after it.", """
fn scaled(x: f32[N], w: f32[N], k: float) -> f32[N] {
    return x * w * k
} grad(a, b, k, y, g) {
    return g * b * k, g * a * k
}

fn f(x: f32[N], w: f32[N]) -> f32 {
    return sum(tanh(scaled(x, w, 0.5)) ** 2)
}
""").input("x", x).input("w", w).out(n(val)).grad("x", n(tx.grad)).grad("w", n(tw.grad))

r = rng(210)
x, v = grid(r, (4,), -3, 3), grid(r, (4,))
_, want = hvp(lambda x: torch.nn.functional.softplus(x).sum(), t(x), t(v))
case("custom_hvp", "hvp through a custom gradient differentiates the gradient block: sigmoid(x)(1 - sigmoid(x))·v.", """
fn softplus_stable(x: f32[N]) -> f32[N] {
    return maximum(x, 0.0) + log1p(exp(-abs(x)))
} grad(x, y, g) {
    return g * sigmoid(x)
}

fn f(x: f32[N], v: f32[N]) -> f32[N] {
    return hvp(sum(softplus_stable(x)), x, v)
}
""").input("x", x).input("v", v).out(n(want))

r = rng(211)
x = grid(r, (3,))
tx = t(x, True)
want = torch.autograd.grad(torch.exp(tx).sum(), tx)[0]
case("custom_uses_output", "A gradient block that uses the primal output y: d exp(x) = g·y.", """
fn myexp(x: f32[N]) -> f32[N] {
    return exp(x)
} grad(x, y, g) {
    return g * y
}

fn f(x: f32[N]) -> f32[N] {
    return grad(sum(myexp(x)), x)
}
""").input("x", x).out(n(want))

src = """
fn double(x: f32[N]) -> f32[N] {
    return x * 2.0
} grad(x, y, g) {
    return sum(g)
}

fn f(x: f32[N]) -> f32 {
    return sum(double(x))
}
"""
case("custom_wrong_shape", "A gradient block whose cotangent does not have its input's type is rejected at load with E309 at its return.", src).input(
    "x", np.zeros(3)).error("main.nn:4:5: double's gradient ... cotangent of x is f32 ... f32[N]").code("E309")


def write():
    d = os.path.join(CASES, "grad")
    os.makedirs(d, exist_ok=True)
    keep = {c.name + ".txtar" for c in cases}
    for f in os.listdir(d):
        if f.startswith(PREFIXES) and f.endswith(".txtar") and f not in keep:
            os.remove(os.path.join(d, f))
    for c in cases:
        c.write()
    print("wrote %d cases (grad: %s)" % (len(cases), ", ".join(p + "*" for p in PREFIXES)))


write()
