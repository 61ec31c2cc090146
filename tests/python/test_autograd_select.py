"""Autograd of the copying shape ops: cat/stack (and hstack/vstack/column_stack/dstack through
them), repeat, flip, roll, tril/triu (+ in place), diag, trace, diag_embed, narrow_copy,
repeat_interleave: values, grad_fn names and gradients against PyTorch, gradcheck/gradgradcheck on
contiguous, permuted, step-sliced, broadcast, 0-d and empty inputs."""
import numpy as np
import pytest

import pyengine as pe
from autograd_select_testing import check, grad_fn_name, leaf, randn, torch_mod

LAYOUTS = ["c", "t", "s"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_cat(layout):
    check(lambda m, a, b: m.cat([a, b], 1), randn(2, 3), randn(2, 4), layouts=[layout, "c"], gradgrad=True)
    check(lambda m, a, b: m.cat([a, b, a], -1), randn(2, 3), randn(2, 1), layouts=[layout, layout])
    check(lambda m, a, b: m.cat([a, b]), randn(1, 3), randn(2, 3), layouts=[layout, layout])


def test_cat_broadcast_and_empty():
    check(lambda m, a, b: m.cat([a.expand(3, 2), b], 0), randn(1, 2), randn(2, 2))
    # 1-d empty tensors are skipped by cat (legacy rule); their gradient is empty.
    check(lambda m, a, b: m.cat([a, b], 1), randn(0), randn(2, 3), gradcheck=False)
    check(lambda m, a, b: m.cat([a, b], 0), randn(0, 3), randn(2, 3))


def test_cat_mixed_dtype_and_no_grad_inputs():
    torch = torch_mod()
    for mod in (pe, torch):
        a = mod.tensor([[1.0, 2.0]], dtype=mod.float32).requires_grad_()
        b = mod.tensor([[3.0, 4.0]], dtype=mod.float64)
        c = mod.tensor([[5, 6]])
        r = mod.cat([a, b, c])
        assert r.dtype == mod.float64
        (r * mod.arange(6.0, dtype=mod.float64).reshape(3, 2)).sum().backward()
        assert a.grad.dtype == mod.float32
        np.testing.assert_array_equal(a.grad.numpy(), [[0.0, 1.0]])


def test_cat_composites():
    check(lambda m, a, b: m.hstack([a, b]), randn(3), randn(2))
    check(lambda m, a, b: m.hstack([a, b]), randn(2, 3), randn(2, 2), layouts=["t", "c"])
    check(lambda m, a, b: m.vstack([a, b]), randn(3), randn(2, 3))
    check(lambda m, a, b: m.column_stack([a, b]), randn(3), randn(3, 2))
    check(lambda m, a, b: m.dstack([a, b]), randn(2, 3), randn(2, 3))
    check(lambda m, a, b: m.concat([a, b], dim=0), randn(2), randn(3))


def test_cat_out_refuses_grad():
    x = leaf(pe, randn(2))
    with pytest.raises(RuntimeError, match="out="):
        pe.cat([x, x], out=pe.empty(4, dtype=pe.float64))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_stack(layout):
    check(lambda m, a, b: m.stack([a, b]), randn(2, 3), randn(2, 3), layouts=[layout, "c"], gradgrad=True)
    check(lambda m, a, b: m.stack([a, b], -1), randn(2, 3), randn(2, 3), layouts=[layout, layout])
    check(lambda m, a, b: m.stack([a, b], -1), randn(), randn())
    check(lambda m, a, b: m.stack([a.expand(2, 3), b], 1), randn(1, 3), randn(2, 3))
    check(lambda m, a: m.stack([a, a]), randn(0, 2))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_repeat(layout):
    check(lambda m, a: a.repeat(2, 3), randn(2, 3), layouts=[layout], gradgrad=True)
    check(lambda m, a: a.repeat(2, 1, 3), randn(2, 3), layouts=[layout])
    check(lambda m, a: a.repeat(1, 1), randn(2, 3), layouts=[layout])
    check(lambda m, a: a.repeat(2, 0), randn(2, 3), layouts=[layout])
    check(lambda m, a: a.repeat(3, 2), randn(), gradgrad=True)
    check(lambda m, a: a.repeat(2, 2), randn(0, 3))
    check(lambda m, a: a.expand(2, 3).repeat(2, 1), randn(1, 3))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_flip_roll(layout):
    check(lambda m, a: m.flip(a, (0,)), randn(3, 4), layouts=[layout], gradgrad=True)
    check(lambda m, a: a.flip(0, 1), randn(3, 4), layouts=[layout])
    check(lambda m, a: m.fliplr(a), randn(3, 4), layouts=[layout])
    check(lambda m, a: m.flipud(a), randn(3, 4), layouts=[layout])
    check(lambda m, a: m.roll(a, 1, 0), randn(3, 4), layouts=[layout], gradgrad=True)
    check(lambda m, a: a.roll((2, -1), (1, 0)), randn(3, 4), layouts=[layout])
    check(lambda m, a: m.roll(a, 5), randn(3, 4), layouts=[layout])
    check(lambda m, a: m.flip(a, (0,)), randn())
    check(lambda m, a: m.roll(a.expand(3, 4), 1, 0), randn(1, 4))
    check(lambda m, a: m.roll(a, 1, 0), randn(0, 4))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("k", [-1, 0, 2])
def test_tril_triu(layout, k):
    check(lambda m, a: m.tril(a, k), randn(3, 4), layouts=[layout], gradgrad=k == 0)
    check(lambda m, a: a.triu(k), randn(2, 3, 4), layouts=[layout])
    check(lambda m, a: m.triu(a.expand(2, 3), k), randn(1, 3))


@pytest.mark.parametrize("op", ["tril_", "triu_"])
def test_tril_triu_inplace(op):
    def fn(m, a):
        y = a * 1
        getattr(y, op)(1)
        return y
    check(fn, randn(3, 4))
    leaf_x = leaf(pe, randn(3, 3))
    with pytest.raises(RuntimeError, match="leaf Variable"):
        getattr(leaf_x, op)()


def test_diag_trace_diag_embed():
    check(lambda m, a: m.diag(a), randn(4), gradgrad=True)
    check(lambda m, a: m.diag(a, 1), randn(3))
    check(lambda m, a: a.diag(-2), randn(3, 4), layouts=["t"], gradgrad=True)
    check(lambda m, a: m.diag(a, 1), randn(3, 4), layouts=["s"])
    check(lambda m, a: m.trace(a), randn(3, 4), gradgrad=True)
    check(lambda m, a: a.trace(), randn(4, 3), layouts=["t"])
    check(lambda m, a: m.trace(a.expand(3, 3)), randn(1, 3))
    check(lambda m, a: m.diag_embed(a), randn(2, 3), gradgrad=True)
    check(lambda m, a: m.diag_embed(a, 1, 0, 2), randn(2, 3), layouts=["t"])
    check(lambda m, a: a.diag_embed(-1, -1, -3), randn(2, 3), layouts=["s"])


def test_narrow_copy():
    check(lambda m, a: m.narrow_copy(a, 1, 1, 2), randn(3, 4), gradgrad=True)
    check(lambda m, a: a.narrow_copy(-1, -3, 2), randn(3, 4), layouts=["t"])
    check(lambda m, a: a.narrow_copy(0, 0, 0), randn(3, 4))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_repeat_interleave(layout):
    check(lambda m, a: m.repeat_interleave(a, 2), randn(2, 3), layouts=[layout], gradgrad=True)
    check(lambda m, a: a.repeat_interleave(3, dim=1), randn(2, 3), layouts=[layout])
    check(lambda m, a: a.repeat_interleave(2, dim=0), randn(2, 3), layouts=[layout])
    rep = np.array([1, 0, 2])
    check(lambda m, a: a.repeat_interleave(m.tensor(rep), dim=1), randn(2, 3), layouts=[layout])
    check(lambda m, a: a.repeat_interleave(m.tensor(2)), randn(2, 3), layouts=[layout], name=None)
    check(lambda m, a: m.repeat_interleave(a, 2), randn())


def test_no_grad_and_integer_inputs_record_nothing():
    x = leaf(pe, randn(2, 3))
    with pe.no_grad():
        assert pe.cat([x, x]).grad_fn is None
        assert x.flip(0).requires_grad is False
    i = pe.tensor([[1, 2], [3, 4]])
    assert pe.cat([i, i]).grad_fn is None
    assert grad_fn_name(pe.stack([x, x])) == "StackBackward0"
