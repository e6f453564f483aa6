"""PyTorch twin of models/char_lstm.nn: the same network, initialization,
data windows, optimizer, schedule and clipping, on one thread.

    /usr/bin/python3 torch/char_lstm.py small   # the 40k slice, the test's settings -> char_lstm_small.json
    /usr/bin/python3 torch/char_lstm.py full_l3_ema # the train block since session 18 (three layers) -> char_lstm_full_l3_ema.json
    /usr/bin/python3 torch/char_lstm.py full    # the two-layer block of sessions 13-14 (no ema) -> char_lstm.json
    /usr/bin/python3 torch/char_lstm.py full_ema # the two-layer block of sessions 15-17 (ema(decay = 0.998, start = 1715)) -> char_lstm_full_ema.json
    /usr/bin/python3 torch/char_lstm.py full 20 # its first 20 steps only (the time a step), validated -> char_lstm_20steps.json

The train block's early_stop (patience 3, the best epoch kept) is not
reproduced: this loop runs every epoch and reports the last one's
validation loss.

Run from models/. The text is split as nnc's text(..., split = [0.9, 0.1])
splits it: the first 90% of the characters train, the rest validates; the
vocabulary is the training part's characters sorted by code point. Training
windows of `seq` characters start at an offset drawn anew each epoch (nnc
draws it from its own generator, so the offsets differ), validation windows
at 0; there are (L - seq) // seq of each. The validation loss is the mean
cross entropy over every position of every validation window, in nats per
character; a run whose settings give a context c (the train block's
text(..., context = c)) also measures val_context: windows of seq one every
seq - c, each scoring its last seq - c positions.
"""
import copy
import gzip
import json
import math
import sys
import time

import torch
from threads import set_threads
import torch.nn as nn

set_threads(1)

# The settings of each run: the model's arguments and the train block's.
RUNS = {
    "small": dict(file="data/tinyshakespeare_40k.txt", dim=32, hidden=64, p=0.25, seq=32, batch=32, epochs=6,
                  lr=2e-3, warmup=10, min_lr=1e-4, clip=1.0, seeds=[0, 1, 2], layers=3),
    "full": dict(file="data/tinyshakespeare.txt.gz", dim=64, hidden=512, p=0.25, seq=128, batch=32, epochs=13,
                 lr=2e-3, warmup=100, min_lr=1e-4, clip=1.0, seeds=[0], context=64, layers=2),
}
# The train block of sessions 15-17: the same, with its moving average.
RUNS["full_ema"] = dict(RUNS["full"], ema=0.998, ema_start=1715)
# The train block since session 18: three layers.
RUNS["full_l3_ema"] = dict(RUNS["full_ema"], layers=3)


def read_text(path):
    """The ids of the text's characters, the training part's vocabulary and the split point."""
    raw = gzip.open(path, "rb").read() if path.endswith(".gz") else open(path, "rb").read()
    text = raw.decode("utf-8")
    a = int(0.9 * len(text))
    vocab = sorted(set(text[:a]))
    index = {c: i for i, c in enumerate(vocab)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    return ids, vocab, a


def windows(ids, seq, off):
    """(x, y): (L - seq) // seq windows of seq ids from off, and the ids one step later."""
    n = (len(ids) - seq) // seq
    x = ids[off:off + n * seq].view(n, seq)
    y = ids[off + 1:off + 1 + n * seq].view(n, seq)
    return x, y


def cosine_lr(step, total, lr, warmup, min_lr):
    """nnc's cosine(warmup, min_lr) at step (from 0) of total."""
    if step < warmup:
        return lr * (step + 1) / warmup
    t = min(step, total)
    return min_lr + (lr - min_lr) * (1 + math.cos(math.pi * (t - warmup) / (total - warmup))) / 2


class CharLM(nn.Module):
    """Embedding, an LSTM of `layers` layers (three in char_lstm.nn since
    session 18, two before) with dropout p between the layers and before
    the Dense head; nnc's initializers."""

    def __init__(self, vocab, dim, hidden, p, layers=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)  # normal(0, 1), as nnc's Embedding
        self.rnn = nn.LSTM(dim, hidden, num_layers=layers, dropout=p, batch_first=True)
        self.drop = nn.Dropout(p)
        self.head = nn.Linear(hidden, vocab)
        for layer in range(layers):
            nn.init.xavier_uniform_(getattr(self.rnn, f"weight_ih_l{layer}"))
            nn.init.orthogonal_(getattr(self.rnn, f"weight_hh_l{layer}"))
            nn.init.zeros_(getattr(self.rnn, f"bias_ih_l{layer}"))
            nn.init.zeros_(getattr(self.rnn, f"bias_hh_l{layer}"))
        nn.init.xavier_uniform_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, ids):
        h, _ = self.rnn(self.embed(ids))
        return self.head(self.drop(h))


def evaluate(model, x, y, batch, vocab):
    """The mean cross entropy over every position of the windows."""
    model.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            logits = model(x[i:i + batch])
            total += nn.functional.cross_entropy(logits.reshape(-1, vocab), y[i:i + batch].reshape(-1), reduction="sum").item()
            n += y[i:i + batch].numel()
    model.train()
    return total / n


