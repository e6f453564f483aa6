"""The built-ins beyond the foundation slice: elementwise functions
(sin cos rsqrt sign leaky_relu elu gelu silu softplus clip maximum minimum
where pow), reductions (prod logsumexp var std norm argmax argmin), shape
functions (concat stack split pad squeeze unsqueeze flatten gather take
broadcast_to) and creators (zeros ones full arange eye).

Programs that are differentiated are written in f64 so that the float64
references of torch.autograd hold to the default f64 tolerance.
"""

import numpy as np
import torch
import torch.nn.functional as F

from common import Case, select, grid, rng, write_all

T = torch.float64

# Cases that fail today because of a bug or a missing feature in nnc; all.py
# and this script skip them (the report of the conformance work lists why).
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


def away(a, pts, eps=1.0 / 16):
    """a with values within eps of any point in pts moved off it (kinks)."""
    a = a.copy()
    for p in pts:
        a[np.abs(a - p) < eps] = p + 2 * eps
    return a


# ---- elementwise ----
r = rng(101)
x = away(grid(r, (2, 5), -3, 3), [0.0])
tx = t(x, True)
val = (torch.sin(tx) * 2 + torch.cos(tx) * torch.sign(tx)).sum()
val.backward()
case("elementwise", "sin_cos_sign", "sin, cos and sign with their gradients (sign's is zero).", """
fn f(x: f64[2, 5]) -> f64 {
    return sum(sin(x) * 2.0 + cos(x) * sign(x))
}
""").input("x", x).out(n(val), "f64").grad("x", n(tx.grad), "f64")

case("elementwise", "sign_values", "sign is -1, 0 or 1, zero included.", """
fn f(x: f32[5]) -> f32[5] {
    return sign(x)
}
""").input("x", [-2.5, -0.0625, 0.0, 0.125, 3.0]).out([-1, -1, 0, 1, 1])

x = grid(r, (2, 4), 0.25, 4)
tx = t(x, True)
val = (torch.rsqrt(tx) * t(np.arange(8).reshape(2, 4))).sum()
val.backward()
case("elementwise", "rsqrt", "rsqrt(x) is 1 / sqrt(x); gradient -x^-1.5 / 2.", """
fn f(x: f64[2, 4], w: f64[2, 4]) -> f64 {
    return sum(rsqrt(x) * w)
}
""").input("x", x).input("w", np.arange(8).reshape(2, 4)).out(n(val), "f64").grad("x", n(tx.grad), "f64")

x = away(grid(r, (3, 4), -3, 3), [0.0])
case("elementwise", "activations_values", "leaky_relu (slope 0.2), elu (alpha 1.5), silu and softplus against PyTorch, as a tuple.", """
fn f(x: f32[3, 4]) -> (f32[3, 4], f32[3, 4], f32[3, 4], f32[3, 4], f32[3, 4]) {
    return leaky_relu(x, slope = 0.2), leaky_relu(x), elu(x, alpha = 1.5), silu(x), softplus(x)
}
""").input("x", x).out(n(F.leaky_relu(t(x), 0.2))).out(n(F.leaky_relu(t(x), 0.01))) \
    .out(n(F.elu(t(x), 1.5))).out(n(F.silu(t(x)))).out(n(F.softplus(t(x))))

w = grid(r, (3, 4))
tx = t(x, True)
val = ((F.leaky_relu(tx, 0.2) + F.elu(tx, 1.5) + F.silu(tx) + F.softplus(tx) + F.elu(tx)) * t(w)).sum()
val.backward()
case("elementwise", "activations_grads", "Gradients of leaky_relu, elu, silu and softplus (inputs away from the kink at 0).", """
fn f(x: f64[3, 4], w: f64[3, 4]) -> f64 {
    return sum((leaky_relu(x, slope = 0.2) + elu(x, alpha = 1.5) + silu(x) + softplus(x) + elu(x)) * w)
}
""").input("x", x).input("w", w).out(n(val), "f64").grad("x", n(tx.grad), "f64")

