"""Autograd of the unary elementwise ops (csrc/autograd/functions/elementwise_unary.cpp): gradcheck on
contiguous, transposed, sliced, 0-d and empty inputs, gradgradcheck, PyTorch's grad_fn names (also of
the in-place forms), in-place forms matching the out-of-place gradient, and PyTorch's values at kinks."""
import math

import numpy as np
import pytest

import pyengine as pe
from autograd_elementwise_testing import (LAYOUTS, assert_like_torch, grad_fn_name, gradcheck, gradgradcheck,
                                          inplace_matches, leaf, rand)

# op name -> (lo, hi) of the sampled inputs (inside the domain, away from singularities)
SMOOTH = {
    "sqrt": (0.2, 2), "rsqrt": (0.2, 2), "exp": (-2, 2), "exp2": (-2, 2), "expm1": (-2, 2),
    "log": (0.2, 2), "log1p": (-0.5, 2), "log2": (0.2, 2), "log10": (0.2, 2),
    "sin": (-3, 3), "cos": (-3, 3), "tan": (-1.2, 1.2), "asin": (-0.9, 0.9), "acos": (-0.9, 0.9),
    "atan": (-3, 3), "sinh": (-2, 2), "cosh": (-2, 2), "tanh": (-2, 2), "asinh": (-3, 3),
    "acosh": (1.2, 3), "atanh": (-0.9, 0.9), "sigmoid": (-3, 3), "erf": (-2, 2), "erfc": (-2, 2),
    "reciprocal": (0.3, 2), "square": (-2, 2), "abs": (0.1, 2), "relu": (0.1, 2),
}
STEP = ["sign", "ceil", "floor", "round", "trunc", "frac"]
ALL = sorted(SMOOTH) + STEP


def sample(name, shape, seed=0):
    lo, hi = SMOOTH.get(name, (-2.7, 2.7))
    a = rand(shape, lo, hi, seed)
    if name in ("abs", "relu"):  # both signs, away from the kink
        a = a * np.where(np.arange(a.size).reshape(shape) % 2 == 0, 1, -1) if a.size else a
    if name in STEP:  # away from the jumps
        a = np.round(a * 2) / 2 + 0.2
    return a


def unary(name):
    return lambda M, x: getattr(M, name)(x)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", ALL)
def test_gradcheck(name, layout):
    gradcheck(unary(name), [sample(name, (3, 4))], layout)


@pytest.mark.parametrize("name", ALL)
def test_gradcheck_0d_and_empty(name):
    gradcheck(unary(name), [sample(name, ())])
    x = leaf(np.zeros((0, 3)))
    y = getattr(pe, name)(x)
    y.sum().backward()
    assert tuple(x.grad.shape) == (0, 3)


@pytest.mark.parametrize("name", sorted(SMOOTH))
def test_gradgradcheck(name):
    gradgradcheck(unary(name), [sample(name, (2, 3))])


@pytest.mark.parametrize("name", ALL)
def test_like_torch(name):
    """Values, gradients and grad_fn name equal PyTorch's (method form too)."""
    assert_like_torch(unary(name), [sample(name, (3, 4))])
    assert_like_torch(lambda M, x: getattr(x, name)(), [sample(name, (3, 4), seed=1)], layout="transposed")


@pytest.mark.parametrize("name", ALL)
def test_inplace(name):
    torch = pytest.importorskip("torch")
    a = sample(name, (3, 4))
    got = inplace_matches(name, a)
    y = torch.tensor(a, requires_grad=True) * 1
    getattr(y, name + "_")()
    assert got == type(y.grad_fn).__name__


def test_inplace_on_view_of_nonleaf():
    a = sample("exp", (3, 4))
    x = leaf(a)
    y = x * 1
    y.select(0, 1).exp_()
    y.sum().backward()
    expected = np.ones((3, 4))
    expected[1] = np.exp(a[1])
    np.testing.assert_allclose(np.asarray(x.grad.tolist()), expected, rtol=1e-12)


def test_inplace_on_leaf_raises():
    x = leaf(sample("exp", (2,)))
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.exp_()


def test_kinks_like_torch():
    """abs'(0) = 0, relu'(0) = 0, sqrt'(0) = inf, the step functions' zero gradients, frac' = 1."""
    a = np.array([-1.5, -0.0, 0.0, 0.5, 2.0, -2.0])
    for name in ["abs", "relu", "sqrt", "sign", "round", "frac", "ceil", "floor", "trunc", "rsqrt", "reciprocal",
                 "log", "sigmoid", "tanh"]:
        assert_like_torch(unary(name), [a], check_name=False)


