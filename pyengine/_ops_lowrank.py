"""torch.svd_lowrank and torch.pca_lowrank: the randomized range finder with subspace iteration (Halko,
Martinsson and Tropp 2011, algorithms 4.4 and 5.1) over the engine's differentiable matmul, QR and SVD, so
gradients and devices come from those ops.

The Gaussian test matrix comes from pyengine's generator, so for a matrix of rank above q, or with equal
singular values, the result (and the signs of the singular vectors) differs from PyTorch's run for run, as
it does between two PyTorch seeds; singular values of a matrix of rank <= q agree to rounding.
"""
from __future__ import annotations

from typing import Optional, Tuple

from ._C import Tensor

__all__ = ["svd_lowrank", "pca_lowrank"]


def _pe():
    import pyengine
    return pyengine


def _mH(t: Tensor) -> Tensor:
    return t.transpose(-2, -1)


def _approximate_basis(A: Tensor, q: int, niter: int, M: Optional[Tensor]) -> Tensor:
    """An orthonormal Q (m x q) whose range approximates A's (A - M's), refined by niter power iterations."""
    pe = _pe()
    R = pe.randn(A.shape[-1], q, dtype=A.dtype, device=A.device)
    X = A @ R if M is None else A @ R - M @ R
    Q = pe.linalg.qr(X).Q
    for _ in range(niter):
        X = _mH(A) @ Q if M is None else _mH(A) @ Q - _mH(M) @ Q
        Q = pe.linalg.qr(X).Q
        X = A @ Q if M is None else A @ Q - M @ Q
        Q = pe.linalg.qr(X).Q
    return Q


def svd_lowrank(A: Tensor, q: Optional[int] = 6, niter: int = 2, M: Optional[Tensor] = None
                ) -> Tuple[Tensor, Tensor, Tensor]:
    """(U, S, V), U (m x q), S (q), V (n x q), with A - M ~ U diag(S) V^T (M broadcast to A; default 0)."""
    pe = _pe()
    q = 6 if q is None else q
    if not A.is_floating_point():
        raise RuntimeError(f"svd_lowrank(): expected a floating point tensor, got {A.dtype}")
    m, n = A.shape[-2:]
    if M is not None:
        M = M.broadcast_to(tuple(A.shape))
    if m < n:  # the basis of the smaller side
        A = _mH(A)
        M = None if M is None else _mH(M)
    Q = _approximate_basis(A, q, niter, M)
    B = _mH(Q) @ A if M is None else _mH(Q) @ A - _mH(Q) @ M
    U, S, Vh = pe.linalg.svd(B, full_matrices=False)
    V = _mH(Vh)
    U = Q @ U
    if m < n:
        U, V = V, U
    return U, S, V


def pca_lowrank(A: Tensor, q: Optional[int] = None, center: bool = True, niter: int = 2
                ) -> Tuple[Tensor, Tensor, Tensor]:
    """svd_lowrank of A with its column means removed (center=True): (U, S, V), V the principal directions."""
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not (q >= 0 and q <= min(m, n)):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}")
    if not niter >= 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return svd_lowrank(A, q, niter=niter, M=None)
    return svd_lowrank(A - A.mean(dim=-2, keepdim=True), q, niter=niter, M=None)
