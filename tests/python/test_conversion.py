"""Introspection and conversion: size/stride/numel..., item/tolist, type(), to(), dtype shortcuts,
clone, copy_, detach, repr wiring."""
import warnings

import numpy as np
import pytest

import pyengine as pe
from pe_testing import (DTYPE_NAMES, FLOAT_NAMES, ITEMSIZE, LAYOUT_NAMES, NP_DTYPES, assert_raises_in_subprocess,
                        assert_raises_like_torch, assert_same, bf16_round, make, make_layout, np_strides, pe_dtype,
                        ref_torch, require_torch, to_np)

LEGACY_NAMES = {
    "bool": "BoolTensor", "uint8": "ByteTensor", "int8": "CharTensor", "int16": "ShortTensor",
    "int32": "IntTensor", "int64": "LongTensor", "float16": "HalfTensor", "bfloat16": "BFloat16Tensor",
    "float32": "FloatTensor", "float64": "DoubleTensor",
}


def ref_dtype(name):
    return np.float32 if name == "bfloat16" else NP_DTYPES[name]


# ---------------------------------------------------------------------------------------------
# introspection
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUT_NAMES)
def test_geometry(layout):
    x, ref = make_layout(layout)
    assert x.size() == ref.shape
    assert x.shape == ref.shape
    assert x.dim() == ref.ndim == x.ndim == x.ndimension()
    assert x.numel() == ref.size == x.nelement() == pe.numel(x)
    if ref.size:
        assert x.stride() == np_strides(ref) or layout == "expanded"
    assert isinstance(x.stride(), tuple)
    for d in range(-ref.ndim, ref.ndim):
        assert x.size(d) == ref.shape[d]
        assert x.stride(d) == x.stride()[d]


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_element_size_dtype_device(name):
    x = pe.zeros(3, dtype=pe_dtype(name))
    assert x.element_size() == ITEMSIZE[name]
    assert x.itemsize == ITEMSIZE[name]
    assert x.nbytes == 3 * ITEMSIZE[name]
    assert x.dtype is pe_dtype(name)
    assert x.device == pe.device("cpu")
    assert x.is_cuda is False
    assert x.is_floating_point() == (name in FLOAT_NAMES)
    assert pe.is_floating_point(x) == (name in FLOAT_NAMES)
    assert pe.is_tensor(x) and not pe.is_tensor(np.zeros(1))


@pytest.mark.parametrize("call,exc", [
    (lambda m: m.ones(2, 3).size(2), IndexError), (lambda m: m.ones(2, 3).size(-3), IndexError),
    (lambda m: m.ones(2, 3).stride(2), IndexError),
], ids=["size", "size_neg", "stride"])
def test_size_stride_bad_dim(call, exc):
    assert_raises_like_torch(exc, call)


@pytest.mark.parametrize("code", ["pe.tensor(1.0).size(0)", "pe.tensor(1.0).stride(0)", "pe.tensor(1.0).size(-1)",
                                  "pe.tensor(1.0).stride(-1)"])
def test_size_stride_of_zero_dim_raise_index_error(code):
    # run in a subprocess: this has crashed the engine (segfault)
    torch = ref_torch()
    if torch is not None:
        with pytest.raises(IndexError):
            eval(code.replace("pe.", "torch."))
    assert_raises_in_subprocess(IndexError, code)


def test_storage_offset_and_data_ptr():
    x = pe.arange(20.0).view(4, 5)
    y = x[1:, 2:]
    assert y.storage_offset() == 7
    assert y.data_ptr() == x.data_ptr() + 7 * 4
    assert x.storage_offset() == 0
    z = pe.arange(20, dtype=pe.int16)[5:]
    assert z.data_ptr() - z.storage().data_ptr() == 5 * 2


# ---------------------------------------------------------------------------------------------
# item / tolist / python scalars
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,value,pytype", [
    ("float32", 1.5, float), ("float64", -2.25, float), ("float16", 0.5, float), ("bfloat16", 3.0, float),
    ("int64", 2 ** 40, int), ("int32", -7, int), ("int16", 300, int), ("int8", -128, int), ("uint8", 255, int),
    ("bool", True, bool),
])
def test_item(name, value, pytype):
    x = pe.tensor(value, dtype=pe_dtype(name))
    v = x.item()
    assert type(v) is pytype
    assert v == value
    assert pe.tensor([value], dtype=pe_dtype(name)).item() == value
    assert pe.tensor([[value]], dtype=pe_dtype(name)).item() == value


