"""Comparisons giving bool tensors, where on them, && || !, any/all, bools in
arithmetic and casts (issue 13, item 4), against NumPy and PyTorch.

    /usr/bin/python3 spec_tests/gen/compare.py

Inputs are multiples of 1/16 with deliberate ties, so == and <= see equal
elements; references are NumPy's comparisons and PyTorch's autograd.
"""

import numpy as np
import torch

from common import Case, grid, line_of, rng, write_all

cases = []


def case(name, header, program, entry="f"):
    c = Case("compare", name, header, program, entry)
    c.src = c.program
    cases.append(c)
    return c


def err(c, position, *fragments):
    c.error("main.nn:%s: %s" % (position, " ... ".join(fragments)))
    return c


r = rng(13)
x = grid(r, (2, 3))
y = x[1].copy()
y[0] += 0.25  # row 1 equals y except at column 0
c = case("compare_f32_broadcast", "The six comparisons on f32 with broadcasting ([2, 3] against [3]) give bool tensors; equal elements make == and <= true and < false.", """
fn f(x: f32[2, 3], y: f32[3]) -> (bool[2, 3], bool[2, 3], bool[2, 3], bool[2, 3], bool[2, 3], bool[2, 3]) {
    return x == y, x != y, x < y, x <= y, x > y, x >= y
}
""")
c.input("x", x).input("y", y)
for v in (x == y, x != y, x < y, x <= y, x > y, x >= y):
    c.out(v, "bool")

xd = grid(r, (4,))
c = case("compare_f64_scalar", "A comparison with a compile-time number: the number takes the tensor's type (f64 here).", """
fn f(x: f64[4]) -> (bool[4], bool[4]) {
    return x > 0.0, 0.5 >= x
}
""")
c.input("x", xd).out(xd > 0, "bool").out(0.5 >= xd, "bool")

p = grid(r, (6, 4))
labels = np.argmax(p, axis=1)
labels[[1, 4]] = (labels[[1, 4]] + 1) % 4  # two wrong of six
c = case("accuracy_i32", "argmax(...) == y on i32 tensors, and the accuracy written in .nn: mean(cast(argmax(p, axis = 1) == y, f32)).", """
fn f(p: f32[B, 4], y: i32[B]) -> (bool[B], f32, bool[B]) {
    hit = argmax(p, axis = 1) == y
    return hit, mean(cast(hit, f32)), y >= 2
}
""")
c.input("p", p).input("y", labels)
c.out(np.argmax(p, axis=1) == labels, "bool").out(np.mean(np.argmax(p, axis=1) == labels)).out(labels >= 2, "bool")

a = np.array([[0, 1, 2], [3, -4, 5]])
b = np.array([2, 1, -4])
c = case("compare_i32_broadcast", "Comparisons on i32 tensors broadcast like the float ones.", """
fn f(a: i32[2, 3], b: i32[3]) -> (bool[2, 3], bool[2, 3], bool[2, 3]) {
    return a < b, a == b, a != 1
}
""")
c.input("a", a).input("b", b).out(a < b, "bool").out(a == b, "bool").out(a != 1, "bool")

x, y = grid(r, (2, 4)), grid(r, (4,))
c = case("logical_ops", "&& || ! on bool tensors, with broadcasting; ! binds tighter than &&, && tighter than ||.", """
fn f(x: f32[2, 4], y: f32[4]) -> (bool[2, 4], bool[2, 4], bool[2, 4]) {
    a = x > 0.0
    b = y < 0.5
    return a && b, !a || b && x < y, !(a || b)
}
""")
c.input("x", x).input("y", y)
A, B = x > 0, y < 0.5
c.out(A & B, "bool").out(~A | (B & (x < y)), "bool").out(~(A | B), "bool")

