"""__getitem__ / __setitem__ against numpy: basic indexing (views), bool masks, advanced indexing."""
import numpy as np
import pytest

import pyengine as pe
from pe_testing import assert_raises_like_torch, assert_same, make, require_torch


def base(name="float32", shape=(3, 4, 5)):
    return make(shape, name)


def same_storage(a, b) -> bool:
    return a.storage().data_ptr() == b.storage().data_ptr()


# ---------------------------------------------------------------------------------------------
# basic indexing: ints, slices, None, Ellipsis -> views
# ---------------------------------------------------------------------------------------------

BASIC = {
    "int": 1,
    "neg_int": -1,
    "int_int": (2, 3),
    "int_int_int": (0, -1, 4),
    "slice": slice(1, 3),
    "slice_step": slice(None, None, 2),
    "slice_start_step": slice(1, None, 2),
    "slice_neg_bounds": slice(-2, None),
    "slice_beyond_end": slice(1, 100),
    "slice_empty": slice(2, 1),
    "slices_2": (slice(None), slice(1, 4, 2)),
    "slices_3_steps": (slice(None, None, 2), slice(None, None, 3), slice(1, None, 2)),
    "int_slice": (1, slice(None, None, 2)),
    "slice_int": (slice(None), 2),
    "none": None,
    "none_int": (None, 1),
    "int_none": (1, None),
    "none_middle": (slice(None), None, slice(1, 3)),
    "ellipsis": Ellipsis,
    "ellipsis_int": (Ellipsis, 2),
    "int_ellipsis": (0, Ellipsis),
    "int_ellipsis_int": (1, Ellipsis, 3),
    "ellipsis_none": (Ellipsis, None),
    "none_ellipsis_none": (None, Ellipsis, None),
    "ellipsis_slice_step": (Ellipsis, slice(None, None, 2)),
    "full_slice": slice(None),
    "tuple_empty": (),
    "bool_true": True,
    "bool_false": False,
}


@pytest.mark.parametrize("key", list(BASIC), ids=list(BASIC))
@pytest.mark.parametrize("name", ["float32", "int64", "bool", "float16"])
def test_getitem_basic_matches_numpy(key, name):
    x, ref = base(name)
    idx = BASIC[key]
    y = x[idx]
    r = ref[idx]
    assert_same(y, r, check_strides=not isinstance(idx, bool) and r.size > 0)
    if r.size and not isinstance(idx, bool):
        assert same_storage(x, y)
        assert np.shares_memory(y.numpy(), x.numpy())


@pytest.mark.parametrize("key", ["int", "slice_step", "slices_3_steps", "ellipsis_int", "none_middle"])
def test_getitem_basic_on_noncontiguous(key):
    x, ref = make((5, 4, 3))
    x = x.permute(2, 1, 0)[:, ::2]  # (3, 2, 5)
    ref = ref.transpose(2, 1, 0)[:, ::2]
    idx = BASIC[key]
    if key == "slices_3_steps":
        idx = (slice(None, None, 2), slice(None), slice(1, None, 2))
    y = x[idx]
    assert_same(y, ref[idx], check_strides=True)
    assert same_storage(x, y)


def test_getitem_storage_offset():
    x = pe.arange(60.0).view(3, 4, 5)
    assert x[1].storage_offset() == 20
    assert x[1, 2].storage_offset() == 30
    assert x[:, 1:, 2:].storage_offset() == 7
    assert x[2, 3, 4].storage_offset() == 59


def test_getitem_zero_dim():
    s = pe.tensor(5.0)
    assert s[None].shape == (1,)
    assert s[...].shape == ()
    assert s[()].shape == ()
    assert s[None, None].shape == (1, 1)
    assert s[...].data_ptr() == s.data_ptr()
    assert_raises_like_torch(IndexError, lambda m: m.tensor(5.0)[0])


def test_getitem_int_gives_zero_dim_view():
    x = pe.arange(4.0)
    y = x[2]
    assert y.shape == ()
    assert y.item() == 2.0
    assert y.data_ptr() == x.data_ptr() + 2 * 4


