"""Tensor.storage(): a flat typed view of the whole memory, shared by every view of a tensor."""
import warnings

import numpy as np
import pytest

import pyengine as pe
from pe_testing import DTYPE_NAMES, ITEMSIZE, pe_dtype, ref_torch


def torch_storage_str(fn):
    torch = ref_torch()
    if torch is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return str(fn(torch).storage())


def test_storage_len_list_and_dtype():
    x = pe.arange(6.0).view(2, 3)
    s = x.storage()
    assert len(s) == 6
    assert s.size() == 6
    assert list(s) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert s.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert s.dtype is pe.float32
    assert s.device == pe.device("cpu")
    assert s[4] == 4.0
    assert s.nbytes() == 24
    assert s.element_size() == 4


@pytest.mark.parametrize("view", [
    lambda x: x.t(), lambda x: x[1:], lambda x: x[:, ::2], lambda x: x.view(-1), lambda x: x[1, 2],
    lambda x: x.expand(2, 3, 4), lambda x: x.unsqueeze(0), lambda x: x.diagonal(), lambda x: x.detach(),
    lambda x: x.narrow(1, 1, 2), lambda x: x.permute(1, 0), lambda x: x.split(1)[1],
], ids=["t", "rows", "cols_step", "flat", "elem", "expand", "unsqueeze", "diag", "detach", "narrow", "permute",
        "split"])
def test_storage_shared_between_views(view):
    x = pe.arange(12.0).view(3, 4)
    v = view(x)
    assert v.storage().data_ptr() == x.storage().data_ptr()
    assert len(v.storage()) == 12  # the whole storage, not just the view's elements


def test_storage_not_shared_after_copy():
    x = pe.arange(12.0).view(3, 4)
    for y in (x.clone(), x.t().contiguous(), x.t().reshape(-1), x[[0, 1]], x.to(pe.float64)):
        assert y.storage().data_ptr() != x.storage().data_ptr()


def test_storage_of_offset_view_starts_at_element_zero():
    x = pe.arange(10, dtype=pe.int64)
    v = x[3:7]
    assert v.storage_offset() == 3
    assert v.storage().data_ptr() == x.data_ptr()
    assert v.data_ptr() == v.storage().data_ptr() + 3 * 8
    assert v.storage().tolist() == list(range(10))


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_storage_dtype_element_size(name):
    x = pe.zeros(5, dtype=pe_dtype(name))
    s = x.storage()
    assert s.dtype is pe_dtype(name)
    assert s.element_size() == ITEMSIZE[name]
    assert len(s) == 5
    assert s.nbytes() == 5 * ITEMSIZE[name]


def test_storage_write_visible_in_tensor():
    x = pe.zeros(2, 2)
    s = x.storage()
    s[3] = 7.0
    assert x[1, 1].item() == 7.0
    s.fill_(2.0)
    assert x.tolist() == [[2.0, 2.0], [2.0, 2.0]]
    x[0, 0] = -1.0
    assert s[0] == -1.0


def test_storage_clone_is_independent():
    x = pe.zeros(3)
    c = x.storage().clone()
    c[0] = 5.0
    assert x[0].item() == 0.0
    assert c.data_ptr() != x.storage().data_ptr()


@pytest.mark.parametrize("make_t,text", [
    (lambda m: m.arange(2.0), " 0.0\n 1.0\n[torch.storage.TypedStorage(dtype=torch.float32, device=cpu) of size 2]"),
    (lambda m: m.arange(2), " 0\n 1\n[torch.storage.TypedStorage(dtype=torch.int64, device=cpu) of size 2]"),
    (lambda m: m.tensor([True, False]),
     " True\n False\n[torch.storage.TypedStorage(dtype=torch.bool, device=cpu) of size 2]"),
    (lambda m: m.tensor([1.5, 2.25], dtype=m.float64),
     " 1.5\n 2.25\n[torch.storage.TypedStorage(dtype=torch.float64, device=cpu) of size 2]"),
    (lambda m: m.tensor([1.5, 2.25]).half(),
     " 1.5\n 2.25\n[torch.storage.TypedStorage(dtype=torch.float16, device=cpu) of size 2]"),
    (lambda m: m.empty(0), " \n[torch.storage.TypedStorage(dtype=torch.float32, device=cpu) of size 0]"),
    (lambda m: m.arange(4.0).view(2, 2).t()[1],
     " 0.0\n 1.0\n 2.0\n 3.0\n[torch.storage.TypedStorage(dtype=torch.float32, device=cpu) of size 4]"),
], ids=["float32", "int64", "bool", "float64", "float16", "empty", "view"])
def test_storage_printing(make_t, text):
    s = make_t(pe).storage()
    assert str(s) == text
    assert repr(s) == text
    t = torch_storage_str(make_t)
    if t is not None:
        assert t == text


def test_tensor_from_storage_shares():
    x = pe.arange(6.0)
    y = pe.Tensor(x.storage())
    assert y.data_ptr() == x.data_ptr()
    y[5] = 50.0
    assert x[5].item() == 50.0


def test_storage_after_resize_grows():
    x = pe.arange(4.0)
    x.resize_(10)
    assert len(x.storage()) >= 10
    assert x.storage().tolist()[:4] == [0.0, 1.0, 2.0, 3.0]


def test_storage_of_from_numpy_is_the_array():
    a = np.arange(5, dtype=np.int32)
    x = pe.from_numpy(a)
    s = x.storage()
    assert s.data_ptr() == a.ctypes.data
    assert len(s) == 5
    a[2] = 20
    assert s[2] == 20


def test_storage_iteration_types():
    assert all(type(v) is int for v in pe.arange(3).storage())
    assert all(type(v) is float for v in pe.arange(3.0).storage())
    assert all(type(v) is bool for v in pe.tensor([True, False]).storage())
