"""Makes ragged.jsonl, params_ragged.safetensors and ragged_reference.json
for the root tests of jsonl(..., pad = ["ids"]) (run from this folder with
/usr/bin/python3; NumPy only).

Each record is a token id list of length 1 to 6 (vocabulary 8) and a label:
1 when more than half its tokens are 4 or above. The reference is the loss
and accuracy, in float64, of the masked-mean model of ragged.nn with the
parameters written here, the ids padded with 0 to the longest record.
"""
import json
import struct

import numpy as np

rng = np.random.default_rng(11)
rows = []
for _ in range(48):
    n = int(rng.integers(1, 7))
    ids = rng.integers(0, 8, size=n)
    rows.append((ids.tolist(), int((ids >= 4).mean() > 0.5)))
with open("ragged.jsonl", "w") as f:
    for ids, y in rows:
        f.write(json.dumps({"ids": ids, "y": y}) + "\n")

V, D, C = 8, 4, 2
E = rng.normal(0, 0.5, size=(V, D)).astype(np.float32)
W = rng.normal(0, 0.5, size=(D, C)).astype(np.float32)
b = rng.normal(0, 0.1, size=(C,)).astype(np.float32)


def safetensors(path, arrays):
    header, data, off = {}, b"", 0
    for name, a in arrays.items():
        raw = a.astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(raw)]}
        data += raw
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


safetensors("params_ragged.safetensors", {"E": E, "W": W, "b": b})

L = max(len(ids) for ids, _ in rows)
ids = np.zeros((len(rows), L), dtype=np.int64)
mask = np.zeros((len(rows), L))
for i, (r, _) in enumerate(rows):
    ids[i, : len(r)] = r
    mask[i, : len(r)] = 1
y = np.array([y for _, y in rows])
e = E.astype(np.float64)[ids]  # [N, L, D]
mean = (e * mask[:, :, None]).sum(1) / mask.sum(1)[:, None]
logits = mean @ W.astype(np.float64) + b.astype(np.float64)
z = logits - logits.max(1, keepdims=True)
logp = z - np.log(np.exp(z).sum(1, keepdims=True))
loss = -logp[np.arange(len(y)), y].mean()
acc = (logits.argmax(1) == y).mean()
with open("ragged_reference.json", "w") as f:
    json.dump({"ragged_whole": [float(loss), float(acc)], "length": L, "rows": len(rows)}, f, indent=1)
    f.write("\n")
