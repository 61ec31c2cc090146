"""pyengine.cpu: the CPU caching allocator's memory (as ``pyengine.cuda`` reports the GPU's).

Freed CPU blocks are kept for reuse, within a budget: after each free the cache holds at most
``min(limit, max(128 MiB, 2 x memory_allocated(), the block just freed))`` bytes, returning the
blocks freed longest ago to the system first (Note [Caching allocator] in csrc/core/allocator.cpp; docs/design-notes.md,
"Memory"). ``limit`` comes from ``PYENGINE_CPU_CACHE_LIMIT`` (bytes, or with a K/M/G suffix,
powers of 1024) at import, or ``set_cache_limit``; 0 turns caching off.
"""
from __future__ import annotations

import os
import re

from . import _C

__all__ = ["is_available", "device_count", "current_device", "synchronize", "empty_cache", "memory_allocated",
           "memory_reserved", "set_cache_limit", "get_cache_limit"]

_SUFFIXES = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def is_available() -> bool:
    return True


def device_count() -> int:
    return 1


def current_device() -> str:
    return "cpu"


def synchronize(device=None) -> None:
    """CPU work is done when the call returns: nothing to wait for."""


def empty_cache() -> None:
    """Return every cached (freed, kept for reuse) CPU block to the system."""
    _C._cpu_empty_cache()


def memory_allocated(device=None) -> int:
    """Bytes of CPU memory held by live tensors (rounded up to the allocator's size classes)."""
    return _C._cpu_memory_allocated()


def memory_reserved(device=None) -> int:
    """Bytes the CPU allocator holds: ``memory_allocated()`` plus the cached free blocks."""
    return _C._cpu_memory_reserved()


def set_cache_limit(nbytes: int) -> None:
    """Keep at most ``nbytes`` of freed CPU blocks cached (0: no caching); the excess is freed now."""
    if isinstance(nbytes, bool) or not isinstance(nbytes, int) or nbytes < 0:
        raise ValueError("set_cache_limit: expected a non-negative int number of bytes, got %r" % (nbytes,))
    _C._cpu_set_cache_limit(min(nbytes, (1 << 64) - 1))


def get_cache_limit() -> int:
    return _C._cpu_cache_limit()


def _parse_limit(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+)\s*([KMGT]?)(?:i?B)?\s*", text, re.IGNORECASE)
    if m is None:
        raise ValueError("PYENGINE_CPU_CACHE_LIMIT=%r: expected a number of bytes, optionally with a K, M, G or T "
                         "suffix (powers of 1024), e.g. 512M" % text)
    return int(m.group(1)) * _SUFFIXES[m.group(2).upper()]


if os.environ.get("PYENGINE_CPU_CACHE_LIMIT"):
    set_cache_limit(_parse_limit(os.environ["PYENGINE_CPU_CACHE_LIMIT"]))
