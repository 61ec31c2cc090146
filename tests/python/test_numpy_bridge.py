"""numpy() / from_numpy() / np.asarray(tensor): memory sharing both ways, strides, dtypes, errors."""
import gc

import numpy as np
import pytest

import pyengine as pe
from pe_testing import (LAYOUT_NAMES, NP_DTYPES, NUMPY_DTYPE_NAMES, assert_raises_like_torch, assert_same,
                        make, make_layout, np_strides, pe_dtype)


# ---------------------------------------------------------------------------------------------
# Tensor.numpy()
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NUMPY_DTYPE_NAMES)
def test_numpy_dtype_and_values(name):
    x, ref = make((2, 3), name)
    a = x.numpy()
    assert isinstance(a, np.ndarray)
    assert a.dtype == NP_DTYPES[name]
    assert a.shape == (2, 3)
    np.testing.assert_array_equal(a, ref)


@pytest.mark.parametrize("name", NUMPY_DTYPE_NAMES)
def test_numpy_shares_memory_both_ways(name):
    x = pe.zeros(4, dtype=pe_dtype(name))
    a = x.numpy()
    assert a.ctypes.data == x.data_ptr()
    a[1] = 1
    assert x[1].item() == 1
    x[2] = 1
    assert a[2] == 1


@pytest.mark.parametrize("layout", LAYOUT_NAMES)
def test_numpy_of_views_keeps_strides(layout):
    x, ref = make_layout(layout, "float64")
    a = x.numpy()
    np.testing.assert_array_equal(a, ref)
    assert a.shape == ref.shape
    if x.numel():
        assert tuple(s // 8 for s in a.strides) == tuple(x.stride())
        assert a.ctypes.data == x.data_ptr()


def test_numpy_of_view_shares_with_base():
    base = pe.arange(12.0).view(3, 4)
    a = base.t()[1:, ::2].numpy()
    b = base.numpy()
    assert np.shares_memory(a, b)
    a[0, 0] = -1.0
    assert base[0, 1].item() == -1.0


def test_numpy_keeps_storage_alive():
    x = pe.arange(1000.0)
    a = x[10:20].numpy()
    del x
    gc.collect()
    _ = [pe.ones(1000) for _ in range(10)]
    np.testing.assert_array_equal(a, np.arange(10.0, 20.0, dtype=np.float32))


def test_numpy_requires_grad_raises():
    assert_raises_like_torch(RuntimeError, lambda m: m.ones(2, requires_grad=True).numpy())
    x = pe.ones(2, requires_grad=True)
    a = x.detach().numpy()
    assert a.ctypes.data == x.data_ptr()
    f = x.numpy(force=True)
    np.testing.assert_array_equal(f, [1.0, 1.0])


def test_numpy_bfloat16_raises_type_error():
    assert_raises_like_torch(TypeError, lambda m: m.ones(2, dtype=m.bfloat16).numpy())


def test_numpy_zero_dim():
    x = pe.tensor(3.5)
    a = x.numpy()
    assert a.shape == () and a.dtype == np.float32 and float(a) == 3.5


# ---------------------------------------------------------------------------------------------
# np.asarray(tensor) / __array__
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NUMPY_DTYPE_NAMES)
def test_asarray_shares(name):
    x = pe.zeros(3, dtype=pe_dtype(name))
    a = np.asarray(x)
    assert a.dtype == NP_DTYPES[name]
    assert a.ctypes.data == x.data_ptr()
    a[0] = 1
    assert x[0].item() == 1


def test_asarray_with_dtype_and_array():
    x = pe.arange(3)
    a = np.asarray(x, dtype=np.float64)
    assert a.dtype == np.float64
    np.testing.assert_array_equal(a, [0.0, 1.0, 2.0])
    b = np.array(x)
    np.testing.assert_array_equal(b, [0, 1, 2])
    assert np.asarray(x.t()).shape == (3,)


def test_asarray_noncontiguous():
    x, ref = make((4, 6))
    v = x[::2, 1::2].t()
    a = np.asarray(v)
    np.testing.assert_array_equal(a, ref[::2, 1::2].T)
    assert np.shares_memory(a, x.numpy())


def test_numpy_functions_accept_tensors():
    x, ref = make((3, 4))
    assert np.sum(np.asarray(x)) == ref.sum()
    np.testing.assert_array_equal(np.add(np.asarray(x), 1), ref + 1)


