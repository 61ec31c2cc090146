"""Sums and extremes: sum, mean, prod, amax/amin, max/min (all three forms), argmax/argmin, all/any,
count_nonzero. Values are checked against numpy (float64/int64 math) on every layout and dtype
PyTorch allows, dtypes against PyTorch's promotion rules, errors against PyTorch's classes."""
import itertools
import warnings

import numpy as np
import pytest

import pyengine as pe
from pe_testing import (DTYPE_NAMES, FLOAT_NAMES, INT_NAMES, LAYOUT_NAMES, NP_DTYPES, assert_raises_like_torch,
                        make_layout, pe_dtype, to_np)

TOL = {"float16": 2e-3, "bfloat16": 2e-2, "float32": 1e-5, "float64": 1e-12}


def dims_for(ndim):
    """dim arguments to try on a tensor of ndim dims (None = all)."""
    if ndim == 0:
        return [None, 0, -1, (), [0]]
    out = [None, ()] + list(range(ndim)) + [-1]
    out += [tuple(c) for r in range(2, ndim + 1) for c in itertools.combinations(range(ndim), r)]
    return out


def np_axis(dim, ndim):
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0) or ndim == 0:
        return None
    return tuple(dim) if isinstance(dim, (tuple, list)) else dim


def check(t, ref, dtype, tol=0.0):
    ref = np.asarray(ref)
    assert t.dtype is pe_dtype(dtype), (t.dtype, dtype)
    assert tuple(t.shape) == ref.shape, (tuple(t.shape), ref.shape)
    got = to_np(t).astype(np.float64)
    np.testing.assert_allclose(got, ref.astype(np.float64), rtol=tol, atol=tol)


# ---------------------------------------------------------------------------------------------
# sum / mean / prod
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUT_NAMES)
@pytest.mark.parametrize("dtype", DTYPE_NAMES)
def test_sum(layout, dtype):
    t, a = make_layout(layout, dtype)
    out_dtype = dtype if dtype in FLOAT_NAMES else "int64"
    ref_a = a.astype(np.float64)
    for dim, keepdim in itertools.product(dims_for(t.dim()), (False, True)):
        ref = ref_a.sum(axis=np_axis(dim, t.dim()), keepdims=keepdim)
        check(t.sum(dim, keepdim), ref, out_dtype, TOL.get(dtype, 0))
        check(pe.sum(t, dim=dim, keepdim=keepdim), ref, out_dtype, TOL.get(dtype, 0))
    check(t.sum(), ref_a.sum(), out_dtype, TOL.get(dtype, 0))


def test_sum_3d_all_dim_subsets_and_layouts():
    rng = np.random.default_rng(0)
    base = rng.standard_normal((6, 5, 8))
    views = {
        "contiguous": lambda x: x,
        "permuted": lambda x: x.permute(2, 0, 1),
        "sliced": lambda x: x[::2, 1:, ::3],
        "expanded": lambda x: x[:, :1, :].expand(6, 4, 8),
    }
    np_views = {
        "contiguous": lambda a: a,
        "permuted": lambda a: a.transpose(2, 0, 1),
        "sliced": lambda a: a[::2, 1:, ::3],
        "expanded": lambda a: np.broadcast_to(a[:, :1, :], (6, 4, 8)),
    }
    for name, view in views.items():
        t = view(pe.tensor(base))
        a = np_views[name](base)
        for dim, keepdim in itertools.product(dims_for(3), (False, True)):
            ax = np_axis(dim, 3)
            check(t.sum(dim, keepdim), a.sum(axis=ax, keepdims=keepdim), "float64", 1e-12)
            check(t.mean(dim, keepdim), a.mean(axis=ax, keepdims=keepdim), "float64", 1e-12)
            check(t.amax(dim if dim is not None else (), keepdim), a.max(axis=ax, keepdims=keepdim), "float64")
            check(t.float().sum(dim, keepdim), a.sum(axis=ax, keepdims=keepdim), "float32", 1e-5)