x = grid(r, (2, 6), -4, 4)
case("elementwise", "gelu_forms", "gelu: the exact erf form by default and the tanh approximation with approximate = \"tanh\".", """
fn f(x: f32[2, 6]) -> (f32[2, 6], f32[2, 6]) {
    return gelu(x), gelu(x, approximate = "tanh")
}
""").input("x", x).out(n(F.gelu(t(x)))).out(n(F.gelu(t(x), approximate="tanh")))

tx = t(x, True)
w = grid(r, (2, 6))
val = ((F.gelu(tx) + 2 * F.gelu(tx, approximate="tanh")) * t(w)).sum()
val.backward()
case("elementwise", "gelu_grads", "Gradients of both gelu forms.", """
fn f(x: f64[2, 6], w: f64[2, 6]) -> f64 {
    return sum((gelu(x) + 2.0 * gelu(x, approximate = "tanh")) * w)
}
""").input("x", x).input("w", w).out(n(val), "f64").grad("x", n(tx.grad), "f64")

x = away(away(grid(r, (3, 5), -2, 2), [-0.5]), [0.75])
tx = t(x, True)
val = (torch.clamp(tx, -0.5, 0.75) ** 2).sum()
val.backward()
case("elementwise", "clip", "clip(x, lo, hi) limits values to [lo, hi]; the gradient is 1 inside and 0 outside.", """
fn f(x: f64[3, 5]) -> f64 {
    return sum(clip(x, -0.5, 0.75) ** 2)
}
""").input("x", x).out(n(val), "f64").grad("x", n(tx.grad), "f64")

x = grid(r, (3, 4))
y = grid(r, (4,))
y = np.where(np.any(np.abs(x - y) < 1e-9, axis=0), y + 1 / 32, y)  # no ties
tx, ty = t(x, True), t(y, True)
val = (torch.maximum(tx, ty) * 2 + torch.minimum(tx, ty) ** 2).sum()
val.backward()
case("elementwise", "maximum_minimum", "maximum and minimum broadcast [3, 4] with [4]; each gradient goes to the chosen operand, summed over the broadcast axis.", """
fn f(x: f64[3, 4], y: f64[4]) -> f64 {
    return sum(maximum(x, y) * 2.0 + minimum(x, y) ** 2)
}
""").input("x", x).input("y", y).out(n(val), "f64").grad("x", n(tx.grad), "f64").grad("y", n(ty.grad), "f64")

x, y = grid(r, (2, 4)), grid(r, (2, 4))
x = away(x, [0.0])
tx, ty = t(x, True), t(y, True)
val = (torch.where(tx > 0, tx * ty, ty * 3)).sum()
val.backward()
case("elementwise", "where", "where(cond, a, b) picks a where cond is non-zero; gradients go to the picked branch.", """
fn f(x: f64[2, 4], y: f64[2, 4]) -> f64 {
    return sum(where(x > 0.0, x * y, y * 3.0))
}
""").input("x", x).input("y", y).out(n(val), "f64").grad("x", n(tx.grad), "f64").grad("y", n(ty.grad), "f64")

ca, cb = grid(r, (3, 4)), grid(r, (4,))
case("elementwise", "where_broadcast", "where broadcasts its condition [3, 1] against operands [3, 4] and [4].", """
fn f(c: f32[3, 1], a: f32[3, 4], b: f32[4]) -> f32[3, 4] {
    return where(c, a, b)
}
""").input("c", [[1], [0], [1]]).input("a", ca).input("b", cb).out(np.where(np.array([[1], [0], [1]]) != 0, ca, cb))

x, y = grid(r, (2, 3), 0.25, 2), grid(r, (2, 3), -2, 2)
tx, ty = t(x, True), t(y, True)
val = torch.pow(tx, ty).sum()
val.backward()
case("elementwise", "pow_fn", "pow(x, y) is x ** y, with gradients w.r.t. the base and the exponent.", """
fn f(x: f64[2, 3], y: f64[2, 3]) -> f64 {
    return sum(pow(x, y))
}
""").input("x", x).input("y", y).out(n(val), "f64").grad("x", n(tx.grad), "f64").grad("y", n(ty.grad), "f64")

