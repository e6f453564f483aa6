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

from fit32 import cheb_fit32, polyval

mp.mp.dps = 40
B = 0.55
OFFSET = 512  # the first free byte of simdk32<>


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
