"""masked_select / masked_fill / nonzero / argwhere / where(cond) / equal / isclose / allclose
against numpy, with broadcasting, strided inputs, 0-d and empty tensors, and PyTorch's errors."""
import numpy as np
import pytest

import pyengine as pe
from pe_testing import DTYPE_NAMES, LAYOUT_NAMES, assert_raises_like_torch, assert_same, make_layout, require_torch

RNG = np.random.default_rng(11)


def mask_like(shape, layout="contiguous"):
    """A bool mask (pe, numpy) of `shape`, built from numpy (comparisons are another library's)."""
    if layout == "transposed" and len(shape) == 2:
        m = RNG.random(shape[::-1]) < 0.5
        return pe.tensor(m).t(), m.T
    m = RNG.random(shape) < 0.5
    return pe.tensor(m), m


# ---------------------------------------------------------------------------------------------
# masked_select
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUT_NAMES)
@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_masked_select(layout, name):
    t, ref = make_layout(layout, name)
    for mlayout in ("contiguous", "transposed"):
        m, mr = mask_like(ref.shape, mlayout)
        assert_same(pe.masked_select(t, m), ref[mr], dtype=name)
        assert_same(t.masked_select(m), ref[mr])


def test_masked_select_broadcasts_both_ways():
    t, ref = make_layout("contiguous")  # (3, 4)
    m, mr = mask_like((4,))
    assert_same(pe.masked_select(t, m), np.broadcast_to(ref, (3, 4))[np.broadcast_to(mr, (3, 4))])
    m, mr = mask_like((2, 3, 4))
    b = np.broadcast_to(ref, (2, 3, 4))
    assert_same(pe.masked_select(t, m), b[mr])
    assert_same(pe.masked_select(pe.arange(3), pe.ones(2, 3, dtype=pe.bool)), [0, 1, 2, 0, 1, 2])
    assert_same(pe.masked_select(pe.tensor(1.0), pe.tensor([True, False, True])), [1.0, 1.0])
    o = pe.empty(0)
    assert pe.masked_select(t, m, out=o) is o and o.shape == (int(mr.sum()),)


def test_masked_select_large():
    a = RNG.standard_normal((300, 400))
    m = RNG.random((300, 400)) < 0.3
    assert_same(pe.masked_select(pe.tensor(a).t(), pe.tensor(m).t()), a.T[m.T])


def test_masked_select_errors():
    assert_raises_like_torch(RuntimeError, lambda m: m.masked_select(m.zeros(2, 3), m.ones(3, dtype=m.uint8)))
    assert_raises_like_torch(RuntimeError, lambda m: m.masked_select(m.zeros(2, 3), m.ones(2, dtype=m.bool)))
    assert_raises_like_torch(TypeError, lambda m: m.masked_select(m.zeros(2, 3), None))


# ---------------------------------------------------------------------------------------------
# masked_fill
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUT_NAMES)
@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_masked_fill(layout, name):
    t, ref = make_layout(layout, name)
    m, mr = mask_like(ref.shape, "transposed")
    value = True if name == "bool" else 5
    want = np.where(mr, np.array(value).astype(ref.dtype), ref)
    assert_same(pe.masked_fill(t, m, value), want, dtype=name)
    assert_same(t.masked_fill(m, pe.tensor(value)), want, dtype=name)
    if layout not in ("expanded",):
        u = t.clone()
        v = u._version
        assert u.masked_fill_(m, value) is u and u._version > v
        assert_same(u, want)


def test_masked_fill_broadcast_and_value_kinds():
    x = pe.zeros(3)
    r = x.masked_fill(pe.tensor([[True], [False]]), 1.0)  # the result takes the broadcast shape
    assert r.tolist() == [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]
    assert pe.zeros(3, 2).masked_fill(pe.tensor(True), 1).tolist() == [[1, 1]] * 3
    assert pe.masked_fill(pe.zeros(2, 3), mask=pe.tensor([True, False, True]), value=9).tolist() == [[9, 0, 9]] * 2
    assert np.isnan(pe.zeros(3).masked_fill(pe.ones(3, dtype=pe.bool), float("nan")).numpy()).all()
    assert pe.zeros(3, dtype=pe.int64).masked_fill(pe.ones(3, dtype=pe.bool), 9.5).tolist() == [9, 9, 9]
    assert pe.zeros(3, dtype=pe.uint8).masked_fill(pe.ones(3, dtype=pe.bool), -1).tolist() == [255] * 3
    assert pe.zeros(3, dtype=pe.int8).masked_fill(pe.ones(3, dtype=pe.bool), pe.tensor(2.5)).tolist() == [2] * 3
    assert pe.zeros(3, dtype=pe.bool).masked_fill(pe.ones(3, dtype=pe.bool), 2).tolist() == [True] * 3
    e = pe.zeros(3).expand(2, 3)  # PyTorch allows masked_fill_ on an expanded tensor
    e.masked_fill_(pe.tensor([True, False, True]), 1.0)
    assert e.tolist() == [[1.0, 0.0, 1.0]] * 2
    assert tuple(pe.zeros(0, 3).masked_fill(pe.ones(3, dtype=pe.bool), 1).shape) == (0, 3)


