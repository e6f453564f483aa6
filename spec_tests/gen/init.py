"""Initializers: deterministic values (zeros, ones, constant) exactly, and the
random ones (normal, uniform, glorot_*, he_*, orthogonal) by what their
definition guarantees: bounds, means and standard deviations (with slack of
many standard errors on thousands of draws), orthonormal rows, fan-in and
fan-out read from the declared shape (rank 2 [in, out]; rank 4 [out, in, k,
k] gives in*k*k and out*k*k). Each check is a comparison computed in the
program, expected to be true; the bounds are computed here from the formulas of
docs/language.md. Parameters keep their initial values (seed 0): the cases
have no params/ files.
"""

import math
import re

import numpy as np

from common import Case, select, write_all

# Cases that fail today because of a bug or a missing feature in nnc; this
# script does not write them (the conformance report lists why).
PENDING = []

cases = []


def case(name, header, program, entry, nchecks):
    c = Case("init", name, header, program, entry)
    # A check is a comparison (a bool, expected true) or a product of two
    # (a bool times a bool is an f32, expected 1).
    types = re.search(r"-> \(([^)]*)\)", program).group(1).split(", ") if nchecks else []
    assert len(types) == nchecks, name
    for t in types:
        c.out(True, "bool") if t == "bool" else c.out(np.float64(1.0))
    cases.append(c)
    return c


def g(x):
    return "%.9g" % x


case("constant_values", "zeros, ones and constant(value = v) give exact values, on params and states.", """
model M() {
    param a: f32[2, 3] = zeros()
    param b: f32[4]    = ones()
    param c: f64[3]    = constant(value = 2.5)
    state s: f32[2]    = constant(value = -1.0)

    fn forward() -> (f32[2, 3], f32[4], f64[3], f32[2]) {
        return a, b, c, s
    }
}
""", "M.forward", 0).out(np.zeros((2, 3))).out(np.ones(4)).out(np.full(3, 2.5), "f64").out(np.full(2, -1.0))

case("normal_uniform", "normal(mean, std) and uniform(low, high) on 60000 draws: uniform stays in [low, high] and nearly reaches both ends; means and standard deviations within a few percent.", """
model M() {
    param n: f32[200, 300] = normal(mean = 1.0, std = 0.5)
    param u: f32[200, 300] = uniform(low = -2.0, high = 3.0)

    fn forward() -> (bool, bool, f32, f32, bool, bool) {
        return abs(mean(n) - 1.0) < 0.01, abs(std(n) / 0.5 - 1.0) < 0.03, (min(u) >= -2.0) * (max(u) <= 3.0), (min(u) < -1.99) * (max(u) > 2.99), abs(mean(u) - 0.5) < 0.03, abs(std(u) / %s - 1.0) < 0.03
    }
}
""" % g(5 / math.sqrt(12)), "M.forward", 6)

a = math.sqrt(6 / 500)
case("glorot_uniform_matrix", "glorot_uniform on [200, 300] is U(-a, a) with a = sqrt(6 / (fan_in + fan_out)) = sqrt(6 / 500); gain = 2 doubles a.", """
model M() {
    param W: f32[200, 300] = glorot_uniform()
    param V: f32[200, 300] = glorot_uniform(gain = 2.0)

    fn forward() -> (bool, bool, bool, bool, bool) {
        return max(abs(W)) <= %s, max(abs(W)) > %s, abs(mean(W)) < %s, max(abs(V)) <= %s, max(abs(V)) > %s
    }
}
""" % (g(a * 1.000001), g(a * 0.99), g(a * 0.02), g(2 * a * 1.000001), g(2 * a * 0.99)), "M.forward", 5)

s = math.sqrt(2 / 500)
case("glorot_normal_matrix", "glorot_normal on [200, 300] has standard deviation sqrt(2 / (fan_in + fan_out)) and mean 0.", """
model M() {
    param W: f32[200, 300] = glorot_normal()

    fn forward() -> (bool, bool) {
        return abs(std(W) / %s - 1.0) < 0.03, abs(mean(W)) < %s
    }
}
""" % (g(s), g(s * 0.02)), "M.forward", 2)

a = math.sqrt(6 / 300)
s = math.sqrt(2) / math.sqrt(300)
case("he_matrix", "he_uniform on [300, 200] is U(-a, a) with a = sqrt(6 / fan_in), fan_in = 300; he_normal has std sqrt(2 / fan_in).", """
model M() {
    param U: f32[300, 200] = he_uniform()
    param N: f32[300, 200] = he_normal()

    fn forward() -> (bool, bool, bool) {
        return max(abs(U)) <= %s, max(abs(U)) > %s, abs(std(N) / %s - 1.0) < 0.03
    }
}
""" % (g(a * 1.000001), g(a * 0.99), g(s)), "M.forward", 3)

fi, fo = 32 * 9, 64 * 9
a = math.sqrt(6 / (fi + fo))
s = math.sqrt(2 / fi)
case("kernel_fans", "A kernel [64, 32, 3, 3] has fan_in 32*9 and fan_out 64*9: glorot_uniform's bound and he_normal's std follow.", """
model M() {
    param K: f32[64, 32, 3, 3] = glorot_uniform()
    param H: f32[64, 32, 3, 3] = he_normal()

    fn forward() -> (bool, bool, bool) {
        return max(abs(K)) <= %s, max(abs(K)) > %s, abs(std(H) / %s - 1.0) < 0.04
    }
}
""" % (g(a * 1.000001), g(a * 0.99), g(s)), "M.forward", 3)

case("orthogonal", "orthogonal on [20, 30] has orthonormal rows (W W^T = I); with gain = 2 on [30, 20], orthogonal columns of norm 2 (V^T V = 4 I).", """
model M() {
    param W: f32[20, 30] = orthogonal()
    param V: f32[30, 20] = orthogonal(gain = 2.0)

    fn forward() -> (bool, bool) {
        return max(abs(W @ W.T - eye(20))) < 0.0001, max(abs(V.T @ V - 4.0 * eye(20))) < 0.0004
    }
}
""", "M.forward", 2)

case("distinct_draws", "Two params with the same initializer and shape draw different values (each from its own path's generator), and the draws of one param are not constant.", """
model M() {
    param A: f32[50, 50] = normal()
    param B: f32[50, 50] = normal()

    fn forward() -> (bool, bool) {
        return max(abs(A - B)) > 0.5, std(A) > 0.5
    }
}
""", "M.forward", 2)

case("random_creators", "The creators normal(shape, mean, std) and uniform(shape, low, high) in a function: statistics on 60000 draws, two call sites draw different numbers, and a second run draws the same (the runner checks that runs are bitwise equal).", """
fn f() -> (bool, bool, f32, bool, bool) {
    n = normal([200, 300], mean = -1.0, std = 2.0)
    u = uniform([200, 300], low = 1.0, high = 2.0)
    v = uniform([200, 300], low = 1.0, high = 2.0)
    return abs(mean(n) + 1.0) < 0.04, abs(std(n) / 2.0 - 1.0) < 0.03, (min(u) >= 1.0) * (max(u) <= 2.0), abs(mean(u) - 1.5) < 0.01, max(abs(u - v)) > 0.5
}
""", "f", 5)

live = select(cases, PENDING)

if __name__ == "__main__":
    write_all(live)
