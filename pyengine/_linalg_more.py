"""The rest of torch.linalg, composed of differentiable ops as PyTorch's CompositeImplicit ones are:
norms (vector/matrix, every ord), cond, matrix_rank, pinv, lstsq, matrix_exp, matrix_power, multi_dot,
tensorinv, tensorsolve, vander, vecdot, diagonal. The singular values come from our Jacobi SVD,
the symmetric ones from the Jacobi eigh (hermitian=True).
"""
from __future__ import annotations

import math

import pyengine as _torch  # the package (partly initialized at import: used at call time)

from . import _C
from ._C import Tensor
from ._linalg_decomp import _first_bad, _mT, _refuse_complex, _sum_to, inv_ex
from ._ops_linalg import _return_type, _write_out, _write_outs
from .autograd.function import Function

_lstsq_t = _return_type("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])

_INF = float("inf")


def _float_check(x: Tensor, fn: str) -> None:
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. Got {_type_name(x.dtype)}")
    _refuse_complex(x, fn)


def _type_name(dt) -> str:
    return {"torch.int64": "Long", "torch.int32": "Int", "torch.int16": "Short", "torch.int8": "Char",
            "torch.uint8": "Byte", "torch.bool": "Bool"}.get(str(dt), str(dt))


def _cast_for(x: Tensor, dtype, fn: str) -> Tensor:
    """x in the dtype= of a norm: only widening casts, as PyTorch."""
    if dtype is None or dtype == x.dtype:
        return x
    if _torch.promote_types(x.dtype, dtype) != dtype:
        raise RuntimeError(f"{fn}: the dtype of the input ({_torch_name(x.dtype)}) should be convertible without "
                           f"narrowing to the specified dtype ({_torch_name(dtype)})")
    return x.to(dtype)


def _torch_name(dt) -> str:
    return {"torch.float64": "Double", "torch.float32": "Float", "torch.float16": "Half",
            "torch.bfloat16": "BFloat16"}.get(str(dt), _type_name(dt))


def _tol_dtype(dt):
    return _torch.finfo(dt).eps


# ---------------------------------------------------------------------------------------------
# norms
# ---------------------------------------------------------------------------------------------

def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """The ord-norm of x over dim (all of x by default): sum(|x|^ord)^(1/ord), max/min |x| for +-inf,
    the count of non-zeros for 0. A complex x's norm is its moduli's (a real result)."""
    if x.dtype.is_complex:
        if dtype is not None and not dtype.is_complex:
            raise RuntimeError("linalg.vector_norm: dtype should be complex for a complex input, got "
                               f"{_type_name(dtype)}")
        x = (x if dtype is None else x.to(dtype)).abs()
        dtype = None
    if not (x.dtype.is_floating_point):
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_type_name(x.dtype)}")
    if isinstance(ord, str) or isinstance(ord, bool):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not {type(ord).__name__}")
    x = _cast_for(x, dtype, "linalg.vector_norm")
    if isinstance(dim, int):
        dim = (dim,)
    if x.numel() == 0 and ord < 0 or (x.numel() == 0 and math.isinf(ord)):
        dims = range(x.dim()) if dim is None else dim
        if dim is None or any(x.shape[d] == 0 for d in dims):
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the "
                               "operation does not have an identity")
    r = x.norm(float(ord), None if dim is None else tuple(dim), keepdim)
    return _write_out(out, r, "linalg_vector_norm")


