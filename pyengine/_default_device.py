"""torch.set_default_device / get_default_device: the device that factories use when ``device=`` is not given.

Why wrappers swapped into the ``pyengine`` namespace, and only while a non-CPU default is set: the factories are
C++ bindings whose default is the CPU; a Python layer in front of every factory call would cost each of them a
call even when nobody changed the default. PyTorch scripts (and pyengine's own modules, e.g. ``nn.Linear``) reach
the factories as ``torch.zeros(...)``/``pyengine.empty(...)``, i.e. through the module attribute, so swapping that
attribute is enough for them; setting the CPU (or None) back puts the original bindings back. A name imported
with ``from torch import zeros`` before the default changed keeps the CPU default.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import pyengine

from . import _C

#: The factories whose ``device=None`` means "the default device" in PyTorch.
FACTORY_NAMES = ("arange", "empty", "empty_strided", "eye", "full", "linspace", "logspace", "ones", "zeros",
                 "rand", "randn", "randint", "randperm", "tensor", "as_tensor", "scalar_tensor", "tril_indices",
                 "triu_indices")

_default: Any = None  # a pyengine.device, or None for the CPU
_originals: dict[str, Callable] = {}


def get_default_device() -> Any:
    """The device factories use when given none (``device(type='cpu')`` unless changed)."""
    return _C.device("cpu") if _default is None else _default


def _with_default_device(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def factory(*args, **kwargs):
        if kwargs.get("device") is None:
            if fn.__name__ == "as_tensor" and args and isinstance(args[0], _C.Tensor):
                return fn(*args, **kwargs)  # as_tensor(tensor) keeps the tensor's device, as in PyTorch
            kwargs["device"] = _default
        return fn(*args, **kwargs)
    factory._pe_default_device_wrapper = True
    return factory


def set_default_device(device) -> None:
    """Factories without ``device=`` create tensors on ``device`` from now on (None or 'cpu': the CPU).

    The device is checked when a factory runs, as in PyTorch: ``set_default_device('cuda')`` on a machine without
    CUDA succeeds and the next factory call raises."""
    global _default
    dev = None if device is None else _C.device(device) if not isinstance(device, _C.device) else device
    if dev is not None and dev.type == "cpu" and dev.index is None:
        dev = None
    _default = dev
    if dev is None:
        for name, fn in _originals.items():
            setattr(pyengine, name, fn)
        _originals.clear()
        return
    for name in FACTORY_NAMES:
        current = getattr(pyengine, name, None)
        if current is None or getattr(current, "_pe_default_device_wrapper", False):
            continue
        _originals[name] = current
        setattr(pyengine, name, _with_default_device(current))


# ``with torch.device('cuda'):`` (PyTorch 2.0+): inside the block the device is the default, as with
# set_default_device; leaving it puts back the default that was in force before (blocks nest). A stack per
# process, as PyTorch's device context modes.
_entered: list = []


def _device_enter(self):
    _entered.append(_default)
    set_default_device(self)
    return self


def _device_exit(self, exc_type, exc_value, traceback) -> None:
    set_default_device(_entered.pop())


if not hasattr(_C.device, "__enter__"):
    _C.device.__enter__ = _device_enter
    _C.device.__exit__ = _device_exit
