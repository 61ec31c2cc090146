"""UninitializedParameter / UninitializedBuffer: placeholders of lazy modules until their shape is known.

``materialize(shape)`` gives the tensor its storage and turns it into a regular Parameter in place (same object,
so optimizers and hooks that already hold it keep working), as PyTorch. A buffer cannot change class to the
C++ Tensor type in place, so it becomes a plain-behaving Tensor subclass; lazy modules then swap it for a plain
Tensor alias of the same storage.
"""
from __future__ import annotations

import pyengine as torch

from .._C import Tensor
from .parameter import Parameter

__all__ = ["UninitializedParameter", "UninitializedBuffer", "is_lazy"]

class UninitializedTensorMixin:
    """What the uninitialized tensors share: no shape yet, ``materialize`` gives them one."""

    cls_to_become: type

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Allocates the tensor (``torch.empty(shape)``) and turns it into ``cls_to_become`` in place."""
        if device is None:
            device = self.data.device
        if dtype is None:
            dtype = self.data.dtype
        self.data = torch.empty(shape, device=device, dtype=dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. This error usually "
                           "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
                           "initialized one. Call `forward` to initialize the parameters before accessing their "
                           "attributes.")

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
                           "initialize the parameters before calling `module.share_memory()`.")

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (self.__class__, (self.requires_grad,))


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter whose shape is not known yet (the parameters of ``Lazy*`` modules)."""

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        data = torch.empty(0, device=device, dtype=dtype)
        Parameter.__init__(self, data, requires_grad)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.requires_grad, self.data.device, self.data.dtype)
        memo[id(self)] = result
        return result


class _MaterializedBuffer(Tensor):
    """What an UninitializedBuffer becomes (lazy modules replace it by a plain Tensor alias right away)."""


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (the running statistics of ``LazyBatchNorm*``)."""

    cls_to_become = _MaterializedBuffer

    def __init__(self, requires_grad: bool = False, device=None, dtype=None) -> None:
        Tensor.__init__(self, _alias_of=torch.empty(0, device=device, dtype=dtype))
        self.requires_grad_(requires_grad)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.requires_grad, self.data.device, self.data.dtype)
        memo[id(self)] = result
        return result


def is_lazy(param) -> bool:
    """Whether ``param`` is still uninitialized."""
    return isinstance(param, UninitializedTensorMixin)
