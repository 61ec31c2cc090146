"""The factorizations against numpy.linalg: inverse/linalg.inv, det, slogdet, logdet, linalg.solve
(batched, vector rule, left=False) and svd / linalg.svd / svdvals, on transposed, strided, batched
and empty inputs; singular matrices behave as PyTorch (LinAlgError, det 0, slogdet (0, -inf))."""
import warnings

import numpy as np
import pytest
from pe_testing import ref_torch

import pyengine as pe

RNG = np.random.default_rng(11)
TOL = {pe.float32: 2e-4, pe.float64: 1e-10}


def rand(shape, dtype=pe.float64, well_conditioned=True):
    a = RNG.standard_normal(shape)
    if well_conditioned and len(shape) >= 2 and shape[-1] == shape[-2]:
        a = a + shape[-1] * np.eye(shape[-1])  # keep float32 results comparable
    return pe.tensor(a, dtype=pe.float64).to(dtype), a


def close(t, ref, dtype=pe.float64, scale=1.0):
    assert tuple(t.shape) == np.shape(ref), (tuple(t.shape), np.shape(ref))
    np.testing.assert_allclose(t.double().numpy(), ref, rtol=TOL[dtype] * scale, atol=TOL[dtype] * scale)


def raises(exc, fn, gist):
    torch = ref_torch()
    if torch is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(exc, match=gist):
                fn(torch)
    with pytest.raises(exc, match=gist):
        fn(pe)


SINGULAR = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]


@pytest.mark.parametrize("dtype", [pe.float32, pe.float64])
@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (7, 7), (2, 5, 5), (2, 3, 4, 4), (100, 100)])
def test_inv_det_slogdet(dtype, shape):
    t, a = rand(shape, dtype)
    if shape[-1] > 20:  # scaled to |det| ~ 1: det would overflow float32 (to inf, in PyTorch too)
        t = t / float(np.exp(np.linalg.slogdet(a)[1] / shape[-1]))
    an = t.double().numpy()
    close(pe.inverse(t), np.linalg.inv(an), dtype, scale=10)
    close(pe.linalg.inv(t), np.linalg.inv(an), dtype, scale=10)
    close(t.inverse(), np.linalg.inv(an), dtype, scale=10)
    det = np.linalg.det(an)
    close(pe.det(t) / pe.tensor(det, dtype=pe.float64), np.ones(det.shape), dtype, scale=10)
    close(pe.linalg.det(t) / pe.tensor(det, dtype=pe.float64), np.ones(det.shape), dtype, scale=10)
    sign, logabs = np.linalg.slogdet(an)
    for r in (pe.slogdet(t), pe.linalg.slogdet(t), t.slogdet()):
        s, la = r
        assert r.sign is s and r.logabsdet is la
        close(s, sign, dtype)
        close(la, logabs, dtype, scale=10)
    ld = pe.logdet(t).double().numpy()
    np.testing.assert_allclose(ld[sign > 0], logabs[sign > 0], rtol=TOL[dtype] * 10, atol=TOL[dtype] * 10)
    assert np.isnan(ld[sign < 0]).all()


def test_big_blocked_lu():
    # larger than the LU panel width, so the GEMM trailing update runs
    t, a = rand((150, 150), pe.float64, well_conditioned=False)
    close(pe.inverse(t) @ t, np.eye(150), scale=1e4)
    close(pe.linalg.solve(t, pe.ones(150, dtype=pe.float64)), np.linalg.solve(a, np.ones(150)), scale=1e4)
    s, la = pe.slogdet(t)
    ns, nla = np.linalg.slogdet(a)
    assert s.item() == ns
    assert abs(la.item() - nla) < 1e-9 * abs(nla)


def test_layouts():
    t, a = rand((4, 5, 5))
    close(pe.inverse(t.transpose(1, 2)), np.linalg.inv(a.transpose(0, 2, 1)))
    big = pe.zeros(4, 10, 10, dtype=pe.float64)
    big[:, ::2, ::2] = t
    close(pe.det(big[:, ::2, ::2]), np.linalg.det(a))
    close(pe.inverse(t[:1].expand(3, 5, 5)), np.linalg.inv(np.broadcast_to(a[:1], (3, 5, 5))))


def test_singular():
    s = pe.tensor(SINGULAR)
    assert pe.det(s).item() == 0.0
    sign, la = pe.slogdet(s)
    assert sign.item() == 0.0 and la.item() == float("-inf")
    assert pe.logdet(s).item() == float("-inf")
    raises(RuntimeError, lambda t: t.linalg.inv(t.tensor(SINGULAR)),
           "linalg.inv: The diagonal element 3 is zero, the inversion could not be completed because the input "
           "matrix is singular.")
    raises(RuntimeError, lambda t: t.inverse(t.stack([t.eye(3), t.tensor(SINGULAR)]) if hasattr(t, "stack") else
                                             t.tensor([np.eye(3).tolist(), SINGULAR])),
           r"linalg.inv: \(Batch element 1\): The diagonal element 3 is zero")
    raises(RuntimeError, lambda t: t.linalg.solve(t.tensor(SINGULAR), t.ones(3)),
           "torch.linalg.solve: The solver failed because the input matrix is singular.")
    with pytest.raises(pe.linalg.LinAlgError):
        pe.inverse(pe.zeros(2, 2))
    assert issubclass(pe.linalg.LinAlgError, RuntimeError)


