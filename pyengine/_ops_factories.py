"""Factories beyond the core ones: logspace, empty_strided, empty_permuted, scalar_tensor and the deprecated
torch.range. Checked against PyTorch by the op_db suite and tests/python/test_ops_tail.py."""
from __future__ import annotations

import builtins
import warnings
from typing import Optional, Sequence

import numpy as np

from ._C import Tensor
from ._functions import _check_layout
from ._ops_reduce import _out

__all__ = ["logspace", "empty_strided", "empty_permuted", "scalar_tensor", "range"]


def _pe():
    import pyengine
    return pyengine


def _number(value, what: str, name: str):
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"{name}() expected a 0-dimensional tensor for '{what}' but got a tensor with "
                               f"{value.dim()} dimensions")
        return value.item()
    return value


def logspace(start, end, steps: int, base: float = 10.0, *, out: Optional[Tensor] = None, dtype=None,
             layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """base ** linspace(start, end, steps), evaluated in float64 from both ends (as PyTorch's kernel) and
    converted to dtype (integer dtypes truncate)."""
    pe = _pe()
    _check_layout(layout, "logspace")
    start, end = _number(start, "start", "logspace"), _number(end, "end", "logspace")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    if dtype is None:
        dtype = out.dtype if out is not None else pe.get_default_dtype()
    i = np.arange(steps, dtype=np.float64)
    if steps > 1:
        step = (float(end) - float(start)) / (steps - 1)
        half = steps // 2
        exponent = np.where(i < half, float(start) + step * i, float(end) - step * (steps - 1 - i))
    else:
        exponent = np.full(steps, float(start))
    values = np.power(float(base), exponent)
    t = pe.tensor(values, dtype=pe.float64, device=device).to(dtype)
    if requires_grad:
        t.requires_grad_(True)
    return _out(out, t) if out is not None else t


def empty_strided(size: Sequence[int], stride: Sequence[int], *, dtype=None, layout=None, device=None,
                  requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    pe = _pe()
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: {list(size)}")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: "
                           f"{list(stride)}")
    extent = 0 if any(s == 0 for s in size) else 1 + builtins.sum((n - 1) * st for n, st in zip(size, stride))
    base = pe.empty(extent, dtype=dtype, layout=layout, device=device, pin_memory=pin_memory)
    t = base.as_strided(size, stride)
    # A fresh leaf, not a view of the flat buffer (as PyTorch's empty_strided).
    t = t.detach()
    return t.requires_grad_(True) if requires_grad else t


def empty_permuted(size: Sequence[int], physical_layout: Sequence[int], *, dtype=None, layout=None, device=None,
                   requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """An uninitialised tensor of logical shape ``size`` whose dimensions lie in memory in the order
    ``physical_layout`` (outermost first)."""
    pe = _pe()
    size, order = tuple(size), tuple(physical_layout)
    if sorted(order) != list(builtins.range(len(size))):
        raise RuntimeError(f"Number of dimensions in size does not match the length of the physical_layout; "
                           f"i.e. len(size) = {len(size)} is not equal to len(physical_layout) = {len(order)}"
                           if len(order) != len(size) else "physical_layout must be a permutation of the dims")
    physical = pe.empty([size[d] for d in order], dtype=dtype, layout=layout, device=device, pin_memory=pin_memory)
    inverse = [0] * len(order)
    for position, d in enumerate(order):
        inverse[d] = position
    t = physical.permute(inverse)
    return t.requires_grad_(True) if requires_grad else t


def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
                  pin_memory: bool = False) -> Tensor:
    pe = _pe()
    _check_layout(layout, "scalar_tensor")
    t = pe.tensor(s, dtype=dtype if dtype is not None else pe.get_default_dtype(), device=device)
    if pin_memory:
        t = t.pin_memory()
    return t.requires_grad_(True) if requires_grad else t


def range(start=0, end=None, step=1, *, out: Optional[Tensor] = None, dtype=None, layout=None, device=None,
          requires_grad: bool = False) -> Tensor:
    """Deprecated in PyTorch: [start, end] inclusive, in the default float dtype unless dtype is given."""
    pe = _pe()
    _check_layout(layout, "range")
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).", UserWarning, stacklevel=2)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (step > 0 and start > end) or (step < 0 and start < end):
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    n = int(np.floor((float(end) - float(start)) / float(step))) + 1
    dtype = dtype if dtype is not None else (out.dtype if out is not None else pe.get_default_dtype())
    values = float(start) + float(step) * np.arange(n, dtype=np.float64)
    t = pe.tensor(values, dtype=pe.float64, device=device).to(dtype)
    if requires_grad:
        t.requires_grad_(True)
    return _out(out, t) if out is not None else t


def _new_empty_strided(self: Tensor, size: Sequence[int], stride: Sequence[int], *, dtype=None, layout=None,
                       device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    return empty_strided(size, stride, dtype=self.dtype if dtype is None else dtype, layout=layout,
                         device=self.device if device is None else device, requires_grad=requires_grad,
                         pin_memory=pin_memory)


if not hasattr(Tensor, "new_empty_strided"):
    Tensor.new_empty_strided = _new_empty_strided
