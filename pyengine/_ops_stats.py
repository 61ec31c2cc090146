"""Order statistics and moments composed from the engine's ops: quantile/nanquantile, nanmedian, aminmax,
cummax/cummin, cov/corrcoef, histogram/histogramdd.

Values are taken with differentiable ops (sort, gather, lerp, means), so gradients and devices come from the
engine; only the *positions* of cummax/cummin and the bin counts of the histograms, which are not
differentiable, are computed on the host (numpy). Checked against PyTorch by the op_db suite
(tests/python/test_opinfo.py) and tests/python/test_ops_stats.py.
"""
from __future__ import annotations

import builtins
import warnings
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from ._C import Tensor
from ._ops_linalg import _return_type
from ._ops_reduce import _out

__all__ = ["quantile", "nanquantile", "nanmedian", "aminmax", "cummax", "cummin", "cov", "corrcoef",
           "histogram", "histogramdd", "gradient"]

_aminmax_t = _return_type("aminmax", ["min", "max"])
_histogram_t = _return_type("histogram", ["hist", "bin_edges"])
_histogramdd_t = _return_type("histogramdd", ["hist", "bin_edges"])
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _pe():
    import pyengine
    return pyengine


def _named_pair(name: str):
    from . import return_types
    return getattr(return_types, name)


# ---- quantiles ----
def _quantile(input: Tensor, q, dim, keepdim: bool, interpolation: str, ignore_nan: bool, name: str) -> Tensor:
    pe = _pe()
    if not input.is_floating_point():
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest. "
                           f"Got {interpolation}")
    if isinstance(q, Tensor):
        if q.dim() > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q.dtype != input.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        if q.device != input.device:
            raise RuntimeError(f"{name}() q tensor must be on the same device as the input tensor")
        q_list = q.reshape(-1)
        q_is_vector = q.dim() == 1
        if q_list.numel() and builtins.bool(((q_list < 0) | (q_list > 1)).any()):
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    else:
        if not 0 <= q <= 1:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q}")
        q_list = pe.tensor([float(q)], dtype=input.dtype, device=input.device)
        q_is_vector = False
    if input.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if dim is None or input.dim() == 0:
        if dim is not None and dim not in (0, -1):
            raise IndexError(f"Dimension out of range (expected to be in range of [-1, 0], but got {dim})")
        rows = input.reshape(-1)
        kept_shape = [1] * input.dim() if dim is None else []
        batch = list(kept_shape) if keepdim else []
    else:
        d = dim + input.dim() if dim < 0 else dim
        if not 0 <= d < input.dim():
            raise IndexError(f"Dimension out of range (expected to be in range of [{-input.dim()}, "
                             f"{input.dim() - 1}], but got {dim})")
        rows = input.movedim(d, -1)
        batch = list(input.shape)
        if keepdim:
            batch[d] = 1
        else:
            del batch[d]
    ordered = rows.sort(dim=-1).values  # NaN sorts last, as in PyTorch
    n = ordered.shape[-1]
    nq = q_list.numel()
    if ignore_nan:
        count = (~ordered.isnan()).sum(-1, keepdim=True).to(input.dtype)
        ranks = (q_list * (count - 1)).clamp(min=0)
    else:
        ranks = q_list * (n - 1)
        has_nan = ordered[..., -1:].isnan()
        ranks = pe.where(has_nan, pe.full_like(ranks, n - 1), ranks.expand(*ordered.shape[:-1], nq))
    ranks = ranks.expand(*ordered.shape[:-1], nq)
    if interpolation == "lower":
        ranks = ranks.floor()
    elif interpolation == "higher":
        ranks = ranks.ceil()
    elif interpolation == "nearest":
        ranks = ranks.round()  # half to even, as PyTorch
    below = ranks.floor().long()
    above = ranks.ceil().long()
    low = ordered.gather(-1, below)
    if interpolation in ("lower", "higher", "nearest"):
        result = low
    else:
        high = ordered.gather(-1, above)
        weight = ranks - below.to(input.dtype) if interpolation == "linear" else pe.full_like(ranks, 0.5)
        result = low.lerp(high, weight)
    result = result.reshape(*batch, nq)
    return result.movedim(-1, 0) if q_is_vector else result.squeeze(-1)


def quantile(input: Tensor, q: Union[float, Tensor], dim: Optional[int] = None, keepdim: bool = False, *,
             interpolation: str = "linear", out: Optional[Tensor] = None) -> Tensor:
    return _out(out, _quantile(input, q, dim, keepdim, interpolation, False, "quantile"))


