"""Distances and norms between rows: cdist, pdist (also F.pdist) and renorm, composed from the engine's
differentiable ops (vector_norm's backward is 0 at a zero distance, as PyTorch's)."""
from __future__ import annotations

from ._C import Tensor

__all__ = ["cdist", "pdist", "renorm"]

_COMPUTE_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")


def _pe():
    import pyengine
    return pyengine


def _dtype_name(t: Tensor) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}.get(
        str(t.dtype).split(".")[-1], str(t.dtype))


def _euclidean_by_mm(x1: Tensor, x2: Tensor) -> Tensor:
    """|a - b|^2 = |a|^2 + |b|^2 - 2 a.b as one batched GEMM over padded operands, then sqrt (clamped so
    rounding below zero gives 0): PyTorch's fast path for many rows."""
    pe = _pe()
    n1 = x1.pow(2).sum(-1, keepdim=True)
    n2 = x2.pow(2).sum(-1, keepdim=True)
    a = pe.cat([x1 * -2, n1, pe.ones_like(n1)], -1)
    b = pe.cat([x2, pe.ones_like(n2), n2], -1)
    return a.matmul(b.transpose(-1, -2)).clamp(min=1e-30).sqrt()


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    pe = _pe()
    if x1.dim() < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.dim()}D")
    if x2.dim() < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X2 got: {x2.dim()}D")
    if not x1.is_floating_point():
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: {_dtype_name(x1)}")
    if not x2.is_floating_point():
        raise RuntimeError(f"cdist only supports floating-point dtypes, X2 got: {_dtype_name(x2)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: "
                           f"{x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if compute_mode not in _COMPUTE_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    batch = pe.broadcast_shapes(tuple(x1.shape[:-2]), tuple(x2.shape[:-2]))
    a = x1.expand(*batch, *x1.shape[-2:])
    b = x2.expand(*batch, *x2.shape[-2:])
    rows1, rows2 = a.shape[-2], b.shape[-2]
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist" or (
        compute_mode == "use_mm_for_euclid_dist_if_necessary" and (rows1 > 25 or rows2 > 25)))
    if rows1 == 0 or rows2 == 0 or a.shape[-1] == 0:
        return pe.zeros(*batch, rows1, rows2, dtype=a.dtype, device=a.device) + 0 * (a.sum() + b.sum())
    if use_mm:
        return _euclidean_by_mm(a, b)
    diff = a.unsqueeze(-2) - b.unsqueeze(-3)
    return pe.linalg.vector_norm(diff, p, dim=-1)


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """The distances between every pair of rows i < j, in row-major order of (i, j)."""
    pe = _pe()
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if not input.is_floating_point():
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input.shape[0]
    i, j = pe.triu_indices(n, n, 1, device=input.device)
    return pe.linalg.vector_norm(input[i] - input[j], p, dim=-1)


def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice along ``dim`` whose p-norm exceeds maxnorm is scaled to norm maxnorm (PyTorch divides by
    norm + 1e-7)."""
    pe = _pe()
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input.dim() <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.dim()} dimensions")
    d = dim % input.dim()
    others = [k for k in range(input.dim()) if k != d]
    norms = pe.linalg.vector_norm(input, p, dim=others, keepdim=True)
    factor = pe.where(norms > maxnorm, maxnorm / (norms + 1e-7), pe.ones_like(norms))
    return input * factor


def _renorm_(self: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    return self.copy_(renorm(self, p, dim, maxnorm))


for _name, _fn in (("renorm", renorm), ("renorm_", _renorm_)):
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, _fn)
