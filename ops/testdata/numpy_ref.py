"""Reference values for ops/numpy_ref_test.go, computed with NumPy and PyTorch.

Run from the repository root:  /usr/bin/python3 ops/testdata/numpy_ref.py
It writes ops/testdata/numpy_ref.json. Every input is drawn here (seeded) and
stored beside the expected output, so the Go test needs no generator.
"""
import json
import math

import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(20261128)
cases = []


def arr(a, dtype="f64"):
    a = np.asarray(a)
    return {"dtype": dtype, "shape": list(a.shape), "data": [num(float(v)) for v in a.reshape(-1)]}


def num(v):
    """JSON has no infinities: they are written as strings."""
    return v if math.isfinite(v) else str(v)


def add(op, inputs, want, attrs=None, in_dtypes=None, want_dtype="f64"):
    ins = []
    for i, x in enumerate(inputs):
        dt = (in_dtypes or {}).get(i, "f64")
        ins.append(arr(x, dt))
    cases.append({"op": op, "attrs": attrs or {}, "inputs": ins, "want": arr(want, want_dtype)})


def t(x):
    return torch.tensor(x, dtype=torch.float64)


x = rng.normal(size=(3, 5)) * 3
add("gelu", [x], F.gelu(t(x)).numpy())
add("gelu", [x], F.gelu(t(x), approximate="tanh").numpy(), {"approximate": "tanh"})
big = np.array([-800.0, -30.0, -1.0, 0.0, 1e-8, 2.0, 30.0, 800.0])
add("softplus", [big], np.logaddexp(0, big))
add("silu", [x], F.silu(t(x)).numpy())
add("elu", [x], F.elu(t(x), alpha=0.7).numpy(), {"alpha": 0.7})
add("leaky_relu", [x], F.leaky_relu(t(x), 0.1).numpy(), {"slope": 0.1})
add("leaky_relu", [x], F.leaky_relu(t(x)).numpy())
add("erf", [x], torch.erf(t(x)).numpy())
add("rsqrt", [np.abs(x) + 0.1], torch.rsqrt(t(np.abs(x) + 0.1)).numpy())
add("clip", [x], np.clip(x, -1.0, 2.0), {"lo": -1.0, "hi": 2.0})

# where with broadcasting: cond [3, 1] (i32), x [3, 5], y [5]
cond = np.array([[1], [0], [2]])
y = rng.normal(size=(5,))
add("where", [cond, x, y], np.where(cond != 0, x, y), in_dtypes={0: "i32"})

x3 = rng.normal(size=(2, 3, 4)) * 4
add("logsumexp", [x3], torch.logsumexp(t(x3), dim=-1).numpy(), {"axes": [-1]})
add("logsumexp", [x3], torch.logsumexp(t(x3), dim=(0, 2), keepdim=True).numpy(), {"axes": [0, 2], "keepdims": True})
add("logsumexp", [x3], torch.logsumexp(t(x3).reshape(-1), dim=0).numpy())
huge = np.array([[1000.0, 1000.0, -1000.0], [-np.inf, 0.0, 1.0]])
add("logsumexp", [huge], np.array([1000 + math.log(2), np.log(1 + math.e)]), {"axes": [1]})
add("var", [x3], np.var(x3, axis=1), {"axes": [1]})
add("var", [x3], np.var(x3, ddof=1), {"ddof": 1})
add("std", [x3], np.std(x3, axis=(0, 2), keepdims=True), {"axes": [0, 2], "keepdims": True})
add("std", [x3], np.std(x3, axis=-1, ddof=1), {"axes": [-1], "ddof": 1})
add("norm", [x3], np.linalg.norm(x3, axis=-1), {"axes": [-1]})
add("norm", [x3], np.sqrt(np.sum(x3 ** 2)))
add("prod", [x3], np.prod(x3, axis=(1,)), {"axes": [1]})
ties = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, -1.0, -1.0, 2.0], [0.0, 0.0, 0.0, 0.0]])
add("argmax", [ties], np.argmax(ties, axis=1), {"axis": 1}, want_dtype="i32")
add("argmin", [ties], np.argmin(ties, axis=0), {"axis": 0}, want_dtype="i32")
add("argmax", [x3], np.argmax(x3), want_dtype="i32")
add("argmin", [x3], np.argmin(x3, axis=-1)[..., None], {"axis": -1, "keepdims": True}, want_dtype="i32")

