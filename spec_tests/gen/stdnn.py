"""The standard library std/nn against PyTorch: Dense, MLP, LayerNorm,
Embedding, Conv2D, BatchNorm (inference: running statistics), LSTM, GRU,
MultiHeadAttention and TransformerBlock, each with its parameters fixed
through params/*.json and copied into the matching torch.nn module (Dense
matrices are the transposes of torch.nn.Linear.weight). The std models are
f32; the references run in float64.

Each model is wrapped in a model whose entry has concrete shapes, so that
the recurrent layers' scan has a known length when it is lowered.
"""

import numpy as np
import torch
import torch.nn as tnn

from common import Case, select, grid, rng, write_all

T = torch.float64

# Cases that fail today because of a bug or a missing feature in nnc; this
# script does not write them (the conformance report lists why).
PENDING = []


def t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=T, requires_grad=grad)


def n(x):
    return x.detach().numpy()


def setp(p, v):
    with torch.no_grad():
        p.copy_(t(v))


cases = []


def case(name, header, program, entry):
    c = Case("stdnn", name, header, program, entry)
    cases.append(c)
    return c


def small(r, shape, lo=-0.5, hi=0.5):
    return grid(r, shape, lo, hi, step=32)


# ---- Dense, MLP ----
r = rng(401)
x = grid(r, (2, 3, 4))
W, b = small(r, (4, 5)), small(r, (5,))
case("dense", "nn.Dense over [..., n_in] inputs: x @ W + b like torch.nn.Linear with weight W^T.", """
import "std/nn"

model Net() {
    d = nn.Dense(4, 5)

    fn forward(x: f32[2, 3, 4]) -> f32[2, 3, 5] {
        return d(x)
    }
}
""", "Net.forward").input("x", x).param("d.W", W).param("d.b", b).out(x @ W + b)

lin1, lin2 = tnn.Linear(4, 6).double(), tnn.Linear(6, 3).double()
W1, b1, W2, b2 = small(r, (4, 6)), small(r, (6,)), small(r, (6, 3)), small(r, (3,))
for m_, W_, b_ in ((lin1, W1, b1), (lin2, W2, b2)):
    setp(m_.weight, W_.T)
    setp(m_.bias, b_)
x = grid(r, (3, 4))
y = np.array([2, 0, 1])
out = lin2(torch.relu(lin1(t(x))))
loss = torch.nn.functional.cross_entropy(out, torch.tensor(y))
loss.backward()
case("mlp_grads", "nn.MLP (Dense, relu, Dense) with a cross_entropy loss; gradients w.r.t. both layers' weights against torch.autograd.", """
import "std/nn"

model Net() {
    mlp = nn.MLP(4, 6, 3)

    fn loss(x: f32[3, 4], y: i32[3]) -> f32 {
        return cross_entropy(mlp(x), y)
    }
}
""", "Net.loss").input("x", x).input("y", y).param("mlp.l1.W", W1).param("mlp.l1.b", b1).param("mlp.l2.W", W2) \
    .param("mlp.l2.b", b2).out(n(loss)).grad("mlp.l1.W", n(lin1.weight.grad).T).grad("mlp.l2.b", n(lin2.bias.grad)) \
    .tolerance(1e-5, 1e-6)

# ---- LayerNorm, Embedding ----
x = grid(r, (2, 3, 4))
g, b = small(r, (4,)) + 1, small(r, (4,))
ln = tnn.LayerNorm(4).double()
setp(ln.weight, g)
setp(ln.bias, b)
case("layernorm", "nn.LayerNorm normalizes the last axis like torch.nn.LayerNorm.", """
import "std/nn"

model Net() {
    ln = nn.LayerNorm(4)

    fn forward(x: f32[2, 3, 4]) -> f32[2, 3, 4] {
        return ln(x)
    }
}
""", "Net.forward").input("x", x).param("ln.gamma", g).param("ln.beta", b).out(n(ln(t(x)))).tolerance(1e-5, 1e-5)

table = grid(r, (6, 3))
ids = np.array([[5, 0], [2, 5]])
case("embedding", "nn.Embedding looks up rows of its table like torch.nn.Embedding.", """
import "std/nn"

model Net() {
    emb = nn.Embedding(6, 3)

    fn forward(ids: i32[2, 2]) -> f32[2, 2, 3] {
        return emb(ids)
    }
}
""", "Net.forward").input("ids", ids).param("emb.table", table).out(table[ids])

