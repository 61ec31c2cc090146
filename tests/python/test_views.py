"""View operations: values, shapes and strides against numpy, and storage sharing."""
import numpy as np
import pytest

import pyengine as pe
from pe_testing import (LAYOUT_NAMES, assert_raises_like_torch, assert_same, make, make_layout, np_strides)


def same_storage(a, b) -> bool:
    return a.storage().data_ptr() == b.storage().data_ptr()


def base_3d(name="float32"):
    return make((2, 3, 4), name)


# ---------------------------------------------------------------------------------------------
# view / reshape
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(24,), (4, 6), (2, -1), (-1, 4), (2, 3, 4), (1, 24, 1), (4, 3, 2), (-1,)])
@pytest.mark.parametrize("name", ["float32", "int64", "uint8", "bfloat16"])
def test_view_contiguous(shape, name):
    x, ref = base_3d(name)
    y = x.view(*shape)
    r = ref.reshape(shape)
    assert_same(y, r, check_strides=True)
    assert y.data_ptr() == x.data_ptr()
    assert same_storage(x, y)
    assert x.view(shape).shape == r.shape  # tuple form


def test_view_writes_through():
    x = pe.zeros(2, 3)
    x.view(-1)[4] = 5.0
    assert x[1, 1].item() == 5.0


def test_view_zero_dim_and_empty():
    s = pe.tensor(3.0)
    assert s.view(1).shape == (1,)
    assert s.view(1, 1).shape == (1, 1)
    assert s.view(()).shape == ()
    assert pe.tensor([2.0]).view(()).shape == ()
    e = pe.zeros(0, 3)
    assert e.view(3, 0).shape == (3, 0)
    assert e.view(-1).shape == (0,)
    assert e.view(0, 3, 1).shape == (0, 3, 1)


def test_view_of_noncontiguous_when_compatible():
    x = pe.arange(24.0).view(2, 3, 4)
    ref = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
    # permuted: merging/splitting dims that stay contiguous among themselves is a valid view
    y = x.permute(1, 0, 2)  # (3, 2, 4)
    z = y.view(3, 2, 2, 2)
    assert_same(z, ref.transpose(1, 0, 2).reshape(3, 2, 2, 2), check_strides=False)
    assert z.stride() == (4, 12, 2, 1)
    assert same_storage(x, z)
    # sliced rows keep inner dims mergeable
    w = x[:, ::2].view(2, 2, 2, 2)
    assert_same(w, ref[:, ::2].reshape(2, 2, 2, 2))
    assert same_storage(x, w)


def test_view_needing_copy_raises():
    assert_raises_like_torch(RuntimeError, lambda m: m.ones(2, 3).t().view(-1))
    assert_raises_like_torch(RuntimeError, lambda m: m.arange(12).view(3, 4)[:, :2].view(6))


@pytest.mark.parametrize("shape", [(4, 5), (-1, -1), (7,)])
def test_view_invalid_shape_raises(shape):
    assert_raises_like_torch(RuntimeError, lambda m: m.ones(2, 3).view(*shape))


@pytest.mark.parametrize("layout", LAYOUT_NAMES)
def test_reshape_layouts(layout):
    x, ref = make_layout(layout)
    y = x.reshape(-1)
    assert_same(y, ref.reshape(-1))
    if x.is_contiguous():
        assert same_storage(x, y) or x.numel() == 0
    back = y.reshape(ref.shape)
    assert_same(back, ref)


def test_reshape_views_when_possible_copies_otherwise():
    x = pe.arange(12.0).view(3, 4)
    v = x.reshape(4, 3)
    assert v.data_ptr() == x.data_ptr()
    c = x.t().reshape(12)
    assert not same_storage(c, x)
    assert c.is_contiguous()
    assert_same(c, np.arange(12.0, dtype=np.float32).reshape(3, 4).T.reshape(12))
    # expanded: reshape must copy (values broadcast)
    e = pe.arange(3.0).expand(2, 3).reshape(6)
    assert_same(e, np.tile(np.arange(3.0, dtype=np.float32), 2))
    # module function and reshape_as/view_as
    assert pe.reshape(x, (2, 6)).shape == (2, 6)
    assert x.reshape_as(pe.empty(6, 2)).shape == (6, 2)
    assert x.view_as(pe.empty(2, 6)).data_ptr() == x.data_ptr()


