"""torch.linalg.ldl_factor / ldl_factor_ex / ldl_solve for real matrices: the symmetric-indefinite LDL^T
factorization with Bunch-Kaufman pivoting in LAPACK's compact form (the lower triangle holds L's
multipliers and D's 1x1 and 2x2 blocks, the strict upper triangle zero; pivots are int32, 1-based, a
negative pair marking a 2x2 block), so LD and pivots are what PyTorch's sytrf returns.

The pivoting decisions are LAPACK's unblocked sytf2 (lower), which is what sytrf runs for matrices below
its block size; a different strategy would give an equally valid factorization with different LD and
pivots. The loops run on the host (numpy, in the input's float type) per matrix of the batch, as
PyTorch has no gradient for these functions either. Complex inputs are not supported here.
"""
from __future__ import annotations

import math
from typing import Tuple

import numpy as np

from ._C import Tensor
from ._ops_linalg import _return_type

__all__ = ["ldl_factor", "ldl_factor_ex", "ldl_solve"]

_ldl_factor_t = _return_type("linalg_ldl_factor", ["LD", "pivots"])
_ldl_factor_ex_t = _return_type("linalg_ldl_factor_ex", ["LD", "pivots", "info"])
_ALPHA = (1.0 + math.sqrt(17.0)) / 8.0  # Bunch-Kaufman's threshold: bounds the growth of the entries


def _pe():
    import pyengine
    return pyengine


def _np_float(t: Tensor, fn: str):
    pe = _pe()
    if t.dtype not in (pe.float32, pe.float64):
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. Got {t.dtype}")
    return np.float32 if t.dtype == pe.float32 else np.float64


def _sytf2_lower(a: np.ndarray) -> Tuple[np.ndarray, np.ndarray, int]:
    """Factors a (n x n, only its lower triangle read) in place: (LD, 1-based pivots, info)."""
    n = a.shape[0]
    f = a.dtype.type
    ipiv = np.zeros(n, dtype=np.int32)
    info = 0
    k = 0
    while k < n:
        kstep = 1
        absakk = abs(a[k, k])
        if k < n - 1:
            imax = k + 1 + int(np.argmax(np.abs(a[k + 1:, k])))  # the first largest, as idamax
            colmax = abs(a[imax, k])
        else:
            imax, colmax = k, f(0)
        if max(absakk, colmax) == 0 or np.isnan(absakk):
            info = info or k + 1  # a zero pivot: D is singular (LAPACK goes on, reporting the first)
            kp = k
        else:
            if absakk >= _ALPHA * colmax:
                kp = k
            else:
                # rowmax: the largest off-diagonal entry of row/column imax in the trailing matrix
                rowmax = np.abs(a[imax, k:imax]).max()
                if imax < n - 1:
                    rowmax = max(rowmax, np.abs(a[imax + 1:, imax]).max())
                if absakk >= _ALPHA * colmax * (colmax / rowmax):
                    kp = k
                elif abs(a[imax, imax]) >= _ALPHA * rowmax:
                    kp = imax
                else:
                    kp, kstep = imax, 2
            kk = k + kstep - 1
            if kp != kk:  # interchange rows and columns kk and kp of the trailing matrix
                if kp < n - 1:
                    a[kp + 1:, [kk, kp]] = a[kp + 1:, [kp, kk]]
                seg = a[kk + 1:kp, kk].copy()
                a[kk + 1:kp, kk] = a[kp, kk + 1:kp]
                a[kp, kk + 1:kp] = seg
                a[kk, kk], a[kp, kp] = a[kp, kp], a[kk, kk]
                if kstep == 2:
                    a[k + 1, k], a[kp, k] = a[kp, k], a[k + 1, k]
            if kstep == 1:
                if k < n - 1:
                    d11 = f(1) / a[k, k]
                    x = a[k + 1:, k].copy()
                    for j in range(k + 1, n):  # the rank-1 update of the lower triangle (syr)
                        a[j:, j] += x[j - k - 1:] * (-d11 * x[j - k - 1])
                    a[k + 1:, k] = x * d11
            elif k < n - 2:
                d21 = a[k + 1, k]
                d11 = a[k + 1, k + 1] / d21
                d22 = a[k, k] / d21
                t = f(1) / (d11 * d22 - f(1))
                d21 = t / d21
                for j in range(k + 2, n):
                    wk = d21 * (d11 * a[j, k] - a[j, k + 1])
                    wkp1 = d21 * (d22 * a[j, k + 1] - a[j, k])
                    a[j:, j] = a[j:, j] - a[j:, k] * wk - a[j:, k + 1] * wkp1
                    a[j, k] = wk
                    a[j, k + 1] = wkp1
        if kstep == 1:
            ipiv[k] = kp + 1
        else:
            ipiv[k] = ipiv[k + 1] = -(kp + 1)
        k += kstep
    return np.tril(a), ipiv, info


