"""cat / concat / concatenate / stack / hstack / vstack / dstack / column_stack / atleast_*d / flip /
fliplr / flipud / roll / repeat_interleave / diag_embed / narrow_copy / split against numpy, with
dtype promotion, the legacy empty-tensor rule of cat, out= and PyTorch's errors."""
import itertools

import numpy as np
import pytest

import pyengine as pe
from pe_testing import (DTYPE_NAMES, LAYOUT_NAMES, assert_raises_like_torch, assert_same, dtype_name, make, make_layout,
                        require_torch)

NONEMPTY = [n for n in LAYOUT_NAMES if n != "zero_dim"]


# ---------------------------------------------------------------------------------------------
# cat / stack
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", NONEMPTY)
@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_cat_layouts(layout, name):
    t, ref = make_layout(layout, name)
    u, uref = make_layout("transposed", name)
    for dim in (0, 1, -1):
        other = (u, uref) if ref.shape == uref.shape else (t, ref)
        assert_same(pe.cat([t, other[0], t], dim), np.concatenate([ref, other[1], ref], dim), dtype=name)
    assert_same(pe.cat((t,)), ref)


@pytest.mark.parametrize("a,b", list(itertools.combinations(["bool", "uint8", "int8", "int32", "int64", "float16",
                                                             "bfloat16", "float32", "float64"], 2)))
def test_cat_promotes_dtypes(a, b):
    x, _ = make((2, 3), a)
    y, _ = make((1, 3), b)
    r = pe.cat([x, y])
    assert r.dtype is pe.promote_types(x.dtype, y.dtype)
    assert_same(r, np.concatenate([x.to(r.dtype).float().numpy(), y.to(r.dtype).float().numpy()]).astype(
        np.float32) if r.dtype is pe.bfloat16 else np.concatenate([x.to(r.dtype).numpy(), y.to(r.dtype).numpy()]))


def test_cat_legacy_empty_rule_and_zero_sizes():
    x = pe.arange(6.0).view(2, 3)
    r = pe.cat([x, pe.tensor([], dtype=pe.float64)])  # skipped for shapes, counted for the dtype
    assert r.dtype is pe.float64 and r.tolist() == x.tolist()
    assert pe.cat([pe.tensor([]), x.long()]).dtype is pe.float32
    assert tuple(pe.cat([pe.tensor([]), pe.tensor([])]).shape) == (0,)
    assert pe.cat([x, pe.zeros(0, 3)]).tolist() == x.tolist()
    assert tuple(pe.cat([pe.zeros(2, 0), pe.zeros(2, 0)], 1).shape) == (2, 0)
    assert_raises_like_torch(RuntimeError, lambda m: m.cat([m.zeros(2, 3), m.zeros(0, 2)]))


def test_cat_out_aliases_and_keywords():
    x = pe.arange(6.0).view(2, 3)
    o = pe.empty(0, dtype=pe.float64)
    assert pe.cat([x, x], out=o) is o and o.dtype is pe.float64 and tuple(o.shape) == (4, 3)
    o16 = pe.empty(0, dtype=pe.float16)
    pe.cat([x.long(), x.long()], 1, out=o16)
    assert o16.tolist() == np.concatenate([x.numpy()] * 2, 1).tolist()
    assert pe.cat((x, x), axis=1).shape == (2, 6)
    assert pe.concat((x, x), dim=1).shape == (2, 6)
    assert pe.concatenate((x, x), axis=1).shape == (2, 6)
    assert pe.concatenate((x, x), dim=1).shape == (2, 6)
    assert pe.cat(tensors=[x, x], dim=-1).shape == (2, 6)


def test_cat_errors():
    assert_raises_like_torch(ValueError, lambda m: m.cat([]))
    assert_raises_like_torch(RuntimeError, lambda m: m.cat([m.tensor(1.0), m.tensor(2.0)]))
    assert_raises_like_torch(RuntimeError, lambda m: m.cat([m.zeros(2, 3), m.zeros(2, 2, 2)]))
    assert_raises_like_torch(RuntimeError, lambda m: m.cat([m.zeros(2, 3), m.zeros(3, 2)]))
    assert_raises_like_torch(RuntimeError, lambda m: m.cat([m.zeros(2, 3), m.zeros(3, 2)], dim=1))
    assert_raises_like_torch(IndexError, lambda m: m.cat([m.zeros(2, 3), m.zeros(2, 3)], 2))
    assert_raises_like_torch(TypeError, lambda m: m.cat([m.zeros(2, 3)], out=m.empty(0, dtype=m.int64)))
    assert_raises_like_torch(TypeError, lambda m: m.cat(m.zeros(2, 3)))
    assert_raises_like_torch(TypeError, lambda m: m.cat([m.zeros(2, 3), 1]))
    x = pe.zeros(2, 3)
    with pytest.raises(RuntimeError, match="single memory location"):
        pe.cat([x, x], out=x)
    with pytest.raises(RuntimeError, match="Expected size 3 but got size 2 for tensor number 1 in the list"):
        pe.cat([pe.zeros(2, 3), pe.zeros(3, 2)])


