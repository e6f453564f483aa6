"""stocks_lstm.nn's model in PyTorch, and the baselines, on the same windows.

Same data (models/data/stocks_{train,val,test}.npz from make_stocks.py),
same network (one-layer LSTM(1, 16) over the returns / 10, the last hidden
state to a Dense(16, 1), times 10; W_ih Glorot-uniform, W_hh orthogonal,
biases 0, as std/nn's LSTM and Dense), same training (mean squared error,
Adam 1e-3, batches of 32 in a fresh order each epoch, up to 100 epochs,
stopping after 10 epochs without a lower validation loss and keeping the
best epoch's parameters). Seeds 0-4.

    /usr/bin/python3 torch/stocks_lstm.py [epochs]   # from models/; writes torch/stocks_lstm.json
"""
import copy
import json
import os
import sys
import time

import numpy as np
import torch
from threads import set_threads


def load(name):
    here = os.path.dirname(os.path.abspath(__file__))
    d = np.load(os.path.join(here, "..", "data", "stocks_%s.npz" % name))
    return {k: torch.tensor(d[k]) for k in d.files}


class Net(torch.nn.Module):
    def __init__(self, hidden=16):
        super().__init__()
        self.rnn = torch.nn.LSTM(1, hidden, batch_first=True)
        self.head = torch.nn.Linear(hidden, 1)
        torch.nn.init.xavier_uniform_(self.rnn.weight_ih_l0)
        torch.nn.init.orthogonal_(self.rnn.weight_hh_l0)
        for b in (self.rnn.bias_ih_l0, self.rnn.bias_hh_l0, self.head.bias):
            torch.nn.init.zeros_(b)
        torch.nn.init.xavier_uniform_(self.head.weight)

    def forward(self, x):
        hs, _ = self.rnn(x / 10)
        return 10 * self.head(hs[:, -1, :]).squeeze(1)


def rmse(p, y):
    return float(torch.sqrt(torch.mean((p.double() - y.double()) ** 2)))


def run(tr, va, te, seed, epochs, patience=10, batch=32):
    torch.manual_seed(seed)
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    best, best_state, wait, done = float("inf"), None, 0, 0
    t0 = time.perf_counter()
    for ep in range(epochs):
        perm = torch.randperm(len(tr["y"]))
        for s in range(0, len(perm), batch):
            b = perm[s:s + batch]
            loss = torch.mean((net(tr["x"][b]) - tr["y"][b]) ** 2)
            opt.zero_grad()
            loss.backward()
            opt.step()
        done += 1
        with torch.no_grad():
            v = float(torch.mean((net(va["x"]) - va["y"]) ** 2))
        if v < best:
            best, best_state, wait = v, copy.deepcopy(net.state_dict()), 0
        else:
            wait += 1
            if wait >= patience:
                break
    dt = (time.perf_counter() - t0) / done
    net.load_state_dict(best_state)
    with torch.no_grad():
        return {"seed": seed, "epochs": done, "ms_per_epoch": dt * 1e3,
                **{k + "_rmse": rmse(net(d["x"]), d["y"]) for k, d in (("train", tr), ("val", va), ("test", te))}}


def main():
    set_threads(1)
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    tr, va, te = load("train"), load("val"), load("test")
    out = {"baselines": {b: {k: rmse(d[b], d["y"]) for k, d in (("train", tr), ("val", va), ("test", te))}
                         for b in ("naive", "ma3")}}
    out["runs"] = [run(tr, va, te, s, epochs) for s in range(5)]
    t = np.array([r["test_rmse"] for r in out["runs"]])
    out["test_rmse"] = {"mean": float(t.mean()), "std": float(t.std(ddof=1)), "min": float(t.min()), "max": float(t.max())}
    print(json.dumps(out, indent=1))
    name = "stocks_lstm.json" if epochs == 100 else "stocks_lstm_%d.json" % epochs
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
