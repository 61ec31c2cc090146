"""torch.accelerator: the device-agnostic API that current tutorials use to pick a device
(``device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"``).

pyengine's only accelerator is CUDA, so each function follows ``pyengine.cuda`` and looks it up at call time: it
answers for a real CUDA device, and for an emulated one when ``pyengine.cuda`` reports one. Without an accelerator
the queries answer as PyTorch's do (False, None, 0) and the device-touching calls raise PyTorch's RuntimeError.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

from . import _C

__all__ = ["current_accelerator", "current_device_idx", "current_device_index", "device_count", "device_index",
           "empty_cache", "is_available", "max_memory_allocated", "max_memory_reserved", "memory_allocated",
           "memory_reserved", "reset_peak_memory_stats", "set_device_idx", "set_device_index", "synchronize"]

_NONE_AVAILABLE = "Cannot access accelerator device when none is available."


def _cuda():
    from . import cuda
    return cuda


def is_available() -> bool:
    return _cuda().is_available()


def device_count() -> int:
    return _cuda().device_count() if is_available() else 0


def current_accelerator(check_available: bool = False):
    """``device(type='cuda')`` when CUDA is compiled in (and available, if check_available), else None."""
    cuda = _cuda()
    if not cuda.is_compiled() and not cuda.is_available():
        return None
    if check_available and not cuda.is_available():
        return None
    return _C.device("cuda")


def _require() -> Any:
    if not is_available():
        raise RuntimeError(_NONE_AVAILABLE)
    return _cuda()


def _index(device) -> int | None:
    """An index from an int, a 'cuda[:i]' string or device, or None (the current device)."""
    if device is None or isinstance(device, int):
        return device
    d = device if isinstance(device, _C.device) else _C.device(device)
    if d.type != "cuda":
        raise ValueError(f"{d.type} doesn't match the current accelerator cuda.")
    return d.index


def current_device_index() -> int:
    return _require().current_device()


current_device_idx = current_device_index


def set_device_index(device, /) -> None:
    cuda = _require()
    idx = _index(device)
    if idx is not None and idx != -1:
        cuda.set_device(idx)


set_device_idx = set_device_index


def synchronize(device=None, /) -> None:
    _require().synchronize(_index(device))


@contextlib.contextmanager
def device_index(device, /) -> Iterator[None]:
    """Makes ``device`` the current accelerator device inside the block (None: no change)."""
    if device is None:
        yield
        return
    cuda = _require()
    previous = cuda.current_device()
    cuda.set_device(_index(device))
    try:
        yield
    finally:
        cuda.set_device(previous)


def _memory_query(name: str):
    def query(device=None, /) -> int:
        cuda = _require()
        fn = getattr(cuda, name, None)
        if fn is None:
            raise NotImplementedError(f"torch.accelerator.{name}: pyengine.cuda has no {name}")
        return fn(_index(device)) if name != "empty_cache" else fn()
    query.__name__ = name
    query.__doc__ = f"pyengine.cuda.{name} for the accelerator (RuntimeError when none is available)."
    return query


memory_allocated = _memory_query("memory_allocated")
memory_reserved = _memory_query("memory_reserved")
max_memory_allocated = _memory_query("max_memory_allocated")
max_memory_reserved = _memory_query("max_memory_reserved")
reset_peak_memory_stats = _memory_query("reset_peak_memory_stats")


def empty_cache() -> None:
    _require().empty_cache()