def test_sum_large_float32_is_accurate():
    # 1e7 float32 values agree with a float64 reference to 1e-6 relative (pairwise summation)
    rng = np.random.default_rng(1)
    a = rng.random(10_000_000, dtype=np.float32)
    ref = a.astype(np.float64).sum()
    got = pe.from_numpy(a).sum().item()
    assert abs(got - ref) / ref < 1e-6
    # rows and columns of a matrix too
    m = a[:9_000_000].reshape(3000, 3000)
    ref0 = m.astype(np.float64).sum(0)
    ref1 = m.astype(np.float64).sum(1)
    np.testing.assert_allclose(pe.from_numpy(m).sum(0).numpy(), ref0, rtol=1e-6)
    np.testing.assert_allclose(pe.from_numpy(m).sum(1).numpy(), ref1, rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_sums_accumulate_in_float(dtype):
    t = pe.ones(4352, dtype=pe_dtype(dtype))  # 4352 = 17 * 256 is exact in both
    assert t.sum().item() == 4352.0  # a half accumulator would stall at 2048 (float16) / 256 (bfloat16)
    assert t.mean().item() == 1.0
    assert t.sum().dtype is pe_dtype(dtype)


def test_sum_dtype_argument_and_promotion():
    i8 = pe.tensor([100, 100], dtype=pe.int8)
    assert i8.sum().dtype is pe.int64 and i8.sum().item() == 200
    r = i8.sum(dtype=pe.int8)
    assert r.dtype is pe.int8 and r.item() == -56  # wraps as PyTorch
    assert pe.tensor([True, True, False]).sum().item() == 2
    assert pe.tensor([True]).sum().dtype is pe.int64
    r = pe.tensor([1, 2], dtype=pe.int32).sum(dtype=pe.float64)
    assert r.dtype is pe.float64 and r.item() == 3.0
    r = pe.tensor([1.5, 2.25]).sum(dtype=pe.float64)
    assert r.dtype is pe.float64 and r.item() == 3.75


def test_sum_out():
    x = pe.tensor([[1.0, 2.0], [3.0, 4.0]])
    out = pe.empty(0)
    r = pe.sum(x, 0, out=out)
    assert r is out and out.tolist() == [4.0, 6.0]
    o64 = pe.empty(0, dtype=pe.int64)
    pe.sum(x, 1, out=o64)  # PyTorch computes in the out tensor's dtype
    assert o64.dtype is pe.int64 and o64.tolist() == [3, 7]
    with pytest.raises(RuntimeError):
        pe.sum(x, 0, dtype=pe.float32, out=pe.empty(0, dtype=pe.float64))


@pytest.mark.parametrize("layout", LAYOUT_NAMES)
@pytest.mark.parametrize("dtype", FLOAT_NAMES)
def test_mean(layout, dtype):
    t, a = make_layout(layout, dtype)
    for dim, keepdim in itertools.product(dims_for(t.dim()), (False, True)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numpy: "Mean of empty slice"
            ref = a.astype(np.float64).mean(axis=np_axis(dim, t.dim()), keepdims=keepdim)
        check(t.mean(dim, keepdim), ref, dtype, TOL[dtype])


def test_mean_integer_input():
    x = pe.tensor([1, 2])
    assert_raises_like_torch(RuntimeError, lambda m: m.tensor([1, 2]).mean())
    r = x.mean(dtype=pe.float32)
    assert r.dtype is pe.float32 and r.item() == 1.5
    assert pe.mean(x, dtype=pe.float64).dtype is pe.float64
    assert_raises_like_torch(RuntimeError, lambda m: m.tensor([1.0]).mean(dtype=m.int64))
    out = pe.empty(0, dtype=pe.float64)
    pe.mean(pe.tensor([[1.0, 2.0], [3.0, 5.0]]), 0, out=out)
    assert out.tolist() == [2.0, 3.5]
    assert_raises_like_torch(RuntimeError, lambda m: m.mean(m.ones(2, 2), 0, out=m.empty(0, dtype=m.int64)))


@pytest.mark.parametrize("dtype", DTYPE_NAMES)
def test_prod(dtype):
    vals = np.array([[1, 2, 1], [2, 1, 2], [1, 1, 2], [2, 2, 1]], dtype=np.float64)
    if dtype == "bool":
        vals = vals > 1
    if dtype not in ("bool", "uint8"):
        vals = vals * np.array([1, -1, 1])
    t = pe.tensor(vals.astype(np.float32)).to(pe_dtype(dtype))
    out_dtype = dtype if dtype in FLOAT_NAMES else "int64"
    ref = vals.astype(np.float64)
    check(t.prod(), ref.prod(), out_dtype)
    for d in (0, 1, -1):
        check(t.prod(d), ref.prod(axis=d), out_dtype)
        check(pe.prod(t, d, keepdim=True), ref.prod(axis=d, keepdims=True), out_dtype)
        check(t.t().prod(d), ref.T.prod(axis=d), out_dtype)
    assert pe.ones(0, 3).prod(0).tolist() == [1.0, 1.0, 1.0]
    assert pe.tensor([2, 3], dtype=pe.int32).prod(dtype=pe.float64).dtype is pe.float64


def test_empty_sums():
    e = pe.empty(0, 3)
    assert e.sum(0).tolist() == [0.0, 0.0, 0.0]
    assert e.sum().item() == 0.0
    assert e.sum(1).shape == (0,)
    assert pe.empty(0, dtype=pe.int32).sum().dtype is pe.int64
    assert all(np.isnan(e.mean(0).numpy()))


# ---------------------------------------------------------------------------------------------
# extremes
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", [n for n in LAYOUT_NAMES if n != "empty"])
@pytest.mark.parametrize("dtype", DTYPE_NAMES)
def test_amax_amin_max_min(layout, dtype):
    t, a = make_layout(layout, dtype)
    ref = a.astype(np.float64)
    check(t.amax(), ref.max(), dtype)
    check(t.amin(), ref.min(), dtype)
    check(t.max(), ref.max(), dtype)
    check(pe.min(t), ref.min(), dtype)
    for dim, keepdim in itertools.product(dims_for(t.dim()), (False, True)):
        ax = np_axis(dim, t.dim())
        d = () if dim is None else dim
        check(t.amax(d, keepdim), ref.max(axis=ax, keepdims=keepdim), dtype)
        check(pe.amin(t, d, keepdim), ref.min(axis=ax, keepdims=keepdim), dtype)
    for d in range(-max(t.dim(), 1), max(t.dim(), 1)):
        for keepdim in (False, True):
            ax = None if t.dim() == 0 else d
            v, i = t.max(d, keepdim)
            check(v, ref.max(axis=ax, keepdims=keepdim), dtype)
            check(i, np.argmax(ref, axis=ax) if ax is None else
                  np.expand_dims(np.argmax(ref, axis=ax), ax) if keepdim else np.argmax(ref, axis=ax), "int64")
            r = pe.min(t, d, keepdim=keepdim)
            check(r.values, ref.min(axis=ax, keepdims=keepdim), dtype)
            idx = np.argmin(ref, axis=ax)
            check(r.indices, np.expand_dims(idx, ax) if keepdim and ax is not None else idx, "int64")


def test_max_with_dim_returns_named_tuple():
    x = pe.tensor([[1.0, 5.0, 5.0], [7.0, 2.0, 7.0]])
    r = pe.max(x, 1)
    assert isinstance(r, tuple) and len(r) == 2
    values, indices = r
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]  # first of the ties
    assert r[0] is r.values and r[1] is r.indices
    assert type(r).__name__ == "max" and type(pe.min(x, 0)).__name__ == "min"
    assert repr(r).startswith("torch.return_types.max(")
    assert pe.return_types.max is type(r)
    v, i = x.max(dim=0, keepdim=True)
    assert v.shape == (1, 3) and i.tolist() == [[1, 0, 1]]
    vo, io = pe.empty(0), pe.empty(0, dtype=pe.int64)
    r = pe.max(x, 1, out=(vo, io))
    assert r.values is vo and io.tolist() == [1, 0]


def test_max_nan_propagates():
    nan = float("nan")
    x = pe.tensor([1.0, nan, 3.0, nan])
    assert np.isnan(x.max().item()) and np.isnan(x.amin().item())
    v, i = x.max(0)
    assert np.isnan(v.item()) and i.item() == 1
    assert x.argmin().item() == 1 and x.argmax().item() == 1
    m = pe.tensor([[1.0, 2.0], [nan, 0.0], [3.0, nan]])
    v, i = m.min(0)  # Outer path
    assert np.isnan(v.numpy()).all() and i.tolist() == [1, 2]
    assert pe.tensor([-float("inf")] * 3).argmax().item() == 0


def test_max_min_binary_is_elementwise():
    a = pe.tensor([[1.0, 5.0], [3.0, -1.0]])
    b = pe.tensor([2, 0])  # broadcast and promoted
    r = pe.max(a, b)
    assert r.dtype is pe.float32 and r.tolist() == [[2.0, 5.0], [3.0, 0.0]]
    assert pe.min(a, b).tolist() == [[1.0, 0.0], [2.0, -1.0]]
    assert a.max(b).tolist() == [[2.0, 5.0], [3.0, 0.0]]
    assert pe.max(a, other=b).tolist() == [[2.0, 5.0], [3.0, 0.0]]
    n = pe.max(pe.tensor([1.0, float("nan")]), pe.tensor([2.0, 0.0]))
    assert n[0].item() == 2.0 and np.isnan(n[1].item())
    out = pe.empty(0)
    assert pe.max(a, a * 2, out=out) is out and out.tolist() == [[2.0, 10.0], [6.0, -1.0]]


@pytest.mark.parametrize("layout", [n for n in LAYOUT_NAMES if n != "empty"])
@pytest.mark.parametrize("dtype", [n for n in DTYPE_NAMES if n != "bool"])
def test_argmax_argmin(layout, dtype):
    t, a = make_layout(layout, dtype)
    ref = a.astype(np.float64)
    check(t.argmax(), np.argmax(ref), "int64")
    check(pe.argmin(t), np.argmin(ref), "int64")
    check(t.argmax(keepdim=True), np.argmax(ref).reshape((1,) * t.dim()), "int64")
    for d in range(-max(t.dim(), 1), max(t.dim(), 1)):
        ax = None if t.dim() == 0 else d
        check(t.argmax(d), np.argmax(ref, axis=ax), "int64")
        check(pe.argmin(t, dim=d), np.argmin(ref, axis=ax), "int64")
        if ax is not None:
            check(t.argmax(d, keepdim=True), np.expand_dims(np.argmax(ref, axis=ax), ax), "int64")


def test_argmax_large_rows_and_ties():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 50, size=(64, 4099)).astype(np.float32)  # many ties; not a multiple of the lanes
    t = pe.from_numpy(a)
    np.testing.assert_array_equal(t.argmax(1).numpy(), np.argmax(a, 1))
    np.testing.assert_array_equal(t.argmin(0).numpy(), np.argmin(a, 0))
    np.testing.assert_array_equal(t.max(0).indices.numpy(), np.argmax(a, 0))
    big = rng.random(3_000_000).astype(np.float32)
    assert pe.from_numpy(big).argmax().item() == int(np.argmax(big))


