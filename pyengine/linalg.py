"""torch.linalg: the linear algebra functions implemented by pyengine on our own kernels (blocked LU
with partial pivoting, blocked Cholesky and triangular solves, Householder QR, Jacobi eigh and
one-sided Jacobi SVD, our own GEMM); the decompositions are in _linalg_decomp.py, the composites
(norms, pinv, lstsq, matrix_exp, ...) in _linalg_more.py. Singular inputs to inv/solve raise ``LinAlgError`` (a
RuntimeError subclass), as PyTorch.
"""
from __future__ import annotations

from . import _C
from ._C import Tensor
from ._ops_linalg import (
    _linalg_slogdet_t,
    _linalg_svd_t,
    _with_out,
    _write_out,
    _write_outs,
)

from ._linalg_decomp import (  # noqa: E402
    cholesky,
    cholesky_ex,
    eig,
    eigh,
    eigvals,
    eigvalsh,
    householder_product,
    inv_ex,
    lu,
    lu_factor,
    lu_factor_ex,
    lu_solve,
    qr,
    solve_ex,
    solve_triangular,
)
from ._linalg_more import (  # noqa: E402
    cond,
    diagonal,
    lstsq,
    matrix_exp,
    matrix_norm,
    matrix_power,
    matrix_rank,
    multi_dot,
    norm,
    pinv,
    tensorinv,
    tensorsolve,
    vander,
    vecdot,
    vector_norm,
)
from ._linalg_ldl import ldl_factor, ldl_factor_ex, ldl_solve  # noqa: E402

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eig", "eigh", "eigvals",
           "eigvalsh", "householder_product", "inv", "inv_ex", "ldl_factor", "ldl_factor_ex", "ldl_solve", "lstsq", "lu", "lu_factor", "lu_factor_ex",
           "lu_solve", "matmul", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm",
           "pinv", "qr", "slogdet", "solve", "solve_ex", "solve_triangular", "svd", "svdvals", "tensorinv",
           "tensorsolve", "vander", "vecdot", "vector_norm"]

LinAlgError = _C._LinAlgError

inv = _with_out(_C._linalg_inv, "inv")
det = _with_out(_C._linalg_det, "det")


def _check_svd_driver(A: Tensor, driver) -> None:
    """driver= picks a cuSOLVER routine in PyTorch; our SVD is one algorithm, so a driver is refused."""
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with "
                           "cuSOLVER backend." if not A.is_cuda else
                           "torch.linalg.svd: keyword argument `driver=` is not supported by pyengine")


def _svdvals(A: Tensor, *, driver=None) -> Tensor:
    _check_svd_driver(A, driver)
    return _C._linalg_svdvals(A)


svdvals = _with_out(_svdvals, "svdvals")
matmul = _with_out(_C.matmul, "matmul")


def cross(input: Tensor, other: Tensor, *, dim: int = -1, out: Tensor | None = None) -> Tensor:
    return _write_out(out, _C._linalg_cross(input, other, dim=dim), "linalg_cross")


def solve(A: Tensor, B: Tensor, *, left: bool = True, out: Tensor | None = None) -> Tensor:
    """X with A X = B (left=True) or X A = B; B may be a vector or a batch of vectors (PyTorch's rule)."""
    return _write_out(out, _C._linalg_solve(A, B, left=left), "linalg_solve")


def slogdet(A: Tensor, *, out=None):
    return _write_outs(out, _linalg_slogdet_t(*_C._linalg_slogdet(A)), "linalg_slogdet")


def svd(A: Tensor, full_matrices: bool = True, *, driver=None, out=None):
    """(U, S, Vh) with A = U diag(S) Vh; full_matrices=False gives the reduced factors."""
    _check_svd_driver(A, driver)
    return _write_outs(out, _linalg_svd_t(*_C._linalg_svd(A, full_matrices)), "linalg_svd")