def nanquantile(input: Tensor, q: Union[float, Tensor], dim: Optional[int] = None, keepdim: bool = False, *,
                interpolation: str = "linear", out: Optional[Tensor] = None) -> Tensor:
    return _out(out, _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile"))


def nanmedian(input: Tensor, dim: Optional[int] = None, keepdim: bool = False, *, out=None):
    """The lower median of the non-NaN values (NaN only where a slice is all NaN); with ``dim``, also the
    index of that value in the input."""
    pe = _pe()
    if dim is None:
        if input.numel() == 0:
            return _out(out, pe.full((), float("nan"), dtype=input.dtype, device=input.device))
        values, _ = nanmedian(input.reshape(-1), 0)
        return _out(out, values)
    d = dim + max(input.dim(), 1) if dim < 0 else dim
    if not 0 <= d < max(input.dim(), 1):
        lo, hi = -max(input.dim(), 1), max(input.dim(), 1) - 1
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    if input.dim() == 0:
        result = (input.clone(), pe.zeros((), dtype=pe.int64, device=input.device))
    else:
        if input.shape[d] == 0:
            raise IndexError(f"nanmedian(): Expected reduction dim {d} to have non-zero size.")
        rows = input.movedim(d, -1)
        ordered, order = rows.sort(dim=-1, stable=True)
        if input.is_floating_point():
            count = (~ordered.isnan()).sum(-1, keepdim=True)
        else:
            count = pe.full((*ordered.shape[:-1], 1), ordered.shape[-1], dtype=pe.int64, device=input.device)
        pos = ((count - 1).clamp(min=0) // 2)
        values = ordered.gather(-1, pos).squeeze(-1)
        indices = order.gather(-1, pos).squeeze(-1)
        if keepdim:
            values, indices = values.unsqueeze(d), indices.unsqueeze(d)
        result = (values, indices)
    if out is not None:
        _out(out[0], result[0])
        _out(out[1], result[1])
        result = tuple(out)
    return _named_pair("nanmedian")(result)


def aminmax(input: Tensor, *, dim: Optional[int] = None, keepdim: bool = False, out=None):
    if input.numel() == 0 and dim is None:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity.")
    if dim is None:
        lo, hi = input.amin(), input.amax()
        if keepdim:
            lo, hi = lo.reshape([1] * input.dim()), hi.reshape([1] * input.dim())
    else:
        lo, hi = input.amin(dim, keepdim), input.amax(dim, keepdim)
    if out is not None:
        _out(out[0], lo)
        _out(out[1], hi)
        lo, hi = out
    return _aminmax_t(lo, hi)


# ---- running extrema ----
def _cum_extreme(input: Tensor, dim: int, take_max: bool, name: str, out):
    pe = _pe()
    nd = max(input.dim(), 1)
    d = dim + nd if dim < 0 else dim
    if not 0 <= d < nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {dim})")
    if input.dim() == 0 or input.numel() == 0:
        indices = pe.zeros(tuple(input.shape), dtype=pe.int64, device=input.device)
        values = input.clone()
    else:
        # The positions are not differentiable: found on the host, one vector step per position along dim.
        host = np.moveaxis(input.detach().cpu().numpy(), d, 0)
        idx = np.zeros(host.shape, dtype=np.int64)
        best = host[0].copy()
        isnan = (lambda a: np.isnan(a)) if host.dtype.kind == "f" else (lambda a: np.zeros(a.shape, bool))
        for i in range(1, host.shape[0]):
            x = host[i]
            better = (x >= best) if take_max else (x <= best)
            take = isnan(x) | (~isnan(best) & better)
            best = np.where(take, x, best)
            idx[i] = np.where(take, i, idx[i - 1])
        indices = pe.from_numpy(np.ascontiguousarray(np.moveaxis(idx, 0, d))).to(input.device)
        values = input.gather(d, indices)
    if out is not None:
        _out(out[0], values)
        _out(out[1], indices)
        values, indices = out
    return _named_pair(name)((values, indices))


def cummax(input: Tensor, dim: int, *, out=None):
    return _cum_extreme(input, dim, True, "cummax", out)


def cummin(input: Tensor, dim: int, *, out=None):
    return _cum_extreme(input, dim, False, "cummin", out)


# ---- covariance ----
def _check_weights(w: Optional[Tensor], name: str, num_obs: int, floating: bool) -> None:
    """cov()'s checks of fweights (integral) and aweights (floating): 1-D, one per observation, >= 0."""
    if w is None:
        return
    if w.dim() > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got {name} with {w.dim()} "
                         f"dimensions")
    if w.is_floating_point() != floating:
        kind = "floating point" if floating else "integral"
        raise RuntimeError(f"cov(): expected {name} to have {kind} dtype but got {name} with "
                         f"{w.dtype} dtype")
    if w.numel() != num_obs:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are observations in the input "
                         f"but got {w.numel()} != {num_obs}")
    if num_obs > 0 and builtins.bool((w < 0).any()):
        raise RuntimeError(f"cov(): {name} cannot be negative")


