"""dtype objects, promote_types, torch.Size, torch.device, default dtype, CUDA availability."""
import pickle

import numpy as np
import pytest

import pyengine as pe
from pe_testing import (DTYPE_NAMES, FLOAT_NAMES, ITEMSIZE, assert_raises_like_torch, cuda_required,
                        dtype_name, pe_dtype, require_torch)


# ---------------------------------------------------------------------------------------------
# dtype
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_dtype_str_repr_and_properties(name):
    dt = pe_dtype(name)
    assert isinstance(dt, pe.dtype)
    assert str(dt) == "torch." + name
    assert repr(dt) == "torch." + name
    assert dt.itemsize == ITEMSIZE[name]
    assert dt.is_floating_point == (name in FLOAT_NAMES)
    assert dt.is_signed == (name not in ("bool", "uint8"))
    assert dt.is_complex is False
    # one object per dtype: identity works
    assert getattr(pe, name) is dt
    assert pe.zeros(1, dtype=dt).dtype is dt


@pytest.mark.parametrize("alias,canonical", [
    ("float", "float32"), ("double", "float64"), ("half", "float16"), ("int", "int32"),
    ("long", "int64"), ("short", "int16"),
])
def test_dtype_aliases_are_the_same_object(alias, canonical):
    assert getattr(pe, alias) is getattr(pe, canonical)
    assert str(getattr(pe, alias)) == "torch." + canonical


def test_dtype_bool_alias():
    assert pe.bool is pe.zeros(1, dtype=pe.bool).dtype
    assert str(pe.bool) == "torch.bool"


def test_dtype_equality_and_hash():
    assert pe.float32 == pe.float
    assert pe.float32 != pe.float64
    assert len({pe.float32, pe.float, pe.float64}) == 2


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_dtype_pickle_roundtrip(name):
    dt = pe_dtype(name)
    assert pickle.loads(pickle.dumps(dt)) is dt


def _torch_promote(a: str, b: str) -> str:
    """PyTorch's tensor-tensor promotion lattice, written out."""
    if a == b:
        return a
    order = {n: i for i, n in enumerate(DTYPE_NAMES)}
    if a == "bool":
        return b
    if b == "bool":
        return a
    fa, fb = a in FLOAT_NAMES, b in FLOAT_NAMES
    if fa and fb:
        if {a, b} == {"float16", "bfloat16"}:
            return "float32"
        return max(a, b, key=order.get)
    if fa:
        return a
    if fb:
        return b
    if {a, b} == {"uint8", "int8"}:
        return "int16"
    return max(a, b, key=order.get)


@pytest.mark.parametrize("a", DTYPE_NAMES)
def test_promote_types_matches_pytorch_lattice(a):
    for b in DTYPE_NAMES:
        got = pe.promote_types(pe_dtype(a), pe_dtype(b))
        assert dtype_name(got) == _torch_promote(a, b), (a, b, got)


def test_promote_types_lattice_is_torchs():
    torch = require_torch()
    for a in DTYPE_NAMES:
        for b in DTYPE_NAMES:
            assert dtype_name(torch.promote_types(getattr(torch, a), getattr(torch, b))) == _torch_promote(a, b)


# ---------------------------------------------------------------------------------------------
# default dtype
# ---------------------------------------------------------------------------------------------

def test_default_dtype_is_float32():
    assert pe.get_default_dtype() is pe.float32


@pytest.mark.parametrize("name", ["float64", "float16", "bfloat16"])
def test_set_default_dtype_changes_float_factories(name):
    dt = pe_dtype(name)
    pe.set_default_dtype(dt)
    try:
        assert pe.get_default_dtype() is dt
        assert pe.tensor([1.5]).dtype is dt
        assert pe.tensor(2.0).dtype is dt
        assert pe.ones(2).dtype is dt
        assert pe.zeros(2, 3).dtype is dt
        assert pe.empty(1).dtype is dt
        assert pe.rand(2).dtype is dt
        assert pe.arange(3.0).dtype is dt
        assert pe.full((2,), 1.5).dtype is dt
        assert pe.Tensor(2).dtype is dt
        # integers are unaffected
        assert pe.tensor([1]).dtype is pe.int64
        assert pe.arange(3).dtype is pe.int64
        # int tensor divided -> default float
        assert (pe.tensor([1, 2]) / 2).dtype is dt
    finally:
        pe.set_default_dtype(pe.float32)
    assert pe.get_default_dtype() is pe.float32


