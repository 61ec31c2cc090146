"""Autograd of sort / topk / kthvalue / msort (values differentiable through the indices),
masked_fill (number and 0-d tensor value, in place), masked_select and scatter_reduce (sum, prod,
mean, amax, amin, include_self both ways, ties shared evenly): against PyTorch, with gradcheck."""
import numpy as np
import pytest

import pyengine as pe
from autograd_select_testing import check, grad_fn_name, leaf, randn, torch_mod

LAYOUTS = ["c", "t", "s"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_sort(layout):
    check(lambda m, a: m.sort(a).values, randn(3, 4), layouts=[layout], gradgrad=True)
    check(lambda m, a: a.sort(0, descending=True).values, randn(3, 4), layouts=[layout])
    check(lambda m, a: m.sort(a, dim=1, stable=True)[0], randn(3, 4), layouts=[layout])
    check(lambda m, a: m.msort(a), randn(3, 4), layouts=[layout])
    check(lambda m, a: a.msort(), randn(4), layouts=[layout])
    check(lambda m, a: m.sort(a).values, randn())
    check(lambda m, a: m.sort(a, 0).values, randn(0, 3))
    check(lambda m, a: m.sort(a.expand(3, 4), 0).values, randn(1, 4), gradcheck=False)  # ties: order-dependent


def test_sort_indices_not_differentiable():
    x = leaf(pe, randn(5))
    r = pe.sort(x)
    assert grad_fn_name(r.values) == "SortBackward0"
    assert r.indices.requires_grad is False and r.indices.grad_fn is None


@pytest.mark.parametrize("layout", LAYOUTS)
def test_topk(layout):
    check(lambda m, a: m.topk(a, 2).values, randn(3, 4), layouts=[layout], gradgrad=True)
    check(lambda m, a: a.topk(2, dim=0, largest=False).values, randn(3, 4), layouts=[layout])
    check(lambda m, a: a.topk(3, sorted=False).values.sort().values, randn(3, 5), layouts=[layout])
    check(lambda m, a: a.topk(0).values, randn(3, 4))
    check(lambda m, a: a.topk(1).values, randn())


@pytest.mark.parametrize("layout", LAYOUTS)
def test_kthvalue(layout):
    check(lambda m, a: m.kthvalue(a, 2).values, randn(3, 4), layouts=[layout], gradgrad=True)
    check(lambda m, a: a.kthvalue(3, 0, keepdim=True).values, randn(3, 4), layouts=[layout])
    check(lambda m, a: a.kthvalue(1, 0).values, randn(3, 4), layouts=[layout])
    check(lambda m, a: a.kthvalue(1).values, randn())


def test_sort_out_refuses_grad():
    x = leaf(pe, randn(4))
    with pytest.raises(RuntimeError, match="out="):
        pe.sort(x, out=(pe.empty(4, dtype=pe.float64), pe.empty(4, dtype=pe.int64)))
    with pe.no_grad():
        v, i = pe.sort(x, out=(pe.empty(4, dtype=pe.float64), pe.empty(4, dtype=pe.int64)))
    np.testing.assert_allclose(v.numpy(), np.sort(x.detach().numpy()))


MASK = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, False]])


@pytest.mark.parametrize("layout", LAYOUTS)
def test_masked_fill(layout):
    check(lambda m, a: m.masked_fill(a, m.tensor(MASK), 2.0), randn(3, 4), layouts=[layout], gradgrad=True)
    check(lambda m, a, v: a.masked_fill(m.tensor(MASK), v), randn(3, 4), randn(), layouts=[layout, "c"],
          gradgrad=True)
    check(lambda m, a: a.masked_fill(m.tensor(MASK[0]), -1.0), randn(3, 4), layouts=[layout])  # mask broadcasts
    check(lambda m, a: a.masked_fill(m.tensor(MASK), 0.5), randn(1, 4))  # self broadcasts to the mask
    check(lambda m, a: a.expand(3, 4).masked_fill(m.tensor(MASK), 0.5), randn(4))
    check(lambda m, a: a.masked_fill(m.tensor(True), 0.5), randn())
    check(lambda m, a: a.masked_fill(m.tensor(np.zeros((0, 4), bool)), 0.5), randn(0, 4))


