"""PyTorch twin of models/tiny_gpt.nn: the same network (std/nn's
TransformerBlock: pre-norm, separate q/k/v/o projections, exact GELU),
initialization, dropout (p after the attention and after the feed-forward
branch, as std/nn's TransformerBlock), data windows, optimizer, schedule and
clipping, on one thread; the data, schedule and loop are char_lstm.py's.

    /usr/bin/python3 torch/tiny_gpt.py small   # the 40k slice, the test's settings -> tiny_gpt_small.json
    /usr/bin/python3 torch/tiny_gpt.py full    # the train block's run            -> tiny_gpt.json
    /usr/bin/python3 torch/tiny_gpt.py full_p01 # the same with dropout 0.1     -> tiny_gpt_full_p01.json
    /usr/bin/python3 torch/tiny_gpt.py full 20 # its first 20 steps only (the time a step) -> tiny_gpt_20steps.json

The train block's early_stop (patience 3, the best epoch kept) is not
reproduced: this loop runs every epoch and reports the last one's
validation loss.

Run from models/.
"""
import math
import sys

import torch
import torch.nn as nn

import char_lstm

RUNS = {
    "small": dict(file="data/tinyshakespeare_40k.txt", d=32, heads=2, layers=2, ctx=32, p=0.0, seq=32, batch=32, epochs=3,
                  lr=1e-3, weight_decay=0.1, warmup=10, min_lr=1e-4, clip=1.0, seeds=[0, 1, 2]),
    "full": dict(file="data/tinyshakespeare.txt.gz", d=128, heads=4, layers=4, ctx=128, p=0.0, seq=128, batch=32, epochs=25,
                 lr=1e-3, weight_decay=0.1, warmup=100, min_lr=1e-4, clip=1.0, seeds=[0], context=64),
}
# the train block's run with dropout 0.1 (`nnc train tiny_gpt.nn --arg p=0.1`)
RUNS["full_p01"] = dict(RUNS["full"], p=0.1)
# six blocks and a moving average of the weights (`nnc train tiny_gpt.nn
# --arg layers=6 --ema 0.999`, session 14); small_ema checks the average on
# the 40k slice in seconds
RUNS["full_l6_ema"] = dict(RUNS["full"], layers=6, ema=0.999)
RUNS["small_ema"] = dict(RUNS["small"], ema=0.9, seeds=[0])


def dense(n_in, n_out):
    """std/nn's Dense: Glorot-uniform weights, zero bias."""
    l = nn.Linear(n_in, n_out)
    nn.init.xavier_uniform_(l.weight)
    nn.init.zeros_(l.bias)
    return l


class Block(nn.Module):
    """x + drop(attn(ln1(x))), then + drop(down(gelu(up(ln2(x)))))."""

    def __init__(self, d, heads, p):
        super().__init__()
        self.heads = heads
        self.drop = nn.Dropout(p)
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.wq, self.wk, self.wv, self.wo = dense(d, d), dense(d, d), dense(d, d), dense(d, d)
        self.up, self.down = dense(d, 4 * d), dense(4 * d, d)

    def forward(self, x):
        B, T, d = x.shape
        h = self.ln1(x)
        split = lambda y: y.view(B, T, self.heads, d // self.heads).transpose(1, 2)
        q, k, v = split(self.wq(h)), split(self.wk(h)), split(self.wv(h))
        s = q @ k.transpose(-1, -2) / math.sqrt(d // self.heads)
        s = s.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf"))
        a = (s.softmax(-1) @ v).transpose(1, 2).reshape(B, T, d)
        x = x + self.drop(self.wo(a))
        return x + self.drop(self.down(nn.functional.gelu(self.up(self.ln2(x)))))


class TinyGPT(nn.Module):
    def __init__(self, vocab, d, heads, layers, ctx, p):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)  # normal(0, 1), as nnc's Embedding
        self.pos = nn.Parameter(torch.randn(ctx, d) * 0.02)
        self.blocks = nn.ModuleList([Block(d, heads, p) for _ in range(layers)])
        self.norm = nn.LayerNorm(d)
        self.head = dense(d, vocab)

    def forward(self, ids):
        x = self.tok(ids) + self.pos[:ids.shape[1]]
        for b in self.blocks:
            x = b(x)
        return self.head(self.norm(x))


char_lstm.RUNS_OF["tiny_gpt"] = RUNS

if __name__ == "__main__":
    char_lstm.main(sys.argv, "tiny_gpt",
                   lambda V, cfg: TinyGPT(V, cfg["d"], cfg["heads"], cfg["layers"], cfg["ctx"], cfg["p"]),
                   lambda cfg: (lambda m: torch.optim.AdamW(m.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])))
