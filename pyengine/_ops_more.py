"""torch.* functions composed from the engine's differentiable ops (so gradients and devices come for free):
broadcasting helpers, shape utilities (movedim, tile, rot90, tensor_split, meshgrid, ...), products (einsum,
tensordot, kron, inner), elementwise compositions (addcmul, hypot, logaddexp, xlogy, logit, sinc, ...),
nan-reductions, differences and integrals, binning (bincount, histc, bucketize, searchsorted, isin, unique),
finfo/iinfo. Checked against PyTorch by the op_db suite (tests/python/test_opinfo.py) and
tests/python/test_ops_more.py.
"""
from __future__ import annotations

import builtins
import math
from typing import List, Optional, Tuple

import numpy as np

from . import _C
from ._C import Tensor

__all__ = [
    "addcmul", "addcdiv", "deg2rad", "rad2deg", "hypot", "logaddexp", "logaddexp2", "xlogy", "heaviside",
    "copysign", "signbit", "isneginf", "isposinf", "logit", "sinc", "nansum", "nanmean", "diff", "ravel",
    "movedim", "moveaxis", "tile", "rot90", "broadcast_to", "broadcast_tensors", "broadcast_shapes", "meshgrid",
    "cartesian_prod", "tensordot", "kron", "inner", "block_diag", "diagflat", "tensor_split", "hsplit", "vsplit",
    "dsplit", "logcumsumexp", "trapezoid", "trapz", "cumulative_trapezoid", "einsum", "searchsorted", "bucketize",
    "bincount", "histc", "isin", "tril_indices", "triu_indices", "unique", "unique_consecutive", "finfo", "iinfo", "can_cast",
]


def _pe():
    import pyengine
    return pyengine


# ---- broadcasting ----
def broadcast_shapes(*shapes) -> Tuple[int, ...]:
    result: List[int] = []
    for shape in shapes:
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        for i, s in enumerate(reversed(shape)):
            if s < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(shape)}")
            if i >= len(result):
                result.insert(0, s)
                continue
            j = len(result) - 1 - i
            if result[j] == 1:
                result[j] = s
            elif s != 1 and s != result[j]:
                raise RuntimeError("Shape mismatch: objects cannot be broadcast to a single shape.  Mismatch is "
                                   "between arg 0 and arg 1.")
    return _pe().Size(result)


def broadcast_tensors(*tensors) -> Tuple[Tensor, ...]:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    try:
        shape = broadcast_shapes(*[tuple(t.shape) for t in tensors])
    except RuntimeError:
        raise RuntimeError("The size of tensor a ({}) must match the size of tensor b ({}) at non-singleton "
                           "dimension".format(*[t.shape for t in tensors[:2]])) from None
    return tuple(t.expand(shape) for t in tensors)


def broadcast_to(input: Tensor, size) -> Tensor:
    return input.expand(tuple(size))


# ---- elementwise compositions ----
def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1, out: Optional[Tensor] = None) -> Tensor:
    r = input + value * (tensor1 * tensor2)
    return out.copy_(r) if out is not None else r


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1, out: Optional[Tensor] = None) -> Tensor:
    if not tensor1.is_floating_point() and not tensor2.is_floating_point():
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future release addcdiv "
                           "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can "
                           "be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
                           "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
                           "addcdiv behavior is just the latter implementation: (input + value * tensor1 / "
                           "tensor2), for all dtypes.")
    r = input + value * (tensor1 / tensor2)
    return out.copy_(r) if out is not None else r


def deg2rad(input: Tensor) -> Tensor:
    return _float(input) * (math.pi / 180.0)


def rad2deg(input: Tensor) -> Tensor:
    return _float(input) * (180.0 / math.pi)


