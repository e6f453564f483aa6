"""Shared helpers for the conformance-case generators.

Each generator script in this folder holds .nn programs, their inputs and a
reference computation in NumPy/PyTorch (float64), and writes one txtar file
per case under spec_tests/cases/<topic>/. Run any script from anywhere:

    /usr/bin/python3 spec_tests/gen/arith.py

Inputs are drawn as small multiples of 1/16 (or 1/32), which f32 and f64 hold
exactly, so the reference sees the same numbers nnc does.
"""

import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(os.path.dirname(HERE), "cases")


def rng(seed):
    """A seeded NumPy generator: every case is reproducible."""
    return np.random.default_rng(seed)


def grid(r, shape, lo=-2.0, hi=2.0, step=16):
    """Random values in [lo, hi] that are multiples of 1/step (exact in f32)."""
    v = r.integers(int(lo * step), int(hi * step) + 1, size=shape) / step
    return np.asarray(v, dtype=np.float64)


def to_list(a):
    """A NumPy value as nested lists (or a number for a scalar)."""
    a = np.asarray(a)
    if a.dtype.kind in "iu":
        return a.astype(int).tolist()
    return a.astype(float).tolist()


def value_json(a):
    """Inline JSON of a value: a number or nested arrays."""
    return json.dumps(to_list(a), separators=(", ", ": "))


def tensor_json(a, dtype):
    """An expectation: {"dtype":..., "shape":..., "data": flat row-major}."""
    if dtype == "bool":
        a = np.asarray(a, dtype=bool)
        return json.dumps({"dtype": dtype, "shape": list(a.shape), "data": [bool(x) for x in a.reshape(-1)]})
    a = np.asarray(a, dtype=np.float64 if dtype in ("f32", "f64") else np.int64)
    if dtype == "f32":  # 9 significant digits are more than an f32 holds
        data = [float("%.9g" % x) for x in a.reshape(-1)]
    elif dtype == "f64":
        data = [float(x) for x in a.reshape(-1)]
    else:
        data = [int(x) for x in a.reshape(-1)]
    if dtype in ("f32", "f64"):  # the case format spells non-finite values as strings
        data = [x if np.isfinite(x) else "NaN" if np.isnan(x) else "Inf" if x > 0 else "-Inf" for x in data]
    return json.dumps({"dtype": dtype, "shape": list(a.shape), "data": data})


def pos(src, needle, nth=0, offset=0):
    """The 1-based "line:col" of the nth occurrence of needle in src, plus offset bytes."""
    i = -1
    for _ in range(nth + 1):
        i = src.index(needle, i + 1)
    i += offset
    line = src.count("\n", 0, i) + 1
    col = i - (src.rfind("\n", 0, i) + 1) + 1
    return "%d:%d" % (line, col)


def line_of(src, needle, nth=0):
    """The 1-based line of the nth occurrence of needle in src."""
    return pos(src, needle, nth).split(":")[0]


class Case:
    """One conformance case; write() renders it as txtar."""

    def __init__(self, topic, name, header, program, entry):
        self.topic, self.name = topic, name
        self.header = header.strip()
        self.program = program.strip("\n") + "\n"
        self.entry = entry
        self.inputs = []   # (name, value)
        self.params = []   # (path, value)
        self.outs = []     # (dtype, value)
        self.grads = []    # (name, dtype, value)
        self.tol = None    # (rel, abs)
        self.errors = []   # "main.nn:L:C: fragment ... fragment"
        self.codes = []    # the stable codes of the errors, in order
        self.files = []    # (name, source) of other .nn files beside main.nn

    def input(self, name, value):
        self.inputs.append((name, np.asarray(value)))
        return self

    def param(self, path, value):
        self.params.append((path, np.asarray(value)))
        return self

    def out(self, value, dtype="f32"):
        self.outs.append((dtype, np.asarray(value)))
        return self

    def grad(self, name, value, dtype="f32"):
        self.grads.append((name, dtype, np.asarray(value)))
        return self

    def tolerance(self, rel, abs_):
        self.tol = (rel, abs_)
        return self

    def error(self, line):
        self.errors.append(line)
        return self

    def file(self, name, source):
        self.files.append((name, source.strip("\n") + "\n"))
        return self

    def code(self, *codes):
        self.codes.extend(codes)
        return self

    def render(self):
        files = [("main.nn", self.program)] + self.files + [("entry", self.entry + "\n")]
        for n, v in self.inputs:
            files.append(("in/%s.json" % n, value_json(v) + "\n"))
        for p, v in self.params:
            files.append(("params/%s.json" % p, value_json(v) + "\n"))
        if len(self.outs) == 1:
            files.append(("out.json", tensor_json(self.outs[0][1], self.outs[0][0]) + "\n"))
        else:
            for i, (dt, v) in enumerate(self.outs):
                files.append(("out%d.json" % i, tensor_json(v, dt) + "\n"))
        for n, dt, v in self.grads:
            files.append(("grad/%s.json" % n, tensor_json(v, dt) + "\n"))
        if self.tol:
            files.append(("tol", "%g %g\n" % self.tol))
        if self.errors:
            files.append(("error", "".join(e + "\n" for e in self.errors)))
        if self.codes:
            files.append(("code", " ".join(self.codes) + "\n"))
        text = self.header + "\n"
        for name, body in files:
            text += "-- %s --\n%s" % (name, body)
        return text

    def write(self):
        d = os.path.join(CASES, self.topic)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, self.name + ".txtar"), "w") as f:
            f.write(self.render())


def write_all(cases):
    """Writes every case and removes stale .txtar files of the same topics."""
    topics = {c.topic for c in cases}
    keep = {(c.topic, c.name + ".txtar") for c in cases}
    for t in topics:
        d = os.path.join(CASES, t)
        if os.path.isdir(d):
            for f in os.listdir(d):
                if f.endswith(".txtar") and (t, f) not in keep:
                    os.remove(os.path.join(d, f))
    for c in cases:
        c.write()
    print("wrote %d cases (%s)" % (len(cases), ", ".join(sorted(topics))))


def select(cases, pending):
    """The cases to write: those not named "topic/name" in pending. With
    SPEC_PENDING=1 in the environment, only the pending ones instead, to see
    how they fail (then rerun without it to restore the committed cases):

        SPEC_PENDING=1 /usr/bin/python3 spec_tests/gen/all.py
        go test ./spec_tests/ ; /usr/bin/python3 spec_tests/gen/all.py
    """
    names = set(pending)
    known = {c.topic + "/" + c.name for c in cases}
    for p in names - known:
        raise SystemExit("PENDING names no case: %s" % p)
    if os.environ.get("SPEC_PENDING") == "1":
        return [c for c in cases if c.topic + "/" + c.name in names]
    return [c for c in cases if c.topic + "/" + c.name not in names]
