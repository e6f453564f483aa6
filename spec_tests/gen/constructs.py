"""Language constructs: lists of sub-models indexed with a compile-time i,
static for loops (also over a shape variable), compile-time if, state updates
(applied only in training: Run is inference, so the state stays put), tuples
and destructuring, NumPy indexing and slicing, tensor literals, x.T,
stop_gradient and scan.

References are NumPy/PyTorch in float64; programs with gradients are in f64.
"""

import numpy as np
import torch

from common import Case, select, grid, rng, write_all

T = torch.float64

# Cases that fail today because of a bug or a missing feature in nnc; this
# script does not write them (the conformance report lists why).
PENDING = []


def t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=T, requires_grad=grad)


def n(x):
    return x.detach().numpy()


cases = []


def case(name, header, program, entry="f"):
    c = Case("constructs", name, header, program, entry)
    cases.append(c)
    return c


# ---- lists of sub-models ----
r = rng(301)
x = grid(r, (2, 3))
Ws = [grid(r, (3, 3)) for _ in range(3)]
h = x
for i in range(3):
    h = np.tanh(h @ Ws[i]) * (i + 1)
c = case("submodel_list_loop", "A list of sub-models built with i in their arguments, applied in a static for loop with layers[i]; params set by path layers.I.W.", """
model Layer(k: float) {
    param W: f64[3, 3] = glorot_uniform()

    fn forward(x: f64[B, 3]) -> f64[B, 3] {
        return tanh(x @ W) * k
    }
}

model Stack(depth: int = 3) {
    layers = [Layer(i + 1) for i in 0..depth]

    fn forward(x: f64[B, 3]) -> f64[B, 3] {
        for i in 0..depth {
            x = layers[i](x)
        }
        return x
    }
}
""", "Stack.forward").input("x", x)
for i in range(3):
    c.param("layers.%d.W" % i, Ws[i])
c.out(h, "f64")

c = case("submodel_list_int_arg", "An int model argument used as a value (k = i + 1) in a list of sub-models built with i in their arguments, applied in a static for loop with layers[i]; params set by path layers.I.W.", """
model Layer(k: int) {
    param W: f64[3, 3] = glorot_uniform()

    fn forward(x: f64[B, 3]) -> f64[B, 3] {
        return tanh(x @ W) * k
    }
}

model Stack(depth: int = 3) {
    layers = [Layer(i + 1) for i in 0..depth]

    fn forward(x: f64[B, 3]) -> f64[B, 3] {
        for i in 0..depth {
            x = layers[i](x)
        }
        return x
    }
}
""", "Stack.forward").input("x", x)
for i in range(3):
    c.param("layers.%d.W" % i, Ws[i])
c.out(h, "f64")

tx = t(x)
tW = [t(W, True) for W in Ws]
hh = tx
for i in range(3):
    hh = torch.tanh(hh @ tW[i]) * (i + 1)
val = (hh ** 2).sum()
val.backward()
c = case("submodel_list_grads", "Gradients w.r.t. the parameters of a list of sub-models (layers.0.W, layers.2.W), the middle one reached as layers[1] by a constant index.", """
model Layer(k: float) {
    param W: f64[3, 3] = glorot_uniform()

    fn forward(x: f64[B, 3]) -> f64[B, 3] {
        return tanh(x @ W) * k
    }
}

model Stack() {
    layers = [Layer(i + 1) for i in 0..3]

    fn loss(x: f64[B, 3]) -> f64 {
        h = layers[0](x)
        h = layers[1](h)
        return sum(layers[2](h) ** 2)
    }
}
""", "Stack.loss").input("x", x)
for i in range(3):
    c.param("layers.%d.W" % i, Ws[i])
c.out(n(val), "f64").grad("layers.0.W", n(tW[0].grad), "f64").grad("layers.2.W", n(tW[2].grad), "f64")

# ---- static for ----
x = grid(r, (4, 3))
case("for_shape_variable", "for over a shape variable N of a generic function, bound to 4 at the call; i indexes rows.", """
fn running(x: f32[N, 3]) -> f32[3] {
    s = zeros([3])
    for i in 0..N {
        s = s + x[i] * (i + 1)
    }
    return s
}

fn f(x: f32[4, 3]) -> f32[3] {
    return running(x)
}
""").input("x", x).out((x * np.arange(1, 5)[:, None]).sum(0))

