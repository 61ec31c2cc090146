"""The pooling long tail (max/avg pool 1-D and 3-D, adaptive max/avg, lp, fractional max, max_unpool) and
unfold/fold, written from differentiable gather/index ops.

Every window op is one gather: the flat input position of each (output position, window tap) pair is computed
here (numpy, from the sizes only), the input is flattened over its spatial dims and index_select-ed by it, taps
outside the input get the op's neutral value (-inf for max, 0 for sums), and the window axis is reduced. max's
gradient then flows to the chosen tap only and index_select's backward sums overlapping windows, as PyTorch's
kernels do; the returned indices are flat over the input's spatial dims as PyTorch's. 2-D max/avg pooling and
2-D adaptive average pooling stay on their C++ kernels.
"""
from __future__ import annotations

import math
from typing import List, Optional, Sequence, Tuple

import numpy as np

import pyengine
from pyengine import Tensor

from .. import _C

__all__ = [
    "max_pool1d", "max_pool1d_with_indices", "max_pool3d", "max_pool3d_with_indices", "avg_pool1d", "avg_pool3d",
    "adaptive_avg_pool1d", "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d", "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d",
    "adaptive_max_pool3d_with_indices", "lp_pool1d", "lp_pool2d", "lp_pool3d", "max_unpool1d", "max_unpool2d",
    "max_unpool3d", "fractional_max_pool2d", "fractional_max_pool2d_with_indices", "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices", "unfold", "fold",
]


_TYPE_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
               "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _check_dtype(x: Tensor, kernel: str, also=()) -> None:
    """PyTorch's dispatch error for a dtype its CPU kernel has no instance for (floating types always do)."""
    name = str(x.dtype).split(".")[-1]
    if x.is_floating_point() or name in also:
        return
    raise NotImplementedError(f'"{kernel}" not implemented for \'{_TYPE_NAMES.get(name, name)}\'')


def _tuple(x, n: int, name: str) -> Tuple[int, ...]:
    if isinstance(x, (list, tuple)):
        if len(x) == 1:
            return (int(x[0]),) * n
        if len(x) != n:
            raise RuntimeError(f"{name} must either be a single int, or a tuple of {n} ints")
        return tuple(int(v) for v in x)
    return (int(x),) * n


def _batched(input: Tensor, nd: int, name: str) -> Tuple[Tensor, bool]:
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}: non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input, but "
                           f"got: {list(input.shape)}")
    unbatched = input.dim() == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    if any(s == 0 for s in x.shape[1:]):
        raise RuntimeError(f"{name}: Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with possibly 0 batch "
                           f"size and other non-zero dimensions for input, but got: {list(input.shape)}")
    return x, unbatched