def windowed(model, ids, seq, context, batch=64):
    """(mean cross entropy, windows, positions scored) over windows of seq
    one every seq - context, each scoring its positions from context on;
    context 0: (L - seq) // seq windows one every seq, every position
    scored. As nnc's text(..., context = c) cuts them."""
    if context == 0:
        starts = [k * seq for k in range((len(ids) - seq) // seq)]
    else:
        starts = list(range(0, len(ids) - seq, seq - context))
    was = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(starts), batch):
            s = starts[i:i + batch]
            x = torch.stack([ids[a:a + seq] for a in s])
            y = torch.stack([ids[a + 1:a + 1 + seq] for a in s])[:, context:]
            logits = model(x)[:, context:]
            total += nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
            count += y.numel()
    model.train(was)
    return total / count, len(starts), count


def train(make_model, make_opt, cfg, seed, max_steps=0, log=print):
    """Trains one seed with cfg's data and schedule; returns the record of the run."""
    ids, vocab, a = read_text(cfg["file"])
    V = len(vocab)
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = make_model(V)
    opt = make_opt(model)
    # cfg["ema"]: evaluate a moving average of the weights, as nnc's
    # ema = d: a copy at the first update, then avg.lerp_(p, 1 - d)
    # (torch.optim.swa_utils.AveragedModel's EMA rule, written out); with
    # cfg["ema_start"] = S, as ema(decay = d, start = S): a copy at each of
    # the first S + 1 updates, then the average.
    avg = None
    seq, batch = cfg["seq"], cfg["batch"]
    vx, vy = windows(ids[a:], seq, 0)
    n = (a - seq) // seq
    per_epoch = math.ceil(n / batch)
    total = per_epoch * cfg["epochs"]
    step, epochs = 0, []
    for epoch in range(cfg["epochs"]):
        t0 = time.time()
        off = int(torch.randint(seq, (1,), generator=g))
        x, y = windows(ids[:a], seq, off)
        perm = torch.randperm(len(x), generator=g)
        losses = []
        for i in range(0, len(x), batch):
            if max_steps and step == max_steps:
                break
            rows = perm[i:i + batch]
            for group in opt.param_groups:
                group["lr"] = cosine_lr(step, total, cfg["lr"], cfg["warmup"], cfg["min_lr"])
            logits = model(x[rows])
            loss = nn.functional.cross_entropy(logits.reshape(-1, V), y[rows].reshape(-1))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), cfg["clip"])
            opt.step()
            if cfg.get("ema"):
                with torch.no_grad():
                    if avg is None:
                        avg = copy.deepcopy(model)
                    elif step <= cfg.get("ema_start", 0):
                        for pa, pm in zip(avg.parameters(), model.parameters()):
                            pa.copy_(pm)
                    else:
                        for pa, pm in zip(avg.parameters(), model.parameters()):
                            pa.lerp_(pm, 1 - cfg["ema"])
            losses.append(loss.item())
            step += 1
        train_time = time.time() - t0
        judged = avg if avg is not None else model
        val = evaluate(judged, vx, vy, batch, V)
        if cfg.get("context"):
            val_context = windowed(judged, ids[a:], seq, cfg["context"])[0]
            log(f"seed {seed} epoch {epoch + 1}: val_context {val_context:.4f} (context {cfg['context']})")
        else:
            val_context = None
        epochs.append(dict(epoch=epoch + 1, train_loss=sum(losses) / len(losses), val_loss=val, val_context=val_context,
                           seconds=train_time, seconds_per_step=train_time / len(losses)))
        log(f"seed {seed} epoch {epoch + 1}: train {epochs[-1]['train_loss']:.4f} val {val:.4f} "
            f"({train_time:.1f} s, {1000 * train_time / len(losses):.1f} ms a step)")
        if max_steps and step == max_steps:
            break
    return dict(seed=seed, vocab=V, steps=step, val_nats_per_char=epochs[-1]["val_loss"], epochs=epochs)


def main(argv, name, make_model, make_opt):
    """Runs the settings argv[1] names over their seeds and writes NAME[_small].json."""
    which = argv[1] if len(argv) > 1 else "small"
    max_steps = int(argv[2]) if len(argv) > 2 else 0
    cfg = RUNS_OF[name][which]
    runs = [train(lambda V: make_model(V, cfg), make_opt(cfg), cfg, s, max_steps) for s in cfg["seeds"]]
    vals = [r["val_nats_per_char"] for r in runs]
    out = dict(settings=cfg, torch=torch.__version__, threads=torch.get_num_threads(), runs=runs,
               val_mean=sum(vals) / len(vals), val_max=max(vals), val_min=min(vals))
    out["max_steps"] = max_steps
    path = f"torch/{name}{'' if which == 'full' else '_' + which}{f'_{max_steps}steps' if max_steps else ''}.json"
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", path, "val", vals)


RUNS_OF = {"char_lstm": RUNS}

if __name__ == "__main__":
    main(sys.argv, "char_lstm",
         lambda V, cfg: CharLM(V, cfg["dim"], cfg["hidden"], cfg["p"], cfg["layers"]),
         lambda cfg: (lambda m: torch.optim.Adam(m.parameters(), lr=cfg["lr"])))
