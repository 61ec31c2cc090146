"""Statistics and norms: var/std (unbiased=, correction=, the _mean forms), norm (p = 0, 1, 2, +-inf,
'fro', any real), dist and logsumexp, against float64 numpy on every layout and floating dtype."""
import itertools
import math
import warnings

import numpy as np
import pytest

import pyengine as pe
from pe_testing import FLOAT_NAMES, LAYOUT_NAMES, assert_raises_like_torch, make_layout, pe_dtype, to_np

TOL = {"float16": 3e-3, "bfloat16": 3e-2, "float32": 1e-5, "float64": 1e-12}
INF = float("inf")


def dims_for(ndim):
    if ndim == 0:
        return [None, 0, -1]
    out = [None] + list(range(ndim)) + [-1]
    out += [tuple(c) for r in range(2, ndim + 1) for c in itertools.combinations(range(ndim), r)]
    return out


def np_axis(dim, ndim):
    if dim is None or ndim == 0:
        return None
    return tuple(dim) if isinstance(dim, tuple) else dim


def check(t, ref, dtype, tol):
    ref = np.asarray(ref, dtype=np.float64)
    assert t.dtype is pe_dtype(dtype), (t.dtype, dtype)
    assert tuple(t.shape) == ref.shape, (tuple(t.shape), ref.shape)
    np.testing.assert_allclose(to_np(t).astype(np.float64), ref, rtol=tol, atol=tol, equal_nan=True)


def np_var(a, axis, ddof, keepdims):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            n = a.size if axis is None else np.prod([a.shape[d] for d in np.atleast_1d(axis)])
            m = a.mean(axis=axis, keepdims=True) if a.size else np.full((1,) * a.ndim, np.nan)
            ss = ((a - m) ** 2).sum(axis=axis, keepdims=keepdims)
            return ss / max(n - ddof, 0)


# ---------------------------------------------------------------------------------------------
# var / std
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUT_NAMES)
@pytest.mark.parametrize("dtype", FLOAT_NAMES)
def test_var_std(layout, dtype):
    t, a = make_layout(layout, dtype)
    ref = a.astype(np.float64)
    tol = TOL[dtype]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for dim, keepdim in itertools.product(dims_for(t.dim()), (False, True)):
            ax = np_axis(dim, t.dim())
            v = np_var(ref, ax, 1, keepdim)
            check(t.var(dim, keepdim=keepdim), v, dtype, tol)
            check(pe.std(t, dim, keepdim=keepdim), np.sqrt(v), dtype, tol)
            check(t.var(dim, unbiased=False, keepdim=keepdim), np_var(ref, ax, 0, keepdim), dtype, tol)
            check(t.std(dim, correction=0, keepdim=keepdim), np.sqrt(np_var(ref, ax, 0, keepdim)), dtype, tol)
            check(pe.var(t, dim, keepdim=keepdim, correction=2), np_var(ref, ax, 2, keepdim), dtype, tol)
        check(t.var(), np_var(ref, None, 1, False), dtype, tol)


def test_var_std_argument_forms():
    x = pe.tensor([[1.0, 2.0], [3.0, 5.0]])
    a = np.array([[1.0, 2.0], [3.0, 5.0]])
    assert math.isclose(x.std(False).item(), a.std(), rel_tol=1e-6)  # x.std(unbiased)
    assert math.isclose(x.var(True).item(), a.var(ddof=1), rel_tol=1e-6)
    np.testing.assert_allclose(x.std(0, True).numpy(), a.std(0, ddof=1))  # (dim, unbiased)
    np.testing.assert_allclose(pe.std(x, 0, True, True).numpy(), a.std(0, ddof=1, keepdims=True))
    np.testing.assert_allclose(x.var(1, correction=0.5).numpy(), ((a - a.mean(1, keepdims=True)) ** 2).sum(1) / 1.5,
                               rtol=1e-6)
    np.testing.assert_allclose(x.var(dim=None, keepdim=True).numpy(), a.var(ddof=1, keepdims=True), rtol=1e-6)
    assert_raises_like_torch(TypeError, lambda m: m.ones(2, 2).var(0, unbiased=False, correction=1))
    assert_raises_like_torch(RuntimeError, lambda m: m.tensor([1, 2]).var())
    assert_raises_like_torch(RuntimeError, lambda m: m.tensor([1, 2]).std(0))
    out = pe.empty(0, dtype=pe.float64)
    assert pe.var(x, 0, out=out) is out and out.dtype is pe.float64
    np.testing.assert_allclose(out.numpy(), a.var(0, ddof=1))