def _require_tensor(fn: str, value, name: str, pos: int) -> None:
    """PyTorch's TypeError for a non-Tensor where the signature takes only a Tensor."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not {type(value).__name__}")


def _float(t: Tensor) -> Tensor:
    """t in a floating dtype for a float op: integers and bools become the default float; floating and complex
    tensors are their own (Note [Complex dtypes]: never a silent cast of a complex tensor to a real one)."""
    return t if t.is_floating_point() or t.is_complex() else t.to(_pe().get_default_dtype())


def hypot(input: Tensor, other: Tensor) -> Tensor:
    _require_tensor("hypot", input, "input", 1)
    _require_tensor("hypot", other, "other", 2)
    return _C.sqrt(input * input + other * other)


def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    m = _C.maximum(input, other)
    both_inf = (input == other) & _C.isinf(input)
    r = m + _C.log1p(_C.exp(-(input - other).abs()))
    return _C.where(both_inf, input, r)


def logaddexp2(input: Tensor, other: Tensor) -> Tensor:
    m = _C.maximum(input, other)
    both_inf = (input == other) & _C.isinf(input)
    r = m + _C.log1p(_C.pow(2.0, -(input - other).abs())) / math.log(2.0)
    return _C.where(both_inf, input, r)


def xlogy(input, other) -> Tensor:
    pe = _pe()
    if not isinstance(input, Tensor):
        input = pe.tensor(input, dtype=other.dtype if other.is_floating_point() else pe.get_default_dtype())
    if not isinstance(other, Tensor):
        other = pe.tensor(other, dtype=input.dtype if input.is_floating_point() else pe.get_default_dtype())
    prod = input * _C.log(other)
    zero = (input == 0) & ~_C.isnan(other)
    return _C.where(zero, _pe().zeros_like(prod), prod)


def heaviside(input: Tensor, values: Tensor) -> Tensor:
    if input.dtype != values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes")
    return _C.where(input == 0, values, (input > 0).to(input.dtype))


def copysign(input, other) -> Tensor:
    pe = _pe()
    _require_tensor("copysign", input, "input", 1)  # other may be a number; input may not (PyTorch)
    a = _float(input)
    b = other if isinstance(other, Tensor) else pe.tensor(float(other), dtype=a.dtype)
    neg = signbit(b)
    mag = a.abs()
    return _C.where(neg, -mag, mag)


def signbit(input: Tensor) -> Tensor:
    if not input.is_floating_point():
        return input < 0
    # -0.0 and negative NaNs have the sign bit: 1 / -0.0 == -inf separates -0.0 from 0.0.
    return (input < 0) | ((input == 0) & ((1.0 / input) < 0))


def isneginf(input: Tensor) -> Tensor:
    if input.is_complex():
        raise RuntimeError("isneginf does not support complex inputs.")
    return _C.isinf(input) & (input < 0) if input.is_floating_point() else _pe().zeros_like(input, dtype=_pe().bool)


def isposinf(input: Tensor) -> Tensor:
    if input.is_complex():
        raise RuntimeError("isposinf does not support complex inputs.")
    return _C.isinf(input) & (input > 0) if input.is_floating_point() else _pe().zeros_like(input, dtype=_pe().bool)


def logit(input: Tensor, eps: Optional[float] = None) -> Tensor:
    x = _float(input)
    if eps is not None:
        x = _C.clamp(x, eps, 1.0 - eps)
    return _C.log(x / (1 - x))


def sinc(input: Tensor) -> Tensor:
    x = _float(input)
    px = x * math.pi
    safe = _C.where(x == 0, _pe().ones_like(x), px)
    return _C.where(x == 0, _pe().ones_like(x), _C.sin(safe) / safe)


def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    if input.is_complex():
        raise RuntimeError("nansum does not support complex inputs")
    x = _C.where(_C.isnan(input), _pe().zeros_like(input), input) if input.is_floating_point() else input
    return x.sum(dim, keepdim, dtype=dtype)


def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    if not input.is_floating_point():
        raise RuntimeError(f"nanmean(): expected input to have floating point dtype but got "
                           f"{str(input.dtype).replace('torch.', '').capitalize()}")
    keep = ~_C.isnan(input)
    total = nansum(input, dim, keepdim, dtype=dtype)
    return total / keep.sum(dim, keepdim).to(total.dtype)


# ---- shape utilities ----
def ravel(input: Tensor) -> Tensor:
    return input.reshape(-1)


def movedim(input: Tensor, source, destination) -> Tensor:
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) should contain the "
                           f"same number of dims as destination ({dst} dims)")
    n = input.dim()
    lo, hi = (-n, n - 1) if n else (-1, 0)
    for d in src + dst:
        if not lo <= d <= hi:
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {d})")
    src = [d % max(n, 1) for d in src]
    dst = [d % max(n, 1) for d in dst]
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(source) if not isinstance(source, int) else source})")
    if len(set(dst)) != len(dst):
        shown = destination if isinstance(destination, int) else list(destination)
        raise RuntimeError(f"movedim: repeated dim in `destination` ({shown})")
    order = [-1] * n
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(n) if d not in src)
    order = [o if o != -1 else next(rest) for o in order]
    return input.permute(order)


moveaxis = movedim


def tile(input: Tensor, dims) -> Tensor:
    dims = tuple(dims)
    if len(dims) < input.dim():
        dims = (1,) * (input.dim() - len(dims)) + dims
    return input.repeat(dims)


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.dim() < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.dim()}")
    d0, d1 = dims[0] % input.dim(), dims[1] % input.dim()
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k %= 4
    if k == 1:
        return input.flip(d1).transpose(d0, d1)
    if k == 2:
        return input.flip((d0, d1))
    if k == 3:
        return input.flip(d0).transpose(d0, d1)
    return input.clone()


def meshgrid(*tensors, indexing: Optional[str] = None) -> Tuple[Tensor, ...]:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    for t in tensors:
        if t.dim() > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
    ts = [t.reshape(-1) for t in tensors]
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.numel() for t in ts)
    out = []
    for i, t in enumerate(ts):
        view = [1] * len(ts)
        view[i] = -1
        out.append(t.reshape(view).expand(shape))
    if swap:  # 'xy': the grids of the first two inputs swap back, their shapes keep (len(y), len(x), ...)
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def cartesian_prod(*tensors) -> Tensor:
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return _pe().stack([g.reshape(-1) for g in grids], 1)


def tensordot(a: Tensor, b: Tensor, dims=2, out: Optional[Tensor] = None) -> Tensor:
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        dims_a = list(range(a.dim() - dims, a.dim()))
        dims_b = list(range(dims))
    elif isinstance(dims, Tensor):
        dims = dims.tolist()
        dims_a, dims_b = ([dims[0]], [dims[1]]) if isinstance(dims[0], int) else (list(dims[0]), list(dims[1]))
    else:
        dims_a, dims_b = ([dims[0]], [dims[1]]) if isinstance(dims[0], int) else (list(dims[0]), list(dims[1]))
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    dims_a = [d % max(a.dim(), 1) for d in dims_a]
    dims_b = [d % max(b.dim(), 1) for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a.size(da) != b.size(db) and 1 in (a.size(da), b.size(db)):  # size-1 contracted dims broadcast
            if a.size(da) == 1:
                a = a.expand([b.size(db) if i == da else s for i, s in enumerate(a.shape)])
            else:
                b = b.expand([a.size(da) if i == db else s for i, s in enumerate(b.shape)])
        if a.size(da) != b.size(db):
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.size(da)} in dim {da} "
                               f"and second has size {b.size(db)} in dim {db}")
    free_a = [d for d in range(a.dim()) if d not in dims_a]
    free_b = [d for d in range(b.dim()) if d not in dims_b]
    k = 1
    for d in dims_a:
        k *= a.size(d)
    am = a.permute(free_a + dims_a).reshape(-1, k)
    bm = b.permute(dims_b + free_b).reshape(k, -1)
    r = (am @ bm).reshape([a.size(d) for d in free_a] + [b.size(d) for d in free_b])
    return out.copy_(r) if out is not None else r


def kron(input: Tensor, other: Tensor) -> Tensor:
    n = builtins.max(input.dim(), other.dim())
    a = input.reshape((1,) * (n - input.dim()) + tuple(input.shape))
    b = other.reshape((1,) * (n - other.dim()) + tuple(other.shape))
    a_shape, b_shape = [], []
    for i in range(n):
        a_shape += [a.size(i), 1]
        b_shape += [1, b.size(i)]
    prod = a.reshape(a_shape) * b.reshape(b_shape)
    return prod.reshape([a.size(i) * b.size(i) for i in range(n)])


def inner(input: Tensor, other: Tensor) -> Tensor:
    if input.dim() == 0 or other.dim() == 0:
        return input * other
    if input.size(-1) != other.size(-1):
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([-1], [-1]))


def block_diag(*tensors) -> Tensor:
    pe = _pe()
    mats = []
    for t in tensors:
        if t.dim() > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input 0 has "
                               f"{t.dim()} dimensions")
        mats.append(t.reshape(1, -1) if t.dim() == 1 else t.reshape(1, 1) if t.dim() == 0 else t)
    if not mats:
        return pe.empty(1, 0)
    dtype = mats[0].dtype
    for m in mats[1:]:
        dtype = pe.promote_types(dtype, m.dtype)
    rows = builtins.sum(m.size(0) for m in mats)
    cols = builtins.sum(m.size(1) for m in mats)
    out_rows = []
    c0 = 0
    for m in mats:
        left = pe.zeros(m.size(0), c0, dtype=dtype, device=m.device)
        right = pe.zeros(m.size(0), cols - c0 - m.size(1), dtype=dtype, device=m.device)
        out_rows.append(pe.cat([left, m.to(dtype), right], 1))
        c0 += m.size(1)
    del rows
    return pe.cat(out_rows, 0)


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    return _pe().diag(input.reshape(-1), offset)


def tensor_split(input: Tensor, indices_or_sections, dim: int = 0) -> Tuple[Tensor, ...]:
    if input.dim() == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    d = dim % input.dim()
    size = input.size(d)
    if isinstance(indices_or_sections, Tensor):
        if indices_or_sections.dim() == 0:
            indices_or_sections = int(indices_or_sections)
        else:
            indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        q, r = divmod(size, n)
        bounds, start = [], 0
        for i in range(n):
            length = q + (1 if i < r else 0)
            bounds.append((start, length))
            start += length
    else:
        idx = list(indices_or_sections)
        bounds, start = [], 0
        for i in idx + [size]:
            stop = builtins.min(builtins.max(i, start), size) if i >= 0 else builtins.max(size + i, start)
            begin = builtins.min(start, size)
            bounds.append((begin, builtins.max(stop - begin, 0)))
            start = builtins.max(start, stop) if i >= 0 else builtins.max(start, size + i)
    return tuple(input.narrow(d, b, n) for b, n in bounds)


def _dir_split(input: Tensor, indices_or_sections, dim: int, name: str, min_dim: int) -> Tuple[Tensor, ...]:
    if input.dim() < min_dim:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dim} dimension, but got a tensor "
                           f"with {input.dim()} dimensions!")
    # split_size 0 divides nothing (PyTorch's RuntimeError, not Python's ZeroDivisionError)
    if isinstance(indices_or_sections, int) and (indices_or_sections == 0 or input.size(dim) % indices_or_sections):
        raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the dimension "
                           f"{input.size(dim)} is not divisible by the split_size {indices_or_sections}!")
    return tensor_split(input, indices_or_sections, dim)


def hsplit(input: Tensor, indices_or_sections) -> Tuple[Tensor, ...]:
    return _dir_split(input, indices_or_sections, 0 if input.dim() == 1 else 1, "hsplit", 1)


def vsplit(input: Tensor, indices_or_sections) -> Tuple[Tensor, ...]:
    return _dir_split(input, indices_or_sections, 0, "vsplit", 2)


def dsplit(input: Tensor, indices_or_sections) -> Tuple[Tensor, ...]:
    return _dir_split(input, indices_or_sections, 2, "dsplit", 3)


# ---- scans, differences, integrals ----
def logcumsumexp(input: Tensor, dim: int, *, out: Optional[Tensor] = None) -> Tensor:
    if input.dim() == 0:
        r = input.clone()
    else:
        m = input.amax(dim, keepdim=True).detach()
        m = _C.where(_C.isinf(m), _pe().zeros_like(m), m)
        r = _C.log(_C.exp(input - m).cumsum(dim)) + m
    return out.copy_(r) if out is not None else r


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Optional[Tensor] = None,
         append: Optional[Tensor] = None) -> Tensor:
    if input.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    pe = _pe()
    parts = [p for p in (prepend, input, append) if p is not None]
    x = pe.cat(parts, dim) if len(parts) > 1 else input
    d = dim % x.dim()
    for _ in range(n):
        length = x.size(d)
        if length == 0:
            break
        a, b = x.narrow(d, 1, length - 1), x.narrow(d, 0, length - 1)
        x = (a != b) if x.dtype == pe.bool else a - b
    return x


def trapezoid(y: Tensor, x: Optional[Tensor] = None, *, dx: Optional[float] = None, dim: int = -1) -> Tensor:
    d = dim % y.dim()
    n = y.size(d)
    if n == 0:
        return y.sum(d) * 0
    pair = y.narrow(d, 1, n - 1) + y.narrow(d, 0, n - 1)
    if x is not None:
        if x.dim() == 1:
            spacing = diff(x).reshape([-1 if i == d else 1 for i in range(y.dim())])
        else:
            spacing = diff(x, dim=dim)
        return (pair * spacing).sum(d) / 2
    return pair.sum(d) * ((1.0 if dx is None else dx) / 2)


def trapz(y: Tensor, x: Optional[Tensor] = None, *, dx: Optional[float] = None, dim: int = -1) -> Tensor:
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x: Optional[Tensor] = None, *, dx: Optional[float] = None,
                         dim: int = -1) -> Tensor:
    d = dim % y.dim()
    n = y.size(d)
    pair = y.narrow(d, 1, builtins.max(n - 1, 0)) + y.narrow(d, 0, builtins.max(n - 1, 0))
    if x is not None:
        spacing = diff(x).reshape([-1 if i == d else 1 for i in range(y.dim())]) if x.dim() == 1 else diff(x, dim=dim)
        return (pair * spacing / 2).cumsum(d)
    return (pair * ((1.0 if dx is None else dx) / 2)).cumsum(d)


# ---- einsum: permutes and reshapes into one batched matmul per pair of operands ----
def einsum(equation: str, *operands) -> Tensor:
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, rhs = eq.split("->")
        explicit = True
    else:
        lhs, rhs, explicit = eq, None, False
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation"
                           if len(operands) > len(terms) else
                           "einsum(): fewer operands were provided than specified in the equation")
    # Expand '...' into unused letters per operand.
    used = set(c for c in eq if c.isalpha())
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used]
    ell_dims = 0
    for t, op in zip(terms, operands):
        if "..." in t:
            ell_dims = builtins.max(ell_dims, op.dim() - (len(t) - 3))
    ell = "".join(spare[:ell_dims])
    subs = []
    for t, op in zip(terms, operands):
        if "..." in t:
            k = op.dim() - (len(t) - 3)
            t = t.replace("...", ell[ell_dims - k:])
        if len(t) != op.dim():
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(t)}) does not match the "
                               f"number of dimensions ({op.dim()}) for operand {len(subs)} and no ellipsis was given")
        subs.append(t)
    if explicit:
        out = rhs.replace("...", ell)
    else:
        counts = {}
        for t in subs:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c in counts if counts[c] == 1 and c not in ell))
    # Take diagonals for repeated letters within one operand; sum letters that appear only there.
    ops = []
    for t, op in zip(subs, operands):
        while len(set(t)) != len(t):
            for c in t:
                if t.count(c) > 1:
                    i = t.index(c)
                    j = t.index(c, i + 1)
                    op = op.diagonal(0, i, j)
                    t = t[:i] + t[i + 1:j] + t[j + 1:] + c
                    break
        ops.append([op, t])
    sizes = {}
    for op, t in ops:
        for c, s in zip(t, op.shape):
            if c in sizes and sizes[c] != s and s != 1 and sizes[c] != 1:
                raise RuntimeError("einsum(): operands do not broadcast with remapped shapes (original->remapped)")
            sizes[c] = builtins.max(sizes.get(c, 1), s)
    while len(ops) > 1:
        (a, ta), (b, tb) = ops[0], ops[1]
        rest = "".join(t for _, t in ops[2:]) + out
        shared = [c for c in ta if c in tb]
        batch = [c for c in shared if c in rest]
        contract = [c for c in shared if c not in rest]
        a_only = [c for c in ta if c not in tb]
        b_only = [c for c in tb if c not in ta]
        # Sum letters that appear in one operand only and nowhere else.
        for side in (0, 1):
            op, t = (a, ta) if side == 0 else (b, tb)
            other = tb if side == 0 else ta
            drop = [c for c in t if c not in other and c not in rest]
            if drop:
                op = op.sum([t.index(c) for c in drop])
                t = "".join(c for c in t if c not in drop)
            if side == 0:
                a, ta = op, t
            else:
                b, tb = op, t
        a_only = [c for c in ta if c not in tb]
        b_only = [c for c in tb if c not in ta]
        ap = a.permute([ta.index(c) for c in batch + a_only + contract])
        bp = b.permute([tb.index(c) for c in batch + contract + b_only])

        def prod(letters, op, t):
            n = 1
            for c in letters:
                n *= op.size(t.index(c))
            return n
        bsh = [builtins.max(a.size(ta.index(c)), b.size(tb.index(c))) for c in batch]
        nb = int(np.prod(bsh)) if bsh else 1
        ap = ap.expand(bsh + list(ap.shape[len(batch):])).reshape([nb, prod(a_only, a, ta), prod(contract, a, ta)])
        bp = bp.expand(bsh + list(bp.shape[len(batch):])).reshape([nb, prod(contract, b, tb), prod(b_only, b, tb)])
        r = _pe().bmm(ap, bp).reshape(bsh + [a.size(ta.index(c)) for c in a_only] +
                                      [b.size(tb.index(c)) for c in b_only])
        ops = [[r, "".join(batch + a_only + b_only)]] + ops[2:]
    op, t = ops[0]
    drop = [c for c in t if c not in out]
    if drop:
        op = op.sum([t.index(c) for c in drop])
        t = "".join(c for c in t if c not in drop)
    if not out:
        return op if op.dim() == 0 else op.reshape(())
    return op.permute([t.index(c) for c in out])


# ---- binning and set operations ----
def _sorter_take(sorted_sequence: Tensor, sorter: Optional[Tensor]) -> Tensor:
    return sorted_sequence if sorter is None else sorted_sequence.gather(-1, sorter)


def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False, right: bool = False,
                 side: Optional[str] = None, out: Optional[Tensor] = None, sorter: Optional[Tensor] = None) -> Tensor:
    pe = _pe()
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    seq = _sorter_take(sorted_sequence, sorter)
    scalar = not isinstance(input, Tensor)
    values = pe.tensor(input, dtype=seq.dtype, device=seq.device) if scalar else input
    if seq.dim() == 1:
        cmp = values.unsqueeze(-1) >= seq if right else values.unsqueeze(-1) > seq
    else:
        if seq.shape[:-1] != values.shape[:-1]:
            raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                               f"dimensions of boundaries tensor and input value tensor must match, but we got "
                               f"boundaries tensor {list(seq.shape)} and input value tensor {list(values.shape)}")
        cmp = values.unsqueeze(-1) >= seq.unsqueeze(-2) if right else values.unsqueeze(-1) > seq.unsqueeze(-2)
    r = cmp.sum(-1).to(pe.int32 if out_int32 else pe.int64)
    return out.copy_(r) if out is not None else r


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False, right: bool = False,
              out: Optional[Tensor] = None) -> Tensor:
    if boundaries.dim() != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.dim()})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


def bincount(input: Tensor, weights: Optional[Tensor] = None, minlength: int = 0) -> Tensor:
    pe = _pe()
    if input.dim() != 1 or input.is_floating_point() or input.dtype == pe.bool:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is not None and tuple(weights.shape) != tuple(input.shape):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    if input.numel() and int(input.min()) < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    n = builtins.max(minlength, int(input.max()) + 1 if input.numel() else 0)
    if weights is None:
        return pe.zeros(n, dtype=pe.int64, device=input.device).index_add_(0, input.long(),
                                                                           pe.ones_like(input, dtype=pe.int64))
    wdt = weights.dtype if weights.is_floating_point() else pe.float64
    wdt = pe.float64 if wdt != pe.float32 else wdt
    return pe.zeros(n, dtype=wdt, device=input.device).index_add_(0, input.long(), weights.to(wdt))


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0, *, out: Optional[Tensor] = None) -> Tensor:
    pe = _pe()
    if not input.is_floating_point():
        raise RuntimeError(f"torch.histc: input tensor and hist tensor should have the same dtype, but got input "
                           f"{str(input.dtype).replace('torch.', '')} and hist float")
    if bins <= 0:
        raise RuntimeError("torch.histc(): bins must be > 0, but got %d for dim 0" % bins)
    lo, hi = float(min), float(max)
    if lo == hi and input.numel():
        lo, hi = float(input.min()), float(input.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError(f"torch.histc(): max must be larger than min, but got min {lo} max {hi}")
    x = input.detach().reshape(-1)
    x = x[(x >= lo) & (x <= hi)]
    idx = ((x - lo) * (bins / (hi - lo))).floor().long().clamp(0, bins - 1)
    r = pe.zeros(bins, dtype=input.dtype, device=input.device).index_add_(0, idx, pe.ones_like(x))
    return out.copy_(r) if out is not None else r


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    pe = _pe()
    el = elements if isinstance(elements, Tensor) else pe.tensor(elements)
    te = test_elements if isinstance(test_elements, Tensor) else pe.tensor(test_elements)
    r = (el.unsqueeze(-1) == te.reshape(-1)).any(-1) if te.numel() else pe.zeros_like(el, dtype=pe.bool)
    return ~r if invert else r


def _tri_indices(row: int, col: int, offset: int, lower: bool, dtype, device) -> Tensor:
    pe = _pe()
    r, c = np.tril_indices(row, offset, col) if lower else np.triu_indices(row, offset, col)
    return pe.tensor(np.stack([r, c]).astype(np.int64), dtype=dtype or pe.int64, device=device).reshape(2, -1)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None) -> Tensor:
    from ._functions import _check_layout
    _check_layout(layout, "tril_indices")
    return _tri_indices(row, col, offset, True, dtype, device)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None) -> Tensor:
    from ._functions import _check_layout
    _check_layout(layout, "triu_indices")
    return _tri_indices(row, col, offset, False, dtype, device)


def _unique_sorted(flat: Tensor, consecutive_only: bool):
    pe = _pe()
    if consecutive_only:
        values, order = flat, None
    else:
        values, order = flat.sort(stable=True)
    n = values.numel()
    if n == 0:
        return values, order, pe.zeros(0, dtype=pe.int64, device=flat.device), pe.zeros(0, dtype=pe.int64,
                                                                                          device=flat.device)
    change = pe.ones(n, dtype=pe.bool, device=flat.device)
    if n > 1:
        change[1:] = values[1:] != values[:-1]
    group = change.long().cumsum(0) - 1  # group id of each sorted element
    starts = change.nonzero().reshape(-1)
    return values, order, group, starts


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,
           dim: Optional[int] = None):
    """Sorted unique values (PyTorch's CPU unique sorts for sorted=False too, so both give this order)."""
    pe = _pe()
    if dim is not None:
        d = dim % builtins.max(input.dim(), 1)
        moved = movedim(input, d, 0)
        rows = moved.reshape(moved.size(0), -1)
        keys = [tuple(r) for r in rows.tolist()]
        uniq = builtins.sorted(set(keys))
        pos = {k: i for i, k in enumerate(uniq)}
        inverse = pe.tensor([pos[k] for k in keys], dtype=pe.int64)
        counts = pe.tensor(np.bincount(inverse.numpy(), minlength=len(uniq)) if keys else [], dtype=pe.int64)
        first = [keys.index(k) for k in uniq]
        out = movedim(moved[pe.tensor(first, dtype=pe.int64)] if first else moved[:0], 0, d)
        res = [out]
    else:
        flat = input.reshape(-1)
        values, order, group, starts = _unique_sorted(flat, False)
        out = values[starts] if values.numel() else values
        res = [out]
        if return_inverse:
            inverse = pe.empty(flat.numel(), dtype=pe.int64, device=flat.device)
            if flat.numel():
                inverse[order] = group
            inverse = inverse.reshape(input.shape)
        if return_counts:
            counts = pe.zeros(out.numel(), dtype=pe.int64, device=flat.device)
            if flat.numel():
                counts.index_add_(0, group, pe.ones_like(group))
    if return_inverse:
        res.append(inverse)
    if return_counts:
        res.append(counts)
    return res[0] if len(res) == 1 else tuple(res)


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim: Optional[int] = None):
    pe = _pe()
    if dim is not None:
        raise NotImplementedError("unique_consecutive(dim=...) is not supported by pyengine yet")
    flat = input.reshape(-1)
    values, _, group, starts = _unique_sorted(flat, True)
    out = values[starts] if values.numel() else values
    res = [out]
    if return_inverse:
        res.append(group.reshape(input.shape))
    if return_counts:
        counts = pe.zeros(out.numel(), dtype=pe.int64, device=flat.device)
        if flat.numel():
            counts.index_add_(0, group, pe.ones_like(group))
        res.append(counts)
    return res[0] if len(res) == 1 else tuple(res)


