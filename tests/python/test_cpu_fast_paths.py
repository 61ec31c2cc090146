"""The CPU fast paths of issue 18: tiled iteration for operands walked against their memory order
(Note [Tiled iteration]: transposed copies, `a + b.t()`) and out= written directly by the kernel
(Note [out= destination]). Values against numpy on contiguous, transposed, strided, broadcast, 0-d
and empty inputs, with sizes that are not multiples of the tile (tails)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import pyengine as pe

SHAPES = [(32, 32), (33, 65), (100, 7), (7, 100), (64, 40), (1, 50), (129, 1), (0, 40)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.uint8])
def test_transposed_copy(shape, dtype):
    x = (np.arange(np.prod(shape)).reshape(shape) % 251).astype(dtype)
    t = pe.from_numpy(x)
    np.testing.assert_array_equal(t.t().contiguous().numpy(), x.T)
    out = pe.empty(shape[1], shape[0], dtype=t.dtype)
    out.copy_(t.t())
    np.testing.assert_array_equal(out.numpy(), x.T)
    # with a cast on the way
    np.testing.assert_array_equal(t.t().double().numpy(), x.T.astype(np.float64))


@pytest.mark.parametrize("perm", [(1, 0, 2), (2, 1, 0), (0, 2, 1), (2, 0, 1)])
def test_permuted_copy_3d(perm):
    x = np.random.default_rng(0).standard_normal((35, 40, 33)).astype(np.float32)
    t = pe.from_numpy(x)
    np.testing.assert_array_equal(t.permute(*perm).contiguous().numpy(), np.ascontiguousarray(x.transpose(perm)))
    # strided on top (every other row)
    np.testing.assert_array_equal(t[::2].permute(*perm).contiguous().numpy(),
                                  np.ascontiguousarray(x[::2].transpose(perm)))


@pytest.mark.parametrize("shape", SHAPES)
def test_binary_with_transposed_operand(shape):
    rng = np.random.default_rng(1)
    a = rng.standard_normal(shape).astype(np.float32)
    b = rng.standard_normal(shape[::-1]).astype(np.float32)
    pa, pb = pe.from_numpy(a), pe.from_numpy(b)
    np.testing.assert_array_equal((pa + pb.t()).numpy(), a + b.T)
    np.testing.assert_array_equal((pb.t() * pa).numpy(), b.T * a)
    # broadcast row beside a transposed operand
    row = rng.standard_normal(shape[1:]).astype(np.float32)
    np.testing.assert_array_equal((pb.t() - pe.from_numpy(row)).numpy(), b.T - row)
    # in place, the transposed operand read tiled
    c = pa.clone()
    c.add_(pb.t())
    np.testing.assert_array_equal(c.numpy(), a + b.T)
    # out= with a transposed output
    o = pe.empty(shape[::-1]).t()
    pe.add(pa, pb.t(), out=o)
    np.testing.assert_array_equal(o.numpy(), a + b.T)


def test_tiled_threads_cover_everything():
    x = np.random.default_rng(2).standard_normal((1000, 999)).astype(np.float32)  # many tiles, tails
    t = pe.from_numpy(x)
    old = pe.get_num_threads()
    try:
        for n in (1, 2, 3):
            pe.set_num_threads(n)
            np.testing.assert_array_equal(t.t().contiguous().numpy(), x.T)
            np.testing.assert_array_equal(pe.exp(t.t()).numpy(), pe.exp(pe.from_numpy(x.T.copy())).numpy())
    finally:
        pe.set_num_threads(old)


def test_out_written_in_place():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((50, 40)).astype(np.float32)
    b = rng.standard_normal((50, 40)).astype(np.float32)
    pa, pb = pe.from_numpy(a), pe.from_numpy(b)
    c = pe.empty(50, 40)
    ptr, ver = c.data_ptr(), c._version
    r = pe.add(pa, pb, out=c)
    assert r is c and c.data_ptr() == ptr and c._version > ver
    np.testing.assert_array_equal(c.numpy(), a + b)
    pe.exp(pa, out=c)
    np.testing.assert_array_equal(c.numpy(), pe.exp(pa).numpy())
    pe.mul(pa, 2.5, out=c)
    np.testing.assert_array_equal(c.numpy(), a * np.float32(2.5))
    pe.sub(pa, pb, alpha=2, out=c)
    np.testing.assert_allclose(c.numpy(), a - 2 * b, rtol=1e-6)


@pytest.mark.parametrize("case", ["alias_input", "alias_other", "view_of_input", "from_numpy_alias"])
def test_out_aliasing_inputs(case):
    rng = np.random.default_rng(4)
    a = rng.standard_normal((6, 8)).astype(np.float32)
    b = rng.standard_normal((6, 8)).astype(np.float32)
    pa, pb = pe.from_numpy(a.copy()), pe.from_numpy(b.copy())
    if case == "alias_input":
        pe.add(pa, pb, out=pa)
        np.testing.assert_array_equal(pa.numpy(), a + b)
    elif case == "alias_other":
        pe.sub(pa, pb, out=pb)
        np.testing.assert_array_equal(pb.numpy(), a - b)
    elif case == "view_of_input":
        base = pe.from_numpy(np.concatenate([a, b]))
        pe.add(base[:6], base[6:], out=base[6:])
        np.testing.assert_array_equal(base[6:].numpy(), a + b)
    else:
        arr = a.copy()
        x, y = pe.from_numpy(arr), pe.from_numpy(arr)  # two tensors over one buffer
        pe.mul(x, pb, out=y)
        np.testing.assert_array_equal(arr, a * b)


def test_out_other_dtype_shape_and_grad():
    a = pe.randn(5, 4)
    b = pe.randn(5, 4)
    d = pe.empty(5, 4, dtype=pe.float64)  # cast on the way in
    pe.add(a, b, out=d)
    np.testing.assert_array_equal(d.numpy(), (a + b).numpy().astype(np.float64))
    with warnings.catch_warnings(record=True) as w:  # resized, with PyTorch's warning
        warnings.simplefilter("always")
        r = pe.empty(3)
        pe.add(a, b, out=r)
    assert r.shape == (5, 4) and len(w) == 1
    np.testing.assert_array_equal(r.numpy(), (a + b).numpy())
    e = pe.empty(0)
    pe.add(a, b, out=e)  # empty out: resized silently
    assert e.shape == (5, 4)
    with pytest.raises(RuntimeError):  # out must not alias itself
        pe.add(a[0], b[0], out=pe.empty(1).expand(4))
    x = pe.randn(5, 4, requires_grad=True)
    c = pe.zeros(5, 4)
    with pytest.raises(RuntimeError, match="automatic differentiation"):
        pe.add(x, b, out=c)
    assert (c.numpy() == 0).all()  # untouched
    with pe.no_grad():
        pe.add(x, b, out=c)
    np.testing.assert_array_equal(c.numpy(), (x.detach() + b).numpy())
    assert not c.requires_grad
    # 0-d and empty operands
    z = pe.empty(())
    pe.add(pe.tensor(1.5), pe.tensor(2.0), out=z)
    assert z.item() == 3.5
    o = pe.empty(0, 3)
    pe.add(pe.empty(0, 3), pe.empty(0, 3), out=o)
    assert o.shape == (0, 3)