@pytest.mark.parametrize("layout", LAYOUT_NAMES)
@pytest.mark.parametrize("name", ["bool", "int32", "bfloat16", "float64"])
def test_stack(layout, name):
    t, ref = make_layout(layout, name)
    for dim in range(-ref.ndim - 1, ref.ndim + 1):
        assert_same(pe.stack([t, t.clone()], dim), np.stack([ref, ref], dim), dtype=name)
    assert pe.stack([pe.zeros(2), pe.zeros(2, dtype=pe.float64)]).dtype is pe.float64
    o = pe.empty(0)
    assert pe.stack([pe.ones(2), pe.zeros(2)], dim=1, out=o) is o and o.tolist() == [[1, 0], [1, 0]]


def test_stack_errors():
    assert_raises_like_torch(RuntimeError, lambda m: m.stack([m.zeros(4, 3), m.zeros(1, 3)]))
    assert_raises_like_torch(RuntimeError, lambda m: m.stack([]))
    assert_raises_like_torch(IndexError, lambda m: m.stack([m.zeros(2, 3), m.zeros(2, 3)], 3))


def test_hstack_vstack_dstack_column_stack():
    a, ar = make((3,))
    b, br = make((3,), "int64")
    m, mr = make((2, 3))
    s = pe.tensor(1.0)
    assert_same(pe.hstack([a, b]), np.hstack([ar, br.astype(np.float32)]))
    assert_same(pe.hstack([s, a]), np.hstack([np.float32(1.0), ar]))
    assert_same(pe.hstack([m, m]), np.hstack([mr, mr]))
    assert_same(pe.vstack([a, a]), np.vstack([ar, ar]))
    assert_same(pe.vstack([s, s]), np.vstack([np.float32(1), np.float32(1)]))
    assert_same(pe.row_stack([m, a]), np.vstack([mr, ar]))
    assert_same(pe.dstack([m, m]), np.dstack([mr, mr]))
    assert_same(pe.dstack([a, a]), np.dstack([ar, ar]))
    assert_same(pe.column_stack([a, m.t()]), np.column_stack([ar, mr.T]))
    o = pe.empty(0)
    assert pe.vstack([a, a], out=o) is o and tuple(o.shape) == (2, 3)
    assert_raises_like_torch(RuntimeError, lambda m: m.hstack([]))
    assert_raises_like_torch(RuntimeError, lambda m: m.vstack([]))
    assert_raises_like_torch(RuntimeError, lambda m: m.column_stack([m.ones(2), m.ones(3, 3)]))


def test_atleast():
    s, v, m = pe.tensor(1.0), pe.ones(3), pe.ones(2, 3)
    assert [tuple(pe.atleast_1d(x).shape) for x in (s, v, m)] == [(1,), (3,), (2, 3)]
    assert [tuple(pe.atleast_2d(x).shape) for x in (s, v, m)] == [(1, 1), (1, 3), (2, 3)]
    assert [tuple(pe.atleast_3d(x).shape) for x in (s, v, m)] == [(1, 1, 1), (1, 3, 1), (2, 3, 1)]
    r = pe.atleast_2d(s, v)
    assert isinstance(r, tuple) and [tuple(x.shape) for x in r] == [(1, 1), (1, 3)]
    assert [tuple(x.shape) for x in pe.atleast_1d([s, m])] == [(1,), (2, 3)]


# ---------------------------------------------------------------------------------------------
# flip / roll
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUT_NAMES)
@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_flip(layout, name):
    t, ref = make_layout(layout, name)
    dim_sets = [[], [0], [-1], [0, 1], [1, 0]] if ref.ndim == 2 else [[], [0]]
    for dims in dim_sets:
        want = np.flip(ref, axis=tuple(d % max(ref.ndim, 1) for d in dims)) if ref.ndim else ref
        assert_same(pe.flip(t, dims), want, dtype=name)
        assert_same(t.flip(dims), want)
        if dims:
            assert_same(t.flip(*dims), want)
    if ref.ndim == 2:
        assert_same(pe.fliplr(t), np.fliplr(ref))
        assert_same(t.flipud(), np.flipud(ref))


