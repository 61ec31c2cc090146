"""torch.linalg's decompositions and the solvers built on them, on our own kernels (pyengine._C's
_linalg_cholesky_ex, _linalg_solve_triangular, _geqrf, _linalg_householder_product, _linalg_eigh,
_linalg_lu_factor_ex; csrc/cpu/linalg_kernel_decomp.cpp). The primitives are autograd Functions with
PyTorch's backward formulas (FunctionsManual.cpp), written with differentiable ops so create_graph
works; everything else (cholesky_solve, lu_solve, lu_unpack, triangular_solve, ...) is composed of
them, as PyTorch's CompositeImplicit ops are. Real float32/float64 only: complex dtypes do not exist
in the engine, and eig/eigvals (complex results) refuse clearly.
"""
from __future__ import annotations

import numpy as np

import pyengine as _torch  # the package (partly initialized at import: used at call time)

from . import _C
from ._C import Tensor
from ._ops_linalg import _return_type, _write_out, _write_outs
from .autograd.function import Function

LinAlgError = _C._LinAlgError

_cholesky_ex_t = _return_type("linalg_cholesky_ex", ["L", "info"])
_qr_t = _return_type("linalg_qr", ["Q", "R"])
_eigh_t = _return_type("linalg_eigh", ["eigenvalues", "eigenvectors"])
_lu_factor_t = _return_type("linalg_lu_factor", ["LU", "pivots"])
_lu_factor_ex_t = _return_type("linalg_lu_factor_ex", ["LU", "pivots", "info"])
_lu_t = _return_type("linalg_lu", ["P", "L", "U"])
_lu_unpack_t = _return_type("lu_unpack", ["P", "L", "U"])
_solve_ex_t = _return_type("linalg_solve_ex", ["result", "info"])
_inv_ex_t = _return_type("linalg_inv_ex", ["inverse", "info"])
_triangular_solve_t = _return_type("triangular_solve", ["solution", "cloned_coefficient"])
_geqrf_t = _return_type("geqrf", ["a", "tau"])
_qr_legacy_t = _return_type("qr", ["Q", "R"])


def _mT(x: Tensor) -> Tensor:
    return x.transpose(-2, -1)


def _eye_like(n: int, like: Tensor) -> Tensor:
    return _torch.eye(n, dtype=like.dtype, device=like.device)


def _sum_to(g: Tensor, shape) -> Tensor:
    """g summed over the dims that broadcasting added or expanded (the gradient of an expand)."""
    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return g
    lead = g.dim() - len(shape)
    if lead:
        g = g.sum(tuple(range(lead)))
    dims = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    return g.sum(dims, keepdim=True) if dims else g


def _batch_prefix(info: Tensor, idx: int) -> str:
    return f"(Batch element {idx}): " if info.dim() > 0 else ""


def _first_bad(info: Tensor):
    """(flat batch index, info value) of the first failed factorization, or None."""
    if info.is_meta:  # no values, so no failed factorization to report (as PyTorch's meta kernels)
        return None
    flat = info.reshape(-1).tolist()
    for i, v in enumerate(flat):
        if v != 0:
            return i, v
    return None


def _refuse_complex(A: Tensor, fn: str) -> None:
    if getattr(A.dtype, "is_complex", False):
        raise NotImplementedError(f"{fn}: complex inputs are not supported by pyengine")


# ---------------------------------------------------------------------------------------------
# triangular solve
# ---------------------------------------------------------------------------------------------

class _SolveTriangular(Function):
    @staticmethod
    def forward(ctx, A, B, upper, left, unitriangular):
        X = _C._linalg_solve_triangular(A, B, upper, left, unitriangular)
        ctx.save_for_backward(A, X)
        ctx.args = (upper, left, unitriangular, tuple(A.shape), tuple(B.shape))
        return X

    @staticmethod
    def backward(ctx, gX):
        A, X = ctx.saved_tensors
        upper, left, unit, a_shape, b_shape = ctx.args
        gB = solve_triangular(_mT(A), gX, upper=not upper, left=left, unitriangular=unit)
        gA = None
        if ctx.needs_input_grad[0]:
            gA = -(gB @ _mT(X)) if left else -(_mT(X) @ gB)
            gA = gA.triu(1 if unit else 0) if upper else gA.tril(-1 if unit else 0)
            gA = _sum_to(gA, a_shape)
        return gA, _sum_to(gB, b_shape) if ctx.needs_input_grad[1] else None, None, None, None


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False,
                     out: Tensor | None = None) -> Tensor:
    """X with A X = B (left) or X A = B for triangular A; only A's `upper`/lower triangle is read."""
    _refuse_complex(A, "linalg.solve_triangular")
    return _write_out(out, _SolveTriangular.apply(A, B, bool(upper), bool(left), bool(unitriangular)),
                      "linalg_solve_triangular")