def cov(input: Tensor, *, correction: int = 1, fweights: Optional[Tensor] = None,
        aweights: Optional[Tensor] = None) -> Tensor:
    """Covariance of the rows (variables) of a 1-D or 2-D input whose columns are observations, with PyTorch's
    frequency/analytic weights and correction."""
    pe = _pe()
    if input.is_complex():
        raise NotImplementedError("cov(): complex inputs are not supported by pyengine (Note [Complex dtypes])")
    if input.dim() > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                         f"{input.dim()} dimensions")
    x = input.reshape(1, -1) if input.dim() < 2 else input
    num_obs = x.shape[1]
    _check_weights(fweights, "fweights", num_obs, floating=False)
    _check_weights(aweights, "aweights", num_obs, floating=True)
    w = fweights
    if aweights is not None:
        w = aweights if w is None else w * aweights
    if not x.is_floating_point():
        x = x.to(pe.get_default_dtype())
    if w is None:
        w_sum = pe.tensor(float(num_obs), dtype=x.dtype, device=x.device)
        avg = x.mean(1) if num_obs > 0 else x.sum(1) * float("nan")
    else:
        w = w.to(x.dtype) if not w.is_floating_point() or w.dtype != x.dtype else w
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
    if w is None:
        norm_factor = w_sum - correction
    elif correction == 0:
        norm_factor = w_sum
    elif aweights is None:
        norm_factor = w_sum - correction
    else:
        norm_factor = w_sum - correction * (w * aweights.to(x.dtype)).sum() / w_sum
    if builtins.bool(norm_factor <= 0):
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                      "observations.", UserWarning, stacklevel=2)
        norm_factor = pe.zeros_like(norm_factor)
    xm = x - avg.unsqueeze(1)
    xw = xm if w is None else xm * w
    c = xw.matmul(xm.t()) / norm_factor
    return c.squeeze()


def corrcoef(input: Tensor) -> Tensor:
    c = cov(input)
    if c.dim() == 0:
        return c / c
    d = c.diagonal()
    stddev = d.sqrt()
    c = c / stddev.unsqueeze(1)
    c = c / stddev.unsqueeze(0)
    return c.clamp(-1, 1)


# ---- histograms ----
def _bin_edges(data: np.ndarray, bins, rng, dtype, name: str) -> np.ndarray:
    if isinstance(bins, Tensor):
        if bins.dim() != 1:
            raise RuntimeError(f"{name}(): bins tensor should have one dimension, but got {bins.dim()} dimensions")
        # Like PyTorch, edges that are not increasing are taken as given (no value falls between them).
        return bins.detach().cpu().numpy().astype(dtype)
    if bins <= 0:
        raise RuntimeError(f"{name}(): bins must be > 0, but got {bins}")
    if rng is not None:
        lo, hi = (dtype.type(v) for v in rng)
        if lo > hi:
            raise RuntimeError(f"{name}(): min should not exceed max, but got min {lo} max {hi}")
    elif data.size:
        lo, hi = data.min(), data.max()
    else:
        lo, hi = dtype.type(0), dtype.type(0)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"{name}(): range of [{lo}, {hi}] is not finite")
    if lo == hi:
        lo, hi = lo - dtype.type(0.5), hi + dtype.type(0.5)
    # The edges as PyTorch makes them: linspace in the input's dtype.
    pe = _pe()
    return pe.linspace(float(lo), float(hi), int(bins) + 1, dtype=pe.from_numpy(np.zeros(0, dtype)).dtype).numpy()