# ---- reductions ----
r = rng(111)
x = away(grid(r, (2, 3, 4), -2, 2), [0.0])
case("reductions", "prod", "prod over an axis, over every axis, and with keepdims.", """
fn f(x: f32[2, 3, 4]) -> (f32[2, 4], f32, f32[2, 3, 1]) {
    return prod(x, axis = 1), prod(x[0, 0]), prod(x, axis = -1, keepdims = true)
}
""").input("x", x).out(x.prod(axis=1)).out(x[0, 0].prod()).out(x.prod(axis=-1, keepdims=True))

tx = t(x, True)
val = torch.prod(tx, dim=1).sum()
val.backward()
case("reductions", "prod_grad", "The gradient of prod is the product of the other factors.", """
fn f(x: f64[2, 3, 4]) -> f64 {
    return sum(prod(x, axis = 1))
}
""").input("x", x).out(n(val), "f64").grad("x", n(tx.grad), "f64")

x = grid(r, (3, 5), -4, 4)
x[1, 2] = 40.0  # large: a naive log(sum(exp)) would lose precision in f32
case("reductions", "logsumexp", "logsumexp: the last axis by default, axis 0, every axis (a list), and keepdims; computed stably.", """
fn f(x: f32[3, 5]) -> (f32[3], f32[5], f32, f32[3, 1]) {
    return logsumexp(x), logsumexp(x, axis = 0), logsumexp(x, axis = [0, 1]), logsumexp(x, axis = 1, keepdims = true)
}
""").input("x", x).out(n(torch.logsumexp(t(x), -1))).out(n(torch.logsumexp(t(x), 0))) \
    .out(n(torch.logsumexp(t(x).reshape(-1), 0))).out(n(torch.logsumexp(t(x), 1, keepdim=True)))

x = grid(r, (3, 5), -2, 2)
tx = t(x, True)
w = grid(r, (3,))
val = (torch.logsumexp(tx, -1) * t(w)).sum()
val.backward()
case("reductions", "logsumexp_grad", "The gradient of logsumexp is the softmax.", """
fn f(x: f64[3, 5], w: f64[3]) -> f64 {
    return sum(logsumexp(x) * w)
}
""").input("x", x).input("w", w).out(n(val), "f64").grad("x", n(tx.grad), "f64")

x = grid(r, (3, 4))
case("reductions", "var_std", "var and std: population form by default, ddof = 1 for the unbiased one, over an axis, a list of axes and everything.", """
fn f(x: f32[3, 4]) -> (f32[4], f32[3], f32, f32, f32[3, 1]) {
    return var(x, axis = 0), std(x, axis = 1, ddof = 1), var(x), std(x, axis = [0, 1]), var(x, axis = -1, keepdims = true, ddof = 1)
}
""").input("x", x).out(x.var(axis=0)).out(x.std(axis=1, ddof=1)).out(x.var()).out(x.std()) \
    .out(x.var(axis=-1, keepdims=True, ddof=1))

tx = t(x, True)
val = torch.var(tx, dim=0, unbiased=True).sum() + torch.std(tx, dim=1, unbiased=False).sum() * 3
val.backward()
case("reductions", "var_std_grads", "Gradients of var (ddof = 1) and std (ddof = 0).", """
fn f(x: f64[3, 4]) -> f64 {
    return sum(var(x, axis = 0, ddof = 1)) + sum(std(x, axis = 1)) * 3.0
}
""").input("x", x).out(n(val), "f64").grad("x", n(tx.grad), "f64")

x = grid(r, (2, 3))
tx = t(x, True)
val = torch.linalg.vector_norm(tx) + torch.linalg.vector_norm(tx, dim=1).sum() * 2
val.backward()
case("reductions", "norm", "norm is the Euclidean norm, of everything or along an axis, with its gradient x / norm.", """
fn f(x: f64[2, 3]) -> f64 {
    return norm(x) + sum(norm(x, axis = 1)) * 2.0
}
""").input("x", x).out(n(val), "f64").grad("x", n(tx.grad), "f64")

case("reductions", "norm_values", "norm along axis 0 with keepdims.", """
fn f(x: f32[2, 3]) -> f32[1, 3] {
    return norm(x, axis = 0, keepdims = true)
}
""").input("x", x).out(np.sqrt((x ** 2).sum(axis=0, keepdims=True)))

