"""beta * input + alpha * product: addmm, baddbmm, addbmm, addmv, addr (function, method, in-place,
out=) against numpy, including broadcast inputs, beta = 0 ignoring NaN, integer alpha/beta rules and
PyTorch's errors."""
import numpy as np
import pytest
from pe_testing import ref_torch

import pyengine as pe

RNG = np.random.default_rng(7)


def rand(shape, dtype=pe.float32):
    a = RNG.standard_normal(shape)
    return pe.tensor(a, dtype=pe.float64).to(dtype), a


def close(t, ref, tol=1e-4):
    assert tuple(t.shape) == np.shape(ref), (tuple(t.shape), np.shape(ref))
    np.testing.assert_allclose(t.double().numpy(), ref, rtol=tol, atol=tol)


def raises(exc, fn, gist):
    torch = ref_torch()
    if torch is not None:
        with pytest.raises(exc, match=gist):
            fn(torch)
    with pytest.raises(exc, match=gist):
        fn(pe)


@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1), (2, 0), (-1, 0.25)])
@pytest.mark.parametrize("dtype", [pe.float32, pe.float64])
def test_addmm(beta, alpha, dtype):
    m, mn = rand((3, 5), dtype)
    a, an = rand((3, 4), dtype)
    b, bn = rand((4, 5), dtype)
    ref = beta * mn + alpha * (an @ bn)
    close(pe.addmm(m, a, b, beta=beta, alpha=alpha), ref)
    close(m.addmm(a, b, beta=beta, alpha=alpha), ref)
    close(pe.addmm(m[0], a, b, beta=beta, alpha=alpha), beta * mn[0] + alpha * (an @ bn))  # broadcast input
    close(pe.addmm(m.t().contiguous().t(), a.t().contiguous().t(), b, beta=beta, alpha=alpha), ref)
    c = m.clone()
    r = c.addmm_(a, b, beta=beta, alpha=alpha)
    assert r is c
    close(c, ref)
    out = pe.empty(0, dtype=dtype)
    assert pe.addmm(m, a, b, beta=beta, alpha=alpha, out=out) is out
    close(out, ref)


def test_beta_zero_ignores_nan_and_alpha_zero_ignores_product():
    nan = pe.full((2, 2), float("nan"))
    r = pe.addmm(nan, pe.ones(2, 3), pe.ones(3, 2), beta=0)
    np.testing.assert_array_equal(r.numpy(), np.full((2, 2), 3.0))
    r = pe.addmm(pe.ones(2, 2), pe.full((2, 3), float("nan")), pe.ones(3, 2), alpha=0)
    np.testing.assert_array_equal(r.numpy(), np.ones((2, 2)))
    r = pe.addmv(pe.full((2,), float("nan")), pe.ones(2, 3), pe.ones(3), beta=0)
    np.testing.assert_array_equal(r.numpy(), [3.0, 3.0])
    r = pe.baddbmm(pe.full((2, 2, 2), float("nan")), pe.ones(2, 2, 3), pe.ones(2, 3, 2), beta=0)
    np.testing.assert_array_equal(r.numpy(), np.full((2, 2, 2), 3.0))
    r = pe.addbmm(pe.full((2, 2), float("nan")), pe.ones(4, 2, 3), pe.ones(4, 3, 2), beta=0)
    np.testing.assert_array_equal(r.numpy(), np.full((2, 2), 12.0))
    r = pe.addr(pe.full((2, 3), float("nan")), pe.ones(2), pe.ones(3), beta=0)
    np.testing.assert_array_equal(r.numpy(), np.ones((2, 3)))


def test_addmm_int_and_half():
    m = pe.full((2, 2), 3, dtype=pe.int64)
    a = pe.ones(2, 2, dtype=pe.int64)
    # integer tensors: beta and alpha are truncated to integers (PyTorch: 1.7 -> 1, 0.5 -> 0)
    assert pe.addmm(m, a, a, beta=1.7, alpha=2).tolist() == [[7, 7], [7, 7]]
    assert pe.addmm(m, a, a, beta=0.5, alpha=2).tolist() == [[4, 4], [4, 4]]
    h, hn = rand((3, 4), pe.float16)
    r = pe.addmm(pe.zeros(3, 3, dtype=pe.float16), h, h.t(), beta=1, alpha=1)
    assert r.dtype is pe.float16
    hn = h.double().numpy()
    close(r, hn @ hn.T, tol=2e-2)


@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, -2.0), (0, 1)])
def test_baddbmm_addbmm(beta, alpha):
    m, mn = rand((5, 2, 4))
    a, an = rand((5, 2, 3))
    b, bn = rand((5, 3, 4))
    close(pe.baddbmm(m, a, b, beta=beta, alpha=alpha), beta * mn + alpha * (an @ bn))
    close(pe.baddbmm(m[0], a, b, beta=beta, alpha=alpha), beta * mn[0] + alpha * (an @ bn))
    close(m.baddbmm(a.transpose(1, 2).contiguous().transpose(1, 2), b, beta=beta, alpha=alpha),
          beta * mn + alpha * (an @ bn))
    c = m.clone()
    c.baddbmm_(a, b, beta=beta, alpha=alpha)
    close(c, beta * mn + alpha * (an @ bn))
    s = (an @ bn).sum(0)
    close(pe.addbmm(m[0], a, b, beta=beta, alpha=alpha), beta * mn[0] + alpha * s)
    close(m[0].addbmm(a, b, beta=beta, alpha=alpha), beta * mn[0] + alpha * s)
    c = m[0].clone()
    c.addbmm_(a, b, beta=beta, alpha=alpha)
    close(c, beta * mn[0] + alpha * s)
    close(pe.addbmm(m[0, 0], a.transpose(1, 2).contiguous().transpose(1, 2), b), mn[0, 0] + s)
    close(pe.addbmm(m[0], pe.ones(0, 2, 3), pe.ones(0, 3, 4), beta=beta), beta * mn[0])


