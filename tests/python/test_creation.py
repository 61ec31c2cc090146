"""Tensor creation: legacy constructors, tensor(), factories, *_like, new_*, in-place fills."""
import warnings

import numpy as np
import pytest

import pyengine as pe
from pe_testing import (DTYPE_NAMES, FLOAT_NAMES, NP_DTYPES, NUMPY_DTYPE_NAMES, assert_raises_like_torch,
                        assert_same, contiguous_strides, make, pe_dtype, to_np)


# ---------------------------------------------------------------------------------------------
# Tensor(...)
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sizes", [(0,), (3,), (2, 3), (2, 3, 4), (1, 0, 2)])
def test_Tensor_sizes(sizes):
    x = pe.Tensor(*sizes)
    assert x.shape == sizes
    assert x.dtype is pe.float32
    assert x.stride() == contiguous_strides(sizes)
    assert x.is_contiguous()
    assert isinstance(x, pe.Tensor)


def test_Tensor_no_args_is_empty_1d():
    x = pe.Tensor()
    assert x.shape == (0,)
    assert x.dtype is pe.float32


def test_Tensor_from_torch_Size_is_shape():
    x = pe.Tensor(pe.Size([2, 3]))
    assert x.shape == (2, 3)
    assert x.dtype is pe.float32


def test_Tensor_from_tuple_is_data():
    x = pe.Tensor((2, 3))
    assert_same(x, np.array([2.0, 3.0], np.float32), dtype="float32")


@pytest.mark.parametrize("data", [[1, 2, 3], [[1, 2], [3, 4]], [1.5, -2.5], [True, False], [[[1]], [[2]]]])
def test_Tensor_from_list(data):
    x = pe.Tensor(data)
    assert_same(x, np.array(data, dtype=np.float32), dtype="float32")


def test_Tensor_from_storage_shares_it():
    base = pe.arange(6.0)
    st = base.storage()
    x = pe.Tensor(st)
    assert x.shape == (6,)
    assert x.data_ptr() == base.data_ptr()
    x[0] = 42.0
    assert base[0].item() == 42.0


def test_Tensor_from_numpy_array_is_data():
    x = pe.Tensor(np.array([1, 2, 3]))
    assert_same(x, np.array([1.0, 2.0, 3.0], np.float32), dtype="float32")


def test_Tensor_respects_default_dtype():
    pe.set_default_dtype(pe.float64)
    assert pe.Tensor(2, 3).dtype is pe.float64
    assert pe.Tensor([1, 2]).dtype is pe.float64


# ---------------------------------------------------------------------------------------------
# typed legacy constructors
# ---------------------------------------------------------------------------------------------

LEGACY = [
    ("FloatTensor", "float32"), ("DoubleTensor", "float64"), ("HalfTensor", "float16"),
    ("ByteTensor", "uint8"), ("CharTensor", "int8"), ("ShortTensor", "int16"), ("IntTensor", "int32"),
    ("LongTensor", "int64"), ("BoolTensor", "bool"), ("BFloat16Tensor", "bfloat16"),
]


@pytest.mark.parametrize("cls_name,name", LEGACY)
def test_legacy_from_list(cls_name, name):
    cls = getattr(pe, cls_name)
    data = [1, 0, 3] if name != "bool" else [True, False, True]
    x = cls(data)
    assert x.dtype is pe_dtype(name)
    assert x.type() == "torch." + cls_name
    ref = np.array(data, dtype=np.float64 if NP_DTYPES[name] is None else NP_DTYPES[name])
    assert_same(x, ref.astype(np.float32) if name == "bfloat16" else ref)


@pytest.mark.parametrize("cls_name,name", LEGACY)
def test_legacy_from_sizes(cls_name, name):
    cls = getattr(pe, cls_name)
    x = cls(2, 3)
    assert x.shape == (2, 3)
    assert x.dtype is pe_dtype(name)
    y = cls(pe.Size([4]))
    assert y.shape == (4,) and y.dtype is pe_dtype(name)
    assert cls().shape == (0,)


