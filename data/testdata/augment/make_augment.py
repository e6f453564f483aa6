"""Writes augment_expect.json: an image and what a padded crop, a
horizontal flip and an affine transform (bilinear, zeros outside) make of
it, computed with NumPy (not nnc). The affine reference is checked against
scipy.ndimage.affine_transform(order=1, mode="grid-constant").

Run with /usr/bin/python3 (NumPy, SciPy) from this directory:

    /usr/bin/python3 make_augment.py
"""
import json
import math

import numpy as np
from scipy import ndimage

rng = np.random.default_rng(5)
C, H, W = 2, 5, 7
img = rng.random((C, H, W)).astype(np.float32)


def crop(x, pad, dy, dx):
    p = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    return p[:, dy:dy + H, dx:dx + W]


def affine(x, angle, tx, ty, zoom):
    """Output pixel (x, y) samples the input at c + R(-angle)(p - c - t)/zoom."""
    cx, cy = (W - 1) / 2, (H - 1) / 2
    s, c = math.sin(angle), math.cos(angle)
    ys, xs = np.meshgrid(np.arange(H, dtype=np.float64), np.arange(W, dtype=np.float64), indexing="ij")
    u = xs - cx - tx
    v = ys - cy - ty
    sx = cx + (c * u + s * v) / zoom
    sy = cy + (-s * u + c * v) / zoom
    out = np.zeros((C, H, W))
    fx, fy = np.floor(sx), np.floor(sy)
    ax, ay = sx - fx, sy - fy
    x0, y0 = fx.astype(int), fy.astype(int)
    for ch in range(C):
        p = np.pad(x[ch].astype(np.float64), 2)  # zeros around: indices shift by 2

        def at(yy, xx):
            ok = (yy >= 0) & (yy < H) & (xx >= 0) & (xx < W)
            return np.where(ok, p[np.clip(yy, -2, H + 1) + 2, np.clip(xx, -2, W + 1) + 2], 0.0)

        top = (1 - ax) * at(y0, x0) + ax * at(y0, x0 + 1)
        bottom = (1 - ax) * at(y0 + 1, x0) + ax * at(y0 + 1, x0 + 1)
        val = (1 - ay) * top + ay * bottom
        inside = (sx > -1) & (sx < W) & (sy > -1) & (sy < H)
        out[ch] = np.where(inside, val, 0.0)
        # Independent check: SciPy maps output (row, col) o to input M o + offset.
        m = np.array([[c, -s], [s, c]]) / zoom
        centre = np.array([cy, cx])
        offset = centre - m @ (centre + np.array([ty, tx]))
        ref = ndimage.affine_transform(x[ch].astype(np.float64), m, offset=offset, order=1,
                                       mode="grid-constant", cval=0.0)
        assert np.allclose(ref, out[ch], atol=1e-12), (angle, tx, ty, zoom, np.abs(ref - out[ch]).max())
    return out.astype(np.float32)


def flat(a):
    return [float(v) for v in np.asarray(a, dtype=np.float32).ravel()]


out = {"shape": [C, H, W], "image": flat(img), "crops": [], "flip": flat(img[:, :, ::-1]), "affine": []}
for pad, dy, dx in [(2, 0, 0), (2, 4, 4), (2, 2, 2), (2, 1, 3), (3, 6, 0), (1, 0, 2)]:
    out["crops"].append({"pad": pad, "dy": dy, "dx": dx, "out": flat(crop(img, pad, dy, dx))})
for angle_deg, tx, ty, zoom in [(0, 0, 0, 1), (15, 0, 0, 1), (-30, 0.7, -1.2, 1), (10, 0.3, 0.4, 0.8),
                                (-5, -2.5, 1.5, 1.25), (90, 0, 0, 1), (7, 0, 0, 1.1)]:
    a = angle_deg * math.pi / 180
    out["affine"].append({"angle": a, "tx": tx, "ty": ty, "zoom": zoom, "out": flat(affine(img, a, tx, ty, zoom))})

with open("augment_expect.json", "w") as fh:
    json.dump(out, fh, indent=1)
    fh.write("\n")
