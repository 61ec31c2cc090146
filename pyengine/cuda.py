"""pyengine.cuda: devices, streams and events, memory. Without a GPU (or without the CUDA build)
``is_available()`` is False and tensors cannot be moved to ``cuda``."""
from __future__ import annotations

from . import _C
from typing import Any

from ._cuda_memory import (OutOfMemoryError, empty_cache, max_memory_allocated,  # noqa: F401
                           max_memory_cached, max_memory_reserved, mem_get_info, memory_allocated, memory_cached,
                           memory_reserved, memory_stats, memory_stats_as_nested_dict, memory_summary,
                           reset_accumulated_memory_stats, reset_max_memory_allocated, reset_max_memory_cached,
                           reset_peak_memory_stats)
from ._cuda_streams import (Event, Stream, StreamContext, _sleep, current_stream,  # noqa: F401
                            default_stream, set_stream, stream)

_initialized = False


def is_available() -> bool:
    return _C._cuda_device_count() > 0


def device_count() -> int:
    return _C._cuda_device_count()


def is_compiled() -> bool:
    return _C._cuda_compiled()


def _lazy_check() -> None:
    global _initialized
    if not is_available():
        raise RuntimeError("Torch not compiled with CUDA enabled" if not is_compiled()
                           else "Found no NVIDIA driver on your system (no CUDA device is available)")
    _initialized = True


def init() -> None:
    """Initializes CUDA (raises when there is no device, as PyTorch)."""
    _lazy_check()


def is_initialized() -> bool:
    """Whether CUDA has been used in this process (a call of pyengine.cuda or a CUDA allocation)."""
    if _initialized:
        return True
    return is_available() and any(_C._cuda_memory_stats(i)["num_device_alloc"] > 0 for i in range(device_count()))


def _check(device) -> int:
    """A device argument as an index; None and an index-less 'cuda' are the current device."""
    from ._cuda_streams import _index
    return _index(device)


def current_device() -> int:
    _check(None)
    return _C._cuda_current_device()


def set_device(device) -> None:
    _C._cuda_set_device(_check(device))


def synchronize(device=None) -> None:
    """Waits for all work on every stream of `device` (default: the current device)."""
    _C._cuda_synchronize(_check(device))


def _launch_count() -> int:
    """Kernels launched so far by this process, every device (Note [Runtime counters]); private, for tests
    and benchmarks that count launches per step."""
    _lazy_check()
    return _C._cuda_launch_count()


def _sync_count() -> int:
    """Times the host has waited for the device so far (copies to the host, item(), synchronize calls;
    Note [Runtime counters]); private, for tests that check a training step does not synchronise."""
    _lazy_check()
    return _C._cuda_sync_count()


def get_device_name(device=None) -> str:
    return _C._cuda_device_name(_check(device))


class _CudaDeviceProperties:
    """What get_device_properties() returns (the fields of cudaDeviceProp PyTorch exposes)."""

    def __init__(self, props: dict) -> None:
        self.__dict__.update(props)
        self.is_integrated = 0
        self.is_multi_gpu_board = 0
        self.gcnArchName = "NVIDIA CUDA does not have a gcnArchName"

    def __repr__(self) -> str:
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // (1024 * 1024)}MB, "
                f"multi_processor_count={self.multi_processor_count}, "
                f"L2_cache_size={self.L2_cache_size // (1024 * 1024)}MB)")


def get_device_properties(device=None) -> _CudaDeviceProperties:
    return _CudaDeviceProperties(_C._cuda_device_properties(_check(device)))


def get_device_capability(device=None) -> tuple:
    p = get_device_properties(device)
    return (p.major, p.minor)


def get_arch_list() -> list:
    """The architectures the CUDA part was built for (the emulated device plays an sm_90)."""
    return ["sm_90"] if is_available() else []


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return is_available() and get_device_capability()[0] >= 8


def can_device_access_peer(device: Any, peer_device: Any) -> bool:
    a, b = _check(device), _check(peer_device)
    return a != b


class device:
    """`with torch.cuda.device(d):` makes d the current device for the block (None or -1: no change)."""

    def __init__(self, device: Any) -> None:
        if device is None or (isinstance(device, int) and device < 0):
            self.idx = -1
        else:
            self.idx = _check(device)
        self.prev_idx = -1

    def __enter__(self) -> None:
        if self.idx == -1:
            return
        self.prev_idx = current_device()
        if self.prev_idx != self.idx:
            set_device(self.idx)

    def __exit__(self, *exc: Any) -> bool:
        if self.idx != -1 and self.prev_idx != self.idx:
            set_device(self.prev_idx)
        return False


class device_of(device):
    """`with torch.cuda.device_of(t):` the current device is t's while the block runs (no change for a
    CPU tensor)."""

    def __init__(self, obj: Any) -> None:
        super().__init__(obj.get_device() if obj.is_cuda else -1)


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


def seed() -> None:
    """Seeds the current device's default generator with a random number."""
    if is_available():
        _C._default_generator(_C.device("cuda", current_device())).seed()


def seed_all() -> None:
    """Seeds every device's default generator with one random number."""
    import random
    s = random.getrandbits(63)
    manual_seed_all(s)


def get_rng_state_all() -> list:
    return [g.get_state() for g in _default_generators()]


def set_rng_state_all(new_states) -> None:
    for g, st in zip(_default_generators(), new_states):
        g.set_state(st)


def initial_seed() -> int:
    return _C._default_generator(_C.device("cuda", current_device())).initial_seed()
