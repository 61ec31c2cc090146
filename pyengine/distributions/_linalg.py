"""Matrix helpers for the multivariate distributions, on the engine's torch.linalg (gradients included)."""
from __future__ import annotations

import pyengine as torch


def cholesky(a):
    return torch.linalg.cholesky(a)


def solve_triangular(l, b, upper: bool = False):
    return torch.linalg.solve_triangular(l, b, upper=upper)


def cholesky_ex_info(a):
    """0 where a is positive definite, else the order of the first minor that is not (as cholesky_ex's info)."""
    return torch.linalg.cholesky_ex(a).info


def symmetric_eigvals(a):
    return torch.linalg.eigvalsh(a)
