"""sort / argsort / msort / topk / kthvalue against numpy (stable sorts, NaN as the largest value),
on every layout and dtype, plus PyTorch's named tuples, out= and errors."""
import numpy as np
import pytest

import pyengine as pe
from pe_testing import (DTYPE_NAMES, LAYOUT_NAMES, assert_raises_like_torch, assert_same, make_layout, require_torch,
                        to_np)

NON_BOOL = [n for n in DTYPE_NAMES if n != "bool"]


def ref_argsort(a: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable argsort with PyTorch's order: NaN largest (last ascending, first descending)."""
    a = np.moveaxis(np.asarray(a), axis, -1)
    if a.dtype == np.bool_:
        a = a.astype(np.int64)
    a = a.astype(np.float64)
    out = np.empty(a.shape, dtype=np.int64)
    for idx in np.ndindex(*a.shape[:-1]):
        row = a[idx]
        if descending:
            nan = np.isnan(row)
            out[idx] = np.lexsort((np.where(nan, 0.0, -row), ~nan))
        else:
            out[idx] = np.argsort(row, kind="stable")
    return np.moveaxis(out, -1, axis)


def ref_sort(a, axis, descending):
    i = ref_argsort(a, axis, descending)
    a = np.asarray(a)
    return (np.take_along_axis(a, i, axis) if a.ndim else a), i


# ---------------------------------------------------------------------------------------------
# sort / argsort
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUT_NAMES)
@pytest.mark.parametrize("name", DTYPE_NAMES)
@pytest.mark.parametrize("descending", [False, True])
def test_sort_stable_matches_numpy(layout, name, descending):
    t, ref = make_layout(layout, name)
    for dim in ([0, -1] if t.dim() else [0]):
        r = pe.sort(t, dim=dim, descending=descending, stable=True)
        want_v, want_i = ref_sort(ref, dim if ref.ndim else 0, descending) if ref.ndim else (ref, np.array(0))
        assert_same(r.values, want_v, dtype=name)
        assert_same(r.indices, want_i, dtype="int64")
        assert_same(pe.argsort(t, dim, descending, stable=True), want_i)


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64"])
def test_sort_nan_inf_order(name):
    vals = [3.0, float("nan"), -float("inf"), 1.0, float("inf"), float("nan"), -0.0, 0.0, 1.0]
    t = pe.tensor(vals).to(getattr(pe, name))
    asc = pe.sort(t)
    assert_same(asc.indices, ref_argsort(np.array(vals), 0, False))
    desc = pe.sort(t, descending=True, stable=True)
    assert desc.indices.tolist() == [1, 5, 4, 0, 3, 8, 6, 7, 2]
    assert np.isnan(to_np(desc.values)[:2]).all()


def test_sort_large_rows_against_numpy():
    rng = np.random.default_rng(0)
    a = rng.integers(-50, 50, size=(7, 3000)).astype(np.float32)
    a[rng.random(a.shape) < 0.01] = np.nan
    t = pe.tensor(a)
    for dim in (0, 1):
        for desc in (False, True):
            v, i = pe.sort(t, dim, desc, stable=True)
            wv, wi = ref_sort(a, dim, desc)
            assert_same(v, wv)
            assert_same(i, wi)


def test_sort_unstable_is_a_valid_sort():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 5, size=(4, 300)).astype(np.float64)
    t = pe.tensor(a)
    v, i = pe.sort(t, 1, True)
    assert_same(v, -np.sort(-a, axis=1))
    assert_same(pe.gather(t, 1, i), to_np(v))
    assert (np.sort(i.numpy(), axis=1) == np.arange(300)).all()


def test_sort_returns_named_tuple():
    r = pe.sort(pe.tensor([2.0, 1.0]))
    assert type(r) is pe.return_types.sort
    assert isinstance(r, tuple) and len(r) == 2
    v, i = r
    assert v is r.values and i is r.indices and r[0] is v
    assert "torch.return_types.sort" in repr(r)
    assert type(pe.topk(pe.tensor([2.0, 1.0]), 1)) is pe.return_types.topk
    assert type(pe.kthvalue(pe.tensor([2.0, 1.0]), 1)) is pe.return_types.kthvalue
    # the types pickle by reference to pyengine.return_types (shown here with plain values)
    import pickle
    p = pickle.loads(pickle.dumps(pe.return_types.topk((1, 2))))
    assert type(p) is pe.return_types.topk and p.values == 1 and p.indices == 2