def test_extremes_of_empty_raise_like_torch():
    assert_raises_like_torch(RuntimeError, lambda m: m.empty(0).max())
    assert_raises_like_torch(RuntimeError, lambda m: m.empty(0, 3).amax())
    assert_raises_like_torch(IndexError, lambda m: m.empty(0, 3).max(0))
    assert_raises_like_torch(IndexError, lambda m: m.empty(0, 3).amin(0))
    assert_raises_like_torch(IndexError, lambda m: m.empty(0, 3).argmax())
    assert_raises_like_torch(IndexError, lambda m: m.empty(0, 3).argmin(0))
    v, i = pe.empty(0, 3).max(1)  # the reduced dim is not empty: an empty result
    assert v.shape == (0,) and i.dtype is pe.int64
    assert_raises_like_torch(RuntimeError, lambda m: m.tensor([True, False]).argmax())


# ---------------------------------------------------------------------------------------------
# all / any / count_nonzero
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUT_NAMES)
@pytest.mark.parametrize("dtype", DTYPE_NAMES)
def test_all_any_count_nonzero(layout, dtype):
    t, a = make_layout(layout, dtype)
    nz = a.astype(np.float64) != 0
    logical = "uint8" if dtype == "uint8" else "bool"
    for dim, keepdim in itertools.product(dims_for(t.dim()), (False, True)):
        ax = np_axis(dim, t.dim())
        if dim == ():  # PyTorch's all/any over an empty dim list reduce nothing (sum & co. reduce all)
            check(t.all(dim, keepdim), nz, logical)
            check(pe.any(t, dim, keepdim), nz, logical)
        else:
            check(t.all(dim, keepdim), nz.all(axis=ax, keepdims=keepdim), logical)
            check(pe.any(t, dim, keepdim), nz.any(axis=ax, keepdims=keepdim), logical)
        check(pe.count_nonzero(t, dim), nz.sum(axis=ax), "int64")
    check(t.all(), nz.all(), logical)
    check(t.any(), nz.any(), logical)


