"""Integer arithmetic on i32 tensors and the remainder % (issue 13, item 4),
against NumPy (int32 arithmetic, np.floor_divide, np.remainder) and PyTorch
(torch.remainder and its gradient).

    /usr/bin/python3 spec_tests/gen/intarith.py

Integers wrap around (two's complement, as NumPy's int32); / on integer
tensors is Python's // (rounded toward minus infinity); % has the sign of
the divisor on ints and floats alike (NumPy's %, not C's fmod); an integer
/ or % by zero is 0 (NumPy's value) and a float % 0 is NaN.
"""

import warnings

import numpy as np
import torch

from common import Case, grid, line_of, rng, write_all

warnings.simplefilter("ignore")  # NumPy warns on x // 0 and x % 0

cases = []


def case(name, header, program, entry="f"):
    c = Case("intarith", name, header, program, entry)
    c.src = c.program
    cases.append(c)
    return c


def err(c, position, *fragments):
    c.error("main.nn:%s: %s" % (position, " ... ".join(fragments)))
    return c


i32 = np.int32
a = np.array([[7, -7, 7, -7, 0, 2147483647], [13, -13, 1, -1, 5, -2147483648]], dtype=i32)
b = np.array([2, 2, -2, -2, 3, 1], dtype=i32)
c = case("i32_arith", "+ - * / % on i32 tensors with broadcasting: / rounds toward minus infinity and % takes the divisor's sign (NumPy's // and %); sums and products wrap around like NumPy's int32.", """
fn f(a: i32[2, 6], b: i32[6]) -> (i32[2, 6], i32[2, 6], i32[2, 6], i32[2, 6], i32[2, 6]) {
    return a + b, a - b, a * b, a / b, a % b
}
""")
c.input("a", a).input("b", b)
for v in (a + b, a - b, a * b, a // b, a % b):
    c.out(v, "i32")

a = np.array([5, -5, 0, 9], dtype=i32)
z = np.array([0, 0, 0, 4], dtype=i32)
c = case("i32_divide_by_zero", "An integer / or % by zero gives 0 (NumPy's value), not a fault.", """
fn f(a: i32[4], z: i32[4]) -> (i32[4], i32[4]) {
    return a / z, a % z
}
""")
c.input("a", a).input("z", z).out(a // z, "i32").out(a % z, "i32")

ids = np.array([[3, 0, 7], [12, 5, 1]], dtype=i32)
c = case("i32_weak_scalars", "Compile-time ints take the tensor's type: ids * 2 + 1, ids / 4, ids % 3, unary minus; the result feeds a comparison.", """
fn f(ids: i32[2, 3]) -> (i32[2, 3], i32[2, 3], i32[2, 3], i32[2, 3], bool[2, 3]) {
    return ids * 2 + 1, ids / 4, ids % 3, -ids, ids % 2 == 0
}
""")
c.input("ids", ids).out(ids * 2 + 1, "i32").out(ids // 4, "i32").out(ids % 3, "i32").out(-ids, "i32").out(ids % 2 == 0, "bool")

r = rng(7)
x = grid(r, (2, 4), -4, 4)
y = np.array([1.5, -1.5, 0.75, 2.0])
tx, ty = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
val = (torch.remainder(tx, ty) * torch.tensor(grid(r, (2, 4)))).sum()
w = None
c = case("float_mod_grad", "x % y on f32 is NumPy's remainder (the divisor's sign); its gradient is 1 for x and -floor(x / y) for y (PyTorch's torch.remainder).", """
fn f(x: f32[2, 4], y: f32[4], w: f32[2, 4]) -> f32 {
    return sum(x % y * w)
}
""")
r2 = rng(7)
grid(r2, (2, 4), -4, 4)
w = grid(r2, (2, 4))
val.backward()
c.input("x", x).input("y", y).input("w", w).out(val.item()).grad("x", tx.grad.numpy()).grad("y", ty.grad.numpy())

x = np.array([5.5, -5.5, 0.0, 3.0, -2.0])
y = np.array([2.0, 2.0, 1.0, 0.0, -2.0])
c = case("f64_mod", "% on f64 with a compile-time number and with zero: NaN where the divisor is 0 (np.remainder).", """
fn f(x: f64[5], y: f64[5]) -> (f64[5], f64[5]) {
    return x % 2.5, x % y
}
""")
c.input("x", x).input("y", y).out(np.remainder(x, 2.5), "f64").out(np.remainder(x, y), "f64")

c = case("i32_times_float", "An i32 tensor times a compile-time float is an error: nnc does not convert it silently; cast it.", """
fn f(a: i32[3]) -> f32[3] {
    return a * 0.5
}
""")
err(c, line_of(c.src, "a * 0.5"), "i32[3]", "cast").code("E301")

c = case("i32_plus_f32", "i32 + f32 is an error naming both types.", """
fn f(a: i32[3], x: f32[3]) -> f32[3] {
    return a + x
}
""")
err(c, line_of(c.src, "a + x"), "i32[3]", "f32[3]").code("E301")

if __name__ == "__main__":
    write_all(cases)