def _pool_out(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """pooling_output_shape: a last window that starts in the padding is dropped in ceil mode."""
    num = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = num // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _gather_windows(x: Tensor, nd: int, pos: List[np.ndarray], fill: float):
    """x: (N, C, *S). pos[d]: (out_d, k_d) input positions along dim d (outside [0, S_d) = padding).
    Returns (values (N, C, *out, K) with `fill` at padding taps, flat index table (P, K), valid mask (P, K))."""
    sizes = list(x.shape[2:])
    outs = [p.shape[0] for p in pos]
    ks = [p.shape[1] for p in pos]
    flat = np.zeros([1] * (2 * nd), dtype=np.int64)
    valid = np.ones([1] * (2 * nd), dtype=bool)
    for d in range(nd):
        shape = [1] * (2 * nd)
        shape[d], shape[nd + d] = outs[d], ks[d]
        p = pos[d].reshape(shape)
        ok = (p >= 0) & (p < sizes[d])
        flat = flat * sizes[d] + np.clip(p, 0, sizes[d] - 1)
        valid = valid & ok
    full = outs + ks
    flat = np.broadcast_to(flat, full).reshape(int(np.prod(outs)), int(np.prod(ks)))
    valid = np.broadcast_to(valid, full).reshape(flat.shape)
    n, c = x.shape[0], x.shape[1]
    src = x.reshape(n, c, math.prod(sizes))  # explicit sizes: -1 is ambiguous for an empty batch
    vals = src.index_select(2, pyengine.tensor(flat.reshape(-1), device=x.device))
    vals = vals.reshape([n, c] + outs + [flat.shape[1]])
    if not valid.all():
        if not x.is_floating_point() and math.isinf(fill):  # integer max pooling pads with the dtype's min
            fill = pyengine.iinfo(x.dtype).min if x.dtype != pyengine.bool else False
        fill = pyengine.full((), fill, dtype=x.dtype, device=x.device)  # keeps the input's dtype
        vals = pyengine.where(pyengine.tensor(valid.reshape(outs + [flat.shape[1]]), device=x.device), vals, fill)
    return vals, flat, valid


def _window_pos(size: int, k: int, s: int, p: int, d: int, out: int) -> np.ndarray:
    return (np.arange(out) * s - p)[:, None] + (np.arange(k) * d)[None, :]


def _max_over_windows(vals: Tensor, flat: np.ndarray, nd: int) -> Tuple[Tensor, Tensor]:
    """Max over the last (window) axis; indices mapped to flat input positions. max(dim) already picks the first
    NaN, else the first of equal maxima, as PyTorch's pooling kernels, and routes the gradient to that tap."""
    out, arg = vals.max(-1, keepdim=True)
    out = out.squeeze(-1)
    n, c, k = vals.shape[0], vals.shape[1], vals.shape[-1]
    outs = list(vals.shape[2:-1])
    table = pyengine.tensor(flat, device=vals.device).reshape([1, 1] + outs + [k]).expand(list(vals.shape))
    idx = table.gather(-1, arg).squeeze(-1)
    return out, idx


def _check_pool_args(name: str, nd: int, kernel, stride, padding, dilation):
    k = _tuple(kernel, nd, f"{name}: kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else \
        _tuple(stride, nd, f"{name}: stride")
    p = _tuple(padding, nd, f"{name}: padding")
    d = _tuple(dilation, nd, f"{name}: dilation")
    one = name == "max_pool1d"
    if any(v <= 0 for v in k):
        raise RuntimeError(f"{name}() kernel_size must be greater than zero, but got {k[0]}" if one else
                           f"kernel size should be greater than zero, but got {_hw(k)}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"{name}() stride must be greater than zero, but got {s[0]}" if one else
                           "stride should not be zero")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"{name}() dilation must be greater than zero, but got {d[0]}" if one else
                           f"dilation should be greater than zero, but got {_hw(d)}")
    if any(pi < 0 for pi in p):
        raise RuntimeError(f"{name}() padding must be non-negative, but got {p[0]}" if one else
                           f"pad must be non-negative, but got pad: {p[0]}")
    bad = [i for i in range(nd) if p[i] > k[i] // 2]
    if bad:
        i = bad[0]
        raise RuntimeError(f"{name}() padding should be at most half of kernel size, but got padding={p[0]} and "
                           f"kernel_size={k[0]}" if one else
                           f"pad should be at most half of effective kernel size, but got pad={p[i]}, "
                           f"kernel_size={k[i]} and dilation={d[i]}")
    return k, s, p, d


def _hw(v) -> str:
    names = ["kT", "kH", "kW"][3 - len(v):] if len(v) > 1 else ["kW"]
    return " ".join(f"{n}: {x}" for n, x in zip(names, v))


def _max_pool_nd(name: str, nd: int, input: Tensor, kernel_size, stride, padding, dilation, ceil_mode: bool):
    k, s, p, d = _check_pool_args(name, nd, kernel_size, stride, padding, dilation)
    if nd == 1:
        _check_dtype(input, "max_pool1d_impl")
    else:
        _check_dtype(input, name, also=("int64", "int32", "int16", "int8", "uint8"))
    x, unbatched = _batched(input, nd, name)
    sizes = list(x.shape[2:])
    outs = [_pool_out(sizes[i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(nd)]
    if any(o <= 0 for o in outs):
        raise RuntimeError(f"Given input size: ({'x'.join(str(v) for v in x.shape[1:])}). Calculated output size: "
                           f"({x.shape[1]}x{'x'.join(str(v) for v in outs)}). Output size is too small")
    pos = [_window_pos(sizes[i], k[i], s[i], p[i], d[i], outs[i]) for i in range(nd)]
    vals, flat, _ = _gather_windows(x, nd, pos, float("-inf"))
    out, idx = _max_over_windows(vals, flat, nd)
    if unbatched:
        out, idx = out.squeeze(0), idx.squeeze(0)
    return out, idx


def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):
    return _max_pool_nd("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over sliding windows of the last dim of (N, C, L) or (C, L)."""
    out, idx = _max_pool_nd("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


def max_pool3d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):
    return _max_pool_nd("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over sliding windows of the last 3 dims of (N, C, D, H, W) or (C, D, H, W)."""
    out, idx = _max_pool_nd("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


def _avg_pool_nd(name: str, nd: int, input: Tensor, kernel_size, stride, padding, ceil_mode: bool,
                 count_include_pad: bool, divisor_override: Optional[int]) -> Tensor:
    k, s, p, d = _check_pool_args(name, nd, kernel_size, stride, padding, 1)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    _check_dtype(input, "avg_pool3d_out_frame" if nd == 3 else "avg_pool2d", also=("int64",))
    x, unbatched = _batched(input, nd, name)
    sizes = list(x.shape[2:])
    outs = [_pool_out(sizes[i], k[i], s[i], p[i], 1, ceil_mode) for i in range(nd)]
    if any(o <= 0 for o in outs):
        raise RuntimeError(f"Given input size: ({'x'.join(str(v) for v in x.shape[1:])}). Calculated output size: "
                           f"({x.shape[1]}x{'x'.join(str(v) for v in outs)}). Output size is too small")
    pos = [_window_pos(sizes[i], k[i], s[i], p[i], 1, outs[i]) for i in range(nd)]
    vals, _, valid = _gather_windows(x, nd, pos, 0.0)
    total = vals.sum(-1)
    if not x.is_floating_point():
        total = total.to(x.dtype)
    if divisor_override is not None:
        out = _divide(total, divisor_override)
    else:
        # The divisor: taps inside the input, or (count_include_pad) inside the padded input.
        div = np.ones([1] * nd)
        for i in range(nd):
            start = np.arange(outs[i]) * s[i] - p[i]
            end = np.minimum(start + k[i], sizes[i] + p[i])
            if count_include_pad:
                cnt = end - start
            else:
                cnt = np.minimum(end, sizes[i]) - np.maximum(start, 0)
            shape = [1] * nd
            shape[i] = outs[i]
            div = div * cnt.reshape(shape)
        out = _divide(total, pyengine.tensor(div.astype(np.int64), device=x.device))
    return out.squeeze(0) if unbatched else out


def _divide(total: Tensor, divisor) -> Tensor:
    """Window sums over divisors: integer inputs divide as C++ integers do (truncating), as PyTorch's kernels."""
    if total.is_floating_point():
        return total / divisor
    return pyengine.div(total, divisor, rounding_mode="trunc")


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over sliding windows of the last dim of (N, C, L) or (C, L)."""
    return _avg_pool_nd("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: Optional[int] = None) -> Tensor:
    """Mean over sliding windows of the last 3 dims of (N, C, D, H, W) or (C, D, H, W)."""
    return _avg_pool_nd("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                        divisor_override)


# ---- adaptive pooling ----

def _adaptive_pos(size: int, out: int) -> np.ndarray:
    """Window o covers [floor(o * size / out), ceil((o + 1) * size / out)); padded to the longest with -1."""
    o = np.arange(out)
    start = (o * size) // out
    end = -((-(o + 1) * size) // out)
    k = int((end - start).max()) if out > 0 else 0
    pos = start[:, None] + np.arange(k)[None, :]
    return np.where(pos < end[:, None], pos, -1)


def _adaptive_sizes(name: str, input: Tensor, output_size, nd: int) -> List[int]:
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != nd:
            raise RuntimeError(f"{name}: output_size must be {nd}")
        return [input.shape[input.dim() - nd + i] if v is None else int(v) for i, v in enumerate(output_size)]
    return [int(output_size)] * nd


def _adaptive_avg_pool(input: Tensor, output_size: Sequence[int], nd: int) -> Tensor:
    name = f"adaptive_avg_pool{nd}d"
    _check_dtype(input, "adaptive_avg_pool3d_cpu" if nd == 3 else "adaptive_avg_pool2d")
    if nd == 2:
        return _C._nn.adaptive_avg_pool2d(input, tuple(output_size))
    x, unbatched = _batched(input, nd, name)
    if any(o < 0 for o in output_size):
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0 but received "
                           f"{output_size}")
    pos = [_adaptive_pos(x.shape[2 + i], output_size[i]) for i in range(nd)]
    vals, _, valid = _gather_windows(x, nd, pos, 0.0)
    count = valid.sum(-1).reshape(list(output_size))
    out = vals.sum(-1) / pyengine.tensor(count, dtype=x.dtype, device=x.device)
    return out.squeeze(0) if unbatched else out


def _check_output_size_rank(input: Tensor, output_size) -> None:
    """F.adaptive_*_pool{2,3}d's ValueError (PyTorch's _list_with_default): a sequence output_size needs an input
    with more dims than it has entries."""
    if not isinstance(output_size, int) and input.dim() <= len(output_size):
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Averages (N, C, L) / (C, L) over `output_size` windows of (nearly) equal length."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_avg_pool1d() argument 'input' must be 2D or 3D, got {input.dim()}D")
    if not isinstance(output_size, int) and len(output_size) != 1:  # PyTorch's argument parser's wording
        raise RuntimeError(f"adaptive_avg_pool1d() argument 'output_size' should contain one int (got "
                           f"{len(output_size)})")
    return _adaptive_avg_pool(input, _adaptive_sizes("adaptive_avg_pool1d", input, output_size, 1), 1)


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Averages (N, C, D, H, W) / (C, D, H, W) over an output_size grid of windows; None keeps a dim's size."""
    _check_output_size_rank(input, output_size)
    return _adaptive_avg_pool(input, _adaptive_sizes("adaptive_avg_pool3d", input, output_size, 3), 3)


def _adaptive_max_pool(input: Tensor, output_size, nd: int):
    name = f"adaptive_max_pool{nd}d"
    if nd > 1:
        _check_output_size_rank(input, output_size)
    _check_dtype(input, "adaptive_max_pool3d_cpu" if nd == 3 else "adaptive_max_pool2d")
    sizes = _adaptive_sizes(name, input, output_size, nd)
    x, unbatched = _batched(input, nd, name)
    if any(o <= 0 for o in sizes):
        raise RuntimeError(f"{name}(): Expected non-empty output, got output_size {sizes}")
    pos = [_adaptive_pos(x.shape[2 + i], sizes[i]) for i in range(nd)]
    vals, flat, _ = _gather_windows(x, nd, pos, float("-inf"))
    out, idx = _max_over_windows(vals, flat, nd)
    if unbatched:
        out, idx = out.squeeze(0), idx.squeeze(0)
    return out, idx


def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    return _adaptive_max_pool(input, output_size, 1)


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max of (N, C, L) / (C, L) over `output_size` windows of (nearly) equal length."""
    out, idx = _adaptive_max_pool(input, output_size, 1)
    return (out, idx) if return_indices else out


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    return _adaptive_max_pool(input, output_size, 2)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max over an output_size grid of windows of (N, C, H, W) / (C, H, W); None keeps a dim's size."""
    out, idx = _adaptive_max_pool(input, output_size, 2)
    return (out, idx) if return_indices else out


def adaptive_max_pool3d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    return _adaptive_max_pool(input, output_size, 3)


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """Max over an output_size grid of windows of (N, C, D, H, W) / (C, D, H, W)."""
    out, idx = _adaptive_max_pool(input, output_size, 3)
    return (out, idx) if return_indices else out


# ---- lp pooling (PyTorch's own composite: the p-th root of k * avg_pool(x^p)) ----

def _lp_pool(nd: int, input: Tensor, norm_type: float, kernel_size, stride, ceil_mode: bool) -> Tensor:
    k = _tuple(kernel_size, nd, "kernel_size")
    pooled = input.pow(norm_type)
    if nd == 1:
        out = avg_pool1d(pooled, k, stride if stride is not None else k, 0, ceil_mode)
    elif nd == 2:
        from . import functional as F
        out = F.avg_pool2d(pooled, k, stride, 0, ceil_mode)
    else:
        out = avg_pool3d(pooled, k, stride, 0, ceil_mode)
    return (pyengine.sign(out) * pyengine.relu(pyengine.abs(out))).mul(math.prod(k)).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over the last dim: (sum over the window of x^p)^(1/p)."""
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over the last 2 dims."""
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over the last 3 dims."""
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)


# ---- max_unpool ----

def _max_unpool(nd: int, input: Tensor, indices: Tensor, kernel_size, stride, padding, output_size) -> Tensor:
    name = f"max_unpool{nd}d"
    k = _tuple(kernel_size, nd, "kernel_size")
    s = k if stride is None else _tuple(stride, nd, "stride")
    p = _tuple(padding, nd, "padding")
    spatial_in = list(input.shape[-nd:])
    default = [(spatial_in[i] - 1) * s[i] - 2 * p[i] + k[i] for i in range(nd)]
    if output_size is None:
        out_size = default
    else:
        out_size = list(output_size)
        if len(out_size) == nd + 2 or (len(out_size) == nd + 1 and input.dim() == nd + 1):
            out_size = out_size[-nd:]
        if len(out_size) != nd:
            raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} elements, but it has a "
                             f"length of '{len(out_size)}'")
        for i in range(nd):
            lo, hi = default[i] - s[i], default[i] + s[i]
            if not lo < out_size[i] < hi:
                raise ValueError(f'invalid output_size "{out_size}" (dim {i} must be between {lo} and {hi})')
    _check_dtype(input, "max_unpool3d" if nd == 3 else "max_unpool2d")
    if indices.dtype != pyengine.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: {indices.dtype}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) "
                           f"but got indices tensor with shape: {list(indices.shape)}")
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got {list(input.shape)}")
    unbatched = input.dim() == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    idx = indices.unsqueeze(0) if unbatched else indices
    n, c = x.shape[0], x.shape[1]
    total = math.prod(out_size)
    flat_idx = idx.reshape(n, c, math.prod(spatial_in))
    if flat_idx.numel() > 0:
        lo, hi = int(flat_idx.min()), int(flat_idx.max())
        if lo < 0 or hi >= total:
            bad = lo if lo < 0 else hi
            raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                               f"{'x'.join(str(v) for v in out_size)}")
    src = x.reshape(n, c, math.prod(spatial_in))
    out = pyengine.zeros((n, c, total), dtype=x.dtype, device=x.device).scatter(2, flat_idx, src)
    out = out.reshape([n, c] + out_size)
    return out.squeeze(0) if unbatched else out


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """Places each value of a max_pool1d output at its index in a zero tensor (a partial inverse)."""
    return _max_unpool(1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """Places each value of a max_pool2d output at its index in a zero tensor."""
    return _max_unpool(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """Places each value of a max_pool3d output at its index in a zero tensor."""
    return _max_unpool(3, input, indices, kernel_size, stride, padding, output_size)


# ---- fractional max pooling ----

def _fractional_starts(in_size: int, out_size: int, k: int, sample: np.ndarray, dtype) -> np.ndarray:
    """generate_intervals: window starts from one uniform sample per plane (computed in the input's dtype)."""
    if out_size == 1:
        starts = np.zeros(sample.shape + (1,), dtype=np.int64)
        starts[..., 0] = in_size - k
        return starts
    alpha = dtype(in_size - k) / dtype(out_size - 1)
    i = np.arange(out_size - 1, dtype=dtype)
    u = sample.astype(dtype)[..., None]
    starts = ((i + u) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)
    last = np.full(sample.shape + (1,), in_size - k, dtype=np.int64)
    return np.concatenate([starts, last], -1)


def _fractional_max_pool(nd: int, input: Tensor, kernel_size, output_size, output_ratio, return_indices: bool,
                         _random_samples):
    name = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    k = _tuple(kernel_size, nd, "kernel_size")
    _check_dtype(input, f"fractional_max_pool{nd}d_out_frame")
    x, unbatched = _batched(input, nd, name)
    sizes = list(x.shape[2:])
    if output_size is None:
        ratio = output_ratio if isinstance(output_ratio, (list, tuple)) else (output_ratio,) * nd
        if len(ratio) == 1:
            ratio = tuple(ratio) * nd
        output_size = [int(sizes[i] * ratio[i]) for i in range(nd)]
    outs = list(_tuple(output_size, nd, "output_size"))
    for i in range(nd):
        if outs[i] + k[i] - 1 > sizes[i]:
            raise RuntimeError(f"{name}(): pool size {k[i]} and output size {outs[i]} are too large for input size "
                               f"{sizes[i]} along dim {i}")
    n, c = x.shape[0], x.shape[1]
    if _random_samples is None:
        _random_samples = pyengine.rand(n, c, nd, dtype=x.dtype, device=x.device)
    samples = _random_samples.detach().to("cpu").numpy().reshape(n, c, nd)
    npdt = np.float32 if x.dtype == pyengine.float32 else np.float64
    # Sample j belongs to the j-th spatial dim counted from the last one (W first), as PyTorch's kernels.
    flat = np.zeros((n, c) + tuple([1] * (2 * nd)), dtype=np.int64)
    for d in range(nd):
        starts = _fractional_starts(sizes[d], outs[d], k[d], samples[:, :, nd - 1 - d], npdt)  # (n, c, out_d)
        pos = starts[..., None] + np.arange(k[d])  # (n, c, out_d, k_d)
        shape = [n, c] + [1] * (2 * nd)
        shape[2 + d], shape[2 + nd + d] = outs[d], k[d]
        flat = flat * sizes[d] + pos.reshape(shape)
    p, kk = math.prod(outs), math.prod(k)
    flat = np.broadcast_to(flat, [n, c] + outs + list(k)).reshape(n * c, p * kk)
    table = pyengine.tensor(flat, device=x.device)
    vals = x.reshape(n * c, math.prod(sizes)).gather(1, table).reshape(n * c, p, kk)
    out, arg = vals.max(-1, keepdim=True)
    out = out.reshape([n, c] + outs)
    idx = table.reshape(n * c, p, kk).gather(-1, arg).reshape([n, c] + outs)
    if unbatched:
        out, idx = out.squeeze(0), idx.squeeze(0)
    return (out, idx) if return_indices else out


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples=None):
    return _fractional_max_pool(2, input, kernel_size, output_size, output_ratio, True, _random_samples)


def fractional_max_pool2d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples=None):
    """Max over pseudo-randomly placed kernel_size windows giving an output_size (or input * output_ratio)."""
    return _fractional_max_pool(2, input, kernel_size, output_size, output_ratio, return_indices, _random_samples)


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples=None):
    return _fractional_max_pool(3, input, kernel_size, output_size, output_ratio, True, _random_samples)


def fractional_max_pool3d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples=None):
    """3-D fractional max pooling."""
    return _fractional_max_pool(3, input, kernel_size, output_size, output_ratio, return_indices, _random_samples)


# ---- unfold / fold (im2col / col2im) ----

def _fold_positions(sizes, k, d, p, s, name: str):
    outs = [(sizes[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2)]
    if any(o <= 0 for o in outs):
        raise RuntimeError(f"Given input with spatial size ({sizes[0]}, {sizes[1]}), kernel_size ({k[0]}, {k[1]}), "
                           f"dilation ({d[0]}, {d[1]}), padding ({p[0]}, {p[1]}), calculated shape of the array of "
                           f"sliding blocks as ({outs[0]}, {outs[1]}), but its components must be at least one.")
    return outs, [_window_pos(sizes[i], k[i], s[i], p[i], d[i], outs[i]) for i in range(2)]


def _fold_args(kernel_size, dilation, padding, stride):
    k = _tuple(kernel_size, 2, "kernel_size")
    d = _tuple(dilation, 2, "dilation")
    p = _tuple(padding, 2, "padding")
    s = _tuple(stride, 2, "stride")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: {k[0]} "
                           f"kernel_width: {k[1]}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"stride should be greater than zero, but got stride_height: {s[0]} stride_width: {s[1]}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: {d[0]} "
                           f"dilation_width: {d[1]}")
    if any(v < 0 for v in p):
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {p[0]} pad_width: {p[1]}")
    return k, d, p, s


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """im2col: the sliding kernel_size blocks of (N, C, H, W) / (C, H, W) as columns of (N, C * kh * kw, L)."""
    if input.dim() not in (3, 4):
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input.dim()}D)")
    k, d, p, s = _fold_args(kernel_size, dilation, padding, stride)
    _check_dtype(input, "im2col_out_cpu", also=("bool",))
    unbatched = input.dim() == 3
    x = input.unsqueeze(0) if unbatched else input
    if x.shape[1] == 0 or x.shape[2] == 0 or x.shape[3] == 0:
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(input.shape)}")
    outs, pos = _fold_positions(list(x.shape[2:]), k, d, p, s, "unfold")
    vals, _, _ = _gather_windows(x, 2, pos, 0.0)  # (N, C, oh, ow, K)
    n, c = x.shape[0], x.shape[1]
    out = vals.reshape(n, c, outs[0] * outs[1], k[0] * k[1]).transpose(2, 3).reshape(n, c * k[0] * k[1],
                                                                                      outs[0] * outs[1])
    return out.squeeze(0) if unbatched else out


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """col2im: sums the blocks of (N, C * kh * kw, L) / (C * kh * kw, L) into an (N, C, *output_size) image."""
    if input.dim() not in (2, 3):
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
                                  f"(got {input.dim()}D)")
    k, d, p, s = _fold_args(kernel_size, dilation, padding, stride)
    _check_dtype(input, "col2im_out_cpu", also=("bool",))
    size = list(_tuple(output_size, 2, "output_size"))
    unbatched = input.dim() == 2
    x = input.unsqueeze(0) if unbatched else input
    n, ck, length = x.shape[0], x.shape[1], x.shape[2]
    kk = k[0] * k[1]
    if ck % kk != 0:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                           f"but got input.size(1)={ck} and kernel_size=({k[0]}, {k[1]})")
    outs, pos = _fold_positions(size, k, d, p, s, "fold")
    if outs[0] * outs[1] != length:
        raise RuntimeError(f"Given output_size=({size[0]}, {size[1]}), kernel_size=({k[0]}, {k[1]}), "
                           f"dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), "
                           f"expected size of input's dimension 2 to match the calculated number of sliding blocks "
                           f"{outs[0]} * {outs[1]} = {outs[0] * outs[1]}, but got input.size(2)={length}.")
    c = ck // kk
    # The unfold index table, (L, K); fold adds every in-image tap of every block into its pixel.
    probe = pyengine.empty((1, 1) + tuple(size), device=x.device)
    _, flat, valid = _gather_windows(probe, 2, pos, 0.0)
    keep = np.nonzero(valid.reshape(-1))[0]
    cols = x.reshape(n, c, kk, length).transpose(2, 3).reshape(n, c, length * kk)
    cols = cols.index_select(2, pyengine.tensor(keep, device=x.device))
    target = pyengine.tensor(flat.reshape(-1)[keep], device=x.device)
    out = pyengine.zeros((n, c, size[0] * size[1]), dtype=x.dtype, device=x.device).index_add(2, target, cols)
    out = out.reshape(n, c, size[0], size[1])
    return out.squeeze(0) if unbatched else out