def test_item_of_view_element():
    x = pe.arange(12).view(3, 4).t()
    assert x[3, 2].item() == 11
    assert x[1][2].item() == 9


@pytest.mark.parametrize("shape", [(2,), (0,), (2, 2)])
def test_item_bad(shape):
    assert_raises_like_torch(RuntimeError, lambda m: m.ones(*shape).item())


@pytest.mark.parametrize("layout", LAYOUT_NAMES)
@pytest.mark.parametrize("name", ["float32", "int64", "bool", "uint8", "float16", "bfloat16"])
def test_tolist(layout, name):
    x, ref = make_layout(layout, name)
    lst = x.tolist()
    assert lst == ref.tolist()
    flat = np.asarray(ref).ravel().tolist()
    if flat:
        ty = type(flat[0]) if name != "bfloat16" else float
        def leaves(v):
            if isinstance(v, list):
                for e in v:
                    yield from leaves(e)
            else:
                yield v
        assert all(type(v) is ty for v in leaves(lst))


def test_python_number_conversions():
    assert float(pe.tensor([2.5])) == 2.5
    assert int(pe.tensor(3.9)) == 3
    assert bool(pe.tensor([0])) is False
    assert bool(pe.tensor(2.0)) is True
    assert [1, 2, 3][pe.tensor(1)] == 2
    assert len(pe.zeros(4, 2)) == 4
    assert_raises_like_torch(RuntimeError, lambda m: bool(m.ones(2)))
    assert_raises_like_torch(TypeError, lambda m: len(m.tensor(1.0)))
    assert_raises_like_torch(TypeError, lambda m: [1, 2][m.tensor(1.0)])


def test_format():
    assert "%.2f" % pe.tensor(1.2345) == "1.23"
    assert f"{pe.tensor(2.5):.1f}" == "2.5"


# ---------------------------------------------------------------------------------------------
# type()
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_type_name(name):
    assert pe.zeros(2, dtype=pe_dtype(name)).type() == "torch." + LEGACY_NAMES[name]


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_type_names_match_torch(name):
    torch = require_torch()
    assert pe.zeros(2, dtype=pe_dtype(name)).type() == torch.zeros(2, dtype=getattr(torch, name)).type()


@pytest.mark.parametrize("target", ["float64", "int32", "bool", "float16", "uint8"])
def test_type_conversions(target):
    x, ref = make((2, 3), "float32")
    a = x.type(pe_dtype(target))
    b = x.type("torch." + LEGACY_NAMES[target])
    c = x.type(getattr(pe, LEGACY_NAMES[target]))
    for y in (a, b, c):
        assert y.dtype is pe_dtype(target)
        assert_same(y, ref.astype(ref_dtype(target)))


def test_type_same_dtype_returns_self_storage():
    x = pe.ones(3)
    assert x.type(pe.float32).data_ptr() == x.data_ptr()
    assert x.type("torch.FloatTensor").data_ptr() == x.data_ptr()


def test_type_bad_string():
    assert_raises_like_torch(ValueError, lambda m: m.ones(2).type("torch.FooTensor"))


# ---------------------------------------------------------------------------------------------
# to() and the dtype shortcut methods
# ---------------------------------------------------------------------------------------------

CONV_VALUES = np.array([0.0, 1.0, 2.7, 3.2, 5.5, 100.0, 127.0])


@pytest.mark.parametrize("src", DTYPE_NAMES)
@pytest.mark.parametrize("dst", DTYPE_NAMES)
def test_to_dtype_matrix(src, dst):
    vals = CONV_VALUES if src in FLOAT_NAMES else np.trunc(CONV_VALUES)
    if src == "bool":
        vals = (vals != 0).astype(np.float64) * (np.arange(len(vals)) % 2)
    if src == "bfloat16":
        vals = np.array([0.0, 1.0, 2.75, 3.25, 5.5, 100.0, 127.0])
    x = pe.tensor(vals.astype(np.float64)).to(pe_dtype(src))
    y = x.to(pe_dtype(dst))
    assert y.dtype is pe_dtype(dst)
    # reference: the source values as stored, then converted like PyTorch (truncation toward zero)
    src_vals = to_np(x).astype(np.float64)
    if dst == "bool":
        expected = src_vals != 0
    elif dst in FLOAT_NAMES:
        expected = src_vals.astype(ref_dtype(dst))
        if dst == "bfloat16":
            expected = bf16_round(src_vals)
    else:
        expected = np.trunc(src_vals).astype(NP_DTYPES[dst])
    assert_same(y, expected)


