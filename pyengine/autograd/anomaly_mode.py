"""torch.autograd.detect_anomaly / set_detect_anomaly: while enabled (with check_nan), backward raises at the
first node that returns a NaN gradient, naming it (the engine checks, csrc/autograd/anomaly_mode.h). Unlike
PyTorch, the forward traceback of that node is not recorded."""
from __future__ import annotations

import functools
import warnings

from .. import _C

__all__ = ["detect_anomaly", "set_detect_anomaly"]


def _set(enabled: bool, check_nan: bool) -> None:
    _C._autograd._set_anomaly_enabled(bool(enabled), bool(check_nan))


def _state():
    return _C._autograd._is_anomaly_enabled(), _C._autograd._is_anomaly_check_nan_enabled()


class detect_anomaly:
    """Context manager (or decorator) enabling anomaly detection for its duration."""

    def __init__(self, check_nan: bool = True) -> None:
        self.prev = _C._autograd._is_anomaly_enabled()
        self.check_nan = check_nan
        self.prev_check_nan = _C._autograd._is_anomaly_check_nan_enabled()
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", stacklevel=2)

    def __enter__(self) -> None:
        _set(True, self.check_nan)

    def __exit__(self, *args) -> None:
        _set(self.prev, self.prev_check_nan)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Sets anomaly detection on or off; as a context manager, restores the previous state on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev, self.prev_check_nan = _state()
        _set(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *args) -> None:
        _set(self.prev, self.prev_check_nan)


def is_anomaly_enabled() -> bool:
    return _C._autograd._is_anomaly_enabled()


def is_anomaly_check_nan_enabled() -> bool:
    return _C._autograd._is_anomaly_check_nan_enabled()


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    _set(enabled, check_nan)
