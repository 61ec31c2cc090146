"""torch.backends: the flags and availability queries that scripts set or ask before they pick a device.

pyengine has no MPS, no cuDNN, no MKL/oneDNN: the queries say so (``mps.is_available()``, ``cudnn.is_available()``
... are False), and the cuDNN flags scripts set (``cudnn.benchmark``, ``cudnn.deterministic``, ...) are accepted and
kept, and change nothing, since no cuDNN algorithm is chosen. ``cuda.matmul.allow_tf32`` (one setting with
``torch.set_float32_matmul_precision``) is honoured: float32 matmuls on CUDA then use TF32 tensor-core inputs.
"""
from __future__ import annotations

from . import cuda, cudnn, mkl, mkldnn, mps, openmp  # noqa: F401

__all__ = ["cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp"]