# ---------------------------------------------------------------------------------------------
# permute / transpose / t
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("perm", [(0, 1, 2), (2, 1, 0), (1, 2, 0), (2, 0, 1), (-1, 0, 1)])
@pytest.mark.parametrize("name", ["float64", "int8", "bool"])
def test_permute(perm, name):
    x, ref = base_3d(name)
    y = x.permute(*perm)
    assert_same(y, ref.transpose(perm), check_strides=True)
    assert y.data_ptr() == x.data_ptr()
    assert_same(x.permute(perm), ref.transpose(perm))  # tuple form
    assert_same(pe.permute(x, perm), ref.transpose(perm))


@pytest.mark.parametrize("d0,d1", [(0, 1), (1, 2), (0, 2), (-1, 0), (1, 1), (-3, -1)])
def test_transpose(d0, d1):
    x, ref = base_3d()
    y = x.transpose(d0, d1)
    assert_same(y, np.swapaxes(ref, d0, d1), check_strides=True)
    assert same_storage(x, y)
    assert_same(pe.transpose(x, d0, d1), np.swapaxes(ref, d0, d1))
    assert_same(x.swapaxes(d0, d1), np.swapaxes(ref, d0, d1))


@pytest.mark.parametrize("shape", [(3, 4), (5,), ()])
def test_t(shape):
    x, ref = make(shape)
    y = x.t()
    assert_same(y, ref.T, check_strides=True)
    assert y.data_ptr() == x.data_ptr()
    assert_same(pe.t(x), ref.T)
    assert_same(x.T, ref.T)


def test_t_inplace():
    x, ref = make((3, 4))
    ptr = x.data_ptr()
    r = x.t_()
    assert r is x
    assert x.shape == (4, 3)
    assert x.stride() == (1, 4)
    assert x.data_ptr() == ptr
    assert_same(x, ref.T)


def test_transpose_inplace():
    x, ref = base_3d()
    x.transpose_(0, 2)
    assert_same(x, ref.transpose(2, 1, 0), check_strides=True)


def test_t_on_3d_raises():
    assert_raises_like_torch(RuntimeError, lambda m: m.ones(2, 3, 4).t())


def test_mT():
    x, ref = base_3d()
    assert_same(x.mT, np.swapaxes(ref, -1, -2), check_strides=True)


@pytest.mark.parametrize("perm", [(0, 0, 1), (0, 1), (0, 1, 3)])
def test_permute_bad(perm):
    exc = IndexError if 3 in perm else RuntimeError
    assert_raises_like_torch(exc, lambda m: m.ones(2, 3, 4).permute(*perm))


# ---------------------------------------------------------------------------------------------
# expand
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("src,target", [
    ((1, 4), (3, 4)), ((3, 1), (3, 5)), ((4,), (2, 3, 4)), ((), (2, 2)), ((1,), (0,)),
    ((2, 1, 3), (2, 4, 3)), ((1, 1), (1, 1)), ((3,), (3,)),
])
@pytest.mark.parametrize("name", ["float32", "int16", "bool"])
def test_expand(src, target, name):
    x, ref = make(src, name)
    y = x.expand(*target)
    r = np.broadcast_to(ref, target)
    assert_same(y, r)
    if y.numel():
        # numpy gives every broadcast dim stride 0, PyTorch keeps the stride of a size-1 dim that stays 1
        assert [s for s, n in zip(y.stride(), target) if n > 1] == [s for s, n in zip(np_strides(r), target) if n > 1]
        assert y.data_ptr() == x.data_ptr()
    assert x.expand(target).shape == target
    assert_same(x.expand_as(pe.empty(target)), r)


def test_expand_minus_one_keeps_size():
    x = pe.arange(3.0).view(3, 1)
    assert x.expand(-1, 4).shape == (3, 4)
    assert x.expand(2, -1, 4).shape == (2, 3, 4)
    assert x.expand(2, -1, 4).stride() == (0, 1, 0)