@pytest.mark.parametrize("cls_name,name", LEGACY)
def test_legacy_isinstance(cls_name, name):
    cls = getattr(pe, cls_name)
    x = pe.zeros(2, dtype=pe_dtype(name))
    assert isinstance(x, cls)
    assert isinstance(x, pe.Tensor)
    others = [getattr(pe, c) for c, n in LEGACY if n != name]
    assert not any(isinstance(x, o) for o in others)
    assert not isinstance(np.zeros(2), cls)


def test_legacy_rejects_dtype_kwarg():
    assert_raises_like_torch(TypeError, lambda m: m.FloatTensor(2, dtype=m.float64))


def test_legacy_type_mismatch_tensor():
    assert_raises_like_torch(TypeError, lambda m: m.FloatTensor(m.zeros(2, dtype=m.float64)))


def test_legacy_from_same_dtype_tensor_shares():
    x = pe.zeros(3)
    y = pe.FloatTensor(x)
    assert y.data_ptr() == x.data_ptr()


# ---------------------------------------------------------------------------------------------
# tensor(...)
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("data,name", [
    (1.5, "float32"), (1, "int64"), (True, "bool"), ([1, 2], "int64"), ([1.0, 2], "float32"),
    ([True, False], "bool"), ([[1, 2], [3, 4]], "int64"), ([[1.5], [2.5]], "float32"), ([True, 2], "int64"),
    ([1, 2.5, True], "float32"), ([], "float32"), ([[]], "float32"), ((1, 2, 3), "int64"),
    (np.float64(1.0), "float64"), (np.int32(3), "int32"), (np.float32(2.5), "float32"),
    ([-(2 ** 40), 2 ** 40], "int64"),
    ([np.int32(1), np.int32(2)], "int32"), ([np.float64(1.5), np.float64(2)], "float64"),
], ids=["float", "int", "bool", "int_list", "mixed_float_list", "bool_list", "int_2d", "float_2d", "bool_int_list",
        "int_float_bool_list", "empty_list", "empty_2d", "int_tuple", "np_float64_scalar", "np_int32_scalar",
        "np_float32_scalar", "big_ints", "list_of_np_int32", "list_of_np_float64"])
def test_tensor_dtype_inference(data, name):
    x = pe.tensor(data)
    assert x.dtype is pe_dtype(name)
    ref = np.array(data)
    assert_same(x, ref.astype(NP_DTYPES[name]))


@pytest.mark.parametrize("name", NUMPY_DTYPE_NAMES)
def test_tensor_numpy_array_keeps_dtype(name):
    a = np.arange(6).reshape(2, 3).astype(NP_DTYPES[name])
    x = pe.tensor(a)
    assert x.dtype is pe_dtype(name)
    assert_same(x, a, check_strides=True)


@pytest.mark.parametrize("name", NUMPY_DTYPE_NAMES)
def test_tensor_always_copies_numpy(name):
    a = np.ones(4, dtype=NP_DTYPES[name])
    x = pe.tensor(a)
    a[0] = 0
    assert to_np(x)[0] == 1
    assert not np.shares_memory(x.numpy(), a)


def test_tensor_copies_noncontiguous_numpy():
    a = np.arange(24, dtype=np.float32).reshape(4, 6)[::2, 1::2].T
    x = pe.tensor(a)
    assert_same(x, a)
    assert not np.shares_memory(x.numpy(), a)


def test_tensor_from_tensor_copies_and_warns():
    src = pe.arange(4.0)
    with pytest.warns(UserWarning):
        x = pe.tensor(src)
    assert x.data_ptr() != src.data_ptr()
    assert_same(x, np.arange(4.0, dtype=np.float32))
    src[0] = 9.0
    assert x[0].item() == 0.0


def test_tensor_from_list_of_tensors():
    x = pe.tensor([pe.tensor(1.0), pe.tensor(2.0)])
    assert_same(x, np.array([1.0, 2.0], np.float32), dtype="float32")
    y = pe.tensor([pe.tensor(1), pe.tensor(2)])
    assert_same(y, np.array([1, 2]), dtype="int64")


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_tensor_dtype_argument(name):
    x = pe.tensor([0, 1, 2], dtype=pe_dtype(name))
    assert x.dtype is pe_dtype(name)
    ref = np.array([0, 1, 2]).astype(np.float32 if name == "bfloat16" else NP_DTYPES[name])
    assert_same(x, ref)


