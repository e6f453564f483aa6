"""Polynomial fits with float32 coefficients, shared by the scripts that
write or fit the vector kernels' polynomials (simd_erf32_gen.py,
simd_tanh32_fit.py): interpolation at Chebyshev nodes in the caller's
mpmath precision."""
import mpmath as mp
import numpy as np


def cheb_fit(f, lo, hi, deg):
    """The coefficients, lowest degree first, of the polynomial of degree
    deg interpolating f at the Chebyshev nodes of [lo, hi]."""
    n = deg + 1
    lo, hi = mp.mpf(lo), mp.mpf(hi)
    xs = [(lo + hi) / 2 + (hi - lo) / 2 * mp.cos(mp.pi * (k + mp.mpf(1) / 2) / n) for k in range(n)]
    a = mp.matrix([[x ** j for j in range(n)] for x in xs])
    c = mp.lu_solve(a, mp.matrix([f(x) for x in xs]))
    return [c[j] for j in range(n)]


def cheb_fit32(f, lo, hi, deg):
    """cheb_fit with float32 coefficients: each, from the highest degree
    down, is rounded and the lower ones fitted again to what is left, which
    makes up for most of the rounding."""
    fixed = []
    for d in range(deg, -1, -1):
        c = cheb_fit(lambda x: f(x) - sum(v * x ** (deg - i) for i, v in enumerate(fixed)), lo, hi, d)
        fixed.append(mp.mpf(float(np.float32(float(c[d])))))
    return list(reversed(fixed))


def polyval(c, x):
    """c (lowest degree first, each rounded to float32) at x, exactly."""
    r = mp.mpf(0)
    for v in reversed(c):
        r = r * x + mp.mpf(float(np.float32(v)))
    return r