def triangular_solve(b: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False, *, out=None):
    """torch.triangular_solve: (solution of op(A) X = b, a copy of A)."""
    if A.dim() < 2 or b.dim() < 2:
        raise RuntimeError("torch.triangular_solve: Expected b and A to have at least 2 dimensions, but they have "
                           f"{b.dim()} and {A.dim()} dimensions")
    At = _mT(A) if transpose else A
    X = solve_triangular(At, b, upper=upper != bool(transpose), left=True, unitriangular=unitriangular)
    return _write_outs(out, _triangular_solve_t(X, A.clone()), "triangular_solve")


# ---------------------------------------------------------------------------------------------
# Cholesky
# ---------------------------------------------------------------------------------------------

class _CholeskyEx(Function):
    @staticmethod
    def forward(ctx, A, upper):
        L, info = _C._linalg_cholesky_ex(A, upper)
        ctx.save_for_backward(L)
        ctx.upper = upper
        ctx.mark_non_differentiable(info)
        return L, info

    @staticmethod
    def backward(ctx, gL, ginfo):
        (L,) = ctx.saved_tensors
        if ctx.upper:  # PyTorch's cholesky_backward on the lower factor
            L, gL = _mT(L), _mT(gL)
        gA = (_mT(L) @ gL).tril()
        gA = 0.5 * (gA + _mT(gA.tril(-1)))
        gA = solve_triangular(_mT(L), gA, upper=True, left=True)
        gA = solve_triangular(L, gA, upper=False, left=False)
        return gA, None


def _cholesky_error(fn: str, info: Tensor) -> None:
    bad = _first_bad(info)
    if bad is not None:
        i, v = bad
        raise LinAlgError(f"{fn}: {_batch_prefix(info, i)}The factorization could not be completed because the "
                          f"input is not positive-definite (the leading minor of order {v} is not positive-definite).")


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False, out=None):
    """(L, info) with A = L L^T (or U^T U with upper); info > 0 marks a matrix that is not positive-definite."""
    _refuse_complex(A, "linalg.cholesky_ex")
    L, info = _CholeskyEx.apply(A, bool(upper))
    if check_errors:
        _cholesky_error("linalg.cholesky_ex", info)
    return _write_outs(out, _cholesky_ex_t(L, info), "linalg_cholesky_ex")


def cholesky(A: Tensor, *, upper: bool = False, out: Tensor | None = None) -> Tensor:
    """The Cholesky factor; LinAlgError when a matrix is not positive-definite."""
    _refuse_complex(A, "linalg.cholesky")
    L, info = _CholeskyEx.apply(A, bool(upper))
    _cholesky_error("linalg.cholesky", info)
    return _write_out(out, L, "linalg_cholesky")


def cholesky_legacy(input: Tensor, upper: bool = False, *, out: Tensor | None = None) -> Tensor:
    """torch.cholesky (deprecated in PyTorch, same factor as torch.linalg.cholesky)."""
    L, info = _CholeskyEx.apply(input, bool(upper))
    _cholesky_error("cholesky", info)
    return _write_out(out, L, "cholesky")


def _cholesky_solve_value(B: Tensor, L: Tensor, upper: bool) -> Tensor:
    if upper:  # (U^T U) X = B
        return _C._linalg_solve_triangular(L, _C._linalg_solve_triangular(_mT(L), B, False, True, False), True, True,
                                           False)
    return _C._linalg_solve_triangular(_mT(L), _C._linalg_solve_triangular(L, B, False, True, False), True, True,
                                       False)


class _CholeskySolve(Function):
    @staticmethod
    def forward(ctx, B, L, upper):
        X = _cholesky_solve_value(B, L, upper)
        ctx.save_for_backward(L, X)
        ctx.upper = upper
        ctx.shapes = (tuple(B.shape), tuple(L.shape))
        return X

    @staticmethod
    def backward(ctx, gX):
        # PyTorch's cholesky_solve_backward: a full (not triangular) gradient for the factor.
        L, X = ctx.saved_tensors
        gB = cholesky_solve(gX, L, ctx.upper)
        gL = None
        if ctx.needs_input_grad[1]:
            common = gB @ _mT(X)
            common = common + _mT(common)
            gL = _sum_to(-(L @ common) if ctx.upper else -(common @ L), ctx.shapes[1])
        return _sum_to(gB, ctx.shapes[0]) if ctx.needs_input_grad[0] else None, gL, None


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False, *, out: Tensor | None = None) -> Tensor:
    """X with (L L^T) X = B (or (U^T U) X = B), from the Cholesky factor."""
    if B.dim() < 2 or L.dim() < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {B.dim()} dimensions instead"
                           if B.dim() < 2 else
                           f"u should have at least 2 dimensions, but has {L.dim()} dimensions instead")
    if B.dtype != L.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {B.dtype} and A of type "
                           f"{L.dtype} instead.")
    return _write_out(out, _CholeskySolve.apply(B, L, bool(upper)), "cholesky_solve")