def test_tensor_device_and_requires_grad():
    x = pe.tensor([1.0, 2.0], device="cpu", requires_grad=True)
    assert x.requires_grad
    assert x.device == pe.device("cpu")
    assert not pe.tensor([1.0]).requires_grad
    x2 = pe.tensor([1.0], device=pe.device("cpu"))
    assert x2.device.type == "cpu"


def test_tensor_zero_dim():
    x = pe.tensor(3.5)
    assert x.shape == () and x.dim() == 0 and x.numel() == 1
    assert x.item() == 3.5
    assert x.stride() == ()


def test_tensor_requires_grad_int_raises():
    assert_raises_like_torch(RuntimeError, lambda m: m.tensor([1, 2], requires_grad=True))


def test_as_tensor_shares_numpy():
    a = np.arange(4.0)
    x = pe.as_tensor(a)
    a[0] = 7.0
    assert x[0].item() == 7.0
    t = pe.ones(3)
    assert pe.as_tensor(t) is t or pe.as_tensor(t).data_ptr() == t.data_ptr()


# ---------------------------------------------------------------------------------------------
# empty / zeros / ones / full
# ---------------------------------------------------------------------------------------------

SIZE_FORMS = [
    ((2, 3), {}), (((2, 3),), {}), (([2, 3],), {}), ((pe.Size([2, 3]),), {}), ((), {"size": (2, 3)}),
]


@pytest.mark.parametrize("fn", ["empty", "zeros", "ones", "rand", "randn"])
@pytest.mark.parametrize("args,kw", SIZE_FORMS)
def test_factory_size_forms(fn, args, kw):
    x = getattr(pe, fn)(*args, **kw)
    assert x.shape == (2, 3)
    assert isinstance(x.shape, pe.Size)
    assert x.dtype is pe.float32
    assert x.stride() == (3, 1)


@pytest.mark.parametrize("fn", ["empty", "zeros", "ones"])
def test_factory_zero_dim_and_empty(fn):
    f = getattr(pe, fn)
    assert f(()).shape == ()
    assert f([]).shape == ()
    assert f(0).shape == (0,)
    assert f(3, 0).shape == (3, 0)
    assert f(3, 0).numel() == 0


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_zeros_ones_dtypes(name):
    dt = pe_dtype(name)
    z = pe.zeros(2, 3, dtype=dt)
    o = pe.ones(2, 3, dtype=dt)
    e = pe.empty(2, 3, dtype=dt)
    assert z.dtype is dt and o.dtype is dt and e.dtype is dt
    assert_same(z, np.zeros((2, 3)).astype(np.float32 if name == "bfloat16" else NP_DTYPES[name]))
    assert_same(o, np.ones((2, 3)).astype(np.float32 if name == "bfloat16" else NP_DTYPES[name]))
    assert e.element_size() == dt.itemsize


@pytest.mark.parametrize("fill,name", [(1.5, "float32"), (7, "int64"), (True, "bool"), (-3, "int64"),
                                       (np.float64(2.0), "float32"), (0.0, "float32")])
def test_full_infers_dtype(fill, name):
    x = pe.full((2, 3), fill)
    assert x.dtype is pe_dtype(name)
    assert_same(x, np.full((2, 3), fill).astype(NP_DTYPES[name]))


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_full_dtype_argument(name):
    x = pe.full((4,), 1, dtype=pe_dtype(name))
    assert x.dtype is pe_dtype(name)
    assert x.tolist() == [True] * 4 if name == "bool" else x.tolist() == [1] * 4


def test_full_zero_dim_and_empty():
    assert pe.full((), 2.5).item() == 2.5
    assert pe.full((0, 2), 1).shape == (0, 2)


# ---------------------------------------------------------------------------------------------
# eye / arange / linspace
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n,m", [(3, None), (2, 4), (4, 2), (0, None), (1, 1), (0, 3)])
def test_eye(n, m):
    x = pe.eye(n) if m is None else pe.eye(n, m)
    assert_same(x, np.eye(n, m, dtype=np.float32), dtype="float32", check_strides=True)


@pytest.mark.parametrize("name", ["int64", "bool", "float64", "uint8"])
def test_eye_dtype(name):
    x = pe.eye(3, dtype=pe_dtype(name))
    assert_same(x, np.eye(3).astype(NP_DTYPES[name]), dtype=name)