def test_flip_is_a_copy_and_3d():
    t, ref = make((2, 3, 4))
    r = pe.flip(t[:, ::2].transpose(0, 2), (0, 2))
    assert_same(r, np.flip(ref[:, ::2].transpose(2, 1, 0), (0, 2)))
    f = pe.flip(t, (1,))
    f[0, 0, 0] = 100.0
    assert t[0, 2, 0].item() != 100.0


def test_flip_errors():
    assert_raises_like_torch(TypeError, lambda m: m.flip(m.zeros(2, 3), 1))
    assert_raises_like_torch(RuntimeError, lambda m: m.flip(m.zeros(2, 3), [0, 0]))
    assert_raises_like_torch(IndexError, lambda m: m.flip(m.zeros(2, 3), [2]))
    assert_raises_like_torch(RuntimeError, lambda m: m.fliplr(m.ones(3)))
    assert_raises_like_torch(RuntimeError, lambda m: m.flipud(m.tensor(1.0)))


@pytest.mark.parametrize("layout", NONEMPTY)
@pytest.mark.parametrize("name", ["bool", "uint8", "int64", "float16", "bfloat16", "float32"])
def test_roll(layout, name):
    t, ref = make_layout(layout, name)
    for shifts, dims in ((1, None), (-3, None), (13, None), (1, 0), (-1, 1), (7, -1), ((1, 2), (0, 1)),
                         ((2, -5), (1, 0)), ((1, 1), (1, 1)), (0, 0)):
        want = np.roll(ref, shifts, dims)
        assert_same(pe.roll(t, shifts, dims), want, dtype=name)
        assert_same(t.roll(shifts, dims), want)
    assert_same(pe.roll(t, shifts=[1], dims=[0]), np.roll(ref, 1, 0))


def test_roll_zero_dim_empty_and_errors():
    assert pe.roll(pe.tensor(3.0), 1).item() == 3.0
    assert tuple(pe.roll(pe.zeros(0, 3), 1, 0).shape) == (0, 3)
    assert tuple(pe.roll(pe.zeros(0, 3), 1).shape) == (0, 3)
    x = pe.arange(6.0).view(2, 3)
    r = pe.roll(x, 0, 1)
    assert r.tolist() == x.tolist() and not r._is_view_of(x)
    assert_raises_like_torch(RuntimeError, lambda m: m.roll(m.zeros(2, 3), (1, 1), 1))
    assert_raises_like_torch(RuntimeError, lambda m: m.roll(m.zeros(2, 3), (1,), (0, 1)))
    assert_raises_like_torch(RuntimeError, lambda m: m.roll(m.zeros(2, 3), [], []))
    assert_raises_like_torch(IndexError, lambda m: m.roll(m.zeros(2, 3), 1, 2))
    assert_raises_like_torch(IndexError, lambda m: m.roll(m.tensor(3.0), 1, 0))


# ---------------------------------------------------------------------------------------------
# repeat_interleave / diag_embed / narrow_copy / split
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUT_NAMES)
@pytest.mark.parametrize("name", ["bool", "int16", "float16", "float64"])
def test_repeat_interleave(layout, name):
    t, ref = make_layout(layout, name)
    assert_same(pe.repeat_interleave(t, 2), np.repeat(ref, 2), dtype=name)
    assert_same(t.repeat_interleave(3), np.repeat(ref, 3))
    for dim in range(ref.ndim):
        n = ref.shape[dim]
        reps = np.arange(n) % 3
        assert_same(pe.repeat_interleave(t, pe.tensor(reps), dim=dim), np.repeat(ref, reps, axis=dim))
        assert_same(t.repeat_interleave(pe.tensor([2]), dim), np.repeat(ref, 2, axis=dim))
        assert_same(t.repeat_interleave(2, dim=dim, output_size=2 * n), np.repeat(ref, 2, axis=dim))
        assert_same(pe.repeat_interleave(t, pe.tensor(reps).int(), dim), np.repeat(ref, reps, axis=dim))