def _check_square(A: Tensor, fn: str) -> None:
    if A.dim() < 2:
        raise RuntimeError(f"{fn}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{fn}: A must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")


def _check_hermitian_flag(A: Tensor, hermitian: bool, fn: str) -> None:
    """hermitian=True asks for A = L D L^H instead of L D L^T: the same factorization for a real A, which is all
    this implementation factors (a complex A is refused whatever the flag)."""
    if not isinstance(hermitian, bool):
        raise TypeError(f"{fn}(): argument 'hermitian' must be bool, not {type(hermitian).__name__}")
    if A.is_complex():
        raise NotImplementedError(f"{fn}: complex inputs are not supported by pyengine")


def ldl_factor_ex(A: Tensor, *, hermitian: bool = False, check_errors: bool = False, out=None):
    """(LD, pivots, info): info[i] > 0 is the (1-based) index of the first zero diagonal block of D for
    matrix i (the factorization is still complete, D singular); check_errors raises on it."""
    pe = _pe()
    if out is not None:
        raise NotImplementedError("linalg.ldl_factor_ex(): out= is not supported")
    _check_square(A, "torch.linalg.ldl_factor_ex")
    _check_hermitian_flag(A, hermitian, "torch.linalg.ldl_factor_ex")
    ftype = _np_float(A, "torch.linalg.ldl_factor_ex")
    batch, n = tuple(A.shape[:-2]), A.shape[-1]
    host = A.detach().cpu().numpy().astype(ftype).reshape((math.prod(batch), n, n))
    ld = np.zeros_like(host)
    piv = np.zeros(host.shape[:2], dtype=np.int32)
    info = np.zeros(host.shape[0], dtype=np.int32)
    for i in range(host.shape[0]):
        ld[i], piv[i], info[i] = _sytf2_lower(host[i].copy())
    if check_errors and info.any():
        first = int(np.nonzero(info)[0][0])
        where = f"(Batch element {first}): " if batch else ""
        raise pe.linalg.LinAlgError(f"torch.linalg.ldl_factor_ex: {where}The factorization could not be completed "
                                    f"because the input is not invertible (the diagonal element {info[first]} "
                                    f"of D is zero).")
    dev = A.device
    return _ldl_factor_ex_t(pe.tensor(ld.reshape(A.shape), device=dev),
                            pe.tensor(piv.reshape(batch + (n,)), device=dev),
                            pe.tensor(info.reshape(batch), device=dev))


def ldl_factor(A: Tensor, *, hermitian: bool = False, out=None):
    """(LD, pivots) of A = P L D L^T P^T (see ldl_factor_ex); a singular D raises as in PyTorch."""
    if out is not None:
        raise NotImplementedError("linalg.ldl_factor(): out= is not supported")
    r = ldl_factor_ex(A, hermitian=hermitian, check_errors=False)
    info = r.info.reshape(-1)
    if bool((info > 0).any()):
        pe = _pe()
        first = int(pe.nonzero(info > 0)[0, 0])
        where = f"(Batch element {first}): " if r.info.dim() else ""
        raise pe.linalg.LinAlgError(f"torch.linalg.ldl_factor: {where}The factorization could not be completed "
                                    f"because the input is not invertible.")
    return _ldl_factor_t(r.LD, r.pivots)


