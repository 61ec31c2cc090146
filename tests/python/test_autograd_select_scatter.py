"""Autograd of gather / scatter (src and value, out of place and in place) / scatter_add /
index_select / index_add / index_copy / index_fill / take / take_along_dim: values, grad_fn names and
gradients against PyTorch, gradcheck/gradgradcheck, non-contiguous, broadcast, 0-d and empty inputs,
repeated indices."""
import warnings

import numpy as np
import pytest

import pyengine as pe
from autograd_select_testing import check, grad_fn_name, leaf, randn

LAYOUTS = ["c", "t", "s"]
IDX = np.array([[0, 1, 2, 0], [2, 2, 1, 0]])        # (2, 4), values < 3, repeats along dim 0
IDX1 = np.array([[3, 0], [1, 1], [0, 2]])            # (3, 2), values < 4, for dim 1


def T(m, a):
    return m.tensor(np.asarray(a))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_gather(layout):
    check(lambda m, a: m.gather(a, 0, T(m, IDX)), randn(3, 4), layouts=[layout], gradgrad=True)
    check(lambda m, a: a.gather(1, T(m, IDX1)), randn(3, 4), layouts=[layout])
    check(lambda m, a: a.gather(1, T(m, IDX1[:2, :1])), randn(3, 4), layouts=[layout])  # index smaller
    check(lambda m, a: a.expand(3, 4).gather(1, T(m, IDX1)), randn(1, 4))
    check(lambda m, a: a.gather(0, T(m, np.array(0))), randn())
    check(lambda m, a: a.gather(0, T(m, np.zeros((0, 4), np.int64))), randn(3, 4))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_scatter_src(layout):
    idx = np.array([[0, 1, 2, 0], [1, 2, 0, 1]])  # no duplicates along dim 0 per column
    check(lambda m, a, s: m.scatter(a, 0, T(m, idx), s), randn(3, 4), randn(2, 4), layouts=[layout, layout],
          gradgrad=True)
    check(lambda m, a, s: a.scatter(1, T(m, IDX1[:, :1]), s), randn(3, 4), randn(3, 1), layouts=[layout, "c"])
    check(lambda m, a, s: a.scatter(0, T(m, np.array(0)), s), randn(), randn())


def test_scatter_src_larger_than_index():
    # scatter reads src only where index reaches; the rest of src gets a zero gradient.
    # (PyTorch raises "invalid gradient" for this case; the value here is the correct gradient.)
    a, s = leaf(pe, randn(3, 4)), leaf(pe, randn(3, 4))
    idx = pe.tensor([[0, 1], [2, 0]])
    (a.scatter(0, idx, s) * pe.arange(12.0, dtype=pe.float64).reshape(3, 4)).sum().backward()
    expect = np.zeros((3, 4))
    w = np.arange(12.0).reshape(3, 4)
    expect[:2, :2] = w[np.array([[0, 1], [2, 0]]), np.array([[0, 1], [0, 1]])]
    np.testing.assert_allclose(s.grad.numpy(), expect)
    assert pe.autograd.gradcheck(lambda x, y: x.scatter(0, idx, y), (leaf(pe, randn(3, 4)), leaf(pe, randn(3, 4))))


