"""The device-specific (deprecated in PyTorch, still widely used) forms ``torch.cuda.amp`` and ``torch.cpu.amp``.

``pyengine.cuda`` and ``pyengine.cpu`` are modules, not packages: these two modules are registered in
``sys.modules`` as ``pyengine.cuda.amp`` / ``pyengine.cpu.amp`` (and as attributes), so both
``torch.cuda.amp.GradScaler`` and ``from torch.cuda.amp import autocast`` resolve.
"""
from __future__ import annotations

import functools
import sys
import types
import warnings
from typing import Optional

from . import autocast_mode
from .grad_scaler import GradScaler as _GradScaler


def _make(device_type: str, default_dtype: str) -> types.ModuleType:
    mod = types.ModuleType(f"pyengine.{device_type}.amp", f"torch.{device_type}.amp: autocast and GradScaler "
                                                          f"for {device_type} (the device-specific forms).")

    class autocast(autocast_mode.autocast):
        def __init__(self, enabled: bool = True, dtype=None, cache_enabled: bool = True) -> None:
            warnings.warn(f"`torch.{device_type}.amp.autocast(args...)` is deprecated. Please use "
                          f"`torch.amp.autocast('{device_type}', args...)` instead.", FutureWarning, stacklevel=2)
            import pyengine
            super().__init__(device_type, dtype=getattr(pyengine, default_dtype) if dtype is None else dtype,
                             enabled=enabled, cache_enabled=cache_enabled)

        def __call__(self, func):
            @functools.wraps(func)
            def wrapper(*args, **kwargs):
                with autocast_mode.autocast(device_type, dtype=self.fast_dtype, enabled=self._enabled):
                    return func(*args, **kwargs)
            return wrapper

    autocast.__module__ = mod.__name__
    mod.autocast = autocast
    if device_type == "cuda":
        class GradScaler(_GradScaler):
            def __init__(self, init_scale: float = 2.0**16, growth_factor: float = 2.0, backoff_factor: float = 0.5,
                         growth_interval: int = 2000, enabled: bool = True) -> None:
                warnings.warn("`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
                              "`torch.amp.GradScaler('cuda', args...)` instead.", FutureWarning, stacklevel=2)
                super().__init__("cuda", init_scale=init_scale, growth_factor=growth_factor,
                                 backoff_factor=backoff_factor, growth_interval=growth_interval, enabled=enabled)

        GradScaler.__module__ = mod.__name__
        mod.GradScaler = GradScaler

        def custom_fwd(fwd=None, *, cast_inputs: Optional[object] = None):
            return autocast_mode.custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)

        def custom_bwd(bwd=None):
            return autocast_mode.custom_bwd(bwd, device_type="cuda")

        mod.custom_fwd, mod.custom_bwd = custom_fwd, custom_bwd
    return mod


def install() -> None:
    import pyengine
    for device_type, dtype in (("cuda", "float16"), ("cpu", "bfloat16")):
        mod = _make(device_type, dtype)
        sys.modules[mod.__name__] = mod
        setattr(getattr(pyengine, device_type), "amp", mod)
