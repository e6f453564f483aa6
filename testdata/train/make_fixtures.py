"""Writes the small data sets the train-block tests read, and the reference
metrics they are checked against.

Run with /usr/bin/python3 (NumPy, SciPy, Pillow) from this directory:

    /usr/bin/python3 make_fixtures.py [/work/shared/data]

The sources are real data sets (see /work/shared/data/README.md): Cora
(a connected subgraph of it), iris, digits and tinyshakespeare (a 3 kB
excerpt). Every reference metric is computed here in float64 from the files
written and the fixed parameters written beside them (params_*.safetensors),
never from nnc's output. Parameters are written with struct and json per the
safetensors specification.
"""
import gzip
import json
import os
import struct
import sys

import numpy as np
import scipy.sparse as sp
from PIL import Image

SRC = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data"
rng = np.random.default_rng(20240611)
ref = {}


def save_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def ce_metrics(logits, y, mask=None):
    """Mean cross-entropy and accuracy of rows (mask: only those rows)."""
    m = logits.max(axis=1, keepdims=True)
    lse = (m + np.log(np.exp(logits - m).sum(axis=1, keepdims=True)))[:, 0]
    nll = lse - logits[np.arange(len(y)), y]
    pred = logits.argmax(axis=1)
    if mask is None:
        mask = np.ones(len(y))
    sel = mask != 0
    return float((mask * nll).sum() / mask.sum()), float((pred[sel] == y[sel]).mean())


def linear_params(name, features, classes):
    W = rng.normal(0, 0.5, size=(features, classes)).astype(np.float32)
    b = rng.normal(0, 0.1, size=(classes,)).astype(np.float32)
    save_safetensors(f"params_{name}.safetensors", {"W": W, "b": b})
    return f32(W), f32(b)


# --- iris: a CSV with a header of names and the species as text ---------
iris = np.loadtxt(os.path.join(SRC, "iris.csv"), delimiter=",", skiprows=1)
species = ["setosa", "versicolor", "virginica"]
with open("iris_named.csv", "w") as f:
    f.write("sepal_length,sepal_width,species,petal_length,petal_width\n")
    for r in iris:
        f.write(f"{r[0]:g},{r[1]:g},{species[int(r[4])]},{r[2]:g},{r[3]:g}\n")
W, b = linear_params("iris", 4, 3)
x = f32(iris[:, :4])
y = iris[:, 4].astype(int)
ref["iris_whole"] = ce_metrics(x @ W + b, y)

# --- digits as IDX files: 120 training and 40 test images ----------------
digits = np.loadtxt(gzip.open(os.path.join(SRC, "digits.csv.gz"), "rt"), delimiter=",")
dx, dy = digits[:, :64].astype(np.uint8).reshape(-1, 8, 8), digits[:, 64].astype(np.uint8)


def write_idx(path, a):
    code = {np.dtype(np.uint8): 0x08}[a.dtype]
    head = struct.pack(">BBBB", 0, 0, code, a.ndim) + b"".join(struct.pack(">I", d) for d in a.shape)
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(head + a.tobytes())


write_idx("digits-train-images-idx3-ubyte.gz", dx[:120])
write_idx("digits-train-labels-idx1-ubyte.gz", dy[:120])
write_idx("digits-test-images-idx3-ubyte.gz", dx[1000:1040])
write_idx("digits-test-labels-idx1-ubyte.gz", dy[1000:1040])
W, b = linear_params("digits", 64, 10)
tx = f32(dx[1000:1040].reshape(40, 64).astype(np.float32) * np.float32(1 / 255))
ref["digits_test"] = ce_metrics(tx @ W + b, dy[1000:1040].astype(int))

# --- rows.npz: f64 features, i64 labels, index arrays --------------------
n = 60
rx = rng.normal(size=(n, 3))
ry = (rx[:, 0] + 0.5 * rx[:, 1] > 0).astype(np.int64)
perm = rng.permutation(n)
np.savez("rows.npz", x=rx, y=ry, idx_train=perm[:40], idx_val=perm[40:50], idx_test=perm[50:])
W, b = linear_params("rows", 3, 2)
test = perm[50:]
ref["rows_test"] = ce_metrics(f32(rx[test]) @ W + b, ry[test])
np.save("rows_x.npy", rx.astype(np.float32))
np.save("rows_y.npy", ry.astype(np.int32))

# --- rows.jsonl: the same rows as JSON Lines ------------------------------
with open("rows.jsonl", "w") as f:
    for i in range(n):
        f.write(json.dumps({"x": [float(np.float32(v)) for v in rx[i]], "y": int(ry[i])}) + "\n")