case("for_shape_variable_entry", "for over a shape variable of the entry itself: unrolled when the plan is built, i indexes rows.", """
fn f(x: f32[N, 3]) -> f32[3] {
    s = zeros([3])
    for i in 0..N {
        s = s + x[i] * (i + 1)
    }
    return s
}
""").input("x", x).out((x * np.arange(1, 5)[:, None]).sum(0))

x = grid(r, (5,))
tx = t(x, True)
acc = tx
for i in range(1, 4):
    acc = acc * 0.5 + tx * i
val = acc.sum()
val.backward()
case("for_range_grad", "for i in 1..4 (a start other than 0) rebinds a value each step; gradient through the unrolled loop.", """
fn f(x: f64[5]) -> f64 {
    acc = x
    for i in 1..4 {
        acc = acc * 0.5 + x * i
    }
    return sum(acc)
}
""").input("x", x).out(n(val), "f64").grad("x", n(tx.grad), "f64")

# ---- compile-time if ----
x = grid(r, (3,))
case("if_else_chain", "if / else if / else choose at compile time on model arguments and constants; only the chosen branch runs.", """
const MODE = 2

model M(mode: int = MODE, flip: bool = false) {
    fn forward(x: f32[3]) -> f32[3] {
        if mode == 1 {
            x = x * 10.0
        } else if mode == 2 && !flip {
            x = x + 100.0
        } else {
            x = -x
        }
        if flip || mode > 5 {
            return x * 0.0
        }
        return x
    }
}
""", "M.forward").input("x", x).out(x + 100)

# ---- state ----
x = grid(r, (2, 3))
case("state_not_updated_in_run", "A state update applies only in training: Run is inference, so running twice (the runner does) sees the initial state both times, and `if training` is false.", """
model Counter() {
    state total: f32[3] = ones()
    state steps: f32    = zeros()

    fn forward(x: f32[B, 3]) -> f32[B, 3] {
        total <- total + sum(x, axis = 0)
        steps <- steps + 1.0
        if training {
            return x * 0.0
        }
        return x * total + steps
    }
}
""", "Counter.forward").input("x", x).out(x)

# ---- tuples ----
a, b = grid(r, (2,)), grid(r, (2,))
case("nested_tuples", "A tuple of a tuple and a tensor destructured in two steps, and tuples passed to and returned from functions.", """
fn swap(p: (f32[2], f32[2])) -> (f32[2], f32[2]) {
    x, y = p
    return y, x
}

fn pack(a: f32[2], b: f32[2]) -> ((f32[2], f32[2]), f32[2]) {
    return (a, b), a * b
}

fn f(a: f32[2], b: f32[2]) -> (f32[2], f32[2], f32[2]) {
    pair, prod = pack(a, b)
    u, v = swap(pair)
    return u, v, prod
}
""").input("a", a).input("b", b).out(b).out(a).out(a * b)

# ---- indexing and slicing ----
x = grid(r, (4, 5, 3))
case("index_basic", "Integer indices drop the axis, negative ones count from the end, and ... stands for the other axes.", """
fn f(x: f32[4, 5, 3]) -> (f32[5, 3], f32[3], f32[4, 5], f32[4], f32) {
    return x[-1], x[0, -2], x[..., 1], x[:, 2, -1], x[3, 4, 2]
}
""").input("x", x).out(x[-1]).out(x[0, -2]).out(x[..., 1]).out(x[:, 2, -1]).out(x[3, 4, 2])

case("slice_steps", "Slices lo:hi:step keep the axis: bounds, negative bounds, steps, reversal and an ellipsis in the middle.", """
fn f(x: f32[4, 5, 3]) -> (f32[2, 5, 3], f32[4, 3, 3], f32[4, 5, 2], f32[4, 5, 3], f32[2, 2, 3], f32[1, 5, 1]) {
    return x[1:3], x[:, ::2], x[..., -2:], x[::-1], x[1::2, 3:0:-2, ...], x[-1:, ..., 1:2]
}
""").input("x", x).out(x[1:3]).out(x[:, ::2]).out(x[..., -2:]).out(x[::-1]).out(x[1::2, 3:0:-2, ...]).out(x[-1:, ..., 1:2])