def test_all_any_edge_cases():
    assert pe.tensor([float("nan")]).all().item() is True
    assert pe.tensor([-0.0]).any().item() is False
    assert pe.empty(0).all().item() is True and pe.empty(0).any().item() is False
    out = pe.empty(0, dtype=pe.bool)
    assert pe.all(pe.ones(2, 2), 1, out=out) is out and out.tolist() == [True, True]
    assert_raises_like_torch(RuntimeError, lambda m: m.all(m.ones(2), 0, out=m.empty(0)))


# ---------------------------------------------------------------------------------------------
# bad arguments
# ---------------------------------------------------------------------------------------------

def test_bad_dims_raise_like_torch():
    assert_raises_like_torch(IndexError, lambda m: m.ones(2, 3).sum(2))
    assert_raises_like_torch(IndexError, lambda m: m.ones(2, 3).amax(-3))
    assert_raises_like_torch(IndexError, lambda m: m.ones(2, 3).max(5))
    assert_raises_like_torch(IndexError, lambda m: m.tensor(1.0).sum(1))
    assert_raises_like_torch(RuntimeError, lambda m: m.ones(2, 3).sum((0, 0)))
    assert_raises_like_torch(RuntimeError, lambda m: m.ones(2, 3).sum((1, -1)))
    assert_raises_like_torch(TypeError, lambda m: m.ones(2, 3).sum("a"))
    assert_raises_like_torch(TypeError, lambda m: m.ones(2, 3).sum(1.5))


def test_dtype_of_results_matches_torch():
    torch = pytest.importorskip("torch")
    for name in DTYPE_NAMES:
        x = torch.ones(2, 2, dtype=getattr(torch, name))
        p = pe.ones(2, 2, dtype=pe_dtype(name))
        for op in ("sum", "prod", "amax", "all", "any"):
            assert str(getattr(p, op)().dtype) == str(getattr(x, op)().dtype), (op, name)
        assert str(p.cumsum(0).dtype) == str(x.cumsum(0).dtype), name
    for name in INT_NAMES:
        assert NP_DTYPES[name] is not None
