"""torch.backends.mkl: pyengine does not use Intel MKL."""
from __future__ import annotations


def is_available() -> bool:
    return False