x = grid(r, (4, 5))
tx = t(x, True)
val = (tx[1:3, ::2] ** 2).sum() + tx[-1].sum() * 3 + tx.flip(0)[:, 0].sum() + tx[torch.tensor([0, 0, 2])].sum()
val.backward()
case("index_grads", "Gradients through slices with steps, a negative index, a reversal and an integer-tensor index with a repeated id.", """
fn f(x: f64[4, 5], ids: i32[3]) -> f64 {
    return sum(x[1:3, ::2] ** 2) + sum(x[-1]) * 3.0 + sum(x[::-1][:, 0]) + sum(x[ids])
}
""").input("x", x).input("ids", [0, 0, 2]).out(n(val), "f64").grad("x", n(tx.grad), "f64")

x = grid(r, (6, 2))
case("slice_symbolic", "A slice bound may be a shape variable (step 1): pos[:T] cuts a table to the input's length.", """
fn f(x: f32[T, 2], pos: f32[6, 2]) -> f32[T, 2] {
    return x + pos[:T]
}
""").input("x", x[:3]).input("pos", x).out(x[:3] + x[:3])

# ---- literals, .T ----
x = grid(r, (2, 2))
case("tensor_literals", "Tensor literals take their element type from the context: a float matrix, an int vector added to f32, and an i32 index list for take.", """
fn f(x: f32[2, 2]) -> (f32[2, 2], f32[3, 2]) {
    return x @ [[0.0, 1.0], [1.0, 0.0]] + [1, 2], take(x, [1, 0, 1], axis = 0)
}
""").input("x", x).out(x @ np.array([[0, 1], [1, 0]]) + np.array([1, 2])).out(x[[1, 0, 1]])

x = grid(r, (2, 3, 4))
case("dot_T_3d", "x.T reverses every axis, as NumPy's .T: [2, 3, 4] becomes [4, 3, 2].", """
fn f(x: f32[2, 3, 4]) -> f32[4, 3, 2] {
    return x.T
}
""").input("x", x).out(x.T)

# ---- stop_gradient ----
x = grid(r, (3,))
tx = t(x, True)
val = (tx * tx.detach()).sum() + (tx.detach() ** 3).sum()
val.backward()
case("stop_gradient", "stop_gradient(x) has the value of x and no derivative: d/dx sum(x * stop_gradient(x)) is x, not 2x.", """
fn f(x: f64[3]) -> f64 {
    return sum(x * stop_gradient(x)) + sum(stop_gradient(x) ** 3)
}
""").input("x", x).out(n(val), "f64").grad("x", n(tx.grad), "f64")

# ---- scan ----
xs = grid(r, (4, 2, 3))
W, U = grid(r, (3, 3), -1, 1), grid(r, (3, 3), -1, 1)
tW, tU = t(W, True), t(U, True)
h = torch.zeros(2, 3, dtype=T)
ys = []
for k in range(4):
    h = torch.tanh(t(xs[k]) @ tW + h @ tU)
    ys.append(h)
hs = torch.stack(ys)
val = (hs ** 2).sum() + h.sum()
val.backward()
case("scan_rnn", "scan runs a small RNN step (a method reading the model's params) over axis 0 (the method generic in T and B, the entry concrete); gradients w.r.t. the weights through every step.", """
model RNN() {
    param W: f64[3, 3] = glorot_uniform()
    param U: f64[3, 3] = orthogonal()

    fn step(h: f64[B, 3], x: f64[B, 3]) -> (f64[B, 3], f64[B, 3]) {
        h2 = tanh(x @ W + h @ U)
        return h2, h2
    }

    fn run(xs: f64[T, B, 3]) -> f64 {
        last, hs = scan(step, zeros([B, 3], dtype = f64), xs)
        return sum(hs ** 2) + sum(last)
    }

    fn loss(xs: f64[4, 2, 3]) -> f64 {
        return run(xs)
    }
}
""", "RNN.loss").input("xs", xs).param("W", W).param("U", U).out(n(val), "f64").grad("W", n(tW.grad), "f64").grad("U", n(tU.grad), "f64")

case("scan_symbolic_length", "scan runs a small RNN step (a method reading the model's params) over axis 0, the length a shape variable; gradients w.r.t. the weights through every step.", """
model RNN() {
    param W: f64[3, 3] = glorot_uniform()
    param U: f64[3, 3] = orthogonal()

    fn step(h: f64[B, 3], x: f64[B, 3]) -> (f64[B, 3], f64[B, 3]) {
        h2 = tanh(x @ W + h @ U)
        return h2, h2
    }

    fn loss(xs: f64[T, B, 3]) -> f64 {
        last, hs = scan(step, zeros([B, 3], dtype = f64), xs)
        return sum(hs ** 2) + sum(last)
    }
}
""", "RNN.loss").input("xs", xs).param("W", W).param("U", U).out(n(val), "f64").grad("W", n(tW.grad), "f64").grad("U", n(tU.grad), "f64")

