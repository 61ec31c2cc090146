"""torch.linalg's decompositions and composites against PyTorch: cholesky(_ex), cholesky_solve/inverse,
qr (every mode), eigh/eigvalsh, lu_factor(_ex)/lu/lu_solve/lu_unpack, solve_triangular, solve_ex/inv_ex,
lstsq, pinv, matrix_rank, the norms, cond, matrix_exp/power, multi_dot, householder_product,
tensorinv/tensorsolve, vander, vecdot: values, batching, non-contiguous and empty inputs, errors
(LinAlgError for singular/non-PD input) and gradients (PyTorch's, and finite differences)."""
import numpy as np
import pytest
from pe_testing import require_torch

import pyengine as pe

torch = require_torch()
pytestmark = pytest.mark.filterwarnings("ignore:torch.(qr|lu_solve|triangular_solve|cholesky) is deprecated")

RNG = np.random.default_rng(5)
TOL = {"float32": 2e-4, "float64": 1e-9}


def randn(*shape):
    return RNG.standard_normal(shape)


def spd(*shape):
    a = randn(*shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def both(a, dtype="float64", grad=False):
    """(pyengine tensor, torch tensor) with the same values."""
    p = pe.tensor(np.asarray(a), dtype=getattr(pe, dtype))
    t = torch.tensor(np.asarray(a), dtype=getattr(torch, dtype))
    if grad:
        p.requires_grad_()
        t.requires_grad_()
    return p, t


def close(p, t, dtype="float64", scale=1.0):
    if isinstance(t, (tuple, list)):
        assert len(p) == len(t)
        for a, b in zip(p, t):
            close(a, b, dtype, scale)
        return
    tn = t.detach().numpy()
    assert tuple(p.shape) == tuple(tn.shape), (tuple(p.shape), tuple(tn.shape))
    assert str(p.dtype) == str(t.dtype), (p.dtype, t.dtype)
    np.testing.assert_allclose(p.detach().numpy(), tn, rtol=TOL[dtype] * scale, atol=TOL[dtype] * scale)


def grads_match(fn_pe, fn_t, arrays, scale=1.0, outputs=None):
    """Gradients of sum(out * cot) for every output against PyTorch's, float64."""
    ps = [both(a, grad=True) for a in arrays]
    outp, outt = fn_pe(*[p for p, _ in ps]), fn_t(*[t for _, t in ps])
    outp = outp if isinstance(outp, tuple) else (outp,)
    outt = outt if isinstance(outt, tuple) else (outt,)
    idx = range(len(outt)) if outputs is None else outputs
    lp, lt = 0, 0
    for i in idx:
        c = randn(*outt[i].shape)
        lp = lp + (outp[i] * pe.tensor(c)).sum()
        lt = lt + (outt[i] * torch.tensor(c)).sum()
    gp = pe.autograd.grad(lp, [p for p, _ in ps], allow_unused=True)
    gt = torch.autograd.grad(lt, [t for _, t in ps], allow_unused=True)
    for a, b in zip(gp, gt):
        if b is None:
            assert a is None or not a.detach().numpy().any()
            continue
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-7 * scale, atol=1e-7 * scale)


def finite_diff(fn, a, eps=1e-6):
    """Checks pyengine's gradient of sum(fn(A) * c) against central differences."""
    c = None
    p = pe.tensor(a, requires_grad=True)
    out = fn(p)
    c = randn(*out.shape)
    (g,) = pe.autograd.grad((out * pe.tensor(c)).sum(), [p])
    num = np.zeros_like(a)
    for idx in np.ndindex(*a.shape):
        ap, am = a.copy(), a.copy()
        ap[idx] += eps
        am[idx] -= eps
        fp = (fn(pe.tensor(ap)).numpy() * c).sum()
        fm = (fn(pe.tensor(am)).numpy() * c).sum()
        num[idx] = (fp - fm) / (2 * eps)
    np.testing.assert_allclose(g.numpy(), num, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# Cholesky
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(1, 1), (4, 4), (3, 5, 5), (2, 1, 70, 70), (0, 3, 3), (0, 0)])
def test_cholesky_values(dtype, shape):
    a = spd(*shape) if shape[-1] else np.zeros(shape)
    p, t = both(a, dtype)
    for upper in (False, True):
        close(pe.linalg.cholesky(p, upper=upper), torch.linalg.cholesky(t, upper=upper), dtype, 10)
        rp, rt = pe.linalg.cholesky_ex(p, upper=upper), torch.linalg.cholesky_ex(t, upper=upper)
        close(rp.L, rt.L, dtype, 10)
        assert rp.info.dtype == pe.int32 and rp.info.numpy().tolist() == rt.info.numpy().tolist()
    close(pe.cholesky(p), torch.linalg.cholesky(t), dtype, 10)
    close(p.cholesky(upper=True), torch.linalg.cholesky(t, upper=True), dtype, 10)


