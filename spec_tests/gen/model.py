"""Models: params fixed through params/*.json, sub-models from std/nn,
methods calling methods, argument defaults, `if training`, dropout in
inference, l2(params), and the "first look" Classifier of LANGUAGE.md.

Gradients w.r.t. parameters are computed with torch.autograd in float64.
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


def case(name, header, program, entry):
    c = Case("model", name, header, program, entry)
    cases.append(c)
    return c


r = rng(41)
x, W, b, s = grid(r, (2, 3)), grid(r, (3, 2)), grid(r, (2,)), 1.5
case("params_forward", "A model's params, scalar included, set through SetParam; argument defaults give their shapes.", """
model Affine(n: int = 3, m: int = 2) {
    param W: f32[n, m] = glorot_uniform()
    param b: f32[m]    = zeros()
    param s: f32       = ones()

    fn forward(x: f32[B, n]) -> f32[B, m] {
        return (x @ W + b) * s
    }
}
""", "Affine.forward").input("x", x).param("W", W).param("b", b).param("s", s).out((x @ W + b) * s)

case("param_init_zeros_ones", "Without params/ files, zeros() and ones() initialize params deterministically.", """
model Z(n: int = 3) {
    param b: f32[n] = zeros()
    param g: f32[n] = ones()

    fn forward(x: f32[n]) -> f32[n] {
        return x * g + b + 1
    }
}
""", "Z.forward").input("x", [1, 2, 3]).out([2, 3, 4])

DENSE_NET = """
import "std/nn"

model Net(d_in: int = 3, hidden: int = 4, d_out: int = 2) {
    first  = nn.Dense(d_in, hidden)
    second = nn.Dense(hidden, d_out)

    fn forward(x: f32[B, d_in]) -> f32[B, d_out] {
        return second(relu(first(x)))
    }

    fn loss(x: f32[B, d_in], y: i32[B]) -> f32 {
        return cross_entropy(forward(x), y)
    }
}
"""
r = rng(42)
x = grid(r, (3, 3))
W1, b1, W2, b2 = grid(r, (3, 4)), grid(r, (4,), -0.5, 0.5), grid(r, (4, 2)), grid(r, (2,), -0.5, 0.5)
y = np.array([1, 0, 1], dtype=np.int32)


def net_params(c):
    return c.param("first.W", W1).param("first.b", b1).param("second.W", W2).param("second.b", b2)


net_params(case("dense_submodels", "nn.Dense sub-models from std/nn; params are named by path (first.W).", DENSE_NET, "Net.forward")
           .input("x", x)).out(np.maximum(x @ W1 + b1, 0) @ W2 + b2)

tx, tW1, tb1, tW2, tb2 = t(x, True), t(W1, True), t(b1, True), t(W2, True), t(b2, True)
val = F.cross_entropy(torch.relu(tx @ tW1 + tb1) @ tW2 + tb2, torch.tensor(y, dtype=torch.long))
val.backward()
c = case("method_calls_method_grads", "loss calls forward; gradients w.r.t. every param path and the input, vs torch.autograd.", DENSE_NET, "Net.loss")
net_params(c.input("x", x).input("y", y)).out(n(val))
c.grad("first.W", n(tW1.grad)).grad("first.b", n(tb1.grad)).grad("second.W", n(tW2.grad)).grad("second.b", n(tb2.grad)).grad("x", n(tx.grad))

r = rng(43)
x3 = grid(r, (2, 2, 3))
net_params(case("dense_ellipsis", "nn.Dense's forward takes f32[..., n_in]: a rank-3 input keeps its leading axes.", """
import "std/nn"

model Net(d_in: int = 3, hidden: int = 4, d_out: int = 2) {
    first  = nn.Dense(d_in, hidden)
    second = nn.Dense(hidden, d_out)

    fn forward(x: f32[B, T, d_in]) -> f32[B, T, d_out] {
        return second(tanh(first(x)))
    }
}
""", "Net.forward").input("x", x3)).out(np.tanh(x3 @ W1 + b1) @ W2 + b2)

r = rng(44)
x, W = grid(r, (2, 3)), grid(r, (3, 3))
case("training_if", "`if training` takes the else branch when the program runs for inference (Run).", """
model M(k: float = 2.0) {
    param W: f32[3, 3] = glorot_uniform()

    fn forward(x: f32[B, 3]) -> f32[B, 3] {
        if training {
            return x * 100
        } else {
            return (x @ W) * k
        }
    }
}
""", "M.forward").input("x", x).param("W", W).out((x @ W) * 2)

case("model_arg_if", "`if` on a bool model argument picks its branch at compile time.", """
model M(use_bias: bool = false) {
    param W: f32[3, 3] = glorot_uniform()
    param b: f32[3]    = ones()

    fn forward(x: f32[B, 3]) -> f32[B, 3] {
        if use_bias {
            return x @ W + b
        } else {
            return x @ W
        }
    }
}
""", "M.forward").input("x", x).param("W", W).out(x @ W)

case("dropout_inference", "dropout(x, p) is the identity when not training.", """
model M(p: float = 0.5) {
    param W: f32[3, 3] = glorot_uniform()

    fn forward(x: f32[B, 3]) -> f32[B, 3] {
        return dropout(relu(x @ W), p) + dropout(x, 0.9)
    }
}
""", "M.forward").input("x", x).param("W", W).out(np.maximum(x @ W, 0) + x)

r = rng(45)
x, tgt, W, b = grid(r, (2, 3)), grid(r, (2, 2)), grid(r, (3, 2)), grid(r, (2,))
tW, tb = t(W, True), t(b, True)
val = ((t(x) @ tW + tb - t(tgt)) ** 2).sum() + 0.5 * ((tW ** 2).sum() + (tb ** 2).sum())
val.backward()
case("l2_params", "l2(params) is the sum of squares of every trainable param of the model.", """
model M() {
    param W: f32[3, 2] = glorot_uniform()
    param b: f32[2]    = zeros()

    fn forward(x: f32[B, 3]) -> f32[B, 2] {
        return x @ W + b
    }

    fn loss(x: f32[B, 3], t: f32[B, 2]) -> f32 {
        return sum((forward(x) - t) ** 2) + 0.5 * l2(params)
    }
}
""", "M.loss").input("x", x).input("t", tgt).param("W", W).param("b", b).out(n(val)).grad("W", n(tW.grad)).grad("b", n(tb.grad))

# The "first look" program of LANGUAGE.md, unchanged, with fixed params.
FIRST_LOOK = """
// digits.nn: classify 8x8 handwritten digits.
import "std/nn"

