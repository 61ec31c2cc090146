"""trace, diag, tril/triu (+ in place) and cross / linalg.cross against numpy: dtypes, batched and
strided inputs, diagonal offsets, broadcasting, the deprecated default dim, and PyTorch's errors."""
import warnings

import numpy as np
import pytest
from pe_testing import ref_torch

import pyengine as pe

RNG = np.random.default_rng(3)


def raises(exc, fn, gist):
    torch = ref_torch()
    if torch is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(exc, match=gist):
                fn(torch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc, match=gist):
            fn(pe)


def ints(shape, dtype=pe.float32):
    a = RNG.integers(-5, 6, size=shape)
    return pe.tensor(a).to(dtype), a


@pytest.mark.parametrize("dtype,out", [(pe.float32, pe.float32), (pe.float64, pe.float64), (pe.int32, pe.int64),
                                       (pe.uint8, pe.int64), (pe.float16, pe.float16)])
def test_trace(dtype, out):
    t, a = ints((4, 6), dtype)
    if dtype is pe.uint8:
        a = a.astype(np.uint8).astype(np.int64)
    r = pe.trace(t)
    assert r.dim() == 0 and r.dtype is out
    assert r.item() == np.trace(a)
    assert t.t().trace().item() == np.trace(a)
    assert pe.trace(t[::2, 1::2]).item() == np.trace(a[::2, 1::2])
    assert pe.trace(pe.ones(0, 3)).item() == 0


def test_trace_errors():
    raises(RuntimeError, lambda t: t.trace(t.ones(3)), "trace: expected a matrix, but got tensor with dim 1")
    raises(RuntimeError, lambda t: t.trace(t.ones(2, 3, 3)), "trace: expected a matrix, but got tensor with dim 3")
    raises(NotImplementedError, lambda t: t.trace(t.ones(3, 3, dtype=t.bool)), "\"trace\" not implemented for 'Bool'")


@pytest.mark.parametrize("d", [0, 1, -2, 5, -5])
def test_diag(d):
    t, a = ints((4, 5))
    np.testing.assert_array_equal(pe.diag(t, d).numpy(), np.diag(a, d))
    np.testing.assert_array_equal(t.t().diag(d).numpy(), np.diag(a.T, d))
    v, vn = ints((3,), pe.int64)
    r = pe.diag(v, diagonal=d)
    assert r.dtype is pe.int64
    np.testing.assert_array_equal(r.numpy(), np.diag(vn, d))
    np.testing.assert_array_equal(pe.diag(v[::2], d).numpy(), np.diag(vn[::2], d))
    assert pe.diag(pe.ones(0), d).shape == (abs(d), abs(d))


def test_diag_errors_and_out():
    raises(RuntimeError, lambda t: t.diag(t.ones(2, 3, 4)), "diag\\(\\): Supports 1D or 2D tensors. Got 3D")
    raises(RuntimeError, lambda t: t.diag(t.ones(())), "diag\\(\\): Supports 1D or 2D tensors. Got 0D")
    out = pe.empty(0)
    pe.diag(pe.tensor([1.0, 2.0]), out=out)
    assert out.tolist() == [[1.0, 0.0], [0.0, 2.0]]


@pytest.mark.parametrize("d", [0, 1, 2, -1, -3, 10, -10])
@pytest.mark.parametrize("dtype", [pe.float32, pe.int64, pe.bool, pe.bfloat16])
def test_tril_triu(d, dtype):
    t, a = ints((2, 4, 5), dtype)
    a = pe.tensor(a).to(dtype).to(pe.float64).numpy()
    for f, nf, name in ((pe.tril, np.tril, "tril"), (pe.triu, np.triu, "triu")):
        r = f(t, d)
        assert r.dtype is dtype
        np.testing.assert_array_equal(r.to(pe.float64).numpy(), nf(a, d))
        np.testing.assert_array_equal(getattr(t, name)(diagonal=d).to(pe.float64).numpy(), nf(a, d))
        st = t.transpose(1, 2)[:, ::2]  # strided, non-contiguous
        np.testing.assert_array_equal(f(st, d).to(pe.float64).numpy(), nf(a.transpose(0, 2, 1)[:, ::2], d))
        c = t.clone()
        v = c._version
        assert getattr(c, name + "_")(d) is c
        assert c._version > v
        np.testing.assert_array_equal(c.to(pe.float64).numpy(), nf(a, d))
        c = t.clone().transpose(1, 2)  # in place on a non-contiguous view
        getattr(c, name + "_")(d)
        np.testing.assert_array_equal(c.to(pe.float64).numpy(), nf(a.transpose(0, 2, 1), d))


