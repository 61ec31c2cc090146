"""torch.backends: the flags and availability queries that scripts set or ask before they pick a device.

pyengine has no MPS, no cuDNN, no MKL/oneDNN and no TF32 path: the queries say so (``mps.is_available()``,
``cudnn.is_available()`` ... are False), and the flags scripts set (``cudnn.benchmark``, ``cudnn.deterministic``,
``cuda.matmul.allow_tf32``, ...) are accepted and kept, and change nothing, since no cuDNN algorithm is chosen
and every float32 matmul already runs in full float32 precision (what ``allow_tf32=False`` asks for, and what
``allow_tf32=True`` permits).
"""
from __future__ import annotations

from . import cuda, cudnn, mkl, mkldnn, mps, openmp  # noqa: F401

__all__ = ["cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp"]