def test_var_mean_std_mean():
    x = pe.tensor([[1.0, 2.0], [3.0, 4.0]])
    v, m = pe.var_mean(x, 0)
    assert v.tolist() == [2.0, 2.0] and m.tolist() == [2.0, 3.0]
    s, m = pe.std_mean(x, dim=0, correction=0, keepdim=True)
    assert s.tolist() == [[1.0, 1.0]] and m.tolist() == [[2.0, 3.0]]
    s, m = pe.std_mean(x, 0, False)
    assert s.tolist() == [1.0, 1.0]
    v, m = pe.var_mean(x)
    assert math.isclose(v.item(), 5.0 / 3.0, rel_tol=1e-6) and m.item() == 2.5
    assert type(pe.var_mean(x)) is tuple


def test_var_degenerate_cases():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert math.isnan(pe.tensor(3.0).std().item())
        assert pe.tensor(3.0).std(correction=0).item() == 0.0
        assert np.isnan(pe.ones(1, 3).var(0).numpy()).all()
        assert np.isnan(pe.empty(0, 3).var(0).numpy()).all()
        assert pe.empty(0, 3).var(1).shape == (0,)
        assert math.isnan(pe.empty(0).std().item())
        v, m = pe.var_mean(pe.empty(0))
        assert math.isnan(v.item()) and math.isnan(m.item())
        assert math.isnan(pe.tensor([1.0, float("nan")]).var().item())
        assert math.isnan(pe.tensor([1.0, INF]).var().item())


