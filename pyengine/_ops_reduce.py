"""Module-level forms of the reductions (torch.sum, torch.max, ...): thin wrappers over the Tensor
methods bound in C++ (csrc/python/reduce_bindings.cpp) that add PyTorch's ``out=`` handling."""
from __future__ import annotations

import builtins

from . import _C, return_types
from ._C import Tensor

__all__ = [
    "all", "amax", "amin", "any", "argmax", "argmin", "count_nonzero", "cumprod", "cumsum", "dist", "logsumexp",
    "max", "mean", "median", "min", "mode", "norm", "prod", "std", "std_mean", "sum", "var", "var_mean",
]


def _dtype_word(dt) -> str:
    return str(dt).replace("torch.", "")


def _out(out, r: Tensor, *, cast: builtins.bool = False) -> Tensor:
    """Writes r into out (Note [out= arguments], csrc/ops/out.h): with cast, any dtype r can be cast
    to (PyTorch's canCast); otherwise the dtypes must match."""
    if out is None:
        return r
    return _C._write_out(out, r, "castable" if cast else "same")


def _out_pair(out, r, name: str):
    if out is None:
        return r
    values, indices = out
    _out(values, r[0])
    _out(indices, r[1])
    return getattr(return_types, name)((values, indices))


def sum(input: Tensor, dim=None, keepdim: builtins.bool = False, *, dtype=None, out=None) -> Tensor:
    if out is not None and dtype is None:
        dtype = out.dtype  # PyTorch sums in the out tensor's dtype
    return _out(out, input.sum(dim, keepdim, dtype=dtype))


def mean(input: Tensor, dim=None, keepdim: builtins.bool = False, *, dtype=None, out=None) -> Tensor:
    return _out(out, input.mean(dim, keepdim, dtype=dtype), cast=True)


def prod(input: Tensor, dim=None, keepdim: builtins.bool = False, *, dtype=None, out=None) -> Tensor:
    if out is not None and dtype is None:
        dtype = out.dtype
    return _out(out, input.prod(dim, keepdim, dtype=dtype))


def _check_out_dtype_matches(input: Tensor, out) -> None:
    """amax/amin: out's dtype must be input's (PyTorch's own message for these two)."""
    if isinstance(out, Tensor) and out.dtype != input.dtype:
        from ._ops_real_complex_api import _scalar_name
        raise RuntimeError(f"Expected the dtype for input and out to match, but got {_scalar_name(input.dtype)} for "
                           f"input's dtype and {_scalar_name(out.dtype)} for out's dtype.")


def amax(input: Tensor, dim=(), keepdim: builtins.bool = False, *, out=None) -> Tensor:
    _check_out_dtype_matches(input, out)
    return _out(out, input.amax(dim, keepdim))


def amin(input: Tensor, dim=(), keepdim: builtins.bool = False, *, out=None) -> Tensor:
    _check_out_dtype_matches(input, out)
    return _out(out, input.amin(dim, keepdim))


def _max_min(name: str, input: Tensor, dim, keepdim, other, out):
    if other is not None or isinstance(dim, Tensor):
        r = getattr(input, name)(other=other if other is not None else dim)
        return _out(out, r)
    if dim is None:
        return _out(out, getattr(input, name)())
    return _out_pair(out, getattr(input, name)(dim, keepdim), name)


def max(input: Tensor, dim=None, keepdim: builtins.bool = False, *, other=None, out=None):
    """max(input) -> 0-d tensor; max(input, dim, keepdim) -> (values, indices); max(input, other)."""
    return _max_min("max", input, dim, keepdim, other, out)


def min(input: Tensor, dim=None, keepdim: builtins.bool = False, *, other=None, out=None):
    """min(input) -> 0-d tensor; min(input, dim, keepdim) -> (values, indices); min(input, other)."""
    return _max_min("min", input, dim, keepdim, other, out)


def argmax(input: Tensor, dim=None, keepdim: builtins.bool = False, *, out=None) -> Tensor:
    return _out(out, input.argmax(dim, keepdim))


def argmin(input: Tensor, dim=None, keepdim: builtins.bool = False, *, out=None) -> Tensor:
    return _out(out, input.argmin(dim, keepdim))


def _logical_out(out, r: Tensor) -> Tensor:
    if out is not None and out.dtype != r.dtype:
        raise RuntimeError("all only supports bool tensor for result, got: %s" % _dtype_word(out.dtype))
    return _out(out, r)


def all(input: Tensor, dim=None, keepdim: builtins.bool = False, *, out=None) -> Tensor:
    return _logical_out(out, input.all(dim, keepdim))


def any(input: Tensor, dim=None, keepdim: builtins.bool = False, *, out=None) -> Tensor:
    return _logical_out(out, input.any(dim, keepdim))


def count_nonzero(input: Tensor, dim=None) -> Tensor:
    return input.count_nonzero(dim)


def logsumexp(input: Tensor, dim, keepdim: builtins.bool = False, *, out=None) -> Tensor:
    r = input.logsumexp(dim, keepdim)
    if out is not None and not out.is_floating_point():
        raise RuntimeError("logsumexp(): Expected floating point type for result tensor, but got: %s"
                           % _dtype_word(out.dtype))
    return _out(out, r, cast=True)


def norm(input: Tensor, p="fro", dim=None, keepdim: builtins.bool = False, out=None, dtype=None) -> Tensor:
    return _out(out, input.norm(p, dim, keepdim, dtype))


def dist(input: Tensor, other: Tensor, p=2) -> Tensor:
    return input.dist(other, p)


def std(input: Tensor, dim=None, unbiased=None, keepdim: builtins.bool = False, *, correction=None,
        out=None) -> Tensor:
    return _out(out, input.std(dim, unbiased, keepdim, correction=correction), cast=True)


def var(input: Tensor, dim=None, unbiased=None, keepdim: builtins.bool = False, *, correction=None,
        out=None) -> Tensor:
    return _out(out, input.var(dim, unbiased, keepdim, correction=correction), cast=True)


def std_mean(input: Tensor, dim=None, unbiased=None, keepdim: builtins.bool = False, *, correction=None):
    return _C._var_mean(input, dim, unbiased, keepdim, correction, True)


def var_mean(input: Tensor, dim=None, unbiased=None, keepdim: builtins.bool = False, *, correction=None):
    return _C._var_mean(input, dim, unbiased, keepdim, correction, False)


def cumsum(input: Tensor, dim, *, dtype=None, out=None) -> Tensor:
    if out is not None and dtype is None:
        dtype = out.dtype
    return _out(out, input.cumsum(dim, dtype=dtype))


def cumprod(input: Tensor, dim, *, dtype=None, out=None) -> Tensor:
    if out is not None and dtype is None:
        dtype = out.dtype
    return _out(out, input.cumprod(dim, dtype=dtype))


def median(input: Tensor, dim=None, keepdim: builtins.bool = False, *, out=None):
    if dim is None:
        return _out(out, input.median())
    return _out_pair(out, input.median(dim, keepdim), "median")


def mode(input: Tensor, dim: builtins.int = -1, keepdim: builtins.bool = False, *, out=None):
    return _out_pair(out, input.mode(dim, keepdim), "mode")