def _bin_positions(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin index of each value (-1 outside [first edge, last edge]), the last bin closed on the right; PyTorch
    settles each value against the edges themselves (a local search after its linear guess), as this does."""
    n = edges.size - 1
    pos = np.searchsorted(edges, values, side="right") - 1
    pos = np.where(pos == n, n - 1, pos)
    return np.where((values >= edges[0]) & (values <= edges[-1]), pos, -1)


def histogramdd(input: Tensor, bins: Union[int, Sequence[int], Sequence[Tensor]] = 10, *,
                range: Optional[Sequence[float]] = None, weight: Optional[Tensor] = None, density: bool = False):
    pe = _pe()
    if not input.is_floating_point():
        raise RuntimeError(f"torch.histogramdd: input tensor and bins tensors should have the same dtype, but got "
                           f"input {input.dtype} and bins {input.dtype}")
    if input.dim() < 1:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 1 dimension, but got 0")
    ndim = input.shape[-1]
    data = input.detach().cpu().numpy().reshape(-1, ndim)
    dtype = data.dtype
    if isinstance(bins, int):
        bins = [bins] * ndim
    bins = list(bins)
    if len(bins) != ndim:
        raise RuntimeError(f"torch.histogramdd: expected {ndim} sequences of bin edges for each of the {ndim} "
                           f"dimensions of the input, but got {len(bins)}")
    if range is not None and len(range) != 2 * ndim:
        raise RuntimeError(f"torch.histogramdd: for a {ndim}-dimensional histogram range should have {2 * ndim} "
                           f"elements, but got {len(range)}")
    if weight is not None and tuple(weight.shape) != tuple(input.shape[:-1]):
        raise RuntimeError(f"torch.histogramdd: if weight tensor is provided it should have the same shape as the "
                           f"input tensor excluding its innermost dimension, but got input with shape "
                           f"{list(input.shape)} and weight with shape {list(weight.shape)}")
    edges, positions = [], []
    for k in builtins.range(ndim):
        rng = None if range is None else (range[2 * k], range[2 * k + 1])
        if rng is None and not isinstance(bins[k], Tensor) and data.size:
            # One range per dimension, from the data of that dimension.
            rng = (data[:, k].min(), data[:, k].max())
        e = _bin_edges(data[:, k], bins[k], rng, dtype, "torch.histogramdd")
        edges.append(e)
        positions.append(_bin_positions(data[:, k], e))
    shape = [e.size - 1 for e in edges]
    valid = np.all([p >= 0 for p in positions], axis=0) if positions else np.zeros(0, bool)
    flat = np.ravel_multi_index([p[valid] for p in positions], shape) if valid.any() else np.zeros(0, np.int64)
    w = None if weight is None else weight.detach().cpu().numpy().reshape(-1)[valid].astype(dtype)
    hist = np.bincount(flat, weights=w, minlength=int(np.prod(shape))).astype(dtype).reshape(shape)
    if density:
        total = hist.sum()
        widths = np.ix_(*[np.diff(e) for e in edges])
        volume = np.ones(shape, dtype=dtype)
        for wdt in widths:
            volume = volume * wdt
        hist = hist / (total * volume) if total else hist * np.nan
    device = input.device
    hist_t = pe.from_numpy(np.ascontiguousarray(hist.astype(dtype))).to(device)
    edge_ts = tuple(pe.from_numpy(np.ascontiguousarray(e)).to(device) for e in edges)
    return _histogramdd_t(hist_t, edge_ts)


def histogram(input: Tensor, bins: Union[int, Tensor] = 100, *, range: Optional[Tuple[float, float]] = None,
              weight: Optional[Tensor] = None, density: bool = False, out=None):
    if not input.is_floating_point():
        raise RuntimeError(f"torch.histogram: input tensor and bins tensors should have the same dtype, but got "
                           f"input {input.dtype} and bins {input.dtype}")
    if isinstance(bins, Tensor) and bins.dtype != input.dtype:
        raise RuntimeError(f"torch.histogram: input tensor and bins tensors should have the same dtype, but got "
                           f"input {input.dtype} and bins {bins.dtype}")
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        raise RuntimeError(f"torch.histogram: if weight tensor is provided, it should have the same shape as the "
                           f"input tensor excluding its innermost dimension, but got input with shape "
                           f"{list(input.shape)} and weight with shape {list(weight.shape)}")
    r = histogramdd(input.reshape(-1, 1), [bins], range=range,
                    weight=None if weight is None else weight.reshape(-1), density=density)
    hist, edges = r.hist, r.bin_edges[0]
    if out is not None:
        _out(out[0], hist)
        _out(out[1], edges)
        hist, edges = out
    return _histogram_t(hist, edges)


# Tensor methods PyTorch has for these functions.
for _name in ("quantile", "nanquantile", "nanmedian", "aminmax", "cummax", "cummin", "cov", "corrcoef",
              "histogram"):
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, globals()[_name])


# ---- numerical gradient ----
def _axis_gradient(f: Tensor, d: int, spacing, edge_order: int) -> Tensor:
    """Second-order central differences inside, one-sided differences of `edge_order` at both ends; spacing
    is a number (uniform step) or a 1-D tensor of coordinates along d (numpy.gradient's formulas)."""
    pe = _pe()
    n = f.shape[d]
    s = lambda a, b: f.narrow(d, a, b - a)  # noqa: E731  f[a:b] along d
    if isinstance(spacing, Tensor):
        x = spacing.to(f.dtype)
        view = [1] * f.dim()
        view[d] = -1
        dx = (x[1:] - x[:-1]).reshape(view)
        dx1, dx2 = dx.narrow(d, 0, n - 2), dx.narrow(d, 1, n - 2)
        a = -dx2 / (dx1 * (dx1 + dx2))
        b = (dx2 - dx1) / (dx1 * dx2)
        c = dx1 / (dx2 * (dx1 + dx2))
        interior = a * s(0, n - 2) + b * s(1, n - 1) + c * s(2, n)
        if edge_order == 1:
            first = (s(1, 2) - s(0, 1)) / dx.narrow(d, 0, 1)
            last = (s(n - 1, n) - s(n - 2, n - 1)) / dx.narrow(d, n - 2, 1)
        else:
            h1, h2 = dx.narrow(d, 0, 1), dx.narrow(d, 1, 1)
            first = (-(2 * h1 + h2) / (h1 * (h1 + h2)) * s(0, 1) + (h1 + h2) / (h1 * h2) * s(1, 2)
                     - h1 / (h2 * (h1 + h2)) * s(2, 3))
            h1, h2 = dx.narrow(d, n - 3, 1), dx.narrow(d, n - 2, 1)
            last = (h2 / (h1 * (h1 + h2)) * s(n - 3, n - 2) - (h2 + h1) / (h1 * h2) * s(n - 2, n - 1)
                    + (2 * h2 + h1) / (h2 * (h1 + h2)) * s(n - 1, n))
    else:
        h = spacing
        interior = (s(2, n) - s(0, n - 2)) / (2 * h)
        if edge_order == 1:
            first = (s(1, 2) - s(0, 1)) / h
            last = (s(n - 1, n) - s(n - 2, n - 1)) / h
        else:
            first = (-1.5 * s(0, 1) + 2 * s(1, 2) - 0.5 * s(2, 3)) / h
            last = (0.5 * s(n - 3, n - 2) - 2 * s(n - 2, n - 1) + 1.5 * s(n - 1, n)) / h
    return pe.cat([first, interior, last], d)


def gradient(input: Tensor, *, spacing=1, dim=None, edge_order: int = 1) -> Tuple[Tensor, ...]:
    pe = _pe()
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    nd = input.dim()
    dims = list(range(nd)) if dim is None else ([dim] if isinstance(dim, int) else list(dim))
    lo, hi = (-nd, nd - 1) if nd else (-1, 0)
    for d in dims:  # used to be wrapped modulo nd (dim=3 of a 2-d input read dim 1)
        if not lo <= d <= hi:
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {d})")
    dims = [d % nd if nd else d for d in dims]
    for i, d in enumerate(dims):  # a repeated dim, as PyTorch's dim-list check
        if d in dims[:i]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    if spacing is None:
        spacing = 1
    if isinstance(spacing, (int, float)) or (isinstance(spacing, Tensor) and spacing.dim() == 0):
        spacings = [spacing.item() if isinstance(spacing, Tensor) else spacing] * len(dims)
    else:
        spacings = list(spacing)
        if len(spacings) != len(dims):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and "
                               f"dim arguments to have the same length, but got a spacing argument of length "
                               f"{len(spacings)} and a dim argument of length {len(dims)}.")
        spacings = [sp.item() if isinstance(sp, Tensor) and sp.dim() == 0 else sp for sp in spacings]
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    f = input if input.is_floating_point() or input.is_complex() else input.to(pe.get_default_dtype())
    return tuple(_axis_gradient(f, d, sp, edge_order) for d, sp in zip(dims, spacings))