def _move_to_end(A: Tensor, dim):
    d0, d1 = (d % A.dim() for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    perm = [d for d in range(A.dim()) if d not in (d0, d1)] + [d0, d1]
    return A.permute(*perm), (d0, d1)


def _keep(r: Tensor, dims, keepdim: bool) -> Tensor:
    if keepdim:
        for d in sorted(dims):
            r = r.unsqueeze(d)
    return r


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """'fro', 'nuc', 1, -1, 2, -2, inf, -inf matrix norms over the two dims in dim."""
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    _float_check(A, "linalg.matrix_norm")
    dim = tuple(dim)
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {', '.join(map(str, dim))}")
    A = _cast_for(A, dtype, "linalg.matrix_norm")
    if isinstance(ord, str):
        if ord not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
        if ord == "fro":
            return _write_out(out, vector_norm(A, 2, dim, keepdim), "linalg_matrix_norm")
        B, dims = _move_to_end(A, dim)
        r = _torch.linalg.svdvals(B).sum(-1)
        return _write_out(out, _keep(r, dims, keepdim), "linalg_matrix_norm")
    if ord not in (1, -1, 2, -2, _INF, -_INF):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    d0, d1 = (d % A.dim() for d in dim)
    if abs(ord) == 2:
        B, dims = _move_to_end(A, dim)
        s = _torch.linalg.svdvals(B)
        r = s.amax(-1) if ord > 0 else s.amin(-1)
        return _write_out(out, _keep(r, dims, keepdim), "linalg_matrix_norm")
    # 1: max column sum (sum over rows d0, extreme over d1); inf: max row sum.
    red, ext = (d0, d1) if abs(ord) == 1 else (d1, d0)
    s = A.abs().sum(red, keepdim=True)
    r = s.amax(ext, keepdim=True) if ord > 0 else s.amin(ext, keepdim=True)
    if not keepdim:
        r = r.squeeze(max(d0, d1)).squeeze(min(d0, d1))
    return _write_out(out, r, "linalg_matrix_norm")


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """Vector or matrix norm, chosen as PyTorch does from ord and dim."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        dim = tuple(dim)
        if len(dim) == 1:
            return _write_out(out, vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype), "linalg_norm")
        if len(dim) == 2:
            return _write_out(out, matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype),
                              "linalg_norm")
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dim)}")
    if ord is None:
        return _write_out(out, vector_norm(A, 2, None, keepdim, dtype=dtype), "linalg_norm")
    if A.dim() == 1:
        return _write_out(out, vector_norm(A, ord, None, keepdim, dtype=dtype), "linalg_norm")
    if A.dim() == 2:
        return _write_out(out, matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype), "linalg_norm")
    raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.dim()}D.")


def cond(A: Tensor, p=None, *, out=None) -> Tensor:
    """The condition number ||A|| ||A^-1|| in the p-norm (2 by default: s_max / s_min)."""
    if A.dim() < 2:
        raise RuntimeError("linalg.cond: The input tensor A must have at least 2 dimensions.")
    _float_check(A, "linalg.cond")
    if p is None or p in (2, -2):
        s = _torch.linalg.svdvals(A)
        if s.shape[-1] == 0:
            return _write_out(out, s.sum(-1), "linalg_cond")
        r = s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
        return _write_out(out, r, "linalg_cond")
    if p not in ("fro", "nuc", 1, -1, _INF, -_INF):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.cond: A must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")
    if A.numel() == 0:
        return _write_out(out, _torch.zeros(A.shape[:-2], dtype=A.dtype, device=A.device), "linalg_cond")
    Ainv, info = inv_ex(A)
    r = matrix_norm(A, p) * matrix_norm(Ainv, p)
    # singular: infinite condition number, as PyTorch (on a device without reading info back)
    if A.device.type != "cpu" or _first_bad(info) is not None:
        r = _torch.where(info.reshape(r.shape) > 0, _torch.full_like(r, _INF), r)
    return _write_out(out, r, "linalg_cond")


# ---------------------------------------------------------------------------------------------
# rank, pinv, lstsq
# ---------------------------------------------------------------------------------------------

def _tolerance(A: Tensor, smax: Tensor, atol, rtol):
    """max(atol, rtol * smax) with PyTorch's defaults (rtol = eps * max(m, n) when atol is unset or 0)."""
    if isinstance(atol, Tensor) or isinstance(rtol, Tensor):
        atol_t = atol if isinstance(atol, Tensor) else _torch.tensor(0.0 if atol is None else atol, dtype=A.dtype,
                                                                     device=A.device)
        if rtol is None:
            rtol_v = _tol_dtype(A.dtype) * max(A.shape[-2], A.shape[-1])
            rtol_t = _torch.where(atol_t > 0, _torch.zeros_like(atol_t), _torch.full_like(atol_t, rtol_v))
        else:
            rtol_t = rtol if isinstance(rtol, Tensor) else _torch.tensor(rtol, dtype=A.dtype, device=A.device)
        return _torch.maximum(atol_t.to(A.dtype), rtol_t.to(A.dtype) * smax)
    if rtol is None:
        rtol = _tol_dtype(A.dtype) * max(A.shape[-2], A.shape[-1]) if (atol is None or atol <= 0) else 0.0
    return _torch.clamp(smax * rtol, min=0.0 if atol is None else float(atol))


def _svals(A: Tensor, hermitian: bool) -> Tensor:
    if hermitian:
        return _torch.linalg.eigvalsh(A).abs().sort(-1, descending=True)[0]
    return _torch.linalg.svdvals(A)


def matrix_rank(A: Tensor, tol=None, hermitian: bool = False, *, atol=None, rtol=None, out=None) -> Tensor:
    """The number of singular values above max(atol, rtol * s_max) (int64)."""
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_rank: The input tensor input must have at least 2 dimensions.")
    _float_check(A, "linalg.matrix_rank")
    if tol is not None:
        atol, rtol = tol, 0.0
    with _torch.no_grad():
        s = _svals(A, hermitian)
        if s.shape[-1] == 0:
            return _write_out(out, _torch.zeros(A.shape[:-2], dtype=_torch.int64, device=A.device),
                              "linalg_matrix_rank")
        tolv = _tolerance(A, s[..., :1], atol, rtol)
        if tolv.dim() < s.dim():
            tolv = tolv.unsqueeze(-1)
        r = (s > tolv).sum(-1)
    return _write_out(out, r, "linalg_matrix_rank")


def _pinv_value(A: Tensor, atol, rtol, hermitian: bool) -> Tensor:
    m, n = A.shape[-2], A.shape[-1]
    if A.numel() == 0:
        return _torch.zeros(*A.shape[:-2], n, m, dtype=A.dtype, device=A.device)
    if hermitian:
        w, V = _torch.linalg.eigh(A)
        aw = w.abs()
        tolv = _tolerance(A, aw.amax(-1, keepdim=True), atol, rtol)
        if tolv.dim() < aw.dim():
            tolv = tolv.unsqueeze(-1)
        winv = _torch.where(aw > tolv, 1.0 / w, _torch.zeros_like(w))
        return (V * winv.unsqueeze(-2)) @ _mT(V)
    U, S, Vh = _torch.linalg.svd(A, full_matrices=False)
    tolv = _tolerance(A, S[..., :1], atol, rtol)
    if tolv.dim() < S.dim():
        tolv = tolv.unsqueeze(-1)
    sinv = _torch.where(S > tolv, 1.0 / S, _torch.zeros_like(S))
    return (_mT(Vh) * sinv.unsqueeze(-2)) @ _mT(U)


class _Pinv(Function):
    @staticmethod
    def forward(ctx, A, atol, rtol, hermitian):
        P = _pinv_value(A, atol, rtol, hermitian)
        ctx.save_for_backward(A, P)
        return P

    @staticmethod
    def backward(ctx, g):
        A, P = ctx.saved_tensors
        return _pinv_backward(g, P, A), None, None, None


def _pinv_backward(g: Tensor, P: Tensor, A: Tensor) -> Tensor:
    """PyTorch's pinv_backward (real case): the derivative of A^+ in terms of A^+ itself."""
    m, n = A.shape[-2], A.shape[-1]
    Ph, gh = _mT(P), _mT(g)
    if m <= n:
        K = gh @ P
        KPh = K @ Ph
        return -_mT(P @ K) + KPh - (A @ P) @ KPh + (Ph @ P) @ (gh - K @ A)
    K = P @ gh
    PhK = Ph @ K
    return -_mT(K @ P) + (gh - A @ K) @ P @ Ph + PhK - PhK @ P @ A


def pinv(A: Tensor, rcond=None, hermitian: bool = False, *, atol=None, rtol=None, out=None) -> Tensor:
    """Moore-Penrose pseudo-inverse through the SVD (eigh with hermitian=True), singular values below
    max(atol, rtol * s_max) treated as zero; PyTorch's pinv_backward for the gradient."""
    if A.dim() < 2:
        raise RuntimeError("linalg.pinv(A): The input tensor A must have at least 2 dimensions.")
    _float_check(A, "linalg.pinv")
    if rcond is not None:
        rtol = rcond
    return _write_out(out, _Pinv.apply(A, atol, rtol, bool(hermitian)), "linalg_pinv")


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """torch.pinverse: pinv with rtol=rcond."""
    return pinv(input, rtol=rcond)


def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver=None):
    """(solution, residuals, rank, singular_values) of min ||A X - B||: the minimum-norm solution through
    the SVD for every driver (what gelsd/gelss compute; gelsy and gels agree for the inputs they accept).
    The other fields are filled as PyTorch's CPU drivers fill them."""
    if A.dim() < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    _float_check(A, "torch.linalg.lstsq")
    if A.dtype != B.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got "
                           f"input's dtype {A.dtype} and other's dtype {B.dtype}")
    drivers = ("gels", "gelsy", "gelsd", "gelss")
    if driver is None:
        driver = "gelsy"
    if driver not in drivers:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    vector = B.dim() == A.dim() - 1
    Bm = B.unsqueeze(-1) if vector else B
    if Bm.shape[-2] != A.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    m, n = A.shape[-2], A.shape[-1]
    if rcond is None:
        rcond = _tol_dtype(A.dtype) * max(m, n)
    if driver == "gels":  # full rank assumed: no cut-off
        rcond = 0.0
    X = _Pinv.apply(A, None, rcond, False) @ Bm
    with _torch.no_grad():
        S = _torch.linalg.svdvals(A)
    with _torch.no_grad():
        if A.numel() == 0:
            rank = _torch.zeros(A.shape[:-2], dtype=_torch.int64, device=A.device)
        else:
            rank = (S > S[..., :1] * rcond).sum(-1)
    empty = _torch.empty(0, dtype=A.dtype, device=A.device)
    residuals = X.reshape(-1)[:0]  # empty, but an output of the graph as PyTorch's
    # Reading the rank back is a sync: only where residuals may be wanted.
    if m > n and driver != "gelsy" and A.numel() > 0 and bool((rank == n).all()):
        residuals = ((A @ X - Bm) ** 2).sum(-2)
        if vector:
            residuals = residuals.squeeze(-1)
    rank_out = _torch.empty(0, dtype=_torch.int64, device=A.device) if driver == "gels" else rank
    sv = S if driver in ("gelsd", "gelss") else empty
    if vector:
        X = X.squeeze(-1)
    return _lstsq_t(X, residuals, rank_out, sv)