def test_expand_shares_and_sees_writes():
    x = pe.zeros(1, 3)
    y = x.expand(4, 3)
    x[0, 1] = 7.0
    assert y[:, 1].tolist() == [7.0] * 4


@pytest.mark.parametrize("src,target", [((2, 3), (4, 3)), ((2, 3), (3,)), ((3,), (2, 4)), ((2,), (-1, 2))])
def test_expand_incompatible(src, target):
    assert_raises_like_torch(RuntimeError, lambda m: m.ones(*src).expand(*target))


# ---------------------------------------------------------------------------------------------
# narrow / select
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dim,start,length", [(0, 0, 1), (1, 1, 2), (2, 0, 4), (2, 3, 1), (-1, 1, 2), (1, 3, 0),
                                              (0, -1, 1), (2, -3, 2)])
def test_narrow(dim, start, length):
    x, ref = base_3d()
    y = x.narrow(dim, start, length)
    s = start % ref.shape[dim] if start < 0 else start
    idx = [slice(None)] * 3
    idx[dim] = slice(s, s + length)
    r = ref[tuple(idx)]
    assert_same(y, r, check_strides=y.numel() > 0)
    assert same_storage(x, y)
    assert_same(pe.narrow(x, dim, start, length), r)


def test_narrow_storage_offset():
    x = pe.arange(24.0).view(4, 6)
    y = x.narrow(0, 2, 2).narrow(1, 3, 2)
    assert y.storage_offset() == 2 * 6 + 3
    assert y.tolist() == [[15.0, 16.0], [21.0, 22.0]]


@pytest.mark.parametrize("dim,start,length,exc", [(1, 2, 5, RuntimeError), (3, 0, 1, IndexError),
                                                  (0, 0, -1, RuntimeError), (1, 4, 0, IndexError)])
def test_narrow_out_of_range(dim, start, length, exc):
    assert_raises_like_torch(exc, lambda m: m.ones(2, 3, 4).narrow(dim, start, length))


@pytest.mark.parametrize("dim,index", [(0, 0), (0, 1), (1, 2), (2, -1), (-2, 0), (-1, -4)])
def test_select(dim, index):
    x, ref = base_3d()
    y = x.select(dim, index)
    idx = [slice(None)] * 3
    idx[dim] = index
    r = ref[tuple(idx)]
    assert_same(y, r, check_strides=True)
    assert same_storage(x, y)
    assert_same(pe.select(x, dim, index), r)


def test_select_to_zero_dim():
    x = pe.arange(3.0)
    y = x.select(0, 1)
    assert y.shape == () and y.item() == 1.0
    assert y.storage_offset() == 1


@pytest.mark.parametrize("dim,index,exc", [(0, 2, IndexError), (0, -3, IndexError), (3, 0, IndexError)])
def test_select_out_of_range(dim, index, exc):
    assert_raises_like_torch(exc, lambda m: m.ones(2, 3, 4).select(dim, index))


# ---------------------------------------------------------------------------------------------
# squeeze / unsqueeze
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,dim", [((1, 3, 1, 2), None), ((1, 3, 1, 2), 0), ((1, 3, 1, 2), 2), ((1, 3, 1, 2), 1),
                                       ((1, 3, 1, 2), -2), ((1, 3, 1, 2), (0, 2)), ((1,), None), ((), None),
                                       ((), 0), ((2, 0, 1), None)])
def test_squeeze(shape, dim):
    x, ref = make(shape)
    y = x.squeeze() if dim is None else x.squeeze(dim)
    if dim is None:
        r = np.squeeze(ref)
    else:
        dims = dim if isinstance(dim, tuple) else (dim,)
        dims = tuple(d for d in dims if ref.ndim and ref.shape[d] == 1)
        r = np.squeeze(ref, axis=dims) if ref.ndim else ref
    assert_same(y, r)
    if y.numel():
        assert tuple(y.stride()) == np_strides(np.ascontiguousarray(r)) or y.numel() == 1
        assert y.data_ptr() == x.data_ptr()
    # in place
    z = x.clone()
    ret = z.squeeze_() if dim is None else z.squeeze_(dim)
    assert ret is z
    assert z.shape == r.shape