# ---------------------------------------------------------------------------------------------
# from_numpy
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NUMPY_DTYPE_NAMES)
def test_from_numpy_dtype_and_sharing(name):
    a = np.zeros((2, 3), dtype=NP_DTYPES[name])
    x = pe.from_numpy(a)
    assert x.dtype is pe_dtype(name)
    assert x.shape == (2, 3)
    assert x.stride() == (3, 1)
    assert x.data_ptr() == a.ctypes.data
    a[0, 1] = 1
    assert x[0, 1].item() == 1
    x[1, 2] = 1
    assert a[1, 2] == 1


@pytest.mark.parametrize("make_arr", [
    lambda a: a.T,
    lambda a: a[::2],
    lambda a: a[:, 1::3],
    lambda a: a[1:, 2:5],
    lambda a: np.asfortranarray(a),
    lambda a: a.reshape(2, 3, 4).transpose(1, 2, 0)[:, ::2],
    lambda a: np.broadcast_to(a[:1], (5, 6)),
    lambda a: a[0],
    lambda a: a[0, 0, ...],
    lambda a: a[:0],
], ids=["T", "rows_step", "cols_step", "window", "fortran", "3d_perm_step", "broadcast", "row", "0d", "empty"])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.uint8, np.float16])
def test_from_numpy_noncontiguous_strides_in_elements(make_arr, dtype):
    base = np.arange(24).reshape(4, 6).astype(dtype)
    a = make_arr(base)
    x = pe.from_numpy(a)
    assert_same(x, a)
    assert tuple(x.stride()) == tuple(s // a.itemsize for s in a.strides) or a.size == 0
    if a.size:
        assert x.data_ptr() == a.ctypes.data
        assert np.shares_memory(x.numpy(), a)


def test_from_numpy_view_offset_shares_base():
    base = np.arange(10.0)
    x = pe.from_numpy(base[3:])
    x[0] = -1.0
    assert base[3] == -1.0
    assert x.storage_offset() == 0  # from_numpy starts its own storage at the view


def test_from_numpy_keeps_array_alive():
    a = np.arange(100.0)
    x = pe.from_numpy(a)
    del a
    gc.collect()
    _ = [np.ones(100) for _ in range(10)]
    assert x.tolist() == list(np.arange(100.0))


@pytest.mark.parametrize("arr", [
    np.arange(4)[::-1],
    np.arange(12.0).reshape(3, 4)[:, ::-1],
    np.arange(12.0).reshape(3, 4)[::-2],
], ids=["1d", "cols", "rows_step"])
def test_from_numpy_negative_strides_raise_value_error(arr):
    assert_raises_like_torch(ValueError, lambda m: m.from_numpy(arr))


def test_from_numpy_non_native_byte_order():
    a = np.arange(4, dtype=">i4")
    assert_raises_like_torch(ValueError, lambda m: m.from_numpy(a))


@pytest.mark.parametrize("arr", [np.array(["a", "b"]), np.array([object(), 1], dtype=object)], ids=["str", "object"])
def test_from_numpy_unsupported_dtype(arr):
    assert_raises_like_torch(TypeError, lambda m: m.from_numpy(arr))


@pytest.mark.parametrize("obj", [[1, 2], 3.0, None], ids=["list", "float", "none"])
def test_from_numpy_not_an_array(obj):
    assert_raises_like_torch(TypeError, lambda m: m.from_numpy(obj))


def test_roundtrip_numpy_from_numpy_same_memory():
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    x = pe.from_numpy(a)
    b = x.numpy()
    assert np.shares_memory(a, b)
    y = pe.from_numpy(x.t().numpy())
    assert y.stride() == (1, 3)
    assert y.data_ptr() == x.data_ptr()


def test_from_numpy_then_ops_see_updates():
    a = np.ones(3, dtype=np.float32)
    x = pe.from_numpy(a)
    a *= 3
    assert (x + 1).tolist() == [4.0, 4.0, 4.0]


def test_from_numpy_strides_match_numpy_helper():
    a = np.arange(60, dtype=np.float64).reshape(3, 4, 5)[:, ::2, 1::2]
    assert pe.from_numpy(a).stride() == np_strides(a)
