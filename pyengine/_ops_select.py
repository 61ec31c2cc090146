"""Function forms of the selection and shaping ops (sort, topk, gather/scatter, index_*, masks,
cat/stack, flip/roll, ...). Most are the C++ functions themselves (bound in
csrc/python/select_bindings*.cpp with PyTorch's argument names); the ones here only compose them:
aliases (concat, concatenate, row_stack), the *stack family, atleast_*d, one-argument where."""
from __future__ import annotations

import builtins
from typing import Any, Optional, Sequence

from . import _C
from ._C import (  # noqa: F401
    Tensor, allclose, argsort, argwhere, diag_embed, equal, flip, fliplr, flipud, gather, index_add, index_copy,
    index_fill, index_put, index_select, isclose, kthvalue, masked_fill, masked_select, msort, narrow_copy, nonzero,
    repeat_interleave, roll, scatter, scatter_add, scatter_reduce, sort, stack, take, take_along_dim, topk,
)
from . import return_types  # noqa: F401

__all__ = [
    "allclose", "argsort", "argwhere", "atleast_1d", "atleast_2d", "atleast_3d", "cat", "column_stack", "concat",
    "concatenate", "diag_embed", "dstack", "equal", "flip", "fliplr", "flipud", "gather", "hstack", "index_add",
    "index_copy", "index_fill", "index_put", "index_select", "isclose", "kthvalue", "masked_fill", "masked_select",
    "msort", "narrow_copy", "nonzero", "repeat_interleave", "return_types", "roll", "row_stack", "scatter", "scatter_add",
    "scatter_reduce", "sort", "split", "stack", "take", "take_along_dim", "topk", "vstack",
]


def cat(tensors: Sequence[Tensor], dim: builtins.int = 0, *, axis: Optional[builtins.int] = None,
        out: Optional[Tensor] = None) -> Tensor:
    """Concatenates along ``dim``; dtypes promote; 1-d empty tensors are skipped (legacy rule)."""
    return _C._cat(tensors, dim if axis is None else axis, out)


concat = cat


def concatenate(tensors: Sequence[Tensor], axis: builtins.int = 0, *, dim: Optional[builtins.int] = None,
                out: Optional[Tensor] = None) -> Tensor:
    return _C._cat(tensors, axis if dim is None else dim, out)


def _seq(tensors: Any, name: str) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError("%s(): argument 'tensors' (position 1) must be tuple of Tensors, not %s"
                        % (name, type(tensors).__name__))
    if not tensors:
        raise RuntimeError("%s expects a non-empty TensorList" % name)
    return list(tensors)


def _atleast(ndim: builtins.int, tensors: tuple):
    def one(t: Tensor) -> Tensor:
        if not isinstance(t, Tensor):
            raise TypeError("atleast_%dd(): expected Tensor, got %s" % (ndim, type(t).__name__))
        if t.dim() >= ndim:
            return t
        if ndim == 1:
            return t.reshape(1)
        if ndim == 2:
            return t.reshape(1, 1) if t.dim() == 0 else t.unsqueeze(0)
        if t.dim() == 0:
            return t.reshape(1, 1, 1)
        return t.reshape(1, -1, 1) if t.dim() == 1 else t.unsqueeze(-1)
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return one(tensors[0])
    seq = tensors[0] if len(tensors) == 1 else tensors
    return tuple(one(t) for t in seq)


def atleast_1d(*tensors):
    return _atleast(1, tensors)


def atleast_2d(*tensors):
    return _atleast(2, tensors)


def atleast_3d(*tensors):
    return _atleast(3, tensors)


def hstack(tensors: Sequence[Tensor], *, out: Optional[Tensor] = None) -> Tensor:
    ts = [atleast_1d(t) for t in _seq(tensors, "hstack")]
    return _C._cat(ts, 0 if ts[0].dim() == 1 else 1, out)


def vstack(tensors: Sequence[Tensor], *, out: Optional[Tensor] = None) -> Tensor:
    return _C._cat([atleast_2d(t) for t in _seq(tensors, "vstack")], 0, out)


row_stack = vstack


def dstack(tensors: Sequence[Tensor], *, out: Optional[Tensor] = None) -> Tensor:
    return _C._cat([atleast_3d(t) for t in _seq(tensors, "dstack")], 2, out)


def column_stack(tensors: Sequence[Tensor], *, out: Optional[Tensor] = None) -> Tensor:
    ts = [t.reshape(t.numel(), 1) if t.dim() <= 1 else t for t in _seq(tensors, "column_stack")]
    return _C._cat(ts, 1, out)


def split(tensor: Tensor, split_size_or_sections, dim: builtins.int = 0) -> tuple:
    """torch.split: an int chunk size or a list of sizes."""
    return tensor.split(split_size_or_sections, dim)