# ---- imports of the user's own files ----
x = grid(r, (2, 3))
sc = grid(r, (3,))
case("import_user_file", "import \"layers.nn\" as L: its constant (in a shape), function and model are used as L.NAME; the imported model's param is set by its path.", """
import "layers.nn" as L

model Net() {
    sc = L.Scale()

    fn forward(x: f64[B, L.WIDTH]) -> f64[B, L.WIDTH] {
        return L.double(sc(x)) + L.WIDTH
    }
}
""", "Net.forward").file("layers.nn", """
const WIDTH = 3

fn double(x: f64[...]) -> f64[...] {
    return x * 2.0
}

model Scale() {
    param s: f64[WIDTH] = ones()

    fn forward(x: f64[B, WIDTH]) -> f64[B, WIDTH] {
        return x * s
    }
}
""").input("x", x).param("sc.s", sc).out(x * sc * 2 + 3, "f64")

case("import_chain", "An imported file imports another (paths relative to the importing file), and std/nn through it.", """
import "outer.nn" as O

fn f(x: f32[2, 2]) -> f32[2, 2] {
    return O.twice(x)
}
""").file("outer.nn", """
import "inner.nn" as I

fn twice(x: f32[N, 2]) -> f32[N, 2] {
    return I.inc(I.inc(x))
}
""").file("inner.nn", """
fn inc(x: f32[N, 2]) -> f32[N, 2] {
    return x + 1.0
}
""").input("x", x[:, :2]).out(x[:, :2] + 2)

# ---- masks ----
x, y = grid(r, (2, 4)), grid(r, (2, 4))
m1, m2 = x > 0, y <= 0.5
case("masks", "Comparisons give bool tensors; && || ! combine them elementwise; in arithmetic a bool becomes the other operand's type (NumPy), so a mask multiplies directly.", """
fn f(x: f32[2, 4], y: f32[2, 4]) -> (bool[2, 4], bool[2, 4], bool[2, 4], f32[2, 4]) {
    a = x > 0.0
    b = y <= 0.5
    return a && b, a || b, !a, (x == y) * y + (x != y) * 2.0
}
""").input("x", x).input("y", y).out(m1 & m2, "bool").out(m1 | m2, "bool").out(~m1, "bool").out((x == y) * y + (x != y) * 2.0)

# ---- the short function form ----
x = grid(r, (3,))
case("fn_short_form", "fn name(params) -> type = expr, the short form of a function.", """
fn square(x: f32[N]) -> f32[N] = x * x

fn f(x: f32[3]) -> f32[3] {
    return square(x) + 1.0
}
""").input("x", x).out(x * x + 1)

# ---- scan with tuples ----
xs, ws = grid(r, (3, 2)), grid(r, (3, 2))
s_ = np.zeros(2)
p_ = np.ones(2)
ys1, ys2 = [], []
for k in range(3):
    s_ = s_ + xs[k] * ws[k]
    p_ = p_ * 0.5 + xs[k]
    ys1.append(s_.copy())
    ys2.append(s_ - p_)
case("scan_tuples", "scan with a tuple carry, a tuple of sequences and a tuple of per-step outputs, stacked along axis 0.", """
fn step(carry: (f32[2], f32[2]), inp: (f32[2], f32[2])) -> ((f32[2], f32[2]), (f32[2], f32[2])) {
    s, p = carry
    x, w = inp
    s2 = s + x * w
    p2 = p * 0.5 + x
    return (s2, p2), (s2, s2 - p2)
}

fn f(xs: f32[3, 2], ws: f32[3, 2]) -> (f32[2], f32[2], f32[3, 2], f32[3, 2]) {
    last, outs = scan(step, (zeros([2]), ones([2])), (xs, ws))
    s, p = last
    a, b = outs
    return s, p, a, b
}
""").input("xs", xs).input("ws", ws).out(s_).out(p_).out(np.array(ys1)).out(np.array(ys2))

live = select(cases, PENDING)

if __name__ == "__main__":
    write_all(live)
