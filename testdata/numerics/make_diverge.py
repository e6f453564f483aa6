"""Reference for diverge.nn: plain SGD on mean((x @ W - y)^2) in float32,
one row per step (every row of same.csv is x = [1, 0.5], y = 2), W starting
at 0.5, lr = 10. Writes diverge_ref.json: the first step (from 1) whose
forward pass overflows, the error e at that step, the loss of the step
before, and the gradient norms of the first steps (for --warn-grad-norm).
"""
import json
import numpy as np

f32 = np.float32
x = np.array([[1.0, 0.5]], dtype=f32)
y = np.array([2.0], dtype=f32)
W = np.full((2, 1), 0.5, dtype=f32)
lr = f32(10.0)
prev = None
norms = []
with np.errstate(over="ignore"):
    for step in range(1, 100):
        e = (x @ W)[:, 0] - y
        sq = e * e
        if not np.isfinite(sq).all():
            break
        loss = sq.mean(dtype=f32)
        g = (x.T @ (f32(2) * e / f32(len(e)))[:, None]).astype(f32)
        norms.append(float(np.sqrt((g.astype(np.float64) ** 2).sum())))
        W = (W - lr * g).astype(f32)
        prev = float(loss)
json.dump({"step": step, "e": float(e[0]), "prev_loss": prev, "grad_norms": norms[:8]},
          open("diverge_ref.json", "w"), indent=1)
print(step, e, prev, norms[:3])
