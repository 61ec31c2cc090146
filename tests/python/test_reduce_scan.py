"""Scans and sorting reductions: cumsum/cumprod (dtype promotion, dtype=, out=, in-place forms) and
median/mode (lower median, smallest most frequent value, indices), against numpy."""
import math

import numpy as np
import pytest

import pyengine as pe
from pe_testing import (DTYPE_NAMES, FLOAT_NAMES, LAYOUT_NAMES, assert_raises_like_torch, make_layout, pe_dtype,
                        to_np)

TOL = {"float16": 2e-3, "bfloat16": 2e-2, "float32": 1e-5, "float64": 1e-12}


def check(t, ref, dtype, tol=0.0):
    ref = np.asarray(ref)
    assert t.dtype is pe_dtype(dtype), (t.dtype, dtype)
    assert tuple(t.shape) == ref.shape, (tuple(t.shape), ref.shape)
    np.testing.assert_allclose(to_np(t).astype(np.float64), ref.astype(np.float64), rtol=tol, atol=tol,
                               equal_nan=True)


def scan_dims(t):
    return range(-max(t.dim(), 1), max(t.dim(), 1))


# ---------------------------------------------------------------------------------------------
# cumsum / cumprod
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUT_NAMES)
@pytest.mark.parametrize("dtype", DTYPE_NAMES)
def test_cumsum(layout, dtype):
    t, a = make_layout(layout, dtype)
    ref = a.astype(np.float64)
    out_dtype = dtype if dtype in FLOAT_NAMES else "int64"
    for d in scan_dims(t):
        r = ref if t.dim() == 0 else np.cumsum(ref, axis=d)
        check(t.cumsum(d), r, out_dtype, TOL.get(dtype, 0))
        check(pe.cumsum(t, dim=d), r, out_dtype, TOL.get(dtype, 0))


@pytest.mark.parametrize("layout", LAYOUT_NAMES)
@pytest.mark.parametrize("dtype", DTYPE_NAMES)
def test_cumprod(layout, dtype):
    _, a = make_layout(layout, dtype)
    # small products: values in {-1, 1, 2} ({0, 1} for bool, {1, 2} for uint8)
    f = a.astype(np.float64)
    ref = f if dtype == "bool" else np.where(f > 0, 2.0, np.where(f < -5, -1.0, 1.0))
    if dtype == "uint8":
        ref = np.abs(ref)
    t = pe.tensor(ref).to(pe_dtype(dtype))
    views = [(t, ref)] + ([(t.t(), ref.T), (t[:, ::2], ref[:, ::2])] if t.dim() == 2 else [])
    out_dtype = dtype if dtype in FLOAT_NAMES else "int64"
    for v, r in views:
        for d in scan_dims(v):
            want = r if v.dim() == 0 else np.cumprod(r, axis=d)
            check(v.cumprod(d), want, out_dtype, TOL.get(dtype, 0))
            check(pe.cumprod(v, dim=d), want, out_dtype, TOL.get(dtype, 0))


