"""Reference data for params_torch_test.go: PyTorch modules' state_dicts
saved as safetensors, with inputs and the modules' outputs as .npy.

Run with Debian's python3-torch: /usr/bin/python3 make.py (in this folder);
/usr/bin/python3 make.py conv3d makes the Conv3d case alone.
The safetensors writer is written out here (the format is a little-endian
u64 header length, a JSON header, then the raw tensors) because Debian has
no python3-safetensors; it writes each tensor as the state_dict holds it.
"""
import json
import struct
import sys

import numpy as np
import torch
from torch import nn

DT = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.int32: "I32"}


def save_safetensors(path, sd):
    header, blobs, off = {}, [], 0
    for name in sorted(sd):
        t = sd[name].detach().contiguous().cpu()
        b = t.numpy().tobytes()
        header[name] = {"dtype": DT[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class CNN(nn.Module):
    """Conv, batch norm (evaluation mode, non-trivial running statistics),
    relu, max pool and a Linear head; the convolution and the norm sit in
    a Sequential, so their names need a rename to the .nn model's."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4))
        self.fc = nn.Linear(64, 5)

    def forward(self, x):
        h = torch.max_pool2d(torch.relu(self.features(x)), 2)
        return self.fc(h.reshape(x.shape[0], 64))


class LSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 4)
        self.rnn = nn.LSTM(4, 8, batch_first=True)
        self.head = nn.Linear(8, 3)

    def forward(self, ids):
        return self.head(self.rnn(self.embed(ids))[0])


class Conv3D(nn.Module):
    """Two Conv3d layers: kernel (3, 2, 2), stride (1, 2, 1), padding
    (1, 0, 1), then a grouped 1x1x1 one."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv3d(2, 4, (3, 2, 2), stride=(1, 2, 1), padding=(1, 0, 1))
        self.c2 = nn.Conv3d(4, 2, 1, groups=2)

    def forward(self, x):
        return self.c2(torch.relu(self.c1(x)))


def fit(m, inp, steps=30):
    """Trains m briefly (Adam, mean squared error towards fixed random
    targets), so that the weights checked are trained ones, not an
    initialization's; the module is left in evaluation mode."""
    m.train()
    with torch.no_grad():
        target = torch.randn_like(m(inp))
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.mse_loss(m(inp), target).backward()
        opt.step()
    m.eval()


def save_case(name, m, inp):
    """Trains m briefly and saves its state_dict, inp and m(inp)."""
    fit(m, inp)
    with torch.no_grad():
        out = m(inp)
    save_safetensors(name + ".safetensors", m.state_dict())
    np.save(name + "_in.npy", inp.numpy().astype(np.int32 if inp.dtype == torch.int64 else np.float32))
    np.save(name + "_out.npy", out.numpy())


def conv3d():
    """The Conv3d case, with a seed of its own (added after the others:
    'make.py conv3d' makes it alone, leaving their files as they are)."""
    torch.manual_seed(11)
    save_case("conv3d", Conv3D().eval(), torch.randn(2, 2, 4, 6, 5))


def main():
    if sys.argv[1:] == ["conv3d"]:
        conv3d()
        return
    torch.manual_seed(7)
    mlp = MLP().eval()
    x = torch.randn(4, 6)
    cnn = CNN().eval()
    bn = cnn.features[1]
    with torch.no_grad():
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.2, 0.2)
    bn.num_batches_tracked.fill_(3)
    img = torch.randn(3, 2, 8, 8)
    lstm = LSTM().eval()
    with torch.no_grad():
        for p in lstm.rnn.parameters():
            p.uniform_(-0.5, 0.5)  # non-zero biases, every gate distinct
    ids = torch.randint(0, 10, (2, 5))
    block = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation="gelu",
                                       batch_first=True, norm_first=True).eval()
    with torch.no_grad():
        for p in block.parameters():
            p.add_(0.1 * torch.randn_like(p))  # non-trivial norms and biases
    seq = torch.randn(2, 5, 8)
    cases = {"mlp": (mlp, x), "cnn": (cnn, img), "lstm": (lstm, ids), "block": (block, seq)}
    for name, (m, inp) in cases.items():
        save_case(name, m, inp)
    # An f64 copy of the MLP's weights: loading it needs an explicit conversion.
    save_safetensors("mlp_f64.safetensors", {k: v.double() for k, v in mlp.state_dict().items()})
    conv3d()


if __name__ == "__main__":
    main()
