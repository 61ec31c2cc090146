"""Autograd of where, clamp/clip/clamp_min/clamp_max (number and tensor bounds) and lerp (number and
tensor weight) (csrc/autograd/functions/elementwise_ternary.cpp): gradcheck in several layouts and with
broadcasting, PyTorch's gradients at the bounds (inclusive) and for min > max, node names, in-place."""
import numpy as np
import pytest

import pyengine as pe
from autograd_elementwise_testing import (LAYOUTS, assert_like_torch, grad_fn_name, gradcheck, gradgradcheck,
                                          inplace_matches, leaf, rand)

A = rand((3, 4), -2, 2)
B = rand((3, 4), -2, 2, seed=1)
W = rand((3, 4), 0, 1, seed=2)
LO = rand((3, 4), -1.5, -0.2, seed=3)
HI = rand((3, 4), 0.2, 1.5, seed=4)


def away_from(a, *bounds):
    """a moved away (>= 0.05) from the bounds, so finite differences do not straddle a kink."""
    a = a.copy()
    for b in bounds:
        close = np.abs(a - b) < 0.05
        a[close] += 0.1
    return a


TERNARY = {
    "where": (lambda M, a, b, c: M.where(c > 0, a, b), (A, B, W - 0.5), [True, True, False]),
    "where_scalar": (lambda M, a, b, c: M.where(c > 0, a, 1.5), (A, B, W - 0.5), [True, False, False]),
    "where_scalar_first": (lambda M, a, b, c: M.where(c > 0, -0.5, b), (A, B, W - 0.5), [False, True, False]),
    "clamp_scalar": (lambda M, a, b, c: M.clamp(a, -0.5, 0.7), (away_from(A, -0.5, 0.7), B, W), [True, False, False]),
    "clamp_min_only": (lambda M, a, b, c: a.clamp(min=-0.5), (away_from(A, -0.5), B, W), [True, False, False]),
    "clamp_max_only": (lambda M, a, b, c: M.clamp(a, max=0.5), (away_from(A, 0.5), B, W), [True, False, False]),
    "clamp_tensor": (lambda M, a, b, c: M.clamp(a, b, c), (away_from(A, LO, HI), LO, HI), [True, True, True]),
    "clamp_tensor_min": (lambda M, a, b, c: M.clamp(a, min=b), (away_from(A, B), B, W), [True, True, False]),
    "clip_tensor_max": (lambda M, a, b, c: M.clip(a, max=c), (away_from(A, HI), B, HI), [True, False, True]),
    "clamp_min": (lambda M, a, b, c: M.clamp_min(a, 0.3), (away_from(A, 0.3), B, W), [True, False, False]),
    "clamp_max": (lambda M, a, b, c: a.clamp_max(0.3), (away_from(A, 0.3), B, W), [True, False, False]),
    "clamp_min_tensor": (lambda M, a, b, c: M.clamp_min(a, b), (away_from(A, B), B, W), [True, True, False]),
    "clamp_max_tensor": (lambda M, a, b, c: a.clamp_max(b), (away_from(A, B), B, W), [True, True, False]),
    "lerp_scalar": (lambda M, a, b, c: M.lerp(a, b, 0.3), (A, B, W), [True, True, False]),
    "lerp_tensor": (lambda M, a, b, c: M.lerp(a, b, c), (A, B, W), [True, True, True]),
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", sorted(TERNARY))
def test_gradcheck(name, layout):
    fn, arrays, req = TERNARY[name]
    gradcheck(fn, list(arrays), layout, requires=req)


@pytest.mark.parametrize("name", sorted(TERNARY))
def test_like_torch(name):
    fn, arrays, req = TERNARY[name]
    assert_like_torch(fn, list(arrays), requires=req)


@pytest.mark.parametrize("name", sorted(TERNARY))
def test_broadcast_and_0d(name):
    fn, (a, b, c), req = TERNARY[name]
    gradcheck(fn, [a, b[:1, :], c[:, :1]], requires=req)
    gradcheck(fn, [a[:, :1], b, c[0, 0]], requires=req)
    gradcheck(fn, [a[0, 0], b[0, 0], c[0, 0]], requires=req)
    assert_like_torch(fn, [a[:1, :], b[:, :1], c], requires=req)


@pytest.mark.parametrize("name", ["where", "clamp_tensor", "lerp_tensor", "clamp_scalar"])
def test_gradgradcheck(name):
    fn, arrays, req = TERNARY[name]
    gradgradcheck(fn, [x[:2, :3] for x in arrays], requires=req)


def test_clamp_at_bounds_and_crossed_bounds_like_torch():
    """At the bound the input gets the gradient (inclusive); with min > max the result is max and
    only max gets gradient; NaN input gets none."""
    x = np.array([-1.0, 1.0, 0.0, 2.0, np.nan, 0.5, -3.0])
    lo = np.array([-1.0, -1.0, 0.5, 0.5, 0.0, 0.5, 1.0])
    hi = np.array([1.0, 1.0, 0.2, 0.2, 1.0, 0.5, 0.0])
    assert_like_torch(lambda M, a, b, c: M.clamp(a, b, c), [x, lo, hi])
    assert_like_torch(lambda M, a, b, c: M.clamp(a, -1.0, 1.0), [x, lo, hi], requires=[True, False, False])
    assert_like_torch(lambda M, a, b, c: M.clamp(a, min=b), [x, lo, hi], requires=[True, True, False])
    assert_like_torch(lambda M, a, b, c: M.clamp(a, max=c), [x, lo, hi], requires=[True, False, True])
    assert_like_torch(lambda M, a, b, c: M.clamp_min(a, b), [x, lo, hi], requires=[True, True, False])
    assert_like_torch(lambda M, a, b, c: M.clamp_max(a, c), [x, lo, hi], requires=[True, False, True])
    assert_like_torch(lambda M, a, b, c: M.clamp_min(a, 0.5), [x, lo, hi], requires=[True, False, False])


@pytest.mark.parametrize("op,args,name", [
    ("clamp", (-0.5, 0.5), "ClampBackward1"), ("clamp", ("LO", "HI"), "ClampBackward0"),
    ("clip", (None, 0.5), "ClampBackward1"), ("clamp_min", (0.1,), "ClampMinBackward0"),
    ("clamp_max", ("HI",), "ClampMaxBackward1"), ("lerp", ("B", 0.3), "LerpBackward0"),
    ("lerp", ("B", "W"), "LerpBackward1"),
])
def test_inplace(op, args, name):
    consts = {"LO": pe.tensor(LO), "HI": pe.tensor(HI), "B": pe.tensor(B), "W": pe.tensor(W)}
    args = [consts[a] if isinstance(a, str) else a for a in args]
    assert inplace_matches(op, away_from(A, -0.5, 0.5, 0.1, LO, HI), *args) == name


def test_inplace_bound_and_weight_gradients_like_torch():
    torch = pytest.importorskip("torch")
    res = []
    for M in (pe, torch):
        x, lo, hi, w = leaf(A, M=M), leaf(LO, M=M), leaf(HI, M=M), leaf(W, M=M)
        y = x * 1
        y.clamp_(lo, hi)
        z = x * 2
        z.lerp_(lo, w)
        (y.sum() + (z * z).sum()).backward()
        res.append([np.asarray(t.grad.tolist()) for t in (x, lo, hi, w)])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_names_like_torch():
    torch = pytest.importorskip("torch")
    for M in (pe,):
        x = leaf(A)
        t = torch.tensor(A, requires_grad=True)
        for f in [lambda M, x: M.where(x > 0, x, 0.0), lambda M, x: M.clamp(x, 0, 1), lambda M, x: M.clamp(x, x * 0),
                  lambda M, x: M.clamp_max(x, x * 0), lambda M, x: M.lerp(x, x * 2, 0.5),
                  lambda M, x: M.lerp(x, x * 2, x)]:
            assert grad_fn_name(f(M, x)) == type(f(torch, t).grad_fn).__name__


def test_where_condition_not_differentiable_and_uint8():
    x = leaf(A)
    c = pe.tensor((W > 0.5).astype(np.uint8))
    with pytest.warns(UserWarning):
        y = pe.where(c, x, 0.0)
    y.sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad.tolist()), (W > 0.5).astype(float))


def test_out_refuses_grad():
    x = leaf(A)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        pe.clamp(x, 0, 1, out=pe.empty(3, 4, dtype=pe.float64))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        pe.where(x > 0, x, 0.0, out=pe.empty(3, 4, dtype=pe.float64))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        pe.lerp(x, x, 0.5, out=pe.empty(3, 4, dtype=pe.float64))