xd = (r.permutation(24).reshape(2, 3, 4) - 12) / 8.0
case("reductions", "argmax_argmin", "argmax and argmin give i32 positions: along an axis, a negative axis with keepdims, and over the flattened tensor.", """
fn f(x: f32[2, 3, 4]) -> (i32[2, 4], i32[2, 3, 1], i32, i32) {
    return argmax(x, axis = 1), argmin(x, axis = -1, keepdims = true), argmax(x), argmin(x)
}
""").input("x", xd).out(xd.argmax(axis=1), "i32").out(xd.argmin(axis=-1)[..., None], "i32") \
    .out(xd.argmax(), "i32").out(xd.argmin(), "i32")

# ---- shape functions ----
r = rng(121)
a, b = grid(r, (2, 3)), grid(r, (2, 2))
c3 = grid(r, (2, 3))
case("layout", "concat", "concat joins along an existing axis: axis 1 with three operands of different widths, axis 0 by default.", """
fn f(a: f32[2, 3], b: f32[2, 2], c: f32[2, 3]) -> (f32[2, 8], f32[4, 3]) {
    return concat(a, b, c, axis = 1), concat(a, c)
}
""").input("a", a).input("b", b).input("c", c3).out(np.concatenate([a, b, c3], axis=1)).out(np.concatenate([a, c3]))

case("layout", "stack", "stack joins along a new axis: 0 by default, 1, and -1.", """
fn f(a: f32[2, 3], c: f32[2, 3]) -> (f32[2, 2, 3], f32[2, 2, 3], f32[2, 3, 2]) {
    return stack(a, c), stack(a, c, axis = 1), stack(a, c, axis = -1)
}
""").input("a", a).input("c", c3).out(np.stack([a, c3])).out(np.stack([a, c3], 1)).out(np.stack([a, c3], -1))

ta, tb, tc = t(a, True), t(b, True), t(c3, True)
wcat = grid(r, (2, 8))
wst = grid(r, (2, 3, 2))
val = (torch.cat([ta, tb, tc], 1) * t(wcat)).sum() + (torch.stack([ta, tc], -1) * t(wst)).sum()
val.backward()
case("layout", "concat_stack_grads", "Gradients of concat and stack are the matching slices of the upstream gradient.", """
fn f(a: f64[2, 3], b: f64[2, 2], c: f64[2, 3], wcat: f64[2, 8], wst: f64[2, 3, 2]) -> f64 {
    return sum(concat(a, b, c, axis = 1) * wcat) + sum(stack(a, c, axis = -1) * wst)
}
""").input("a", a).input("b", b).input("c", c3).input("wcat", wcat).input("wst", wst).out(n(val), "f64") \
    .grad("a", n(ta.grad), "f64").grad("b", n(tb.grad), "f64").grad("c", n(tc.grad), "f64")

x = grid(r, (2, 6))
case("layout", "split_equal", "split(x, n, axis) gives n equal parts as a tuple.", """
fn f(x: f32[2, 6]) -> (f32[2, 2], f32[2, 2], f32[2, 2]) {
    a, b, c = split(x, 3, axis = 1)
    return a, b, c
}
""").input("x", x).out(x[:, 0:2]).out(x[:, 2:4]).out(x[:, 4:6])

x = grid(r, (6, 2))
tx = t(x, True)
p, q = torch.split(tx, [2, 4], 0)
val = (p ** 2).sum() * 3 + q.sum()
val.backward()
case("layout", "split_sizes_grad", "split with a list of sizes along axis 0 (the default), and its gradient.", """
fn f(x: f64[6, 2]) -> f64 {
    p, q = split(x, [2, 4])
    return sum(p ** 2) * 3.0 + sum(q)
}
""").input("x", x).out(n(val), "f64").grad("x", n(tx.grad), "f64")

x = grid(r, (2, 3))
case("layout", "pad", "pad: an int pads every axis on both sides; a list [before, after, ...] pads the last axes in order; value sets the fill.", """
fn f(x: f32[2, 3]) -> (f32[4, 5], f32[2, 6], f32[5, 4]) {
    return pad(x, 1), pad(x, [1, 2], value = -1.0), pad(x, [2, 1, 0, 1])
}
""").input("x", x).out(np.pad(x, 1)).out(np.pad(x, ((0, 0), (1, 2)), constant_values=-1)) \
    .out(np.pad(x, ((2, 1), (0, 1))))

