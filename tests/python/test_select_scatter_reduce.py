"""scatter_reduce / scatter_reduce_ (sum, prod, mean, amax, amin; include_self) against a numpy
loop reference, with NaN propagation, PyTorch's max/min aliases and its errors."""
import numpy as np
import pytest

import pyengine as pe
from pe_testing import assert_raises_like_torch, assert_same

RNG = np.random.default_rng(13)


def np_scatter_reduce(x, dim, idx, src, reduce, include_self):
    out = x.astype(np.float64).copy()
    hit = {}
    for p in np.ndindex(*idx.shape):
        q = list(p)
        q[dim] = idx[p]
        hit.setdefault(tuple(q), []).append(float(src[p]))
    for q, vals in hit.items():
        vals = ([out[q]] if include_self else []) + vals
        if reduce == "sum":
            out[q] = sum(vals)
        elif reduce == "prod":
            out[q] = np.prod(vals)
        elif reduce == "mean":
            out[q] = np.floor(sum(vals) / len(vals)) if np.issubdtype(x.dtype, np.integer) else sum(vals) / len(vals)
        elif reduce == "amax":
            out[q] = max(vals)
        else:
            out[q] = min(vals)
    return out.astype(x.dtype)


@pytest.mark.parametrize("name", ["int64", "int32", "float32", "float64"])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(name, reduce, include_self):
    x = RNG.integers(-4, 5, size=(3, 4)).astype(name)
    idx = RNG.integers(0, 4, size=(2, 6))
    src = RNG.integers(-4, 5, size=(3, 7)).astype(name)
    want = np_scatter_reduce(x, 1, idx, src, reduce, include_self)
    t = pe.tensor(x)
    got = pe.scatter_reduce(t, 1, pe.tensor(idx), pe.tensor(src), reduce, include_self=include_self)
    assert_same(got, want, dtype=name)
    assert_same(t.t().scatter_reduce(0, pe.tensor(idx.T.copy()), pe.tensor(src).t(), reduce,
                                     include_self=include_self), want.T)
    u = t.clone()
    assert u.scatter_reduce_(1, pe.tensor(idx), pe.tensor(src), reduce=reduce, include_self=include_self) is u
    assert_same(u, want)


def test_scatter_reduce_nan_aliases_and_errors():
    x, s, i = pe.tensor([1.0, 2, 3]), pe.tensor([float("nan"), 5.0, 0.0]), pe.tensor([0, 1, 2])
    r = pe.scatter_reduce(x, 0, i, s, "amax")
    assert np.isnan(r[0].item()) and r[1:].tolist() == [5.0, 3.0]
    assert pe.scatter_reduce(x, 0, i, s, "max").tolist()[1:] == [5.0, 3.0]  # PyTorch's aliases
    assert pe.scatter_reduce(x, 0, i, s, "min").tolist()[1:] == [2.0, 0.0]
    o = pe.empty(0)
    assert pe.scatter_reduce(x, 0, i, s, "sum", include_self=False, out=o) is o
    xs = lambda m: m.arange(6.0).view(2, 3)  # noqa: E731
    assert_raises_like_torch(RuntimeError, lambda m: m.scatter_reduce(xs(m), 1, m.tensor([[0]]), m.ones(1, 1), "add"))
    assert_raises_like_torch(RuntimeError, lambda m: m.scatter_reduce(xs(m), 1, m.tensor([[0]]), m.ones(1, 1).double(),
                                                                      "sum"))
    assert_raises_like_torch(NotImplementedError, lambda m: m.scatter_reduce(xs(m).bool(), 1, m.tensor([[0]]),
                                                                             m.ones(1, 1).bool(), "mean"))
    assert_raises_like_torch(RuntimeError, lambda m: m.scatter_reduce(xs(m), 1, m.tensor([[3]]), m.ones(1, 1), "sum"))