class _CholeskyInverse(Function):
    @staticmethod
    def forward(ctx, L, upper):
        eye = _eye_like(L.shape[-1], L).expand(*L.shape)
        inv = _cholesky_solve_value(eye, L, upper)
        ctx.save_for_backward(L, inv)
        ctx.upper = upper
        return inv

    @staticmethod
    def backward(ctx, g):
        # PyTorch's cholesky_inverse_backward.
        L, inv = ctx.saved_tensors
        common = inv @ ((g + _mT(g)) @ inv)
        return (-(L @ common) if ctx.upper else -(common @ L)), None


def cholesky_inverse(L: Tensor, upper: bool = False, *, out: Tensor | None = None) -> Tensor:
    """(L L^T)^{-1} (or (U^T U)^{-1}) from the Cholesky factor."""
    if L.dim() < 2:
        raise RuntimeError("cholesky_inverse: The input tensor A must have at least 2 dimensions.")
    if L.shape[-1] != L.shape[-2]:
        raise RuntimeError(f"cholesky_inverse: A must be batches of square matrices, but they are "
                           f"{L.shape[-2]} by {L.shape[-1]} matrices")
    return _write_out(out, _CholeskyInverse.apply(L, bool(upper)), "cholesky_inverse")


# ---------------------------------------------------------------------------------------------
# QR
# ---------------------------------------------------------------------------------------------

class _Qr(Function):
    @staticmethod
    def forward(ctx, A, mode):
        m, n = A.shape[-2], A.shape[-1]
        k = min(m, n)
        a, tau = _C._geqrf(A)
        if mode == "r":
            Q = _torch.empty(0, dtype=A.dtype, device=A.device)
        elif mode == "complete" and m > n:
            pad = _torch.zeros(*A.shape[:-1], m - n, dtype=A.dtype, device=A.device)
            Q = _C._linalg_householder_product(_torch.cat([a, pad], -1), tau)
        else:
            Q = _C._linalg_householder_product(a[..., :k], tau)
        R = a.triu() if mode == "complete" else a[..., :k, :].triu()
        ctx.save_for_backward(Q, R)
        ctx.mode = mode
        return Q, R

    @staticmethod
    def backward(ctx, gQ, gR):
        Q, R = ctx.saved_tensors
        mode = ctx.mode
        if mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please "
                               "use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.")
        m, n = Q.shape[-2], R.shape[-1]
        if mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        gA = gR @ _mT(R) - _mT(Q) @ gQ
        if m >= n:
            sym = gA.triu()
            sym = sym + _mT(sym)
            sym = sym - _torch.diag_embed(sym.diagonal(0, -2, -1) * 0.5)
            gA = Q @ sym + gQ
            return solve_triangular(_mT(R), gA, upper=False, left=False), None
        X = -gA
        skew = (X - _mT(X)).tril()
        gA = solve_triangular(_mT(R[..., :m]), Q @ skew, upper=False, left=False)
        gA = _torch.cat([gA, _torch.zeros(*R.shape[:-1], n - m, dtype=gA.dtype, device=gA.device)], -1)
        return gA + Q @ gR, None


def qr(A: Tensor, mode: str = "reduced", *, out=None):
    """(Q, R) with A = Q R; mode 'reduced', 'complete' or 'r' (R only, Q empty)."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           "or 'complete'")
    if A.dim() < 2:
        raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    _refuse_complex(A, "linalg.qr")
    return _write_outs(out, _qr_t(*_Qr.apply(A, mode)), "linalg_qr")


def qr_legacy(input: Tensor, some: bool = True, *, out=None):
    """torch.qr: some=True is mode 'reduced', some=False mode 'complete'."""
    return _write_outs(out, _qr_legacy_t(*qr(input, "reduced" if some else "complete")), "qr")


def geqrf(input: Tensor, *, out=None):
    """(a, tau): LAPACK geqrf's packed Householder QR (not differentiable, as in PyTorch)."""
    if input.requires_grad and _torch.is_grad_enabled():
        raise RuntimeError("the derivative for 'geqrf' is not implemented.")
    return _write_outs(out, _geqrf_t(*_C._geqrf(input)), "geqrf")


