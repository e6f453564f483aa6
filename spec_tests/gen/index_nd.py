"""Indexing with several integer tensors, x[i, j] (issue 13, item 4), against
NumPy's advanced indexing and PyTorch's gradient of it (index_put with
accumulate: repeated indices add up).

    /usr/bin/python3 spec_tests/gen/index_nd.py
"""

import numpy as np
import torch

from common import Case, grid, line_of, rng, write_all

cases = []


def case(name, header, program, entry="f"):
    c = Case("index_nd", name, header, program, entry)
    c.src = c.program
    cases.append(c)
    return c


def err(c, position, *fragments):
    c.error("main.nn:%s: %s" % (position, " ... ".join(fragments)))
    return c


r = rng(21)
x = grid(r, (3, 4, 2))
i = np.array([2, -1, 0])
j = np.array([[0], [3]])
c = case("broadcast_indices", "x[i, j] with i: [3] and j: [2, 1] broadcasting to [2, 3]; the indexed axes are replaced by that shape, the rest kept; negative indices count from the end (NumPy).", """
fn f(x: f32[3, 4, 2], i: i32[3], j: i32[2, 1]) -> f32[2, 3, 2] {
    return x[i, j]
}
""")
c.input("x", x).input("i", i).input("j", j).out(x[i, j])

x = grid(r, (2, 3, 4))
i, j = np.array([1, 2, 0, 2]), np.array([3, 0, 0, 3])
c = case("with_slices", "Tensor indices after a slice and after an int: x[:, i, j] keeps axis 0; x[1, i, j] drops it; x[::-1, 1:][:, i % 2, j] slices first.", """
fn f(x: f32[2, 3, 4], i: i32[4], j: i32[4]) -> (f32[2, 4], f32[4], f32[2, 4]) {
    return x[:, i, j], x[1, i, j], x[::-1, 1:][:, i % 2, j]
}
""")
c.input("x", x).input("i", i).input("j", j).out(x[:, i, j]).out(x[1, i, j]).out(x[::-1, 1:][:, i % 2, j])

x = grid(r, (3, 4))
i, j = np.array([0, 2, 0, 1, 0]), np.array([1, 3, 1, 0, 1])
w = grid(r, (5,))
tx = torch.tensor(x, requires_grad=True)
val = (tx[torch.tensor(i), torch.tensor(j)] ** 2 * torch.tensor(w)).sum()
val.backward()
c = case("gradient_repeats", "The gradient of x[i, j] adds up at repeated positions (x[0, 1] is read three times), as PyTorch's.", """
fn f(x: f32[3, 4], i: i32[5], j: i32[5], w: f32[5]) -> f32 {
    return sum(x[i, j] ** 2.0 * w)
}
""")
c.input("x", x).input("i", i).input("j", j).input("w", w).out(val.item()).grad("x", tx.grad.numpy())

x = grid(r, (3, 4))
c = case("out_of_range", "An index outside its axis is an error at run time naming the op, the value, the range and where it sits; nothing is read out of range.", """
fn f(x: f32[3, 4], i: i32[2], j: i32[2]) -> f32[2] {
    return x[i, j]
}
""")
c.input("x", x).input("i", np.array([1, 2])).input("j", np.array([0, 4]))
err(c, line_of(c.src, "x[i, j]"), "gather_nd", "index 4 out of range [-4, 4)", "index tensor 2")

c = case("not_adjacent", "Tensor indices on axes that are not adjacent (x[i, :, j], where NumPy moves the indexed axes first) are rejected.", """
fn f(x: f32[3, 4, 5], i: i32[2]) -> f32[2, 4] {
    return x[i, :, i]
}
""")
err(c, line_of(c.src, "x[i, :, i]"), "not adjacent").code("E401")

if __name__ == "__main__":
    write_all(cases)
