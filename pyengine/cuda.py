"""pyengine.cuda: device queries. Without a GPU (or without the CUDA build) ``is_available()`` is
False and tensors cannot be moved to ``cuda``."""
from __future__ import annotations

from . import _C


def is_available() -> bool:
    return _C._cuda_device_count() > 0


def device_count() -> int:
    return _C._cuda_device_count()


def is_compiled() -> bool:
    return _C._cuda_compiled()


def _check(device) -> int:
    if not is_available():
        raise RuntimeError("Torch not compiled with CUDA enabled" if not is_compiled()
                           else "Found no NVIDIA driver on your system (no CUDA device is available)")
    if device is None:
        return 0
    if isinstance(device, int):
        return device
    d = _C.device(device)
    return 0 if d.index is None else d.index


def current_device() -> int:
    _check(None)
    return _C._cuda_current_device()


def set_device(device) -> None:
    _C._cuda_set_device(_check(device))


def synchronize(device=None) -> None:
    _C._cuda_synchronize(_check(device))


def empty_cache() -> None:
    _C._cuda_empty_cache()


def memory_allocated(device=None) -> int:
    return _C._cuda_memory_allocated(_check(device)) if is_available() else 0


def memory_reserved(device=None) -> int:
    return _C._cuda_memory_reserved(_check(device)) if is_available() else 0


def get_device_name(device=None) -> str:
    return _C._cuda_device_name(_check(device))


def manual_seed(seed: int) -> None:
    """CUDA draws from the same Philox stream as the CPU (see csrc/core/rng.h)."""
    _C.manual_seed(seed)


manual_seed_all = manual_seed
