"""DataLoader(pin_memory=True): each batch's tensors are copied to pinned (page-locked) host memory,
so that ``.to('cuda', non_blocking=True)`` can copy them asynchronously. Containers keep their type
as PyTorch's pin_memory does (mappings, namedtuples, sequences; objects with a pin_memory() method)."""
from __future__ import annotations

import collections.abc
from typing import Any


def pin_memory(data: Any) -> Any:
    import pyengine
    if isinstance(data, pyengine.Tensor):
        return data.pin_memory()
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        pinned = {k: pin_memory(v) for k, v in data.items()}
        try:
            return type(data)(pinned) if not isinstance(data, dict) or type(data) is not dict else pinned
        except TypeError:
            return pinned
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return type(data)(*(pin_memory(x) for x in data))
    if isinstance(data, tuple):
        return tuple(pin_memory(x) for x in data)
    if isinstance(data, collections.abc.Sequence):
        try:
            return type(data)([pin_memory(x) for x in data])
        except TypeError:
            return [pin_memory(x) for x in data]
    if hasattr(data, "pin_memory"):
        return data.pin_memory()
    return data