def _householder_product_graph(A: Tensor, tau: Tensor) -> Tensor:
    """The product of the reflectors built from differentiable ops (one rank-1 update per reflector):
    the graph the gradient flows through."""
    m, n = A.shape[-2], A.shape[-1]
    Q = _eye_like(m, A)[:, :n].expand(*A.shape[:-2], m, n)
    for i in reversed(range(tau.shape[-1])):
        v = _torch.cat([_torch.zeros(*A.shape[:-2], i, dtype=A.dtype, device=A.device),
                    _torch.ones(*A.shape[:-2], 1, dtype=A.dtype, device=A.device), A[..., i + 1:, i]], -1)
        w = (v.unsqueeze(-2) @ Q)  # (..., 1, n)
        Q = Q - (tau[..., i].unsqueeze(-1).unsqueeze(-1) * v.unsqueeze(-1)) @ w
    return Q


class _HouseholderProduct(Function):
    @staticmethod
    def forward(ctx, A, tau):
        ctx.save_for_backward(A, tau)
        return _C._linalg_householder_product(A, tau)

    @staticmethod
    def backward(ctx, gQ):
        # The vector-Jacobian product of the product of rank-1 updates that defines Q.
        A, tau = ctx.saved_tensors
        with _torch.enable_grad():
            a = A.detach().requires_grad_()
            t = tau.detach().requires_grad_()
            Q = _householder_product_graph(a, t)
            if not Q.requires_grad:  # no reflector (k == 0): Q does not depend on A or tau
                return _torch.zeros_like(A), _torch.zeros_like(tau)
            gA, gt = _torch.autograd.grad(Q, (a, t), gQ, allow_unused=True)
        return (_torch.zeros_like(A) if gA is None else gA), (_torch.zeros_like(tau) if gt is None else gt)


