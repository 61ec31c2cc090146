"""Process-wide switches of torch.*: deterministic algorithms (honoured by the kernels with an
order-dependent fast path, csrc/core/determinism.h), anomaly detection (autograd.anomaly_mode), inter-op
threads, flush-denormal."""
from __future__ import annotations

from typing import Union

from . import _C
from .autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled

__all__ = ["use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
           "get_deterministic_debug_mode", "is_anomaly_enabled", "is_anomaly_check_nan_enabled",
           "set_anomaly_enabled", "get_num_interop_threads", "set_num_interop_threads"]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """With mode=True, every op gives the same bits on every run: the CUDA kernels that add with float atomics
    (index_put_ with accumulate, max_pool2d's backward) switch to a serial, ordered path. All other kernels of
    pyengine are deterministic already, so nothing needs to raise or warn; warn_only is recorded for
    is_deterministic_algorithms_warn_only_enabled()."""
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms(): argument 'mode' must be bool, not {type(mode).__name__}")
    _C._autograd._set_deterministic_algorithms(mode, bool(warn_only))


def are_deterministic_algorithms_enabled() -> bool:
    return _C._autograd._deterministic_algorithms()


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _C._autograd._deterministic_algorithms_warn_only()


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode: Union[int, str]) -> None:
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got "
                               f"{debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    if not are_deterministic_algorithms_enabled():
        return 0
    return 1 if is_deterministic_algorithms_warn_only_enabled() else 2


# pyengine runs ops of one thread one after another (no inter-op thread pool): any n >= 1 is honoured, and
# the value set is what get_num_interop_threads reports.
_interop_threads = [1]


def get_num_interop_threads() -> int:
    return _interop_threads[0]


def set_num_interop_threads(num: int) -> None:
    if not isinstance(num, int) or num < 1:
        raise RuntimeError("Number of inter-op threads must be positive")
    _interop_threads[0] = num