def test_empty():
    assert pe.inverse(pe.ones(0, 0)).shape == (0, 0)
    assert pe.inverse(pe.ones(0, 3, 3)).shape == (0, 3, 3)
    assert pe.det(pe.ones(0, 0)).item() == 1.0
    assert pe.det(pe.ones(0, 2, 2)).shape == (0,)
    assert pe.linalg.solve(pe.eye(3), pe.ones(3, 0)).shape == (3, 0)
    assert pe.linalg.solve(pe.ones(0, 3, 3), pe.ones(3)).shape == (0, 3)


@pytest.mark.parametrize("dtype", [pe.float32, pe.float64])
def test_solve(dtype):
    a, an = rand((3, 4, 4), dtype)
    b, bn = rand((3, 4, 2), dtype)
    an, bn = a.double().numpy(), b.double().numpy()
    close(pe.linalg.solve(a, b), np.linalg.solve(an, bn), dtype, scale=10)
    close(pe.linalg.solve(a[0], b[0, :, 0]), np.linalg.solve(an[0], bn[0, :, 0]), dtype, scale=10)  # vector
    # B of shape A.shape[:-1] is a batch of vectors
    close(pe.linalg.solve(a, b[:, :, 0]), np.linalg.solve(an, bn[:, :, :1])[..., 0], dtype, scale=10)
    # 1-D B broadcasts over A's batch
    close(pe.linalg.solve(a, b[0, :, 0]), np.linalg.solve(an, np.broadcast_to(bn[0, :, :1], (3, 4, 1)))[..., 0],
          dtype, scale=10)
    # batch broadcast: A (4, 4) with B (3, 4, 2); transposed A
    close(pe.linalg.solve(a[0].t(), b), np.linalg.solve(an[0].T, bn), dtype, scale=10)
    # left=False: X A = B
    x = pe.linalg.solve(a, b.transpose(1, 2), left=False)
    close(x @ a, bn.transpose(0, 2, 1), dtype, scale=10)
    out = pe.empty(0, dtype=dtype)
    pe.linalg.solve(a, b, out=out)
    close(out, np.linalg.solve(an, bn), dtype, scale=10)


def test_factor_errors():
    raises(RuntimeError, lambda t: t.inverse(t.ones(3, 2)),
           "linalg.inv: A must be batches of square matrices, but they are 3 by 2 matrices")
    raises(RuntimeError, lambda t: t.inverse(t.ones(3)), "linalg.inv: The input tensor A must have at least 2 dimensions.")
    raises(RuntimeError, lambda t: t.inverse(t.ones(3, 3, dtype=t.int64)),
           "linalg.inv: Expected a floating point or complex tensor as input. Got Long")
    raises(RuntimeError, lambda t: t.inverse(t.ones(3, 3, dtype=t.float16)),
           "linalg.inv: Low precision dtypes not supported. Got Half")
    raises(RuntimeError, lambda t: t.det(t.ones(3, 2)), "linalg.det: A must be batches of square matrices")
    raises(RuntimeError, lambda t: t.det(t.ones(3, 3, dtype=t.int64)), "linalg.det: Expected a floating point")
    raises(RuntimeError, lambda t: t.slogdet(t.ones(3, 3, dtype=t.int64)), "linalg.slogdet: Expected a floating point")
    raises(RuntimeError, lambda t: t.linalg.solve(t.eye(3), t.ones(4)),
           r"linalg.solve: Incompatible shapes of A and B for the equation AX = B \(3x3 and 4x1\)")
    raises(RuntimeError, lambda t: t.linalg.solve(t.eye(3), t.ones(2, 3)),
           r"Incompatible shapes of A and B for the equation AX = B \(3x3 and 2x3\)")
    raises(RuntimeError, lambda t: t.linalg.solve(t.eye(3), t.ones(3, 2), left=False),
           r"Incompatible shapes of A and B for the equation XA = B \(3x3 and 3x2\)")
    raises(RuntimeError, lambda t: t.linalg.solve(t.eye(3), t.ones(3, dtype=t.float64)),
           "linalg.solve: Expected A and B to have the same dtype, but found A of type Float and B of type Double")
    raises(RuntimeError, lambda t: t.linalg.solve(t.ones(2, 3), t.ones(2)), "A must be batches of square matrices")