@pytest.mark.parametrize("shape,dim", [((2, 3), 0), ((2, 3), 1), ((2, 3), 2), ((2, 3), -1), ((2, 3), -3), ((), 0),
                                       ((), -1), ((0,), 1)])
def test_unsqueeze(shape, dim):
    x, ref = make(shape)
    y = x.unsqueeze(dim)
    r = np.expand_dims(ref, dim)
    assert_same(y, r)
    assert same_storage(x, y) or x.numel() == 0
    assert_same(pe.unsqueeze(x, dim), r)
    z = x.clone()
    assert z.unsqueeze_(dim) is z
    assert z.shape == r.shape


def test_unsqueeze_strides_of_transposed():
    x, ref = make((3, 4))
    y = x.t().unsqueeze(1)
    assert y.shape == (4, 1, 3)
    assert y.stride()[0] == 1 and y.stride()[2] == 4


@pytest.mark.parametrize("call", [lambda m: m.ones(2, 3).squeeze(2), lambda m: m.ones(2, 3).unsqueeze(3),
                                  lambda m: m.ones(2, 3).unsqueeze(-4), lambda m: m.ones(2, 3).squeeze_(-3)],
                         ids=["squeeze", "unsqueeze", "unsqueeze_neg", "squeeze_"])
def test_squeeze_unsqueeze_bad_dim(call):
    assert_raises_like_torch(IndexError, call)


# ---------------------------------------------------------------------------------------------
# flatten / unflatten
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("start,end", [(0, -1), (1, 2), (0, 1), (2, 2), (-2, -1), (1, -1)])
def test_flatten(start, end):
    x, ref = base_3d()
    y = x.flatten(start, end)
    s = start % 3
    e = end % 3
    r = ref.reshape(ref.shape[:s] + (-1,) + ref.shape[e + 1:])
    assert_same(y, r, check_strides=True)
    assert y.data_ptr() == x.data_ptr()
    assert_same(pe.flatten(x, start, end), r)


def test_flatten_zero_dim_and_noncontiguous():
    assert pe.tensor(2.0).flatten().shape == (1,)
    x, ref = make((3, 4))
    y = x.t().flatten()
    assert_same(y, ref.T.reshape(-1))
    assert y.is_contiguous()


@pytest.mark.parametrize("dim,sizes", [(0, (2, 1)), (1, (3, 1)), (2, (2, 2)), (-1, (4, 1)), (2, (-1, 2)),
                                       (1, (1, 3, 1))])
def test_unflatten(dim, sizes):
    x, ref = base_3d()
    y = x.unflatten(dim, sizes)
    d = dim % 3
    sz = list(sizes)
    if -1 in sz:
        sz[sz.index(-1)] = ref.shape[d] // -int(np.prod(sz))
    r = ref.reshape(ref.shape[:d] + tuple(sz) + ref.shape[d + 1:])
    assert_same(y, r, check_strides=True)
    assert y.data_ptr() == x.data_ptr()


def test_unflatten_bad():
    assert_raises_like_torch(RuntimeError, lambda m: m.ones(6).unflatten(0, (4, 2)))


# ---------------------------------------------------------------------------------------------
# split / chunk / unbind
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda m: m.arange(6).split(2), lambda m: m.arange(6).split([1, 5]), lambda m: m.arange(6).chunk(3),
    lambda m: m.arange(6).view(2, 3).unbind(1), lambda m: m.split(m.arange(6), 4), lambda m: m.chunk(m.arange(6), 2),
    lambda m: m.unbind(m.arange(6)),
], ids=["split_int", "split_sizes", "chunk", "unbind", "fn_split", "fn_chunk", "fn_unbind"])
def test_split_chunk_unbind_return_tuple(call):
    # PyTorch returns a tuple (not a list) of views
    assert type(call(pe)) is tuple


