"""gather / scatter / scatter_add / index_select / index_add / index_fill / index_copy / take /
take_along_dim against numpy (take_along_axis, np.add.at, loops), on strided inputs and indices,
with PyTorch's bounds and dtype errors."""
import numpy as np
import pytest

import pyengine as pe
from pe_testing import DTYPE_NAMES, assert_raises_like_torch, assert_same, make, make_layout, to_np

RNG = np.random.default_rng(7)
WRITABLE = ["contiguous", "transposed", "sliced_step"]


def rand_index(shape, high, *, layout="contiguous"):
    """(pe int64 index, numpy index) of the given shape, values in [0, high), in a layout."""
    if layout == "transposed":
        a = RNG.integers(0, high, size=shape[::-1])
        return pe.tensor(a).t(), a.T
    if layout == "expanded":
        a = RNG.integers(0, high, size=(1,) + tuple(shape[1:]))
        return pe.tensor(a).expand(*shape), np.broadcast_to(a, shape)
    a = RNG.integers(0, high, size=shape)
    return pe.tensor(a), a


def np_scatter(x, dim, idx, src, op="assign"):
    x = x.copy()
    for p in np.ndindex(*idx.shape):
        q = list(p)
        q[dim] = idx[p]
        q = tuple(q)
        v = src[p] if isinstance(src, np.ndarray) else src
        if op == "assign":
            x[q] = v
        elif op == "add":
            x[q] = x[q] + v
        else:
            with np.errstate(over="ignore"):  # uint8 products wrap, as in the engine
                x[q] = x[q] * v
    return x


# ---------------------------------------------------------------------------------------------
# gather
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced_step", "expanded"])
@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_gather_matches_take_along_axis(layout, name):
    t, ref = make_layout(layout, name)  # (3, 4)
    for dim in (0, 1, -1):
        for ilayout in ("contiguous", "transposed", "expanded"):
            # larger than the input along dim, smaller along the other dim
            shape = (5, 3) if dim % 2 == 0 else (2, 6)
            i, ia = rand_index(shape, ref.shape[dim], layout=ilayout)
            r = pe.gather(t, dim, i)
            assert_same(r, np.take_along_axis(ref[:2] if dim % 2 else ref[:, :3], ia, dim), dtype=name)
    assert_same(t.gather(1, pe.tensor([[0], [3], [1]])), np.take_along_axis(ref, np.array([[0], [3], [1]]), 1))


def test_gather_long_row_and_int32_index():
    a = RNG.standard_normal(100000)
    idx = RNG.integers(0, 100000, size=70000)
    assert_same(pe.gather(pe.tensor(a), 0, pe.tensor(idx)), a[idx])
    assert_same(pe.gather(pe.tensor(a), 0, pe.tensor(idx).int()), a[idx])


def test_gather_zero_dim_and_empty():
    assert pe.gather(pe.tensor(5.0), 0, pe.tensor(0)).item() == 5.0
    assert pe.gather(pe.tensor(5.0), 0, pe.tensor([0, 0])).tolist() == [5.0, 5.0]
    assert tuple(pe.gather(pe.zeros(2, 3), 1, pe.zeros(0, 2, dtype=pe.int64)).shape) == (0, 2)
    assert tuple(pe.gather(pe.zeros(2, 3), 0, pe.zeros(0, 5, dtype=pe.int64)).shape) == (0, 5)  # empty: no size check
    assert tuple(pe.gather(pe.zeros(2, 0), 1, pe.zeros(2, 0, dtype=pe.int64)).shape) == (2, 0)


def test_gather_errors():
    x = lambda m: m.arange(6.0).view(2, 3)  # noqa: E731
    assert_raises_like_torch(RuntimeError, lambda m: m.gather(x(m), 1, m.tensor([[0, 5]])))
    assert_raises_like_torch(RuntimeError, lambda m: m.gather(x(m), 1, m.tensor([[0, -1]])))
    assert_raises_like_torch(RuntimeError, lambda m: m.gather(x(m), 1, m.tensor([[0, 1]], dtype=m.int16)))
    assert_raises_like_torch(RuntimeError, lambda m: m.gather(x(m), 1, m.tensor([0, 1])))
    assert_raises_like_torch(RuntimeError, lambda m: m.gather(x(m), 0, m.tensor([[0, 1, 1, 1]])))
    assert_raises_like_torch(RuntimeError, lambda m: m.gather(m.zeros(2, 0), 1, m.zeros(2, 1, dtype=m.int64)))
    assert_raises_like_torch(IndexError, lambda m: m.gather(x(m), 2, m.zeros(2, 1, dtype=m.int64)))
    assert_raises_like_torch(TypeError, lambda m: m.gather(x(m), 1, None))
    with pytest.raises(RuntimeError, match="index 5 is out of bounds for dimension 1 with size 3"):
        pe.gather(x(pe), 1, pe.tensor([[0, 5]]))


