"""Matrix helpers for the multivariate distributions: Cholesky factor, triangular solves, definiteness checks.

``cholesky`` is a composite of differentiable ops (one column per step, as the textbook Cholesky-Crout order), so
gradients through a covariance matrix come from autograd. It is meant for the small event sizes of distributions;
when the op layer gains ``linalg.cholesky`` this should call it.
"""
from __future__ import annotations

import numpy as np

import pyengine as torch


def cholesky(a):
    """Lower Cholesky factor of the symmetric positive-definite matrices in the last two dims of ``a``."""
    if a.dim() < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.cholesky: A must be batches of square matrices, but they are "
                           f"{a.shape[-2] if a.dim() >= 2 else 1} by {a.shape[-1] if a.dim() >= 1 else 1} matrices")
    n = a.shape[-1]
    # Read the symmetric part: the gradient then comes out symmetric, as PyTorch's cholesky backward gives it.
    a = (a + a.mT) * 0.5
    cols = []
    for j in range(n):
        s = a[..., j:, j]
        if j > 0:
            prev = torch.stack(cols, -1)  # (..., n, j)
            s = s - (prev[..., j:, :] * prev[..., j:j + 1, :]).sum(-1)
        pivot = s[..., 0]
        if not bool((pivot > 0).all()):
            raise torch.linalg.LinAlgError(
                f"linalg.cholesky: The factorization could not be completed because the input is not "
                f"positive-definite (the leading minor of order {j + 1} is not positive-definite).")
        d = pivot.sqrt()
        col = torch.cat([s.new_zeros(tuple(s.shape[:-1]) + (j,)), d.unsqueeze(-1), s[..., 1:] / d.unsqueeze(-1)], -1)
        cols.append(col)
    return torch.stack(cols, -1)


def solve_triangular(l, b, upper: bool = False):
    """Solves ``l @ x = b`` for triangular ``l`` (batched, broadcast)."""
    # Only the named triangle is read (as LAPACK's trsm): the other one gets no gradient either.
    return torch.linalg.solve(l.triu() if upper else l.tril(), b)


def cholesky_ex_info(a):
    """Per matrix: 0 when positive-definite, else the order of the first failing leading minor (as info)."""
    arr = a.detach().cpu().double().numpy()
    flat = arr.reshape((-1,) + arr.shape[-2:])
    info = np.zeros(flat.shape[0], dtype=np.int32)
    for i, m in enumerate(flat):
        for k in range(1, m.shape[0] + 1):
            try:
                np.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                info[i] = k
                break
    return torch.from_numpy(info.reshape(arr.shape[:-2])).to(a.device)


def symmetric_eigvals(a):
    """Eigenvalues of symmetric matrices (ascending), for the positive-semidefinite check."""
    arr = a.detach().cpu().double().numpy()
    return torch.from_numpy(np.linalg.eigvalsh(arr)).to(a.device)