def test_masked_fill_errors():
    b = lambda m: m.ones(3, dtype=m.bool)  # noqa: E731
    assert_raises_like_torch(RuntimeError, lambda m: m.zeros(3).masked_fill(b(m).to(m.uint8), 1))
    assert_raises_like_torch(RuntimeError, lambda m: m.zeros(3).masked_fill(b(m), m.tensor([1.0])))
    assert_raises_like_torch(RuntimeError, lambda m: m.zeros(3).masked_fill_(m.tensor([[True], [False]]), 1.0))
    assert_raises_like_torch(RuntimeError, lambda m: m.zeros(3, dtype=m.int8).masked_fill(b(m), 300))
    assert_raises_like_torch(RuntimeError, lambda m: m.zeros(3, dtype=m.int8).masked_fill(b(m), 127.5))
    assert_raises_like_torch(RuntimeError, lambda m: m.zeros(3, dtype=m.uint8).masked_fill(b(m), -256))
    assert_raises_like_torch(RuntimeError, lambda m: m.zeros(3, dtype=m.uint8).masked_fill(b(m), -1.0))
    assert_raises_like_torch(RuntimeError, lambda m: m.zeros(3, dtype=m.int32).masked_fill(b(m), float("nan")))
    assert_raises_like_torch(RuntimeError, lambda m: m.zeros(3, dtype=m.float16).masked_fill(b(m), 1e6))
    assert_raises_like_torch(RuntimeError, lambda m: m.zeros(3).masked_fill(b(m), 1e300))
    assert_raises_like_torch(RuntimeError, lambda m: m.zeros(3).masked_fill(b(m), m.tensor(1e300, dtype=m.float64)))
    assert_raises_like_torch(TypeError, lambda m: m.zeros(3).masked_fill(b(m), "x"))
    assert pe.zeros(3).masked_fill(pe.ones(3, dtype=pe.bool), float("inf")).tolist() == [float("inf")] * 3


# ---------------------------------------------------------------------------------------------
# nonzero / argwhere / where(condition)
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUT_NAMES)
@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_nonzero(layout, name):
    t, ref = make_layout(layout, name)
    if ref.ndim == 0:
        assert tuple(pe.nonzero(t).shape) == ((1, 0) if ref != 0 else (0, 0))
        assert_same(pe.nonzero(t, as_tuple=True)[0], np.nonzero(np.atleast_1d(ref))[0])
        return
    assert_same(pe.nonzero(t), np.argwhere(ref), dtype="int64")
    assert_same(t.nonzero(), np.argwhere(ref))
    assert_same(pe.argwhere(t), np.argwhere(ref))
    tup = pe.nonzero(t, as_tuple=True)
    assert isinstance(tup, tuple) and len(tup) == ref.ndim
    for got, want in zip(tup, np.nonzero(ref)):
        assert_same(got, want, dtype="int64")
    for got, want in zip(pe.where(t), np.nonzero(ref)):
        assert_same(got, want)
    for got, want in zip(t.nonzero(as_tuple=True), np.nonzero(ref)):
        assert_same(got, want)


def test_nonzero_special_values_and_out():
    t = pe.tensor([0.0, -0.0, float("nan"), 1.0])
    assert pe.nonzero(t).tolist() == [[2], [3]]
    assert tuple(pe.nonzero(pe.tensor(float("nan"))).shape) == (1, 0)
    assert pe.where(pe.tensor(0.0))[0].tolist() == []
    assert pe.where(pe.tensor(1.0))[0].tolist() == [0]
    o = pe.empty(0, dtype=pe.int64)
    assert pe.nonzero(pe.tensor([[1, 0], [0, 1]]), out=o) is o and o.tolist() == [[0, 0], [1, 1]]
    assert_raises_like_torch(RuntimeError, lambda m: m.nonzero(m.ones(2), out=m.empty(0)))
    assert tuple(pe.nonzero(pe.zeros(2, 0)).shape) == (0, 2)
    assert [tuple(x.shape) for x in pe.nonzero(pe.zeros(2, 0), as_tuple=True)] == [(0,), (0,)]