def test_addmv_addr():
    y, yn = rand((3,))
    a, an = rand((3, 4))
    v, vn = rand((4,))
    close(pe.addmv(y, a, v, beta=0.5, alpha=2), 0.5 * yn + 2 * an @ vn)
    close(pe.addmv(y[:1], a.t().contiguous().t(), v), yn[:1] + an @ vn)
    close(y.addmv(a, v), yn + an @ vn)
    c = y.clone()
    c.addmv_(a, v, alpha=-1)
    close(c, yn - an @ vn)
    u, un = rand((3,))
    close(pe.addr(a, u, v, beta=2, alpha=0.5), 2 * an + 0.5 * np.outer(un, vn))
    close(a.addr(u, v), an + np.outer(un, vn))
    c = a.clone()
    c.addr_(u, v)
    close(c, an + np.outer(un, vn))
    # addr promotes (unlike addmm): int input with float vectors gives float
    r = pe.addr(pe.ones(3, 4, dtype=pe.int64), u, v)
    assert r.dtype is pe.float32
    close(r, 1 + np.outer(un, vn))
    r = pe.addr(pe.ones(2, 2, dtype=pe.int64), pe.tensor([1, 2]), pe.tensor([3, 4]), beta=2, alpha=3)
    assert r.tolist() == [[11, 14], [20, 26]]


def test_errors():
    raises(RuntimeError, lambda t: t.addmm(t.ones(3, 5), t.ones(3, 4), t.ones(5, 5)),
           r"mat1 and mat2 shapes cannot be multiplied \(3x4 and 5x5\)")
    raises(RuntimeError, lambda t: t.addmm(t.ones(3, 5), t.ones(3), t.ones(5, 5)), "mat1 must be a matrix, got 1-D tensor")
    raises(RuntimeError, lambda t: t.addmm(t.ones(3, 4), t.ones(2, 3), t.ones(3, 4)), "The expanded size of the tensor")
    raises(RuntimeError, lambda t: t.addmm(t.ones(2, 4), t.ones(2, 3), t.ones(3, 4, dtype=t.float64)),
           "must have the same dtype")
    raises(RuntimeError, lambda t: t.addmm(t.ones(2, 4, dtype=t.float64), t.ones(2, 3), t.ones(3, 4)),
           "self and mat2 must have the same dtype, but got Double and Float")
    raises(NotImplementedError, lambda t: t.addmm(t.ones(2, 2, dtype=t.bool), t.ones(2, 2, dtype=t.bool),
                                                  t.ones(2, 2, dtype=t.bool)), "'Bool'")
    raises(RuntimeError, lambda t: t.ones(5).addmm_(t.ones(3, 4), t.ones(4, 5)),
           r"Bad in-place call: input tensor size \[5\] and output tensor size \[3, 5\] should match")
    raises(RuntimeError, lambda t: t.baddbmm(t.ones(2, 3, 5), t.ones(2, 3, 4), t.ones(2, 5, 5)),
           r"Expected size for first two dimensions of batch2 tensor to be: \[2, 4\] but got: \[2, 5\].")
    raises(RuntimeError, lambda t: t.baddbmm(t.ones(3, 2, 4), t.ones(5, 2, 3), t.ones(5, 3, 4)),
           "The expanded size of the tensor")
    raises(RuntimeError, lambda t: t.addbmm(t.ones(2, 4), t.ones(5, 2, 3), t.ones(4, 3, 4)),
           "batch1 and batch2 must have same number of batches, got 5 and 4")
    raises(RuntimeError, lambda t: t.addbmm(t.ones(3, 5), t.ones(2, 3, 4), t.ones(2, 5, 5)),
           r"Incompatible matrix sizes for bmm \(3x4 and 5x5\)")
    raises(RuntimeError, lambda t: t.addmv(t.ones(3), t.ones(2, 3), t.ones(3)),
           r"size mismatch, got input \(3\), mat \(2x3\), vec \(3\)")
    raises(RuntimeError, lambda t: t.addmv(t.ones(2, 1), t.ones(2, 3), t.ones(3)),
           "vector \\+ matrix @ vector expected, got 2, 2, 1")
    raises(RuntimeError, lambda t: t.addmv(t.ones(2), t.ones(2, 3), t.ones(3, dtype=t.float64)),
           "addmv input tensors must have the same dtype, but got Float, Float, and Double")
    raises(RuntimeError, lambda t: t.addr(t.ones(3, 4), t.ones(3), t.ones(4, 1)), "addr: Expected 1-D argument vec2, but got 2-D")
    raises(RuntimeError, lambda t: t.addr(t.ones(3, 4, dtype=t.int64), t.ones(3, dtype=t.int64),
                                          t.ones(4, dtype=t.int64), alpha=0.5),
           "For integral input tensors, argument alpha must not be a floating point number.")