def check_svd(t, u, s, v_or_vh, full, is_v, dtype):
    a = t.double().numpy()
    m, n = a.shape[-2:]
    k = min(m, n)
    u, s, vh = u.double().numpy(), s.double().numpy(), v_or_vh.double().numpy()
    if is_v:
        vh = np.swapaxes(vh, -1, -2)
    assert u.shape == a.shape[:-2] + ((m, m) if full else (m, k))
    assert vh.shape == a.shape[:-2] + ((n, n) if full else (k, n))
    np.testing.assert_allclose(s, np.linalg.svd(a, compute_uv=False), rtol=TOL[dtype] * 10, atol=TOL[dtype] * 10)
    assert (np.diff(s, axis=-1) <= 1e-12).all()  # descending
    rec = (u[..., :, :k] * s[..., None, :]) @ vh[..., :k, :]
    np.testing.assert_allclose(rec, a, rtol=TOL[dtype] * 10, atol=TOL[dtype] * 10 * max(1, np.abs(a).max()))
    eye_u, eye_v = np.eye(u.shape[-1]), np.eye(vh.shape[-2])
    np.testing.assert_allclose(np.swapaxes(u, -1, -2) @ u, np.broadcast_to(eye_u, u.shape[:-2] + eye_u.shape),
                               atol=TOL[dtype] * 10)
    np.testing.assert_allclose(vh @ np.swapaxes(vh, -1, -2), np.broadcast_to(eye_v, vh.shape[:-2] + eye_v.shape),
                               atol=TOL[dtype] * 10)


@pytest.mark.parametrize("dtype", [pe.float32, pe.float64])
@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (5, 3), (3, 5), (2, 4, 6), (2, 3, 7, 2), (40, 25)])
def test_svd(dtype, shape):
    t, _ = rand(shape, dtype, well_conditioned=False)
    for full in (True, False):
        r = pe.linalg.svd(t, full_matrices=full)
        assert r.U is r[0] and r.S is r[1] and r.Vh is r[2]
        check_svd(t, *r, full, False, dtype)
        r = pe.svd(t, some=not full)
        assert r.V is r[2]
        check_svd(t, *r, full, True, dtype)
    np.testing.assert_allclose(pe.linalg.svdvals(t).double().numpy(), np.linalg.svd(t.double().numpy(), compute_uv=False),
                               rtol=TOL[dtype] * 10, atol=TOL[dtype] * 10)


def test_svd_rank_deficient_and_layouts():
    a = np.outer(np.arange(1.0, 6.0), np.arange(1.0, 4.0))  # rank 1, 5 x 3
    t = pe.tensor(a, dtype=pe.float64)
    for full in (True, False):
        check_svd(t, *pe.linalg.svd(t, full_matrices=full), full, False, pe.float64)
        check_svd(t.t(), *pe.linalg.svd(t.t(), full_matrices=full), full, False, pe.float64)
    z = pe.zeros(3, 4, dtype=pe.float64)
    check_svd(z, *pe.linalg.svd(z), True, False, pe.float64)
    b, _ = rand((6, 8))
    check_svd(b[::2, 1::2], *pe.linalg.svd(b[::2, 1::2]), True, False, pe.float64)


def test_svd_empty_and_compute_uv():
    u, s, vh = pe.linalg.svd(pe.ones(3, 0))
    assert u.tolist() == np.eye(3).tolist() and s.shape == (0,) and vh.shape == (0, 0)
    u, s, vh = pe.linalg.svd(pe.ones(2, 0, 5))
    assert u.shape == (2, 0, 0) and s.shape == (2, 0) and vh.shape == (2, 5, 5)
    u, s, v = pe.svd(pe.ones(2, 0, 5))
    assert u.shape == (2, 0, 0) and s.shape == (2, 0) and v.shape == (2, 5, 0)
    t, a = rand((3, 5))
    u, s, v = pe.svd(t, compute_uv=False)
    assert u.shape == (3, 3) and v.shape == (5, 5) and not u.numpy().any() and not v.numpy().any()
    np.testing.assert_allclose(s.numpy(), np.linalg.svd(a, compute_uv=False), atol=1e-10)
    u, s, v = t.svd()
    assert v.shape == (5, 3)


def test_svd_errors():
    raises(RuntimeError, lambda t: t.linalg.svd(t.ones(3)), "linalg.svd: The input tensor A must have at least 2 dimensions.")
    raises(RuntimeError, lambda t: t.svd(t.ones(3)), "linalg.svd: input should have at least 2 dimensions")
    raises(RuntimeError, lambda t: t.svd(t.ones(3, 3, dtype=t.int64)),
           "linalg.svd: Expected a floating point or complex tensor as input. Got Long")
    raises(NotImplementedError, lambda t: t.linalg.svd(t.ones(2, 2, dtype=t.float16)), "'Half'")