def test_cholesky_noncontiguous_and_errors():
    a = spd(2, 6, 6)
    p, t = both(a)
    close(pe.linalg.cholesky(p.transpose(-2, -1)[:, ::1]), torch.linalg.cholesky(t.transpose(-2, -1)))
    bad = np.array([[[4.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]]])
    pb, tb = both(bad)
    with pytest.raises(pe.linalg.LinAlgError, match=r"\(Batch element 1\).*leading minor of order 2"):
        pe.linalg.cholesky(pb)
    assert issubclass(pe.linalg.LinAlgError, RuntimeError)
    r, rt = pe.linalg.cholesky_ex(pb), torch.linalg.cholesky_ex(tb)
    assert r.info.numpy().tolist() == rt.info.numpy().tolist() == [0, 2]
    close(r.L, rt.L)  # LAPACK's partial factor (the failed pivot left in place)
    with pytest.raises(pe.linalg.LinAlgError):
        pe.linalg.cholesky_ex(pb, check_errors=True)
    with pytest.raises(RuntimeError, match="square"):
        pe.linalg.cholesky(pe.ones(2, 3))
    with pytest.raises(RuntimeError, match="floating point"):
        pe.linalg.cholesky(pe.ones(2, 2, dtype=pe.int64))


def test_cholesky_grads():
    a = spd(2, 4, 4)
    for upper in (False, True):
        grads_match(lambda x: pe.linalg.cholesky(x, upper=upper), lambda x: torch.linalg.cholesky(x, upper=upper), [a])
    finite_diff(lambda x: pe.linalg.cholesky(x @ x.mT), spd(3, 3))


def test_cholesky_solve_inverse():
    L = np.linalg.cholesky(spd(2, 4, 4))
    b = randn(3, 1, 4, 2)
    for upper in (False, True):
        f = np.swapaxes(L, -1, -2) if upper else L
        (pb, tb), (pf, tf) = both(b), both(f)
        close(pe.cholesky_solve(pb, pf, upper), torch.cholesky_solve(tb, tf, upper))
        close(pb.cholesky_solve(pf, upper), torch.cholesky_solve(tb, tf, upper))
        close(pe.cholesky_inverse(pf, upper), torch.cholesky_inverse(tf, upper))
        grads_match(lambda x, y: pe.cholesky_solve(x, y, upper), lambda x, y: torch.cholesky_solve(x, y, upper),
                    [b, f])
        grads_match(lambda y: pe.cholesky_inverse(y, upper), lambda y: torch.cholesky_inverse(y, upper), [f[0]])


# ---------------------------------------------------------------------------------------------
# triangular solves
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_solve_triangular(dtype):
    a = randn(2, 1, 90, 90) * 0.1 + 2 * np.eye(90)
    b = randn(3, 90, 7)
    (pa, ta), (pb, tb) = both(a, dtype), both(b, dtype)
    for upper in (False, True):
        for unit in (False, True):
            close(pe.linalg.solve_triangular(pa, pb, upper=upper, unitriangular=unit),
                  torch.linalg.solve_triangular(ta, tb, upper=upper, unitriangular=unit), dtype, 10)
            close(pe.linalg.solve_triangular(pa, pb.mT, upper=upper, left=False, unitriangular=unit),
                  torch.linalg.solve_triangular(ta, tb.mT, upper=upper, left=False, unitriangular=unit), dtype, 10)
    # non-contiguous operands, an empty right-hand side, out=
    close(pe.linalg.solve_triangular(pa.mT[..., ::2, ::2], pb[..., ::2, :], upper=True),
          torch.linalg.solve_triangular(ta.mT[..., ::2, ::2], tb[..., ::2, :], upper=True), dtype, 10)
    close(pe.linalg.solve_triangular(pa, pb[..., :0], upper=False),
          torch.linalg.solve_triangular(ta, tb[..., :0], upper=False), dtype)
    out = pe.empty(0, dtype=getattr(pe, dtype))
    pe.linalg.solve_triangular(pa[0, 0], pb[0], upper=True, out=out)
    close(out, torch.linalg.solve_triangular(ta[0, 0], tb[0], upper=True), dtype, 10)
    with pytest.raises(RuntimeError, match="Incompatible shapes"):
        pe.linalg.solve_triangular(pa, pb.mT, upper=True)