def test_var_warns_without_degrees_of_freedom():
    with pytest.warns(UserWarning, match="degrees of freedom"):
        pe.ones(1, 3).var(0)
    with pytest.warns(UserWarning, match="degrees of freedom"):
        pe.std_mean(pe.tensor([1.0, 2.0]), correction=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pe.ones(2, 3).var(0)


def test_var_is_accurate_with_a_large_offset():
    rng = np.random.default_rng(2)
    a = (rng.random((3, 200_000)) + 1e4).astype(np.float32)
    ref = a.astype(np.float64).var(1, ddof=1)
    np.testing.assert_allclose(pe.from_numpy(a).var(1).numpy(), ref, rtol=1e-4)
    np.testing.assert_allclose(pe.from_numpy(a.T.copy()).var(0).numpy(), ref, rtol=1e-4)  # Outer path


# ---------------------------------------------------------------------------------------------
# norm / dist
# ---------------------------------------------------------------------------------------------

def np_norm(a, p, axis, keepdims):
    x = np.abs(a)
    if p == 0:
        r = (x != 0).sum(axis=axis, keepdims=keepdims).astype(np.float64)
    elif p == INF:
        r = x.max(axis=axis, keepdims=keepdims)
    elif p == -INF:
        r = x.min(axis=axis, keepdims=keepdims)
    else:
        with np.errstate(divide="ignore"):
            r = (x ** p).sum(axis=axis, keepdims=keepdims) ** (1.0 / p)
    return r


@pytest.mark.parametrize("layout", [n for n in LAYOUT_NAMES if n != "empty"])
@pytest.mark.parametrize("dtype", FLOAT_NAMES)
def test_norm(layout, dtype):
    t, a = make_layout(layout, dtype)
    ref = a.astype(np.float64)
    tol = TOL[dtype] * 3
    for p in (0, 1, 2, 3, 0.5, INF, -INF, -1, "fro"):
        pp = 2 if p == "fro" else p
        check(t.norm(p), np_norm(ref, pp, None, False), dtype, tol)
        check(pe.norm(t, p=p), np_norm(ref, pp, None, False), dtype, tol)
        for dim, keepdim in itertools.product(dims_for(t.dim()), (False, True)):
            if p == "fro" and isinstance(dim, tuple) and len(dim) > 2:
                continue
            ax = np_axis(dim, t.dim())
            check(t.norm(p, dim, keepdim), np_norm(ref, pp, ax, keepdim), dtype, tol)


def test_norm_arguments_and_errors():
    v = pe.tensor([3.0, 0.0, -4.0])
    assert v.norm().item() == 5.0
    assert pe.norm(v, 1).item() == 7.0
    assert pe.norm(v, p=0).item() == 2.0
    assert pe.norm(v, -1).item() == 0.0  # a zero makes negative norms 0
    r = pe.norm(pe.ones(2, 3), dtype=pe.float64)
    assert r.dtype is pe.float64 and math.isclose(r.item(), math.sqrt(6))
    x = pe.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.norm(1, 1, True).tolist() == [[3.0], [7.0]]
    assert x.norm(p=1, dim=1, keepdim=True).tolist() == [[3.0], [7.0]]
    assert pe.ones(2, 3, 4).norm("fro", dim=(1, 2)).shape == (2,)
    h = pe.ones(2, 3, dtype=pe.float16).norm()
    assert h.dtype is pe.float16 and abs(h.item() - math.sqrt(6)) < 2e-3
    assert pe.empty(0).norm().item() == 0.0
    assert pe.empty(0, 2).norm(dim=0).tolist() == [0.0, 0.0]
    assert_raises_like_torch(RuntimeError, lambda m: m.tensor([1, 2]).norm())
    assert_raises_like_torch(RuntimeError, lambda m: m.empty(0).norm(p=float("inf")))
    assert_raises_like_torch(RuntimeError, lambda m: m.empty(0, 3).norm(p=-float("inf"), dim=0))
    assert_raises_like_torch(RuntimeError, lambda m: m.empty(0).norm(p=-1))
    assert_raises_like_torch(RuntimeError, lambda m: m.ones(2, 2).norm(p="abc"))
    assert_raises_like_torch(RuntimeError, lambda m: m.ones(2, 2, 2).norm(p="fro", dim=(0, 1, 2)))
    assert_raises_like_torch(RuntimeError, lambda m: m.norm(m.ones(2), out=m.empty(0, dtype=m.float64)))
    n = pe.tensor([1.0, float("nan")])
    assert math.isnan(n.norm().item()) and math.isnan(n.norm(float("inf")).item())


def test_dist():
    a = pe.tensor([[3.0, 4.0], [1.0, 1.0]])
    b = pe.tensor([0.0, 0.0])
    an, bn = a.numpy(), b.numpy()
    for p in (0, 1, 2, 3, 0.5, INF, -INF):
        assert math.isclose(pe.dist(a, b, p).item(), np_norm(an - bn, p, None, False), rel_tol=1e-6)
    assert math.isclose(a.dist(b).item(), math.sqrt(27), rel_tol=1e-6)
    v, w = pe.tensor([3.0, 4.0]), pe.tensor([0.0, 1.0])
    assert abs(pe.dist(v, w).item() - math.sqrt(18)) < 1e-5
    assert abs(pe.dist(v, w, p=1).item() - 6.0) < 1e-6
    assert pe.dist(pe.tensor([1.0, 2.0]), pe.tensor([1, 1])).dtype is pe.float32
    assert pe.dist(pe.tensor([1.0, 2.0]), pe.tensor([1, 1], dtype=pe.float64)).dtype is pe.float64
    assert_raises_like_torch(RuntimeError, lambda m: m.dist(m.tensor([1, 2]), m.tensor([1, 1])))
    assert_raises_like_torch(RuntimeError, lambda m: m.dist(m.ones(2), m.ones(3)))


# ---------------------------------------------------------------------------------------------
# logsumexp
# ---------------------------------------------------------------------------------------------

def np_lse(a, axis, keepdims):
    with np.errstate(all="ignore"):
        m = np.max(a, axis=axis, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        r = np.log(np.exp(a - m).sum(axis=axis, keepdims=True)) + m
    return r if keepdims else np.squeeze(r, axis=axis)


@pytest.mark.parametrize("layout", [n for n in LAYOUT_NAMES if n not in ("empty",)])
@pytest.mark.parametrize("dtype", FLOAT_NAMES)
def test_logsumexp(layout, dtype):
    t, a = make_layout(layout, dtype)
    ref = a.astype(np.float64) / 4
    t = t / 4
    for dim, keepdim in itertools.product(dims_for(t.dim())[1:], (False, True)):
        ax = np_axis(dim, t.dim())
        check(t.logsumexp(dim, keepdim), np_lse(ref, ax, keepdim), dtype, TOL[dtype] * 4)
        check(pe.logsumexp(t, dim, keepdim=keepdim), np_lse(ref, ax, keepdim), dtype, TOL[dtype] * 4)


def test_logsumexp_is_stable_and_handles_infinities():
    assert math.isclose(pe.logsumexp(pe.tensor([1000.0, 1000.0]), 0).item(), 1000 + math.log(2), rel_tol=1e-6)
    assert math.isclose(pe.logsumexp(pe.tensor([-1000.0, -1000.0]), 0).item(), -1000 + math.log(2), rel_tol=1e-6)
    big = pe.tensor([[88.0, 89.0, 3.0]] * 2)
    np.testing.assert_allclose(big.logsumexp(1).numpy(), [89 + math.log1p(math.exp(-1) + math.exp(-86))] * 2,
                               rtol=1e-6)
    assert pe.logsumexp(pe.tensor([-INF, -INF]), 0).item() == -INF
    assert pe.logsumexp(pe.tensor([INF, 1.0]), 0).item() == INF
    assert pe.logsumexp(pe.tensor([INF, INF]), 0).item() == INF
    assert math.isnan(pe.logsumexp(pe.tensor([1.0, float("nan")]), 0).item())
    assert pe.logsumexp(pe.empty(0, 2), 0).tolist() == [-INF, -INF]
    r = pe.logsumexp(pe.tensor([1, 2]), 0)
    assert r.dtype is pe.float32 and math.isclose(r.item(), 2.3132617, rel_tol=1e-6)
    assert pe.logsumexp(pe.tensor([True]), 0).item() == 1.0
    x = pe.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert math.isclose(pe.logsumexp(x, (0, 1)).item(), math.log(sum(math.exp(v) for v in (1, 2, 3, 4))),
                        rel_tol=1e-6)
    out = pe.empty(0, dtype=pe.float64)
    assert pe.logsumexp(x, 1, out=out) is out and out.dtype is pe.float64
    assert_raises_like_torch(RuntimeError, lambda m: m.logsumexp(m.ones(2), 0, out=m.empty(0, dtype=m.int64)))
    assert_raises_like_torch(TypeError, lambda m: m.ones(2).logsumexp())
    # long rows go through the many-accumulator path and its combine
    rng = np.random.default_rng(4)
    a = (rng.standard_normal((5, 10_000)) * 30).astype(np.float32)
    np.testing.assert_allclose(pe.from_numpy(a).logsumexp(1).numpy(), np_lse(a.astype(np.float64), 1, False),
                               rtol=1e-5)
    np.testing.assert_allclose(pe.from_numpy(a.T.copy()).logsumexp(0).numpy(),
                               np_lse(a.astype(np.float64), 1, False), rtol=1e-5)