# take (NumPy), with negative ids; its adjoint scatter_add (np.add.at).
ids = np.array([[2, 0], [-1, 2], [1, 1]])
add("take", [x3, ids], np.take(x3, ids, axis=1), {"axis": 1}, in_dtypes={1: "i32"})
add("take", [x3, np.array([5, -3, 0])], np.take(x3, [5, -3, 0]), in_dtypes={1: "i64"})
g = rng.normal(size=(2, 3, 2, 4))
acc = np.zeros((2, 3, 4))
for o in range(2):
    for j in range(3):
        for k in range(2):
            acc[o, ids[j, k] % 3, :] += g[o, j, k, :]
add("scatter_add", [g, ids], acc, {"axis": 1, "shape": [2, 3, 4]}, in_dtypes={1: "i32"})

# gather is take_along_axis (torch.gather); scatter_add_along is its adjoint.
gids = rng.integers(-3, 3, size=(2, 5, 4))
add("gather", [x3, gids], np.take_along_axis(x3, gids, axis=1), {"axis": 1}, in_dtypes={1: "i64"})
gids2 = rng.integers(0, 4, size=(2, 3, 6))
add("gather", [x3, gids2], torch.gather(t(x3), 2, torch.tensor(gids2)).numpy(), in_dtypes={1: "i32"})
g2 = rng.normal(size=(2, 3, 6))
acc2 = torch.zeros(2, 3, 4, dtype=torch.float64).scatter_add_(2, torch.tensor(gids2), t(g2)).numpy()
add("scatter_add_along", [g2, gids2], acc2, {"axis": -1, "shape": [2, 3, 4]}, in_dtypes={1: "i32"})

a = rng.normal(size=(2, 1, 4))
b = rng.normal(size=(2, 3, 4))
c = rng.normal(size=(2, 2, 4))
add("concat", [a, b, c], np.concatenate([a, b, c], axis=1), {"axis": 1})
add("concat", [b, b], np.concatenate([b, b], axis=-1), {"axis": -1})
add("stack", [b, b * 2], np.stack([b, b * 2], axis=2), {"axis": 2})
add("stack", [b, b * 2], np.stack([b, b * 2], axis=-1), {"axis": -1})
add("pad", [b], np.pad(b, ((0, 0), (1, 2), (3, 0)), constant_values=0.5), {"pads": [0, 0, 1, 2, 3, 0], "value": 0.5})
add("pad", [b], np.pad(b, ((0, 0), (0, 0), (2, 1))), {"pads": [2, 1]})

m = rng.normal(size=(6, 7))
N = None  # an absent bound


def sl(starts, stops, steps, want, src=m):
    add("slice", [src], want, {"starts": starts, "stops": stops, "steps": steps})


sl([1, N], [4, N], [1, 1], m[1:4, :])
sl([N, N], [N, N], [-1, -2], m[::-1, ::-2])
sl([-2, 5], [N, 1], [1, -2], m[-2:, 5:1:-2])
sl([4, -1], [0, -8], [-3, -1], m[4:0:-3, -1:-8:-1])
sl([10, -100], [20, 100], [1, 3], m[10:20, -100:100:3])
sl([N, 2], [N, 2], [1, 1], m[:, 2:2])
sl([0, 0], [100, 100], [5, 4], m[0:100:5, 0:100:4])
sl([-1], [-7], [-1], m[-1:-7:-1])

with open("ops/testdata/numpy_ref.json", "w") as f:
    json.dump(cases, f, indent=None, separators=(",", ":"))
    f.write("\n")
print(len(cases), "cases")
