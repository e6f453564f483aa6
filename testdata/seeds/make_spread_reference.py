"""Reference summaries for nnc.SummarizeSeeds (TestSummarizeSeedsNumPy):
for each case, a metric's values over the runs of several seeds and
NumPy's mean, std(ddof=1), min and max of them (float64). The values are
made up here (the GCN's test accuracies over seeds 0-9 of BENCHMARKS.md,
random losses of varied scales, a single run, equal values, a NaN), not
taken from nnc. For one value the reference deviation is 0, SummarizeSeeds's
rule (NumPy's std(ddof=1) of one value is NaN).

Run with /usr/bin/python3 (numpy) from testdata/seeds/:
    /usr/bin/python3 make_spread_reference.py > spread_reference.json
"""
import json

import numpy as np

rng = np.random.RandomState(13)
cases = {
    "gcn_accuracy": [0.773, 0.785, 0.758, 0.767, 0.777, 0.771, 0.782, 0.762, 0.771, 0.772],
    "five_losses": list(rng.lognormal(-2, 1, 5)),
    "three_large": list(1e6 + rng.normal(0, 1e-3, 3)),
    "twenty": list(rng.uniform(0.8, 1.0, 20)),
    "one": [0.5],
    "equal": [0.25, 0.25, 0.25, 0.25],
    "nan": [0.1, float("nan"), 0.3],
}


def enc(v):
    return "NaN" if np.isnan(v) else float(v)


out = {}
for name, vals in cases.items():
    a = np.array(vals, dtype=np.float64)
    out[name] = {"values": [float(v) if not np.isnan(v) else "NaN" for v in a],
                 "mean": enc(a.mean()), "std": enc(a.std(ddof=1)) if len(a) > 1 else 0.0,
                 "min": enc(a.min()), "max": enc(a.max())}
print(json.dumps(out, indent=1))
