"""PyTorch side of models/fashion_cnn.nn: the same network (3x3
convolutions of 32, 64 and 128 channels, padded, each with batch norm and
relu, the first two with 2x2 max pooling; dense 6272-128 with relu and
dropout 0.3; 10 logits),
initialized as nnc's std/nn does (He-uniform kernels, Glorot-uniform dense
weights, zero biases, batch norm's gamma 1 and beta 0), pixels / 255, the
same augmentation (each training image zero-padded by 2 and cut back to
28x28 at a uniform offset, then mirrored left to right with probability
1/2, drawn anew every epoch), Adam (lr 2e-3) with a per-step cosine from
2e-3 to 0 over the run, batches of 128 reshuffled every epoch (the last one
partial), in float32, one thread. The random draws differ from nnc's (no
seed makes them equal across the two).

Modes (run from models/torch/ with /usr/bin/python3, torch 1.13):
    fashion_cnn.py small   # data/fashion_small/ (2,000 / 500), 2 epochs, seeds 0-4:
                           # the brief test TestFashionCNNSmall's threshold
    fashion_cnn.py short   # the first 10,000 official training images, 1 epoch, the official
                           # test set, seeds 0-1: TestFashionCNNShort (NNC_FULL=1)
    fashion_cnn.py full    # the official sets, 20 epochs, seed 0: the model's run
Each mode adds its entry to fashion_cnn.json: the final test accuracy and
loss and the last epoch's mean training loss per seed, and the seconds per
epoch (training steps only).
"""
import gzip
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
from threads import set_threads
from torch import nn

set_threads(1)

OFFICIAL = os.environ.get("FASHION_MNIST", "/usr/share/datasets/fashion-mnist")
SMALL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "fashion_small")


def read_idx(path):
    """Reads a gzipped IDX file of unsigned bytes."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw[4 + 4 * ndim:], np.uint8).reshape(dims)


def load(folder, n_train=None):
    """The training and test sets of a folder of the four official files:
    images [N, 1, 28, 28] as float32 pixels / 255, labels int64; with
    n_train, the first n_train training images only."""
    out = []
    for img, lab in (("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
                     ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")):
        x = read_idx(os.path.join(folder, img)).astype(np.float32) / 255.0
        y = read_idx(os.path.join(folder, lab)).astype(np.int64)
        out.append((torch.tensor(x[:, None]), torch.tensor(y)))
    if n_train is not None:
        out[0] = (out[0][0][:n_train], out[0][1][:n_train])
    return out


def augment(x, gen, crop=2):
    """torchvision's RandomCrop(28, padding=crop) then RandomHorizontalFlip,
    image by image, on a batch [B, C, H, W]."""
    b, _, h, w = x.shape
    padded = nn.functional.pad(x, (crop, crop, crop, crop))
    off = torch.randint(0, 2 * crop + 1, (b, 2), generator=gen)
    flip = torch.rand(b, generator=gen) < 0.5
    out = torch.empty_like(x)
    for i in range(b):
        r, c = int(off[i, 0]), int(off[i, 1])
        img = padded[i, :, r:r + h, c:c + w]
        out[i] = img.flip(-1) if flip[i] else img
    return out


def init_like_nnc(model):
    """He-uniform convolution kernels (std/nn Conv2D), Glorot-uniform dense
    weights (Dense), zero biases."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_uniform_(m.weight, nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)


def fashion_cnn():
    """models/fashion_cnn.nn's FashionCNN."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(128, 10))


def evaluate(model, x, y, batch=1000):
    model.eval()
    correct, loss = 0, 0.0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            logits = model(x[i:i + batch])
            loss += float(nn.functional.cross_entropy(logits, y[i:i + batch], reduction="sum"))
            correct += int((logits.argmax(1) == y[i:i + batch]).sum())
    model.train()
    return correct / len(x), loss / len(x)


def adam(params):
    """fashion_cnn.nn's optimizer: adam(lr = 2e-3)."""
    return torch.optim.Adam(params, lr=2e-3)


def train(make, optimizer, sets, seed, epochs, batch=128, crop=2, log=print):
    """Trains make() with optimizer(params) and a per-step cosine from its
    learning rate to 0; returns the final test accuracy, loss, the seconds
    of each epoch's training steps and the last epoch's mean step loss (as
    nnc's train_loss)."""
    (xtr, ytr), (xte, yte) = sets
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = make()
    init_like_nnc(model)
    opt = optimizer(model.parameters())
    steps = epochs * math.ceil(len(xtr) / batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 0.5 * (1 + math.cos(math.pi * t / steps)))
    times = []
    for epoch in range(epochs):
        start = time.perf_counter()
        perm = torch.randperm(len(xtr), generator=gen)
        total, n = 0.0, 0
        for i in range(0, len(xtr), batch):
            idx = perm[i:i + batch]
            loss = nn.functional.cross_entropy(model(augment(xtr[idx], gen, crop)), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total, n = total + float(loss), n + 1
        times.append(time.perf_counter() - start)
        acc, tl = evaluate(model, xte, yte)
        log(f"seed {seed} epoch {epoch + 1}: {times[-1]:.1f} s, train loss {total / n:.4f}, "
            f"test accuracy {acc:.4f}, loss {tl:.4f}")
    acc, tl = evaluate(model, xte, yte)
    return acc, tl, times, total / n


# mode: (folder, training images (None: all), epochs, seeds); full's epochs
# are the model file's (main's full_epochs)
MODES = {"small": (SMALL, None, 2, [0, 1, 2, 3, 4]),
         "short": (OFFICIAL, 10000, 1, [0, 1]),
         "full": (OFFICIAL, None, None, [0])}


def main(name, make, optimizer, out, full_epochs):
    mode = sys.argv[1] if len(sys.argv) > 1 else "small"
    folder, n_train, epochs, seeds = MODES[mode]
    epochs = epochs or full_epochs
    sets = load(folder, n_train)
    runs = [train(make, optimizer, sets, s, epochs) for s in seeds]
    accs = [r[0] for r in runs]
    entry = {"data": os.path.relpath(folder, os.path.dirname(out)) if folder == SMALL else folder,
             "train_images": len(sets[0][0]), "test_images": len(sets[1][0]),
             "epochs": epochs, "seeds": seeds, "test_accuracy": accs,
             "test_loss": [r[1] for r in runs],
             "train_loss": [r[3] for r in runs],
             "mean_accuracy": float(np.mean(accs)), "min_accuracy": float(np.min(accs)),
             "std_accuracy": float(np.std(accs, ddof=1)) if len(accs) > 1 else 0.0,
             "epoch_seconds": [t for r in runs for t in r[2]],
             "torch": torch.__version__, "threads": torch.get_num_threads()}
    doc = {}
    if os.path.exists(out):
        with open(out) as f:
            doc = json.load(f)
    doc["model"] = name
    doc[mode] = entry
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(json.dumps(entry))


if __name__ == "__main__":
    main("models/fashion_cnn.nn", fashion_cnn, adam, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fashion_cnn.json"), 20)
