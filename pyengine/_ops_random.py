"""Sampling ops written from the engine's uniform generator: torch.multinomial and the in-place samplers
Tensor.exponential_ / geometric_ / log_normal_ / cauchy_ (each honours ``generator=``)."""
from __future__ import annotations

import math

import pyengine as torch

from ._C import Tensor

__all__ = ["multinomial"]


def _uniform_like(t, generator):
    """Uniforms in [0, 1) of t's shape, float64 for the transforms (cast back on copy)."""
    return torch.empty(tuple(t.shape), dtype=torch.float64, device=t.device).uniform_(0, 1, generator=generator)


def _dtype_name(dtype) -> str:
    return str(dtype).replace("torch.", "").capitalize()


def _require_float(t, what: str) -> None:
    if not t.is_floating_point():
        raise RuntimeError(f"{what} is a continuous probability distribution. dtype must be a floating point but "
                           f"you specified {_dtype_name(t.dtype)}")


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None, out=None):
    """Indices drawn from the rows of ``input`` (non-negative weights, normalised per row), int64.
    With replacement: inverse CDF, one uniform per draw. Without: the ``num_samples`` largest keys
    log(u) / w (the exponential race), i.e. weighted sampling without replacement."""
    if not input.is_floating_point():
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_dtype_name(input.dtype)}")
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n_categories = input.shape[-1]
    if not replacement and num_samples > n_categories:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    w = input.detach().to(torch.float64)
    rows = w.reshape(-1, n_categories)
    if not bool((rows.isfinite() & (rows >= 0)).all()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    total = rows.sum(-1, keepdim=True)
    if not bool((total > 0).all()):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    n_rows = rows.shape[0]
    if replacement:
        cdf = (rows / total).cumsum(-1)
        u = torch.empty((n_rows, num_samples), dtype=torch.float64, device=w.device).uniform_(
            0, 1, generator=generator)
        idx = (cdf.unsqueeze(1) <= u.unsqueeze(2)).sum(-1)
        # rounding can leave cdf[-1] just below 1: such draws go to the last category with weight
        positions = torch.arange(n_categories, device=w.device).expand(n_rows, n_categories)
        last_nonzero = torch.where(rows > 0, positions, torch.zeros_like(positions)).amax(-1, keepdim=True)
        idx = torch.minimum(idx, last_nonzero)
    else:
        u = torch.empty((n_rows, n_categories), dtype=torch.float64, device=w.device).uniform_(
            0, 1, generator=generator)
        keys = torch.log1p(-u) / rows  # in (-inf, 0]; zero weights give -inf and come last
        idx = torch.topk(keys, num_samples, dim=-1).indices
    result = idx.to(torch.int64).reshape(tuple(input.shape[:-1]) + (num_samples,))
    if out is not None:
        if tuple(out.shape) != tuple(result.shape) or out.dtype != torch.int64:
            raise RuntimeError(f"multinomial: out must be an int64 tensor of shape {tuple(result.shape)}, got "
                               f"{out.dtype} of shape {tuple(out.shape)}")
        return out.copy_(result)
    return result


def _exponential_(self, lambd: float = 1.0, *, generator=None):
    _require_float(self, "Exponential distribution")
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    u = _uniform_like(self, generator)
    with torch.no_grad():
        return self.copy_(-torch.log1p(-u) / lambd)


def _geometric_(self, p: float, *, generator=None):
    if not 0.0 < p < 1.0:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    u = _uniform_like(self, generator)
    # the number of Bernoulli(p) trials up to and including the first success: values 1, 2, ...
    x = (torch.log1p(-u) / math.log1p(-p)).floor() + 1
    with torch.no_grad():
        return self.copy_(x)


def _log_normal_(self, mean: float = 1.0, std: float = 2.0, *, generator=None):
    _require_float(self, "LogNormal distribution")
    if not std > 0.0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    z = torch.empty(tuple(self.shape), dtype=torch.float64, device=self.device).normal_(mean, std,
                                                                                         generator=generator)
    with torch.no_grad():
        return self.copy_(z.exp())


def _cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator=None):
    _require_float(self, "Cauchy distribution")
    if not sigma > 0.0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    u = _uniform_like(self, generator)
    with torch.no_grad():
        return self.copy_(median + sigma * torch.tan(math.pi * (u - 0.5)))


def _tensor_multinomial(self, num_samples: int, replacement: bool = False, *, generator=None):
    return multinomial(self, num_samples, replacement, generator=generator)


def _install() -> None:
    Tensor.exponential_ = _exponential_
    Tensor.geometric_ = _geometric_
    Tensor.log_normal_ = _log_normal_
    Tensor.cauchy_ = _cauchy_
    Tensor.multinomial = _tensor_multinomial


_install()
