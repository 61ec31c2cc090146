"""Tensor.__array__(dtype=None, copy=None) follows numpy 2's protocol: copy=None shares memory unless a
dtype change needs a copy, copy=True always copies, copy=False never does (ValueError when it would
have to: a dtype change, a tensor that requires grad)."""
import numpy as np
import pytest

import pyengine as pe

torch = pytest.importorskip("torch")


def _x():
    return pe.arange(6.0).reshape(2, 3)


def test_copy_none_shares_memory_like_torch():
    x, tx = _x(), torch.arange(6.0).reshape(2, 3)
    a, ta = np.asarray(x), np.asarray(tx)
    assert np.shares_memory(a, x.numpy()) and np.shares_memory(ta, tx.numpy())
    b = np.asarray(x, dtype=np.float64)  # a dtype change copies
    assert b.dtype == np.float64 and not np.shares_memory(b, x.numpy())
    np.testing.assert_array_equal(b, np.asarray(tx, dtype=np.float64))


def test_copy_true_always_copies():
    x = _x()
    for dt in (None, np.float32, np.int64):
        a = x.__array__(dtype=dt, copy=True)
        assert not np.shares_memory(a, x.numpy())
        np.testing.assert_array_equal(a, x.numpy().astype(dt or np.float32))
    a = np.array(x, copy=True)
    a[0, 0] = 99
    assert x[0, 0].item() == 0
    t = x.t()  # a non-contiguous tensor copies too, with its values
    np.testing.assert_array_equal(np.array(t, copy=True), x.numpy().T)


def test_copy_false_never_copies():
    x = _x()
    a = np.asarray(x, copy=False)
    assert np.shares_memory(a, x.numpy())
    assert np.shares_memory(x.__array__(dtype=np.float32, copy=False), x.numpy())
    with pytest.raises(ValueError):
        x.__array__(dtype=np.float64, copy=False)
    with pytest.raises(ValueError):
        np.asarray(x, dtype=np.int32, copy=False)
    with pytest.raises(ValueError):
        np.asarray(pe.ones(3, requires_grad=True), copy=False)


def test_requires_grad_tensor():
    x = pe.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError):  # as torch: numpy() of a tensor that requires grad
        np.asarray(x)
    with pytest.raises(RuntimeError):
        np.asarray(torch.ones(3, requires_grad=True))
    a = x.__array__(copy=True)  # an explicit copy of the (detached) values
    np.testing.assert_array_equal(a, np.ones(3, np.float32))
