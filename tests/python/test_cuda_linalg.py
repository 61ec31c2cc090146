"""CUDA part 2 (issue 13): the decompositions on `cuda` (cuda/linalg_factor.cu, cuda/linalg_eig.cu,
cuda/linalg_lu.cu) give the CPU's results: cholesky (+_ex, solve, inverse), solve_triangular, qr
(geqrf, householder_product, ormqr), eigh/eigvalsh, svd/svdvals and what is built on them (pinv,
matrix_rank, cond, lstsq, lu_unpack, lu_solve), forward and gradients, on batched, non-contiguous,
empty-batch, 1x1 and ill-conditioned inputs; errors with PyTorch's classes; no host synchronisation
inside the ops. Where a decomposition is not unique (eigenvectors, singular vectors) the tests compare
invariants (reconstruction, orthonormality, sign-free functions); where it is, values. Runs on a real
GPU or on the emulated device (docs/cuda-emulator.md; slow, so the shapes stay small); skips with
"CUDA not available" elsewhere."""
from __future__ import annotations

import time

import numpy as np
import pytest
import torch

import pyengine as pe
from pe_testing import assert_same_as_cpu, cuda_required

pytestmark = cuda_required

RNG = np.random.default_rng(13)
DTYPES = [pe.float32, pe.float64]
TOL = {pe.float32: dict(rtol=2e-4, atol=2e-5), pe.float64: dict(rtol=1e-9, atol=1e-11)}


def spd(*batch, n):
    a = RNG.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def hilbert(n):
    i = np.arange(n)
    return 1.0 / (i[:, None] + i[None, :] + 1.0)


def on(a, device, dtype, grad=False):
    return pe.tensor(a, dtype=dtype, device=device, requires_grad=grad)


def run_both(fn, arrays, dtype, grad=True, tol=None):
    """fn on CPU leaves and on their cuda twins: the same outputs and, with grad, the same gradients of a
    fixed random weighting of the outputs. Returns the cuda outputs (a tuple)."""
    tol = tol or TOL[dtype]
    res = {}
    for dev in ("cpu", "cuda"):
        ts = [on(a, dev, dtype, grad) for a in arrays]
        out = fn(*ts)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        grads = []
        if grad:
            rng = np.random.default_rng(1)
            loss = sum((o * on(rng.standard_normal(tuple(o.shape)), dev, dtype)).sum() for o in outs)
            loss.backward()
            grads = [t.grad for t in ts]
        res[dev] = (outs, grads)
    (go, gg), (wo, wg) = res["cuda"], res["cpu"]
    for g, w in zip(go, wo):
        assert g.device.type == "cuda"
        assert_same_as_cpu(g.detach(), w.detach(), **tol)
    for g, w in zip(gg, wg):
        assert g is not None and g.device.type == "cuda"
        assert_same_as_cpu(g, w, **tol)
    return go


def np_of(t):
    return t.detach().cpu().double().numpy()


# ---- cholesky -------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_matches_cpu_and_torch(dtype, upper):
    a = spd(2, 3, n=5)
    (L,) = run_both(lambda t: pe.linalg.cholesky(t, upper=upper), [a], dtype)
    want = torch.linalg.cholesky(torch.tensor(a), upper=upper).numpy()
    np.testing.assert_allclose(np_of(L), want, **TOL[dtype])


def test_cholesky_noncontiguous_empty_1x1_illconditioned():
    big = spd(3, n=8)
    run_both(lambda t: pe.linalg.cholesky(t[:, ::2, ::2]), [big], pe.float64)  # a strided principal submatrix
    run_both(lambda t: pe.linalg.cholesky(t.mT), [big], pe.float64)
    (L,) = run_both(lambda t: pe.linalg.cholesky(t), [np.zeros((0, 4, 4))], pe.float64)
    assert tuple(L.shape) == (0, 4, 4)
    run_both(lambda t: pe.linalg.cholesky(t), [np.full((2, 1, 1), 4.0)], pe.float32)
    h = hilbert(7)
    (L,) = run_both(lambda t: pe.linalg.cholesky(t), [h], pe.float64, grad=False, tol=dict(rtol=1e-7, atol=1e-12))
    np.testing.assert_allclose(np_of(L @ L.mT), h, rtol=0, atol=1e-14)