@pytest.mark.parametrize("name", ["int64", "int32", "bool", "uint8"])
def test_set_default_dtype_rejects_non_float(name):
    assert_raises_like_torch(TypeError, lambda m: m.set_default_dtype(getattr(m, name)))
    assert pe.get_default_dtype() is pe.float32


# ---------------------------------------------------------------------------------------------
# torch.Size
# ---------------------------------------------------------------------------------------------

def test_size_is_tuple_subclass():
    s = pe.ones(2, 3).shape
    assert isinstance(s, pe.Size)
    assert isinstance(s, tuple)
    assert s == (2, 3)
    assert s == pe.Size([2, 3])
    assert tuple(s) == (2, 3)
    assert len(s) == 2
    assert s[0] == 2 and s[-1] == 3
    assert isinstance(s[0], int)


@pytest.mark.parametrize("sizes,text", [
    ([2, 3], "torch.Size([2, 3])"), ([], "torch.Size([])"), ([5], "torch.Size([5])"),
    ([0, 4, 1], "torch.Size([0, 4, 1])"),
])
def test_size_repr(sizes, text):
    s = pe.Size(sizes)
    assert repr(s) == text
    assert str(s) == text
    assert repr(pe.empty(*sizes).shape) == text if sizes else repr(pe.empty(()).shape) == text


def test_size_slicing_gives_size():
    s = pe.Size([2, 3, 4])
    assert isinstance(s[1:], pe.Size)
    assert s[1:] == (3, 4)
    assert repr(s[:1]) == "torch.Size([2])"
    assert isinstance(s + (5,), pe.Size)
    assert s + (5,) == (2, 3, 4, 5)
    assert s.numel() == 24
    assert pe.Size([]).numel() == 1
    assert isinstance(s * 2, pe.Size) and s * 2 == (2, 3, 4, 2, 3, 4)
    assert isinstance(2 * s, pe.Size)


def test_size_and_size_method_agree():
    x = pe.empty(2, 3, 4)
    assert x.size() == x.shape == pe.Size([2, 3, 4])
    assert isinstance(x.size(), pe.Size)


def test_size_pickle():
    s = pe.Size([2, 3])
    s2 = pickle.loads(pickle.dumps(s))
    assert isinstance(s2, pe.Size) and s2 == s


def test_size_matches_torch_repr():
    torch = require_torch()
    for sizes in ([2, 3], [], [7]):
        assert repr(pe.Size(sizes)) == repr(torch.Size(sizes))
        assert repr(pe.Size(sizes)[1:]) == repr(torch.Size(sizes)[1:])


# ---------------------------------------------------------------------------------------------
# device
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args,r,s,typ,index", [
    (("cpu",), "device(type='cpu')", "cpu", "cpu", None),
    (("cuda",), "device(type='cuda')", "cuda", "cuda", None),
    (("cuda:0",), "device(type='cuda', index=0)", "cuda:0", "cuda", 0),
    (("cuda:1",), "device(type='cuda', index=1)", "cuda:1", "cuda", 1),
    (("cuda", 0), "device(type='cuda', index=0)", "cuda:0", "cuda", 0),
    (("cuda", 3), "device(type='cuda', index=3)", "cuda:3", "cuda", 3),
    (("cpu", 0), "device(type='cpu', index=0)", "cpu:0", "cpu", 0),
    (("cpu:0",), "device(type='cpu', index=0)", "cpu:0", "cpu", 0),
])
def test_device_repr_str(args, r, s, typ, index):
    d = pe.device(*args)
    assert repr(d) == r
    assert str(d) == s
    assert d.type == typ
    assert d.index == index


def test_device_repr_matches_torch():
    torch = require_torch()
    for args in (("cpu",), ("cuda",), ("cuda:0",), ("cuda", 2)):
        assert repr(pe.device(*args)) == repr(torch.device(*args))
        assert str(pe.device(*args)) == str(torch.device(*args))


