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


def _default_generators() -> list:
    return [_C._default_generator(_C.device("cuda", i)) for i in range(device_count())]


def manual_seed(seed: int) -> None:
    """Seeds the current device's default generator (each device has one; csrc/core/rng.h). Without a
    GPU there is nothing to seed (PyTorch defers the call until CUDA starts)."""
    if is_available():
        _C._default_generator(_C.device("cuda", current_device())).manual_seed(seed)


def manual_seed_all(seed: int) -> None:
    for g in _default_generators():
        g.manual_seed(seed)


def get_rng_state(device="cuda"):
    return _C._default_generator(_C.device(device) if isinstance(device, str) else device).get_state()


def set_rng_state(new_state, device="cuda") -> None:
    _C._default_generator(_C.device(device) if isinstance(device, str) else device).set_state(new_state)


def initial_seed() -> int:
    return _C._default_generator(_C.device("cuda", current_device())).initial_seed()