def test_getitem_empty_tensor():
    x = pe.zeros(0, 3)
    assert x[:, 1].shape == (0,)
    assert x[1:].shape == (0, 3)
    assert x[..., None].shape == (0, 3, 1)


def test_getitem_zero_dim_tensor_index_acts_as_int():
    x, ref = base()
    for i in (pe.tensor(1), pe.tensor(-1), pe.tensor(2, dtype=pe.int32)):
        y = x[i]
        assert_same(y, ref[int(i.item())])
    y = x[1, pe.tensor(2)]
    assert_same(y, ref[1, 2])
    y = x[pe.tensor(0):pe.tensor(2)]
    assert_same(y, ref[0:2])


def test_getitem_numpy_integer_index():
    x, ref = base()
    assert_same(x[np.int64(1)], ref[1])
    assert_same(x[np.int32(2), np.int64(-1)], ref[2, -1])


# ---------------------------------------------------------------------------------------------
# boolean masks
# ---------------------------------------------------------------------------------------------

def _masks():
    rng = np.random.RandomState(0)
    return {
        "full": (rng.rand(3, 4, 5) > 0.5, lambda m: (m,)),
        "dim0": (np.array([True, False, True]), lambda m: (m,)),
        "dim0_2d": (rng.rand(3, 4) > 0.3, lambda m: (m,)),
        "dim1": (np.array([False, True, True, False]), lambda m: (slice(None), m)),
        # PyTorch applies the int first (x[1][:, m]); numpy would move the masked dim to the front
        "dim2_after_int": (np.array([True, False, False, True, True]), lambda m: (1, slice(None), m)),
        "all_false": (np.zeros(3, bool), lambda m: (m,)),
        "all_true": (np.ones((3, 4, 5), bool), lambda m: (m,)),
        "ellipsis": (np.array([True, False, True, False, True]), lambda m: (Ellipsis, m)),
    }


MASKS = _masks()


@pytest.mark.parametrize("key", list(MASKS))
@pytest.mark.parametrize("maker", ["from_numpy", "tensor"])
@pytest.mark.parametrize("name", ["float32", "int32", "bool"])
def test_getitem_bool_mask(key, maker, name):
    x, ref = base(name)
    m_np, wrap = MASKS[key]
    m = pe.from_numpy(m_np) if maker == "from_numpy" else pe.tensor(m_np.tolist(), dtype=pe.bool)
    assert m.dtype is pe.bool
    y = x[wrap(m)]
    r = ref[1][:, m_np] if key == "dim2_after_int" else ref[wrap(m_np)]
    assert_same(y, r)
    if r.size:
        assert not same_storage(y, x)  # advanced indexing copies


def test_getitem_mask_list_of_bools():
    x, ref = base()
    y = x[[True, False, True]]
    assert_same(y, ref[[True, False, True]])


def test_getitem_mask_noncontiguous_source():
    x, ref = make((4, 6))
    xt, rt = x.t(), ref.T
    m = rt > 0
    assert_same(xt[pe.from_numpy(m)], rt[m])
    m2 = np.array([True, False, True, False])
    assert_same(xt[:, pe.from_numpy(m2)], rt[:, m2])


def test_getitem_zero_dim_bool_mask():
    x, ref = base()
    assert_same(x[pe.tensor(True)], ref[np.True_])
    assert_same(x[pe.tensor(False)], ref[np.False_])


@pytest.mark.parametrize("mask_shape", [(2,), (1, 3), (3, 5)])
def test_getitem_mask_wrong_shape(mask_shape):
    assert_raises_like_torch(IndexError, lambda m: m.ones(3, 4, 5)[m.ones(*mask_shape, dtype=m.bool)])


# ---------------------------------------------------------------------------------------------
# integer (advanced) indexing
# ---------------------------------------------------------------------------------------------