# ---------------------------------------------------------------------------------------------
# matrix functions and products
# ---------------------------------------------------------------------------------------------

_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
           10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def _matrix_exp_pade(A: Tensor) -> Tensor:
    """exp(A) by scaling and squaring with the [13/13] Pade approximant (Higham 2005), one scaling for the
    batch (the largest any matrix needs). Differentiable ops throughout."""
    n = A.shape[-1]
    eye = _torch.eye(n, dtype=A.dtype, device=A.device).expand(*A.shape)
    with _torch.no_grad():
        norm1 = float(A.abs().sum(-2).amax()) if A.numel() else 0.0
    s = 0 if not math.isfinite(norm1) or norm1 <= _THETA13 else int(math.ceil(math.log2(norm1 / _THETA13)))
    As = A / (2.0 ** s) if s else A
    b = _PADE13
    A2 = As @ As
    A4 = A2 @ A2
    A6 = A4 @ A2
    U = As @ (A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * eye)
    V = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * eye
    R = _torch.linalg.solve(V - U, V + U)
    for _ in range(s):
        R = R @ R
    return R


def matrix_exp(A: Tensor) -> Tensor:
    """The matrix exponential of square matrices."""
    if A.dim() < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError("linalg.matrix_exp: A must be batches of square matrices, but they are "
                           f"{A.shape[-2] if A.dim() >= 2 else 1} by {A.shape[-1] if A.dim() else 1} matrices")
    _float_check(A, "linalg.matrix_exp")
    if A.numel() == 0:
        return A.clone()
    if A.shape[-1] == 1:
        return A.exp()
    if A.dtype == _torch.float32:  # float64 inside: the float32 result is then correctly rounded
        return _matrix_exp_pade(A.to(_torch.float64)).to(_torch.float32)
    return _matrix_exp_pade(A)


