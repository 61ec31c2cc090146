"""The masked operations: each replaces the masked-out elements by the identity of its reduction (0 for sums,
1 for products, -inf/+inf or the integer extremes for max/min, NaN for the median), then runs the ordinary
op, so gradients flow to the kept elements only. ``mask`` (bool, or converted to bool) broadcasts to the
input; ``mask=None`` keeps every element. Checked against PyTorch by the op_db suite."""
from __future__ import annotations

import builtins
import math
from typing import Optional, Sequence, Tuple, Union

DimOrDims = Union[None, int, Sequence[int]]


def _pe():
    import pyengine
    return pyengine


_WIDENED = ("uint8", "bool", "int8", "int16", "int32")


def _canonical_dim(dim: DimOrDims, ndim: int) -> Tuple[int, ...]:
    if dim == () or dim is None:
        return tuple(range(ndim))
    n = max(ndim, 1)
    dims = []
    for d in ((dim,) if isinstance(dim, int) else dim):
        if d in dims:
            raise RuntimeError(f"dim={d} appears multiple times in the list of dims")
        if d >= n or d < -n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
        dims.append(d % n)
    return tuple(sorted(dims))


def _input_mask(input, mask):
    if tuple(mask.shape) != tuple(input.shape):
        if mask.dim() > input.dim():
            raise IndexError("_input_mask expected broadcastable mask (got mask dimensionality higher than of the "
                             "input)")
        mask = mask.expand(input.shape)
    return mask.to(_pe().bool)


def _identity(op: str, input, ord=2):
    pe = _pe()
    dtype = input.dtype
    floating = input.is_floating_point()
    if op in ("sum", "cumsum", "mean", "var"):
        return 0
    if op in ("prod", "cumprod"):
        return 1
    if op in ("amax", "argmax", "logaddexp", "logsumexp"):
        return -math.inf if floating else (pe.iinfo(dtype).min if dtype != pe.bool else False)
    if op in ("amin", "argmin"):
        return math.inf if floating else (pe.iinfo(dtype).max if dtype != pe.bool else True)
    if op == "norm":
        return math.inf if ord == -math.inf else 0
    if op == "median":
        return math.nan
    raise NotImplementedError(f"identity of {op} on {dtype} input")


def _combine(op: str, input, mask, ord=2):
    if mask is None:
        return input
    fill = _identity(op, input, ord)
    pe = _pe()
    return pe.where(_input_mask(input, mask), input, pe.tensor(fill, dtype=input.dtype, device=input.device))


def _sum_dtype(input, dtype):
    if dtype is not None:
        return dtype
    return _pe().int64 if str(input.dtype).split(".")[-1] in _WIDENED else input.dtype


def sum(input, dim: DimOrDims = None, *, keepdim: bool = False, dtype=None, mask=None):
    dtype = _sum_dtype(input, dtype)
    return _combine("sum", input, mask).sum(_canonical_dim(dim, input.dim()), builtins.bool(keepdim), dtype=dtype)


def prod(input, dim: DimOrDims = None, *, keepdim: bool = False, dtype=None, mask=None):
    dtype = _sum_dtype(input, dtype)
    result = _combine("prod", input, mask).to(dtype)
    for d in reversed(_canonical_dim(dim, input.dim())):
        result = result.prod(dim=d, keepdim=builtins.bool(keepdim))
    return result


def cumsum(input, dim: int, *, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.dim())[0]
    return _combine("sum", input, mask).cumsum(d, dtype=dtype).to(dtype)


def cumprod(input, dim: int, *, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.dim())[0]
    return _combine("prod", input, mask).cumprod(d, dtype=dtype).to(dtype)