def test_masked_fill_inplace():
    def fn(m, a, v):
        y = a * 1
        y.masked_fill_(m.tensor(MASK), v)
        y.masked_fill_(m.tensor(MASK[::-1].copy()), 3.0)
        return y
    check(fn, randn(3, 4), randn(), gradgrad=True)
    x = leaf(pe, randn(3, 4))
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.masked_fill_(pe.tensor(MASK), 1.0)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_masked_select(layout):
    check(lambda m, a: m.masked_select(a, m.tensor(MASK)), randn(3, 4), layouts=[layout], gradgrad=True)
    check(lambda m, a: a.masked_select(m.tensor(MASK[1])), randn(3, 4), layouts=[layout])
    check(lambda m, a: a.masked_select(m.tensor(MASK)), randn(4))  # self broadcasts
    check(lambda m, a: a.masked_select(m.tensor(True)), randn())
    check(lambda m, a: a.masked_select(m.tensor(np.zeros((3, 4), bool))), randn(3, 4))


IDX = np.array([[0, 1, 2, 0], [2, 2, 1, 0]])


@pytest.mark.parametrize("reduce", ["sum", "mean", "prod", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(reduce, include_self):
    check(lambda m, a, s: m.scatter_reduce(a, 0, m.tensor(IDX), s, reduce, include_self=include_self),
          randn(3, 4), randn(2, 4), gradgrad=reduce in ("sum", "mean"))
    idx1 = np.array([[3, 0], [1, 1], [0, 2]])
    check(lambda m, a, s: a.scatter_reduce(1, m.tensor(idx1), s, reduce, include_self=include_self),
          randn(3, 4), randn(3, 2), layouts=["t", "s"])

    def inplace(m, a, s):
        y = a * 1
        y.scatter_reduce_(0, m.tensor(IDX), s, reduce, include_self=include_self)
        return y
    check(inplace, randn(3, 4), randn(2, 4))


def test_scatter_reduce_ties_and_zeros():
    # amax ties between self and src share the gradient evenly (PyTorch's rule).
    a = np.array([[1.0, 2.0], [0.0, 0.0]])
    s = np.array([[1.0, 5.0], [1.0, 2.0]])
    idx = np.array([[0, 0], [0, 0]])
    check(lambda m, x, y: x.scatter_reduce(0, m.tensor(idx), y, "amax"), a, s, gradcheck=False)
    check(lambda m, x, y: x.scatter_reduce(0, m.tensor(idx), y, "amin", include_self=False), a, s, gradcheck=False)
    # prod with one zero among the contributions, and with a zero in self.
    a = np.array([[0.0, 2.0], [3.0, 0.5]])
    s = np.array([[1.5, 0.0], [2.0, 3.0]])
    check(lambda m, x, y: x.scatter_reduce(0, m.tensor(idx), y, "prod"), a, s)
    check(lambda m, x, y: x.scatter_reduce(0, m.tensor(idx), y, "prod", include_self=False), a, s)


def test_scatter_reduce_names():
    torch_mod()
    x, s = leaf(pe, randn(3, 4)), leaf(pe, randn(2, 4))
    assert grad_fn_name(x.scatter_reduce(0, pe.tensor(IDX), s, "sum")) == "ScatterReduceBackward0"
    assert grad_fn_name(x.masked_fill(pe.tensor(MASK), 1.0)) == "MaskedFillBackward0"
    assert grad_fn_name(x.masked_fill(pe.tensor(MASK), pe.tensor(1.0))) == "MaskedFillBackward1"
    assert grad_fn_name(x.topk(1).values) == "TopkBackward0"
    assert grad_fn_name(x.kthvalue(1).values) == "KthvalueBackward0"