@pytest.mark.parametrize("args,name", [
    ((5,), "int64"), ((1, 5), "int64"), ((0, 10, 3), "int64"), ((5, 0, -1), "int64"), ((10, 0, -3), "int64"),
    ((5.0,), "float32"), ((0, 1, 0.25), "float32"), ((1, 2, 0.3), "float32"), ((-1.5, 1.5), "float32"),
    ((2.0, -1.0, -0.5), "float32"), ((0,), "int64"), ((3, 3), "int64"), ((0, 5, 10), "int64"),
])
def test_arange(args, name):
    x = pe.arange(*args)
    assert x.dtype is pe_dtype(name)
    ref = np.arange(*args)
    assert_same(x, ref.astype(NP_DTYPES[name]), rtol=1e-6, atol=1e-6)


def test_arange_keywords_and_dtype():
    assert_same(pe.arange(start=2, end=8, step=2), np.arange(2, 8, 2))
    assert_same(pe.arange(4, dtype=pe.float64), np.arange(4.0), dtype="float64")
    assert_same(pe.arange(4, dtype=pe.int32), np.arange(4, dtype=np.int32), dtype="int32")
    assert_same(pe.arange(0.5, 3, dtype=pe.int64), np.array([0, 1, 2]), dtype="int64")


def test_arange_float_length_like_torch():
    x = pe.arange(0, 1, 0.1)
    assert x.shape == (10,)
    x = pe.arange(1, 2.5, 0.5)
    assert x.tolist() == [1.0, 1.5, 2.0]


@pytest.mark.parametrize("start,end,steps", [(0, 1, 5), (-1, 1, 1), (0, 10, 0), (2, 2, 3), (10, 0, 6),
                                             (0.5, 2.5, 9), (-3, 7, 11)])
def test_linspace(start, end, steps):
    x = pe.linspace(start, end, steps)
    assert x.dtype is pe.float32
    assert_same(x, np.linspace(start, end, steps, dtype=np.float32), rtol=1e-6, atol=1e-6)


def test_linspace_dtype():
    x = pe.linspace(0, 1, 3, dtype=pe.float64)
    assert_same(x, np.linspace(0, 1, 3), dtype="float64")
    y = pe.linspace(0, 10, 6, dtype=pe.int64)
    assert_same(y, np.array([0, 2, 4, 6, 8, 10]), dtype="int64")


# ---------------------------------------------------------------------------------------------
# *_like, new_*
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["float32", "float64", "int32", "uint8", "bool", "bfloat16"])
def test_like_factories_keep_shape_dtype(name):
    src, _ = make((2, 3), name)
    src = src.t()  # non-contiguous input
    for fn, fill in ((pe.zeros_like, 0), (pe.ones_like, 1), (pe.empty_like, None)):
        y = fn(src)
        assert y.shape == (3, 2) and y.dtype is src.dtype and y.device == src.device
        if fill is not None:
            assert_same(y, np.full((3, 2), fill).astype(np.float32 if name == "bfloat16" else NP_DTYPES[name]))
    f = pe.full_like(src, 1)
    assert f.dtype is src.dtype and f.shape == (3, 2)


def test_like_factories_dtype_override():
    src = pe.zeros(2, 2, dtype=pe.int32)
    assert pe.zeros_like(src, dtype=pe.float64).dtype is pe.float64
    assert pe.ones_like(src, dtype=pe.bool).dtype is pe.bool
    assert pe.full_like(src, 2.5, dtype=pe.float32).tolist() == [[2.5, 2.5], [2.5, 2.5]]
    assert pe.full_like(src, 2.7).tolist() == [[2, 2], [2, 2]]  # cast to input dtype


@pytest.mark.parametrize("name", ["float32", "float64", "float16", "bfloat16"])
def test_rand_like_randn_like(name):
    src = pe.zeros(50, 40, dtype=pe_dtype(name))
    r = pe.rand_like(src)
    n = pe.randn_like(src)
    assert r.dtype is src.dtype and r.shape == src.shape
    assert n.dtype is src.dtype and n.shape == src.shape
    rv = to_np(r).astype(np.float64)
    assert rv.min() >= 0 and rv.max() <= 1
    assert abs(to_np(n).astype(np.float64).mean()) < 0.2


