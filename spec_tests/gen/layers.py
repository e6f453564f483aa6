"""The network built-ins: conv1d and conv2d (stride, pad, dilation, groups),
max_pool2d and avg_pool2d, layer_norm, batch_norm, embedding, attention (mask,
causal, scale), and the losses (binary_cross_entropy, its logits form, mse,
huber, cross_entropy with weights and label_smoothing, l1).

References are torch.nn.functional in float64; programs with gradients are
written in f64.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F

from common import Case, select, grid, rng, write_all

T = torch.float64

# Cases that fail today because of a bug or a missing feature in nnc; this
# script does not write them (the conformance report lists why).
PENDING = []


def t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=T, requires_grad=grad)


def n(x):
    return x.detach().numpy()


cases = []


def case(topic, name, header, program, entry="f"):
    c = Case(topic, name, header, program, entry)
    cases.append(c)
    return c


# ---- convolutions ----
r = rng(201)
x, K = grid(r, (2, 3, 9)), grid(r, (4, 3, 3))
case("conv", "conv1d", "conv1d over NCW with defaults, and with stride 2, pad 1, dilation 2.", """
fn f(x: f32[2, 3, 9], K: f32[4, 3, 3]) -> (f32[2, 4, 7], f32[2, 4, 4]) {
    return conv1d(x, K), conv1d(x, K, stride = 2, pad = 1, dilation = 2)
}
""").input("x", x).input("K", K).out(n(F.conv1d(t(x), t(K)))).out(n(F.conv1d(t(x), t(K), stride=2, padding=1, dilation=2)))

x, K = grid(r, (2, 4, 7)), grid(r, (6, 2, 2))
tx, tK = t(x, True), t(K, True)
y = F.conv1d(tx, tK, stride=2, padding=1, groups=2)
w = grid(r, tuple(y.shape))
val = (y * t(w)).sum()
val.backward()
case("conv", "conv1d_groups_grads", "conv1d with groups = 2, stride and padding; gradients w.r.t. input and kernel.", """
fn f(x: f64[2, 4, 7], K: f64[6, 2, 2], w: f64[2, 6, 4]) -> f64 {
    return sum(conv1d(x, K, stride = 2, pad = 1, groups = 2) * w)
}
""").input("x", x).input("K", K).input("w", w).out(n(val), "f64").grad("x", n(tx.grad), "f64").grad("K", n(tK.grad), "f64")

x, K = grid(r, (2, 2, 6, 5)), grid(r, (3, 2, 3, 2))
case("conv", "conv2d", "conv2d over NCHW: defaults; stride [2, 1] with pad [1, 0]; dilation 2 with pad 2.", """
fn f(x: f32[2, 2, 6, 5], K: f32[3, 2, 3, 2]) -> (f32[2, 3, 4, 4], f32[2, 3, 3, 4], f32[2, 3, 6, 7]) {
    return conv2d(x, K), conv2d(x, K, stride = [2, 1], pad = [1, 0]), conv2d(x, K, dilation = 2, pad = 2)
}
""").input("x", x).input("K", K).out(n(F.conv2d(t(x), t(K)))) \
    .out(n(F.conv2d(t(x), t(K), stride=(2, 1), padding=(1, 0)))).out(n(F.conv2d(t(x), t(K), dilation=2, padding=2)))

x, K = grid(r, (1, 4, 5, 5)), grid(r, (4, 1, 3, 3))
tx, tK = t(x, True), t(K, True)
y = F.conv2d(tx, tK, stride=2, padding=1, groups=4)
w = grid(r, tuple(y.shape))
val = (y * t(w)).sum()
val.backward()
case("conv", "conv2d_depthwise_grads", "A depthwise conv2d (groups = channels) with stride 2 and pad 1; gradients w.r.t. input and kernel.", """
fn f(x: f64[1, 4, 5, 5], K: f64[4, 1, 3, 3], w: f64[1, 4, 3, 3]) -> f64 {
    return sum(conv2d(x, K, stride = 2, pad = 1, groups = 4) * w)
}
""").input("x", x).input("K", K).input("w", w).out(n(val), "f64").grad("x", n(tx.grad), "f64").grad("K", n(tK.grad), "f64")

x, K = grid(r, (2, 2, 5, 6)), grid(r, (4, 1, 2, 3))
tx, tK = t(x, True), t(K, True)
y = F.conv2d(tx, tK, stride=(1, 2), padding=(1, 1), dilation=(2, 1), groups=2)
w = grid(r, tuple(y.shape))
val = (y * t(w)).sum()
val.backward()
case("conv", "conv2d_all_options_grads", "conv2d with stride, pad, dilation (per axis) and groups all at once; gradients.", """
fn f(x: f64[2, 2, 5, 6], K: f64[4, 1, 2, 3], w: f64[2, 4, 5, 3]) -> f64 {
    return sum(conv2d(x, K, stride = [1, 2], pad = [1, 1], dilation = [2, 1], groups = 2) * w)
}
""").input("x", x).input("K", K).input("w", w).out(n(val), "f64").grad("x", n(tx.grad), "f64").grad("K", n(tK.grad), "f64")

# ---- pooling ----
r = rng(211)
x = (r.permutation(2 * 2 * 6 * 6).reshape(2, 2, 6, 6) - 72) / 16.0  # distinct: unique window maxima
case("pool", "max_pool2d", "max_pool2d: window 2 (stride = window), window 3 with stride 2 and pad 1, and a [2, 3] window.", """
fn f(x: f32[2, 2, 6, 6]) -> (f32[2, 2, 3, 3], f32[2, 2, 3, 3], f32[2, 2, 3, 2]) {
    return max_pool2d(x, 2), max_pool2d(x, 3, stride = 2, pad = 1), max_pool2d(x, [2, 3])
}
""").input("x", x).out(n(F.max_pool2d(t(x), 2))).out(n(F.max_pool2d(t(x), 3, stride=2, padding=1))) \
    .out(n(F.max_pool2d(t(x), (2, 3))))

tx = t(x, True)
y = F.max_pool2d(tx, 3, stride=2, padding=1)
w = grid(r, tuple(y.shape))
val = (y * t(w)).sum()
val.backward()
case("pool", "max_pool2d_grad", "The gradient of max_pool2d goes to each window's maximum (overlapping windows add up).", """
fn f(x: f64[2, 2, 6, 6], w: f64[2, 2, 3, 3]) -> f64 {
    return sum(max_pool2d(x, 3, stride = 2, pad = 1) * w)
}
""").input("x", x).input("w", w).out(n(val), "f64").grad("x", n(tx.grad), "f64")

x = grid(r, (1, 2, 5, 5))
case("pool", "avg_pool2d", "avg_pool2d: window 2 (the last row and column dropped); window 3, stride 2, pad 1 counting the padding (PyTorch's default) and not counting it.", """
fn f(x: f32[1, 2, 5, 5]) -> (f32[1, 2, 2, 2], f32[1, 2, 3, 3], f32[1, 2, 3, 3]) {
    return avg_pool2d(x, 2), avg_pool2d(x, 3, stride = 2, pad = 1), avg_pool2d(x, 3, stride = 2, pad = 1, count_include_pad = false)
}
""").input("x", x).out(n(F.avg_pool2d(t(x), 2))).out(n(F.avg_pool2d(t(x), 3, stride=2, padding=1))) \
    .out(n(F.avg_pool2d(t(x), 3, stride=2, padding=1, count_include_pad=False)))

tx = t(x, True)
y = F.avg_pool2d(tx, [2, 3], stride=[1, 2])
w = grid(r, tuple(y.shape))
val = (y * t(w)).sum()
val.backward()
case("pool", "avg_pool2d_grad", "The gradient of avg_pool2d spreads each window's gradient evenly over it.", """
fn f(x: f64[1, 2, 5, 5], w: f64[1, 2, 4, 2]) -> f64 {
    return sum(avg_pool2d(x, [2, 3], stride = [1, 2]) * w)
}
""").input("x", x).input("w", w).out(n(val), "f64").grad("x", n(tx.grad), "f64")

# ---- normalization ----
r = rng(221)
x, g, b = grid(r, (2, 3, 4)), grid(r, (4,)), grid(r, (4,))
case("norm", "layer_norm", "layer_norm normalizes the last axis (population variance) then scales and shifts; eps as given.", """
fn f(x: f32[2, 3, 4], g: f32[4], b: f32[4]) -> (f32[2, 3, 4], f32[2, 3, 4]) {
    return layer_norm(x, g, b), layer_norm(x, g, b, eps = 0.1)
}
""").input("x", x).input("g", g).input("b", b).out(n(F.layer_norm(t(x), (4,), t(g), t(b)))) \
    .out(n(F.layer_norm(t(x), (4,), t(g), t(b), eps=0.1)))

tx, tg, tb = t(x, True), t(g, True), t(b, True)
w = grid(r, (2, 3, 4))
val = (F.layer_norm(tx, (4,), tg, tb) * t(w)).sum()
val.backward()
case("norm", "layer_norm_grads", "Gradients of layer_norm w.r.t. input, gain and bias.", """
fn f(x: f64[2, 3, 4], g: f64[4], b: f64[4], w: f64[2, 3, 4]) -> f64 {
    return sum(layer_norm(x, g, b) * w)
}
""").input("x", x).input("g", g).input("b", b).input("w", w).out(n(val), "f64") \
    .grad("x", n(tx.grad), "f64").grad("g", n(tg.grad), "f64").grad("b", n(tb.grad), "f64")

x, g, b = grid(r, (3, 2, 2, 2)), grid(r, (2,)), grid(r, (2,))
m, v = grid(r, (2,)), grid(r, (2,), 0.25, 2)
case("norm", "batch_norm", "batch_norm per channel (axis 1): with the batch's statistics (biased variance), and with given mean and var.", """
fn f(x: f32[3, 2, 2, 2], g: f32[2], b: f32[2], m: f32[2], v: f32[2]) -> (f32[3, 2, 2, 2], f32[3, 2, 2, 2]) {
    return batch_norm(x, g, b), batch_norm(x, g, b, mean = m, var = v, eps = 0.01)
}
""").input("x", x).input("g", g).input("b", b).input("m", m).input("v", v) \
    .out(n(F.batch_norm(t(x), None, None, t(g), t(b), training=True))) \
    .out(n(F.batch_norm(t(x), t(m), t(v), t(g), t(b), training=False, eps=0.01)))

x3 = grid(r, (4, 2, 3))
tx, tg, tb = t(x3, True), t(g, True), t(b, True)
w = grid(r, (4, 2, 3))
val = (F.batch_norm(tx, None, None, tg, tb, training=True) * t(w)).sum()
val.backward()
case("norm", "batch_norm_grads", "Gradients of batch_norm with batch statistics on [N, C, L] inputs.", """
fn f(x: f64[4, 2, 3], g: f64[2], b: f64[2], w: f64[4, 2, 3]) -> f64 {
    return sum(batch_norm(x, g, b) * w)
}
""").input("x", x3).input("g", g).input("b", b).input("w", w).out(n(val), "f64") \
    .grad("x", n(tx.grad), "f64").grad("g", n(tg.grad), "f64").grad("b", n(tb.grad), "f64")

x, g, b = grid(r, (3, 2, 4)), grid(r, (2,)), grid(r, (2,))
m, v = grid(r, (2,)), grid(r, (2,), 0.25, 2)
tx, tg, tb, tm, tv = t(x, True), t(g, True), t(b, True), t(m, True), t(v, True)
sh = (1, 2, 1)
y = (tx - tm.reshape(sh)) / torch.sqrt(tv.reshape(sh) + 1e-5) * tg.reshape(sh) + tb.reshape(sh)
w = grid(r, (3, 2, 4))
val = (y * t(w)).sum()
val.backward()
case("norm", "batch_norm_given_stats_grads", "batch_norm with given mean and var is (x - mean) / sqrt(var + eps) * gamma + beta per channel; gradients w.r.t. all five operands.", """
fn f(x: f64[3, 2, 4], g: f64[2], b: f64[2], m: f64[2], v: f64[2], w: f64[3, 2, 4]) -> f64 {
    return sum(batch_norm(x, g, b, mean = m, var = v) * w)
}
""").input("x", x).input("g", g).input("b", b).input("m", m).input("v", v).input("w", w).out(n(val), "f64") \
    .grad("x", n(tx.grad), "f64").grad("g", n(tg.grad), "f64").grad("b", n(tb.grad), "f64") \
    .grad("m", n(tm.grad), "f64").grad("v", n(tv.grad), "f64")

# ---- embedding ----
r = rng(231)
table = grid(r, (5, 3))
ids = np.array([[4, 0, 4], [1, 4, 2]])
case("embed", "embedding", "embedding(ids, table) gives the table's rows: i32[2, 3] ids into a [5, 3] table give [2, 3, 3].", """
fn f(ids: i32[2, 3], table: f32[5, 3]) -> f32[2, 3, 3] {
    return embedding(ids, table)
}
""").input("ids", ids).input("table", table).out(table[ids])

tt = t(table, True)
w = grid(r, (2, 3, 3))
val = (F.embedding(torch.tensor(ids), tt) * t(w)).sum()
val.backward()
case("embed", "embedding_grad", "The gradient of embedding scatter-adds into the rows: id 4 appears three times, id 3 never.", """
fn f(ids: i32[2, 3], table: f64[5, 3], w: f64[2, 3, 3]) -> f64 {
    return sum(embedding(ids, table) * w)
}
""").input("ids", ids).input("table", table).input("w", w).out(n(val), "f64").grad("table", n(tt.grad), "f64")

# ---- attention ----
r = rng(241)
q, k, v = grid(r, (2, 3, 4)), grid(r, (2, 5, 4)), grid(r, (2, 5, 2))


def attn(q, k, v, mask=None, scale=None, causal=False):
    s = (q @ k.transpose(-1, -2)) * (scale if scale is not None else 1 / math.sqrt(q.shape[-1]))
    if causal:
        tq, tk = s.shape[-2], s.shape[-1]
        mask = torch.ones(tq, tk).tril().bool() if mask is None else mask
    if mask is not None:
        s = s.masked_fill(~torch.as_tensor(mask).bool(), float("-inf"))
    return torch.softmax(s, -1) @ v


case("attention", "attention_plain", "attention(q, k, v): softmax(q k^T / sqrt(d)) v, with keys and queries of different lengths and a value width of its own.", """
fn f(q: f32[2, 3, 4], k: f32[2, 5, 4], v: f32[2, 5, 2]) -> f32[2, 3, 2] {
    return attention(q, k, v)
}
""").input("q", q).input("k", k).input("v", v).out(n(attn(t(q), t(k), t(v))))

mask = np.array([[1, 1, 0, 0, 1], [0, 1, 1, 1, 1], [1, 0, 0, 0, 0]])
case("attention", "attention_mask_scale", "A [Tq, Tk] mask hides keys where it is 0 (every query keeps one key); scale replaces 1 / sqrt(d).", """
fn f(q: f32[2, 3, 4], k: f32[2, 5, 4], v: f32[2, 5, 2], m: f32[3, 5]) -> f32[2, 3, 2] {
    return attention(q, k, v, mask = m, scale = 0.25)
}
""").input("q", q).input("k", k).input("v", v).input("m", mask).out(n(attn(t(q), t(k), t(v), mask, 0.25)))

q, k, v = grid(r, (1, 2, 4, 3)), grid(r, (1, 2, 4, 3)), grid(r, (1, 2, 4, 3))
tq, tk, tv = t(q, True), t(k, True), t(v, True)
y = attn(tq, tk, tv, causal=True)
w = grid(r, (1, 2, 4, 3))
val = (y * t(w)).sum()
val.backward()
case("attention", "attention_causal_grads", "causal = true hides the keys after each query, over [B, H, T, d]; gradients w.r.t. q, k and v.", """
fn f(q: f64[1, 2, 4, 3], k: f64[1, 2, 4, 3], v: f64[1, 2, 4, 3], w: f64[1, 2, 4, 3]) -> f64 {
    return sum(attention(q, k, v, causal = true) * w)
}
""").input("q", q).input("k", k).input("v", v).input("w", w).out(n(val), "f64") \
    .grad("q", n(tq.grad), "f64").grad("k", n(tk.grad), "f64").grad("v", n(tv.grad), "f64")

q, k, v = grid(r, (2, 3, 4)), grid(r, (2, 5, 4)), grid(r, (2, 5, 2))
bmask = np.array([[[1, 0, 1, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 1]],
                  [[0, 1, 0, 0, 0], [1, 1, 0, 0, 1], [1, 0, 1, 0, 1]]])
tq, tk, tv = t(q, True), t(k, True), t(v, True)
y = attn(tq, tk, tv, bmask)
w = grid(r, (2, 3, 2))
val = (y * t(w)).sum()
val.backward()
case("attention", "attention_batch_mask_grads", "A mask per batch element [B, Tq, Tk]; hidden keys get no gradient in k and v.", """
fn f(q: f64[2, 3, 4], k: f64[2, 5, 4], v: f64[2, 5, 2], m: f64[2, 3, 5], w: f64[2, 3, 2]) -> f64 {
    return sum(attention(q, k, v, mask = m) * w)
}
""").input("q", q).input("k", k).input("v", v).input("m", bmask).input("w", w).out(n(val), "f64") \
    .grad("q", n(tq.grad), "f64").grad("k", n(tk.grad), "f64").grad("v", n(tv.grad), "f64")

# ---- losses ----
r = rng(251)
p = grid(r, (2, 3), 0.0625, 0.9375)
tgt = grid(r, (2, 3), 0, 1)
tp = t(p, True)
val = F.binary_cross_entropy(tp, t(tgt))
val.backward()
case("losses", "binary_cross_entropy", "binary_cross_entropy(p, target) is the mean of -(t log p + (1 - t) log(1 - p)); soft targets.", """
fn f(p: f64[2, 3], target: f64[2, 3]) -> f64 {
    return binary_cross_entropy(p, target)
}
""").input("p", p).input("target", tgt).out(n(val), "f64").grad("p", n(tp.grad), "f64")

z = grid(r, (4,), -30, 30)
z[0] = 40.0
tgt = np.array([1.0, 0.0, 0.5, 1.0])
tz = t(z, True)
val = F.binary_cross_entropy_with_logits(tz, t(tgt))
val.backward()
case("losses", "bce_with_logits", "binary_cross_entropy_with_logits is computed stably for large logits.", """
fn f(z: f64[4], target: f64[4]) -> f64 {
    return binary_cross_entropy_with_logits(z, target)
}
""").input("z", z).input("target", tgt).out(n(val), "f64").grad("z", n(tz.grad), "f64")

x, y = grid(r, (3, 4)), grid(r, (3, 4))
tx = t(x, True)
val = F.mse_loss(tx, t(y)) + F.huber_loss(tx, t(y)) + F.huber_loss(tx, t(y), delta=0.5) * 2
val.backward()
case("losses", "mse_huber", "mse is the mean squared error; huber is quadratic within delta (1 by default) and linear outside.", """
fn f(x: f64[3, 4], y: f64[3, 4]) -> f64 {
    return mse(x, y) + huber(x, y) + huber(x, y, delta = 0.5) * 2.0
}
""").input("x", x).input("y", y).out(n(val), "f64").grad("x", n(tx.grad), "f64")

case("losses", "mse_huber_values", "mse and huber values in f32, as a tuple.", """
fn f(x: f32[3, 4], y: f32[3, 4]) -> (f32, f32, f32) {
    return mse(x, y), huber(x, y), huber(x, y, delta = 0.25)
}
""").input("x", x).input("y", y).out(n(F.mse_loss(t(x), t(y)))).out(n(F.huber_loss(t(x), t(y)))) \
    .out(n(F.huber_loss(t(x), t(y), delta=0.25)))

logits = grid(r, (4, 3))
labels = np.array([2, 0, 2, 1])
cw = np.array([0.5, 2.0, 1.25])
tl = t(logits, True)
val = F.cross_entropy(tl, torch.tensor(labels), weight=t(cw))
val.backward()
case("losses", "cross_entropy_weights", "cross_entropy with per-class weights is the weighted mean (divided by the sum of the labels' weights), as PyTorch.", """
fn f(logits: f64[4, 3], y: i32[4], w: f64[3]) -> f64 {
    return cross_entropy(logits, y, weights = w)
}
""").input("logits", logits).input("y", labels).input("w", cw).out(n(val), "f64").grad("logits", n(tl.grad), "f64")

tl = t(logits, True)
val = F.cross_entropy(tl, torch.tensor(labels), label_smoothing=0.2)
val.backward()
case("losses", "cross_entropy_label_smoothing", "cross_entropy with label_smoothing = 0.2 mixes the one-hot target with the uniform distribution, as PyTorch.", """
fn f(logits: f64[4, 3], y: i32[4]) -> f64 {
    return cross_entropy(logits, y, label_smoothing = 0.2)
}
""").input("logits", logits).input("y", labels).out(n(val), "f64").grad("logits", n(tl.grad), "f64")

tl = t(logits, True)
val = F.cross_entropy(tl, torch.tensor(labels), weight=t(cw), label_smoothing=0.1)
val.backward()
case("losses", "cross_entropy_weights_smoothing", "cross_entropy with both weights and label_smoothing follows PyTorch's definition.", """
fn f(logits: f64[4, 3], y: i32[4], w: f64[3]) -> f64 {
    return cross_entropy(logits, y, weights = w, label_smoothing = 0.1)
}
""").input("logits", logits).input("y", labels).input("w", cw).out(n(val), "f64").grad("logits", n(tl.grad), "f64")

x, y = grid(r, (2, 3)), grid(r, (4,))
x[x == 0] = 0.25
y[y == 0] = -0.5
tx, ty = t(x, True), t(y, True)
val = tx.abs().sum() + ty.abs().sum() + 0.5 * ((tx ** 2).sum() + (ty ** 2).sum())
val.backward()
case("losses", "l1_l2", "l1 sums absolute values and l2 squares over all of its arguments; gradients sign(x) and 2x.", """
fn f(x: f64[2, 3], y: f64[4]) -> f64 {
    return l1(x, y) + 0.5 * l2(x, y)
}
""").input("x", x).input("y", y).out(n(val), "f64").grad("x", n(tx.grad), "f64").grad("y", n(ty.grad), "f64")

# cross_entropy with ignore_index (added last, so that the draws above stay).
logits = grid(r, (5, 3))
labels = np.array([2, -1, 0, -1, 1])
tl = t(logits, True)
val = F.cross_entropy(tl, torch.tensor(labels), ignore_index=-1)
val.backward()
case("losses", "cross_entropy_ignore_index", "cross_entropy with ignore_index = -1 leaves the rows labelled -1 out of both the sum and the count (their gradient is 0), as PyTorch.", """
fn f(logits: f64[5, 3], y: i32[5]) -> f64 {
    return cross_entropy(logits, y, ignore_index = -1)
}
""").input("logits", logits).input("y", labels).out(n(val), "f64").grad("logits", n(tl.grad), "f64")

tl = t(logits, True)
val = F.cross_entropy(tl, torch.tensor(labels2 := np.array([2, 1, 0, 1, 1])), weight=t(cw), label_smoothing=0.1, ignore_index=1)
val.backward()
case("losses", "cross_entropy_ignore_class", "ignore_index may name a class: with weights and label_smoothing, the rows of that class count in neither sum, as PyTorch.", """
fn f(logits: f64[5, 3], y: i32[5], w: f64[3]) -> f64 {
    return cross_entropy(logits, y, weights = w, label_smoothing = 0.1, ignore_index = 1)
}
""").input("logits", logits).input("y", labels2).input("w", cw).out(n(val), "f64").grad("logits", n(tl.grad), "f64")

c = case("losses", "cross_entropy_ignore_index_range", "With ignore_index = -1, a label outside [0, C) other than -1 is still an error at run time.", """
fn f(logits: f64[3, 3], y: i32[3]) -> f64 {
    return cross_entropy(logits, y, ignore_index = -1)
}
""").input("logits", grid(r, (3, 3))).input("y", np.array([0, -1, -2]))
c.error("main.nn:2: cross_entropy ... label -2 out of range [0, 3) at position 2 of the labels")

live = select(cases, PENDING)

if __name__ == "__main__":
    write_all(live)