def test_gather_out():
    o = pe.empty(0)
    r = pe.gather(pe.arange(6.0).view(2, 3), 1, pe.tensor([[2, 0]]), out=o)
    assert r is o and o.tolist() == [[2.0, 0.0]]
    assert_raises_like_torch(RuntimeError, lambda m: m.gather(m.zeros(2, 3), 1, m.tensor([[0]]),
                                                              out=m.empty(0, dtype=m.float64)))


# ---------------------------------------------------------------------------------------------
# scatter / scatter_add
# ---------------------------------------------------------------------------------------------

def unique_index(shape, dim, high):
    """Index of `shape` whose entries along `dim` are distinct (deterministic assignment)."""
    a = np.empty(shape, dtype=np.int64)
    moved = np.moveaxis(a, dim, -1)
    for p in np.ndindex(*moved.shape[:-1]):
        moved[p] = RNG.permutation(high)[: moved.shape[-1]]
    return pe.tensor(a), a


@pytest.mark.parametrize("layout", WRITABLE)
@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_scatter_src_and_value(layout, name):
    for dim in (0, 1):
        t, ref = make_layout(layout, name)
        shape = (2, 3) if dim == 0 else (3, 2)
        i, ia = unique_index(shape, dim, ref.shape[dim])
        src, sref = make((3, 4), name)
        # src: at least as large as the index (transposed or sliced)
        src, sref = (src.t(), sref.T) if dim == 0 else (src[:, 2:], sref[:, 2:])
        assert_same(pe.scatter(t, dim, i, src), np_scatter(ref, dim, ia, sref), dtype=name)
        assert_same(t.scatter(dim, i, 1), np_scatter(ref, dim, ia, 1))
        before = t.clone()
        r = t.scatter_(dim, i, src=src)
        assert r is t
        assert_same(t, np_scatter(to_np(before), dim, ia, sref))


@pytest.mark.parametrize("name", ["uint8", "int32", "int64", "float16", "bfloat16", "float32", "float64"])
def test_scatter_add_and_reduce_with_duplicates(name):
    t, ref = make((4, 5), name)
    i = RNG.integers(0, 4, size=(6, 5))
    src, sref = make((6, 5), name)
    want = ref.astype(np.float64)
    np.add.at(want, (i, np.arange(5)[None, :].repeat(6, 0)), sref.astype(np.float64))
    assert_same(pe.scatter_add(t, 0, pe.tensor(i), src), want.astype(ref.dtype), rtol=1e-2 if name == "bfloat16" else 0)
    assert_same(t.scatter(0, pe.tensor(i), src, reduce="add"), want.astype(ref.dtype),
                rtol=1e-2 if name == "bfloat16" else 0)
    small = pe.tensor(RNG.integers(1, 3, size=(6, 5))).to(t.dtype)
    assert_same(t.scatter(0, pe.tensor(i), small, reduce="multiply"),
                np_scatter(ref, 0, i, to_np(small), "multiply"))
    assert_same(t.scatter(0, pe.tensor(i), 2, reduce="multiply"), np_scatter(ref, 0, i, 2, "multiply"))
    u = t.clone()
    assert u.scatter_add_(0, pe.tensor(i), src) is u


def test_scatter_many_rows_parallel():
    a = np.zeros((300, 2000))
    i = RNG.integers(0, 2000, size=(300, 3000))
    s = RNG.standard_normal((300, 3000))
    want = a.copy()
    np.add.at(want, (np.arange(300)[:, None].repeat(3000, 1), i), s)
    got = pe.scatter_add(pe.tensor(a), 1, pe.tensor(i), pe.tensor(s))
    assert_same(got, want, rtol=1e-12, atol=1e-12)