ADV = {
    "list": lambda I: I([0, 2]),
    "list_neg": lambda I: I([-1, 0, -3]),
    "list_repeat": lambda I: I([1, 1, 1]),
    "list_2d": lambda I: I([[0, 1], [2, 1]]),
    "dim1": lambda I: (slice(None), I([3, 0, 1])),
    "dim2_ellipsis": lambda I: (Ellipsis, I([4, 0])),
    "two_adjacent": lambda I: (I([0, 2]), I([1, 3])),
    "two_adjacent_last": lambda I: (slice(None), I([0, 1]), I([2, 3])),
    "non_adjacent": lambda I: (I([0, 1]), slice(None), I([2, 3])),
    "non_adjacent_int": lambda I: (I([0, 1]), 1, I([2, 3])),
    "int_then_list_last": lambda I: (1, slice(None), I([2, 3])),
    "int_then_list": lambda I: (1, I([2, 3])),
    "broadcast_idx": lambda I: (I([[0], [2]]), I([1, 3])),
    "broadcast_non_adjacent": lambda I: (I([[0], [1]]), slice(1, 3), I([0, 4, 2])),
    "all_three": lambda I: (I([0, 1, 2]), I([0, 1, 2]), I([0, 1, 2])),
    "with_none": lambda I: (None, I([0, 2])),
    "slice_step_then_list": lambda I: (slice(None, None, 2), I([1, 3])),
    "empty_list": lambda I: I([]),
}


def _np_index(key):
    return ADV[key](lambda v: np.array(v, dtype=np.int64))


def adv_reference(ref, key):
    """numpy's result, except where PyTorch's rule differs: PyTorch applies integer indices as
    select() first, so an int does not make index tensors around a slice non-adjacent."""
    if key == "int_then_list_last":  # x[1, :, [2, 3]] -> x[1][:, [2, 3]]
        return ref[1][:, np.array([2, 3])]
    return ref[_np_index(key)]


def test_getitem_nested_python_list_is_a_tuple_of_indices():
    # PyTorch (like old numpy) reads a Python list that contains sequences as a tuple of indices:
    # x[[[0, 1], [2, 1]]] is x[[0, 1], [2, 1]], not an index array of shape (2, 2)
    x, ref = base()
    assert_same(x[[[0, 1], [2, 1]]], ref[[0, 1], [2, 1]])
    assert_same(x[[[0, 1]]], ref[[0, 1]])
    # a tensor (or numpy array) index is always an index array
    assert_same(x[pe.tensor([[0, 1], [2, 1]])], ref[np.array([[0, 1], [2, 1]])])


# (A nested Python list is a tuple of indices, not one 2-d index: list_2d as a list is covered by
# test_getitem_nested_python_list_..., so that pair is not generated.)
@pytest.mark.parametrize("key,kind", [(k, c) for c in ["tensor", "list", "int32_tensor", "numpy"] for k in ADV
                                      if (k, c) != ("list_2d", "list")])
def test_getitem_advanced(key, kind):
    x, ref = base()
    if kind == "tensor":
        conv = lambda v: pe.tensor(v, dtype=pe.int64)  # noqa: E731
    elif kind == "int32_tensor":
        conv = lambda v: pe.tensor(v, dtype=pe.int32)  # noqa: E731
    elif kind == "numpy":
        conv = lambda v: np.array(v, dtype=np.int64)  # noqa: E731
    else:
        conv = list
    if key == "empty_list" and kind != "list":
        conv_ = conv
        conv = lambda v: conv_(v) if kind == "numpy" else pe.tensor(v, dtype=pe.int64)  # noqa: E731
    idx = ADV[key](conv)
    r = adv_reference(ref, key)
    y = x[idx]
    assert_same(y, r)
    if r.size:
        assert not same_storage(y, x)


@pytest.mark.parametrize("key", list(ADV))
def test_getitem_advanced_matches_torch(key):
    torch = require_torch()
    x, ref = base()
    y = x[ADV[key](lambda v: pe.tensor(v, dtype=pe.int64))]
    ty = torch.from_numpy(ref)[ADV[key](lambda v: torch.tensor(v, dtype=torch.int64))]
    assert_same(y, ty.numpy())


@pytest.mark.parametrize("key", ["list", "non_adjacent", "two_adjacent_last", "broadcast_idx"])
@pytest.mark.parametrize("name", ["int8", "uint8", "float64", "bool", "bfloat16", "int16"])
def test_getitem_advanced_dtypes(key, name):
    x, ref = base(name)
    idx = ADV[key](lambda v: pe.tensor(v))
    assert_same(x[idx], adv_reference(ref, key))