def matrix_power(A: Tensor, n: int, *, out=None) -> Tensor:
    """A^n for an integer n by repeated squaring; n < 0 uses inv(A), n == 0 the identity."""
    if A.dim() < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError("linalg.matrix_power: A must be batches of square matrices, but they are "
                           f"{A.shape[-2] if A.dim() >= 2 else 1} by {A.shape[-1] if A.dim() else 1} matrices")
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"linalg_matrix_power(): argument 'n' must be int, not {type(n).__name__}")
    if n == 0:
        r = _torch.eye(A.shape[-1], dtype=A.dtype, device=A.device).expand(*A.shape).clone()
        if A.requires_grad and _torch.is_grad_enabled():
            r = r + 0 * A
        return _write_out(out, r, "linalg_matrix_power")
    if n < 0:
        _float_check(A, "linalg.inv")
        A = _torch.linalg.inv(A)
        n = -n
    result = None
    base = A
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return _write_out(out, result, "linalg_matrix_power")


def multi_dot(tensors, *, out=None) -> Tensor:
    """A chain of matmuls; the first and last tensor may be 1-D (a row / column vector)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        nd = t.dim()
        ok = nd in (1, 2) if i in (0, len(tensors) - 1) else nd == 2
        if not ok:
            if i in (0, len(tensors) - 1):
                raise RuntimeError(f"multi_dot(): the {'first' if i == 0 else 'last'} tensor must be 1D or 2D but "
                                   f"got {nd}D")
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {nd}D")
    dt = tensors[0].dtype
    for t in tensors[1:]:
        if t.dtype != dt:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is {dt} and "
                               f"tensor {tensors.index(t)} {t.dtype}")
    first_vec, last_vec = tensors[0].dim() == 1, tensors[-1].dim() == 1
    mats = list(tensors)
    if first_vec:
        mats[0] = mats[0].unsqueeze(0)
    if last_vec:
        mats[-1] = mats[-1].unsqueeze(-1)
    for i in range(len(mats) - 1):
        if mats[i].shape[-1] != mats[i + 1].shape[-2]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {list(tensors[i].shape)} and "
                               f"{list(tensors[i + 1].shape)} cannot be multiplied")
    r = _chain(mats)
    if first_vec and last_vec:
        r = r.reshape(())
    elif first_vec:
        r = r.squeeze(0)
    elif last_vec:
        r = r.squeeze(-1)
    return _write_out(out, r, "linalg_multi_dot")


def _chain(mats):
    """The product in the cheapest parenthesization (the classic O(n^3) dynamic program)."""
    n = len(mats)
    if n == 1:
        return mats[0]
    if n == 2:
        return mats[0] @ mats[1]
    dims = [m.shape[0] for m in mats] + [mats[-1].shape[1]]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k

    def build(i, j):
        if i == j:
            return mats[i]
        k = split[i][j]
        return build(i, k) @ build(k + 1, j)

    return build(0, n - 1)


def tensorinv(A: Tensor, ind: int = 2, *, out=None) -> Tensor:
    """The inverse of A seen as a map from its first `ind` dims to the rest."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows = list(A.shape[:ind])
    cols = list(A.shape[ind:])
    pr, pc = math.prod(rows), math.prod(cols)
    if pr != pc:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {pc} != {pr}")
    r = _torch.linalg.inv(A.reshape(pr, pc)).reshape(cols + rows)
    return _write_out(out, r, "linalg_tensorinv")


