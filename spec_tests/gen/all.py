"""Runs every generator in this folder, rewriting spec_tests/cases/.

    /usr/bin/python3 spec_tests/gen/all.py && git diff --exit-code spec_tests/cases

The second command checks that the committed cases are exactly what the
scripts produce (they are deterministic: seeded inputs, float64 references).
"""

import os
import runpy

HERE = os.path.dirname(os.path.abspath(__file__))

SCRIPTS = [
    "arith.py", "tensors.py", "lang.py", "model.py", "grad.py", "errors.py",
    "builtins2.py", "layers.py", "constructs.py", "stdnn.py", "errors2.py", "init.py",
    "grad2.py",  # after grad.py: it rewrites only its own files in cases/grad
    "hostile.py",
    "convpool.py",
    "sparse.py",
    "compare.py",
    "intarith.py",
    "index_nd.py",
    "conv3d.py",
]

# Each script keeps the cases that fail today (a bug or a missing feature in
# nnc) in its PENDING list and does not write them.
for script in SCRIPTS:
    runpy.run_path(os.path.join(HERE, script), run_name="__main__")
