"""set_threads: PyTorch's thread count, and OpenBLAS's with it.

torch.set_num_threads does not reach the BLAS when it is Debian's
libopenblas0-pthread (OpenBLAS's own threads, one per core unless told
otherwise): PyTorch's matrix products would then run on every core while
the rest of the step runs on one. The twins here are one-thread references,
so both are set.
"""
import ctypes

import torch


def set_threads(n):
    """Sets PyTorch's intra-op threads and OpenBLAS's to n."""
    torch.set_num_threads(n)
    for lib in ("libopenblas.so.0", "libblas.so.3"):
        try:
            ctypes.CDLL(lib).openblas_set_num_threads(n)
        except (OSError, AttributeError):
            pass
