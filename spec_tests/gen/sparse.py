"""Sparse matrices (sparse f32[N, M] parameters in CSR form): A @ X and
spmm(A, X) against NumPy's dense product, gradients with respect to X and to
A's values against torch.autograd on the dense matrix built from the values,
and the programs that misuse a sparse matrix (E311).

An entry's sparse parameter A is the inputs A.indptr, A.indices, A.values
(SciPy's csr_matrix fields indptr, indices, data).
"""

import numpy as np
import torch

from common import Case, grid, pos, rng, write_all

T = torch.float64
cases = []


def case(name, header, program, entry="f"):
    c = Case("sparse", name, header, program, entry)
    c.src = c.program
    cases.append(c)
    return c


def csr(r, n, m, nnz):
    """A random n x m CSR matrix of nnz entries: sorted row pointers (some
    rows empty), columns in [0, m) (repeats allowed: they add up), values
    multiples of 1/16."""
    cuts = np.sort(r.integers(0, nnz + 1, size=n - 1))
    indptr = np.concatenate([[0], cuts, [nnz]]).astype(np.int64)
    indices = r.integers(0, m, size=nnz)
    values = grid(r, (nnz,))
    return indptr, indices, values


def dense(indptr, indices, values, n, m, lib=np):
    """The dense matrix of CSR parts (repeated entries added)."""
    rows = np.repeat(np.arange(n), np.diff(indptr))
    if lib is np:
        a = np.zeros((n, m))
        np.add.at(a, (rows, indices), values)
        return a
    a = torch.zeros((n, m), dtype=T)
    return a.index_put((torch.tensor(rows), torch.tensor(indices)), values, accumulate=True)


def inputs(c, name, indptr, indices, values):
    return c.input(name + ".indptr", indptr).input(name + ".indices", indices).input(name + ".values", values)


# ---- values ----
r = rng(1101)
p, ix, v = csr(r, 4, 5, 7)
x = grid(r, (5, 3))
c = case("matmul_values", "A @ X for a sparse A: row i of the result sums A's entries of row i times the rows of X they name (an empty row gives zeros; repeated entries add up).", """
fn f(A: sparse f32[N, M], X: f32[M, F]) -> f32[N, F] {
    return A @ X
}
""")
inputs(c, "A", p, ix, v).input("X", x).out(dense(p, ix, v, 4, 5) @ x)

r = rng(1102)
p, ix, v = csr(r, 5, 5, 9)
x, w = grid(r, (5, 4)), grid(r, (4, 3))
a = dense(p, ix, v, 5, 5)
c = case("spmm_two_hops", "spmm(A, X) is A @ X; a sparse matrix passes to a function whose parameter is declared sparse (f64 values).", """
fn hop(B: sparse f64[N, N], H: f64[N, K]) -> f64[N, K] {
    return relu(B @ H)
}

fn f(A: sparse f64[N, N], X: f64[N, F], W: f64[F, K]) -> f64[N, K] {
    return spmm(A, hop(A, X @ W))
""" + "}\n")
inputs(c, "A", p, ix, v).input("X", x).input("W", w).out(a @ np.maximum(a @ (x @ w), 0), "f64")

# ---- gradients ----
r = rng(1103)
p, ix, v = csr(r, 4, 3, 6)
x = grid(r, (3, 2))
tv, tx = torch.tensor(v, dtype=T, requires_grad=True), torch.tensor(x, dtype=T, requires_grad=True)
y = (torch.tanh(dense(p, ix, tv, 4, 3, torch) @ tx) ** 2).sum()
gv, gx = torch.autograd.grad(y, (tv, tx))
c = case("matmul_grads", "The gradient of sum(tanh(A @ X) ** 2) with respect to X and to A's values (torch.autograd on the dense matrix made of the values); none flows to the structure.", """
fn f(A: sparse f64[N, M], X: f64[M, F]) -> f64 {
    return sum(tanh(A @ X) ** 2)
}
""")
inputs(c, "A", p, ix, v).input("X", x).out(y.item(), "f64").grad("X", gx.numpy(), "f64").grad("A.values", gv.numpy(), "f64")

# ---- errors (E311) ----
c = case("e311_relu", "E311: a sparse matrix is not a tensor: relu(A) is an error at the call, nothing densifies it.", """
fn f(A: sparse f32[N, N], X: f32[N, F]) -> f32[N, F] {
    return relu(A) @ X
}
""")
c.error("main.nn:%s: relu(...) does not apply to a sparse matrix ... sparse f32[N, N]" % pos(c.src, "relu")).code("E311")

c = case("e311_arithmetic", "E311: arithmetic on a sparse matrix is an error at the operator.", """
fn f(A: sparse f32[N, N], x: f32[N]) -> f32[N] {
    B = A * 2.0
    return x
}
""")
c.error("main.nn:%s: operator * does not apply to a sparse matrix" % pos(c.src, "*")).code("E311")

c = case("e311_right_operand", "E311: a sparse matrix multiplies from the left only: X @ A is an error at the operator.", """
fn f(A: sparse f32[N, N], X: f32[F, N]) -> f32[F, N] {
    return X @ A
}
""")
c.error("main.nn:%s: X @ A ... from the left only" % pos(c.src, "@")).code("E311")

c = case("e311_transpose", "E311: A.T is not defined for a sparse matrix.", """
fn f(A: sparse f32[N, M], X: f32[N, F]) -> f32[M, F] {
    return A.T @ X
}
""")
c.error("main.nn:%s: attribute .T does not apply to a sparse matrix" % pos(c.src, "A.T", offset=2)).code("E311")

c = case("e311_dense_argument", "E311: a dense tensor passed where a parameter is declared sparse, and a sparse matrix passed to a tensor parameter.", """
fn g(B: sparse f32[N, N], X: f32[N, F]) -> f32[N, F] {
    return B @ X
}

fn h(B: f32[N, N]) -> f32 {
    return sum(B)
}

fn f(A: sparse f32[N, N], D: f32[N, N], X: f32[N, F]) -> f32 {
    return sum(g(D, X)) + h(A)
}
""")
c.error("main.nn:%s: argument B must be a sparse matrix ... f32[N, N]" % pos(c.src, "D, X")).error(
    "main.nn:%s: argument B is sparse f32[N, N]" % pos(c.src, "A)")).code("E311", "E311")

c = case("e311_int_values", "E311: a sparse matrix holds f32 or f64 values.", """
fn f(A: sparse i32[N, N]) -> f32 {
    return 1.0
}
""")
c.error("main.nn:%s: a sparse matrix holds f32 or f64 values, not i32" % pos(c.src, "sparse")).code("E311")

c = case("e311_not_a_matrix", "E311: a sparse type has two dimensions.", """
fn f(A: sparse f32[N]) -> f32 {
    return 1.0
}
""")
c.error("main.nn:%s: a sparse type is a matrix" % pos(c.src, "sparse")).code("E311")

if __name__ == "__main__":
    write_all(cases)