# ---------------------------------------------------------------------------------------------
# equal / isclose / allclose
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUT_NAMES)
@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_equal(layout, name):
    t, ref = make_layout(layout, name)
    assert pe.equal(t, t.clone()) and t.equal(t.contiguous())
    assert pe.equal(t, pe.tensor(np.array(ref, copy=True)).to(t.dtype))
    if ref.size:
        changed = np.array(ref, copy=True).reshape(-1)
        changed[-1] = (not changed[-1]) if name == "bool" else changed[-1] + 1
        assert not pe.equal(t, pe.tensor(changed.reshape(ref.shape)).to(t.dtype))


def test_equal_rules():
    x = pe.arange(6.0).view(2, 3)
    assert pe.equal(x, x.double()) and pe.equal(x, x.long())  # by value across dtypes
    assert not pe.equal(x, x[:1])
    assert not pe.equal(pe.ones(1, 3), pe.ones(3))  # no broadcasting
    assert not pe.equal(pe.tensor(float("nan")), pe.tensor(float("nan")))
    assert pe.equal(pe.zeros(0), pe.zeros(0, dtype=pe.int64))
    assert isinstance(pe.equal(x, x), bool)
    big = pe.zeros(100000)
    other = big.clone()
    other[99999] = 1.0
    assert pe.equal(big, big.clone()) and not pe.equal(big, other)
    assert_raises_like_torch(TypeError, lambda m: m.equal(m.zeros(2), 1))


def np_isclose(a, b, rtol, atol, equal_nan):
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.isclose(a64, b64, rtol=rtol, atol=atol, equal_nan=equal_nan)


@pytest.mark.parametrize("name", ["float16", "float32", "float64", "int32", "int64", "uint8", "bool"])
def test_isclose_allclose(name):
    if name in ("float16", "float32", "float64"):
        a = np.array([1.0, 1.0, np.nan, np.inf, -np.inf, np.inf, 0.0, 1e-9, 100.0, 3.0])
        b = np.array([1.0 + 1e-6, 1.1, np.nan, np.inf, np.inf, 6e4, 1e-9, 0.0, 100.001, np.nan])
        dt = getattr(np, name)
    elif name == "bool":
        a, b, dt = np.array([True, False, True]), np.array([True, True, False]), np.bool_
    else:
        a, b, dt = np.array([1, 2, 250, 0, 100]), np.array([1, 3, 255, 255, 110]), getattr(np, name)
    a, b = a.astype(dt), b.astype(dt)
    ta, tb = pe.tensor(a), pe.tensor(b)
    for rtol, atol in ((1e-5, 1e-8), (0.0, 0.0), (0.1, 1.0), (0.0, 3.0)):
        for en in (False, True):
            want = np_isclose(a, b, rtol, atol, en)
            assert_same(pe.isclose(ta, tb, rtol, atol, en), want, dtype="bool")
            assert_same(ta.isclose(tb, rtol=rtol, atol=atol, equal_nan=en), want)
            assert pe.allclose(ta, tb, rtol, atol, en) == bool(want.all())
            assert ta.allclose(ta, rtol=rtol, atol=atol, equal_nan=True)


def test_isclose_broadcast_strided_and_torch():
    torch = require_torch()
    a = RNG.standard_normal((4, 5)).astype(np.float32)
    b = (a + RNG.standard_normal((4, 5)).astype(np.float32) * 1e-5)[:1]
    got = pe.isclose(pe.tensor(a).t(), pe.tensor(b).t())
    want = torch.isclose(torch.tensor(a).t(), torch.tensor(b).t()).numpy()
    assert_same(got, want)
    h = np.array([1.0, 1.001, 2.0, 1000.0], dtype=np.float16)
    h2 = np.array([1.001, 1.0, 2.002, 1001.0], dtype=np.float16)
    for rtol, atol in ((1e-3, 0.0), (0.0, 1e-3), (1e-5, 1e-8)):
        assert_same(pe.isclose(pe.tensor(h), pe.tensor(h2), rtol, atol),
                    torch.isclose(torch.tensor(h), torch.tensor(h2), rtol, atol).numpy())
    assert pe.isclose(pe.tensor(1.0), pe.tensor(1.0)).dim() == 0
    assert pe.allclose(pe.zeros(0), pe.zeros(0))


def test_isclose_errors():
    assert_raises_like_torch(RuntimeError, lambda m: m.isclose(m.zeros(3), m.zeros(3).double()))
    assert_raises_like_torch(RuntimeError, lambda m: m.allclose(m.zeros(3), m.zeros(3).double()))
    assert_raises_like_torch(RuntimeError, lambda m: m.isclose(m.zeros(3), m.zeros(3), rtol=-1))
    assert_raises_like_torch(RuntimeError, lambda m: m.isclose(m.zeros(3), m.zeros(3), atol=-1))
    assert_raises_like_torch(RuntimeError, lambda m: m.allclose(m.zeros(3), m.zeros(4)))
    assert_raises_like_torch(TypeError, lambda m: m.isclose(m.zeros(3), 1.0))