x = grid(r, (2, 3, 4))
m = x > 0.5
c = case("any_all", "any and all over all of x, over one axis, over two axes with keepdims (NumPy's np.any/np.all).", """
fn f(x: f32[2, 3, 4]) -> (bool, bool, bool[2, 4], bool[3], bool[1, 3, 1], bool[2, 3]) {
    m = x > 0.5
    return any(m), all(x > -3.0), any(m, axis = 1), all(m, axis = [0, 2]), any(m, axis = [0, -1], keepdims = true), all(!m, axis = 2)
}
""")
c.input("x", x)
c.out(m.any(), "bool").out((x > -3).all(), "bool").out(m.any(axis=1), "bool").out(m.all(axis=(0, 2)), "bool")
c.out(m.any(axis=(0, 2), keepdims=True), "bool").out((~m).all(axis=2), "bool")

x, y = grid(r, (2, 3)), grid(r, (3,))
tx, ty = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
val = torch.where(tx > ty, tx * ty, ty * 2.0).sum()
val.backward()
c = case("where_bool_grad", "where(x > y, ...) takes the bool condition; the gradient flows to the chosen branch only (PyTorch's torch.where).", """
fn f(x: f32[2, 3], y: f32[3]) -> f32 {
    return sum(where(x > y, x * y, y * 2.0))
}
""")
c.input("x", x).input("y", y).out(val.item()).grad("x", tx.grad.numpy()).grad("y", ty.grad.numpy())

x, y = grid(r, (2, 3)), grid(r, (2, 3))
tx = torch.tensor(x, requires_grad=True)
val = ((tx > 0) * tx * 3.0 + (tx > 0.5) * (tx < 1.0) + (tx > 0)).sum()
val.backward()
c = case("bool_arithmetic", "In arithmetic a bool tensor becomes the other operand's element type (f32 beside a number or another bool), as NumPy's True * x: masks multiply; a bool carries no gradient (PyTorch).", """
fn f(x: f32[2, 3]) -> f32 {
    return sum((x > 0.0) * x * 3.0 + (x > 0.5) * (x < 1.0) + (x > 0.0))
}
""")
c.input("x", x).out(val.item()).grad("x", tx.grad.numpy())

a = np.array([3, -1, 0, 7])
c = case("cast_bool", "cast turns bools into numbers (true 1, false 0) and numbers into bools (non-zero true), as NumPy's astype.", """
fn f(a: i32[4], x: f32[4]) -> (i32[4], f64[4], bool[4]) {
    return cast(a > 0, i32), cast(a == 0, f64), cast(x, bool)
}
""")
xf = np.array([0.5, 0.0, -2.0, 0.0])
c.input("a", a).input("x", xf).out((a > 0).astype(int), "i32").out((a == 0).astype(float), "f64").out(xf.astype(bool), "bool")

# ---- errors ----
c = case("compare_mixed_types", "Comparing f32 with i32 is an error naming both types: cast one first.", """
fn f(x: f32[3], y: i32[3]) -> bool[3] {
    return x < y
}
""")
err(c, line_of(c.src, "x < y"), "element types differ", "f32[3]", "i32[3]").code("E301")

c = case("logical_on_floats", "&& takes bool tensors; on f32 it is an error that says to compare first.", """
fn f(x: f32[3], y: f32[3]) -> f32[3] {
    return x && y
}
""")
err(c, line_of(c.src, "x && y"), "bool", "f32[3]").code("E301")

c = case("any_on_floats", "any takes a bool tensor; on f32 it is an error that says to compare first.", """
fn f(x: f32[3]) -> bool {
    return any(x)
}
""")
err(c, line_of(c.src, "any(x)"), "bool", "f32[3]").code("E301")

x = np.array([-0.5, 0.5, 1.5, 1.0])
c = case("ordering_bools", "< on bools compares them as numbers (false < true), as NumPy does; == and != stay on bools.", """
fn f(x: f32[4]) -> (bool[4], bool[4]) {
    big = x > 1.0
    pos = x > 0.0
    return big < pos, pos == (x < 1.0)
}
""")
c.input("x", x).out((x > 1) < (x > 0), "bool").out((x > 0) == (x < 1), "bool")

if __name__ == "__main__":
    write_all(cases)
