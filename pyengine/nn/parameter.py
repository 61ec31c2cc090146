"""nn.Parameter and nn.Buffer: markers that make Module attribute assignment register a tensor.

A Parameter is a pyengine.Tensor subclass that aliases its data (same storage, no copy) through the
C++ hook ``Tensor.__init__(obj, _alias_of=data)``; ops on it return plain Tensors, as in PyTorch.
"""
from __future__ import annotations

from .. import _C
from .._C import Tensor

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "is_lazy"]


class Parameter(Tensor):
    """A Tensor that Module.__setattr__ registers as a parameter; requires grad by default."""

    _is_parameter_class = True

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        if data is None:
            data = _C.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
        Tensor.__init__(self, _alias_of=data)
        self.requires_grad_(requires_grad)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.detach().clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self.detach(), self.requires_grad))

    def __repr__(self) -> str:
        return Tensor.__repr__(self)


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class Buffer(Tensor):
    """``nn.Buffer(data, persistent=True)``: assigning one to a Module attribute registers a buffer.

    As in PyTorch, the module stores a plain Tensor (the marker class does not survive registration).
    """

    def __init__(self, data: Tensor | None = None, *, persistent: bool = True) -> None:
        if data is None:
            data = _C.empty(0)
        Tensor.__init__(self, _alias_of=data)
        self.persistent = persistent

    def __deepcopy__(self, memo):
        return self.detach().clone()


from ._uninitialized import UninitializedBuffer, UninitializedParameter, is_lazy  # noqa: E402,F401
