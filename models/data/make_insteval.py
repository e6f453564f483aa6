"""Writes insteval_{train,val,test}.npz from lme4's InstEval data set.

InstEval (R package lme4, GPL >= 2; Debian's r-cran-lme4): 73,421 ratings
(1 to 5) that 2,972 students (s) gave 1,128 lecturers (d) in ETH Zurich's
course evaluations. This keeps the student, the lecturer and the rating,
as ids from 0 in the order of the R factors' levels, and splits the ratings
80/10/10 at random (NumPy's default_rng(0) permutation).

Without R: fetch the package and unpack it, then run this with the data
folder (python3-rdata from the same .deb way, it needs no xarray here):

    apt-get download r-cran-lme4 python3-rdata
    dpkg-deb -x r-cran-lme4_*.deb x && dpkg-deb -x python3-rdata_*.deb x
    /usr/bin/python3 models/data/make_insteval.py x/usr/lib/R/site-library/lme4/data \
        x/usr/lib/python3/dist-packages
"""
import gzip
import os
import sys
import types
import zlib

import numpy as np


def read_lazyload(folder, name):
    """One object of an R lazy-load database (Rdata.rdx index, Rdata.rdb)."""
    import rdata
    idx = gzip.decompress(open(os.path.join(folder, "Rdata.rdx"), "rb").read())
    index = rdata.conversion.convert(rdata.parser.parse_data(b"RDX3\n" + idx))
    off, n = (int(v) for v in index["variables"][name])
    blob = open(os.path.join(folder, "Rdata.rdb"), "rb").read()[off:off + n]
    obj = zlib.decompress(blob[4:])  # 4 bytes of length, then zlib
    return rdata.conversion.convert(rdata.parser.parse_data(b"RDX3\n" + obj))


def main(folder, pylib=None):
    if pylib:
        sys.path.insert(0, pylib)
    if "xarray" not in sys.modules:  # rdata imports it only for type hints here
        sys.modules["xarray"] = types.SimpleNamespace(DataArray=object)
    df = read_lazyload(folder, "InstEval")
    u = df["s"].cat.codes.to_numpy().astype(np.int16)
    i = df["d"].cat.codes.to_numpy().astype(np.int16)
    r = df["y"].to_numpy().astype(np.uint8)
    assert len(r) == 73421 and u.max() == 2971 and i.max() == 1127 and r.min() == 1 and r.max() == 5
    perm = np.random.default_rng(0).permutation(len(r))
    a, b = int(0.8 * len(r)), int(0.9 * len(r))
    here = os.path.dirname(os.path.abspath(__file__))
    for name, rows in (("train", perm[:a]), ("val", perm[a:b]), ("test", perm[b:])):
        rows = np.sort(rows)
        np.savez_compressed(os.path.join(here, "insteval_%s.npz" % name), u=u[rows], i=i[rows], r=r[rows])
        print(name, len(rows))


if __name__ == "__main__":
    main(*sys.argv[1:])
