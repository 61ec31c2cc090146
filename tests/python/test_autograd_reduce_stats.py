"""Autograd of var/std (and var_mean/std_mean), norm (every p), dist, logsumexp, cumsum and cumprod
(csrc/autograd/functions/reduce_stats.cpp): gradcheck in several layouts, dims and keepdim, 0-d and
empty inputs, gradgradcheck, PyTorch's subgradients (norm at 0, std of constant data, cumprod with
zeros) and grad_fn names."""
import numpy as np
import pytest

import pyengine as pe
from autograd_elementwise_testing import (LAYOUTS, assert_like_torch, grad_fn_name, gradcheck, gradgradcheck, leaf,
                                          rand)

A = rand((3, 4), -2, 2)
B = rand((3, 4), -2, 2, seed=1)
INF = float("inf")

STATS = {
    "var": lambda M, x: M.var(x),
    "var_dim": lambda M, x: x.var(1),
    "var_dims_keepdim_c0": lambda M, x: M.var(x, (0, 1), keepdim=True, correction=0),
    "var_unbiased_false": lambda M, x: x.var(0, unbiased=False),
    "std": lambda M, x: M.std(x),
    "std_dim_c2": lambda M, x: x.std(1, correction=2),
    "std_keepdim": lambda M, x: M.std(x, 0, keepdim=True),
    "var_mean": lambda M, x: (lambda r: r[0] * 2 + r[1] * 3)(M.var_mean(x, 1)),
    "std_mean": lambda M, x: (lambda r: r[0] * 2 + r[1] * 3)(M.std_mean(x, 0, keepdim=True)),
    "norm": lambda M, x: x.norm(),
    "norm_fro_dim": lambda M, x: M.norm(x, "fro", 1),
    "norm_p1": lambda M, x: x.norm(1),
    "norm_p3_dim": lambda M, x: x.norm(3, 0),
    "norm_p0_5": lambda M, x: M.norm(x, 0.5, 1, keepdim=True),
    "norm_inf": lambda M, x: x.norm(INF, 1),
    "norm_neginf": lambda M, x: x.norm(-INF),
    "norm_p0": lambda M, x: x.norm(0, 1),
    "logsumexp": lambda M, x: M.logsumexp(x, 1),
    "logsumexp_all_keepdim": lambda M, x: x.logsumexp((0, 1), keepdim=True),
    "cumsum": lambda M, x: M.cumsum(x, 1),
    "cumsum_dim0": lambda M, x: x.cumsum(0),
    "cumsum_dtype": lambda M, x: x.cumsum(-1, dtype=M.float64),
    "cumprod": lambda M, x: M.cumprod(x, 1),
    "cumprod_dim0": lambda M, x: x.cumprod(-2),
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", sorted(STATS))
def test_gradcheck(name, layout):
    gradcheck(STATS[name], [A], layout)


@pytest.mark.parametrize("name", sorted(STATS))
def test_like_torch(name):
    assert_like_torch(STATS[name], [A], rtol=1e-9, check_name=not name.endswith("_mean"))


@pytest.mark.parametrize("name", sorted(STATS))
def test_gradgradcheck(name):
    if name in ("norm_p0", "norm_inf", "norm_neginf"):
        return  # piecewise linear: second derivative 0, checked by gradcheck of the first
    gradgradcheck(STATS[name], [A[:2, :3]])


ZERO_D = [lambda M, x: M.var(x, correction=0), lambda M, x: M.std(x, correction=0) + 0 * x,
          lambda M, x: x.norm(), lambda M, x: x.norm(1), lambda M, x: M.logsumexp(x, 0),
          lambda M, x: x.cumsum(0), lambda M, x: x.cumprod(0), lambda M, x: M.dist(x, x * 0 + 0.5)]


@pytest.mark.parametrize("i", range(len(ZERO_D)))
def test_0d(i):
    assert_like_torch(ZERO_D[i], [np.array(1.3)], check_name=False)
    if i not in (1,):
        gradcheck(ZERO_D[i], [np.array(1.3)])


@pytest.mark.parametrize("fn", [lambda M, x: x.var(0), lambda M, x: x.norm(2, 0), lambda M, x: x.cumsum(0),
                                lambda M, x: x.cumprod(1), lambda M, x: x.logsumexp(1), lambda M, x: x.std(1)])
@pytest.mark.filterwarnings("ignore:.*degrees of freedom")
def test_empty(fn):
    x = leaf(np.zeros((0, 3)))
    y = fn(pe, x)
    y.sum().backward()
    assert tuple(x.grad.shape) == (0, 3)


def test_names():
    torch = pytest.importorskip("torch")
    for name, fn in STATS.items():
        if name.endswith("_mean"):
            continue
        assert grad_fn_name(fn(pe, leaf(A))) == grad_fn_name(fn(torch, torch.tensor(A, requires_grad=True))), name
    x, t = leaf(A), torch.tensor(A, requires_grad=True)
    for f in (pe.var_mean, pe.std_mean):
        v, m = f(x, 1)
        assert grad_fn_name(v) == grad_fn_name(m) == ("VarMeanBackward0" if f is pe.var_mean else "StdMeanBackward0")
    assert grad_fn_name(pe.dist(x, x * 2)) == type(torch.dist(t, t * 2).grad_fn).__name__


def test_var_mean_only_mean_used():
    x = leaf(A)
    v, m = pe.var_mean(x, 1)
    m.sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad.tolist()), np.full((3, 4), 0.25))