def test_scatter_zero_dim_empty_and_int32_index():
    assert pe.scatter(pe.zeros(()), 0, pe.zeros((), dtype=pe.int64), pe.ones(())).item() == 1.0
    x = pe.zeros(2, 3)
    assert pe.scatter(x, 0, pe.zeros(0, 5, dtype=pe.int64), 1.0).tolist() == x.tolist()
    assert pe.scatter(x, 1, pe.tensor([[0, 1]], dtype=pe.int32), 1.0).tolist() == [[1, 1, 0], [0, 0, 0]]
    assert pe.zeros(3).scatter_(0, pe.tensor([0, 0, 1]), pe.tensor([1.0, 2, 3])).tolist() == [2.0, 3.0, 0.0]


def test_scatter_bumps_version_and_value_cast():
    x = pe.zeros(2, 3, dtype=pe.int64)
    v = x._version
    x.scatter_(1, pe.tensor([[0, 1]]), 7.5)
    assert x._version > v and x.tolist() == [[7, 7, 0], [0, 0, 0]]


def test_scatter_errors():
    x = lambda m: m.arange(6.0).view(2, 3)  # noqa: E731
    i = lambda m: m.tensor([[0, 1]])  # noqa: E731
    assert_raises_like_torch(RuntimeError, lambda m: m.scatter(x(m), 1, i(m), m.ones(1, 2, dtype=m.float64)))
    assert_raises_like_torch(RuntimeError, lambda m: m.scatter(x(m), 1, i(m), m.tensor(7.0)))
    assert_raises_like_torch(RuntimeError, lambda m: m.scatter(x(m), 1, i(m), m.ones(1, 1)))
    assert_raises_like_torch(RuntimeError, lambda m: m.scatter(x(m), 1, m.tensor([[0, 3]]), m.ones(1, 2)))
    assert_raises_like_torch(RuntimeError, lambda m: m.scatter(x(m), 1, i(m), m.ones(1, 2), reduce="sum"))
    assert_raises_like_torch(RuntimeError, lambda m: m.scatter(x(m), 1, i(m).float(), 1.0))
    assert_raises_like_torch(RuntimeError, lambda m: m.scatter(x(m), 0, m.zeros(1, dtype=m.int64), m.ones(3)))
    assert_raises_like_torch(RuntimeError, lambda m: m.scatter(x(m), 1, i(m), 1e300))
    assert_raises_like_torch(RuntimeError, lambda m: m.zeros(3).expand(2, 3).scatter_(1, m.tensor([[0]]), 1.0))
    assert_raises_like_torch(TypeError, lambda m: m.scatter_add(x(m), 1, i(m), 1.0))
    assert_raises_like_torch(RuntimeError, lambda m: m.scatter_add(x(m), 1, i(m), m.ones(1, 2, dtype=m.float64)))
    assert_raises_like_torch(IndexError, lambda m: m.scatter(m.zeros(2, 3), 2, i(m), 1.0))


# ---------------------------------------------------------------------------------------------
# index_select / index_add / index_fill / index_copy
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced_step", "expanded"])
@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_index_select(layout, name):
    t, ref = make_layout(layout, name)
    for dim in (0, 1, -1):
        idx = RNG.integers(0, ref.shape[dim], size=7)
        assert_same(pe.index_select(t, dim, pe.tensor(idx)), np.take(ref, idx, axis=dim), dtype=name)
        assert_same(t.index_select(dim, pe.tensor(idx).int()), np.take(ref, idx, axis=dim))
        strided = pe.tensor(np.repeat(idx, 2))[::2]
        assert_same(pe.index_select(t, dim, strided), np.take(ref, idx, axis=dim))
    assert_same(pe.index_select(t, 1, pe.tensor(2)), ref[:, [2]])
    assert tuple(pe.index_select(t, 0, pe.zeros(0, dtype=pe.int64)).shape) == (0, 4)


def test_index_select_zero_dim_and_out():
    assert pe.index_select(pe.tensor(5.0), 0, pe.tensor([0])).item() == 5.0
    o = pe.empty(0)
    assert pe.index_select(pe.arange(4.0), 0, pe.tensor([3, 1]), out=o) is o and o.tolist() == [3.0, 1.0]
    assert_raises_like_torch(RuntimeError, lambda m: m.index_select(m.zeros(3), 0, m.tensor([0]),
                                                                    out=m.empty(0, dtype=m.int64)))