def test_cumsum_large_and_3d():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((7, 300, 9))
    t = pe.tensor(a)
    for d in range(3):
        np.testing.assert_allclose(t.cumsum(d).numpy(), np.cumsum(a, axis=d), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(t.permute(2, 0, 1).cumsum(d).numpy(), np.cumsum(a.transpose(2, 0, 1), axis=d),
                                   rtol=1e-12, atol=1e-12)
    f = rng.random(1_000_000).astype(np.float32)
    got = pe.from_numpy(f).cumsum(0).numpy()
    np.testing.assert_allclose(got, np.cumsum(f.astype(np.float64)), rtol=1e-6)  # float64 accumulation


def test_cumsum_dtype_out_and_inplace():
    x = pe.tensor([[1.0, 2.0], [3.0, 4.0]])
    r = pe.cumsum(x, 1, dtype=pe.float64)
    assert r.dtype is pe.float64 and r.tolist() == [[1.0, 3.0], [3.0, 7.0]]
    i32 = pe.tensor([1, 2], dtype=pe.int32)
    assert i32.cumsum(0).dtype is pe.int64
    assert pe.tensor([True, True]).cumsum(0).tolist() == [1, 2]
    assert pe.tensor([1, 2], dtype=pe.float16).cumprod(0).dtype is pe.float16
    out = pe.empty(0, dtype=pe.int32)
    assert pe.cumsum(x, 1, out=out) is out and out.dtype is pe.int32 and out.tolist() == [[1, 3], [3, 7]]
    y = x.clone()
    v = y._version
    assert y.cumsum_(1) is y and y.tolist() == [[1.0, 3.0], [3.0, 7.0]] and y._version > v
    z = pe.tensor([1, 2, 3], dtype=pe.int32)
    assert z.cumprod_(0) is z and z.dtype is pe.int32 and z.tolist() == [1, 2, 6]
    assert pe.tensor(3.0).cumsum(0).item() == 3.0
    assert pe.empty(0, 2).cumprod(0).shape == (0, 2)
    assert_raises_like_torch(IndexError, lambda m: m.ones(2, 2).cumsum(3))
    assert_raises_like_torch(TypeError, lambda m: m.ones(2).cumsum())


# ---------------------------------------------------------------------------------------------
# median
# ---------------------------------------------------------------------------------------------

def lower_median(a, axis=None):
    s = np.sort(a, axis=axis)
    if axis is None:
        s = s.reshape(-1)
        return s[(s.size - 1) // 2]
    return np.take(s, (a.shape[axis] - 1) // 2, axis=axis)


@pytest.mark.parametrize("layout", [n for n in LAYOUT_NAMES if n != "empty"])
@pytest.mark.parametrize("dtype", [n for n in DTYPE_NAMES if n != "bool"])
def test_median(layout, dtype):
    t, a = make_layout(layout, dtype)
    ref = a.astype(np.float64)
    check(t.median(), lower_median(ref), dtype)
    check(pe.median(t), lower_median(ref), dtype)
    for d in scan_dims(t):
        for keepdim in (False, True):
            v, i = t.median(d, keepdim)
            if t.dim() == 0:
                check(v, ref, dtype)
                check(i, np.array(0), "int64")
                continue
            m = lower_median(ref, axis=d)
            check(v, np.expand_dims(m, d) if keepdim else m, dtype)
            idx = i.numpy() if keepdim else np.expand_dims(i.numpy(), d)
            picked = np.take_along_axis(ref, idx, axis=d)
            np.testing.assert_array_equal(picked, np.expand_dims(m, d))  # the index holds the median


def test_median_examples():
    md = pe.tensor([[3.0, 1.0, 2.0], [9.0, 7.0, 8.0]])
    vals, idx = pe.median(md, dim=1)
    assert vals.tolist() == [2.0, 8.0] and idx.tolist() == [2, 2]
    assert pe.median(pe.tensor([1.0, 2.0, 3.0, 4.0])).item() == 2.0
    r = pe.tensor([4.0, 1.0, 3.0, 2.0]).median(0)
    assert r.values.item() == 2.0 and r.indices.item() == 3 and type(r).__name__ == "median"
    nan = float("nan")
    assert math.isnan(pe.tensor([1.0, nan, 3.0]).median().item())
    v, i = pe.tensor([1.0, nan, 3.0, nan]).median(0)
    assert math.isnan(v.item()) and i.item() == 1
    assert math.isnan(pe.empty(0).median().item())
    vo, io = pe.empty(0), pe.empty(0, dtype=pe.int64)
    r = pe.median(md, 1, out=(vo, io))
    assert r.values is vo and vo.tolist() == [2.0, 8.0]
    rng = np.random.default_rng(6)
    a = rng.standard_normal((40, 501))
    np.testing.assert_array_equal(pe.tensor(a).median(1).values.numpy(), np.median(a, 1))
    assert_raises_like_torch(NotImplementedError, lambda m: m.tensor([True, False]).median())
    assert_raises_like_torch(IndexError, lambda m: m.empty(0, 3).median(0))
    assert_raises_like_torch(IndexError, lambda m: m.ones(2, 3).median(2))


# ---------------------------------------------------------------------------------------------
# mode
# ---------------------------------------------------------------------------------------------

def np_mode(row):
    vals, counts = np.unique(row, return_counts=True)
    return vals[np.argmax(counts)]  # the smallest of the most frequent


@pytest.mark.parametrize("dtype", DTYPE_NAMES)
def test_mode(dtype):
    rng = np.random.default_rng(7)
    a = rng.integers(0, 4, size=(5, 13)).astype(np.float64)
    if dtype == "bool":
        a = a > 1
    t = pe.from_numpy(a.astype(np.float32)).to(pe_dtype(dtype))
    for d, keepdim in [(1, False), (-1, True), (0, False)]:
        v, i = t.mode(d, keepdim)
        rows = a if d != 0 else a.T
        want = np.array([np_mode(r) for r in rows])
        got_v = to_np(v).reshape(-1).astype(np.float64)
        np.testing.assert_array_equal(got_v, want.astype(np.float64))
        assert v.dtype is pe_dtype(dtype) and i.dtype is pe.int64
        assert v.shape == ((5, 1) if keepdim else (5,)) if d != 0 else (13,)
        idx = i.numpy().reshape(-1)
        np.testing.assert_array_equal(rows[np.arange(len(rows)), idx], want)


def test_mode_examples():
    mo = pe.tensor([[1, 2, 2, 3], [4, 4, 5, 4]])
    mvals, midx = pe.mode(mo, dim=1)
    assert mvals.tolist() == [2, 4]
    assert mo[0, midx[0]].item() == 2 and mo[1, midx[1]].item() == 4
    r = pe.tensor([3, 1, 3, 1, 2]).mode()
    assert r.values.item() == 1 and r.indices.item() == 3 and type(r).__name__ == "mode"  # as PyTorch
    assert pe.tensor([3.0, 1, 3, 1, 2, 2, 1, 3]).mode().indices.item() == 6
    assert pe.tensor(5).mode().values.item() == 5
    assert_raises_like_torch(IndexError, lambda m: m.empty(0, 3).mode(0))
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    a = rng.integers(0, 6, size=(20, 9))
    np.testing.assert_array_equal(pe.tensor(a).mode(1).values.numpy(), torch.tensor(a).mode(1).values.numpy())