def test_subgradients_like_torch():
    """norm of a zero vector (zero subgradient), std of constant data (zero), norm ties for inf."""
    z = np.zeros((2, 3))
    z[1] = [1.0, -2.0, 0.0]
    for p in [0, 1, 2, 3, 0.5, INF, -INF]:
        assert_like_torch(lambda M, x: x.norm(p, 1), [z], rtol=1e-10)
        assert_like_torch(lambda M, x: x.norm(p), [z], rtol=1e-10)
    c = np.ones((2, 3))
    assert_like_torch(lambda M, x: x.std(1), [c])
    ties = np.array([[1.0, -3.0, 3.0], [2.0, 2.0, -2.0]])
    assert_like_torch(lambda M, x: x.norm(INF, 1), [ties])
    assert_like_torch(lambda M, x: x.norm(-INF, 1), [ties])


def test_norm_dtype_and_float32():
    x = pe.tensor(A.astype(np.float32), requires_grad=True)
    y = x.norm(dtype=pe.float64)
    assert y.dtype == pe.float64
    y.backward()
    assert x.grad.dtype == pe.float32
    np.testing.assert_allclose(np.asarray(x.grad.tolist()), A / np.linalg.norm(A), rtol=1e-6)


@pytest.mark.parametrize("p", [0, 1, 2, 3, 0.5, INF])
def test_dist(p):
    b = B.copy() if p != 0.5 else B + 0.01
    gradcheck(lambda M, x, y: M.dist(x, y, p), [A, b])
    gradcheck(lambda M, x, y: x.dist(y, p), [A[:, :1], b], layout="transposed")  # broadcast
    if p == 0:  # PyTorch's backward raises here; no gradient reaches the inputs (as norm(p=0))
        x, y = leaf(A), leaf(b)
        pe.dist(x, y, 0).backward()
        assert x.grad is None and y.grad is None
        return
    assert_like_torch(lambda M, x, y: M.dist(x, y, p), [A, b], rtol=1e-10)
    assert_like_torch(lambda M, x, y: M.dist(x, y, p), [A[:1], b], rtol=1e-10)
    if p not in (0, INF):
        gradgradcheck(lambda M, x, y: M.dist(x, y, p), [A[:2, :2], b[:2, :2]])


@pytest.mark.parametrize("zeros", [[(1, 2)], [(0, 0), (0, 2)], [(2, 3)], [(1, 0), (1, 1), (0, 3)]])
def test_cumprod_with_zeros(zeros):
    a = A.copy()
    for i, j in zeros:
        a[i, j] = 0.0
    for fn in [lambda M, x: x.cumprod(1), lambda M, x: x.cumprod(0)]:
        assert_like_torch(fn, [a], rtol=1e-10, atol=1e-12)
        gradcheck(fn, [a])
    gradgradcheck(lambda M, x: x.cumprod(1), [a])


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
def test_scan_inplace(op):
    torch = pytest.importorskip("torch")
    res = []
    for M in (pe, torch):
        x = leaf(A, M=M)
        y = x * 1
        getattr(y, op + "_")(1)
        name = type(y.grad_fn).__name__
        (y * y).sum().backward()
        res.append((name, np.asarray(x.grad.tolist())))
    assert res[0][0] == res[1][0]
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-10)


def test_out_refuses_grad():
    x = leaf(A)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        pe.var(x, 1, out=pe.empty(3, dtype=pe.float64))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        pe.cumsum(x, 1, out=pe.empty(3, 4, dtype=pe.float64))
    with pe.no_grad():
        out = pe.empty(3, dtype=pe.float64)
        pe.norm(x, 2, 1, out=out)
    np.testing.assert_allclose(np.asarray(out.tolist()), np.linalg.norm(A, axis=1))