def tensorsolve(A: Tensor, B: Tensor, dims=None, *, out=None) -> Tensor:
    """X with tensordot(A, X, X.ndim) = B."""
    if dims is not None:
        nd = A.dim()
        dims = [d % nd for d in dims]
        rest = [d for d in range(nd) if d not in dims]
        A = A.permute(*(rest + dims))
    res_shape = list(A.shape[B.dim():])
    n = B.numel()
    p = math.prod(res_shape)
    if n != p or math.prod(A.shape) != n * p:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
                           f"prod(self.shape[:other.ndim]), but got {p} != {math.prod(A.shape[:B.dim()])}")
    X = _torch.linalg.solve(A.reshape(n, p), B.reshape(n)).reshape(res_shape)
    return _write_out(out, X, "linalg_tensorsolve")


def vander(x: Tensor, *, N: int | None = None) -> Tensor:
    """Columns x^0, x^1, ..., x^(N-1) (increasing powers, torch.linalg.vander)."""
    if x.dim() == 0:  # a scalar is one point, as PyTorch
        x = x.reshape(1)
    if N is None:
        N = x.shape[-1]
    if N <= 1:
        raise RuntimeError("N must be greater than 1.")
    if x.dtype == _torch.bool:
        raise RuntimeError("linalg.vander: x must be a floating point, integer or complex tensor. Got Bool")
    ones = _torch.ones(*x.shape, 1, dtype=x.dtype, device=x.device)
    powers = x.unsqueeze(-1).expand(*x.shape, N - 1).cumprod(-1)
    return _torch.cat([ones, powers], -1)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1, out=None) -> Tensor:
    """sum(conj(x) * y, dim) with broadcasting."""
    if x.dtype != y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
                           f"{x.dtype} and y of type {y.dtype} instead")
    return _write_out(out, (x.conj() * y).sum(dim), "linalg_vecdot")


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """torch.linalg.diagonal: torch.diagonal with matrix-last defaults."""
    return _torch.diagonal(A, offset, dim1, dim2)
