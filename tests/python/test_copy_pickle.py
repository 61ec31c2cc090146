"""copy.deepcopy and pickle of tensors, Parameters and modules behave as in PyTorch; torch.tensor and
indexing take any sequence type (range, tuple, deque, array.array, numpy scalars and arrays in lists)."""
import array
import collections
import copy
import pickle

import numpy as np
import pytest

import pyengine as pe
from pyengine import nn

torch = pytest.importorskip("torch")


def _layouts(m):
    base = m.arange(24.0).reshape(4, 6)
    return {"contig": base, "t": base.t(), "slice": base[1:, ::2], "scalar": m.tensor(2.5),
            "empty": m.empty(0, 3), "int": m.arange(5), "bool": m.tensor([True, False]),
            "f64": m.arange(4.0, dtype=m.float64).reshape(2, 2).t(), "bf16": m.arange(4.0).to(m.bfloat16)}


@pytest.mark.parametrize("name", list(_layouts(pe)))
@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_tensor_round_trip_keeps_dtype_strides_values(name, how):
    x, tx = _layouts(pe)[name], _layouts(torch)[name]
    do = copy.deepcopy if how == "deepcopy" else (lambda t: pickle.loads(pickle.dumps(t)))
    y, ty = do(x), do(tx)
    assert y is not x and str(y.dtype) == str(ty.dtype) == str(x.dtype)
    assert y.shape == x.shape and y.stride() == ty.stride() and y.storage_offset() == ty.storage_offset()
    assert y.float().tolist() == ty.float().tolist()
    if x.numel():
        assert y.data_ptr() != x.data_ptr()  # a copy, not an alias


def test_deepcopy_keeps_requires_grad_grad_and_attributes():
    for m in (pe, torch):
        x = m.ones(3, requires_grad=True)
        (x * 2).sum().backward()
        x.note = {"k": [1]}
        y = copy.deepcopy(x)
        assert y.requires_grad and y.is_leaf and y.grad is not None and y.grad.tolist() == [2.0, 2.0, 2.0]
        assert y.grad.data_ptr() != x.grad.data_ptr()
        assert y.note == {"k": [1]} and y.note is not x.note


def test_deepcopy_views_share_one_new_storage():
    for m in (pe, torch):
        base = m.arange(6.0)
        view = base[2:5]
        b2, v2 = copy.deepcopy([base, view])
        v2[0] = 100.0
        assert b2[2].item() == 100.0 and base[2].item() == 2.0
        assert v2.storage_offset() == 2
        c2 = copy.deepcopy(view)  # on its own (another memo): a copy of the storage of its own
        c2[0] = -1.0
        assert view[0].item() == 2.0


def test_deepcopy_non_leaf_raises_like_torch():
    for m in (pe, torch):
        x = m.ones(2, requires_grad=True) * 2
        with pytest.raises(RuntimeError, match="Only Tensors created explicitly by the user"):
            copy.deepcopy(x)


def test_pickle_keeps_requires_grad():
    for m in (pe, torch):
        y = pickle.loads(pickle.dumps(m.ones(2, requires_grad=True)))
        assert y.requires_grad and y.is_leaf and y.grad is None


def test_parameter_deepcopy_and_pickle_stay_parameters():
    for m in (pe, torch):
        p = m.nn.Parameter(m.ones(2, 3))
        p.grad = m.ones(2, 3)
        for q in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
            assert type(q) is m.nn.Parameter and q.requires_grad and q.tolist() == p.tolist()
            assert q.grad is None  # as torch: Parameter.__deepcopy__ / pickling drops the gradient
        frozen = m.nn.Parameter(m.ones(2), requires_grad=False)
        assert not copy.deepcopy(frozen).requires_grad and not pickle.loads(pickle.dumps(frozen)).requires_grad


def _net(m):
    m.manual_seed(0)
    net = m.nn.Sequential(m.nn.Linear(3, 4), m.nn.BatchNorm1d(4), m.nn.ReLU(), m.nn.Linear(4, 2))
    net.shared = net[0].weight  # one Parameter reachable twice
    return net


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_module_round_trip(how):
    do = copy.deepcopy if how == "deepcopy" else (lambda t: pickle.loads(pickle.dumps(t)))
    net = _net(pe)
    x = pe.randn(5, 3)
    net(x)  # running stats move
    twin = do(net)
    assert type(twin) is type(net) and twin is not net
    for (n, p), (n2, p2) in zip(net.named_parameters(), twin.named_parameters()):
        assert n == n2 and type(p2) is nn.Parameter and p2.requires_grad
        assert p2.data_ptr() != p.data_ptr() and p2.tolist() == p.tolist()
    for (n, b), (n2, b2) in zip(net.named_buffers(), twin.named_buffers()):
        assert n == n2 and b2.tolist() == b.tolist() and b2.dtype == b.dtype
    assert twin.shared is twin[0].weight
    net.eval(), twin.eval()
    np.testing.assert_array_equal(twin(x).detach().numpy(), net(x).detach().numpy())
    # the copy trains on its own
    twin[0].weight.data.zero_()
    assert net[0].weight.abs().sum().item() > 0


@pytest.mark.parametrize("data", [
    range(5), range(0), range(2, 11, 3), (1, 2), [range(2), range(2)], collections.deque([1, 2, 3]),
    array.array("i", [1, 2]), array.array("d", [0.5, 1.5]), [np.int32(1), np.int32(2)], [np.float32(1.5), 2],
    [np.uint8(3)], [np.bool_(True), False], [np.int32(1), 2.5],
    [np.array([1, 2], dtype=np.int16), np.array([3, 4], dtype=np.int16)], ((1.5, 2), (3, 4)),
], ids=lambda d: type(d).__name__)
def test_tensor_from_sequences_like_torch(data):
    ours, theirs = pe.tensor(data), torch.tensor(data)
    assert str(ours.dtype) == str(theirs.dtype) and ours.tolist() == theirs.tolist()
    assert pe.as_tensor(data).tolist() == torch.as_tensor(data).tolist()


@pytest.mark.parametrize("data", [{1: 0}.keys(), b"ab", "ab", {1, 2}], ids=["dict_keys", "bytes", "str", "set"])
def test_tensor_from_non_sequences_raises_like_torch(data):
    with pytest.raises(Exception) as theirs:
        torch.tensor(data)
    with pytest.raises(theirs.type):
        pe.tensor(data)


@pytest.mark.parametrize("idx", [range(2), range(1, 8, 3), [np.int64(1), np.int64(3)], np.int64(2),
                                 collections.deque([0, 4])], ids=str)
def test_index_with_sequences_like_torch(idx):
    x, tx = pe.arange(10), torch.arange(10)
    assert x[idx].tolist() == tx[idx].tolist()
    x[idx] = -1
    tx[idx] = -1
    assert x.tolist() == tx.tolist()
