# gen.py: ONNX models exported by PyTorch and their outputs computed by
# PyTorch, for TestONNXTorchModels. Run with /usr/bin/python3 (torch 1.13):
#   cd testdata/onnx/torch && /usr/bin/python3 gen.py
import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=1, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.pool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, groups=4, bias=False)
        self.pool2 = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)
        self.fc = nn.Linear(8 * 4 * 4, 16)
        self.ln = nn.LayerNorm(16)
        self.head = nn.Linear(16, 5)

    def forward(self, x):
        h = self.pool1(torch.relu(self.bn1(self.conv1(x))))
        h = self.pool2(torch.nn.functional.leaky_relu(self.conv2(h), 0.1))
        h = torch.flatten(h, 1)
        h = nn.functional.gelu(self.ln(self.fc(h)))
        return torch.softmax(self.head(h), dim=1)


class Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(6, 5, batch_first=True)
        self.fc = nn.Linear(5, 3)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.fc(y)


def export(name, model, x, opset, dynamic):
    model.eval()
    with torch.no_grad():
        y = model(x)
    axes = {"x": {0: "batch"}, "y": {0: "batch"}} if dynamic else None
    torch.onnx.export(model, x, name + ".onnx", input_names=["x"], output_names=["y"],
                      dynamic_axes=axes, opset_version=opset)
    np.save(name + "_x.npy", x.numpy())
    np.save(name + "_y.npy", y.numpy())


mlp = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
export("mlp", mlp, torch.randn(5, 64), 13, True)

cnn = CNN()
with torch.no_grad():  # statistics other than the initial ones
    cnn.bn1.running_mean.uniform_(-0.5, 0.5)
    cnn.bn1.running_var.uniform_(0.5, 2.0)
    cnn.bn1.weight.uniform_(0.5, 1.5)
    cnn.bn1.bias.uniform_(-0.5, 0.5)
export("cnn", cnn, torch.randn(2, 3, 16, 16), 17, False)

export("lstm", Seq(), torch.randn(2, 4, 6), 13, False)


class GRUSeq(nn.Module):
    """A GRU (PyTorch exports linear_before_reset = 1, nn.GRU's form)."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(6, 5, batch_first=True)
        self.fc = nn.Linear(5, 3)

    def forward(self, x):
        y, _ = self.gru(x)
        return self.fc(y)


class SelfAttention(nn.Module):
    """Causal single-head self-attention written out (MatMul, Softmax and a
    mask), as transformer exports are."""

    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(8, 24)
        self.out = nn.Linear(8, 8)

    def forward(self, x):
        q, k, v = self.qkv(x).split(8, dim=-1)
        s = q @ k.transpose(-2, -1) / 8 ** 0.5
        t = x.shape[1]
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)
        s = s.masked_fill(mask, float("-inf"))
        return self.out(torch.softmax(s, dim=-1) @ v)


export("gru", GRUSeq(), torch.randn(2, 4, 6), 13, False)
export("attention", SelfAttention(), torch.randn(2, 5, 8), 14, False)


class BiSeq(nn.Module):
    """A bidirectional recurrent layer (ONNX direction "bidirectional",
    which imports as cells written out with scan): every step's output of
    both directions through a Linear head, plus the final hidden state (and
    for an LSTM the final cell state) of both directions."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn
        self.fc = nn.Linear(10, 3)
        self.fh = nn.Linear(10, 3)

    def forward(self, x):
        y, h = self.rnn(x)
        if isinstance(h, tuple):
            h = h[0] + 0.5 * h[1]
        last = h.transpose(0, 1).reshape(x.shape[0], -1)
        return self.fc(y) + self.fh(last).unsqueeze(1)


export("birnn", BiSeq(nn.RNN(6, 5, nonlinearity="relu", bidirectional=True, batch_first=True)), torch.randn(2, 4, 6), 13, False)
export("bigru", BiSeq(nn.GRU(6, 5, bidirectional=True, batch_first=True)), torch.randn(2, 4, 6), 13, False)
export("bilstm", BiSeq(nn.LSTM(6, 5, bidirectional=True, batch_first=True)), torch.randn(2, 4, 6), 13, False)