def test_sort_methods_and_keywords():
    t = pe.tensor([3.0, 1.0, 2.0])
    assert t.sort().values.tolist() == [1.0, 2.0, 3.0]
    assert t.sort(0, True).indices.tolist() == [0, 2, 1]
    assert t.sort(stable=True, dim=0, descending=True).indices.tolist() == [0, 2, 1]
    assert pe.sort(t, stable=None).indices.tolist() == [1, 2, 0]
    assert t.argsort(0, True).tolist() == [0, 2, 1]
    assert pe.argsort(t, dim=-1, descending=False, stable=True).tolist() == [1, 2, 0]
    assert pe.msort(pe.tensor([[2, 1], [0, 3]])).tolist() == [[0, 1], [2, 3]]
    assert pe.tensor([[2, 1], [0, 3]]).msort().tolist() == [[0, 1], [2, 3]]


def test_sort_zero_dim_empty_and_bool():
    v, i = pe.sort(pe.tensor(5.0))
    assert v.dim() == 0 and v.item() == 5.0 and i.item() == 0 and i.dtype is pe.int64
    for shape, dim in (((2, 0), 1), ((0, 2), 0), ((0,), 0)):
        v, i = pe.sort(pe.zeros(shape), dim=dim)
        assert tuple(v.shape) == shape and tuple(i.shape) == shape and i.dtype is pe.int64
    r = pe.sort(pe.tensor([True, False, True]))
    assert r.values.tolist() == [False, True, True] and r.indices.tolist() == [1, 0, 2]


def test_sort_out():
    t = pe.tensor([3.0, 1.0, 2.0])
    v, i = pe.empty(0), pe.empty(0, dtype=pe.int64)
    r = pe.sort(t, out=(v, i))
    assert r.values is v and r.indices is i
    assert v.tolist() == [1.0, 2.0, 3.0] and i.tolist() == [1, 2, 0]
    assert_raises_like_torch(RuntimeError, lambda m: m.sort(m.tensor([1.0]),
                                                            out=(m.empty(0), m.empty(0, dtype=m.int32))))
    assert_raises_like_torch(RuntimeError, lambda m: m.sort(m.tensor([1.0]), out=(m.empty(0, dtype=m.float64),
                                                                                   m.empty(0, dtype=m.int64))))


def test_sort_errors():
    assert_raises_like_torch(IndexError, lambda m: m.sort(m.zeros(2, 3), dim=2))
    assert_raises_like_torch(IndexError, lambda m: m.sort(m.tensor(1.0), dim=1))
    assert_raises_like_torch(TypeError, lambda m: m.sort(m.zeros(3), 0, False, True))  # stable is keyword-only
    assert_raises_like_torch(TypeError, lambda m: m.sort(None))
    assert_raises_like_torch(TypeError, lambda m: m.argsort(m.zeros(3), 0, False, True))


# ---------------------------------------------------------------------------------------------
# topk
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced_step", "expanded"])
@pytest.mark.parametrize("name", NON_BOOL)
@pytest.mark.parametrize("largest", [True, False])
def test_topk_matches_numpy(layout, name, largest):
    t, ref = make_layout(layout, name)
    for dim in (0, 1, -1):
        n = ref.shape[dim]
        for k in (0, 1, n):
            v, i = pe.topk(t, k, dim=dim, largest=largest)
            wv, wi = ref_sort(ref, dim % 2, largest)
            wv = np.take(wv, np.arange(k), axis=dim)
            assert_same(v, wv, dtype=name)
            # ties: the smallest index first, the order of a stable sort
            assert_same(i, np.take(wi, np.arange(k), axis=dim))


def test_topk_nan_and_unsorted():
    t = pe.tensor([1.0, float("nan"), 2.0, 5.0, 4.0])
    v, i = pe.topk(t, 2)
    assert np.isnan(v[0].item()) and v[1].item() == 5.0 and i.tolist() == [1, 3]
    assert pe.topk(t, 1, largest=False).indices.tolist() == [0]
    v, i = t.topk(3, 0, True, False)
    assert sorted(i.tolist()) == [1, 3, 4]
    assert_same(pe.gather(t, 0, i), to_np(v))


def test_topk_keywords_out_zero_dim_and_empty():
    t = pe.tensor([3.0, 1.0, 2.0])
    assert pe.topk(t, k=2, dim=0, largest=False, sorted=True).values.tolist() == [1.0, 2.0]
    v, i = pe.empty(0), pe.empty(0, dtype=pe.int64)
    r = pe.topk(t, 2, out=(v, i))
    assert r.values is v and v.tolist() == [3.0, 2.0] and i.tolist() == [0, 2]
    r = pe.topk(pe.tensor(3.0), 1)
    assert r.values.dim() == 0 and r.values.item() == 3.0 and r.indices.item() == 0
    assert tuple(pe.topk(pe.zeros(2, 0), 0).values.shape) == (2, 0)
    assert tuple(pe.topk(pe.zeros(0, 2), 0, dim=0).indices.shape) == (0, 2)