def householder_product(A: Tensor, tau: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The first n columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T (LAPACK orgqr)."""
    _refuse_complex(A, "torch.linalg.householder_product")
    return _write_out(out, _HouseholderProduct.apply(A, tau), "linalg_householder_product")


def ormqr(input: Tensor, tau: Tensor, other: Tensor, left: bool = True, transpose: bool = False, *,
          out: Tensor | None = None) -> Tensor:
    """op(Q) @ other (left) or other @ op(Q), Q the full product of the reflectors of geqrf (LAPACK ormqr)."""
    if input.dim() < 2 or other.dim() < 2:
        raise RuntimeError("torch.ormqr: input and other must have at least 2 dimensions.")
    mn = input.shape[-2]
    if (other.shape[-2] if left else other.shape[-1]) != mn:
        raise RuntimeError(f"torch.ormqr: other.shape[{-2 if left else -1}] must be equal to input.shape[-2]")
    if tau.shape[-1] != min(mn, input.shape[-1]):
        raise RuntimeError(f"torch.ormqr: tau.shape[-1] must be equal to min(other.shape[{-2 if left else -1}], "
                           "input.shape[-1])")
    k = input.shape[-1]
    if k < mn:
        pad = _torch.zeros(*input.shape[:-1], mn - k, dtype=input.dtype, device=input.device)
        full = _torch.cat([input, pad], -1)
    else:
        full = input[..., :mn]
    Q = householder_product(full, tau)
    if transpose:
        Q = _mT(Q)
    return _write_out(out, Q @ other if left else other @ Q, "ormqr")


# ---------------------------------------------------------------------------------------------
# eigh
# ---------------------------------------------------------------------------------------------

class _Eigh(Function):
    @staticmethod
    def forward(ctx, A, uplo):
        L, V = _C._linalg_eigh(A, uplo, True)
        ctx.save_for_backward(L, V)
        return L, V

    @staticmethod
    def backward(ctx, gL, gV):
        L, V = ctx.saved_tensors
        Vh = _mT(V)
        # The engine passes zeros for a gV nothing reached; PyTorch treats that as undefined (finite
        # gradients for repeated eigenvalues). On the CPU a test picks the short form; on a device that
        # test would be a sync, so 0 / 0 is taken as 0 instead, which gives the same values.
        on_cpu = V.device.type == "cpu"
        if gV is None or (on_cpu and not bool(gV.any())):
            return (V * gL.unsqueeze(-2)) @ Vh, None
        VhgV = Vh @ gV
        VhgV = (VhgV - _mT(VhgV)) * 0.5
        E = L.unsqueeze(-2) - L.unsqueeze(-1)
        E = E + _torch.diag_embed(_torch.ones_like(L))
        gA = VhgV / E
        if not on_cpu:
            gA = _torch.where(VhgV == 0, _torch.zeros_like(gA), gA)
        gA = gA - _torch.diag_embed(gA.diagonal(0, -2, -1))
        if gL is not None:
            gA = gA + _torch.diag_embed(gL)
        return V @ (gA @ Vh), None


def _check_uplo(UPLO: str) -> str:
    if not isinstance(UPLO, str) or UPLO.upper() not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO.upper()


def eigh(A: Tensor, UPLO: str = "L", *, out=None):
    """(eigenvalues ascending, orthonormal eigenvectors as columns) of a symmetric matrix (its UPLO triangle)."""
    _refuse_complex(A, "linalg.eigh")
    return _write_outs(out, _eigh_t(*_Eigh.apply(A, _check_uplo(UPLO))), "linalg_eigh")


def eigvalsh(A: Tensor, UPLO: str = "L", *, out: Tensor | None = None) -> Tensor:
    """The eigenvalues (ascending) of a symmetric matrix; differentiable (through the eigenvectors)."""
    _refuse_complex(A, "linalg.eigvalsh")
    uplo = _check_uplo(UPLO)
    if _torch.is_grad_enabled() and A.requires_grad:
        w = _Eigh.apply(A, uplo)[0]
    else:
        w = _C._linalg_eigh(A, uplo, False)[0]
    return _write_out(out, w, "linalg_eigvalsh")


_eig_t = _return_type("linalg_eig", ["eigenvalues", "eigenvectors"])


def _eig(A: Tensor, fn: str, vectors: bool):
    """The general (non-symmetric) eigenproblem through LAPACK's geev, which numpy (our runtime dependency)
    ships: the same routine PyTorch's CPU eig calls, so eigenvectors come with its normalisation (unit norm,
    largest component real). Computed on the host for every device, as PyTorch's CUDA eig does (through MAGMA's
    host path). The results are complex and carry no gradient (Note [Complex dtypes])."""
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg_{fn}(): argument 'input' (position 1) must be Tensor, not {type(A).__name__}")
    if A.dim() < 2:
        raise RuntimeError(f"linalg.{fn}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.{fn}: A must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")
    if A.dtype not in (_torch.float32, _torch.float64, _torch.complex64, _torch.complex128):
        kind = "Long" if A.dtype is _torch.int64 else str(A.dtype)[len("torch."):]
        raise RuntimeError(f"linalg.{fn}: Expected a floating point or complex tensor as input. Got {kind}")
    host = A.detach().cpu().resolve_conj().numpy()
    if host.size and not np.isfinite(host).all():
        raise RuntimeError(f"linalg.{fn}: The input tensor A must not contain infs or NaNs")
    cdt = _torch.complex64 if A.dtype in (_torch.float32, _torch.complex64) else _torch.complex128
    npdt = np.complex64 if cdt is _torch.complex64 else np.complex128
    if host.size == 0:
        w = np.zeros(host.shape[:-1], dtype=npdt)
        v = np.zeros(host.shape, dtype=npdt)
    else:
        w, v = np.linalg.eig(host) if vectors else (np.linalg.eigvals(host), None)
    wt = _torch.from_numpy(np.ascontiguousarray(w.astype(npdt))).to(A.device)
    if not vectors:
        return wt
    return wt, _torch.from_numpy(np.ascontiguousarray(v.astype(npdt))).to(A.device)


def eig(A: Tensor, *, out=None):
    w, v = _eig(A, "eig", True)
    return _write_outs(out, _eig_t(w, v), "linalg_eig")


def eigvals(A: Tensor, *, out=None) -> Tensor:
    return _write_out(out, _eig(A, "eigvals", False), "linalg_eigvals")


# ---------------------------------------------------------------------------------------------
# LU
# ---------------------------------------------------------------------------------------------

def _lu_backward(gL, gU, P, L, U):
    """PyTorch's linalg_lu_backward (real case): the gradient of A = P L U from those of L and U."""
    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    if m == n:
        gA = None
        if gL is not None:
            gA = (_mT(L) @ gL).tril(-1)
        if gU is not None:
            t = (gU @ _mT(U)).triu()
            gA = t if gA is None else gA + t
        gA = solve_triangular(_mT(U), gA, upper=False, left=False)
        gA = solve_triangular(_mT(L), gA, upper=True, left=True, unitriangular=True)
    elif m < n:
        U1 = U[..., :k]
        gA = None
        if gL is not None:
            gA = _mT(L) @ gL
        if gU is not None:
            t = -(gU.triu() @ _mT(U))
            gA = t if gA is None else gA + t
        gA = solve_triangular(_mT(U1), gA.tril(-1), upper=False, left=False)
        if gU is not None:
            gA = _torch.cat([gA + gU[..., :k].triu(), gU[..., k:]], -1)
        gA = solve_triangular(_mT(L), gA, upper=True, left=True, unitriangular=True)
        if gU is None:
            gA = _torch.cat([gA, _torch.zeros_like(U[..., k:])], -1)
    else:
        L1 = L[..., :k, :]
        gA = None
        if gU is not None:
            gA = gU @ _mT(U)
        if gL is not None:
            t = -(_mT(L) @ gL.tril(-1))
            gA = t if gA is None else gA + t
        gA = solve_triangular(_mT(L1), gA.triu(), upper=True, left=True, unitriangular=True)
        if gL is not None:
            gA = _torch.cat([gA + gL[..., :k, :].tril(-1), gL[..., k:, :]], -2)
        gA = solve_triangular(_mT(U), gA, upper=False, left=False)
        if gL is None:
            gA = _torch.cat([gA, _torch.zeros_like(L[..., k:, :])], -2)
    return P @ gA