def test_round_decimals_and_nan_to_num():
    a = sample("x", (3, 4))
    assert_like_torch(lambda M, x: M.round(x, decimals=1), [a])
    gradcheck(lambda M, x: M.round(x, decimals=2), [a + 0.001])
    assert inplace_matches("round", a, decimals=1) == "RoundBackward1"
    b = np.array([1.0, np.nan, np.inf, -np.inf, -2.0])
    assert_like_torch(lambda M, x: M.nan_to_num(x), [b])
    assert_like_torch(lambda M, x: x.nan_to_num(nan=1.0, posinf=2.0), [b])
    gradcheck(lambda M, x: M.nan_to_num(x, nan=0.5), [a])
    assert inplace_matches("nan_to_num", b) == "NanToNumBackward0"


def test_positive_and_aliases():
    x = leaf(sample("x", (2, 3)))
    assert pe.positive(x) is x
    y = pe.arcsin(x * 0.2)
    assert grad_fn_name(y) == "AsinBackward0"
    assert grad_fn_name(pe.absolute(x)) == "AbsBackward0"
    assert grad_fn_name(pe.arctanh(x * 0.1)) == "AtanhBackward0"


def test_grad_dtype_float32():
    x = pe.tensor([0.5, 1.0, 2.0], requires_grad=True)
    pe.exp(x).sum().backward()
    assert x.grad.dtype == pe.float32
    np.testing.assert_allclose(np.asarray(x.grad.tolist()), np.exp([0.5, 1.0, 2.0]), rtol=1e-6)


def test_no_grad_records_nothing():
    x = leaf(sample("x", (2, 2)))
    with pe.no_grad():
        y = pe.sin(x)
    assert y.grad_fn is None and not y.requires_grad
    z = pe.sin(x.detach())
    assert z.grad_fn is None


def test_out_refuses_grad():
    x = leaf(sample("x", (2, 2)))
    out = pe.empty(2, 2, dtype=pe.float64)
    with pytest.raises(RuntimeError, match="out=... arguments don't support automatic differentiation"):
        pe.exp(x, out=out)
    with pe.no_grad():
        pe.exp(x, out=out)
    np.testing.assert_allclose(np.asarray(out.tolist()), np.exp(np.asarray(x.tolist())))


def test_integer_inputs_not_differentiable():
    x = pe.tensor([1, 2, 3])
    assert not pe.sqrt(x).requires_grad
    assert math.isclose(pe.sqrt(x)[1].item(), math.sqrt(2), rel_tol=1e-6)


def test_double_backward_through_tanh():
    """create_graph: the second derivative of tanh is -2 tanh (1 - tanh^2)."""
    a = np.array([0.3, -0.7, 1.1])
    x = leaf(a)
    (g,) = pe.autograd.grad(pe.tanh(x).sum(), [x], create_graph=True)
    g.sum().backward()
    t = np.tanh(a)
    np.testing.assert_allclose(np.asarray(x.grad.tolist()), -2 * t * (1 - t * t), rtol=1e-12)


def test_inplace_chain_like_torch():
    torch = pytest.importorskip("torch")
    res = []
    for M in (pe, torch):
        x = M.tensor([0.3, -0.5, 1.2], dtype=M.float64, requires_grad=True)
        y = x * 2
        y.sin_().clamp_(0.1, 0.8).pow_(3).sqrt_()
        y.sum().backward()
        res.append((type(y.grad_fn).__name__, np.asarray(x.grad.tolist())))
    assert res[0][0] == res[1][0]
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-12)


def test_saved_output_modified_in_place_raises():
    """exp/tanh save their output: modifying it in place makes backward raise, as PyTorch."""
    x = leaf(np.array([0.5, 2.0]))
    y = x.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    z = x * 1
    z.tanh_().pow_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_inplace_under_no_grad_on_leaf():
    w = leaf(np.array([0.5, 2.0, -1.0]))
    with pe.no_grad():
        w.clamp_(0, 1).mul_(2).sqrt_()
    assert w.requires_grad and w.grad_fn is None
    np.testing.assert_allclose(np.asarray(w.tolist()), [1.0, np.sqrt(2), 0.0])
