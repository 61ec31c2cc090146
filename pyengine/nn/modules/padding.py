"""The padding layers (ZeroPad, ConstantPad, ReflectionPad, ReplicationPad, CircularPad, 1-3d): the padding kept
as PyTorch does (an int expanded to 2 * nd entries), the work is F.pad."""
from __future__ import annotations

from typing import Sequence

from ..._C import Tensor
from .. import functional as F
from .module import Module

__all__ = ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d"]


def _padding(padding, nd: int) -> tuple:
    if isinstance(padding, int):
        return (padding,) * (2 * nd)
    padding = tuple(padding)
    if len(padding) != 2 * nd:
        raise ValueError(f"Padding must be an int or a {2 * nd}-tuple, got {len(padding)} values")
    return padding


class _PadNd(Module):
    __constants__ = ["padding"]
    _nd = 1
    _mode = "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _padding(padding, self._nd)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    __constants__ = ["padding", "value"]

    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


def _make(name: str, base, nd: int, mode: str, doc: str):
    bases = base if isinstance(base, tuple) else (base,)
    return type(name, bases, {"_nd": nd, "_mode": mode, "__doc__": doc, "__module__": __name__})


ConstantPad1d = _make("ConstantPad1d", _ConstantPadNd, 1, "constant", "Pads the last dim with a constant.")
ConstantPad2d = _make("ConstantPad2d", _ConstantPadNd, 2, "constant", "Pads the last 2 dims with a constant.")
ConstantPad3d = _make("ConstantPad3d", _ConstantPadNd, 3, "constant", "Pads the last 3 dims with a constant.")


class _ZeroPadMixin:
    """ZeroPadNd is ConstantPadNd with value 0 (a subclass of it, as in PyTorch)."""

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


ZeroPad1d = _make("ZeroPad1d", (_ZeroPadMixin, ConstantPad1d), 1, "constant", "Pads the last dim with zeros.")
ZeroPad2d = _make("ZeroPad2d", (_ZeroPadMixin, ConstantPad2d), 2, "constant", "Pads the last 2 dims with zeros.")
ZeroPad3d = _make("ZeroPad3d", (_ZeroPadMixin, ConstantPad3d), 3, "constant", "Pads the last 3 dims with zeros.")
ReflectionPad1d = _make("ReflectionPad1d", _PadNd, 1, "reflect", "Pads the last dim with its mirror image.")
ReflectionPad2d = _make("ReflectionPad2d", _PadNd, 2, "reflect", "Pads the last 2 dims with their mirror image.")
ReflectionPad3d = _make("ReflectionPad3d", _PadNd, 3, "reflect", "Pads the last 3 dims with their mirror image.")
ReplicationPad1d = _make("ReplicationPad1d", _PadNd, 1, "replicate", "Pads the last dim by repeating its edge.")
ReplicationPad2d = _make("ReplicationPad2d", _PadNd, 2, "replicate", "Pads the last 2 dims by repeating edges.")
ReplicationPad3d = _make("ReplicationPad3d", _PadNd, 3, "replicate", "Pads the last 3 dims by repeating edges.")
CircularPad1d = _make("CircularPad1d", _PadNd, 1, "circular", "Pads the last dim by wrapping around.")
CircularPad2d = _make("CircularPad2d", _PadNd, 2, "circular", "Pads the last 2 dims by wrapping around.")
CircularPad3d = _make("CircularPad3d", _PadNd, 3, "circular", "Pads the last 3 dims by wrapping around.")