def test_cholesky_not_positive_definite():
    a = spd(3, n=4)
    a[1, 2, 2] = -100.0  # the leading minor of order 3 of the second matrix
    for dev in ("cpu", "cuda"):
        with pytest.raises(pe.linalg.LinAlgError, match=r"\(Batch element 1\).*order 3 is not positive-definite"):
            pe.linalg.cholesky(on(a, dev, pe.float64))
    L, info = pe.linalg.cholesky_ex(on(a, "cuda", pe.float64))
    assert info.device.type == "cuda" and info.dtype == pe.int32
    assert info.cpu().tolist() == [0, 3, 0]
    assert info.tolist() == torch.linalg.cholesky_ex(torch.tensor(a)).info.tolist()
    with pytest.raises(pe.linalg.LinAlgError):
        pe.linalg.cholesky_ex(on(a, "cuda", pe.float64), check_errors=True)
    nan = np.eye(3)
    nan[0, 0] = np.nan
    assert pe.linalg.cholesky_ex(on(nan, "cuda", pe.float32))[1].item() == 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_cholesky_solve_and_inverse(dtype):
    a, b = spd(2, n=4), RNG.standard_normal((2, 4, 3))
    run_both(lambda t, r: pe.cholesky_solve(r, pe.linalg.cholesky(t)), [a, b], dtype)
    run_both(lambda t, r: pe.cholesky_solve(r, pe.linalg.cholesky(t, upper=True), upper=True), [a, b], dtype)
    run_both(lambda t: pe.cholesky_inverse(pe.linalg.cholesky(t)), [a], dtype)


# ---- triangular solve ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("upper,left,unit", [(False, True, False), (True, True, False), (True, False, False),
                                             (False, False, True), (True, True, True)])
def test_solve_triangular(dtype, upper, left, unit):
    a = RNG.standard_normal((2, 1, 4, 4)) + 4 * np.eye(4)
    b = RNG.standard_normal((3, 4, 5) if left else (3, 5, 4))
    run_both(lambda t, r: pe.linalg.solve_triangular(t, r, upper=upper, left=left, unitriangular=unit), [a, b], dtype)


def test_solve_triangular_layouts():
    a = RNG.standard_normal((6, 6)) + 6 * np.eye(6)
    b = RNG.standard_normal((9, 6))
    run_both(lambda t, r: pe.linalg.solve_triangular(t[::2, ::2], r.mT[::2, ::3], upper=True), [a, b], pe.float64)
    run_both(lambda t, r: pe.linalg.solve_triangular(t, r[:0].mT, upper=False), [a, b], pe.float64)
    run_both(lambda t, r: pe.linalg.solve_triangular(t[:0, :0], r[:0], upper=False), [a, b], pe.float64)
    run_both(lambda t, r: pe.triangular_solve(r.T[:, :2], t, upper=False)[0], [a, b], pe.float64)


# ---- QR ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(2, 5, 3), (3, 4), (2, 3, 6), (1, 1), (0, 3, 2)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr(dtype, shape, mode):
    a = RNG.standard_normal(shape)
    grad = mode != "complete" or shape[-2] <= shape[-1]  # PyTorch has no complete-mode backward for tall A
    outs = run_both(lambda t: tuple(o for o in pe.linalg.qr(t, mode=mode) if o.numel() or mode != "r"), [a],
                    dtype, grad=grad and mode != "r")
    if mode != "r" and np.prod(shape):
        q, r = outs
        np.testing.assert_allclose(np_of(q @ r), a, atol=1e-5)
        k = q.shape[-1]
        np.testing.assert_allclose(np_of(q.mT @ q), np.broadcast_to(np.eye(k), q.shape[:-2] + (k, k)), atol=1e-5)


@pytest.mark.parametrize("dtype", DTYPES)
def test_geqrf_householder_product_ormqr(dtype):
    a = RNG.standard_normal((2, 5, 3))
    c = RNG.standard_normal((2, 5, 2))
    run_both(lambda t: pe.geqrf(t), [a], dtype, grad=False)
    run_both(lambda t: pe.linalg.householder_product(*pe.geqrf(t)), [a], dtype, grad=False)
    run_both(lambda t, tau: pe.linalg.householder_product(t, tau), [a, RNG.standard_normal((2, 2))], dtype)
    for left, tr in [(True, False), (True, True)]:
        run_both(lambda t, r: pe.ormqr(*pe.geqrf(t), r, left=left, transpose=tr), [a, c], dtype, grad=False)
    run_both(lambda t, r: pe.ormqr(*pe.geqrf(t), r.mT, left=False), [a, c], dtype, grad=False)
    zero = np.zeros((4, 3))  # zero columns: tau = 0, Q = I
    run_both(lambda t: pe.geqrf(t), [zero], dtype, grad=False)