@pytest.mark.parametrize("name", ["int64", "int32", "uint8", "float32"])
def test_randint_like(name):
    src = pe.zeros(1000, dtype=pe_dtype(name))
    r = pe.randint_like(src, 10)
    assert r.dtype is src.dtype and r.shape == (1000,)
    v = to_np(r)
    assert v.min() >= 0 and v.max() < 10
    r2 = pe.randint_like(src, 3, 6)
    v2 = to_np(r2)
    assert v2.min() >= 3 and v2.max() < 6
    assert set(np.unique(v2).tolist()) == {3, 4, 5}


@pytest.mark.parametrize("name", ["float64", "int16", "uint8", "bool", "bfloat16"])
def test_new_methods(name):
    src = pe.zeros(3, dtype=pe_dtype(name))
    npd = np.float32 if name == "bfloat16" else NP_DTYPES[name]
    o = src.new_ones(2, 3)
    assert o.dtype is src.dtype and o.device == src.device
    assert_same(o, np.ones((2, 3), npd))
    z = src.new_zeros((2, 3))
    assert_same(z, np.zeros((2, 3), npd), dtype=name)
    e = src.new_empty([4])
    assert e.shape == (4,) and e.dtype is src.dtype
    f = src.new_full((2,), 1)
    assert_same(f, np.ones(2, npd), dtype=name)
    t = src.new_tensor([1, 0, 1])
    assert_same(t, np.array([1, 0, 1]).astype(npd), dtype=name)
    assert src.new_ones(2, dtype=pe.float64).dtype is pe.float64


def test_new_tensor_copies():
    src = pe.zeros(3)
    data = pe.arange(3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = src.new_tensor(data)
    assert y.data_ptr() != data.data_ptr()
    a = np.arange(3.0)
    z = src.new_tensor(a)
    a[0] = 5
    assert z[0].item() == 0.0
    assert z.dtype is pe.float32


# ---------------------------------------------------------------------------------------------
# in-place fills
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_fill_and_zero(name):
    x = pe.empty(3, 4, dtype=pe_dtype(name))
    r = x.fill_(1)
    assert r is x or r.data_ptr() == x.data_ptr()
    npd = np.float32 if name == "bfloat16" else NP_DTYPES[name]
    assert_same(x, np.ones((3, 4), npd))
    x.zero_()
    assert_same(x, np.zeros((3, 4), npd))


def test_fill_on_views_writes_through():
    base = pe.zeros(4, 6)
    ref = np.zeros((4, 6), np.float32)
    base.t()[1::2].fill_(2.0)
    ref.T[1::2] = 2.0
    base[::2, ::3].fill_(3.0)
    ref[::2, ::3] = 3.0
    base.select(0, 3).zero_()
    ref[3] = 0
    assert_same(base, ref)


def test_fill_with_zero_dim_tensor_and_cast():
    x = pe.zeros(3, dtype=pe.int32)
    x.fill_(pe.tensor(2.9))
    assert x.tolist() == [2, 2, 2]
    y = pe.zeros(2, dtype=pe.bool)
    y.fill_(5)
    assert y.tolist() == [True, True]
    z = pe.empty(())
    z.fill_(1.25)
    assert z.item() == 1.25
    e = pe.empty(0)
    e.fill_(1.0)  # no-op on empty
    assert e.shape == (0,)


@pytest.mark.parametrize("name", FLOAT_NAMES)
def test_uniform_normal_inplace(name):
    x = pe.empty(20000, dtype=pe_dtype(name))
    assert x.uniform_(2.0, 5.0) is x
    v = to_np(x).astype(np.float64)
    assert v.min() >= 2.0 and v.max() <= 5.0
    assert abs(v.mean() - 3.5) < 0.05
    x.normal_(3.0, 0.5)
    v = to_np(x).astype(np.float64)
    assert abs(v.mean() - 3.0) < 0.05 and abs(v.std() - 0.5) < 0.05


def test_uniform_on_noncontiguous_view_only_touches_view():
    base = pe.zeros(6, 8)
    base[::2, 1::3].uniform_(1.0, 2.0)
    v = base.numpy()
    mask = np.zeros((6, 8), bool)
    mask[::2, 1::3] = True
    assert (v[mask] >= 1.0).all()
    assert (v[~mask] == 0).all()
