"""where, clamp / clip / clamp_min / clamp_max and lerp against numpy: numbers or tensors as the
other operands, promotion over all operands, broadcasting, layouts, NaN handling, in-place and
out= forms, and PyTorch's errors."""
import numpy as np
import pytest

import pyengine as pe
from pe_testing import (DTYPE_NAMES, FLOAT_NAMES, LAYOUT_NAMES, assert_raises_like_torch, assert_same,
                        make, make_layout, to_np)


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_where_tensors(name):
    x, xr = make((3, 4), name)
    y, yr = make((4,), name)
    cond = pe.tensor(np.arange(12).reshape(3, 4) % 3 == 0)
    want = np.where(to_np(cond), xr, yr)
    assert_same(pe.where(cond, x, y), want, dtype=name)
    assert_same(x.where(cond, y), want, dtype=name)
    o = pe.empty(0, dtype=x.dtype)
    assert pe.where(cond, x, y, out=o) is o
    assert_same(o, want)


@pytest.mark.parametrize("a,b,out", [(1.5, 2, "float32"), (1, 2, "int64"), (True, False, "bool"), (True, 2, "int64")])
def test_where_numbers(a, b, out):
    cond = pe.tensor([True, False, True])
    assert_same(pe.where(cond, a, b), np.where(to_np(cond), a, b).astype(out), dtype=out)


def test_where_promotion_and_broadcast():
    cond = pe.tensor([[True], [False]])
    r = pe.where(cond, pe.tensor([1, 2, 3], dtype=pe.int32), 2.5)
    assert_same(r, np.array([[1, 2, 3], [2.5, 2.5, 2.5]]), dtype="float32")
    r = pe.where(cond, pe.tensor(1.0, dtype=pe.float64), 2)  # 0-d tensor outranks the number
    assert r.dtype is pe.float64 and tuple(r.shape) == (2, 1)
    r = pe.where(pe.tensor([True, False]), pe.tensor([1, 2], dtype=pe.uint8), pe.tensor([3, 4], dtype=pe.int8))
    assert_same(r, np.array([1, 4]), dtype="int16")
    assert pe.where(pe.zeros(0, dtype=pe.bool), 1.0, 2.0).shape == (0,)


@pytest.mark.parametrize("layout", LAYOUT_NAMES)
def test_where_layouts(layout):
    x, xr = make_layout(layout, "float32")
    cond = x > 0
    assert_same(pe.where(cond, x, -x), np.where(xr > 0, xr, -xr))
    assert_same(pe.where(cond, x, 0.0), np.where(xr > 0, xr, 0.0).astype(np.float32))


def test_where_single_argument_is_nonzero():
    x = pe.tensor([[0, 1], [2, 0]])
    rows, cols = pe.where(x != 0)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]


def test_where_errors():
    assert_raises_like_torch(RuntimeError, lambda m: m.where(m.tensor([1, 0]), 1.0, 2.0))
    assert_raises_like_torch(RuntimeError, lambda m: m.where(m.tensor([True, False]), m.ones(3), 2.0))
    with pytest.warns(UserWarning):  # uint8 condition: deprecated but accepted
        r = pe.where(pe.tensor([1, 0], dtype=pe.uint8), 1.0, 2.0)
    assert r.tolist() == [1.0, 2.0]


CLAMP_CASES = [  # (dtype, min, max)
    ("float32", 1.0, 3.0), ("float32", 3, None), ("float32", None, 0.5), ("int64", 0, 2), ("int64", 2, 1),
    ("int32", -1, None), ("uint8", 2, 5), ("float16", -1.5, 2.5), ("bfloat16", 0.0, None), ("float64", -2, 2),
    ("int16", None, 0), ("int8", -3, 3),
]


@pytest.mark.parametrize("name,lo,hi", CLAMP_CASES)
def test_clamp_numbers(name, lo, hi):
    x, xr = make((3, 5), name)
    want = np.clip(xr.astype(np.float64), lo if lo is not None else -np.inf, hi if hi is not None else np.inf)
    if lo is not None and hi is not None and lo > hi:
        want = np.full_like(want, hi)
    want = want.astype(to_np(x).dtype)
    assert_same(pe.clamp(x, lo, hi), want, dtype=name)
    assert_same(x.clamp(min=lo, max=hi), want)
    assert_same(pe.clip(x, lo, hi), want)
    y = x.clone()
    assert y.clamp_(lo, hi) is y
    assert_same(y, want)
    if hi is None:
        assert_same(pe.clamp_min(x, lo), want)
        assert_same(x.clamp_min(lo), want)
    if lo is None:
        assert_same(pe.clamp_max(x, hi), want)