def test_getitem_advanced_on_noncontiguous():
    x, ref = make((5, 4, 3))
    x, ref = x.permute(2, 0, 1)[:, 1::2], ref.transpose(2, 0, 1)[:, 1::2]
    idx_np = (np.array([2, 0]), slice(None), np.array([3, 1]))
    y = x[pe.tensor([2, 0]), :, pe.tensor([3, 1])]
    assert_same(y, ref[idx_np])
    e, eref = make((1, 4))
    e, eref = e.expand(3, 4), np.broadcast_to(eref, (3, 4))
    assert_same(e[[2, 0], 1:], eref[[2, 0], 1:])


def test_getitem_advanced_result_is_contiguous_copy():
    x = pe.arange(12.0).view(3, 4)
    y = x[[0, 2]]
    assert y.is_contiguous()
    y[0, 0] = 100.0
    assert x[0, 0].item() == 0.0


@pytest.mark.parametrize("call,exc", [
    (lambda m: m.ones(3)[m.tensor([5])], IndexError),
    (lambda m: m.ones(3)[m.tensor([-4])], IndexError),
    (lambda m: m.ones(3, 4)[[0, 3]], IndexError),
    (lambda m: m.ones(3, 4)[:, [4]], IndexError),
    (lambda m: m.ones(3)[m.tensor([1.0])], IndexError),
    (lambda m: m.ones(3, 4)[m.tensor([0, 1]), m.tensor([0, 1, 2])], IndexError),
], ids=["oob", "oob_neg", "list_oob", "dim1_oob", "float_index", "shape_mismatch"])
def test_getitem_advanced_bad(call, exc):
    assert_raises_like_torch(exc, call)


# ---------------------------------------------------------------------------------------------
# __setitem__
# ---------------------------------------------------------------------------------------------

SET_KEYS = {
    "int": 1,
    "neg_int": (-1, 2),
    "slice_step": (slice(None, None, 2), slice(1, None, 2)),
    "ellipsis": (Ellipsis, 3),
    "none": (None, 0),
    "all": slice(None),
    "point": (2, 3, 4),
}


@pytest.mark.parametrize("key", list(SET_KEYS))
@pytest.mark.parametrize("value", [7, -2.5, True])
@pytest.mark.parametrize("name", ["float32", "int64", "uint8", "bool", "float16"])
def test_setitem_scalar(key, value, name):
    x, ref = base(name)
    idx = SET_KEYS[key]
    if name == "uint8" and value == -2.5:
        value = 2.5
    x[idx] = value
    ref[idx] = value
    assert_same(x, ref)


@pytest.mark.parametrize("key", ["int", "slice_step", "ellipsis", "all"])
def test_setitem_broadcast_tensor(key):
    x, ref = base()
    idx = SET_KEYS[key]
    shape = ref[idx].shape
    vshape = (1,) * (len(shape) - 1) + shape[-1:] if shape else ()
    v, vref = make(vshape, "float64")  # different dtype: converted on assignment
    vref = vref + 100
    v = v + 100
    x[idx] = v
    ref[idx] = vref
    assert_same(x, ref)


def test_setitem_same_shape_tensor_and_list():
    x, ref = base("int32")
    x[0] = pe.arange(20).view(4, 5)
    ref[0] = np.arange(20).reshape(4, 5)
    x[1, 0] = pe.tensor([9, 8, 7, 6, 5])
    ref[1, 0] = [9, 8, 7, 6, 5]
    assert_same(x, ref)


def test_setitem_from_noncontiguous_and_expanded_source():
    x, ref = make((3, 4))
    src, sref = make((4, 3), "float32")
    x[...] = src.t()
    ref[...] = sref.T
    assert_same(x, ref)
    row = pe.tensor([1.0, 2.0, 3.0, 4.0]).expand(3, 4)
    x[:] = row
    ref[:] = np.array([1.0, 2.0, 3.0, 4.0])
    assert_same(x, ref)