def test_repeat_interleave_index_form_and_errors():
    assert pe.repeat_interleave(pe.tensor([1, 2, 3])).tolist() == [0, 1, 1, 2, 2, 2]
    assert pe.repeat_interleave(pe.tensor(3)).tolist() == [0, 0, 0]
    assert pe.repeat_interleave(pe.tensor([2, 0, 1]), output_size=3).tolist() == [0, 0, 2]
    x = lambda m: m.arange(6.0).view(2, 3)  # noqa: E731
    assert_raises_like_torch(RuntimeError, lambda m: m.repeat_interleave(x(m), m.tensor([1, 2]), dim=1))
    assert_raises_like_torch(RuntimeError, lambda m: m.repeat_interleave(x(m), m.tensor([1, -2]), dim=0))
    assert_raises_like_torch(RuntimeError, lambda m: m.repeat_interleave(x(m), m.tensor([[2]]), dim=0))
    assert_raises_like_torch(NotImplementedError, lambda m: m.repeat_interleave(x(m), m.tensor([2.0]), dim=0))
    assert_raises_like_torch(RuntimeError, lambda m: m.repeat_interleave(x(m), -1))
    assert_raises_like_torch(RuntimeError, lambda m: m.repeat_interleave(x(m), 2, dim=0, output_size=5))
    assert_raises_like_torch(IndexError, lambda m: m.repeat_interleave(x(m), 2, dim=2))


def test_diag_embed_against_torch():
    torch = require_torch()
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    for offset, d1, d2 in ((0, -2, -1), (1, -2, -1), (-2, 0, 2), (0, 3, 1), (2, 1, 0)):
        got = pe.diag_embed(pe.tensor(a), offset, d1, d2)
        want = torch.diag_embed(torch.tensor(a), offset, d1, d2).numpy()
        assert_same(got, want)
    assert_same(pe.tensor(a)[:, ::2].diag_embed(), torch.tensor(a)[:, ::2].diag_embed().numpy())
    assert_same(pe.diag_embed(pe.tensor([1, 2])), np.diag([1, 2]))
    assert_raises_like_torch(RuntimeError, lambda m: m.diag_embed(m.ones(2, 2), 0, 1, 1))


def test_narrow_copy_and_split():
    t, ref = make((4, 6))
    r = pe.narrow_copy(t, 1, 2, 3)
    assert_same(r, ref[:, 2:5])
    assert r.is_contiguous() and not r._is_view_of(t)
    assert_same(t.t().narrow_copy(0, 1, 2), ref.T[1:3])
    o = pe.empty(0)
    assert pe.narrow_copy(t, 0, 0, 2, out=o) is o and tuple(o.shape) == (2, 6)
    parts = pe.split(t, [1, 2, 3], 1)
    assert isinstance(parts, tuple) and [p.shape[1] for p in parts] == [1, 2, 3]
    assert_same(parts[2], ref[:, 3:])
    assert [p.shape[1] for p in pe.split(t, split_size_or_sections=4, dim=1)] == [4, 2]
    assert_raises_like_torch(RuntimeError, lambda m: m.split(m.zeros(2, 3), [1, 1], 1))


def test_names_match_torch():
    torch = require_torch()
    for fn in ("sort", "argsort", "msort", "topk", "kthvalue", "equal", "allclose", "isclose", "masked_select",
               "masked_fill", "nonzero", "argwhere", "where", "gather", "scatter", "scatter_add", "index_select",
               "index_add", "index_fill", "index_copy", "take", "take_along_dim", "cat", "concat", "concatenate",
               "stack", "hstack", "vstack", "dstack", "column_stack", "row_stack", "flip", "fliplr", "flipud", "roll",
               "repeat_interleave", "diag_embed", "narrow_copy", "split", "scatter_reduce", "atleast_1d", "atleast_2d",
               "atleast_3d"):
        assert hasattr(torch, fn) and hasattr(pe, fn), fn
    for meth in ("sort", "argsort", "msort", "topk", "kthvalue", "equal", "allclose", "isclose", "masked_select",
                 "masked_fill", "masked_fill_", "nonzero", "argwhere", "gather", "scatter", "scatter_", "scatter_add",
                 "scatter_add_", "index_select", "index_add", "index_add_", "index_fill", "index_fill_", "index_copy",
                 "index_copy_", "take", "take_along_dim", "scatter_reduce", "scatter_reduce_", "flip", "fliplr",
                 "flipud", "roll", "repeat_interleave", "diag_embed", "narrow_copy"):
        assert hasattr(torch.Tensor, meth) and hasattr(pe.Tensor, meth), meth
    assert dtype_name(pe.cat([pe.zeros(1, dtype=pe.int8), pe.zeros(1, dtype=pe.uint8)]).dtype) == "int16"