def test_solve_triangular_grads_and_legacy():
    a = np.triu(randn(2, 4, 4)) + 4 * np.eye(4)
    b = randn(4, 3)
    for left in (True, False):
        bb = b if left else b.T
        grads_match(lambda x, y: pe.linalg.solve_triangular(x, y, upper=True, left=left),
                    lambda x, y: torch.linalg.solve_triangular(x, y, upper=True, left=left), [a, bb])
    grads_match(lambda x, y: pe.linalg.solve_triangular(x, y, upper=False, unitriangular=True),
                lambda x, y: torch.linalg.solve_triangular(x, y, upper=False, unitriangular=True), [a, b])
    (pa, ta), (pb, tb) = both(a), both(b)
    for transpose in (False, True):
        close(pe.triangular_solve(pb, pa, True, transpose), torch.triangular_solve(tb, ta, True, transpose))


# ---------------------------------------------------------------------------------------------
# QR, eigh
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 3, 7, 4), (0, 3), (3, 0), (0, 2, 2)])
def test_qr(dtype, shape):
    p, t = both(randn(*shape), dtype)
    for mode in ("reduced", "complete", "r"):
        close(pe.linalg.qr(p, mode), torch.linalg.qr(t, mode), dtype, 10)
    close(pe.qr(p), torch.qr(t), dtype, 10)
    close(pe.qr(p, some=False), torch.qr(t, some=False), dtype, 10)
    close(pe.geqrf(p), torch.geqrf(t), dtype, 10)
    with pytest.raises(RuntimeError, match="unrecognized mode"):
        pe.linalg.qr(p, "bad")


def test_qr_grads_householder():
    for shape in ((5, 3), (3, 5), (2, 4, 4)):
        grads_match(pe.linalg.qr, torch.linalg.qr, [randn(*shape)])
    grads_match(lambda x: pe.linalg.qr(x, "complete"), lambda x: torch.linalg.qr(x, "complete"), [randn(3, 5)])
    with pytest.raises(RuntimeError, match="mode='r'"):
        x = pe.randn(3, 3, dtype=pe.float64, requires_grad=True)
        pe.linalg.qr(x, "r").R.sum().backward()
    a, tau = randn(2, 6, 4), randn(2, 3)
    (pa, ta), (pt, tt) = both(a), both(tau)
    close(pe.linalg.householder_product(pa, pt), torch.linalg.householder_product(ta, tt))
    close(pe.orgqr(pa, pt), torch.orgqr(ta, tt))
    grads_match(pe.linalg.householder_product, torch.linalg.householder_product, [a, tau])
    c, tau4 = randn(2, 6, 3), randn(2, 4)
    pc, tc = both(c)
    pt, tt = both(tau4)
    for left in (True, False):
        for transpose in (False, True):
            cc_p, cc_t = (pc, tc) if left else (pc.mT, tc.mT)
            close(pe.ormqr(pa, pt, cc_p, left, transpose), torch.ormqr(ta, tt, cc_t, left, transpose))
    grads_match(lambda x, y, z: pe.ormqr(x, y, z), lambda x, y, z: torch.ormqr(x, y, z), [a, tau4, c])


def _fix_signs(v):
    """Eigenvectors are defined up to sign: make each column's largest entry positive."""
    idx = np.abs(v).argmax(-2)[..., None, :]
    return v * np.sign(np.take_along_axis(v, idx, -2))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(1, 1), (5, 5), (3, 2, 8, 8), (60, 60), (0, 4, 4)])
def test_eigh(dtype, shape):
    a = randn(*shape)
    p, t = both(a, dtype)
    for uplo in ("L", "U"):
        wp, vp = pe.linalg.eigh(p, UPLO=uplo)
        wt, vt = torch.linalg.eigh(t, UPLO=uplo)
        close(wp, wt, dtype, 10)
        np.testing.assert_allclose(_fix_signs(vp.numpy()), _fix_signs(vt.numpy()), atol=TOL[dtype] * 100)
        close(pe.linalg.eigvalsh(p, uplo), torch.linalg.eigvalsh(t, uplo), dtype, 10)
    with pytest.raises(RuntimeError, match="UPLO"):
        pe.linalg.eigh(p, UPLO="X")