@pytest.mark.parametrize("size,dim", [(1, 0), (2, 1), (3, 2), (4, 2), (5, 1), (2, -1)])
def test_split_int(size, dim):
    x, ref = base_3d()
    parts = x.split(size, dim)
    n = ref.shape[dim]
    bounds = list(range(size, n, size))
    rparts = np.split(ref, bounds, axis=dim)
    assert len(parts) == len(rparts)
    for p, r in zip(parts, rparts):
        assert_same(p, r, check_strides=True)
        assert same_storage(p, x)
    assert len(pe.split(x, size, dim)) == len(rparts)


@pytest.mark.parametrize("sizes", [[1, 3], [2, 0, 2], [4]])
def test_split_sizes(sizes):
    x, ref = base_3d()
    parts = x.split(sizes, 2)
    rparts = np.split(ref, np.cumsum(sizes)[:-1], axis=2)
    assert [tuple(p.shape) for p in parts] == [r.shape for r in rparts]
    for p, r in zip(parts, rparts):
        assert_same(p, r)


def test_split_sizes_must_sum():
    assert_raises_like_torch(RuntimeError, lambda m: m.ones(4).split([1, 2]))


@pytest.mark.parametrize("n,chunks", [(6, 3), (6, 4), (5, 2), (1, 3), (7, 7), (0, 2)])
def test_chunk(n, chunks):
    x = pe.arange(n)
    parts = x.chunk(chunks)
    size = -(-n // chunks) if n else 0
    expected = [list(range(i, min(i + size, n))) for i in range(0, n, size)] if n else [[]] * chunks
    assert [p.tolist() for p in parts] == expected
    for p in parts:
        if p.numel():
            assert same_storage(p, x)
    assert len(pe.chunk(x, chunks)) == len(parts)


def test_chunk_dim():
    x, ref = base_3d()
    parts = x.chunk(2, dim=2)
    assert len(parts) == 2
    assert_same(parts[1], ref[:, :, 2:], check_strides=True)


def test_chunk_zero_raises():
    assert_raises_like_torch(RuntimeError, lambda m: m.ones(6).chunk(0))


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_unbind(dim):
    x, ref = base_3d()
    parts = x.unbind(dim)
    assert len(parts) == ref.shape[dim]
    for i, p in enumerate(parts):
        idx = [slice(None)] * 3
        idx[dim] = i
        assert_same(p, ref[tuple(idx)], check_strides=True)
        assert same_storage(p, x)
    assert len(pe.unbind(x, dim)) == len(parts)


def test_iteration_unbinds_dim0():
    x, ref = make((3, 2))
    rows = list(x)
    assert len(rows) == 3
    for r, rr in zip(rows, ref):
        assert_same(r, rr)


# ---------------------------------------------------------------------------------------------
# as_strided / contiguous / diagonal / resize_
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("size,stride,offset", [((2, 2), (1, 2), 0), ((3,), (4,), 1), ((2, 3), (0, 1), 2),
                                                ((4, 2), (2, 1), 0), ((2, 2, 2), (4, 2, 1), 3), ((), (), 5)])
def test_as_strided(size, stride, offset):
    x = pe.arange(12.0)
    ref = np.arange(12.0, dtype=np.float32)
    y = x.as_strided(size, stride, offset)
    r = np.lib.stride_tricks.as_strided(ref[offset:], shape=size, strides=tuple(s * 4 for s in stride))
    assert_same(y, r)
    assert y.stride() == stride
    assert y.storage_offset() == offset
    assert same_storage(x, y)


def test_as_strided_offset_is_absolute():
    x = pe.arange(12.0)
    v = x[4:]
    y = v.as_strided((2,), (1,))  # offset defaults to v's offset
    assert y.tolist() == [4.0, 5.0]
    z = v.as_strided((2,), (1,), 0)
    assert z.tolist() == [0.0, 1.0]


def test_as_strided_out_of_storage():
    assert_raises_like_torch(RuntimeError, lambda m: m.ones(3).as_strided((2,), (5,)))


@pytest.mark.parametrize("layout", LAYOUT_NAMES)
@pytest.mark.parametrize("name", ["float32", "int32", "bfloat16"])
def test_contiguous(layout, name):
    x, ref = make_layout(layout, name)
    y = x.contiguous()
    assert y.is_contiguous()
    assert_same(y, np.array(ref, order="C"), check_strides=True)
    if x.is_contiguous():
        assert y.data_ptr() == x.data_ptr()
    elif x.numel() > 1:
        assert not same_storage(x, y)


@pytest.mark.parametrize("layout,contig", [("contiguous", True), ("transposed", False), ("sliced_step", False),
                                           ("expanded", False), ("zero_dim", True), ("empty", True)])
def test_is_contiguous(layout, contig):
    x, _ = make_layout(layout)
    assert x.is_contiguous() is contig


def test_is_contiguous_size_one_dims_ignore_stride():
    x = pe.arange(4.0).view(4, 1)
    assert x.t().is_contiguous()  # (1, 4) with stride (1, 1)
    assert pe.ones(3, 4)[:, :1].is_contiguous() is False
    assert pe.ones(3, 4)[:1].is_contiguous() is True


@pytest.mark.parametrize("offset,d1,d2", [(0, 0, 1), (1, 0, 1), (-1, 0, 1), (0, 1, 2), (2, -1, -2), (5, 0, 1),
                                          (-4, 0, 1)])
def test_diagonal(offset, d1, d2):
    x, ref = make((3, 4, 5))
    y = x.diagonal(offset, d1, d2)
    r = np.diagonal(ref, offset, d1, d2)
    assert_same(y, r)
    if y.numel():
        assert tuple(y.stride()) == np_strides(r)
        assert same_storage(x, y)
    assert_same(pe.diagonal(x, offset, d1, d2), r)


def test_diagonal_writes_through():
    x = pe.zeros(3, 3)
    x.diagonal().fill_(1.0)
    assert_same(x, np.eye(3, dtype=np.float32))


def test_diagonal_same_dims_raises():
    assert_raises_like_torch(RuntimeError, lambda m: m.ones(2, 3).diagonal(0, 0, 0))


def test_resize_grow_keeps_data():
    x = pe.arange(6.0)
    r = x.resize_(2, 5)
    assert r is x
    assert x.shape == (2, 5)
    assert x.stride() == (5, 1)
    assert x.view(-1)[:6].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert len(x.storage()) >= 10


def test_resize_shrink_keeps_storage():
    x = pe.arange(6.0)
    ptr = x.data_ptr()
    x.resize_(2)
    assert x.tolist() == [0.0, 1.0]
    assert x.data_ptr() == ptr
    x.resize_(3, 2)
    assert x.view(-1).tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    x.resize_(0)
    assert x.shape == (0,)
    x.resize_as_(pe.empty(2, 2))
    assert x.shape == (2, 2)


def test_resize_view_offset_preserved():
    x = pe.arange(10.0)
    v = x[2:5]
    v.resize_(2)
    assert v.tolist() == [2.0, 3.0]
    assert v.storage_offset() == 2


def test_resize_negative_raises():
    assert_raises_like_torch(RuntimeError, lambda m: m.ones(3).resize_(-1))


# ---------------------------------------------------------------------------------------------
# chains of views
# ---------------------------------------------------------------------------------------------

def test_view_chain_matches_numpy_and_writes_through():
    x = pe.arange(120.0).view(2, 3, 4, 5)
    ref = np.arange(120.0, dtype=np.float32).reshape(2, 3, 4, 5)
    y = x.permute(3, 1, 0, 2)[1:4:2].transpose(1, 2).narrow(3, 1, 2).select(2, 2)
    r = ref.transpose(3, 1, 0, 2)[1:4:2].swapaxes(1, 2)[:, :, :, 1:3][:, :, 2]
    assert_same(y, r, check_strides=True)
    assert y.storage_offset() == (r.__array_interface__["data"][0] - ref.__array_interface__["data"][0]) // 4
    y.fill_(-1.0)
    r[...] = -1.0
    assert_same(x, ref)


def test_view_dtype_same_size():
    x = pe.tensor([1.0, -2.0])
    y = x.view(pe.int32)
    assert y.dtype is pe.int32
    assert y.numpy().tolist() == np.array([1.0, -2.0], np.float32).view(np.int32).tolist()
    assert y.data_ptr() == x.data_ptr()


def test_detach_and_data_alias():
    x = pe.ones(3, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad
    assert d.data_ptr() == x.data_ptr()
    d[0] = 5.0
    assert x[0].item() == 5.0
    assert x.data.data_ptr() == x.data_ptr()


# ---------------------------------------------------------------------------------------------
# keyword arguments (PyTorch's argument names)
# ---------------------------------------------------------------------------------------------

KWARG_CALLS = {
    "view_size": (lambda x: x.view(size=(3, 2)), (3, 2)),
    "reshape_shape": (lambda x: x.reshape(shape=(3, 2)), (3, 2)),
    "expand_size": (lambda x: x.expand(size=(2, 2, 3)), (2, 2, 3)),
    "permute_dims": (lambda x: x.permute(dims=(1, 0)), (3, 2)),
    "transpose_dim0_dim1": (lambda x: x.transpose(dim0=0, dim1=1), (3, 2)),
    "transpose__dim0_dim1": (lambda x: x.clone().transpose_(dim0=0, dim1=1), (3, 2)),
    "narrow_dim_start_length": (lambda x: x.narrow(dim=1, start=1, length=2), (2, 2)),
    "select_dim_index": (lambda x: x.select(dim=1, index=1), (2,)),
    "unsqueeze_dim": (lambda x: x.unsqueeze(dim=-1), (2, 3, 1)),
    "unsqueeze__dim": (lambda x: x.clone().unsqueeze_(dim=0), (1, 2, 3)),
    "squeeze_dim": (lambda x: x.squeeze(dim=0), (2, 3)),
    "flatten_start_dim": (lambda x: x.flatten(start_dim=1), (2, 3)),
    "unflatten_dim_sizes": (lambda x: x.unflatten(dim=1, sizes=(3, 1)), (2, 3, 1)),
    "split_split_size_dim": (lambda x: x.split(split_size=1, dim=1)[0], (2, 1)),
    "chunk_chunks_dim": (lambda x: x.chunk(chunks=3, dim=1)[0], (2, 1)),
    "unbind_dim": (lambda x: x.unbind(dim=1)[0], (2,)),
    "diagonal_offset_dims": (lambda x: x.diagonal(offset=1, dim1=0, dim2=1), (2,)),
    "as_strided_storage_offset": (lambda x: x.as_strided((2,), (1,), storage_offset=1), (2,)),
    "resize__size": (lambda x: x.clone().resize_(size=(3, 2)), (3, 2)),
    "expand_as_other": (lambda x: x[:1].expand_as(other=x), (2, 3)),
    "view_as_other": (lambda x: x.view_as(other=x.t()), (3, 2)),
    "size_dim": (lambda x: x.size(dim=1), 3),
    "stride_dim": (lambda x: x.stride(dim=0), 3),
    "new_ones_size": (lambda x: x.new_ones(size=(4,)), (4,)),
    "new_zeros_size": (lambda x: x.new_zeros(size=(4, 1)), (4, 1)),
    "new_empty_size": (lambda x: x.new_empty(size=(5,)), (5,)),
    "fill__value": (lambda x: x.clone().fill_(value=3), (2, 3)),
    "add_other": (lambda x: x.add(other=1), (2, 3)),
    "mul_other": (lambda x: x.mul(other=2), (2, 3)),
    "div_other": (lambda x: x.div(other=2), (2, 3)),
    "mul__other": (lambda x: x.clone().mul_(other=2), (2, 3)),
}


@pytest.mark.parametrize("key", list(KWARG_CALLS))
def test_method_keyword_arguments(key):
    call, expected = KWARG_CALLS[key]
    r = call(pe.ones(2, 3))
    got = tuple(r.shape) if isinstance(r, pe.Tensor) else r
    assert got == expected
    try:
        import torch
    except ImportError:  # pragma: no cover
        return
    tr = call(torch.ones(2, 3))
    assert (tuple(tr.shape) if isinstance(tr, torch.Tensor) else tr) == expected