tx = t(x, True)
wp = grid(r, (5, 4))
val = (F.pad(tx, (0, 1, 2, 1)) * t(wp)).sum()
val.backward()
case("layout", "pad_grad", "The gradient of pad is the interior of the upstream gradient.", """
fn f(x: f64[2, 3], w: f64[5, 4]) -> f64 {
    return sum(pad(x, [2, 1, 0, 1]) * w)
}
""").input("x", x).input("w", wp).out(n(val), "f64").grad("x", n(tx.grad), "f64")

x = grid(r, (2, 1, 3, 1))
case("layout", "squeeze_unsqueeze", "squeeze drops one size-1 axis or all of them; unsqueeze inserts one (negative axes count from the end of the result).", """
fn f(x: f32[2, 1, 3, 1]) -> (f32[2, 3, 1], f32[2, 3], f32[2, 1, 3, 1, 1], f32[1, 2, 1, 3, 1]) {
    return squeeze(x, axis = 1), squeeze(x), unsqueeze(x, axis = -1), unsqueeze(x, 0)
}
""").input("x", x).out(x.squeeze(1)).out(x.squeeze()).out(x[..., None]).out(x[None])

x = grid(r, (2, 3, 2, 2))
case("layout", "flatten", "flatten keeps the axes before start (1 by default) and joins the rest.", """
fn f(x: f32[2, 3, 2, 2]) -> (f32[2, 12], f32[2, 3, 4], f32[24]) {
    return flatten(x), flatten(x, start = 2), flatten(x, 0)
}
""").input("x", x).out(x.reshape(2, 12)).out(x.reshape(2, 3, 4)).out(x.reshape(24))

x = grid(r, (3,))
case("layout", "broadcast_to", "broadcast_to follows NumPy: [3] to [2, 3] and [2, 1] to [2, 4] via a keepdims sum.", """
fn f(x: f32[3], y: f32[2, 4]) -> (f32[2, 3], f32[2, 4]) {
    return broadcast_to(x, [2, 3]), broadcast_to(sum(y, axis = 1, keepdims = true), [2, 4])
}
""").input("x", x).input("y", grid(r, (2, 4)))
last = cases[-1]
last.out(np.broadcast_to(x, (2, 3))).out(np.broadcast_to(last.inputs[1][1].sum(1, keepdims=True), (2, 4)))

tx = t(x, True)
wb = grid(r, (2, 3))
val = (tx.broadcast_to(2, 3) * t(wb)).sum()
val.backward()
case("layout", "broadcast_to_grad", "The gradient of broadcast_to sums over the broadcast axes.", """
fn f(x: f64[3], w: f64[2, 3]) -> f64 {
    return sum(broadcast_to(x, [2, 3]) * w)
}
""").input("x", x).input("w", wb).out(n(val), "f64").grad("x", n(tx.grad), "f64")

x = grid(r, (3, 4))
ids = np.array([[3, 0], [1, 1], [2, 3]])
case("layout", "gather", "gather(x, ids, axis) is NumPy's take_along_axis (PyTorch's gather): axis -1 by default, and axis 0.", """
fn f(x: f32[3, 4], ids: i32[3, 2], rows: i32[2, 4]) -> (f32[3, 2], f32[2, 4]) {
    return gather(x, ids), gather(x, rows, axis = 0)
}
""").input("x", x).input("ids", ids).input("rows", [[0, 2, 1, 2], [2, 2, 0, 1]]) \
    .out(np.take_along_axis(x, ids, -1)).out(np.take_along_axis(x, np.array([[0, 2, 1, 2], [2, 2, 0, 1]]), 0))

tx = t(x, True)
wg = grid(r, (3, 2))
val = (torch.gather(tx, 1, torch.tensor(ids)) * t(wg)).sum()
val.backward()
case("layout", "gather_grad", "The gradient of gather scatter-adds into the gathered positions (row 1 takes position 1 twice).", """
fn f(x: f64[3, 4], ids: i32[3, 2], w: f64[3, 2]) -> f64 {
    return sum(gather(x, ids) * w)
}
""").input("x", x).input("ids", ids).input("w", wg).out(n(val), "f64").grad("x", n(tx.grad), "f64")

