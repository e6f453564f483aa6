#!/usr/bin/python3
"""Reference values for nnc's spmm, computed with torch.sparse.mm in float64.

Run from this directory with /usr/bin/python3 (Debian's python3-torch, 1.13):

    /usr/bin/python3 sparse.py > sparse.json

Each case is a sparse N x M matrix A in CSR form (row pointers, column
indices, values; some rows empty, some entries repeated, which add up) and a
dense X [M, F]. The script builds A as torch's COO tensor from the CSR parts
(values requiring gradients), computes Y = torch.sparse.mm(A, X) and, for a
random cotangent R, the gradients of sum(Y * R) with respect to A's values
and to X. ops/sparse_test.go (TestSpmmTorchReference) compares.
"""
import json

import torch

torch.manual_seed(0)
D = torch.float64


def flat(x):
    return [float(v) for v in x.detach().reshape(-1).tolist()]


def case(n, m, f, nnz, dup):
    rows = torch.sort(torch.randint(0, n, (nnz,))).values
    rows[0] = 0  # a few rows stay empty by chance; the last is made empty below
    rows[rows == n - 1] = n - 2 if n > 1 else 0
    cols = torch.randint(0, m, (nnz,))
    if dup:
        cols[1], rows[1] = cols[0], rows[0]  # a repeated entry
    order = torch.argsort(rows, stable=True)  # rows are sorted already; keeps the entries in order
    rows, cols = rows[order], cols[order]
    ptr = torch.zeros(n + 1, dtype=torch.int64)
    for r in rows.tolist():
        ptr[r + 1] += 1
    ptr = torch.cumsum(ptr, 0)
    vals = torch.randn(nnz, dtype=D, requires_grad=True)
    x = torch.randn(m, f, dtype=D, requires_grad=True)
    a = torch.sparse_coo_tensor(torch.stack([rows, cols]), vals, (n, m))
    y = torch.sparse.mm(a, x)
    r = torch.randn(n, f, dtype=D)
    gv, gx = torch.autograd.grad((y * r).sum(), [vals, x])
    return {"n": n, "m": m, "f": f, "ptr": ptr.tolist(), "col": cols.tolist(), "val": flat(vals),
            "x": flat(x), "y": flat(y), "cotangent": flat(r), "grad_val": flat(gv), "grad_x": flat(gx)}


cases = [case(5, 4, 3, 9, True), case(6, 6, 16, 14, False), case(3, 7, 5, 6, True), case(40, 30, 7, 120, True)]
print(json.dumps({"cases": cases}, indent=None))