def test_eigh_grads():
    a = randn(4, 4)
    a = a + a.T
    grads_match(lambda x: pe.linalg.eigh(x).eigenvalues, lambda x: torch.linalg.eigh(x).eigenvalues, [a])
    grads_match(pe.linalg.eigvalsh, torch.linalg.eigvalsh, [a])
    # a sign-invariant function of the eigenvectors
    grads_match(lambda x: pe.linalg.eigh(x).eigenvectors.abs(), lambda x: torch.linalg.eigh(x).eigenvectors.abs(),
                [a])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_eig_general_matrices(dtype):
    """linalg.eig / eigvals of non-symmetric (batched, transposed, empty) matrices: eigenvalues as PyTorch's (same
    order: both are LAPACK geev), and A V = V diag(w) with unit-norm columns."""
    rng = np.random.default_rng(3)
    tol = 1e-4 if dtype == "float32" else 1e-10
    for a in (rng.standard_normal((5, 5)), rng.standard_normal((2, 3, 4, 4)), rng.standard_normal((4, 4)).T,
              np.zeros((0, 0)), np.zeros((3, 0, 0))):
        a = a.astype(dtype)
        w, v = pe.linalg.eig(pe.tensor(a))
        tw = torch.linalg.eigvals(torch.tensor(a))
        assert str(w.dtype) == str(tw.dtype) and w.shape == tuple(tw.shape) and v.shape == a.shape
        np.testing.assert_allclose(w.numpy(), tw.numpy(), rtol=tol, atol=tol)
        np.testing.assert_allclose(pe.linalg.eigvals(pe.tensor(a)).numpy(), tw.numpy(), rtol=tol, atol=tol)
        vn = v.numpy()
        np.testing.assert_allclose(a.astype(vn.dtype) @ vn, vn * w.numpy()[..., None, :], rtol=tol, atol=tol * 10)
        if vn.size:
            np.testing.assert_allclose(np.linalg.norm(vn, axis=-2), 1, rtol=tol)
    for bad, cls in ((pe.ones(2, 3), RuntimeError), (pe.ones(3, 3, dtype=pe.int64), RuntimeError),
                     (pe.tensor([[1.0, float("nan")], [0.0, 1.0]]), RuntimeError)):
        with pytest.raises(cls):
            pe.linalg.eig(bad)
    assert pe.linalg.eig(pe.ones(2, 2, requires_grad=True)).eigenvalues.grad_fn is None


# ---------------------------------------------------------------------------------------------
# LU
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(4, 4), (6, 4), (4, 6), (2, 3, 5, 5), (0, 3, 3), (3, 0)])
def test_lu(dtype, shape):
    p, t = both(randn(*shape), dtype)
    rp, rt = pe.linalg.lu_factor_ex(p), torch.linalg.lu_factor_ex(t)
    close(rp.LU, rt.LU, dtype, 10)
    assert rp.pivots.dtype == pe.int32 and rp.pivots.numpy().tolist() == rt.pivots.numpy().tolist()
    assert rp.info.numpy().tolist() == rt.info.numpy().tolist()
    close(pe.linalg.lu(p), torch.linalg.lu(t), dtype, 10)
    close(pe.lu_unpack(rp.LU, rp.pivots), torch.lu_unpack(rt.LU, rt.pivots), dtype, 10)
    LU, piv = pe.lu(p)
    close(LU, rt.LU, dtype, 10)
    if shape[-1] == shape[-2]:
        b = randn(*shape[:-1], 2)
        pb, tb = both(b, dtype)
        for left in (True, False):
            for adjoint in (False, True):
                bb_p, bb_t = (pb, tb) if left else (pb.mT, tb.mT)
                close(pe.linalg.lu_solve(rp.LU, rp.pivots, bb_p, left=left, adjoint=adjoint),
                      torch.linalg.lu_solve(rt.LU, rt.pivots, bb_t, left=left, adjoint=adjoint), dtype, 100)
        close(pe.lu_solve(pb, rp.LU, rp.pivots), torch.lu_solve(tb, rt.LU, rt.pivots), dtype, 100)


