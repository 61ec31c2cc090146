"""copy.deepcopy and pickle for tensors, as PyTorch: a deepcopy copies the storage once per memo (views
of one storage stay views of one new storage), keeps requires_grad, grad and the Python attributes, and
refuses non-leaf tensors; a pickle keeps dtype, device, storage offset, sizes, strides and requires_grad.

Attached to Tensor by _install(); Parameter and Buffer have their own __deepcopy__/__reduce_ex__.
"""
from __future__ import annotations

import copy
from typing import Any

import numpy as np

from . import _C
from ._C import Tensor
from .storage import TypedStorage

_NON_LEAF_DEEPCOPY = ("Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at "
                      "the moment.  If you were attempting to deepcopy a module, this may be because of a "
                      "torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001")


def _storage_copy(t: Tensor, memo: dict) -> TypedStorage:
    """A copy of t's whole storage, made once per deepcopy memo so that views keep sharing it."""
    key = ("pyengine.storage", t._storage_ptr(), t.device)
    nbytes = t._storage_nbytes()
    if nbytes and key in memo:
        return memo[key]
    new = TypedStorage(_tensor=_C._storage_tensor(t.detach()).clone())  # detached: no graph
    if nbytes:
        memo[key] = new
    return new


def _deepcopy(self: Tensor, memo: dict) -> Tensor:
    if not self.is_leaf:
        raise RuntimeError(_NON_LEAF_DEEPCOPY)
    if id(self) in memo:
        return memo[id(self)]
    from ._serialization_unpickler import make_tensor
    storage = _storage_copy(self, memo)
    new = make_tensor(storage, self.storage_offset(), tuple(self.shape), self.stride())
    if type(self) is not Tensor:  # a user subclass: same class, aliasing the copy
        sub = type(self).__new__(type(self))
        Tensor.__init__(sub, _alias_of=new)
        new = sub
    if self.requires_grad:
        new.requires_grad_(True)
    memo[id(self)] = new
    if self.grad is not None:
        new.grad = _deepcopy(self.grad, memo)
    attrs = getattr(self, "__dict__", None)
    if attrs:
        new.__dict__.update(copy.deepcopy(attrs, memo))
    return new


def _storage_array(t: Tensor) -> np.ndarray:
    """The whole storage of t as a host numpy array (bfloat16 as its int16 bits)."""
    flat = _C._storage_tensor(t.detach())
    if flat.dtype is _C.bfloat16:
        flat = flat.view(_C.int16)
    return flat.numpy(force=True).copy()


def _rebuild_tensor(data: np.ndarray, dtype, device: str, offset: int, size: tuple, stride: tuple,
                    requires_grad: bool, attrs: dict | None = None) -> Tensor:
    from ._serialization_unpickler import make_tensor
    flat = _C.from_numpy(np.ascontiguousarray(data))
    if dtype is _C.bfloat16:
        flat = flat.view(_C.bfloat16)
    flat = flat._to(dtype, device, False)
    t = make_tensor(TypedStorage(_tensor=flat), offset, tuple(size), tuple(stride), bool(requires_grad))
    if attrs:
        t.__dict__.update(attrs)
    return t


def _reduce_ex(self: Tensor, proto: int) -> tuple[Any, tuple]:
    if type(self) is not Tensor:
        raise TypeError(f"cannot pickle a {type(self).__name__} (Tensor subclass) without its own __reduce_ex__")
    attrs = dict(self.__dict__) if getattr(self, "__dict__", None) else None
    return (_rebuild_tensor, (_storage_array(self), self.dtype, str(self.device), self.storage_offset(),
                              tuple(self.shape), self.stride(), self.requires_grad, attrs))


def _install() -> None:
    Tensor.__deepcopy__ = _deepcopy
    Tensor.__reduce_ex__ = _reduce_ex


_install()