# ---- eigh ----------------------------------------------------------------------------------

def check_eigh(w, v, a, atol):
    vn, wn = np_of(v), np_of(w)
    np.testing.assert_allclose((vn * wn[..., None, :]) @ np.swapaxes(vn, -1, -2), a, atol=atol)
    n = a.shape[-1]
    np.testing.assert_allclose(np.swapaxes(vn, -1, -2) @ vn, np.broadcast_to(np.eye(n), a.shape), atol=atol)
    assert np.all(np.diff(wn, axis=-1) >= 0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh(dtype, uplo):
    s = RNG.standard_normal((2, 3, 5, 5))
    tri = np.tril(s) if uplo == "L" else np.triu(s)  # only this triangle is read
    full = tri + np.swapaxes(tri, -1, -2) - tri * np.eye(5)
    want = torch.linalg.eigvalsh(torch.tensor(full)).numpy()
    (w,) = run_both(lambda t: pe.linalg.eigvalsh(t, UPLO=uplo), [tri], dtype)
    np.testing.assert_allclose(np_of(w), want, **TOL[dtype])
    w, v = pe.linalg.eigh(on(tri, "cuda", dtype), UPLO=uplo)
    assert v.device.type == "cuda"
    check_eigh(w, v, full, 1e-4 if dtype == pe.float32 else 1e-12)
    # Gradients through sign-free functions of the vectors (distinct eigenvalues here).
    run_both(lambda t: (lambda w, v: (w, v * v))(*pe.linalg.eigh(t, UPLO=uplo)), [tri], dtype,
             tol=dict(rtol=1e-3, atol=1e-4) if dtype == pe.float32 else None)


def test_eigh_layouts_and_hard_cases():
    s = RNG.standard_normal((6, 6))
    sym = s + s.T
    run_both(lambda t: pe.linalg.eigvalsh(t[::2, ::2]), [sym], pe.float64)
    run_both(lambda t: pe.linalg.eigvalsh(t.mT), [sym], pe.float64)
    (w,) = run_both(lambda t: pe.linalg.eigvalsh(t), [np.zeros((0, 3, 3))], pe.float64)
    assert tuple(w.shape) == (0, 3)
    run_both(lambda t: pe.linalg.eigh(t), [np.full((1, 1), -2.0)], pe.float64)
    h = hilbert(8)  # eigenvalues from 1.7 down to 1e-10
    w, v = pe.linalg.eigh(on(h, "cuda", pe.float64))
    np.testing.assert_allclose(np_of(w), np.linalg.eigvalsh(h), rtol=1e-6, atol=1e-15)
    check_eigh(w, v, h, 1e-13)
    for a in (np.ones((4, 4)), np.eye(4) * 3, np.zeros((3, 3)), np.diag([3.0, 1.0, 2.0])):  # repeated / zero
        w, v = pe.linalg.eigh(on(a, "cuda", pe.float64))
        np.testing.assert_allclose(np_of(w), np.linalg.eigvalsh(a), atol=1e-13)
        check_eigh(w, v, a, 1e-13)


# ---- SVD -----------------------------------------------------------------------------------

def check_svd(u, s, vh, a, atol):
    un, sn, vn = np_of(u), np_of(s), np_of(vh)
    k = sn.shape[-1]
    np.testing.assert_allclose((un[..., :, :k] * sn[..., None, :]) @ vn[..., :k, :], a, atol=atol)
    for q in (np.swapaxes(un, -1, -2) @ un, vn @ np.swapaxes(vn, -1, -2)):
        np.testing.assert_allclose(q, np.broadcast_to(np.eye(q.shape[-1]), q.shape), atol=atol)
    assert np.all(np.diff(sn, axis=-1) <= 0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(2, 5, 3), (3, 4), (2, 2, 3, 6), (1, 1), (0, 4, 3), (3, 0), (0, 2)])
