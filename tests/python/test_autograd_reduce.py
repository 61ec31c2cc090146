"""Autograd of prod and the selecting reductions (csrc/autograd/functions/reduce_extremes.cpp): prod
with and without zeros, max/min/median without dim (evenly over ties, as PyTorch), amax/amin (evenly
over ties per slice), max/min/median/mode with dim (to the returned index); gradcheck in several
layouts, keepdim, 0-d and empty inputs, PyTorch's gradients at ties and its grad_fn names."""
import numpy as np
import pytest

import pyengine as pe
from autograd_elementwise_testing import (LAYOUTS, assert_like_torch, grad_fn_name, gradcheck, gradgradcheck, leaf,
                                          rand)

A = rand((3, 4), -2, 2)
DISTINCT = np.random.default_rng(5).permutation(12).reshape(3, 4) * 0.3 - 1.7  # no ties

REDUCTIONS = {
    "prod": lambda M, x: M.prod(x),
    "prod_dim": lambda M, x: x.prod(1),
    "prod_dim0_keepdim": lambda M, x: M.prod(x, 0, keepdim=True),
    "prod_dtype": lambda M, x: M.prod(x, 1, dtype=M.float64),
    "max": lambda M, x: M.max(x),
    "min": lambda M, x: x.min(),
    "max_dim": lambda M, x: M.max(x, 1),
    "min_dim_keepdim": lambda M, x: x.min(0, keepdim=True),
    "amax": lambda M, x: M.amax(x),
    "amax_dim": lambda M, x: x.amax(1),
    "amin_dims_keepdim": lambda M, x: M.amin(x, (0, 1), keepdim=True),
    "median": lambda M, x: M.median(x),
    "median_dim": lambda M, x: x.median(1),
    "median_dim_keepdim": lambda M, x: M.median(x, 0, True),
    "mode": lambda M, x: M.mode(x, 1),
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_gradcheck(name, layout):
    gradcheck(REDUCTIONS[name], [DISTINCT], layout)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_like_torch(name):
    assert_like_torch(REDUCTIONS[name], [DISTINCT])
    assert_like_torch(REDUCTIONS[name], [DISTINCT.T.copy()], layout="transposed")


ZERO_D = [lambda M, x: M.prod(x), lambda M, x: x.prod(0), lambda M, x: M.max(x), lambda M, x: x.max(0),
          lambda M, x: M.amax(x), lambda M, x: x.median(), lambda M, x: x.median(0), lambda M, x: x.mode(0),
          lambda M, x: x.amin(0, keepdim=True), lambda M, x: x.min(-1, True)]


@pytest.mark.parametrize("i", range(len(ZERO_D)))
def test_0d(i):
    gradcheck(ZERO_D[i], [np.array(1.3)])
    assert_like_torch(ZERO_D[i], [np.array(1.3)])


@pytest.mark.parametrize("name", ["prod", "prod_dim", "amax_dim", "max_dim", "median_dim"])
def test_gradgradcheck(name):
    gradgradcheck(REDUCTIONS[name], [DISTINCT[:2, :3]])


@pytest.mark.parametrize("zeros", [[], [(1, 2)], [(1, 2), (0, 0)], [(1, 2), (1, 3)], [(0, 0), (0, 1), (2, 3)]])
def test_prod_with_zeros_like_torch(zeros):
    a = A.copy()
    for i, j in zeros:
        a[i, j] = 0.0
    for fn in [lambda M, x: M.prod(x), lambda M, x: x.prod(1), lambda M, x: x.prod(0, keepdim=True),
               lambda M, x: x.prod(-1, True)]:
        assert_like_torch(fn, [a], rtol=1e-10, atol=1e-12)
    gradcheck(lambda M, x: x.prod(1), [a])


@pytest.mark.parametrize("zeros", [[(0, 1)], [(0, 1), (0, 2)], [(0, 0), (1, 2)], [(0, 0), (0, 1), (0, 2)]])
def test_prod_zeros_gradgradcheck(zeros):
    a = A[:2, :3].copy()
    for i, j in zeros:
        a[i, j] = 0.0
    gradgradcheck(lambda M, x: x.prod(1), [a])
    gradgradcheck(lambda M, x: x.prod(0, keepdim=True), [a])
    gradgradcheck(lambda M, x: x.prod(), [a])


def test_prod_empty():
    x = leaf(np.zeros((0, 3)))
    y = x.prod(0)
    y.sum().backward()
    assert tuple(x.grad.shape) == (0, 3)
    x = leaf(np.zeros((0, 3)))
    x.prod().backward()
    assert tuple(x.grad.shape) == (0, 3)


def test_ties_like_torch():
    """Full reductions and amax/amin spread evenly over ties; the dim forms pick the returned index."""
    a = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [-1.0, 3.0, -1.0, 0.5]])
    for name in sorted(REDUCTIONS):
        if name.startswith("prod"):
            continue
        assert_like_torch(REDUCTIONS[name], [a])
    assert_like_torch(lambda M, x: M.amax(x, 0), [a])
    assert_like_torch(lambda M, x: M.amin(x, -1, keepdim=True), [a])


def test_nan_like_torch():
    a = np.array([[1.0, np.nan, 3.0, np.nan], [2.0, 0.0, 5.0, 1.0]])
    for fn in [lambda M, x: M.max(x), lambda M, x: M.min(x), lambda M, x: M.median(x), lambda M, x: x.max(1),
               lambda M, x: x.amax(1)]:
        assert_like_torch(fn, [a])


def test_indices_not_differentiable():
    x = leaf(DISTINCT)
    v, i = pe.max(x, 1)
    assert v.requires_grad and not i.requires_grad and i.grad_fn is None
    assert grad_fn_name(v) == "MaxBackward0"
    r = x.max(dim=1)
    assert r.values.grad_fn is not None and r.indices.grad_fn is None


def test_names():
    torch = pytest.importorskip("torch")
    for name, fn in REDUCTIONS.items():
        assert grad_fn_name(fn(pe, leaf(DISTINCT))) == grad_fn_name(fn(torch, torch.tensor(DISTINCT,
                                                                                       requires_grad=True))), name


def test_max_other_and_out():
    x, y = leaf(A), leaf(DISTINCT)
    z = pe.max(x, y)
    assert grad_fn_name(z) == "MaximumBackward0"
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        pe.prod(x, 1, out=pe.empty(3, dtype=pe.float64))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        pe.max(x, 1, out=(pe.empty(3, dtype=pe.float64), pe.empty(3, dtype=pe.int64)))
