"""Writes the small data files the readers' tests read, and expect.json with
the values NumPy (not nnc) reads or computes from them.

Run with /usr/bin/python3 (NumPy) from this directory:

    /usr/bin/python3 make_fixtures.py
"""
import gzip
import json
import os
import struct
import zlib

import numpy as np

expect = {}
rng = np.random.default_rng(7)


def gzip_write(path, b):
    # mtime 0 so that the files are the same on every run.
    with open(path, "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as g:
            g.write(b)


def idx_bytes(a, code):
    head = bytes([0, 0, code, a.ndim]) + b"".join(struct.pack(">I", d) for d in a.shape)
    be = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[code]
    return head + a.astype(be).tobytes()


# A tiny set laid out as MNIST: 5 training and 3 test images of 4x4 bytes.
os.makedirs("mnist_tiny", exist_ok=True)
tiny = {}
for prefix, n in [("train", 5), ("t10k", 3)]:
    x = rng.integers(0, 256, size=(n, 4, 4), dtype=np.uint8)
    y = rng.integers(0, 10, size=n, dtype=np.uint8)
    gzip_write(f"mnist_tiny/{prefix}-images-idx3-ubyte.gz", idx_bytes(x, 0x08))
    gzip_write(f"mnist_tiny/{prefix}-labels-idx1-ubyte.gz", idx_bytes(y, 0x08))
    tiny[prefix] = {"x": (x.astype(np.float32) / np.float32(255)).ravel().tolist(), "y": y.tolist()}
expect["mnist_tiny"] = tiny

# IDX files of every element type (uncompressed).
os.makedirs("idx", exist_ok=True)
idx_expect = {}
for code, dt, vals in [
    (0x08, np.uint8, [0, 1, 255]),
    (0x09, np.int8, [-128, -1, 127]),
    (0x0B, np.int16, [-32768, 2, 32767]),
    (0x0C, np.int32, [-(2**31), 3, 2**31 - 1]),
    (0x0D, np.float32, [-1.5, 0.1, 3e38]),
    (0x0E, np.float64, [np.pi, -1e-300, 1e300]),
]:
    a = np.array(vals, dtype=dt).reshape(3, 1)
    name = f"t{code:02x}.idx"
    with open("idx/" + name, "wb") as f:
        f.write(idx_bytes(a, code))
    idx_expect[name] = {"shape": list(a.shape), "data": [float(v) for v in a.ravel()]}
expect["idx"] = idx_expect

# .npy files of every numeric dtype NumPy writes, in both byte orders.
os.makedirs("npy", exist_ok=True)
npy_expect = {}
samples = {
    "b1": [True, False, True, True, False, False],
    "i1": [-128, -1, 0, 1, 100, 127],
    "u1": [0, 1, 2, 128, 254, 255],
    "i2": [-32768, -2, 0, 3, 1000, 32767],
    "u2": [0, 1, 2, 40000, 65534, 65535],
    "i4": [-(2**31), -5, 0, 6, 70000, 2**31 - 1],
    "u4": [0, 1, 2, 3, 2**31, 2**32 - 1],
    "i8": [-(2**63), -7, 0, 8, 2**40, 2**63 - 1],
    "u8": [0, 1, 2, 3, 2**62, 2**63 - 1],
    "f2": [0.5, -2.0, 65504.0, 6.1035e-05, 5.96e-08, -0.0],
    "f4": [0.1, -2.5, 3.4e38, 1e-40, 7.0, -0.0],
    "f8": [0.1, -2.5, 1e300, 5e-324, np.pi, -0.0],
}
for code, vals in samples.items():
    for order in "<>":
        if code in ("b1", "i1", "u1") and order == ">":
            continue
        dt = np.dtype(("|" if code in ("b1", "i1", "u1") else order) + code)
        a = np.array(vals, dtype=dt).reshape(2, 3)
        name = f"{code}{'_be' if order == '>' else ''}.npy"
        np.save("npy/" + name, a)
        # Exact integers as strings (int64 values do not survive a float).
        data = [str(int(v)) for v in a.ravel()] if code[0] in "iub" else [repr(float(v)) for v in a.ravel()]
        npy_expect[name] = {"shape": list(a.shape), "data": data}
# Fortran order, 3-D, and a 0-d array.
a = np.asfortranarray(np.arange(24, dtype="<i4").reshape(2, 3, 4))
np.save("npy/fortran3.npy", a)
npy_expect["fortran3.npy"] = {"shape": [2, 3, 4], "data": [str(int(v)) for v in np.ascontiguousarray(a).ravel()]}
a = np.asfortranarray(np.arange(6, dtype=">f8").reshape(3, 2) / 4)
np.save("npy/fortran_be.npy", a)
npy_expect["fortran_be.npy"] = {"shape": [3, 2], "data": [repr(float(v)) for v in np.ascontiguousarray(a).ravel()]}
# Types nnc has no type for: refused with a message.
np.save("npy/c8.npy", np.array([1 + 2j], dtype="<c8"))
np.save("npy/f16.npy", np.array([1.0], dtype=np.longdouble))
np.save("npy/u8_big.npy", np.array([2**63], dtype="<u8"))
expect["npy"] = npy_expect

# JSON Lines.
rows = [
    {"x": [1, 2.5, -3], "label": "cat", "n": 3, "ok": True, "img": [[0, 1], [2, 3]]},
    {"x": [0, 0, 0.125], "label": "dog", "n": -1, "ok": False, "img": [[4, 5], [6, 7]]},
    {"x": [1e3, -1e-3, 7], "label": "cat", "n": 2147483647, "ok": True, "img": [[8, 9], [10, 11]], "extra": 1},
]
with open("rows.jsonl", "w") as f:
    for i, r in enumerate(rows):
        f.write(json.dumps(r) + "\n")
        if i == 0:
            f.write("\n")  # a blank line, skipped
expect["jsonl"] = {
    "x": np.array([r["x"] for r in rows], dtype=np.float32).ravel().astype(float).tolist(),
    "label": [0, 1, 0],
    "categories": ["cat", "dog"],
    "n": [3, -1, 2147483647],
    "ok": [1, 0, 1],
    "img": np.array([r["img"] for r in rows]).ravel().tolist(),
    "lines": [1, 3, 4],
}


# PNG images written by hand (zlib + struct), an image folder of two classes.
def png(path, pixels, color_type):
    h, w = pixels.shape[:2]
    raw = b"".join(b"\x00" + pixels[y].tobytes() for y in range(h))

    def chunk(t, d):
        c = struct.pack(">I", len(d)) + t + d
        return c + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


os.makedirs("images/b_dog", exist_ok=True)
os.makedirs("images/a_cat", exist_ok=True)
imgs = {}
for cls, names in [("a_cat", ["2.png", "10.png"]), ("b_dog", ["1.png"])]:
    for n in names:
        p = rng.integers(0, 256, size=(3, 4, 3), dtype=np.uint8)  # H=3, W=4, RGB
        png(f"images/{cls}/{n}", p, 2)
        imgs[f"{cls}/{n}"] = p
with open("images/README", "w") as f:
    f.write("not an image: skipped\n")
# Order: classes sorted (a_cat, b_dog), files sorted by name ("10.png" < "2.png").
order = ["a_cat/10.png", "a_cat/2.png", "b_dog/1.png"]
rgb = np.stack([imgs[k].transpose(2, 0, 1) for k in order])  # N, C, H, W
# Luma as Go's color.GrayModel computes it, on 16-bit channels (v * 0x101):
# (19595 R + 38470 G + 7471 B + 2^15) >> 24, the 0.299/0.587/0.114 weights in 16-bit fixed point.
c16 = np.stack([imgs[k] for k in order]).astype(np.int64) * 0x101
gray = (19595 * c16[..., 0] + 38470 * c16[..., 1] + 7471 * c16[..., 2] + (1 << 15)) >> 24


def resize(plane, h, w):
    # Bilinear, align_corners=False: source coordinate (i + 0.5) * in / out - 0.5, clamped at 0.
    ih, iw = plane.shape
    out = np.zeros((h, w))
    for y in range(h):
        sy = max((y + 0.5) * ih / h - 0.5, 0.0)
        y0 = min(int(np.floor(sy)), ih - 1)
        y1 = min(y0 + 1, ih - 1)
        fy = sy - y0
        for x in range(w):
            sx = max((x + 0.5) * iw / w - 0.5, 0.0)
            x0 = min(int(np.floor(sx)), iw - 1)
            x1 = min(x0 + 1, iw - 1)
            fx = sx - x0
            top = plane[y0, x0] * (1 - fx) + plane[y0, x1] * fx
            bot = plane[y1, x0] * (1 - fx) + plane[y1, x1] * fx
            out[y, x] = top * (1 - fy) + bot * fy
    return np.clip(np.floor(out + 0.5), 0, 255)


resized = np.stack([np.stack([resize(img[c].astype(np.float64), 5, 2) for c in range(3)]) for img in rgb])
expect["images"] = {
    "order": order,
    "rgb": rgb.ravel().astype(int).tolist(),
    "gray": gray.ravel().astype(int).tolist(),
    "labels": [0, 0, 1],
    "classes": ["a_cat", "b_dog"],
    "resized_5x2": resized.ravel().astype(int).tolist(),
}

# A CSV with a header, text columns and the label by name.
people = [
    ("31", "Paris", "52000.5", "yes"),
    ("45", "Oslo", "61000", "no"),
    ("22", "Berlin", "31000.25", "yes"),
    ("38", "Oslo", "47000", "maybe"),
]
with open("people.csv", "w") as f:
    f.write("age,city,income,answer\n")
    for r in people:
        f.write(",".join(r) + "\n")
cities = sorted({r[1] for r in people})
answers = sorted({r[3] for r in people})
# Columns chosen: income, city (by name), 1 (age, by number); label "answer".
expect["csv"] = {
    "x": np.array([[float(r[2]), cities.index(r[1]), float(r[0])] for r in people], dtype=np.float32).ravel().astype(float).tolist(),
    "y": [answers.index(r[3]) for r in people],
    "cities": cities,
    "answers": answers,
}

with open("expect.json", "w") as f:
    json.dump(expect, f, indent=None)