def can_cast(from_, to) -> bool:
    """torch.can_cast: casting is allowed unless it goes to a lower kind (bool < integer < floating)."""
    def kind(dt) -> int:
        name = str(dt).replace("torch.", "")
        return 0 if name == "bool" else 2 if name.startswith(("float", "bfloat")) else 1
    return kind(from_) <= kind(to)


# ---- finfo / iinfo ----
class finfo:
    """Machine limits of a floating dtype (torch.finfo)."""

    _BF16 = dict(bits=16, eps=0.0078125, max=3.3895313892515355e38, min=-3.3895313892515355e38,
                 tiny=1.1754943508222875e-38, smallest_normal=1.1754943508222875e-38, resolution=0.01)

    def __init__(self, type=None) -> None:
        pe = _pe()
        dtype = type if type is not None else pe.get_default_dtype()
        name = str(dtype).replace("torch.", "")
        name = {"complex64": "float32", "complex128": "float64"}.get(name, name)  # a complex type's parts
        if name not in ("float16", "bfloat16", "float32", "float64"):
            raise TypeError(f"torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            f"'{type}'")
        self.dtype = name
        if name == "bfloat16":
            for k, v in self._BF16.items():
                setattr(self, k, v)
            return
        info = np.finfo(getattr(np, name))
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = float(info.tiny)
        self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)  # numpy's, computed in double as PyTorch

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Machine limits of an integer dtype (torch.iinfo)."""

    def __init__(self, type) -> None:
        name = str(type).replace("torch.", "")
        if name not in ("uint8", "int8", "int16", "int32", "int64", "bool"):
            raise TypeError(f"torch.iinfo() requires an integer input type. Use torch.finfo to handle '{type}'")
        self.dtype = name
        if name == "bool":
            self.bits, self.min, self.max = 8, 0, 1
            return
        info = np.iinfo(getattr(np, name))
        self.bits, self.min, self.max = int(info.bits), int(info.min), int(info.max)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


# Tensor methods PyTorch has for these functions.
_METHODS = ["addcmul", "addcdiv", "deg2rad", "rad2deg", "hypot", "logaddexp", "logaddexp2", "xlogy", "heaviside",
            "copysign", "signbit", "isneginf", "isposinf", "logit", "sinc", "nansum", "nanmean", "diff", "ravel",
            "movedim", "moveaxis", "tile", "rot90", "broadcast_to", "kron", "inner", "tensor_split", "hsplit",
            "vsplit", "dsplit", "logcumsumexp", "bincount", "histc", "unique", "unique_consecutive"]


def _write_inplace(self: Tensor, result: Tensor) -> Tensor:
    """self.copy_(result) with PyTorch's in-place rules: the result's dtype must cast to self's (same kind
    or lower) and its shape must be self's (no broadcasting of self)."""
    pe = _pe()
    if not pe.can_cast(result.dtype, self.dtype):
        word = {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int", "bool": "Bool",
                "float16": "Half", "bfloat16": "BFloat16", "int16": "Short", "int8": "Char", "uint8": "Byte"}
        name = lambda d: word.get(str(d).replace("torch.", ""), str(d))  # noqa: E731
        raise RuntimeError(f"result type {name(result.dtype)} can't be cast to the desired output type "
                           f"{name(self.dtype)}")
    if tuple(result.shape) != tuple(self.shape):
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                           f"{list(result.shape)}")
    return self.copy_(result)


def _install_methods() -> None:
    for name in _METHODS:
        if not hasattr(Tensor, name):
            setattr(Tensor, name, globals()[name])

    def inplace_of(fn):
        def method(self, *args, **kwargs):
            return _write_inplace(self, fn(self, *args, **kwargs))
        method.__name__ = fn.__name__ + "_"
        return method

    for name in ("copysign", "deg2rad", "rad2deg", "heaviside", "hypot", "logit", "xlogy", "sinc", "logaddexp"):
        if not hasattr(Tensor, name + "_"):
            setattr(Tensor, name + "_", inplace_of(globals()[name]))

    def addcmul_(self, tensor1, tensor2, *, value=1):
        return self.add_(value * (tensor1 * tensor2))

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        return self.copy_(addcdiv(self, tensor1, tensor2, value=value))

    for name, fn in (("addcmul_", addcmul_), ("addcdiv_", addcdiv_)):
        if not hasattr(Tensor, name):
            setattr(Tensor, name, fn)


_install_methods()