class _LuFactorEx(Function):
    @staticmethod
    def forward(ctx, A):
        LU, piv, info = _C._linalg_lu_factor_ex(A)
        ctx.save_for_backward(LU, piv)
        ctx.mark_non_differentiable(piv, info)
        return LU, piv, info

    @staticmethod
    def backward(ctx, gLU, gpiv, ginfo):
        LU, piv = ctx.saved_tensors
        P, L, U = lu_unpack(LU, piv)
        k = min(LU.shape[-2], LU.shape[-1])
        return _lu_backward(gLU[..., :, :k], gLU[..., :k, :], P, L, U)


def _check_pivot(pivot: bool, fn: str) -> None:
    if not pivot:
        raise RuntimeError(f"{fn}: LU without pivoting is not implemented on the CPU")


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False, out=None):
    """(LU, pivots, info): P L U packed in one matrix, pivots int32 1-based (LAPACK getrf)."""
    _refuse_complex(A, "linalg.lu_factor_ex")
    _check_pivot(pivot, "linalg.lu_factor")
    LU, piv, info = _LuFactorEx.apply(A)
    if check_errors:
        _lu_error("torch.linalg.lu_factor_ex", info)
    return _write_outs(out, _lu_factor_ex_t(LU, piv, info), "linalg_lu_factor_ex")


def _lu_error(fn: str, info: Tensor) -> None:
    bad = _first_bad(info)
    if bad is not None:
        i, v = bad
        raise LinAlgError(f"{fn}: {_batch_prefix(info, i)}U[{v},{v}] is zero and using it on lu_solve would result "
                          "in a division by zero. If you still want to perform the factorization, consider calling "
                          "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")


def lu_factor(A: Tensor, *, pivot: bool = True, out=None):
    """(LU, pivots); LinAlgError when a U has an exact zero on its diagonal."""
    LU, piv, info = lu_factor_ex(A, pivot=pivot)
    _lu_error("torch.linalg.lu_factor", info)
    return _write_outs(out, _lu_factor_t(LU, piv), "linalg_lu_factor")


def _perm_matrix(pivots: Tensor, m: int, like: Tensor) -> Tensor:
    """P with A = P L U from LAPACK's 1-based row swaps (row i swapped with pivots[i] - 1, in order)."""
    batch = tuple(pivots.shape[:-1])
    if pivots.shape[-1] == 0 or pivots.numel() == 0:  # nothing swapped
        return _eye_like(m, like).expand(*batch, m, m).clone()
    if pivots.device.type != "cpu":
        return _perm_matrix_device(pivots, m, like)
    piv = np.asarray(pivots.reshape(-1, pivots.shape[-1]).tolist(), dtype=np.int64).reshape(-1, pivots.shape[-1]) - 1
    nb = piv.shape[0]
    perm = np.tile(np.arange(m), (nb, 1))
    rows = np.arange(nb)
    for i in range(piv.shape[1]):
        j = piv[:, i]
        if ((j < 0) | (j >= m)).any():
            raise RuntimeError("lu_unpack: pivots must be between 1 and the number of rows of LU")
        a, b = perm[rows, i].copy(), perm[rows, j].copy()
        perm[rows, i], perm[rows, j] = b, a
    # (P^T A)[i] = A[perm[i]]: P[perm[i], i] = 1.
    P = np.zeros((nb, m, m))
    P[rows[:, None], perm, np.arange(m)[None, :]] = 1.0
    return _torch.tensor(P.reshape(batch + (m, m)), dtype=like.dtype, device=like.device)