x = grid(r, (3, 4))
case("layout", "take", "take(x, ids, axis) follows NumPy: along an axis, over the flattened tensor without one, and a 2-D ids along axis 0.", """
fn f(x: f32[3, 4], ids: i32[2, 2], rows: i32[2, 2], cols: i32[3]) -> (f32[3, 3], f32[2, 2], f32[2, 2, 4]) {
    return take(x, cols, axis = 1), take(x, ids), take(x, rows, axis = 0)
}
""").input("x", x).input("ids", [[0, 5], [11, 2]]).input("rows", [[0, 2], [2, 1]]).input("cols", [3, 3, 0]) \
    .out(np.take(x, [3, 3, 0], axis=1)).out(np.take(x, [[0, 5], [11, 2]])).out(np.take(x, np.array([[0, 2], [2, 1]]), axis=0))

tx = t(x, True)
wt = grid(r, (4, 4))
val = (torch.index_select(tx, 0, torch.tensor([2, 0, 2, 2])) * t(wt)).sum()
val.backward()
case("layout", "take_grad", "The gradient of take scatter-adds: row 2 taken three times gets three contributions, row 1 none.", """
fn f(x: f64[3, 4], ids: i32[4], w: f64[4, 4]) -> f64 {
    return sum(take(x, ids, axis = 0) * w)
}
""").input("x", x).input("ids", [2, 0, 2, 2]).input("w", wt).out(n(val), "f64").grad("x", n(tx.grad), "f64")

x = grid(r, (2, 1, 3))
tx = t(x, True)
wq = grid(r, (3, 2))
y = torch.flatten(tx.squeeze(1).unsqueeze(0), 1).reshape(3, 2)  # [1, 2, 3] -> [1, 6] -> [3, 2]
val = (y * t(wq)).sum() + (tx.permute(2, 1, 0) ** 2).sum()
val.backward()
case("layout", "reshape_family_grad", "Gradients through squeeze, unsqueeze, flatten, reshape and .T (which permutes the gradient back).", """
fn f(x: f64[2, 1, 3], w: f64[3, 2]) -> f64 {
    y = reshape(flatten(unsqueeze(squeeze(x, axis = 1), 0)), [3, 2])
    return sum(y * w) + sum(x.T ** 2)
}
""").input("x", x).input("w", wq).out(n(val), "f64").grad("x", n(tx.grad), "f64")

# ---- creation ----
case("creation", "zeros_ones_full", "zeros, ones and full with a shape list; dtype = i32 and f64 options.", """
fn f() -> (f32[2, 3], f64[3], i32[2, 2], f32[2, 2]) {
    return zeros([2, 3]), ones([3], dtype = f64), full([2, 2], 7, dtype = i32), full([2, 2], -1.5)
}
""").out(np.zeros((2, 3))).out(np.ones(3), "f64").out(np.full((2, 2), 7), "i32").out(np.full((2, 2), -1.5))

case("creation", "shape_var_creation", "Creation shapes may name shape variables bound by the arguments.", """
fn f(x: f32[B, 3]) -> f32[B, 3] {
    return x + ones([B, 3]) + full([B, 1], 0.5)
}
""").input("x", [[1, 2, 3], [4, 5, 6]]).out(np.array([[1, 2, 3], [4, 5, 6]]) + 1.5)

case("creation", "arange", "arange(stop), arange(start, stop, step) with a negative step, and dtype = i32.", """
fn f() -> (f32[5], f32[4], i32[3], f32[3]) {
    return arange(5), arange(1, 3, step = 0.5), arange(2, 8, 2, dtype = i32), arange(3, 0, -1)
}
""").out(np.arange(5)).out(np.arange(1, 3, 0.5)).out(np.arange(2, 8, 2), "i32").out(np.arange(3, 0, -1))

case("creation", "eye", "eye(n) is the identity; eye(n, m) is rectangular.", """
fn f() -> (f32[3, 3], f32[2, 4], f64[4, 2]) {
    return eye(3), eye(2, 4), eye(4, m = 2, dtype = f64)
}
""").out(np.eye(3)).out(np.eye(2, 4)).out(np.eye(4, 2), "f64")

live = select(cases, PENDING)

if __name__ == "__main__":
    write_all(live)