def test_tril_triu_edge():
    assert pe.tril(pe.ones(0, 3)).shape == (0, 3)
    np.testing.assert_array_equal(pe.triu(pe.ones(1, 3).expand(3, 3)).numpy(), np.triu(np.ones((3, 3))))
    raises(RuntimeError, lambda t: t.tril(t.ones(3)), "tril: input tensor must have at least 2 dimensions")
    raises(RuntimeError, lambda t: t.triu(t.ones(3)), "triu: input tensor must have at least 2 dimensions")


@pytest.mark.parametrize("dtype", [pe.float32, pe.float64, pe.int64, pe.int16])
def test_cross(dtype):
    a, an = ints((4, 3, 2), dtype)
    b, bn = ints((4, 3, 2), dtype)
    ref = np.cross(an, bn, axis=1)
    r = pe.cross(a, b, dim=1)
    assert r.dtype is dtype
    np.testing.assert_array_equal(r.numpy(), ref)
    np.testing.assert_array_equal(a.cross(b, dim=-2).numpy(), ref)
    np.testing.assert_array_equal(pe.linalg.cross(a.transpose(1, 2), b.transpose(1, 2)).numpy(),
                                  np.cross(an.transpose(0, 2, 1), bn.transpose(0, 2, 1)))
    # broadcasting (1, 3) against (4, 3)
    np.testing.assert_array_equal(pe.linalg.cross(a[:1, :, 0], b[:, :, 0]).numpy(), np.cross(an[:1, :, 0], bn[:, :, 0]))
    out = pe.empty(0, dtype=dtype)
    pe.linalg.cross(a[:, :, 0], b[:, :, 0], out=out)
    np.testing.assert_array_equal(out.numpy(), np.cross(an[:, :, 0], bn[:, :, 0]))


def test_cross_default_dim_warns():
    a, an = ints((3, 4))
    b, bn = ints((3, 4))
    with pytest.warns(UserWarning, match="Using torch.cross without specifying the dim arg is deprecated"):
        r = pe.cross(a, b)
    np.testing.assert_array_equal(r.numpy(), np.cross(an, bn, axis=0))


def test_cross_errors():
    raises(RuntimeError, lambda t: t.cross(t.ones(2, 4), t.ones(2, 4)), "no dimension of size 3 in input")
    raises(RuntimeError, lambda t: t.cross(t.ones(2, 4), t.ones(2, 4), dim=1),
           "linalg.cross: inputs dimension 1 must have length 3. Got 4 and 4")
    raises(RuntimeError, lambda t: t.linalg.cross(t.ones(3, 4), t.ones(3, 4)),
           "linalg.cross: inputs dimension -1 must have length 3. Got 4 and 4")
    raises(RuntimeError, lambda t: t.linalg.cross(t.ones(3, 3), t.ones(3)),
           "linalg.cross: inputs must have the same number of dimensions.")
    raises(RuntimeError, lambda t: t.linalg.cross(t.ones(3, dtype=t.int64), t.ones(3)),
           "expected scalar type Long but found Float")
    raises(NotImplementedError, lambda t: t.linalg.cross(t.ones(3, dtype=t.bool), t.ones(3, dtype=t.bool)),
           "\"cross\" not implemented for 'Bool'")
    raises(IndexError, lambda t: t.linalg.cross(t.ones(3), t.ones(3), dim=1), "Dimension out of range")
