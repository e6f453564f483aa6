"""Writes the NumPy and safetensors reference files the data tests read.

Run with /usr/bin/python3 (NumPy) from this directory:

    /usr/bin/python3 make_reference.py

The safetensors file is written with struct and json, following the format
specification (8-byte little-endian header length, JSON header, raw
little-endian data), not with the safetensors library.
"""
import json
import struct

import numpy as np

# .npy files written by NumPy itself.
np.save("f32_2x3.npy", np.array([[1.5, -2.0, 3.25], [0.0, 1e-3, -7.0]], dtype="<f4"))
np.save("f64_4.npy", np.array([np.pi, -np.e, 1e300, -0.0], dtype="<f8"))
np.save("i32_2x2x2.npy", np.arange(-4, 4, dtype="<i4").reshape(2, 2, 2))
np.save("i64_3.npy", np.array([-(2**40), 0, 2**62], dtype="<i8"))
np.save("bool_3.npy", np.array([True, False, True]))
np.save("f32_scalar.npy", np.array(2.5, dtype="<f4"))
np.save("big_endian.npy", np.array([1, 2], dtype=">i4"))
np.save("u8.npy", np.array([1, 2], dtype="u1"))
np.save("fortran.npy", np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3)))

# A safetensors file built by hand from the specification.
tensors = {
    "l1.W": np.array([[0.5, -1.0], [2.0, 0.25], [-3.5, 4.0]], dtype="<f4"),
    "l1.b": np.array([0.125, -0.5], dtype="<f4"),
    "steps": np.array([7], dtype="<i8"),
    "scale": np.array([1.0 / 3.0], dtype="<f8"),
    "mask": np.array([True, False, False, True]),
    "counts": np.array([[1, -2], [3, 2147483647]], dtype="<i4"),
}
header = {"__metadata__": {"format": "pt"}}
data = b""
for name in sorted(tensors):
    a = tensors[name]
    raw = a.astype(a.dtype.newbyteorder("<")).tobytes(order="C")
    dtype = {"f4": "F32", "f8": "F64", "i4": "I32", "i8": "I64", "b1": "BOOL"}[a.dtype.str[1:]]
    header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [len(data), len(data) + len(raw)]}
    data += raw
h = json.dumps(header, separators=(",", ":")).encode()
h += b" " * (-len(h) % 8)
with open("reference.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + data)

# Expected values, as JSON, for the Go test.
expect = {name: {"shape": list(a.shape), "data": a.astype(float).ravel().tolist()} for name, a in tensors.items()}
with open("reference_safetensors.json", "w") as f:
    json.dump(expect, f, indent=1, sort_keys=True)

# An .npz archive, compressed, with one array NumPy can only pickle.
np.savez_compressed(
    "arrays.npz",
    x=np.array([[1.0, 2.0], [3.0, 4.5]], dtype="<f4"),
    y=np.array([1, 0], dtype="<i8"),
    names=np.array(["a", None], dtype=object),
)