@pytest.mark.parametrize("method,name", [
    ("float", "float32"), ("double", "float64"), ("half", "float16"), ("bfloat16", "bfloat16"),
    ("long", "int64"), ("int", "int32"), ("short", "int16"), ("char", "int8"), ("byte", "uint8"), ("bool", "bool"),
])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced_step", "expanded", "zero_dim", "empty"])
def test_dtype_shortcuts(method, name, layout):
    x, ref = make_layout(layout, "int16")
    y = getattr(x, method)()
    assert y.dtype is pe_dtype(name)
    expected = ref != 0 if name == "bool" else ref.astype(ref_dtype(name))
    if name == "uint8":
        expected = ref.astype(np.int64).astype(np.uint8)  # wraps modulo 256 like PyTorch
    assert_same(y, expected)


def test_to_same_dtype_returns_self():
    x = pe.ones(3)
    assert x.to(pe.float32) is x
    assert x.float() is x
    assert x.to("cpu") is x
    assert x.cpu() is x
    assert x.to(pe.device("cpu"), pe.float32) is x


def test_to_copy_true():
    x = pe.ones(3)
    y = x.to(pe.float32, copy=True)
    assert y is not x and y.data_ptr() != x.data_ptr()
    assert y.tolist() == [1.0, 1.0, 1.0]


def test_to_forms():
    x, ref = make((2, 3), "int32")
    other = pe.zeros(1, dtype=pe.float64)
    assert_same(x.to(other), ref.astype(np.float64), dtype="float64")
    assert_same(x.to(dtype=pe.float16), ref.astype(np.float16), dtype="float16")
    assert_same(x.to("cpu", pe.int8), ref.astype(np.int8), dtype="int8")
    assert_same(x.to(device="cpu", dtype=pe.int64), ref.astype(np.int64), dtype="int64")
    assert_same(x.to(pe.float64, non_blocking=True), ref.astype(np.float64))


def test_to_result_is_contiguous_copy_for_views():
    x, ref = make((3, 4), "float32")
    y = x.t().to(pe.float64)
    assert_same(y, ref.T.astype(np.float64))
    assert y.data_ptr() != x.data_ptr()


def test_to_bad_args():
    assert_raises_like_torch(TypeError, lambda m: m.ones(2).to([1]))
    assert_raises_like_torch(RuntimeError, lambda m: m.ones(2).to("foo"))


# ---------------------------------------------------------------------------------------------
# clone / copy_ / detach
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUT_NAMES)
@pytest.mark.parametrize("name", ["float32", "int8", "bool", "bfloat16"])
def test_clone(layout, name):
    x, ref = make_layout(layout, name)
    y = x.clone()
    assert_same(y, ref)
    assert y.dtype is x.dtype
    if x.numel():
        assert y.data_ptr() != x.data_ptr()
        assert not np.shares_memory(to_np(y), to_np(x)) or name == "bfloat16"
    z = pe.clone(x)
    assert_same(z, ref)


def test_clone_preserves_dense_strides_like_torch():
    x, ref = make((3, 4))
    # PyTorch's clone (preserve_format) keeps the strides of a dense non-overlapping input...
    assert x.t().clone().stride() == (1, 4)
    assert x.view(3, 2, 2).permute(2, 0, 1).clone().stride() == (1, 4, 2)
    # ...and makes other inputs contiguous
    assert x[:, ::2].clone().stride() == (2, 1)
    assert pe.ones(1, 3).expand(2, 3).clone().stride() == (3, 1)