def _sytrs_lower(ld: np.ndarray, ipiv: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solves (P L D L^T P^T) X = B from sytf2's compact factorization (LAPACK's sytrs, lower)."""
    n = ld.shape[0]
    f = ld.dtype.type
    b = b.copy()
    k = 0
    while k < n:  # L D Y = P^T B
        if ipiv[k] > 0:
            kp = ipiv[k] - 1
            if kp != k:
                b[[k, kp]] = b[[kp, k]]
            if k < n - 1:
                b[k + 1:] -= np.outer(ld[k + 1:, k], b[k])
            b[k] = b[k] / ld[k, k]
            k += 1
        else:
            kp = -ipiv[k] - 1
            if kp != k + 1:
                b[[k + 1, kp]] = b[[kp, k + 1]]
            if k < n - 2:
                b[k + 2:] -= np.outer(ld[k + 2:, k], b[k])
                b[k + 2:] -= np.outer(ld[k + 2:, k + 1], b[k + 1])
            akm1k = ld[k + 1, k]
            akm1 = ld[k, k] / akm1k
            ak = ld[k + 1, k + 1] / akm1k
            denom = akm1 * ak - f(1)
            bkm1 = b[k] / akm1k
            bk = b[k + 1] / akm1k
            b[k] = (ak * bkm1 - bk) / denom
            b[k + 1] = (akm1 * bk - bkm1) / denom
            k += 2
    k = n - 1
    while k >= 0:  # L^T P^T X = Y
        if ipiv[k] > 0:
            if k < n - 1:
                b[k] -= ld[k + 1:, k] @ b[k + 1:]
            kp = ipiv[k] - 1
            if kp != k:
                b[[k, kp]] = b[[kp, k]]
            k -= 1
        else:
            if k < n - 1:
                b[k] -= ld[k + 1:, k] @ b[k + 1:]
                b[k - 1] -= ld[k + 1:, k - 1] @ b[k + 1:]
            kp = -ipiv[k] - 1
            if kp != k:
                b[[k, kp]] = b[[kp, k]]
            k -= 2
    return b


def ldl_solve(LD: Tensor, pivots: Tensor, B: Tensor, *, hermitian: bool = False, out=None) -> Tensor:
    """X with A X = B, from A's (LD, pivots) of ldl_factor; LD, pivots and B broadcast over the batch."""
    pe = _pe()
    if out is not None:
        raise NotImplementedError("linalg.ldl_solve(): out= is not supported")
    _check_square(LD, "torch.linalg.ldl_solve")
    _check_hermitian_flag(LD, hermitian, "torch.linalg.ldl_solve")
    if B.dim() < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(B.dim(), 1)}, "
                         f"{max(B.dim(), 1) - 1}], but got -2)")
    if pivots.is_floating_point() or pivots.dtype == pe.bool:
        raise RuntimeError(f"torch.linalg.ldl_solve: Expected pivots to be integers. Got {pivots.dtype}")
    if LD.dtype != B.dtype:
        raise RuntimeError(f"torch.linalg.ldl_solve: Expected LD and B to have the same dtype, but got LD with "
                           f"dtype {LD.dtype} and B with dtype {B.dtype} instead")
    n = LD.shape[-1]
    if tuple(pivots.shape[-1:]) != (n,) or tuple(pivots.shape[:-1]) != tuple(LD.shape[:-2]):
        raise RuntimeError("torch.linalg.ldl_solve: Expected LD.shape[:-1] and pivots.shape to be the same, but got "
                           f"pivots with shape {tuple(pivots.shape)} instead")
    if B.shape[-2] != n:
        raise RuntimeError(f"torch.linalg.ldl_solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    ftype = _np_float(LD, "torch.linalg.ldl_solve")
    batch = tuple(np.broadcast_shapes(tuple(LD.shape[:-2]), tuple(B.shape[:-2])))
    count = math.prod(batch)
    ld = np.broadcast_to(LD.detach().cpu().numpy().astype(ftype), batch + (n, n)).reshape((count, n, n))
    piv = np.broadcast_to(pivots.cpu().numpy(), batch + (n,)).reshape((count, n))
    rhs = np.broadcast_to(B.detach().cpu().numpy().astype(ftype), batch + tuple(B.shape[-2:]))
    rhs = rhs.reshape((count,) + tuple(B.shape[-2:]))
    x = np.stack([_sytrs_lower(ld[i], piv[i], rhs[i]) for i in range(rhs.shape[0])]) if rhs.shape[0] else rhs
    return pe.tensor(np.ascontiguousarray(x).reshape(batch + tuple(B.shape[-2:])), device=B.device)
