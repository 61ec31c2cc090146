"""F.interpolate (and the deprecated upsample*), F.grid_sample and F.affine_grid, written from differentiable
index and arithmetic ops.

Resizing is separable: each spatial dim in turn is resampled with one index_select per tap (1 for nearest, 2 for
linear, 4 for cubic) and per-output-position weights computed here in float64 with PyTorch's source-index rules
(area_pixel_compute_source_index, nearest_idx in float32, the cubic convolution with A = -0.75). 'area' is
adaptive average pooling. grid_sample gathers the 2^d (or 4x4) neighbours of every grid point from the flattened
input; the weights are functions of the grid, so the grid gets its gradient through them.
"""
from __future__ import annotations

import math
import warnings
from typing import List, Optional, Sequence

import numpy as np

import pyengine
from pyengine import Tensor

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "grid_sample", "affine_grid"]

_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_CUBIC_A = -0.75


def _scale(in_size: int, out_size: int, align_corners: bool, scale: Optional[float]) -> float:
    """area_pixel_compute_scale: the source step per output step."""
    if align_corners:
        return (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    if scale is not None and scale > 0:
        return 1.0 / scale
    return in_size / out_size


def _taps(mode: str, in_size: int, out_size: int, align_corners: bool, scale: Optional[float],
          ftype=np.float64):
    """(index lists, weight lists) of the taps of every output position along one dim (antialiased
    weights computed in ftype, the input's float type, as PyTorch's kernel)."""
    dst = np.arange(out_size, dtype=np.float64)
    if mode in ("nearest", "nearest-exact"):
        # nearest_idx / nearest_exact_idx compute in float32, as PyTorch's CPU kernel.
        s = np.float32(1.0 / scale if scale is not None and scale > 0 else in_size / out_size)
        if mode == "nearest":
            src = np.floor(dst.astype(np.float32) * s)
        else:
            src = np.floor((dst.astype(np.float32) + np.float32(0.5)) * s)
        if out_size == in_size:
            src = dst
        elif mode == "nearest" and out_size == 2 * in_size and scale is None:
            src = np.floor(dst / 2)
        return [np.minimum(src.astype(np.int64), in_size - 1)], None
    s = _scale(in_size, out_size, align_corners, scale)
    if mode.startswith("aa-"):
        return _aa_taps(mode[3:], in_size, out_size, s, ftype)
    src = s * dst if align_corners else s * (dst + 0.5) - 0.5
    if mode == "linear":
        src = np.maximum(src, 0.0)
        i0 = np.floor(src).astype(np.int64)
        i0 = np.minimum(i0, in_size - 1)
        i1 = np.minimum(i0 + 1, in_size - 1)
        l1 = src - i0
        return [i0, i1], [1.0 - l1, l1]
    # cubic
    i = np.floor(src).astype(np.int64)
    t = src - i
    a = _CUBIC_A

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    idx = [np.clip(i + k, 0, in_size - 1) for k in (-1, 0, 1, 2)]
    return idx, [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _aa_taps(kind: str, in_size: int, out_size: int, scale: float, ftype=np.float64):
    """Antialiased (PIL-style) taps: the filter (triangle, or cubic with a = -0.5) widened by the downscale
    factor, every tap of the window [center - support, center + support) weighted, weights normalised.
    The arithmetic is PyTorch's, type for type: the input's float type (ftype) where its kernel holds a
    scalar_t, double where C++ promotes (`i + 0.5`), a sequential weight total; in float32 the weights'
    rounding otherwise moves results by a few 1e-6, past float32's comparison tolerance."""
    f = ftype
    interp = 2 if kind == "linear" else 4
    scale = f(scale)
    support = f(interp * 0.5 * np.float64(scale)) if scale >= 1.0 else f(interp * 0.5)
    invscale = f(1.0 / np.float64(scale)) if scale >= 1.0 else f(1.0)

    def filt(x):
        x = np.abs(x)
        if kind == "linear":
            return np.where(x < 1.0, f(1.0) - x, f(0.0)).astype(f)
        a = f(-0.5)
        near = ((a + f(2)) * x - (a + f(3))) * x * x + f(1)
        far = ((a * x - f(5) * a) * x + f(8) * a) * x - f(4) * a
        return np.where(x < 1.0, near, np.where(x < 2.0, far, f(0.0))).astype(f)

    center = (np.float64(scale) * (np.arange(out_size) + 0.5)).astype(f)
    xmin = np.maximum(np.trunc((center - support).astype(np.float64) + 0.5).astype(np.int64), 0)
    xsize = np.minimum(np.trunc((center + support).astype(np.float64) + 0.5).astype(np.int64), in_size) - xmin
    k = int(xsize.max())
    j = np.arange(k)[None, :]
    arg = (((j + xmin[:, None]).astype(f) - center[:, None]).astype(np.float64) + 0.5) * np.float64(invscale)
    w = filt(arg.astype(f)) * (j < xsize[:, None])
    total = np.cumsum(w, axis=1, dtype=f)[:, -1:]  # summed tap by tap, as the kernel
    w = np.where(total != 0, w / np.where(total != 0, total, f(1)), w).astype(f)
    idx = np.minimum(xmin[:, None] + j, in_size - 1)
    return [idx[:, i] for i in range(k)], [w[:, i] for i in range(k)]


def _resample_dim(x: Tensor, dim: int, mode: str, out_size: int, align_corners: bool, scale) -> Tensor:
    in_size = x.shape[dim]
    ftype = np.float32 if x.dtype in (pyengine.float32, pyengine.float16, pyengine.bfloat16) else np.float64
    idx, weights = _taps(mode, in_size, out_size, align_corners, scale, ftype)
    if weights is None:
        return x.index_select(dim, pyengine.tensor(idx[0], device=x.device))
    bshape = [1] * x.dim()
    bshape[dim] = out_size
    out = None
    for i, w in zip(idx, weights):
        term = x.index_select(dim, pyengine.tensor(i, device=x.device)) * pyengine.tensor(
            w, dtype=x.dtype, device=x.device).reshape(bshape)
        out = term if out is None else out + term
    return out


def _mode_error(dim: int, mode: str) -> NotImplementedError:
    return NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {dim + 2}D) for the "
                               "modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact "
                               f"(got {mode})")


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: Optional[bool] = None, recompute_scale_factor: Optional[bool] = None,
                antialias: bool = False) -> Tensor:
    """Resizes the spatial dims of an (N, C, *spatial) input to `size`, or by `scale_factor`.

    mode: 'nearest', 'nearest-exact', 'linear' (3-D), 'bilinear' / 'bicubic' (4-D), 'trilinear' (5-D), 'area'.
    align_corners maps the corner pixels' centres onto each other (linear modes only); with scale_factor and
    recompute_scale_factor not True the given scale (not in/out) places the samples, as PyTorch. antialias
    (bilinear/bicubic, 4-D) widens the filter when downsampling, as PIL and PyTorch do.
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    if dim < 1:
        raise _mode_error(dim, mode)
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError("Input and output must have the same number of spatial dimensions, but got input "
                                 f"with spatial dimensions of {list(input.shape[2:])} and output size of {size}. "
                                 "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                                 "(o1, o2, ...,oK) format.")
            output_size = [int(s) for s in size]
        else:
            output_size = [int(size)] * dim
        scale_factors = None
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError("Input and scale_factor must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {list(input.shape[2:])} and scale_factor of "
                                 f"shape {scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
                                 "format and scale_factor in (s1, s2, ...,sK) format.")
            scale_factors = [float(s) for s in scale_factor]
        else:
            scale_factors = [float(scale_factor)] * dim
        output_size = None
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor is not None and recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor is not None and recompute_scale_factor:
        output_size = [int(math.floor(float(input.shape[i + 2]) * scale_factors[i])) for i in range(dim)]
        scale_factors = None
    if antialias and not (mode in ("bilinear", "bicubic") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D "
                         "tensor as input")
    if output_size is None:
        output_size = [int(math.floor(float(input.shape[i + 2]) * scale_factors[i])) for i in range(dim)]
    if mode not in _MODES or dim > 3:
        raise _mode_error(dim, mode)
    need = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}.get(mode)
    if need is not None and need != dim:
        raise NotImplementedError(f"Got {dim + 2}D input, but {mode} mode needs {need + 2}D input")
    if any(s <= 0 for s in output_size):
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({', '.join(str(s) for s in input.shape[2:])}) and output "
                           f"({', '.join(str(s) for s in output_size)})")
    if any(s == 0 for s in input.shape[1:]):
        raise RuntimeError(f"Non-empty {dim + 2}D data tensor expected but got a tensor with sizes "
                           f"{list(input.shape)}")
    if not input.is_floating_point():
        # uint8 nearest is exact here (a gather); PyTorch's fixed-point uint8 linear/cubic kernels are not.
        if mode in ("nearest", "nearest-exact") and input.dtype == pyengine.uint8:
            pass
        else:
            kernel = {"nearest": "compute_indices_weights_nearest", "nearest-exact": "compute_indices_weights_nearest",
                      "bicubic": "compute_indices_weights_cubic", "area": "adaptive_avg_pool2d"}.get(
                          mode, f"upsample_{mode}")
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{_dtype_name(input)}'")
    if mode == "area":
        from ._functional_pool import _adaptive_avg_pool
        return _adaptive_avg_pool(input, output_size, dim)
    kind = {"linear": "linear", "bilinear": "linear", "trilinear": "linear", "bicubic": "cubic"}.get(mode, mode)
    if antialias:
        kind = "aa-" + kind
    out = input
    # index_select along the last dim is the slow path: run it while the tensor is smallest (first when
    # upsampling, last when downsampling).
    order = list(range(dim))
    if output_size[-1] >= input.shape[-1]:
        order.reverse()
    for i in order:
        s = None if scale_factors is None else scale_factors[i]
        out = _resample_dim(out, 2 + i, kind, output_size[i], bool(align_corners), s)
    return out


def _dtype_name(t: Tensor) -> str:
    from ._functional_pool import _TYPE_NAMES
    name = str(t.dtype).split(".")[-1]
    return _TYPE_NAMES.get(name, name)


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
             align_corners: Optional[bool] = None) -> Tensor:
    """Deprecated alias of interpolate."""
    warnings.warn("nn.functional.upsample is deprecated. Use nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: interpolate(mode='nearest')."""
    warnings.warn("nn.functional.upsample_nearest is deprecated. Use nn.functional.interpolate instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: interpolate(mode='bilinear', align_corners=True)."""
    warnings.warn("nn.functional.upsample_bilinear is deprecated. Use nn.functional.interpolate instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---- grid_sample / affine_grid ----

def _unnormalize(coord: Tensor, size: int, align_corners: bool) -> Tensor:
    if align_corners:
        return (coord + 1) / 2 * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _clip(coord: Tensor, size: int) -> Tensor:
    """Clamps to [0, size - 1]; the gradient is 0 where clamped, including the bounds (PyTorch's kernel)."""
    inside = (coord > 0) & (coord < size - 1)
    return pyengine.where(inside, coord, coord.clamp(0, size - 1).detach())


def _reflect(coord: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """Reflects coord into [twice_low / 2, twice_high / 2] (as many bounces as it takes)."""
    if twice_low == twice_high:
        return coord * 0
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    c = (coord - low).abs()
    extra = pyengine.fmod(c, span)
    flips = pyengine.floor(c / span).detach()
    even = pyengine.fmod(flips, 2) == 0
    return pyengine.where(even, extra + low, span - extra + low)


def _pad_coord(coord: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    if padding_mode == "border":
        return _clip(coord, size)
    if padding_mode == "reflection":
        if align_corners:
            coord = _reflect(coord, 0, 2 * (size - 1))
        else:
            coord = _reflect(coord, -1, 2 * size - 1)
        return _clip(coord, size)
    return coord


def _gather(flat: Tensor, coords: List[Tensor], sizes: List[int], padding_mode: str) -> Tensor:
    """flat: (N, C, prod(sizes)); coords: integer-valued (N, P) float tensors per dim (d, h, w order).
    Values at those positions, zero outside for padding 'zeros' (the others are in range already)."""
    n, c = flat.shape[0], flat.shape[1]
    valid = None
    lin = None
    for coord, size in zip(coords, sizes):
        ok = (coord >= 0) & (coord <= size - 1)
        valid = ok if valid is None else valid & ok
        ci = coord.clamp(0, size - 1).to(pyengine.int64)
        lin = ci if lin is None else lin * size + ci
    # a materialised index: gather reads a stride-0 (expanded) index about 3x slower
    vals = flat.gather(2, lin.unsqueeze(1).expand(n, c, lin.shape[1]).contiguous())
    if padding_mode == "zeros":
        vals = vals * valid.unsqueeze(1).to(flat.dtype)
    return vals


def _cubic_weights(t: Tensor) -> List[Tensor]:
    a = _CUBIC_A

    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: Optional[bool] = None) -> Tensor:
    """Samples input (N, C, H, W) / (N, C, D, H, W) at grid (N, H', W', 2) / (N, D', H', W', 3) locations
    given as (x, y[, z]) in [-1, 1]. mode: 'bilinear', 'nearest', 'bicubic' (4-D only); padding_mode: 'zeros',
    'border', 'reflection'."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to align_corners=False since "
                      "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
                      "documentation of grid_sample for details.", stacklevel=2)
        align_corners = False
    if not input.is_floating_point():
        raise NotImplementedError(f"\"grid_sampler_2d_cpu\" not implemented for '{_dtype_name(input)}'")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have same dtype, but input has "
                           f"{input.dtype} and grid has {grid.dtype}")
    if input.dim() not in (4, 5):
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, "
                           f"but got input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    if grid.dim() != input.dim() or input.shape[0] != grid.shape[0] or grid.shape[-1] != input.dim() - 2:
        if grid.dim() != input.dim():
            raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, "
                               f"but got input with sizes {list(input.shape)} and grid with sizes "
                               f"{list(grid.shape)}")
        if input.shape[0] != grid.shape[0]:
            raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input "
                               f"with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.dim() - 2} in last dimension, but "
                           f"got grid with sizes {list(grid.shape)}")
    for i in range(2, input.dim()):
        if input.shape[i] <= 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input "
                               f"has sizes {list(input.shape)} with dimension {i} being empty")
    nd = input.dim() - 2
    if mode == "bicubic" and nd != 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    n, c = input.shape[0], input.shape[1]
    sizes = list(input.shape[2:])  # (D,) H, W
    out_spatial = list(grid.shape[1:-1])
    flat = input.reshape(n, c, math.prod(sizes))
    g = grid.reshape(n, math.prod(out_spatial), nd)
    # grid's last dim is (x, y[, z]): reversed relative to the input's (d,) h, w dims.
    raw = [_unnormalize(g[:, :, nd - 1 - k], sizes[k], align_corners) for k in range(nd)]
    if mode == "bicubic":
        base = [pyengine.floor(r).detach() for r in raw]
        wts = [_cubic_weights(r - b) for r, b in zip(raw, base)]
        out = None
        for i in range(4):
            for j in range(4):
                cy = _pad_coord(base[0] + (i - 1), sizes[0], padding_mode, align_corners).detach()
                cx = _pad_coord(base[1] + (j - 1), sizes[1], padding_mode, align_corners).detach()
                v = _gather(flat, [cy, cx], sizes, padding_mode) * (wts[0][i] * wts[1][j]).unsqueeze(1)
                out = v if out is None else out + v
        return out.reshape([n, c] + out_spatial)
    coords = [_pad_coord(r, s, padding_mode, align_corners) for r, s in zip(raw, sizes)]
    if mode == "nearest":
        idx = [pyengine.round(cd).detach() for cd in coords]
        out = _gather(flat, idx, sizes, padding_mode)
        if grid.requires_grad:
            # The grid gets a zero gradient (not None), as PyTorch; where() keeps inf/nan grids out of the value.
            out = out + pyengine.where(pyengine.zeros((), dtype=pyengine.bool, device=grid.device), grid.sum(), 0.0)
        return out.reshape([n, c] + out_spatial)
    lo = [pyengine.floor(cd).detach() for cd in coords]
    frac = [cd - l for cd, l in zip(coords, lo)]
    out = None
    for corner in range(1 << nd):
        w = None
        pos = []
        for k in range(nd):
            hi = (corner >> (nd - 1 - k)) & 1
            wk = frac[k] if hi else 1 - frac[k]
            w = wk if w is None else w * wk
            pos.append(lo[k] + hi)
        v = _gather(flat, pos, sizes, padding_mode) * w.unsqueeze(1)
        out = v if out is None else out + v
    return out.reshape([n, c] + out_spatial)


def _base_coords(steps: int, align_corners: bool, like: Tensor) -> Tensor:
    if steps <= 1:
        return pyengine.zeros(max(steps, 1), dtype=like.dtype, device=like.device)[:steps]
    r = pyengine.linspace(-1, 1, steps, dtype=like.dtype, device=like.device)
    return r if align_corners else r * ((steps - 1) / steps)


def affine_grid(theta: Tensor, size: Sequence[int], align_corners: Optional[bool] = None) -> Tensor:
    """The (N, H, W, 2) / (N, D, H, W, 3) sampling grid of the affine maps theta (N, 2, 3) / (N, 3, 4) for an
    output of `size` (N, C, H, W) / (N, C, D, H, W), in grid_sample's [-1, 1] coordinates."""
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to align_corners=False since "
                      "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
                      "documentation of grid_sample for details.", stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = [int(s) for s in size]
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {_size_str(size)}. "
                             f"Got {_size_str(theta.shape)}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {_size_str(size)}. "
                             f"Got {_size_str(theta.shape)}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {_size_str(size)}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {_size_str(size)}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"affine_grid: theta's batch size {theta.shape[0]} does not match size[0] = {size[0]}")
    nd = len(spatial)
    axes = [_base_coords(s, align_corners, theta) for s in spatial]  # (D,) H, W
    shape = spatial + [1]
    parts = []
    for k in range(nd):  # x varies along W (the last), y along H, z along D
        ax = axes[nd - 1 - k]
        view = [1] * nd + [1]
        view[nd - 1 - k] = spatial[nd - 1 - k]
        parts.append(ax.reshape(view).expand(shape))
    parts.append(pyengine.ones(shape, dtype=theta.dtype, device=theta.device))
    base = pyengine.cat(parts, -1).reshape(1, -1, nd + 1)
    grid = base.matmul(theta.transpose(1, 2))
    return grid.reshape([size[0]] + spatial + [nd])


def _size_str(s) -> str:
    return "torch.Size([" + ", ".join(str(int(v)) for v in s) + "])"