def test_clamp_promotes():
    i = pe.arange(-3, 4)
    assert_same(pe.clamp(i, min=0.5), np.clip(np.arange(-3, 4), 0.5, None), dtype="float32")
    assert pe.clamp(i, min=pe.tensor(1.5)).dtype is pe.float32
    assert pe.clamp(i.int(), min=pe.tensor(1)).dtype is pe.int32  # a 0-d tensor does not widen
    assert pe.clamp(i.int(), min=pe.tensor([1])).dtype is pe.int64
    assert_same(pe.clamp(pe.tensor([True, False]), 0, 1), np.array([1, 0]), dtype="int64")
    assert_raises_like_torch(RuntimeError, lambda m: m.arange(3).clamp_(min=0.5))


@pytest.mark.parametrize("layout", LAYOUT_NAMES)
def test_clamp_tensor_bounds(layout):
    x, xr = make_layout(layout, "float32")
    lo, lor = make((xr.shape[-1] if xr.ndim else 4,), "float32")
    hi = lo + 3
    want = np.minimum(np.maximum(xr, lor), lor + 3)
    assert_same(pe.clamp(x, lo, hi), want)
    assert_same(pe.clamp(x, min=lo), np.maximum(xr, lor))
    assert_same(pe.clamp(x, lo, 1.0), np.minimum(np.maximum(xr, lor), 1.0).astype(np.float32))


def test_clamp_nan():
    x = pe.tensor([float("nan"), 0.5, 2.0])
    assert_same(pe.clamp(x, 0, 1), np.array([np.nan, 0.5, 1.0]))
    assert_same(pe.clamp(x, min=float("nan")), np.full(3, np.nan))
    assert_same(pe.clamp(pe.ones(2), pe.tensor([float("nan"), 0.0]), pe.tensor(2.0)), np.array([np.nan, 1.0]))


def test_clamp_errors():
    assert_raises_like_torch(RuntimeError, lambda m: m.clamp(m.ones(2)))
    assert_raises_like_torch(RuntimeError, lambda m: m.clamp(m.ones(2, dtype=m.int8), 1000))
    assert_raises_like_torch(NotImplementedError, lambda m: m.clamp(m.ones(2, dtype=m.bool), min=False))
    assert_raises_like_torch(NotImplementedError, lambda m: m.clamp(m.ones(2, dtype=m.bool), m.ones(2, dtype=m.bool),
                                                                    m.ones(2, dtype=m.bool)))
    assert pe.clamp(pe.tensor([1, 2], dtype=pe.uint8), -255).tolist() == [1, 2]  # -255 wraps to 1, as PyTorch
    assert_raises_like_torch(RuntimeError, lambda m: m.clamp(m.ones(2), m.ones(3)))


@pytest.mark.parametrize("name", FLOAT_NAMES)
@pytest.mark.parametrize("weight", [0.25, 0.75, -0.5, 2.0, "tensor", "0d"])
def test_lerp(name, weight):
    a, ar = make((3, 4), name)
    b, br = make((4,), name)
    b = b * 2
    br = to_np(b).astype(np.float64)
    ar = ar.astype(np.float64)
    if weight == "tensor":
        w, wr = pe.linspace(-1, 2, 12).view(3, 4).to(a.dtype), None
        wr = to_np(w).astype(np.float64)
    elif weight == "0d":
        w, wr = pe.tensor(0.3, dtype=pe.float64), 0.3  # a 0-d weight may have another dtype
    else:
        w, wr = weight, weight
    want = np.where(np.abs(wr) < 0.5, ar + wr * (br - ar), br - (br - ar) * (1 - wr))
    tol = {"float16": 4e-3, "bfloat16": 3e-2}.get(name, 1e-6)
    assert_same(pe.lerp(a, b, w), want, dtype=name, rtol=tol, atol=tol)
    assert_same(a.lerp(b, w), want, rtol=tol, atol=tol)
    c = a.clone()
    assert c.lerp_(b, w) is c
    assert_same(c, want, rtol=tol, atol=tol)


def test_lerp_errors():
    assert_raises_like_torch(RuntimeError, lambda m: m.lerp(m.ones(2), m.ones(2, dtype=m.float64), 0.5))
    assert_raises_like_torch(RuntimeError, lambda m: m.lerp(m.ones(2), m.ones(2), m.ones(2, dtype=m.float64)))
    assert_raises_like_torch(NotImplementedError, lambda m: m.lerp(m.ones(2, dtype=m.int64), m.ones(2, dtype=m.int64), 0.5))
    assert_raises_like_torch(TypeError, lambda m: m.lerp(m.ones(2), 1.0, 0.5))
