"""Layers the torchvision models use that pyengine lacked: ReLU6 and the channel dropouts."""
from __future__ import annotations

from ..._C import Tensor
from .. import _functional_vision as FV
from .module import Module

__all__ = ["ReLU6", "Dropout1d", "Dropout2d", "Dropout3d"]


class ReLU6(Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return FV.relu6(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class _DropoutNd(Module):
    __constants__ = ["p", "inplace"]
    _fn = None

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(_DropoutNd):
    _fn = staticmethod(FV.dropout1d)


class Dropout2d(_DropoutNd):
    _fn = staticmethod(FV.dropout2d)


class Dropout3d(_DropoutNd):
    _fn = staticmethod(FV.dropout3d)
