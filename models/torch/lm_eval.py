"""Measures parameters that nnc trained for char_lstm.nn or tiny_gpt.nn in
PyTorch, on the validation part of the text, three ways:

- cold: windows of seq characters one every seq, every position scored
  (text(..., context = 0), nnc's validation before context existed);
- context: windows of seq one every seq - context, only their last
  seq - context positions scored (text(..., context = c));
- carried (char_lstm only): the whole validation part as one sequence, the
  LSTM's state carried from each character to the next, every position
  scored, as char-rnn's evaluation carries it.

    /usr/bin/python3 torch/lm_eval.py char_lstm char_lstm.safetensors [text] [seq] [context] [dim hidden | d heads layers ctx]

torch/char_lstm_eval.json and torch/tiny_gpt_eval.json are its output for
the parameters of session 13's runs of the two train blocks (models/README.md,
"Validation with context").

Run from models/. The parameters are read from nnc's .safetensors (a JSON
header and little-endian float32 data) and mapped onto the PyTorch twins in
torch/char_lstm.py and torch/tiny_gpt.py (nnc's Dense weights are
[in, out], torch's [out, in]; LSTM gates in the same order). The text is
split as torch/char_lstm.py splits it. Prints one JSON object.
"""
import json
import struct
import sys

import torch
from threads import set_threads
import torch.nn.functional as F

import char_lstm
import tiny_gpt

set_threads(1)


def read_safetensors(path):
    """{name: float32 tensor} of a safetensors file."""
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", (name, info["dtype"])
        a, b = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(raw[base + a:base + b]), dtype=torch.float32).reshape(info["shape"]).clone()
    return out


def load_char_lstm(p, vocab, dim, hidden):
    layers = sum(1 for k in p if k.startswith("rnn") and k.endswith(".W_ih"))  # rnn1, rnn2, ...
    m = char_lstm.CharLM(vocab, dim, hidden, 0.0, layers)
    sd = {"embed.weight": p["embed.table"], "head.weight": p["head.W"].T, "head.bias": p["head.b"]}
    for layer, name in enumerate(f"rnn{i + 1}" for i in range(layers)):
        sd[f"rnn.weight_ih_l{layer}"] = p[f"{name}.W_ih"].T
        sd[f"rnn.weight_hh_l{layer}"] = p[f"{name}.W_hh"].T
        sd[f"rnn.bias_ih_l{layer}"] = p[f"{name}.b_ih"]
        sd[f"rnn.bias_hh_l{layer}"] = p[f"{name}.b_hh"]
    m.load_state_dict(sd)
    return m.eval()


def load_tiny_gpt(p, vocab, d, heads, layers, ctx):
    m = tiny_gpt.TinyGPT(vocab, d, heads, layers, ctx, 0.0)
    sd = {"tok.weight": p["tok.table"], "pos": p["pos"], "norm.weight": p["norm.gamma"], "norm.bias": p["norm.beta"],
          "head.weight": p["head.W"].T, "head.bias": p["head.b"]}
    for i in range(layers):
        for ours, theirs in [("attn.wq", "wq"), ("attn.wk", "wk"), ("attn.wv", "wv"), ("attn.wo", "wo"), ("up", "up"), ("down", "down")]:
            sd[f"blocks.{i}.{theirs}.weight"] = p[f"blocks.{i}.{ours}.W"].T
            sd[f"blocks.{i}.{theirs}.bias"] = p[f"blocks.{i}.{ours}.b"]
        for ln in ["ln1", "ln2"]:
            sd[f"blocks.{i}.{ln}.weight"] = p[f"blocks.{i}.{ln}.gamma"]
            sd[f"blocks.{i}.{ln}.bias"] = p[f"blocks.{i}.{ln}.beta"]
    m.load_state_dict(sd)
    return m.eval()


def carried(model, ids, chunk=1000):
    """Mean cross entropy of every next character of ids as one sequence,
    the LSTM's state carried through."""
    state = None
    total, count = 0.0, 0
    with torch.no_grad():
        for a in range(0, len(ids) - 1, chunk):
            x = ids[a:min(a + chunk, len(ids) - 1)][None]
            y = ids[a + 1:a + 1 + x.shape[1]][None]
            h, state = model.rnn(model.embed(x), state)
            logits = model.head(h)
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
            count += y.numel()
    return total / count, count


def main(argv):
    kind, params = argv[1], argv[2]
    text = argv[3] if len(argv) > 3 else "data/tinyshakespeare.txt.gz"
    seq = int(argv[4]) if len(argv) > 4 else 128
    context = int(argv[5]) if len(argv) > 5 else 64
    sizes = [int(v) for v in argv[6:]]
    ids, vocab, a = char_lstm.read_text(text)
    val = ids[a:]
    p = read_safetensors(params)
    if kind == "char_lstm":
        dim, hidden = sizes or [64, 512]
        model = load_char_lstm(p, len(vocab), dim, hidden)
    else:
        d, heads, layers, ctx = sizes or [128, 4, 4, 128]
        model = load_tiny_gpt(p, len(vocab), d, heads, layers, ctx)
    out = {"model": kind, "params": params, "text": text, "seq": seq, "context": context,
           "validation_characters": len(val), "torch": torch.__version__}
    out["cold"], out["cold_windows"], out["cold_scored"] = char_lstm.windowed(model, val, seq, 0)
    out["context_loss"], out["context_windows"], out["context_scored"] = char_lstm.windowed(model, val, seq, context)
    if kind == "char_lstm":
        out["carried"], out["carried_scored"] = carried(model, val)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main(sys.argv)
