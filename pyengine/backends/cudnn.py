"""torch.backends.cudnn: pyengine has no cuDNN (its CUDA kernels are its own), so ``is_available()`` is False and
``version()`` None. The flags (enabled, benchmark, deterministic, allow_tf32) are plain module attributes with
PyTorch's defaults, settable as scripts do (``torch.backends.cudnn.benchmark = True``) and through ``flags()``;
they select nothing because there is no cuDNN algorithm to select.
"""
from __future__ import annotations

import contextlib
import sys
from typing import Iterator

enabled: bool = True
benchmark: bool = False
benchmark_limit: int = 10
deterministic: bool = False
allow_tf32: bool = True


def is_available() -> bool:
    return False


def version() -> None:
    return None


def is_acceptable(tensor) -> bool:
    """Whether cuDNN would take this tensor: never, since there is no cuDNN."""
    return False


@contextlib.contextmanager
def flags(enabled: bool = False, benchmark: bool = False, benchmark_limit: int = 10, deterministic: bool = False,
          allow_tf32: bool = True) -> Iterator[None]:
    """Sets the flags inside the block and restores them after (PyTorch's signature and defaults)."""
    module = sys.modules[__name__]
    names = ("enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32")
    saved = {n: getattr(module, n) for n in names}
    for n, v in zip(names, (enabled, benchmark, benchmark_limit, deterministic, allow_tf32)):
        setattr(module, n, v)
    try:
        yield
    finally:
        for n, v in saved.items():
            setattr(module, n, v)
