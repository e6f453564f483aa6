"""Language features: functions calling functions, keyword arguments and
defaults, shape variables, `...`, tuples and destructuring, consts, shape
arithmetic, comments and rebinding.

References are computed in float64 with NumPy from the same inputs.
"""

import numpy as np

from common import Case, grid, rng, write_all

cases = []


def case(name, header, program, entry="f"):
    c = Case("lang", name, header, program, entry)
    cases.append(c)
    return c


r = rng(31)
x, w, b = grid(r, (2, 3)), grid(r, (3, 2)), grid(r, (2,))
case("fn_calls_fn", "A function calls other functions; each call is inlined with its own shape variables.", """
fn affine(x: f32[B, K], w: f32[K, M], b: f32[M]) -> f32[B, M] {
    return x @ w + b
}

fn act(h: f32[R, C]) -> f32[R, C] {
    return tanh(h)
}

fn f(x: f32[B, 3], w: f32[3, 2], b: f32[2]) -> f32[B, 2] {
    return act(affine(x, w, b)) * 2
}
""").input("x", x).input("w", w).input("b", b).out(np.tanh(x @ w + b) * 2)

r = rng(32)
x, y = grid(r, (3,)), grid(r, (3,))
case("keyword_args", "Keyword arguments bind by name, in any order, after positional ones.", """
fn mix(a: f32[3], b: f32[3], t: f32) -> f32[3] {
    return a * t + b * (1 - t)
}

fn f(x: f32[3], y: f32[3]) -> f32[3] {
    return mix(x, t = 0.25, b = y)
}
""").input("x", x).input("y", y).out(x * 0.25 + y * 0.75)

case("fn_defaults", "Parameters with defaults may be left out or given by position or keyword.", """
fn scale(x: f32[3], k: f32 = 2.0, c: f32 = 1.0) -> f32[3] {
    return x * k + c
}

fn f(x: f32[3]) -> (f32[3], f32[3], f32[3]) {
    return scale(x), scale(x, 3), scale(x, c = -1)
}
""").input("x", x).out(x * 2 + 1).out(x * 3 + 1).out(x * 2 - 1)

r = rng(33)
x, v, m = grid(r, (2, 3)), grid(r, (3,)), grid(r, (2,))
case("shape_vars_across_args", "Shape variables B and N are bound by unification across the entry's arguments.", """
fn f(x: f32[B, N], v: f32[N], m: f32[B]) -> f32[B] {
    return x @ v + m
}
""").input("x", x).input("v", v).input("m", m).out(x @ v + m)

r = rng(34)
x3, w = grid(r, (2, 2, 3)), grid(r, (3,))
case("ellipsis_shapes", "`...` matches any number of leading axes, zero included.", """
fn scale_last(x: f32[..., 3], w: f32[3]) -> f32[..., 3] {
    return x * w + 1
}

fn f(x: f32[2, 2, 3], w: f32[3]) -> (f32[2, 2, 3], f32[3]) {
    return scale_last(x, w), scale_last(w, w)
}
""").input("x", x3).input("w", w).out(x3 * w + 1).out(w * w + 1)

r = rng(35)
x = grid(r, (4,))
mu = x.mean()
var = ((x - mu) ** 2).mean()
case("tuple_destructure", "A function returns a tuple; `a, b = g(x)` destructures it.", """
fn stats(x: f32[N]) -> (f32, f32) {
    m = mean(x)
    return m, mean((x - m) ** 2)
}

fn f(x: f32[N]) -> f32[N] {
    m, v = stats(x)
    return (x - m) / sqrt(v + 0.001)
}
""").input("x", x).out((x - mu) / np.sqrt(var + 0.001))

case("multiple_returns", "An entry that returns a tuple gives one result per element (out0, out1, out2).", """
fn f(x: f32[2, 2]) -> (f32[2, 2], f32, f32[2]) {
    return x * 2, sum(x), sum(x, axis = 0)
}
""").input("x", [[1, 2], [3, 4]]).out([[2, 4], [6, 8]]).out(10).out([4, 6])

case("consts", "A const names a compile-time value usable as a dimension and in expressions.", """
const N = 3
const SCALE = 0.5

fn f(x: f32[N]) -> f32[N] {
    return x * SCALE + N
}
""").input("x", [1, -2, 0.5]).out([3.5, 2, 3.25])

r = rng(36)
x = grid(r, (2, 4))
case("shape_arithmetic", "A dimension may be an arithmetic expression of consts: f32[B, 2 * D] with D = 2.", """
const D = 2

fn f(x: f32[B, 2 * D]) -> f32[B, D, 2] {
    return reshape(x, [B, D, 2])
}
""").input("x", x).out(x.reshape(2, 2, 2))

case("rebinding_comments", "Rebinding a name shadows the old value; // comments run to the end of the line.", """
// A comment before the function.
fn f(x: f32[3]) -> f32[3] {
    y = x * 2 // y is 2x
    y = y + 1 // rebinding: now 2x + 1
    x = y * x // parameters may be rebound too
    return x  // (2x + 1) * x
}
""").input("x", [1, 2, -3]).out([3, 10, 15])

write_all(cases)
