"""Autograd of the factorization-based linear algebra: inv, det, slogdet, logdet, solve (left/right,
vector and batched right-hand sides, broadcast batches) and svd / svdvals, against float64 finite
differences (gradcheck / gradgradcheck) and PyTorch's grad_fn names and gradients.
"""
from __future__ import annotations

import numpy as np
import pytest

import pyengine as pe
from pyengine.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(1)


def well_conditioned(*shape):
    """Random square matrices (batched) comfortably far from singular."""
    n = shape[-1]
    return RNG.standard_normal(shape) + 3 * np.eye(n)


def leaf(a, layout="contiguous"):
    a = np.asarray(a, dtype=np.float64)
    if layout == "transposed" and a.ndim >= 2:
        t = pe.tensor(np.ascontiguousarray(np.swapaxes(a, -1, -2))).transpose(-1, -2)
    else:
        t = pe.tensor(a)
    return t.requires_grad_()


def name(t):
    return t.grad_fn.name()


def torch_grads(fn, arrays):
    torch = pytest.importorskip("torch")
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    y = fn(*ts)
    return type(y.grad_fn).__name__, ts, y


@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)])
def test_inv(layout, shape):
    x = leaf(well_conditioned(*shape), layout)
    assert name(pe.linalg.inv(x)) == "LinalgInvExBackward0"
    assert name(pe.inverse(x)) == "LinalgInvExBackward0"
    assert name(x.inverse()) == "LinalgInvExBackward0"
    assert gradcheck(pe.linalg.inv, (x,))
    assert gradgradcheck(pe.linalg.inv, (x,))


@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3), (1, 1)])
def test_det_slogdet_logdet(shape):
    a = well_conditioned(*shape)
    x = leaf(a)
    assert name(pe.linalg.det(x)) == "LinalgDetBackward0"
    assert name(pe.det(x)) == "LinalgDetBackward0"
    assert name(pe.linalg.slogdet(x).logabsdet) == "LinalgSlogdetBackward0"
    assert name(pe.slogdet(x)[1]) == "LinalgSlogdetBackward0"
    assert gradcheck(pe.linalg.det, (x,))
    assert gradcheck(lambda t: pe.linalg.slogdet(t)[1], (x,))
    assert gradgradcheck(pe.linalg.det, (x,))
    assert gradgradcheck(lambda t: pe.linalg.slogdet(t)[1], (x,))


def test_logdet_positive_and_negative_determinant():
    torch = pytest.importorskip("torch")
    pos = well_conditioned(3, 3)
    x = leaf(pos)
    assert name(pe.logdet(x)) == "WhereBackward0"
    assert gradcheck(pe.logdet, (x,))
    neg = pos.copy()
    neg[0] *= -1  # det < 0: logdet is nan, its gradient 0 (as PyTorch's where)
    x = leaf(neg)
    y = pe.logdet(x)
    assert np.isnan(y.item())
    y.backward()
    t = torch.tensor(neg, requires_grad=True)
    torch.logdet(t).backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


def test_det_matches_torch_batched():
    a = well_conditioned(2, 3, 3)
    tname, ts, ty = torch_grads(lambda t: t.det(), [a])
    x = leaf(a)
    y = x.det()
    assert name(y) == tname
    g = RNG.standard_normal(2)
    y.backward(pe.tensor(g))
    import torch
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), ts[0].grad.numpy(), rtol=1e-10)


SOLVE_CASES = [
    ((3, 3), (3, 2), True), ((3, 3), (3,), True), ((2, 3, 3), (2, 3), True), ((2, 3, 3), (2, 3, 4), True),
    ((2, 3, 3), (3, 4), True), ((3, 3), (2, 3), False), ((2, 3, 3), (1, 4, 3), False),
]


@pytest.mark.parametrize("sa,sb,left", SOLVE_CASES)
def test_solve(sa, sb, left):
    a, b = well_conditioned(*sa), RNG.standard_normal(sb)
    x, y = leaf(a, "transposed"), leaf(b)
    f = lambda p, q: pe.linalg.solve(p, q, left=left)  # noqa: E731
    assert name(f(x, y)) == "LinalgSolveExBackward0"
    assert gradcheck(f, (x, y))
    torch = pytest.importorskip("torch")
    tname, ts, ty = torch_grads(lambda p, q: torch.linalg.solve(p, q, left=left), [a, b])
    assert tname == "LinalgSolveExBackward0"
    out = f(x, y)
    g = RNG.standard_normal(tuple(ty.shape))
    out.backward(pe.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), ts[0].grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), ts[1].grad.numpy(), rtol=1e-9, atol=1e-12)


def test_solve_gradgradcheck():
    x, y = leaf(well_conditioned(3, 3)), leaf(RNG.standard_normal((3, 2)))
    assert gradgradcheck(pe.linalg.solve, (x, y))