LAYOUT_KEEPERS = {
    "add_scalar": lambda x: x + 1,
    "add_same_layout": lambda x: x + x,
    "neg": lambda x: -x,
    "abs": lambda x: x.abs(),
    "to_double": lambda x: x.double(),
    "to_int": lambda x: x.int(),
    "clone": lambda x: x.clone(),
    "zeros_like": lambda x: pe.zeros_like(x),
    "empty_like": lambda x: pe.empty_like(x),
    "ones_like": lambda x: pe.ones_like(x),
    "full_like": lambda x: pe.full_like(x, 2),
    "rand_like": lambda x: pe.rand_like(x),
}


@pytest.mark.parametrize("key", list(LAYOUT_KEEPERS))
def test_dense_layout_is_preserved(key):
    """PyTorch's elementwise ops, conversions, clone and *_like (preserve_format) give the result the
    layout of a dense non-overlapping input: a transposed input gives a transposed result."""
    x, ref = make((3, 2))
    xt = x.t()
    r = LAYOUT_KEEPERS[key](xt)
    assert r.shape == (2, 3)
    assert r.stride() == (1, 2)
    if key in ("add_scalar", "add_same_layout", "neg", "abs", "to_double", "to_int", "clone"):
        expected = {"add_scalar": ref.T + 1, "add_same_layout": ref.T * 2, "neg": -ref.T, "abs": np.abs(ref.T),
                    "to_double": ref.T, "to_int": ref.T, "clone": ref.T}[key]
        assert_same(r, expected)


def test_clone_independent():
    x = pe.zeros(3)
    y = x.clone()
    y[0] = 1.0
    assert x[0].item() == 0.0


@pytest.mark.parametrize("dst_layout", ["contiguous", "transposed", "sliced_step"])
@pytest.mark.parametrize("src_kind", ["same", "broadcast_row", "broadcast_col", "scalar", "transposed"])
@pytest.mark.parametrize("src_name", ["float64", "int32", "bool", "float16"])
def test_copy_broadcast_and_convert(dst_layout, src_kind, src_name):
    dst, dref = make_layout(dst_layout, "float32")  # all (3, 4)
    if src_kind == "same":
        src, sref = make((3, 4), src_name)
    elif src_kind == "broadcast_row":
        src, sref = make((4,), src_name)
    elif src_kind == "broadcast_col":
        src, sref = make((3, 1), src_name)
    elif src_kind == "scalar":
        src, sref = make((), src_name)
    else:
        src, sref = make((4, 3), src_name)
        src, sref = src.t(), sref.T
    ptr = dst.data_ptr()
    r = dst.copy_(src)
    assert r is dst
    assert dst.data_ptr() == ptr
    dref[...] = sref.astype(np.float32)
    assert_same(dst, dref)


def test_copy_into_base_through_view():
    base = pe.zeros(4, 6)
    ref = np.zeros((4, 6), np.float32)
    base[1::2, ::3].copy_(pe.tensor([[1.0, 2.0]]))
    ref[1::2, ::3] = [[1.0, 2.0]]
    assert_same(base, ref)


def test_copy_float_to_int_truncates():
    dst = pe.zeros(4, dtype=pe.int32)
    dst.copy_(pe.tensor([1.9, -1.9, 0.5, 7.0]))
    assert dst.tolist() == [1, -1, 0, 7]
    b = pe.zeros(3, dtype=pe.bool)
    b.copy_(pe.tensor([0.0, 0.1, -2.0]))
    assert b.tolist() == [False, True, True]


def test_copy_bad_shape():
    assert_raises_like_torch(RuntimeError, lambda m: m.ones(2, 3).copy_(m.ones(4)))
    assert_raises_like_torch(RuntimeError, lambda m: m.ones(3).copy_(m.ones(2, 3)))


