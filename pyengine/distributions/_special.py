"""The special functions the distributions use: the engine's own ops (torch.special), named once here so the
distribution files read as PyTorch's do."""
from __future__ import annotations

import pyengine as torch


def _as_float(x):
    if not isinstance(x, torch.Tensor):
        x = torch.tensor(x, dtype=torch.get_default_dtype())
    return x if x.is_floating_point() else x.to(torch.get_default_dtype())


def lgamma(x):
    return torch.lgamma(_as_float(x))


def digamma(x):
    return torch.digamma(_as_float(x))


def erfinv(y):
    return torch.erfinv(_as_float(y))


def gammainc(a, x):
    """torch.special.gammainc: the regularised lower incomplete gamma function P(a, x)."""
    return torch.special.gammainc(_as_float(a), _as_float(x))