def test_topk_errors():
    assert_raises_like_torch(RuntimeError, lambda m: m.topk(m.zeros(5), 6))
    assert_raises_like_torch(RuntimeError, lambda m: m.topk(m.zeros(5), -1))
    assert_raises_like_torch(RuntimeError, lambda m: m.topk(m.tensor(3.0), 2))
    assert_raises_like_torch(RuntimeError, lambda m: m.topk(m.zeros(2, 0), 1))
    assert_raises_like_torch(RuntimeError, lambda m: m.topk(m.tensor([True, False]), 1))
    assert_raises_like_torch(IndexError, lambda m: m.topk(m.zeros(2, 3), 1, dim=2))


# ---------------------------------------------------------------------------------------------
# kthvalue
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced_step", "expanded", "zero_dim"])
@pytest.mark.parametrize("name", NON_BOOL)
@pytest.mark.parametrize("keepdim", [False, True])
def test_kthvalue_matches_numpy(layout, name, keepdim):
    t, ref = make_layout(layout, name)
    for dim in ([0, 1, -1] if t.dim() else [0]):
        n = ref.shape[dim] if ref.ndim else 1
        for k in sorted({1, (n + 1) // 2, n}):
            v, i = pe.kthvalue(t, k, dim, keepdim)
            if ref.ndim:
                want = np.take(np.sort(ref.astype(np.float64), axis=dim), [k - 1], axis=dim)
                if not keepdim:
                    want = np.squeeze(want, axis=dim)
            else:
                want = ref
            assert_same(v, want.astype(to_np(v).dtype), dtype=name)
            assert i.dtype is pe.int64 and tuple(i.shape) == tuple(v.shape)
            # the index points at an element holding the value
            iv = i if keepdim or not t.dim() else i.unsqueeze(dim)
            got = pe.gather(t, dim, iv) if t.dim() else t
            assert_same(got if keepdim or not t.dim() else got.squeeze(dim), to_np(v))


def test_kthvalue_nan_keywords_and_out():
    t = pe.tensor([1.0, float("nan"), 2.0])
    r = pe.kthvalue(t, 3)
    assert np.isnan(r.values.item()) and r.indices.item() == 1
    r = pe.tensor([3.0, 1.0, 2.0]).kthvalue(2, 0, True)
    assert r.values.tolist() == [2.0] and r.indices.tolist() == [2]
    r = pe.kthvalue(pe.tensor([3.0, 1.0, 2.0]), k=2, dim=0, keepdim=True)
    assert r.values.tolist() == [2.0]
    v, i = pe.empty(0), pe.empty(0, dtype=pe.int64)
    r = pe.kthvalue(pe.tensor([3.0, 1.0, 2.0]), 2, out=(v, i))
    assert r.values is v and v.item() == 2.0 and i.item() == 2


def test_kthvalue_errors():
    assert_raises_like_torch(RuntimeError, lambda m: m.kthvalue(m.zeros(5), 6))
    assert_raises_like_torch(RuntimeError, lambda m: m.kthvalue(m.zeros(5), 0))
    assert_raises_like_torch(IndexError, lambda m: m.kthvalue(m.zeros(2, 0), 1))
    assert_raises_like_torch(IndexError, lambda m: m.kthvalue(m.zeros(0, 2), 1, dim=0))
    assert_raises_like_torch(NotImplementedError, lambda m: m.kthvalue(m.tensor([True, False]), 1))


def test_against_torch_random():
    torch = require_torch()
    rng = np.random.default_rng(3)
    a = rng.standard_normal((5, 40)).astype(np.float32)
    a[rng.random(a.shape) < 0.05] = np.nan
    t, tt = pe.tensor(a), torch.tensor(a)
    for dim in (0, 1):
        for desc in (False, True):
            assert_same(pe.sort(t, dim, desc).values, torch.sort(tt, dim, desc).values.numpy())
        for k in (1, 3):
            assert_same(pe.topk(t, k, dim).values, torch.topk(tt, k, dim).values.numpy())
            assert_same(pe.topk(t, k, dim, largest=False).values, torch.topk(tt, k, dim, largest=False).values.numpy())
            assert_same(pe.kthvalue(t, k, dim).values, torch.kthvalue(tt, k, dim).values.numpy())