def test_index_select_errors():
    assert_raises_like_torch(IndexError, lambda m: m.index_select(m.arange(3.0), 0, m.tensor([5])))
    assert_raises_like_torch(IndexError, lambda m: m.index_select(m.arange(3.0), 0, m.tensor([-1])))
    assert_raises_like_torch(IndexError, lambda m: m.index_select(m.zeros(2, 3), 1, m.tensor([[0]])))
    assert_raises_like_torch(RuntimeError, lambda m: m.index_select(m.zeros(2, 3), 1, m.tensor([1], dtype=m.int16)))
    assert_raises_like_torch(RuntimeError, lambda m: m.index_select(m.zeros(2, 3), 1, m.tensor([1.0])))
    assert_raises_like_torch(IndexError, lambda m: m.index_select(m.tensor(5.0), 0, m.tensor([1])))


@pytest.mark.parametrize("layout", WRITABLE)
@pytest.mark.parametrize("name", ["uint8", "int8", "int32", "int64", "float16", "bfloat16", "float32", "float64"])
def test_index_add(layout, name):
    for dim in (0, 1):
        t, ref = make_layout(layout, name)
        idx = RNG.integers(0, ref.shape[dim], size=5)  # with repeats
        sshape = list(ref.shape)
        sshape[dim] = 5
        src, sref = make(sshape, name)
        want = np.moveaxis(ref.astype(np.float64).copy(), dim, 0)
        np.add.at(want, idx, 2 * np.moveaxis(sref.astype(np.float64), dim, 0))
        want = np.moveaxis(want, 0, dim).astype(ref.dtype)
        tol = 1e-2 if name == "bfloat16" else 0
        assert_same(pe.index_add(t, dim, pe.tensor(idx), src, alpha=2), want, rtol=tol)
        r = t.index_add_(dim, pe.tensor(idx).int(), src, alpha=2)
        assert r is t
        assert_same(t, want, rtol=tol)


def test_index_add_bool_zero_dim_and_errors():
    r = pe.ones(2, 3, dtype=pe.bool).index_add_(1, pe.tensor([0]), pe.ones(2, 1, dtype=pe.bool))
    assert r.all().item() if hasattr(r, "all") else r.tolist() == [[True] * 3] * 2
    assert pe.index_add(pe.zeros(()), 0, pe.tensor(0), pe.ones(())).item() == 1.0
    assert pe.index_add(pe.zeros(2, 3).long(), 1, pe.tensor([0, 0]), pe.ones(2, 2).long(), alpha=2.5).tolist() == \
        [[4, 0, 0], [4, 0, 0]]
    x = lambda m: m.arange(6.0).view(2, 3)  # noqa: E731
    assert_raises_like_torch(RuntimeError, lambda m: m.index_add(x(m), 1, m.tensor([0, 3]), m.ones(2, 2)))
    assert_raises_like_torch(RuntimeError, lambda m: m.index_add(x(m), 1, m.tensor([0, -1]), m.ones(2, 2)))
    assert_raises_like_torch(RuntimeError, lambda m: m.index_add(x(m), 1, m.tensor([0, 0]), m.ones(2, 3)))
    assert_raises_like_torch(RuntimeError, lambda m: m.index_add(x(m), 1, m.tensor([0, 0]), m.ones(2, 2).double()))
    assert_raises_like_torch(IndexError, lambda m: m.index_add(x(m), 1, m.tensor([[0, 1]]), m.ones(2, 2)))
    assert_raises_like_torch(RuntimeError, lambda m: m.index_add(m.zeros(3, 2), 0, m.tensor([0]), m.ones(1, 3)))
    assert_raises_like_torch(RuntimeError, lambda m: m.index_add(m.zeros(3), 0, m.tensor([0]), m.ones(())))
    assert_raises_like_torch(RuntimeError, lambda m: m.zeros(3).expand(2, 3).index_add_(1, m.tensor([0]), m.ones(2, 1)))
    with pytest.raises(RuntimeError, match="index 3 is out of bounds for dimension 1 with size 3"):
        pe.index_add(x(pe), 1, pe.tensor([0, 3]), pe.ones(2, 2))


