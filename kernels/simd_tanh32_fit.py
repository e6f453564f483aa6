#!/usr/bin/env python3
"""Fits the small-argument polynomial of simd_exp32_amd64.s's float32 tanh
and prints its constants as DATA lines (pasted into the file):

    tanh(a) = a + a·s·P(s), s = a², a = |x| below B = 0.55,

P of degree 5 interpolated at Chebyshev nodes in 40-digit arithmetic
(mpmath), its coefficients rounded to float32 one at a time from the
highest degree, the lower ones fitted again after each. Above B the routine
takes (1 - e)/(1 + e) with e = exp(-2a). Prints the largest relative error
of a + a·s·P(s) on (0, B] in exact arithmetic.

    /usr/bin/python3 kernels/simd_tanh32_fit.py
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 40
B = 0.55
OFFSET = 512  # the first free byte of simdk32<>


def cheb_fit(f, lo, hi, deg):
    n = deg + 1
    lo, hi = mp.mpf(lo), mp.mpf(hi)
    xs = [(lo + hi) / 2 + (hi - lo) / 2 * mp.cos(mp.pi * (k + mp.mpf(1) / 2) / n) for k in range(n)]
    a = mp.matrix([[x ** j for j in range(n)] for x in xs])
    c = mp.lu_solve(a, mp.matrix([f(x) for x in xs]))
    return [c[j] for j in range(n)]


def cheb_fit32(f, lo, hi, deg):
    fixed = []
    for d in range(deg, -1, -1):
        c = cheb_fit(lambda x: f(x) - sum(v * x ** (deg - i) for i, v in enumerate(fixed)), lo, hi, d)
        fixed.append(mp.mpf(float(np.float32(float(c[d])))))
    return list(reversed(fixed))


def polyval(c, x):
    r = mp.mpf(0)
    for v in reversed(c):
        r = r * x + v
    return r


def p_of(s):
    if s == 0:
        return mp.mpf(-1) / 3
    a = mp.sqrt(s)
    return (mp.tanh(a) - a) / a ** 3


coef = cheb_fit32(p_of, 0, mp.mpf(B) ** 2, 5)
err = max(abs((a + a ** 3 * polyval(coef, a * a)) / mp.tanh(a) - 1) for a in mp.linspace(1e-6, B, 3001))
print(f"// largest relative error in exact arithmetic: {float(err):.3g}")
off = OFFSET
for name, v in [("tanhb", B)] + [(f"t{i}", c) for i, c in enumerate(coef)]:
    bits = int(np.float32(float(v)).view(np.uint32))
    print(f"// {name}")
    for k in range(8):
        print(f"DATA simdk32<>+{off + 4 * k}(SB)/4, ${bits:#010x}")
    off += 32
print(f"GLOBL simdk32<>(SB), RODATA|NOPTR, ${off}")