def distinct_singular_values(m, n):
    u, _ = np.linalg.qr(RNG.standard_normal((m, m)))
    v, _ = np.linalg.qr(RNG.standard_normal((n, n)))
    k = min(m, n)
    s = np.zeros((m, n))
    s[np.arange(k), np.arange(k)] = np.arange(k, 0, -1) + 1.0
    return u @ s @ v.T


@pytest.mark.parametrize("m,n", [(3, 3), (4, 3), (3, 4)])
def test_svdvals_and_gauge_invariant_svd(m, n):
    x = leaf(distinct_singular_values(m, n))
    assert name(pe.linalg.svdvals(x)) == "LinalgSvdBackward0"
    assert gradcheck(pe.linalg.svdvals, (x,))

    def gauge_invariant(t):  # U diag(S) Vh recombined (sign flips of the vectors cancel)
        u, s, vh = pe.linalg.svd(t, full_matrices=False)
        w = pe.tensor(np.arange(u.shape[-1] * u.shape[-2], dtype=np.float64).reshape(u.shape))
        sq = u * u
        return (u * s.unsqueeze(-2)) @ vh + (sq * w).sum()

    assert gradcheck(gauge_invariant, (x,))


def test_svd_full_matrices_and_torch_svd():
    torch = pytest.importorskip("torch")
    a = distinct_singular_values(4, 3)
    x = leaf(a)
    u, s, vh = pe.linalg.svd(x)
    assert name(s) == "LinalgSvdBackward0" and u.shape == (4, 4)
    w = np.arange(12, dtype=np.float64).reshape(4, 3)
    u3 = u.narrow(1, 0, 3)
    (s.sum() + (u3 * u3 * pe.tensor(w)).sum()).backward()
    t = torch.tensor(a, requires_grad=True)
    tu, ts, tvh = torch.linalg.svd(t)
    (ts.sum() + (tu[:, :3] ** 2 * torch.tensor(w)).sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-8, atol=1e-10)
    x2 = leaf(a)
    U, S, V = pe.svd(x2)
    assert name(S) == "LinalgSvdBackward0"
    S.sum().backward()
    t2 = torch.tensor(a, requires_grad=True)
    torch.svd(t2)[1].sum().backward()
    np.testing.assert_allclose(x2.grad.numpy(), t2.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_svdvals_repeated_singular_values_finite():
    x = leaf(np.eye(3) * 2.0)
    pe.linalg.svdvals(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.eye(3), atol=1e-12)


def test_svdvals_gradgradcheck():
    assert gradgradcheck(pe.linalg.svdvals, (leaf(distinct_singular_values(3, 3)),))


def cofactors(a: np.ndarray) -> np.ndarray:
    """The cofactor matrix (the transposed adjugate) of each matrix, from its minors in float64."""
    out = np.empty_like(a)
    n = a.shape[-1]
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, axis=-2), j, axis=-1)
            out[..., i, j] = (-1) ** (i + j) * np.linalg.det(minor)
    return out


def det_finite_differences(a: np.ndarray, g: np.ndarray, h: float = 0.1) -> np.ndarray:
    """d(sum g * det(A))/dA by central differences: det is affine in each entry, so they are exact."""
    out = np.empty_like(a)
    for idx in np.ndindex(*a.shape):
        up, down = a.copy(), a.copy()
        up[idx] += h
        down[idx] -= h
        out[idx] = (np.sum(g * np.linalg.det(up)) - np.sum(g * np.linalg.det(down))) / (2 * h)
    return out


def test_det_gradient_at_singular_matrices_is_the_adjugate():
    # d det(A) / dA = cofactor(A) = adj(A)^T for every square A, singular or not. At a rank n-1 matrix
    # the adjugate is not zero; PyTorch 2.13 on this CPU returns zeros there (its singular-input path),
    # which finite differences contradict, so the law is tested here, not PyTorch (issue 19, item 10).
    a = np.stack([np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, -1.0, 2.0]]),  # rank 2: gradient != 0
                  np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [3.0, 6.0, 9.0]]),   # rank 1: gradient 0
                  np.zeros((3, 3)),
                  well_conditioned(3, 3)])
    g = RNG.standard_normal(4)
    expected = g[:, None, None] * cofactors(a)
    np.testing.assert_allclose(det_finite_differences(a, g), expected, rtol=1e-9, atol=1e-9)
    assert np.abs(expected[0]).max() > 1  # the rank-2 case really has a non-zero gradient
    for layout in ("contiguous", "transposed"):
        x = leaf(a, layout)
        pe.linalg.det(x).backward(pe.tensor(g))
        np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-8, atol=1e-10)


def test_det_gradient_of_invertible_matrices_matches_torch():
    torch = pytest.importorskip("torch")
    a = well_conditioned(2, 3, 3)
    x = leaf(a)
    g = RNG.standard_normal(2)
    pe.linalg.det(x).backward(pe.tensor(g))
    t = torch.tensor(a, requires_grad=True)
    torch.linalg.det(t).backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-8, atol=1e-10)