@pytest.mark.parametrize("layout", WRITABLE)
@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_index_fill_and_index_copy(layout, name):
    for dim in (0, 1):
        t, ref = make_layout(layout, name)
        n = ref.shape[dim]
        idx = np.array([n - 1, -n, 1])  # negative indices wrap for index_fill
        want = np.moveaxis(ref.copy(), dim, 0)
        want[idx] = 1
        want = np.moveaxis(want, 0, dim)
        assert_same(pe.index_fill(t, dim, pe.tensor(idx), 1), want, dtype=name)
        assert_same(t.index_fill(dim, pe.tensor(idx), pe.tensor(1)), want)
        cidx = RNG.permutation(n)[:2]
        sshape = list(ref.shape)
        sshape[dim] = 2
        src, sref = make(sshape, name)
        want = np.moveaxis(ref.copy(), dim, 0)
        want[cidx] = np.moveaxis(sref, dim, 0)
        want = np.moveaxis(want, 0, dim)
        assert_same(pe.index_copy(t, dim, pe.tensor(cidx), src), want)
        assert t.index_copy_(dim, pe.tensor(cidx), src) is t
        assert_same(t, want)
        assert t.index_fill_(dim, pe.tensor([0]), 0) is t


def test_index_fill_copy_errors():
    x = lambda m: m.arange(6.0).view(2, 3)  # noqa: E731
    assert_raises_like_torch(IndexError, lambda m: x(m).index_fill_(1, m.tensor([0, 3]), -1))
    assert_raises_like_torch(IndexError, lambda m: x(m).index_fill_(1, m.tensor([-4]), -1))
    assert_raises_like_torch(IndexError, lambda m: x(m).index_fill_(1, m.tensor([0], dtype=m.int32), 1))
    assert_raises_like_torch(RuntimeError, lambda m: x(m).index_fill_(1, m.tensor([[0]]), 1))
    assert_raises_like_torch(RuntimeError, lambda m: x(m).index_fill_(1, m.tensor([0]), m.tensor([1.0])))
    assert_raises_like_torch(RuntimeError, lambda m: x(m).long().index_fill_(1, m.tensor([0]), 2 ** 70 * 1.0))
    assert_raises_like_torch(IndexError, lambda m: x(m).index_copy_(1, m.tensor([0, -1]), m.ones(2, 2)))
    assert_raises_like_torch(IndexError, lambda m: x(m).index_copy_(1, m.tensor([0, 3]), m.ones(2, 2)))
    assert_raises_like_torch(RuntimeError, lambda m: x(m).index_copy_(1, m.tensor([0, 2]), m.ones(2, 2).double()))
    assert_raises_like_torch(IndexError, lambda m: x(m).index_copy_(1, m.tensor([0, 2]), m.ones(2, 3)))
    assert_raises_like_torch(RuntimeError, lambda m: x(m).index_copy_(1, m.tensor([0], dtype=m.int32), m.ones(2, 1)))
    assert_raises_like_torch(IndexError, lambda m: x(m).index_copy_(1, m.tensor([[0]]), m.ones(2, 1)))
    assert_raises_like_torch(RuntimeError, lambda m: x(m).index_copy_(1, m.tensor([0]), m.ones(3, 1)))
    assert_raises_like_torch(IndexError, lambda m: x(m).index_copy_(1, m.tensor([0]), m.ones(2, 1, 1)))
    assert pe.tensor(3.0).index_copy_(0, pe.tensor(0), pe.tensor([1.0])).item() == 1.0
    assert pe.tensor(3.0).index_fill_(0, pe.tensor([0]), 1).item() == 1.0


# ---------------------------------------------------------------------------------------------
# take / take_along_dim
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced_step", "expanded", "zero_dim"])
@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_take(layout, name):
    t, ref = make_layout(layout, name)
    n = ref.size
    idx = RNG.integers(-n, n, size=(2, 3))
    assert_same(pe.take(t, pe.tensor(idx)), np.take(ref.reshape(-1), idx), dtype=name)
    assert_same(t.take(pe.tensor(idx).t()), np.take(ref.reshape(-1), idx.T))
    assert_same(pe.take(t, pe.tensor(0)), np.take(ref.reshape(-1), 0))


