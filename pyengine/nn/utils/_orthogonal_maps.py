"""The maps behind parametrizations.orthogonal: the matrix exponential and the Householder product (the engine's
torch.linalg ops, with their gradients) and a QR-based orthogonalisation for initial values.
"""
from __future__ import annotations

import numpy as np

import pyengine as torch


def matrix_exp(a):
    return torch.linalg.matrix_exp(a)


def householder_product(a, tau):
    """The first k columns of H_1 ... H_k (torch.linalg.householder_product)."""
    return torch.linalg.householder_product(a, tau)


def make_orthogonal(a):
    """The Q of A = QR with R's diagonal made positive (a unique, deterministic orthogonalisation)."""
    arr = a.detach().cpu().double().numpy()
    q, r = np.linalg.qr(arr)
    d = np.sign(np.diagonal(r, axis1=-2, axis2=-1)).copy()
    d[d == 0] = 1
    q = q * d[..., None, :]
    return torch.from_numpy(np.ascontiguousarray(q)).to(dtype=a.dtype, device=a.device)


def is_orthogonal(q) -> bool:
    n, k = q.shape[-2], q.shape[-1]
    eye = torch.eye(k, dtype=q.dtype, device=q.device)
    eps = 10.0 * n * torch.finfo(q.dtype).eps
    return bool(torch.allclose(q.mT @ q, eye.expand(tuple(q.shape[:-2]) + (k, k)), atol=eps))