@pytest.mark.parametrize("full", [False, True])
def test_svd(dtype, shape, full):
    a = RNG.standard_normal(shape)
    (s,) = run_both(lambda t: pe.linalg.svdvals(t), [a], dtype)
    np.testing.assert_allclose(np_of(s), torch.linalg.svdvals(torch.tensor(a)).numpy(), **TOL[dtype])
    u, s, vh = pe.linalg.svd(on(a, "cuda", dtype), full_matrices=full)
    want = torch.linalg.svd(torch.tensor(a), full_matrices=full)
    assert [tuple(x.shape) for x in (u, s, vh)] == [tuple(x.shape) for x in want]
    assert u.device.type == vh.device.type == "cuda"
    if a.size:
        check_svd(u, s, vh, a, 1e-5 if dtype == pe.float32 else 1e-12)
    elif full:  # the completion of nothing is the standard basis, as LAPACK
        assert_same_as_cpu(u, pe.linalg.svd(on(a, "cpu", dtype), full_matrices=True)[0])
        assert_same_as_cpu(vh, pe.linalg.svd(on(a, "cpu", dtype), full_matrices=True)[2])


@pytest.mark.parametrize("dtype", DTYPES)
def test_svd_gradients(dtype):
    a = RNG.standard_normal((2, 4, 3))
    tol = dict(rtol=1e-3, atol=1e-4) if dtype == pe.float32 else None
    run_both(lambda t: pe.linalg.svdvals(t), [a], dtype, tol=tol)
    run_both(lambda t: (lambda u, s, vh: (s, u * u, vh * vh))(*pe.linalg.svd(t, full_matrices=False)), [a], dtype,
             tol=tol)
    run_both(lambda t: (lambda u, s, v: u @ pe.diag_embed(s) @ v.mT)(*pe.svd(t)), [a.swapaxes(-1, -2)], dtype,
             tol=tol)


def test_svd_rank_deficient_layouts_and_legacy():
    rank1 = np.outer(RNG.standard_normal(5), RNG.standard_normal(4))
    for a in (rank1, np.zeros((3, 4)), hilbert(6), rank1.T):
        for full in (False, True):
            u, s, vh = pe.linalg.svd(on(a, "cuda", pe.float64), full_matrices=full)
            check_svd(u, s, vh, a, 1e-12)
            np.testing.assert_allclose(np_of(s), np.linalg.svd(a, compute_uv=False), rtol=1e-9, atol=1e-14)
    big = RNG.standard_normal((3, 7, 6))
    run_both(lambda t: pe.linalg.svdvals(t[:, ::2, 1::2]), [big], pe.float64)
    run_both(lambda t: pe.linalg.svdvals(t.mT), [big], pe.float64)
    u, s, v = pe.svd(on(big, "cuda", pe.float32), some=False, compute_uv=False)
    assert tuple(u.shape) == (3, 7, 7) and float(u.abs().sum()) == 0.0 and tuple(v.shape) == (3, 6, 6)