def test_take_errors_and_empty():
    assert tuple(pe.take(pe.empty(0), pe.zeros(0, 2, dtype=pe.int64)).shape) == (0, 2)
    assert_raises_like_torch(IndexError, lambda m: m.take(m.zeros(2, 3), m.tensor([6])))
    assert_raises_like_torch(IndexError, lambda m: m.take(m.zeros(2, 3), m.tensor([-7])))
    assert_raises_like_torch(RuntimeError, lambda m: m.take(m.zeros(2, 3), m.tensor([1], dtype=m.int32)))
    assert_raises_like_torch(IndexError, lambda m: m.take(m.empty(0), m.tensor([0])))
    with pytest.raises(IndexError, match="out of range: tried to access index 6 on a tensor of 6 elements."):
        pe.take(pe.zeros(2, 3), pe.tensor([6]))


def test_take_along_dim():
    t, ref = make((3, 4), "float32")
    i = RNG.integers(0, 4, size=(1, 5))
    assert_same(pe.take_along_dim(t, pe.tensor(i), dim=1), np.take_along_axis(ref, np.broadcast_to(i, (3, 5)), 1))
    i = RNG.integers(0, 3, size=(2, 1))
    assert_same(t.take_along_dim(pe.tensor(i), 0), np.take_along_axis(ref, np.broadcast_to(i, (2, 4)), 0))
    flat = RNG.integers(0, 12, size=(5,))
    assert_same(pe.take_along_dim(t, pe.tensor(flat)), ref.reshape(-1)[flat])
    o = pe.empty(0)
    assert pe.take_along_dim(t, pe.tensor([[0]]), dim=1, out=o) is o and o.tolist() == [[ref[0, 0]], [ref[1, 0]],
                                                                                        [ref[2, 0]]]
    assert_raises_like_torch(RuntimeError, lambda m: m.take_along_dim(m.zeros(2, 3), m.tensor([0]), dim=1))
    assert_raises_like_torch(RuntimeError, lambda m: m.take_along_dim(m.zeros(2, 3), m.tensor([[0]]).int(), dim=1))


def test_inplace_source_overlapping_self():
    def same(m, op):
        y = m.arange(6.0).view(2, 3).clone()
        return op(y)
    assert_raises_like_torch(RuntimeError, lambda m: same(m, lambda y: y.scatter_(1, m.tensor([[2, 1, 0]]), y)))
    assert_raises_like_torch(RuntimeError, lambda m: same(m, lambda y: y.scatter_add_(1, m.tensor([[2, 1, 0]]), y)))
    assert_raises_like_torch(RuntimeError, lambda m: same(m, lambda y: y.index_add_(1, m.tensor([2, 1, 0]), y)))
    assert_raises_like_torch(RuntimeError, lambda m: same(m, lambda y: y.index_copy_(1, m.tensor([2, 1, 0]), y)))
    # a non-dense view of the same memory is not checked (PyTorch: too hard to tell)
    y = pe.arange(6.0).view(2, 3)
    y.index_copy_(1, pe.tensor([2, 1]), y[:, :2])
    x = pe.arange(6.0).view(2, 3)
    assert x.scatter_(1, pe.tensor([[2, 1, 0]]), x.clone()).tolist() == [[2.0, 1.0, 0.0], [3.0, 4.0, 5.0]]


def test_out_variants():
    x = pe.arange(6.0).view(2, 3)
    cases = [
        (lambda o: pe.take(x, pe.tensor([5, 0]), out=o), [5.0, 0.0]),
        (lambda o: pe.index_add(x, 1, pe.tensor([0]), pe.ones(2, 1), out=o), [[1.0, 1, 2], [4, 4, 5]]),
        (lambda o: pe.index_copy(x, 1, pe.tensor([0]), pe.ones(2, 1), out=o), [[1.0, 1, 2], [1, 4, 5]]),
        (lambda o: pe.scatter(x, 1, pe.tensor([[0]]), 9.0, out=o), [[9.0, 1, 2], [3, 4, 5]]),
        (lambda o: pe.scatter_add(x, 1, pe.tensor([[0]]), pe.ones(1, 1), out=o), [[1.0, 1, 2], [3, 4, 5]]),
        (lambda o: pe.msort(x.flip([0]), out=o), x.tolist()),
    ]
    for fn, want in cases:
        o = pe.empty(7)
        assert fn(o) is o and o.tolist() == want
    assert_raises_like_torch(RuntimeError, lambda m: m.take(m.zeros(3), m.tensor([0]), out=m.empty(0, dtype=m.int64)))