def test_setitem_on_view_writes_base():
    x, ref = base()
    v = x.permute(2, 0, 1)[1::2]
    v[:, 1] = -99.0
    ref.transpose(2, 0, 1)[1::2][:, 1] = -99.0
    assert_same(x, ref)


@pytest.mark.parametrize("key", ["full", "dim0", "dim1", "dim2_after_int", "all_false"])
@pytest.mark.parametrize("name", ["float32", "int16", "bool"])
def test_setitem_mask_scalar(key, name):
    x, ref = base(name)
    m_np, wrap = MASKS[key]
    x[wrap(pe.from_numpy(m_np))] = 1
    ref[wrap(m_np)] = 1
    assert_same(x, ref)


def test_setitem_mask_tensor_values():
    x, ref = base()
    m = ref > 0
    n = int(m.sum())
    vals = np.arange(n, dtype=np.float32)
    x[pe.from_numpy(m)] = pe.from_numpy(vals)
    ref[m] = vals
    assert_same(x, ref)
    # broadcast value into masked rows
    m0 = np.array([True, False, True])
    row = np.arange(5, dtype=np.float32) * 10
    x[pe.from_numpy(m0)] = pe.from_numpy(row)
    ref[m0] = row
    assert_same(x, ref)


@pytest.mark.parametrize("key", ["list", "list_neg", "dim1", "two_adjacent", "non_adjacent", "broadcast_idx",
                                 "all_three", "dim2_ellipsis"])
def test_setitem_index_tensors(key):
    x, ref = base()
    idx = ADV[key](lambda v: pe.tensor(v))
    ni = _np_index(key)
    x[idx] = -5.0
    ref[ni] = -5.0
    assert_same(x, ref)
    shape = ref[ni].shape
    vals = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape) + 50
    x[idx] = pe.from_numpy(vals.copy())
    ref[ni] = vals
    assert_same(x, ref)


def test_setitem_index_list_with_list_value():
    x = pe.zeros(5, dtype=pe.int64)
    x[[0, 3]] = pe.tensor([7, 8])
    x[[1]] = 9
    assert x.tolist() == [7, 9, 0, 8, 0]


def test_setitem_converts_dtype():
    x = pe.zeros(3, dtype=pe.int32)
    x[0] = 2.9
    x[1] = pe.tensor(-1.5)
    x[2] = True
    assert x.tolist() == [2, -1, 1]
    b = pe.zeros(2, dtype=pe.bool)
    b[0] = 3
    assert b.tolist() == [True, False]


def test_setitem_shape_mismatch_raises():
    assert_raises_like_torch(RuntimeError, lambda m: m.zeros(3, 4).__setitem__(0, m.ones(3)))
    assert_raises_like_torch(RuntimeError, lambda m: m.zeros(3, 4).__setitem__(slice(None), m.ones(2, 4)))


def test_setitem_out_of_range_raises():
    assert_raises_like_torch(IndexError, lambda m: m.zeros(3).__setitem__(3, 1.0))
    assert_raises_like_torch(IndexError, lambda m: m.zeros(3).__setitem__(m.tensor([0, 5]), 1.0))


# ---------------------------------------------------------------------------------------------
# bad indices
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call,exc", [
    (lambda m: m.ones(2, 3)[5], IndexError),
    (lambda m: m.ones(2, 3)[-3], IndexError),
    (lambda m: m.ones(2, 3)[:, 7], IndexError),
    (lambda m: m.ones(2, 3)[0, 0, 0], IndexError),
    (lambda m: m.ones(2, 3)[..., 0, 0, 0], IndexError),
    (lambda m: m.ones(2, 3)[::-1], ValueError),
    (lambda m: m.ones(2, 3)[:, ::-2], ValueError),
    (lambda m: m.ones(2, 3)[::0], ValueError),
    (lambda m: m.ones(3)[1.5], IndexError),
    (lambda m: m.ones(3)["a"], TypeError),
    (lambda m: m.ones(3)[{}], IndexError),
], ids=["int_oob", "neg_oob", "dim1_oob", "too_many", "too_many_ellipsis", "neg_step",
        "neg_step2", "zero_step", "float", "str", "dict"])
def test_getitem_bad(call, exc):
    assert_raises_like_torch(exc, call)