def test_lu_grads_and_errors():
    for shape in ((4, 4), (5, 3), (3, 5)):
        grads_match(lambda x: pe.linalg.lu(x)[1:], lambda x: torch.linalg.lu(x)[1:], [randn(*shape)])
        grads_match(lambda x: pe.linalg.lu_factor(x).LU, lambda x: torch.linalg.lu_factor(x).LU, [randn(*shape)])
    a, b = randn(2, 4, 4), randn(4, 3)
    grads_match(lambda x, y: pe.linalg.lu_solve(*pe.linalg.lu_factor(x), y),
                lambda x, y: torch.linalg.lu_solve(*torch.linalg.lu_factor(x), y), [a, b])
    z = pe.zeros(2, 2)
    with pytest.raises(pe.linalg.LinAlgError, match=r"U\[1,1\] is zero"):
        pe.linalg.lu_factor(z)
    with pytest.raises(RuntimeError, match="without pivoting"):
        pe.linalg.lu_factor(pe.eye(2), pivot=False)


# ---------------------------------------------------------------------------------------------
# solve_ex / inv_ex, lstsq, pinv, matrix_rank
# ---------------------------------------------------------------------------------------------

def test_solve_ex_inv_ex():
    a, b = randn(2, 3, 3) + 3 * np.eye(3), randn(2, 3)
    (pa, ta), (pb, tb) = both(a), both(b)
    close(pe.linalg.solve_ex(pa, pb), torch.linalg.solve_ex(ta, tb))
    close(pe.linalg.inv_ex(pa), torch.linalg.inv_ex(ta))
    sing = np.array([[1.0, 2.0], [2.0, 4.0]])
    ps, ts = both(sing)
    r, rt = pe.linalg.inv_ex(ps), torch.linalg.inv_ex(ts)
    assert r.info.numpy().tolist() == rt.info.numpy().tolist() == 2
    r = pe.linalg.solve_ex(ps, pe.ones(2, dtype=pe.float64))
    assert int(r.info) == 2
    with pytest.raises(pe.linalg.LinAlgError, match="singular"):
        pe.linalg.solve_ex(ps, pe.ones(2, dtype=pe.float64), check_errors=True)
    grads_match(lambda x, y: pe.linalg.solve_ex(x, y).result, lambda x, y: torch.linalg.solve_ex(x, y).result, [a, b])


@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
def test_lstsq(driver):
    a, b = randn(2, 6, 3), randn(2, 6, 2)
    (pa, ta), (pb, tb) = both(a), both(b)
    rp, rt = pe.linalg.lstsq(pa, pb, driver=driver), torch.linalg.lstsq(ta, tb, driver=driver)
    close(rp.solution, rt.solution)
    close(rp.residuals, rt.residuals)
    assert rp.rank.numpy().tolist() == rt.rank.numpy().tolist()
    close(rp.singular_values, rt.singular_values)
    # wide and vector right-hand sides
    close(pe.linalg.lstsq(pa.mT, pb[..., :3, 0], driver=driver).solution,
          torch.linalg.lstsq(ta.mT, tb[..., :3, 0], driver=driver).solution)
    grads_match(lambda x, y: pe.linalg.lstsq(x, y, driver=driver)[:2],
                lambda x, y: torch.linalg.lstsq(x, y, driver=driver)[:2], [a, b])


def test_pinv_matrix_rank():
    a = randn(3, 5, 3) @ randn(3, 3, 4)  # rank 3, 5x4
    p, t = both(a)
    close(pe.linalg.pinv(p), torch.linalg.pinv(t), scale=100)
    close(pe.pinverse(p), torch.pinverse(t), scale=100)
    close(pe.linalg.pinv(p, atol=0.5, rtol=0.1), torch.linalg.pinv(t, atol=0.5, rtol=0.1), scale=100)
    assert pe.linalg.matrix_rank(p).numpy().tolist() == torch.linalg.matrix_rank(t).numpy().tolist() == [3, 3, 3]
    assert (pe.linalg.matrix_rank(p, atol=1.0, rtol=0.0).numpy().tolist()
            == torch.linalg.matrix_rank(t, atol=1.0, rtol=0.0).numpy().tolist())
    s = randn(4, 4)
    s = s + s.T
    ps, ts = both(s)
    close(pe.linalg.pinv(ps, hermitian=True), torch.linalg.pinv(ts, hermitian=True), scale=100)
    assert int(pe.linalg.matrix_rank(ps, hermitian=True)) == int(torch.linalg.matrix_rank(ts, hermitian=True))
    grads_match(pe.linalg.pinv, torch.linalg.pinv, [randn(2, 4, 3)], scale=10)
    grads_match(lambda x: pe.linalg.pinv(x, hermitian=True), lambda x: torch.linalg.pinv(x, hermitian=True), [s],
                scale=10)
    close(pe.linalg.pinv(pe.zeros(0, 3, dtype=pe.float64)), torch.linalg.pinv(torch.zeros(0, 3, dtype=torch.float64)))


