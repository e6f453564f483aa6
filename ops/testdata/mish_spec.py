#!/usr/bin/python3
"""Conformance cases of the mish built-in, computed with PyTorch in float64.

Run from anywhere with /usr/bin/python3 (Debian's python3-torch):

    /usr/bin/python3 ops/testdata/mish_spec.py

It writes spec_tests/cases/elementwise/mish_values.txtar and mish_grads.txtar
with the helpers of spec_tests/gen/common.py (inputs are multiples of 1/16,
exact in f32). It lives beside the op's other references until it joins
spec_tests/gen/builtins2.py.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "spec_tests", "gen"))
from common import Case, grid, rng  # noqa: E402

T = torch.float64
r = rng(3077)


def t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=T, requires_grad=grad)


def n(x):
    return x.detach().numpy()


# Values in f32: normal inputs and the ends, where softplus saturates
# (PyTorch switches to x above 20) or mish underflows towards -0.
x = np.concatenate([grid(r, (10,), -4, 4), [-30.0, -20.0, 0.0, 20.0, 30.0]]).reshape(3, 5)
Case("elementwise", "mish_values",
     "mish(x) = x * tanh(softplus(x)), elementwise, in f32: against torch.nn.functional.mish in float64.", """
fn f(x: f32[3, 5]) -> f32[3, 5] {
    return mish(x)
}
""", "f").input("x", x).out(n(F.mish(t(x)))).write()

# The gradient, in f64, through mish and a weighted sum, and mish of a
# mish (its derivative evaluated at mish's values).
x = grid(r, (2, 4), -3, 3)
w = grid(r, (2, 4))
tx = t(x, True)
val = ((F.mish(tx) + F.mish(F.mish(tx))) * t(w)).sum()
val.backward()
Case("elementwise", "mish_grads",
     "The gradient of mish (t + x*sigmoid(x)*(1 - t^2) with t = tanh(softplus(x))), also through mish of mish: "
     "against torch.autograd.", """
fn f(x: f64[2, 4], w: f64[2, 4]) -> f64 {
    return sum((mish(x) + mish(mish(x))) * w)
}
""", "f").input("x", x).input("w", w).out(n(val), "f64").grad("x", n(tx.grad), "f64").write()