def amax(input, dim: DimOrDims = None, *, keepdim: bool = False, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    return _combine("amax", input, mask).amax(_canonical_dim(dim, input.dim()), builtins.bool(keepdim)).to(dtype)


def amin(input, dim: DimOrDims = None, *, keepdim: bool = False, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    return _combine("amin", input, mask).amin(_canonical_dim(dim, input.dim()), builtins.bool(keepdim)).to(dtype)


def argmax(input, dim: Optional[int] = None, *, keepdim: bool = False, dtype=None, mask=None):
    # PyTorch converts the indices to `dtype`, which defaults to the input's.
    dtype = input.dtype if dtype is None else dtype
    return _combine("argmax", input, mask).argmax(dim, builtins.bool(keepdim)).to(dtype)


def argmin(input, dim: Optional[int] = None, *, keepdim: bool = False, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    return _combine("argmin", input, mask).argmin(dim, builtins.bool(keepdim)).to(dtype)


def mean(input, dim: DimOrDims = None, *, keepdim: bool = False, dtype=None, mask=None):
    pe = _pe()
    source = "Optional"
    if dtype is None:
        dtype, source = input.dtype, "Input"
    if not dtype.is_floating_point:
        raise ValueError(f"mean(): Could not infer output dtype. {source} dtype must be either a floating point "
                         f"or complex dtype. Got: {dtype}")
    if mask is None:
        count = sum(pe.ones(tuple(input.shape), dtype=pe.int64, device=input.device), dim, keepdim=keepdim)
        total = sum(input, dim, keepdim=keepdim, dtype=dtype)
    else:
        inmask = _input_mask(input, mask)
        count = inmask.sum(dim=_canonical_dim(dim, input.dim()), keepdim=builtins.bool(keepdim))
        total = sum(input, dim, keepdim=keepdim, dtype=dtype, mask=inmask)
    return total / count


def median(input, dim: int = -1, *, keepdim: bool = False, dtype=None, mask=None):
    pe = _pe()
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.dim())[0]
    is_float = input.is_floating_point()
    if not is_float:
        input = input.to(pe.float32)
    output = pe.nanmedian(_combine("median", input, mask), d, keepdim).values
    if is_float:
        return output
    if not builtins.bool(output.isnan().any()):
        return output.to(dtype)
    raise ValueError("masked median expects no fully masked out rows if dtype is not floating point")


def logsumexp(input, dim: DimOrDims = None, *, keepdim: bool = False, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    dims = _canonical_dim(dim, input.dim())
    return _pe().logsumexp(_combine("logsumexp", input, mask), dims, keepdim=keepdim).to(dtype)


def logaddexp(input, other, *, dtype=None, input_mask=None, other_mask=None):
    dtype = input.dtype if dtype is None else dtype
    a = _combine("logaddexp", input, input_mask)
    b = _combine("logaddexp", other, other_mask)
    return _pe().logaddexp(a, b).to(dtype)


def norm(input, ord: float = 2.0, dim: DimOrDims = None, *, keepdim: bool = False, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    masked = _combine("norm", input, mask, ord)
    return _pe().linalg.vector_norm(masked, ord, _canonical_dim(dim, input.dim()), builtins.bool(keepdim),
                                    dtype=dtype)


def _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, take_sqrt: bool):
    pe = _pe()
    if unbiased is not None and correction is not None:
        raise RuntimeError("Only one of unbiased and correction may be given")
    corr = 1.0
    if unbiased is not None:
        corr = 1.0 if unbiased else 0.0
    if correction is not None:
        corr = float(correction)
    if dtype is None:
        dtype = input.dtype if input.is_floating_point() else pe.float32
    compute_dtype = dtype if dtype.is_floating_point else pe.float32
    if mask is None:
        count = sum(pe.ones(tuple(input.shape), dtype=pe.int64, device=input.device), dim, keepdim=True)
        sample_total = sum(input, dim, keepdim=True, dtype=dtype)
        inmask = None
    else:
        inmask = _input_mask(input, mask)
        count = inmask.sum(dim=_canonical_dim(dim, input.dim()), keepdim=True)
        sample_total = sum(input, dim, keepdim=True, dtype=dtype, mask=inmask)
    x = input - sample_total / count
    total = sum(x * x, dim, keepdim=keepdim, dtype=compute_dtype, mask=inmask)
    if not keepdim:
        count = count.reshape(total.shape)
    if corr != 0:
        count = count.to(compute_dtype) - corr
        count = pe.maximum(count, pe.zeros((), dtype=count.dtype, device=count.device))
    output = (total / count).to(dtype)
    return output.sqrt() if take_sqrt else output


def var(input, dim: DimOrDims = None, unbiased: Optional[bool] = None, *, correction=None, keepdim: bool = False,
        dtype=None, mask=None):
    return _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, False)


def std(input, dim: DimOrDims = None, unbiased: Optional[bool] = None, *, correction=None, keepdim: bool = False,
        dtype=None, mask=None):
    return _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, True)


def softmax(input, dim: int, *, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.dim())[0]
    return _pe().nn.functional.softmax(_combine("amax", input, mask), d, dtype=dtype)


def log_softmax(input, dim: int, *, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.dim())[0]
    return _pe().nn.functional.log_softmax(_combine("amax", input, mask), d, dtype=dtype)


def softmin(input, dim: int, *, dtype=None, mask=None):
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.dim())[0]
    return _pe().nn.functional.softmin(_combine("amin", input, mask), d, dtype=dtype)


def normalize(input, ord: float, dim: int, *, eps: float = 1e-12, dtype=None, mask=None):
    pe = _pe()
    dtype = input.dtype if dtype is None else dtype
    masked = _combine("sum", input, mask)
    nrm = norm(input, ord, dim, keepdim=True, dtype=dtype, mask=mask)
    return masked / pe.maximum(nrm, pe.full((), eps, dtype=nrm.dtype, device=nrm.device))