def test_scatter_value_and_reduce():
    check(lambda m, a: a.scatter(0, T(m, IDX), 2.5), randn(3, 4), gradgrad=True)
    check(lambda m, a: m.scatter(a, 1, T(m, IDX1), value=-1.0), randn(3, 4), layouts=["t"])
    x = leaf(pe, randn(3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the deprecation warning of reduce=
        y = x.scatter(0, pe.tensor(IDX), leaf(pe, randn(2, 4)), reduce="add")
    assert grad_fn_name(y) == "NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
        y.sum().backward()


@pytest.mark.parametrize("op", ["src", "value", "add"])
def test_scatter_inplace(op):
    idx = np.array([[0, 1, 2, 0], [1, 2, 0, 1]])

    def fn(m, a, s):
        y = a * 1
        if op == "src":
            y.scatter_(0, T(m, idx), s)
        elif op == "value":
            y.scatter_(0, T(m, idx), 3.0)
        else:
            y.scatter_add_(0, T(m, IDX), s)
        return y
    check(fn, randn(3, 4), randn(2, 4), gradgrad=True)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_scatter_add(layout):
    check(lambda m, a, s: m.scatter_add(a, 0, T(m, IDX), s), randn(3, 4), randn(2, 4), layouts=[layout, layout],
          gradgrad=True)
    check(lambda m, a, s: a.scatter_add(1, T(m, IDX1), s.expand(3, 2)), randn(3, 4), randn(1, 2))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_index_select(layout):
    idx = np.array([2, 0, 2])
    check(lambda m, a: m.index_select(a, 0, T(m, idx)), randn(3, 4), layouts=[layout], gradgrad=True)
    check(lambda m, a: a.index_select(1, T(m, idx)), randn(3, 4), layouts=[layout])
    check(lambda m, a: a.index_select(-1, T(m, np.array([], np.int64))), randn(3, 4), layouts=[layout])
    check(lambda m, a: a.index_select(0, T(m, np.array([0]))), randn())
    check(lambda m, a: a.expand(3, 4).index_select(0, T(m, idx)), randn(1, 4))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_index_add(layout):
    idx = np.array([2, 0, 2])
    check(lambda m, a, s: m.index_add(a, 0, T(m, idx), s), randn(3, 4), randn(3, 4), layouts=[layout, layout],
          gradgrad=True)
    check(lambda m, a, s: a.index_add(1, T(m, idx), s, alpha=-2.5), randn(3, 4), randn(3, 3), layouts=[layout, "t"])
    check(lambda m, a, s: a.index_add(0, T(m, np.array([0])), s), randn(), randn())

    def inplace(m, a, s):
        y = a * 1
        y.index_add_(0, T(m, idx), s, alpha=2)
        return y
    check(inplace, randn(3, 4), randn(3, 4), gradgrad=True)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_index_copy(layout):
    idx = np.array([2, 0])
    check(lambda m, a, s: m.index_copy(a, 0, T(m, idx), s), randn(3, 4), randn(2, 4), layouts=[layout, layout],
          gradgrad=True)
    check(lambda m, a, s: a.index_copy(1, T(m, np.array([3, 1])), s), randn(3, 4), randn(3, 2), layouts=[layout, "t"])

    def inplace(m, a, s):
        y = a * 1
        y.index_copy_(0, T(m, idx), s)
        return y
    check(inplace, randn(3, 4), randn(2, 4))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_index_fill(layout):
    idx = np.array([2, 0, 2])  # repeated index: the value counts each place once
    check(lambda m, a: m.index_fill(a, 0, T(m, idx), 1.5), randn(3, 4), layouts=[layout], gradgrad=True)
    check(lambda m, a, v: a.index_fill(1, T(m, idx), v), randn(3, 4), randn(), layouts=[layout, "c"], gradgrad=True)

    def inplace(m, a, v):
        y = a * 1
        y.index_fill_(1, T(m, idx), v)
        y.index_fill_(0, T(m, np.array([1])), -2.0)
        return y
    check(inplace, randn(3, 4), randn())


@pytest.mark.parametrize("layout", LAYOUTS)
def test_take(layout):
    idx = np.array([[0, 11, -1], [5, 5, 3]])
    check(lambda m, a: m.take(a, T(m, idx)), randn(3, 4), layouts=[layout], gradgrad=True)
    check(lambda m, a: a.take(T(m, np.array(0))), randn())
    check(lambda m, a: a.expand(3, 4).take(T(m, idx)), randn(1, 4))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_take_along_dim(layout):
    idx = np.array([[0, 2, 1, 0]])
    check(lambda m, a: m.take_along_dim(a, T(m, idx), 0), randn(3, 4), layouts=[layout], gradgrad=True)
    check(lambda m, a: a.take_along_dim(T(m, np.array([[1], [0], [3]])), dim=1), randn(3, 4), layouts=[layout])
    check(lambda m, a: m.take_along_dim(a, T(m, np.array([0, 11, 4]))), randn(3, 4), layouts=[layout])


def test_inplace_on_leaf_refused_and_out_refuses_grad():
    x = leaf(pe, randn(3, 4))
    idx = pe.tensor(IDX)
    for f in [lambda: x.scatter_(0, idx, 1.0), lambda: x.index_fill_(0, pe.tensor([0]), 1.0),
              lambda: x.index_add_(0, pe.tensor([0]), pe.ones(1, 4, dtype=pe.float64))]:
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            f()
    with pytest.raises(RuntimeError, match="out="):
        pe.gather(x, 0, idx, out=pe.empty(2, 4, dtype=pe.float64))
    with pytest.raises(RuntimeError, match="out="):
        pe.index_select(x, 0, pe.tensor([0]), out=pe.empty(1, 4, dtype=pe.float64))


def test_grad_flows_only_to_requiring_inputs():
    a = pe.tensor(randn(3, 4))
    s = leaf(pe, randn(2, 4))
    y = a.scatter_add(0, pe.tensor(IDX), s)
    assert grad_fn_name(y) == "ScatterAddBackward0"
    y.sum().backward()
    np.testing.assert_allclose(s.grad.numpy(), np.ones((2, 4)))
    assert a.grad is None
    b = pe.zeros(3, 4, dtype=pe.float64)
    b.index_copy_(0, pe.tensor([1]), s[:1])  # in place into a tensor without grad: it gains history
    assert b.requires_grad and grad_fn_name(b) == "IndexCopyBackward0"