model Classifier(hidden: int = 128, p: float = 0.1) {
    l1   = nn.Dense(64, hidden)
    head = nn.Dense(hidden, 10)

    fn forward(x: f32[B, 64]) -> f32[B, 10] {
        h = dropout(relu(l1(x)), p)
        return head(h)
    }

    fn loss(x: f32[B, 64], y: i32[B]) -> f32 {
        return cross_entropy(forward(x), y) + 1e-4 * l2(params)
    }
}

train Classifier {
    optimizer = adam(lr = 1e-3)
    batch     = 64
    epochs    = 20
}
"""
r = rng(46)
x = grid(r, (4, 64), 0, 1, 16)
y = np.array([3, 7, 0, 9], dtype=np.int32)
lW, lb = grid(r, (64, 128), -0.25, 0.25, 64), grid(r, (128,), -0.25, 0.25, 64)
hW, hb = grid(r, (128, 10), -0.25, 0.25, 64), grid(r, (10,), -0.25, 0.25, 64)
tx, tlW, tlb, thW, thb = t(x, True), t(lW, True), t(lb, True), t(hW, True), t(hb, True)
logits = torch.relu(tx @ tlW + tlb) @ thW + thb
val = F.cross_entropy(logits, torch.tensor(y, dtype=torch.long)) + 1e-4 * sum((p ** 2).sum() for p in (tlW, tlb, thW, thb))
val.backward()
c = case("first_look", "LANGUAGE.md's first-look Classifier, unchanged: loss value and gradients (dropout is the identity in inference).", FIRST_LOOK, "Classifier.loss")
c.input("x", x).input("y", y).param("l1.W", lW).param("l1.b", lb).param("head.W", hW).param("head.b", hb)
c.out(n(val)).grad("head.W", n(thW.grad)).grad("head.b", n(thb.grad)).grad("l1.b", n(tlb.grad)).grad("x", n(tx.grad))
c.tolerance(1e-4, 1e-6)

r = rng(47)
x = grid(r, (2, 3))
A1, A2 = grid(r, (3, 3), -1, 1), grid(r, (3, 3), -1, 1)
a1, a2 = grid(r, (3,), -1, 1), grid(r, (3,), -1, 1)
case("nested_submodels", "A user model used as a sub-model twice; its nn.Dense params are named by the full path (b1.lin.W).", """
import "std/nn"

model Block(n: int) {
    lin = nn.Dense(n, n)

    fn forward(x: f32[B, n]) -> f32[B, n] {
        return x + tanh(lin(x))
    }
}

model Net(d: int = 3) {
    b1 = Block(d)
    b2 = Block(d)

    fn forward(x: f32[B, d]) -> f32[B, d] {
        return b2(b1(x))
    }
}
""", "Net.forward").input("x", x).param("b1.lin.W", A1).param("b1.lin.b", a1).param("b2.lin.W", A2).param("b2.lin.b", a2)
h = x + np.tanh(x @ A1 + a1)
cases[-1].out(h + np.tanh(h @ A2 + a2))

r = rng(48)
x, U, v = grid(r, (2, 2)), grid(r, (2, 4)), grid(r, (4,))
case("model_dim_arithmetic", "Param shapes may be arithmetic in model arguments: f32[d, 2 * d].", """
model M(d: int = 2) {
    param U: f32[d, 2 * d] = glorot_uniform()
    param v: f32[2 * d]    = zeros()

    fn forward(x: f32[B, d]) -> f32[B, 2 * d] {
        return x @ U + v
    }
}
""", "M.forward").input("x", x).param("U", U).param("v", v).out(x @ U + v)

r = rng(49)
x3 = grid(r, (2, 2, 3))
D1, d1 = grid(r, (3, 4)), grid(r, (4,), -0.5, 0.5)
tx, tD, td = t(x3, True), t(D1, True), t(d1, True)
val = torch.tanh(tx @ tD + td).square().sum()
val.backward()
case("dense_ellipsis_grads", "Gradients of nn.Dense on a rank-3 input: the shared W and b sum over both leading axes.", """
import "std/nn"

model Net(d_in: int = 3, hidden: int = 4) {
    first = nn.Dense(d_in, hidden)

    fn loss(x: f32[B, T, d_in]) -> f32 {
        return sum(square(tanh(first(x))))
    }
}
""", "Net.loss").input("x", x3).param("first.W", D1).param("first.b", d1).out(n(val)) \
    .grad("first.W", n(tD.grad)).grad("first.b", n(td.grad)).grad("x", n(tx.grad)).tolerance(1e-5, 1e-5)

write_all(cases)