def _perm_matrix_device(pivots: Tensor, m: int, like: Tensor) -> Tensor:
    """_perm_matrix with device ops only (no copy to the host, no sync): the swaps are replayed on a
    permutation vector, one gather/scatter pair per pivot. Pivots out of range are the index kernels'
    device-side assert instead of the CPU's immediate RuntimeError."""
    batch = tuple(pivots.shape[:-1])
    k = pivots.shape[-1]
    piv = pivots.reshape(-1, k).long() - 1
    nb = piv.shape[0]
    perm = _torch.arange(m, device=pivots.device).expand(nb, m).contiguous()
    for i in range(k):
        j = piv[:, i:i + 1]
        at_i = perm[:, i:i + 1].clone()
        perm[:, i:i + 1] = perm.gather(1, j)
        perm.scatter_(1, j, at_i)
    # (P^T A)[i] = A[perm[i]]: P[perm[i], i] = 1.
    P = _torch.zeros(nb, m, m, dtype=like.dtype, device=like.device)
    P.scatter_(1, perm.unsqueeze(1), _torch.ones(nb, 1, m, dtype=like.dtype, device=like.device))
    return P.reshape(batch + (m, m))


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True, unpack_pivots: bool = True, *,
              out=None):
    """(P, L, U) from a packed LU factorization; empty tensors for the parts not unpacked."""
    if LU_data.dim() < 2:
        raise RuntimeError("torch.lu_unpack: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(LU_data.shape)} instead")
    m, n = LU_data.shape[-2], LU_data.shape[-1]
    k = min(m, n)
    if LU_pivots.dtype != _torch.int32:
        raise RuntimeError("lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype.\n"
                           "Note: this function is intended to be used with the output produced by torch.linalg.lu_factor")
    empty = _torch.empty(0, dtype=LU_data.dtype, device=LU_data.device)
    if unpack_data:
        L = LU_data[..., :, :k].tril(-1) + _eye_like(m, LU_data)[:, :k]
        U = LU_data[..., :k, :].triu()
    else:
        L = U = empty
    P = _perm_matrix(LU_pivots, m, LU_data) if unpack_pivots else empty
    if unpack_pivots and unpack_data and P.dim() < L.dim():
        P = P.expand(*L.shape[:-2], m, m)
    return _write_outs(out, _lu_unpack_t(P, L, U), "lu_unpack")


def lu(A: Tensor, *, pivot: bool = True, out=None):
    """(P, L, U) with A = P L U."""
    _check_pivot(pivot, "linalg.lu")
    LU, piv, _ = lu_factor_ex(A)
    return _write_outs(out, _lu_t(*lu_unpack(LU, piv)), "linalg_lu")


def lu_legacy(A: Tensor, pivot: bool = True, get_infos: bool = False, out=None):
    """torch.lu: (LU, pivots) or (LU, pivots, infos)."""
    _check_pivot(pivot, "lu")
    LU, piv, info = lu_factor_ex(A)
    res = (LU, piv, info) if get_infos else (LU, piv)
    if out is not None:
        for o, r in zip(out, res):
            _write_out(o, r, "lu")
        return tuple(out)
    return res


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True, adjoint: bool = False,
             out: Tensor | None = None) -> Tensor:
    """X with A X = B (left), X A = B, or with A^T (adjoint), A given by lu_factor."""
    if LU.dim() < 2 or LU.shape[-1] != LU.shape[-2]:
        raise RuntimeError("linalg.lu_solve: A must be batches of square matrices, but they are "
                           f"{LU.shape[-2] if LU.dim() >= 2 else 0} by {LU.shape[-1]} matrices")
    n = LU.shape[-1]
    if B.dim() < 2 or (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{'x'.join(str(s) for s in B.shape[-2:])})")
    if LU.dtype != B.dtype:
        raise RuntimeError(f"linalg.lu_solve: Expected LU and B to have the same dtype, but found LU of type "
                           f"{LU.dtype} and B of type {B.dtype} instead")
    P, L, U = lu_unpack(LU, pivots)
    if left and not adjoint:  # U^-1 L^-1 P^T B
        X = solve_triangular(U, solve_triangular(L, _mT(P) @ B, upper=False, unitriangular=True), upper=True)
    elif left:  # A^T X = B: P L^-T U^-T B
        Y = solve_triangular(_mT(U), B, upper=False)
        X = P @ solve_triangular(_mT(L), Y, upper=True, unitriangular=True)
    elif not adjoint:  # X P L U = B: B U^-1 L^-1 P^T
        Y = solve_triangular(U, B, upper=True, left=False)
        X = solve_triangular(L, Y, upper=False, left=False, unitriangular=True) @ _mT(P)
    else:  # X U^T L^T P^T = B: B P L^-T U^-T
        Y = solve_triangular(_mT(L), B @ P, upper=True, left=False, unitriangular=True)
        X = solve_triangular(_mT(U), Y, upper=False, left=False)
    return _write_out(out, X, "linalg_lu_solve")


