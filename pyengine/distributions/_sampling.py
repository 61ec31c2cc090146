"""Samplers for the distributions whose draws need rejection or counting (Gamma, Poisson, Binomial).

The draws come from a numpy Generator seeded from the engine's generator (one engine draw per call), so
``pyengine.manual_seed`` makes them reproducible like every other sample. Gamma samples carry implicit
reparameterisation gradients (Figurnov et al. 2018): dx/dalpha = -(dF(x; alpha)/dalpha) / p(x; alpha), with F the
regularised lower incomplete gamma function, as PyTorch's ``_standard_gamma`` does.
"""
from __future__ import annotations

import math

import numpy as np

import pyengine as torch


def _numpy_rng(device=None) -> np.random.Generator:
    gen = torch.default_generator
    seed = int(torch.randint(0, 2 ** 62, (), generator=gen).item())
    return np.random.default_rng(seed)


def _np(t) -> np.ndarray:
    return t.detach().cpu().double().numpy()


def _gammainc_lower(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Regularised lower incomplete gamma P(a, x), float64 (series below a + 1, continued fraction above)."""
    a = np.asarray(a, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros(np.broadcast(a, x).shape)
    a, x = np.broadcast_arrays(a, x)
    lg = np.vectorize(math.lgamma)
    pos = x > 0
    series = pos & (x < a + 1)
    if series.any():
        aa, xx = a[series], x[series]
        term = 1.0 / aa
        total = term.copy()
        ap = aa.copy()
        for _ in range(2000):
            ap = ap + 1
            term = term * xx / ap
            total = total + term
            if np.all(np.abs(term) < np.abs(total) * 1e-16):
                break
        out[series] = total * np.exp(-xx + aa * np.log(xx) - lg(aa))
    frac = pos & ~series
    if frac.any():
        aa, xx = a[frac], x[frac]
        tiny = 1e-300
        b = xx + 1 - aa
        c = np.full_like(b, 1 / tiny)
        d = 1 / b
        h = d.copy()
        for i in range(1, 2000):
            an = -i * (i - aa)
            b = b + 2
            d = an * d + b
            d = np.where(np.abs(d) < tiny, tiny, d)
            c = b + an / c
            c = np.where(np.abs(c) < tiny, tiny, c)
            d = 1 / d
            delta = d * c
            h = h * delta
            if np.all(np.abs(delta - 1) < 1e-16):
                break
        out[frac] = 1 - np.exp(-xx + aa * np.log(xx) - lg(aa)) * h
    return out


def _standard_gamma_grad(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """dx/dalpha of a standard-gamma sample x held at fixed CDF level (central difference on P in alpha)."""
    h = np.maximum(alpha, 1.0) * 1e-5
    dp = (_gammainc_lower(alpha + h, x) - _gammainc_lower(alpha - h, x)) / (2 * h)
    lg = np.vectorize(math.lgamma)
    log_pdf = (alpha - 1) * np.log(x) - x - lg(alpha)
    return -dp / np.exp(log_pdf)


class _StandardGamma(torch.autograd.Function):
    @staticmethod
    def forward(ctx, alpha):
        a = _np(alpha)
        x = _numpy_rng().standard_gamma(a)
        # PyTorch clamps to the smallest normal number so that log(x) stays finite.
        x = np.maximum(x, np.finfo(np.float32 if alpha.dtype == torch.float32 else np.float64).tiny)
        out = torch.from_numpy(x).to(dtype=alpha.dtype, device=alpha.device)
        ctx.save_for_backward(alpha, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        alpha, out = ctx.saved_tensors
        dxda = _standard_gamma_grad(_np(out), _np(alpha))
        return grad * torch.from_numpy(dxda).to(dtype=grad.dtype, device=grad.device)


def standard_gamma(alpha):
    """Gamma(alpha, 1) samples of alpha's shape, differentiable in alpha (torch._standard_gamma)."""
    return _StandardGamma.apply(alpha)


def poisson(rate):
    """Poisson(rate) counts of rate's shape and dtype (torch.poisson)."""
    x = _numpy_rng().poisson(_np(rate))
    return torch.from_numpy(x.astype(np.float64)).to(dtype=rate.dtype, device=rate.device)


def binomial(count, prob):
    """Binomial(count, prob) counts (count, prob broadcast), in prob's dtype."""
    n = _np(count)
    p = np.clip(_np(prob), 0.0, 1.0)
    x = _numpy_rng().binomial(n.astype(np.int64), p)
    return torch.from_numpy(x.astype(np.float64)).to(dtype=prob.dtype, device=prob.device)
