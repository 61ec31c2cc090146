"""torch.backends.openmp: pyengine's CPU kernels are always built with OpenMP (CMakeLists requires it)."""
from __future__ import annotations


def is_available() -> bool:
    return True