# ---- what is built on them -----------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_pinv_rank_cond_lstsq(dtype):
    a = RNG.standard_normal((2, 5, 3))
    b = RNG.standard_normal((2, 5, 2))
    tol = dict(rtol=1e-3, atol=1e-4) if dtype == pe.float32 else None
    run_both(lambda t: pe.linalg.pinv(t), [a], dtype, tol=tol)
    run_both(lambda t: pe.linalg.pinv(t @ t.mT, hermitian=True), [a], dtype, grad=False, tol=tol)
    run_both(lambda t: pe.linalg.matrix_rank(t), [np.concatenate([a, a], -1)], dtype, grad=False)
    run_both(lambda t: pe.linalg.matrix_rank(t @ t.mT, hermitian=True), [a], dtype, grad=False)
    sq = RNG.standard_normal((3, 4, 4))
    for p in (None, 2, -2, "fro", "nuc", 1, float("inf")):
        run_both(lambda t: pe.linalg.cond(t, p), [sq], dtype, grad=p in (None, "fro"), tol=tol)
    run_both(lambda t, r: pe.linalg.lstsq(t, r).solution, [a, b], dtype, tol=tol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_lu_unpack_and_lu_solve(dtype):
    a = RNG.standard_normal((2, 3, 4, 4))
    b = RNG.standard_normal((2, 3, 4, 2))
    run_both(lambda t: pe.linalg.lu(t), [a], dtype)
    run_both(lambda t: pe.lu_unpack(*pe.linalg.lu_factor(t)), [RNG.standard_normal((2, 5, 3))], dtype, grad=False)
    run_both(lambda t: pe.lu_unpack(*pe.linalg.lu_factor(t)), [RNG.standard_normal((3, 6))], dtype, grad=False)
    for left, adjoint in [(True, False), (True, True), (False, False), (False, True)]:
        rhs = b if left else np.swapaxes(b, -1, -2)
        run_both(lambda t, r: pe.linalg.lu_solve(*pe.linalg.lu_factor(t), r, left=left, adjoint=adjoint),
                 [a, rhs], dtype, grad=False)
    run_both(lambda t, r: pe.linalg.solve(t, r), [a, b], dtype)


def test_solve_ex_inv_ex_singular():
    a = RNG.standard_normal((3, 4, 4))
    a[1, :, 2] = 0.0  # singular
    b = RNG.standard_normal((3, 4, 2))
    for fn in (lambda d: pe.linalg.solve_ex(on(a, d, pe.float64), on(b, d, pe.float64)),
               lambda d: pe.linalg.inv_ex(on(a, d, pe.float64))):
        (xg, ig), (xc, ic) = fn("cuda"), fn("cpu")
        assert ig.device.type == "cuda" and ig.cpu().tolist() == ic.tolist() and ic.tolist()[1] > 0
        for i in (0, 2):
            assert_same_as_cpu(xg[i], xc[i], rtol=1e-9, atol=1e-11)
        assert not np.isfinite(np_of(xg[1])).all()
    with pytest.raises(pe.linalg.LinAlgError):
        pe.linalg.solve_ex(on(a, "cuda", pe.float64), on(b, "cuda", pe.float64), check_errors=True)
    with pytest.raises(pe.linalg.LinAlgError):
        pe.linalg.inv(on(a, "cuda", pe.float64))
    run_both(lambda t, r: pe.linalg.solve_ex(t, r)[0], [a[::2], b[::2]], pe.float64)
    run_both(lambda t, r: pe.linalg.solve_ex(t, r[..., 0], left=True)[0], [a[::2], b[::2]], pe.float64)
    run_both(lambda t: pe.linalg.inv_ex(t)[0], [a[::2]], pe.float64)
    run_both(lambda t, r: pe.linalg.solve_ex(t, r.mT, left=False)[0], [a[::2], b[::2]], pe.float64)
    run_both(lambda t, r: pe.linalg.solve_ex(t[0], r)[0], [a, b], pe.float32)  # A broadcast over B's batch
    with pytest.raises(RuntimeError, match="Incompatible shapes"):
        pe.linalg.solve_ex(on(a, "cuda", pe.float64), on(b[:, :3], "cuda", pe.float64))
    (c,) = run_both(lambda t: pe.linalg.cond(t, "fro"), [a], pe.float64, grad=False)
    assert c.cpu().tolist()[1] == float("inf")


def test_dims_beyond_one_block():
    """Rows / columns beyond the 256 threads of a block (the strided loops and the grid's second axis)."""
    run_both(lambda t: pe.linalg.cholesky(t), [spd(n=270)], pe.float64, grad=False)
    a, b = RNG.standard_normal((5, 5)) + 5 * np.eye(5), RNG.standard_normal((5, 600))
    run_both(lambda t, r: pe.linalg.solve_triangular(t, r, upper=True), [a, b], pe.float64, grad=False)
    tall = RNG.standard_normal((300, 4))
    run_both(lambda t: pe.linalg.qr(t), [tall], pe.float64, grad=False)
    run_both(lambda t: pe.linalg.svdvals(t), [tall], pe.float64, grad=False)
    u, s, vh = pe.linalg.svd(on(tall.T, "cuda", pe.float64), full_matrices=False)
    check_svd(u, s, vh, tall.T, 1e-12)
    sym = RNG.standard_normal((40, 40))
    sym = sym + sym.T  # two warps per block
    w, v = pe.linalg.eigh(on(sym, "cuda", pe.float64))
    np.testing.assert_allclose(np_of(w), np.linalg.eigvalsh(sym), rtol=1e-10, atol=1e-12)
    check_eigh(w, v, sym, 1e-11)


# ---- errors ----------------------------------------------------------------------------------

def test_bad_input_errors_match_cpu():
    calls = [
        lambda d: pe.linalg.cholesky(pe.ones(2, 3, device=d)),
        lambda d: pe.linalg.cholesky(pe.ones(3, 3, dtype=pe.int64, device=d)),
        lambda d: pe.linalg.eigh(pe.ones(2, 3, device=d)),
        lambda d: pe.linalg.eigh(pe.eye(3, device=d), UPLO="X"),
        lambda d: pe.linalg.svd(pe.ones(3, device=d)),
        lambda d: pe.linalg.svd(pe.ones(3, 3, dtype=pe.int64, device=d)),
        lambda d: pe.linalg.solve_triangular(pe.eye(3, device=d), pe.ones(2, 2, device=d), upper=True),
        lambda d: pe.linalg.householder_product(pe.ones(2, 3, device=d), pe.ones(1, device=d)),
        lambda d: pe.linalg.qr(pe.ones(3, 3, device=d), mode="bad"),
    ]
    for call in calls:
        with pytest.raises(Exception) as cpu_err:
            call("cpu")
        with pytest.raises(type(cpu_err.value)):
            call("cuda")
    with pytest.raises(RuntimeError, match="same device|device"):
        pe.linalg.solve_triangular(pe.eye(3, device="cuda"), pe.ones(3, 2), upper=True)
    with pytest.raises(pe.linalg.LinAlgError):
        pe.linalg.cholesky(-pe.eye(3, device="cuda"))


# ---- no host synchronisation inside the ops --------------------------------------------------

def _ops_under_busy_stream(seconds):
    """Runs the ops and their backward while the stream is kept busy for `seconds` (torch.cuda._sleep).
    Returns (the stream was still busy after them, the host time they took)."""
    a = on(spd(2, n=4), "cuda", pe.float64, grad=True)
    b = on(RNG.standard_normal((2, 4, 3)), "cuda", pe.float64, grad=True)
    pe.cuda.synchronize()
    stream = pe.cuda.current_stream()
    t0 = time.monotonic()
    pe.cuda._sleep(int(1.755e9 * seconds))
    L, info = pe.linalg.cholesky_ex(a)
    w, v = pe.linalg.eigh(a)
    u, s, vh = pe.linalg.svd(b, full_matrices=False)
    q, r = pe.linalg.qr(b)
    x = pe.linalg.solve_triangular(L, b, upper=False)
    p, lo, up = pe.linalg.lu(a)
    y = pe.linalg.lu_solve(*pe.linalg.lu_factor_ex(a)[:2], b)
    z = pe.linalg.solve_ex(a, b)[0] + pe.linalg.inv_ex(a)[0] @ b + pe.linalg.lstsq(a, b).solution
    loss = (L.sum() + w.sum() + (v * v).sum() + s.sum() + (u * u).sum() + (q * q).sum() + r.sum() + x.sum()
            + up.sum() + y.sum() + pe.linalg.pinv(b).sum() + z.sum() + pe.linalg.cond(a, "fro").sum()
            + pe.linalg.svdvals(b).sum() + pe.linalg.eigvalsh(a).sum())
    loss.backward()
    busy, took = not stream.query(), time.monotonic() - t0
    pe.cuda.synchronize()
    assert stream.query()
    assert a.grad.device.type == "cuda" and b.grad.device.type == "cuda"
    assert np.isfinite(np_of(a.grad)).all() and np.isfinite(np_of(b.grad)).all()
    return busy, took


def test_no_host_sync_inside_the_ops():
    """With the stream kept busy (torch.cuda._sleep), ops that need no value on the host must return
    before the stream is done: a copy to the host or a synchronisation inside them would wait for it.
    Only a run whose host time stayed under the busy time decides (a loaded machine retries longer)."""
    for seconds in (20, 90):
        busy, took = _ops_under_busy_stream(seconds)
        if took < 0.9 * seconds:
            assert busy, "an op waited for the stream (a host copy or sync inside it)"
            return
    raise AssertionError(f"the ops took {took:.0f} s of host time, longer than the stream was kept busy")
