"""PyTorch reference for batch norm's running statistics under nnc train
(models/batchnorm_test.go): a convolution of 4 channels, std/nn's
BatchNorm, relu, global average pooling and a dense layer of 3 logits,
trained from the same initial parameters in nnc and in
torch.nn.BatchNorm2d (momentum 0.1, the running variance unbiased, the
batch's biased variance normalizing), and then evaluated with the running
statistics on the test rows.

Two runs, each written to data/bn_running/<name>.npz (the data set, with
its split as index arrays) and data/bn_running/init.safetensors (the
initial parameters under nnc's names), and their results to
bn_running.json (the running mean and variance after training, the test
set's mean cross-entropy in evaluation mode, and its logits):

  distinct   16 different training images in one full batch (so nnc's
             shuffling cannot change a step), 4 validation and 4 test
             images; SGD lr 0.5, momentum 0.9; 6 epochs of one step. The
             validation rows nnc measures every epoch must leave the
             running statistics alone.
  partial    36 copies of one image (one label), batches of 16, so every
             epoch is two full batches and a partial one of 4 whatever the
             order; SGD lr 0.5, Nesterov momentum 0.9, weight decay 5e-4,
             a per-step cosine to 0; 3 epochs, 9 steps. The partial batch's
             unbiased variance has its own n / (n - 1).
  resnet     models/resnet_small.nn's network (seven batch norms after
             convolutions of stride 1 and 2 and a residual sum) on the
             first 80 images of data/fashion_small's training set: rows
             0-63 train in one full batch, 64-79 test; its SGD (lr 0.1,
             Nesterov momentum 0.9, weight decay 5e-4) with a per-step
             cosine, 4 epochs of one step; its parameters in
             data/bn_running/resnet_init.safetensors.

Run from models/torch/ with /usr/bin/python3 (torch 1.13, numpy), one
thread: it rewrites the data and the JSON deterministically (seeds 0, 1).
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch
from threads import set_threads
from torch import nn

set_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "bn_running")


class Net(nn.Module):
    """models/batchnorm_test.go's Net."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(1, 4, 3, padding=1)
        self.n = nn.BatchNorm2d(4)
        self.d = nn.Linear(4, 3)

    def forward(self, x):
        return self.d(torch.relu(self.n(self.c(x))).mean((2, 3)))


def write_safetensors(path, tensors):
    """A safetensors file of float32 tensors (no package needed)."""
    header, blobs, off = {}, [], 0
    for k, t in tensors.items():
        b = t.detach().contiguous().numpy().astype("<f4").tobytes()
        header[k] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def nnc_names(m):
    """m's parameters under nnc's names (Dense's W is [in, out])."""
    return {"c.K": m.c.weight, "c.b": m.c.bias, "n.gamma": m.n.weight, "n.beta": m.n.bias,
            "d.W": m.d.weight.t(), "d.b": m.d.bias}


def resnet_names(m):
    """resnet_small.resnet_small()'s parameters under nnc's names."""
    out = {"stem.K": m[0].weight, "stem.b": m[0].bias, "bn.gamma": m[1].weight, "bn.beta": m[1].bias,
           "head.W": m[7].weight.t(), "head.b": m[7].bias}
    for name, b in (("block1", m[3]), ("block2", m[4])):
        for c in ("conv1", "conv2", "proj"):
            out[f"{name}.{c}.K"], out[f"{name}.{c}.b"] = getattr(b, c).weight, getattr(b, c).bias
        for c in ("bn1", "bn2", "bnp"):
            out[f"{name}.{c}.gamma"], out[f"{name}.{c}.beta"] = getattr(b, c).weight, getattr(b, c).bias
    return out


def resnet_norms(m):
    """resnet_small's batch norms by nnc's path."""
    out = {"bn": m[1]}
    for name, b in (("block1", m[3]), ("block2", m[4])):
        for c in ("bn1", "bn2", "bnp"):
            out[f"{name}.{c}"] = getattr(b, c)
    return out


def run(init, x, y, train, test, opt, epochs, batch, cosine, make=Net, norms=lambda m: {"n": m.n}):
    """Trains a copy of init (made by make) on rows train in order, batch
    rows a step, and evaluates on rows test; the running statistics of
    norms(model), by nnc path."""
    m = make()
    m.load_state_dict(init.state_dict())
    o = opt(m.parameters())
    steps = epochs * math.ceil(len(train) / batch)
    sched = torch.optim.lr_scheduler.LambdaLR(
        o, lambda t: 0.5 * (1 + math.cos(math.pi * t / steps)) if cosine else 1.0)
    for _ in range(epochs):
        for i in range(0, len(train), batch):
            idx = train[i:i + batch]
            loss = nn.functional.cross_entropy(m(x[idx]), y[idx])
            o.zero_grad()
            loss.backward()
            o.step()
            sched.step()
    m.eval()
    with torch.no_grad():
        logits = m(x[test])
    stats = {k + ".running_mean": bn.running_mean.tolist() for k, bn in norms(m).items()}
    stats.update({k + ".running_var": bn.running_var.tolist() for k, bn in norms(m).items()})
    return {"stats": stats,
            "test_loss": float(nn.functional.cross_entropy(logits, y[test])),
            "test_logits": logits.tolist(), "steps": steps}


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    init = Net()
    write_safetensors(os.path.join(OUT, "init.safetensors"), nnc_names(init))
    results = {}

    x = torch.randn(24, 1, 6, 6) * 2 + 0.5
    y = torch.randint(0, 3, (24,))
    tr, va, te = np.arange(16), np.arange(16, 20), np.arange(20, 24)
    np.savez(os.path.join(OUT, "distinct.npz"), x=x.numpy(), y=y.numpy().astype(np.int32),
             idx_train=tr, idx_val=va, idx_test=te)
    results["distinct"] = run(init, x, y, tr, te,
                              lambda p: torch.optim.SGD(p, lr=0.5, momentum=0.9), 6, 16, False)

    torch.manual_seed(1)
    x = (torch.randn(1, 1, 6, 6) * 2 + 0.5).repeat(40, 1, 1, 1)
    y = torch.full((40,), 2)
    tr, te = np.arange(36), np.arange(36, 40)
    np.savez(os.path.join(OUT, "partial.npz"), x=x.numpy(), y=y.numpy().astype(np.int32),
             idx_train=tr, idx_test=te)
    results["partial"] = run(init, x, y, tr, te,
                             lambda p: torch.optim.SGD(p, lr=0.5, momentum=0.9, nesterov=True,
                                                       weight_decay=5e-4), 3, 16, True)

    sys.path.insert(0, HERE)
    import fashion_cnn
    import resnet_small
    (xs, ys), _ = fashion_cnn.load(fashion_cnn.SMALL)
    x, y = xs[:80], ys[:80]
    tr, te = np.arange(64), np.arange(64, 80)
    np.savez_compressed(os.path.join(OUT, "resnet.npz"), x=x.numpy(), y=y.numpy().astype(np.int32),
                        idx_train=tr, idx_test=te)
    torch.manual_seed(0)
    net = resnet_small.resnet_small()
    fashion_cnn.init_like_nnc(net)
    write_safetensors(os.path.join(OUT, "resnet_init.safetensors"), resnet_names(net))
    results["resnet"] = run(net, x, y, tr, te, resnet_small.sgd, 4, 64, True,
                            make=resnet_small.resnet_small, norms=resnet_norms)
    results["torch"] = torch.__version__
    with open(os.path.join(HERE, "bn_running.json"), "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