ref["rows_whole"] = ce_metrics(f32(rx) @ W + b, ry)

# --- rows.safetensors: the same rows as a safetensors data set -----------
def save_safetensors_typed(path, tensors):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        kind = {np.dtype("<f4"): "F32", np.dtype("<i4"): "I32"}[a.dtype]
        b = a.tobytes()
        header[name] = {"dtype": kind, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


save_safetensors_typed("rows.safetensors", {"x": rx.astype("<f4"), "y": ry.astype("<i4")})

# --- an image folder: two classes of 8x8 grey squares --------------------
for c in (0, 1):
    os.makedirs(f"shapes/{c}", exist_ok=True)
    for k in range(6):
        img = rng.integers(0, 60, size=(8, 8)).astype(np.uint8)
        if c == 1:
            img[2:6, 2:6] += 180
        Image.fromarray(img, mode="L").save(f"shapes/{c}/{k}.png")

# --- a connected subgraph of Cora, as SciPy CSR parts --------------------
z = np.load(os.path.join(SRC, "cora.npz"), allow_pickle=True)
A = sp.csr_matrix((z["adj_data"], z["adj_indices"], z["adj_indptr"]), shape=z["adj_shape"])
X = sp.csr_matrix((z["attr_data"], z["attr_indices"], z["attr_indptr"]), shape=z["attr_shape"])
lab = z["labels"]
U = ((A + A.T) > 0).tocsr()
order, seen, queue = [], {0}, [0]
while queue and len(order) < 240:
    v = queue.pop(0)
    order.append(v)
    for u in U.indices[U.indptr[v]:U.indptr[v + 1]]:
        if u not in seen:
            seen.add(u)
            queue.append(u)
nodes = np.array(sorted(order))
As = A[nodes][:, nodes].tocsr()
Xs = X[nodes].tocsc()
cols = np.flatnonzero(np.asarray(Xs.sum(axis=0)).ravel() >= 3)
Xs = Xs[:, cols].tocsr()
ls = lab[nodes]
N, F = Xs.shape
masks = {}
p = rng.permutation(N)
for name, part in (("train_mask", p[:80]), ("val_mask", p[80:140]), ("test_mask", p[140:])):
    m = np.zeros(N, dtype=bool)
    m[part] = True
    masks[name] = m
np.savez("cora_small.npz", adj_data=As.data.astype(np.float32), adj_indices=As.indices, adj_indptr=As.indptr,
         adj_shape=np.array(As.shape, dtype=np.int64), attr_data=Xs.data.astype(np.int64), attr_indices=Xs.indices,
         attr_indptr=Xs.indptr, attr_shape=np.array(Xs.shape, dtype=np.int64), labels=ls.astype(np.int8), **masks)
# Kipf & Welling: A' = max(A, A^T), D^-1/2 (A' + I) D^-1/2, in float64.
Ad = As.toarray().astype(np.float64)
Ad = np.maximum(Ad, Ad.T) + np.eye(N)
d = 1 / np.sqrt(Ad.sum(axis=1))
Ahat = d[:, None] * Ad * d[None, :]
W1 = rng.normal(0, 0.3, size=(F, 16)).astype(np.float32)
W2 = rng.normal(0, 0.3, size=(16, 7)).astype(np.float32)
save_safetensors("params_cora_small.safetensors", {"W1": W1, "W2": W2})
Xd = Xs.toarray().astype(np.float64)
h = np.maximum(f32(Ahat) @ (Xd @ f32(W1)), 0)
logits = f32(Ahat) @ (h @ f32(W2))
loss, acc = ce_metrics(logits, ls.astype(int), masks["test_mask"].astype(np.float64))
ref["cora_small_test"] = [loss + 5e-4 * float((f32(W1) ** 2).sum()), acc]
ref["cora_small"] = {"nodes": int(N), "features": int(F), "edges": int(As.nnz),
                     "ahat_row0": [[int(j), float(Ahat[0, j])] for j in np.flatnonzero(Ahat[0])],
                     "class_counts": np.bincount(ls.astype(int), minlength=7).tolist()}

# --- a 3 kB excerpt of tinyshakespeare -----------------------------------
with open(os.path.join(SRC, "tinyshakespeare.txt"), encoding="utf-8") as f:
    text = f.read()[:3000]
with open("shakespeare_3k.txt", "w", encoding="utf-8") as f:
    f.write(text)
ref["shakespeare_3k_vocab"] = "".join(sorted(set(text[:2700])))

with open("reference.json", "w") as f:
    json.dump(ref, f, indent=1, sort_keys=True)
    f.write("\n")