def test_detach_shares_memory():
    x = pe.ones(3, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad
    assert d.data_ptr() == x.data_ptr()
    assert np.shares_memory(d.numpy(), x.detach().numpy())


def test_requires_grad_flag():
    x = pe.zeros(2)
    assert x.requires_grad is False
    assert x.requires_grad_() is x
    assert x.requires_grad is True
    x.requires_grad_(False)
    assert not x.requires_grad
    assert_raises_like_torch(RuntimeError, lambda m: m.zeros(2, dtype=m.int64).requires_grad_())


# ---------------------------------------------------------------------------------------------
# repr wiring (the formatter itself is tested in test_tensor_str.py)
# ---------------------------------------------------------------------------------------------

REPRS = {
    "float": (lambda m: m.tensor([1.0, 2.0]), "tensor([1., 2.])"),
    "float_frac": (lambda m: m.tensor([1.5, 0.25]), "tensor([1.5000, 0.2500])"),
    "float64": (lambda m: m.tensor([1.0, 2.0], dtype=m.float64), "tensor([1., 2.], dtype=torch.float64)"),
    "float16": (lambda m: m.tensor([1.5], dtype=m.float16), "tensor([1.5000], dtype=torch.float16)"),
    "bfloat16": (lambda m: m.tensor([1.0, 2.0], dtype=m.bfloat16), "tensor([1., 2.], dtype=torch.bfloat16)"),
    "int64": (lambda m: m.tensor([1, 2]), "tensor([1, 2])"),
    "int32": (lambda m: m.tensor([1, 2], dtype=m.int32), "tensor([1, 2], dtype=torch.int32)"),
    "uint8": (lambda m: m.tensor([255, 0], dtype=m.uint8), "tensor([255,   0], dtype=torch.uint8)"),
    "bool": (lambda m: m.tensor([True, False]), "tensor([ True, False])"),
    "zero_dim": (lambda m: m.tensor(3.0), "tensor(3.)"),
    "zero_dim_int": (lambda m: m.tensor(7), "tensor(7)"),
    "requires_grad": (lambda m: m.ones(2, requires_grad=True), "tensor([1., 1.], requires_grad=True)"),
    "requires_grad_f64": (lambda m: m.ones(1, dtype=m.float64, requires_grad=True),
                          "tensor([1.], dtype=torch.float64, requires_grad=True)"),
    "empty": (lambda m: m.tensor([]), "tensor([])"),
    "empty_2d": (lambda m: m.zeros(0, 3), "tensor([], size=(0, 3))"),
    "empty_int": (lambda m: m.zeros(0, dtype=m.int64), "tensor([], dtype=torch.int64)"),
    "matrix_t": (lambda m: m.arange(6).view(2, 3).t(), "tensor([[0, 3],\n        [1, 4],\n        [2, 5]])"),
    "expanded": (lambda m: m.tensor([1.5]).expand(2, 2), "tensor([[1.5000, 1.5000],\n        [1.5000, 1.5000]])"),
}


@pytest.mark.parametrize("key", list(REPRS))
def test_repr(key):
    fn, text = REPRS[key]
    x = fn(pe)
    assert repr(x) == text
    assert str(x) == text
    torch = ref_torch()
    if torch is not None:
        assert repr(fn(torch)) == text


def test_repr_respects_default_dtype():
    pe.set_default_dtype(pe.float64)
    assert repr(pe.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(pe.tensor([1.0], dtype=pe.float32)) == "tensor([1.], dtype=torch.float32)"


def test_repr_matches_torch_random_matrix():
    torch = require_torch()
    a = np.random.RandomState(0).randn(4, 5).astype(np.float32) * 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert repr(pe.from_numpy(a)) == repr(torch.from_numpy(a))
        assert repr(pe.from_numpy(a).t()) == repr(torch.from_numpy(a).t())


@pytest.mark.parametrize("n", [1, 15, 17, 33, 1025, 100_003])
@pytest.mark.parametrize("src,dst", [("float32", "float16"), ("float16", "float32"), ("float32", "bfloat16"),
                                     ("bfloat16", "float32"), ("int64", "float64"), ("float64", "int32"),
                                     ("uint8", "float32"), ("int32", "bool"), ("float32", "int8")])
def test_large_conversions(n, src, dst):
    x, xr = make((n,), src)
    y = x.to(pe_dtype(dst))
    v = to_np(x).astype(np.float64)
    if dst == "bool":
        expected = v != 0
    elif dst == "bfloat16":
        expected = bf16_round(v)
    else:
        expected = v.astype(ref_dtype(dst))
    assert_same(y, expected)
    # strided source and destination
    if n > 2:
        z = pe.empty(n // 2, dtype=pe_dtype(dst))
        z.copy_(x[::2][: n // 2])
        assert_same(z, expected[::2][: n // 2])