def lu_solve_legacy(b: Tensor, LU_data: Tensor, LU_pivots: Tensor, *, out: Tensor | None = None) -> Tensor:
    """torch.lu_solve(b, LU_data, LU_pivots)."""
    return _write_out(out, lu_solve(LU_data, LU_pivots, b), "lu_solve")


# ---------------------------------------------------------------------------------------------
# solve_ex / inv_ex
# ---------------------------------------------------------------------------------------------

def _solve_with_info_device(A: Tensor, B: Tensor, left: bool, fn: str) -> tuple:
    """solve_ex / inv_ex without check_errors off the CPU: LAPACK getrf + getrs through the LU kernels,
    differentiable through lu_factor's backward, with info left on the device (no sync, as PyTorch)."""
    LU, piv, info = _LuFactorEx.apply(A)
    if B is None:
        return lu_solve(LU, piv, _eye_like(A.shape[-1], A).expand(*A.shape)), info
    vector = B.dim() == 1 or (B.dim() == A.dim() - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    Bm = B.unsqueeze(-1) if vector else B
    n = A.shape[-1]
    if Bm.dim() < 2 or (Bm.shape[-2] if left else Bm.shape[-1]) != n:
        raise RuntimeError(f"torch.{fn}: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {'x'.join(map(str, Bm.shape[-2:]))})")
    X = lu_solve(LU, piv, Bm, left=left)
    return (X.squeeze(-1) if vector else X), info


def _solve_with_info(A: Tensor, B: Tensor, left: bool, fn: str, check_errors: bool):
    _refuse_complex(A, fn)
    if (not check_errors and A.device.type != "cpu" and A.dim() >= 2 and A.shape[-1] == A.shape[-2]
            and A.dtype in (_torch.float32, _torch.float64) and (B is None or B.dim() >= 1)):
        return _solve_with_info_device(A, B, left, fn)
    if A.dim() >= 2 and A.shape[-1] == A.shape[-2] and A.dtype in (_torch.float32, _torch.float64):
        info = _C._linalg_lu_factor_ex(A.detach())[2]
    else:
        info = None  # the solve below raises PyTorch's message for the bad input
    if info is None or _first_bad(info) is None:
        X = _C._linalg_solve(A, B, left=left) if B is not None else _C._linalg_inv(A)
        if info is None:
            info = _torch.zeros(*A.shape[:-2], dtype=_torch.int32, device=A.device)
        return X, info
    if check_errors:
        i, v = _first_bad(info)
        raise LinAlgError(f"torch.{fn}: {_batch_prefix(info, i)}The solver failed because the input matrix is "
                          "singular.")
    # A singular matrix: what LAPACK's getrs gives from the factorization (inf/nan), as PyTorch.
    LU, piv, _ = _C._linalg_lu_factor_ex(A)
    if B is None:
        B = _eye_like(A.shape[-1], A).expand(*A.shape)
        return lu_solve(LU, piv, B), info
    vector = B.dim() == 1 or (B.dim() == A.dim() - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    Bm = B.unsqueeze(-1) if vector else B
    X = lu_solve(LU, piv, Bm if left else Bm, left=left)
    return (X.squeeze(-1) if vector else X), info


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False, out=None):
    """(result, info): solve without raising for singular A (info > 0 marks them)."""
    return _write_outs(out, _solve_ex_t(*_solve_with_info(A, B, left, "linalg.solve_ex", check_errors)),
                       "linalg_solve_ex")


def inv_ex(A: Tensor, *, check_errors: bool = False, out=None):
    """(inverse, info): inv without raising for singular A (info > 0 marks them)."""
    return _write_outs(out, _inv_ex_t(*_solve_with_info(A, None, True, "linalg.inv_ex", check_errors)),
                       "linalg_inv_ex")