# ---------------------------------------------------------------------------------------------
# norms, cond
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -1, 2, -2, float("inf"), float("-inf")])
def test_matrix_norm(ord):
    a = randn(2, 4, 5)
    p, t = both(a)
    close(pe.linalg.matrix_norm(p, ord), torch.linalg.matrix_norm(t, ord))
    close(pe.linalg.matrix_norm(p, ord, dim=(0, 2), keepdim=True),
          torch.linalg.matrix_norm(t, ord, dim=(0, 2), keepdim=True))
    close(pe.linalg.norm(p[0], ord), torch.linalg.norm(t[0], ord))
    close(pe.linalg.matrix_norm(p.mT, ord), torch.linalg.matrix_norm(t.mT, ord))
    grads_match(lambda x: pe.linalg.matrix_norm(x, ord), lambda x: torch.linalg.matrix_norm(x, ord), [a])
    if ord not in ("fro", "nuc"):
        sq = randn(3, 4, 4)
        close(pe.linalg.cond(pe.tensor(sq), ord), torch.linalg.cond(torch.tensor(sq), ord), scale=100)


@pytest.mark.parametrize("ord", [0, 1, 2, 3, 0.5, -1, float("inf"), float("-inf")])
def test_vector_norm(ord):
    a = randn(3, 4)
    p, t = both(a)
    close(pe.linalg.vector_norm(p, ord), torch.linalg.vector_norm(t, ord))
    close(pe.linalg.vector_norm(p, ord, dim=1, keepdim=True), torch.linalg.vector_norm(t, ord, dim=1, keepdim=True))
    close(pe.linalg.norm(p[0], ord), torch.linalg.norm(t[0], ord))
    p32, t32 = both(a, "float32")
    close(pe.linalg.vector_norm(p32, ord, dtype=pe.float64), torch.linalg.vector_norm(t32, ord, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="without narrowing"):
        pe.linalg.vector_norm(p, ord, dtype=pe.float32)
    if ord != 0:
        grads_match(lambda x: pe.linalg.vector_norm(x, ord, dim=0), lambda x: torch.linalg.vector_norm(x, ord, dim=0),
                    [a])


def test_norm_rules_and_cond():
    a = randn(2, 3, 4)
    p, t = both(a)
    close(pe.linalg.norm(p), torch.linalg.norm(t))
    close(pe.linalg.norm(p, dim=(1, 2)), torch.linalg.norm(t, dim=(1, 2)))
    close(pe.linalg.norm(p, 3, dim=2), torch.linalg.norm(t, 3, dim=2))
    with pytest.raises(RuntimeError):
        pe.linalg.norm(p, 2)
    close(pe.linalg.cond(p), torch.linalg.cond(t))
    close(pe.linalg.cond(p, -2), torch.linalg.cond(t, -2))
    sing = np.array([[1.0, 2.0], [2.0, 4.0]])
    assert float(pe.linalg.cond(pe.tensor(sing), 1)) == float(torch.linalg.cond(torch.tensor(sing), 1)) == np.inf
    with pytest.raises(RuntimeError):
        pe.linalg.vector_norm(pe.ones(3, dtype=pe.int64))


# ---------------------------------------------------------------------------------------------
# matrix functions and products
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matrix_exp_power(dtype):
    for scale in (0.1, 1.0, 10.0):
        a = randn(2, 5, 5) * scale
        p, t = both(a, dtype)
        ref = torch.linalg.matrix_exp(torch.tensor(a))
        got = pe.linalg.matrix_exp(p).double().numpy()
        np.testing.assert_allclose(got, ref.numpy(), rtol=TOL[dtype] * 10, atol=TOL[dtype] * 10 * np.abs(ref.numpy()).max())
    p, t = both(randn(3, 4, 4) + 4 * np.eye(4), dtype)
    for n in (0, 1, 2, 5, -1, -3):
        close(pe.linalg.matrix_power(p, n), torch.linalg.matrix_power(t, n), dtype, 100)
    close(p.matrix_power(3), t.matrix_power(3), dtype, 100)
    close(pe.linalg.matrix_exp(p[:0]), torch.linalg.matrix_exp(t[:0]), dtype)


def test_matrix_exp_power_grads():
    a = randn(2, 3, 3)
    grads_match(pe.linalg.matrix_exp, torch.linalg.matrix_exp, [a], scale=10)
    grads_match(lambda x: pe.linalg.matrix_power(x, 3), lambda x: torch.linalg.matrix_power(x, 3), [a])
    grads_match(lambda x: pe.linalg.matrix_power(x, -2), lambda x: torch.linalg.matrix_power(x, -2),
                [a + 3 * np.eye(3)])


def test_multi_dot_tensorinv_tensorsolve():
    shapes = [(4,), (4, 6), (6, 2), (2, 5), (5,)]
    arrays = [randn(*s) for s in shapes]
    ps = [both(a) for a in arrays]
    close(pe.linalg.multi_dot([p for p, _ in ps]), torch.linalg.multi_dot([t for _, t in ps]))
    close(pe.linalg.multi_dot([p for p, _ in ps[1:4]]), torch.linalg.multi_dot([t for _, t in ps[1:4]]))
    grads_match(lambda *x: pe.linalg.multi_dot(x), lambda *x: torch.linalg.multi_dot(x), arrays)
    with pytest.raises(RuntimeError, match="at least 2"):
        pe.linalg.multi_dot([ps[1][0]])
    a = randn(4, 6, 8, 3) + 0.0
    a = a.reshape(24, 24) + 6 * np.eye(24)
    a = a.reshape(4, 6, 8, 3)
    p, t = both(a)
    close(pe.linalg.tensorinv(p, ind=2), torch.linalg.tensorinv(t, ind=2))
    b = randn(4, 6)
    pb, tb = both(b)
    close(pe.linalg.tensorsolve(p, pb), torch.linalg.tensorsolve(t, tb))
    # dims: the dims of A moved to the end before solving
    w = (randn(12, 12) + 6 * np.eye(12)).reshape(12, 3, 4)
    pw, tw = both(w)
    pb2, tb2 = both(randn(12))
    close(pe.linalg.tensorsolve(pw, pb2, dims=None), torch.linalg.tensorsolve(tw, tb2))
    pw3, tw3 = both(np.ascontiguousarray(w.reshape(12, 3, 4).transpose(1, 0, 2)))  # dims (0, 2) move back
    close(pe.linalg.tensorsolve(pw3, pb2, dims=(0, 2)), torch.linalg.tensorsolve(tw3, tb2, dims=(0, 2)))


def test_vander_vecdot_diagonal():
    x = randn(2, 4)
    p, t = both(x)
    close(pe.linalg.vander(p), torch.linalg.vander(t))
    close(pe.linalg.vander(p, N=6), torch.linalg.vander(t, N=6))
    close(pe.linalg.vander(pe.tensor([1, 2, 3])), torch.linalg.vander(torch.tensor([1, 2, 3])), scale=0)
    grads_match(lambda v: pe.linalg.vander(v, N=3), lambda v: torch.linalg.vander(v, N=3), [x])
    y = randn(3, 1, 4)
    py, ty = both(y)
    close(pe.linalg.vecdot(p, py), torch.linalg.vecdot(t, ty))
    close(pe.linalg.vecdot(p, py, dim=-1), torch.linalg.vecdot(t, ty, dim=-1))
    close(pe.linalg.diagonal(py, offset=1, dim1=0, dim2=2), torch.linalg.diagonal(ty, offset=1, dim1=0, dim2=2))


@pytest.mark.parametrize("name", ["cholesky", "eigvalsh", "pinv", "qr"])
def test_double_backward(name):
    """create_graph: the backward formulas are differentiable again, as PyTorch's."""
    a = spd(3, 3)
    res = []
    for m in (pe, torch):
        x = m.tensor(a, requires_grad=True)
        out = getattr(m.linalg, name)(x)
        out = out[1] if name == "qr" else out
        (g,) = m.autograd.grad((out ** 3).sum(), [x], create_graph=True)
        (gg,) = m.autograd.grad((g ** 2).sum(), [x])
        res.append(gg.detach().numpy())
    np.testing.assert_allclose(res[0], res[1], rtol=1e-7, atol=1e-9)