def test_device_eq_and_hash():
    assert pe.device("cuda:0") == pe.device("cuda", 0)
    assert pe.device("cpu") == pe.device("cpu")
    assert pe.device("cpu") != pe.device("cuda")
    assert pe.device("cuda") != pe.device("cuda:0")
    assert pe.device("cuda:0") != pe.device("cuda:1")
    assert pe.device("cpu", 0) != pe.device("cpu")  # PyTorch keeps the explicit index
    assert hash(pe.device("cuda:0")) == hash(pe.device("cuda", 0))
    assert len({pe.device("cpu"), pe.device("cpu"), pe.device("cuda:0")}) == 2


def test_device_from_device_and_pickle():
    d = pe.device("cuda:1")
    assert pe.device(d) == d
    assert pickle.loads(pickle.dumps(d)) == d


def test_tensor_device_is_cpu():
    x = pe.ones(2)
    assert x.device == pe.device("cpu")
    assert x.device.type == "cpu"
    assert str(x.device) == "cpu"
    assert x.is_cuda is False
    assert x.is_cpu is True
    assert x.get_device() == -1


@pytest.mark.parametrize("spec", ["foo", "gpu", "cuda:x", "cpu:0:1", ""])
def test_unknown_device_string_raises_runtime_error(spec):
    assert_raises_like_torch(RuntimeError, lambda m: m.device(spec))


@pytest.mark.parametrize("spec", ["foo", "tpu:0"])
def test_unknown_device_string_in_factory(spec):
    assert_raises_like_torch(RuntimeError, lambda m: m.ones(2, device=spec))
    assert_raises_like_torch(RuntimeError, lambda m: m.ones(2).to(spec))


def test_device_string_with_index_and_index_arg():
    assert_raises_like_torch(RuntimeError, lambda m: m.device("cuda:0", 1))


def test_negative_device_index():
    assert_raises_like_torch(RuntimeError, lambda m: m.device("cuda", -2))


# ---------------------------------------------------------------------------------------------
# CUDA
# ---------------------------------------------------------------------------------------------

def test_cuda_is_available_is_bool():
    assert isinstance(pe.cuda.is_available(), bool)
    assert isinstance(pe.cuda.device_count(), int)
    assert pe.cuda.is_available() == (pe.cuda.device_count() > 0)


@pytest.mark.skipif(pe.cuda.is_available(), reason="only meaningful without a GPU")
@pytest.mark.parametrize("make", [
    lambda: pe.ones(2).cuda(),
    lambda: pe.ones(2, device="cuda"),
    lambda: pe.ones(2, device="cuda:0"),
    lambda: pe.ones(2).to("cuda"),
    lambda: pe.ones(2).to(pe.device("cuda", 0)),
    lambda: pe.zeros(2, 3, device=pe.device("cuda")),
    lambda: pe.tensor([1.0], device="cuda"),
    lambda: pe.empty(3, device="cuda"),
    lambda: pe.ones(2).type("torch.cuda.FloatTensor"),
], ids=["cuda()", "ones_device_cuda", "ones_device_cuda0", "to_cuda", "to_device_obj", "zeros_device_obj",
        "tensor_device_cuda", "empty_device_cuda", "type_cuda_str"])
def test_cuda_without_gpu_raises_runtime_error(make):
    # (A CPU-only PyTorch build raises AssertionError here; a CUDA build without a device, which is
    # what the spec follows, raises RuntimeError.)
    with pytest.raises(RuntimeError):
        make()


@pytest.mark.skipif(pe.cuda.is_available(), reason="only meaningful without a GPU")
def test_cuda_queries_without_gpu():
    assert pe.cuda.device_count() == 0
    assert pe.cuda.memory_allocated() == 0


@cuda_required
@pytest.mark.parametrize("name", ["float32", "float64", "int64", "uint8", "bool", "float16", "bfloat16"])
def test_cuda_roundtrip(name):
    from pe_testing import make, to_np
    x, ref = make((3, 4), name)
    y = x.cuda()
    assert y.is_cuda and y.device == pe.device("cuda", 0)
    assert y.dtype is x.dtype
    assert y.get_device() == 0
    z = y.cpu()
    assert not z.is_cuda
    np.testing.assert_array_equal(to_np(z), ref)
    w = pe.ones(2, 3, device="cuda", dtype=pe_dtype(name))
    assert w.is_cuda
    np.testing.assert_array_equal(to_np(w.cpu()), np.ones((2, 3)))
    assert x.t().cuda().cpu().tolist() == x.t().tolist()
    assert x.to("cuda").type() == "torch.cuda." + x.type().split(".")[-1]
