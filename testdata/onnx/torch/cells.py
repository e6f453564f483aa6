# cells.py: ONNX recurrent nodes that PyTorch does not export (a reverse
# direction alone, GRU's default linear_before_reset = 0 with an initial
# state, LSTM peepholes), written as protobuf by hand, and their outputs
# computed by NumPy from the operators' equations in ONNX's documentation,
# for TestONNXTorchModels. Run with /usr/bin/python3:
#   cd testdata/onnx/torch && /usr/bin/python3 cells.py
import struct

import numpy as np

rng = np.random.default_rng(15)


def varint(n):
    out = b""
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(num, wire, payload):
    key = varint(num << 3 | wire)
    if wire == 0:
        return key + varint(payload)
    if wire == 5:
        return key + payload
    return key + varint(len(payload)) + payload


def s(num, text):
    return field(num, 2, text.encode() if isinstance(text, str) else text)


def tensor(name, a):
    a = np.asarray(a, dtype=np.float32)
    return b"".join(field(1, 0, d) for d in a.shape) + field(2, 0, 1) + s(8, name) + s(9, a.tobytes())


def value_info(name, dims):
    shape = b"".join(s(1, field(1, 0, d)) for d in dims)
    return s(1, name) + s(2, s(1, field(1, 0, 1) + s(2, shape)))


def attr_int(name, v):
    return s(1, name) + field(20, 0, 2) + field(3, 0, v)


def attr_str(name, v):
    return s(1, name) + field(20, 0, 3) + s(4, v)


def attr_strs(name, vs):
    return s(1, name) + field(20, 0, 8) + b"".join(s(9, v) for v in vs)


def model(op, inputs, attrs, inits, x_shape, y_name, y_shape):
    node = b"".join(s(1, i) for i in inputs) + s(2, y_name) + s(3, op.lower() + "0") + s(4, op)
    node += b"".join(s(5, a) for a in attrs)
    g = s(1, node) + s(2, "cells")
    g += b"".join(s(5, tensor(n, a)) for n, a in inits)
    g += s(11, value_info("x", x_shape)) + s(12, value_info(y_name, y_shape))
    return field(1, 0, 8) + s(2, "cells.py") + s(7, g) + s(8, s(1, "") + field(2, 0, 13))


def sig(v):
    return 1 / (1 + np.exp(-v))


def grid(*shape):
    return rng.uniform(-1, 1, size=shape).astype(np.float32).astype(np.float64)


def save(name, onnx, x, y):
    with open(name + ".onnx", "wb") as f:
        f.write(onnx)
    np.save(name + "_x.npy", x.astype(np.float32))
    np.save(name + "_y.npy", y.astype(np.float32))


T, B, I, H = 5, 2, 3, 4

# RNN, direction reverse, Relu: Y [T, 1, B, H].
x, W, R, Bb = grid(T, B, I), grid(1, H, I), grid(1, H, H), grid(1, 2 * H)
h = np.zeros((B, H))
Y = np.zeros((T, 1, B, H))
for t in reversed(range(T)):
    h = np.maximum(x[t] @ W[0].T + h @ R[0].T + Bb[0, :H] + Bb[0, H:], 0)
    Y[t, 0] = h
save("rnn_reverse", model("RNN", ["x", "W", "R", "B"], [attr_int("hidden_size", H), attr_str("direction", "reverse"), attr_strs("activations", ["Relu"])],
                          [("W", W), ("R", R), ("B", Bb)], [T, B, I], "y", [T, 1, B, H]), x, Y)

# GRU, linear_before_reset = 0 (the default), direction reverse, a given
# initial state, layout 1 (batch first): Y [B, T, 1, H].
x, W, R, Bb, h0 = grid(B, T, I), grid(1, 3 * H, I), grid(1, 3 * H, H), grid(1, 6 * H), grid(B, 1, H)
Wz, Wr, Wh = np.split(W[0], 3)
Rz, Rr, Rh = np.split(R[0], 3)
wbz, wbr, wbh, rbz, rbr, rbh = np.split(Bb[0], 6)
h = h0[:, 0]
Y = np.zeros((B, T, 1, H))
for t in reversed(range(T)):
    xt = x[:, t]
    z = sig(xt @ Wz.T + h @ Rz.T + wbz + rbz)
    r = sig(xt @ Wr.T + h @ Rr.T + wbr + rbr)
    hh = np.tanh(xt @ Wh.T + (r * h) @ Rh.T + rbh + wbh)
    h = (1 - z) * hh + z * h
    Y[:, t, 0] = h
save("gru_reverse", model("GRU", ["x", "W", "R", "B", "", "h0"], [attr_int("hidden_size", H), attr_str("direction", "reverse"), attr_int("layout", 1)],
                          [("W", W), ("R", R), ("B", Bb), ("h0", h0)], [B, T, I], "y", [B, T, 1, H]), x, Y)

# LSTM with peepholes and initial states, forward: Y [T, 1, B, H].
x, W, R, Bb, P = grid(T, B, I), grid(1, 4 * H, I), grid(1, 4 * H, H), grid(1, 8 * H), grid(1, 3 * H)
h0, c0 = grid(1, B, H), grid(1, B, H)
Wi, Wo, Wf, Wc = np.split(W[0], 4)
Ri, Ro, Rf, Rc = np.split(R[0], 4)
wbi, wbo, wbf, wbc, rbi, rbo, rbf, rbc = np.split(Bb[0], 8)
Pi, Po, Pf = np.split(P[0], 3)
h, c = h0[0], c0[0]
Y = np.zeros((T, 1, B, H))
for t in range(T):
    xt = x[t]
    i = sig(xt @ Wi.T + h @ Ri.T + Pi * c + wbi + rbi)
    f = sig(xt @ Wf.T + h @ Rf.T + Pf * c + wbf + rbf)
    ct = np.tanh(xt @ Wc.T + h @ Rc.T + wbc + rbc)
    c = f * c + i * ct
    o = sig(xt @ Wo.T + h @ Ro.T + Po * c + wbo + rbo)
    h = o * np.tanh(c)
    Y[t, 0] = h
save("lstm_peepholes", model("LSTM", ["x", "W", "R", "B", "", "h0", "c0", "P"], [attr_int("hidden_size", H)],
                             [("W", W), ("R", R), ("B", Bb), ("h0", h0), ("c0", c0), ("P", P)], [T, B, I], "y", [T, 1, B, H]), x, Y)