# ---- Conv2D, BatchNorm ----
conv = tnn.Conv2d(2, 3, 3, stride=2, padding=1).double()
K, cb = small(r, (3, 2, 3, 3)), small(r, (3,))
setp(conv.weight, K)
setp(conv.bias, cb)
x = grid(r, (2, 2, 5, 5))
case("conv2d", "nn.Conv2D with stride 2 and pad 1 and its per-channel bias, like torch.nn.Conv2d.", """
import "std/nn"

model Net() {
    conv = nn.Conv2D(2, 3, kernel = 3, stride = 2, pad = 1)

    fn forward(x: f32[2, 2, 5, 5]) -> f32[2, 3, 3, 3] {
        return conv(x)
    }
}
""", "Net.forward").input("x", x).param("conv.K", K).param("conv.b", cb).out(n(conv(t(x)))).tolerance(1e-5, 1e-5)

bn = tnn.BatchNorm2d(2).double().eval()
g, b = small(r, (2,)) + 1, small(r, (2,))
setp(bn.weight, g)
setp(bn.bias, b)
x = grid(r, (2, 2, 3, 3))
case("batchnorm_inference", "nn.BatchNorm in inference (Run) uses its running statistics, initially mean 0 and variance 1, like torch.nn.BatchNorm2d in eval mode.", """
import "std/nn"

model Net() {
    bn = nn.BatchNorm(2)

    fn forward(x: f32[2, 2, 3, 3]) -> f32[2, 2, 3, 3] {
        return bn(x)
    }
}
""", "Net.forward").input("x", x).param("bn.gamma", g).param("bn.beta", b).out(n(bn(t(x)))).tolerance(1e-5, 1e-5)

# ---- LSTM, GRU ----
r = rng(411)
lstm = tnn.LSTM(3, 4, batch_first=True).double()
Wih, Whh, bih, bhh = small(r, (3, 16)), small(r, (4, 16)), small(r, (16,)), small(r, (16,))
setp(lstm.weight_ih_l0, Wih.T)
setp(lstm.weight_hh_l0, Whh.T)
setp(lstm.bias_ih_l0, bih)
setp(lstm.bias_hh_l0, bhh)
x = grid(r, (2, 5, 3), -1, 1)
case("lstm", "nn.LSTM gives every step's hidden state like torch.nn.LSTM(batch_first = True), gates in the order i, f, g, o.", """
import "std/nn"

model Net() {
    rnn = nn.LSTM(3, 4)

    fn forward(x: f32[2, 5, 3]) -> f32[2, 5, 4] {
        return rnn(x)
    }
}
""", "Net.forward").input("x", x).param("rnn.W_ih", Wih).param("rnn.W_hh", Whh).param("rnn.b_ih", bih) \
    .param("rnn.b_hh", bhh).out(n(lstm(t(x))[0])).tolerance(1e-5, 1e-5)

lstm.zero_grad()
out = lstm(t(x))[0]
loss = (out ** 2).sum()
loss.backward()
case("lstm_grads", "Gradients of an nn.LSTM loss w.r.t. its recurrent weights through every step (scan), against torch.autograd.", """
import "std/nn"

model Net() {
    rnn = nn.LSTM(3, 4)

    fn loss(x: f32[2, 5, 3]) -> f32 {
        return sum(rnn(x) ** 2)
    }
}
""", "Net.loss").input("x", x).param("rnn.W_ih", Wih).param("rnn.W_hh", Whh).param("rnn.b_ih", bih) \
    .param("rnn.b_hh", bhh).out(n(loss)).grad("rnn.W_hh", n(lstm.weight_hh_l0.grad).T) \
    .grad("rnn.b_ih", n(lstm.bias_ih_l0.grad)).tolerance(1e-4, 1e-5)

gru = tnn.GRU(3, 4, batch_first=True).double()
Wih, Whh, bih, bhh = small(r, (3, 12)), small(r, (4, 12)), small(r, (12,)), small(r, (12,))
setp(gru.weight_ih_l0, Wih.T)
setp(gru.weight_hh_l0, Whh.T)
setp(gru.bias_ih_l0, bih)
setp(gru.bias_hh_l0, bhh)
case("gru", "nn.GRU gives every step's hidden state like torch.nn.GRU(batch_first = True), gates in the order r, z, n.", """
import "std/nn"

model Net() {
    rnn = nn.GRU(3, 4)

    fn forward(x: f32[2, 5, 3]) -> f32[2, 5, 4] {
        return rnn(x)
    }
}
""", "Net.forward").input("x", x).param("rnn.W_ih", Wih).param("rnn.W_hh", Whh).param("rnn.b_ih", bih) \
    .param("rnn.b_hh", bhh).out(n(gru(t(x))[0])).tolerance(1e-5, 1e-5)

