"""Helpers shared by the distributions (torch.distributions.utils)."""
from __future__ import annotations

from numbers import Number
from typing import Any, Callable

import pyengine as torch
import pyengine.nn.functional as F

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits", "lazy_property",
           "tril_matrix_to_vec", "vec_to_tril_matrix"]

euler_constant = 0.57721566490153286060


def broadcast_all(*values):
    """Broadcasts tensors and Python numbers together; numbers take the first tensor's dtype and device."""
    if not all(isinstance(v, (torch.Tensor, Number)) for v in values):
        raise ValueError("Input arguments must all be instances of Number, "
                         "torch.Tensor or objects implementing __torch_function__.")
    if not all(isinstance(v, torch.Tensor) for v in values):
        options: dict[str, Any] = dict(dtype=torch.get_default_dtype())
        for value in values:
            if isinstance(value, torch.Tensor):
                options = dict(dtype=value.dtype, device=value.device)
                break
        values = tuple(v if isinstance(v, torch.Tensor) else torch.tensor(v, **options) for v in values)
    return tuple(torch.broadcast_tensors(*values))


def _standard_normal(shape, dtype, device):
    return torch.empty(shape, dtype=dtype, device=device).normal_()


def _sum_rightmost(value, dim: int):
    """Sums out the ``dim`` rightmost dimensions."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:value.dim() - dim]) + (-1,)).sum(-1)


def logits_to_probs(logits, is_binary: bool = False):
    if is_binary:
        return torch.sigmoid(logits)
    return F.softmax(logits, dim=-1)


def clamp_probs(probs):
    """Clamps probabilities into [eps, 1 - eps] with eps the dtype's machine epsilon."""
    eps = torch.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary: bool = False):
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return torch.log(ps_clamped) - torch.log1p(-ps_clamped)
    return torch.log(ps_clamped)


class lazy_property:
    """A property computed once per instance on first access (then stored in the instance's __dict__)."""

    def __init__(self, wrapped: Callable) -> None:
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with torch.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    """Seen on the class, a lazy_property still looks like a property (for introspection)."""

    def __init__(self, wrapped: Callable) -> None:
        property.__init__(self, wrapped)


class _BinaryProbsLogits:
    """Mixin of the distributions over a binary event given by either ``probs`` or ``logits`` (Bernoulli,
    Binomial, Geometric, NegativeBinomial, LogitRelaxedBernoulli): ``__init__`` stores the one given, the other is
    derived once, on first access."""

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)


def tril_matrix_to_vec(mat, diag: int = 0):
    """The lower triangle (rows first) of the last two dims as a vector."""
    n = mat.shape[-1]
    if not (-n <= diag < n):
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    rows, cols = [], []
    for i in range(n):
        for j in range(n):
            if j - i <= diag:
                rows.append(i)
                cols.append(j)
    return mat[..., torch.tensor(rows, device=mat.device), torch.tensor(cols, device=mat.device)]


def vec_to_tril_matrix(vec, diag: int = 0):
    """Inverse of tril_matrix_to_vec: scatters a vector into a lower triangular matrix."""
    m = vec.shape[-1]
    # the smallest n whose triangle (entries with j - i <= diag) holds m entries
    def count(k: int) -> int:
        return sum(1 for i in range(k) for j in range(k) if j - i <= diag)
    n = 0
    while count(n) < m:
        n += 1
    if count(n) != m:
        raise ValueError(f"vec_to_tril_matrix: {m} entries do not fill a lower triangle (diag={diag})")
    flat_index = [i * n + j for i in range(n) for j in range(n) if j - i <= diag]
    out = vec.new_zeros(tuple(vec.shape[:-1]) + (n * n,))
    idx = torch.tensor(flat_index, device=vec.device).expand(tuple(vec.shape[:-1]) + (m,))
    out = out.scatter(-1, idx, vec)
    return out.reshape(tuple(vec.shape[:-1]) + (n, n))
