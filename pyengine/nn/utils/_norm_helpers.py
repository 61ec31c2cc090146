"""Shared pieces of weight/spectral normalisation (parametrization and hook forms)."""
from __future__ import annotations

import pyengine as torch


def norm_except_dim(v, pow: float = 2, dim: int = 0):
    """The ``pow``-norm of ``v`` over every dim but ``dim``, shaped to broadcast against ``v``
    (``dim=-1``: the norm of the whole tensor), as torch.norm_except_dim."""
    if dim == -1:
        return v.norm(pow)
    if dim < 0:
        dim += v.dim()
    dims = [d for d in range(v.dim()) if d != dim]
    if not dims:
        return v.abs() if pow != 0 else (v != 0).to(v.dtype)
    return v.norm(p=pow, dim=dims, keepdim=True)


def weight_norm_compute(v, g, dim: int):
    """w = g * v / ||v|| with the norm over all dims except ``dim`` (torch._weight_norm)."""
    return v * (g / norm_except_dim(v, 2, dim))


def reshape_weight_to_matrix(weight, dim: int):
    """The weight as a matrix whose rows run along ``dim`` (spectral norm's view of a conv kernel)."""
    if dim != 0:
        weight = weight.permute(dim, *[d for d in range(weight.dim()) if d != dim])
    return weight.reshape(weight.size(0), -1)