# ---- attention ----
r = rng(421)
D, H = 8, 2
mha = tnn.MultiheadAttention(D, H, batch_first=True).double()
Wq, Wk, Wv, Wo = (small(r, (D, D)) for _ in range(4))
bq, bk, bv, bo = (small(r, (D,)) for _ in range(4))
setp(mha.in_proj_weight, np.concatenate([Wq.T, Wk.T, Wv.T]))
setp(mha.in_proj_bias, np.concatenate([bq, bk, bv]))
setp(mha.out_proj.weight, Wo.T)
setp(mha.out_proj.bias, bo)
x = grid(r, (2, 3, D), -1, 1)
causal = torch.ones(3, 3).triu(1).bool()
c = case("mha", "nn.MultiHeadAttention (2 heads), plain and causal, like torch.nn.MultiheadAttention(batch_first = True) with its in_proj_weight stacking the transposes of wq, wk and wv.", """
import "std/nn"

model Net() {
    attn = nn.MultiHeadAttention(8, 2)

    fn forward(x: f32[2, 3, 8]) -> (f32[2, 3, 8], f32[2, 3, 8]) {
        return attn(x), attn(x, causal = true)
    }
}
""", "Net.forward").input("x", x)
for nm, W_, b_ in (("wq", Wq, bq), ("wk", Wk, bk), ("wv", Wv, bv), ("wo", Wo, bo)):
    c.param("attn.%s.W" % nm, W_).param("attn.%s.b" % nm, b_)
c.out(n(mha(t(x), t(x), t(x), need_weights=False)[0])) \
    .out(n(mha(t(x), t(x), t(x), attn_mask=causal, need_weights=False)[0])).tolerance(1e-5, 1e-5)

layer = tnn.TransformerEncoderLayer(D, H, dim_feedforward=16, dropout=0.0, activation="gelu",
                                    batch_first=True, norm_first=True).double().eval()
P = {}
for nm in ("wq", "wk", "wv", "wo"):
    P["attn.%s.W" % nm], P["attn.%s.b" % nm] = small(r, (D, D)), small(r, (D,))
P["ln1.gamma"], P["ln1.beta"] = small(r, (D,)) + 1, small(r, (D,))
P["ln2.gamma"], P["ln2.beta"] = small(r, (D,)) + 1, small(r, (D,))
P["up.W"], P["up.b"] = small(r, (D, 16)), small(r, (16,))
P["down.W"], P["down.b"] = small(r, (16, D)), small(r, (D,))
sa = layer.self_attn
setp(sa.in_proj_weight, np.concatenate([P["attn.wq.W"].T, P["attn.wk.W"].T, P["attn.wv.W"].T]))
setp(sa.in_proj_bias, np.concatenate([P["attn.wq.b"], P["attn.wk.b"], P["attn.wv.b"]]))
setp(sa.out_proj.weight, P["attn.wo.W"].T)
setp(sa.out_proj.bias, P["attn.wo.b"])
setp(layer.norm1.weight, P["ln1.gamma"])
setp(layer.norm1.bias, P["ln1.beta"])
setp(layer.norm2.weight, P["ln2.gamma"])
setp(layer.norm2.bias, P["ln2.beta"])
setp(layer.linear1.weight, P["up.W"].T)
setp(layer.linear1.bias, P["up.b"])
setp(layer.linear2.weight, P["down.W"].T)
setp(layer.linear2.bias, P["down.b"])
with torch.no_grad():
    want = layer(t(x), src_mask=causal)
c = case("transformer_block", "nn.TransformerBlock (pre-norm, gelu feed-forward of width 16), causal, like torch.nn.TransformerEncoderLayer(norm_first = True, activation = \"gelu\").", """
import "std/nn"

model Net() {
    block = nn.TransformerBlock(8, 2, ff = 16)

    fn forward(x: f32[2, 3, 8]) -> f32[2, 3, 8] {
        return block(x, causal = true)
    }
}
""", "Net.forward").input("x", x)
for k_, v_ in P.items():
    c.param("block." + k_, v_)
c.out(n(want)).tolerance(1e-5, 1e-5)

live = select(cases, PENDING)

if __name__ == "__main__":
    write_all(live)
