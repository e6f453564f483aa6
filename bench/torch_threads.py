"""set_threads for the benchmark scripts: models/torch/threads.py (PyTorch's
thread count and OpenBLAS's with it)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "torch"))
from threads import set_threads  # noqa: E402,F401
