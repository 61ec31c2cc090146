"""The maps behind parametrizations.orthogonal, written from differentiable engine ops (so autograd gives their
gradients): the matrix exponential, the Householder product, and a QR-based orthogonalisation for initial values.

They are private helpers for the parametrization; when the op layer gains ``linalg.matrix_exp`` /
``linalg.householder_product`` / ``geqrf``, these should become those ops.
"""
from __future__ import annotations

import math

import numpy as np

import pyengine as torch


def matrix_exp(a):
    """exp(A) for the square matrices in the last two dims: scaling and squaring around a degree-18 Taylor sum
    (float64 inside: the truncation error is below 1e-16 once ||A / 2^s||_1 <= 1/2)."""
    dtype = a.dtype
    x = a.to(torch.float64)
    n = x.shape[-1]
    norm = float(x.detach().abs().sum(-2).amax()) if x.numel() else 0.0
    s = max(0, int(math.ceil(math.log2(norm))) + 1) if norm > 0 else 0
    x = x / (2.0 ** s)
    eye = torch.eye(n, dtype=torch.float64, device=a.device).expand(tuple(x.shape))
    result = eye
    term = eye
    for k in range(1, 19):
        term = torch.matmul(term, x) / k
        result = result + term
    for _ in range(s):
        result = torch.matmul(result, result)
    return result.to(dtype)


def householder_product(a, tau):
    """The first k columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T with v_i = (0, ..., 1, a[i+1:, i])
    (torch.linalg.householder_product)."""
    n, k = a.shape[-2], a.shape[-1]
    batch = tuple(a.shape[:-2])
    q = torch.eye(n, dtype=a.dtype, device=a.device).expand(batch + (n, n))
    for i in range(k):
        head = a.new_zeros(batch + (i,))
        one = a.new_ones(batch + (1,))
        v = torch.cat([head, one, a[..., i + 1:, i]], -1)  # (..., n)
        qv = torch.matmul(q, v.unsqueeze(-1))  # (..., n, 1)
        q = q - tau[..., i].unsqueeze(-1).unsqueeze(-1) * qv * v.unsqueeze(-2)
    return q[..., :k]


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
