"""Matrix products (mm, bmm, matmul/@, mv, dot, vdot, outer/ger) against numpy: dtypes, transposed,
strided and expanded operands, empty dims, PyTorch's matmul rules, out=, and PyTorch's errors."""
import numpy as np
import pytest
from pe_testing import ref_torch

import pyengine as pe

RNG = np.random.default_rng(1234)
TOL = {"float32": 1e-4, "float64": 1e-12, "float16": 2e-2, "bfloat16": 1e-1}
INT_DTYPES = ["uint8", "int8", "int16", "int32", "int64"]


def rand(shape, dtype="float32"):
    """(tensor, float64 numpy reference) with small values (exact in every dtype)."""
    if dtype in INT_DTYPES:
        a = RNG.integers(0 if dtype == "uint8" else -4, 5, size=shape).astype(np.float64)
    elif dtype in ("float16", "bfloat16"):
        a = RNG.integers(-8, 9, size=shape) / 8.0
    else:
        a = RNG.standard_normal(shape)
    t = pe.tensor(a, dtype=pe.float64).to(getattr(pe, dtype))
    return t, a


def close(t, ref, dtype="float32", scale=1.0):
    ref = np.asarray(ref, dtype=np.float64)
    assert tuple(t.shape) == ref.shape, (tuple(t.shape), ref.shape)
    got = t.float().numpy().astype(np.float64) if t.dtype is pe.bfloat16 else t.numpy().astype(np.float64)
    if dtype in INT_DTYPES:
        np.testing.assert_array_equal(got, ref)
    else:
        np.testing.assert_allclose(got, ref, rtol=TOL[dtype], atol=TOL[dtype] * scale)


def raises(exc, fn, gist):
    """pe raises exc with a message containing gist; torch (when installed) does the same."""
    torch = ref_torch()
    if torch is not None:
        with pytest.raises(exc, match=gist):
            fn(torch)
    with pytest.raises(exc, match=gist):
        fn(pe)


# ---------------------------------------------------------------- mm
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"] + INT_DTYPES)
def test_mm_dtypes(dtype):
    a, an = rand((7, 5), dtype)
    b, bn = rand((5, 9), dtype)
    r = pe.mm(a, b)
    assert r.dtype is getattr(pe, dtype)
    ref = an @ bn
    if dtype in INT_DTYPES:  # PyTorch's integer matmul wraps around in the dtype
        ref = ref.astype(np.int64).astype(getattr(np, dtype)).astype(np.float64)
    close(r, ref, dtype, scale=5)


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (3, 1, 4), (1, 7, 1), (1, 9, 5), (6, 8, 1), (17, 31, 13),
                                   (64, 64, 64), (130, 257, 70), (300, 40, 2)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mm_sizes(m, k, n, dtype):
    a, an = rand((m, k), dtype)
    b, bn = rand((k, n), dtype)
    close(pe.mm(a, b), an @ bn, dtype, scale=k ** 0.5)


def layout(t, name):
    """The same values as t in another memory layout."""
    if name == "contiguous":
        return t
    if name == "transposed":
        return t.t().contiguous().t()
    if name == "step":  # every other row and column of a bigger tensor (no unit stride)
        big = pe.zeros(t.shape[0] * 2, t.shape[1] * 3, dtype=t.dtype)
        big[::2, ::3] = t
        return big[::2, ::3]
    if name == "expanded":  # stride 0 rows (only for a tensor whose rows are equal)
        return t[:1].expand(t.shape[0], t.shape[1])
    raise ValueError(name)


@pytest.mark.parametrize("la", ["contiguous", "transposed", "step", "expanded"])
@pytest.mark.parametrize("lb", ["contiguous", "transposed", "step"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_mm_layouts(la, lb, dtype):
    a, _ = rand((20, 33), dtype)
    b, bn = rand((33, 18), dtype)
    a = layout(a, la)
    b = layout(b, lb)
    an = a.contiguous().double().numpy()
    close(pe.mm(a, b), an @ bn, dtype, scale=6)


def test_mm_empty():
    assert pe.mm(pe.ones(0, 3), pe.ones(3, 4)).shape == (0, 4)
    r = pe.mm(pe.ones(2, 0), pe.ones(0, 3))
    np.testing.assert_array_equal(r.numpy(), np.zeros((2, 3), np.float32))
    assert pe.mm(pe.ones(2, 3), pe.ones(3, 0)).shape == (2, 0)


def test_mm_large_threads():
    a, an = rand((257, 300))
    b, bn = rand((300, 263))
    for threads in (1, 2):
        old = pe.get_num_threads()
        pe.set_num_threads(threads)
        try:
            close(pe.mm(a, b), an @ bn, scale=20)
            close(pe.mm(b.t(), a.t()), (an @ bn).T, scale=20)
        finally:
            pe.set_num_threads(old)


def test_mm_errors():
    raises(RuntimeError, lambda t: t.mm(t.ones(2, 3), t.ones(2, 3)), r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)")
    raises(RuntimeError, lambda t: t.mm(t.ones(2, 3), t.ones(3)), "mat2 must be a matrix")
    raises(RuntimeError, lambda t: t.mm(t.ones(3), t.ones(3, 2)), "self must be a matrix")
    raises(RuntimeError, lambda t: t.mm(t.ones(2, 3), t.ones(3, 4, dtype=t.float64)),
           "expected m1 and m2 to have the same dtype, but got: float != double")
    raises(NotImplementedError, lambda t: t.mm(t.ones(2, 3, dtype=t.bool), t.ones(3, 4, dtype=t.bool)),
           "not implemented for 'Bool'")


def test_mm_out_and_method():
    a, an = rand((4, 5))
    b, bn = rand((5, 3))
    out = pe.empty(0)
    r = pe.mm(a, b, out=out)
    assert r is out
    close(out, an @ bn)
    close(a.mm(b), an @ bn)
    close(a.matmul(b), an @ bn)
    raises(RuntimeError, lambda t: t.mm(t.ones(2, 2), t.ones(2, 2), out=t.ones(2, 2, dtype=t.float64)),
           "Expected out tensor to have dtype float, but got double instead")


# ---------------------------------------------------------------- bmm
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "float16"])
def test_bmm(dtype):
    a, an = rand((5, 3, 4), dtype)
    b, bn = rand((5, 4, 6), dtype)
    close(pe.bmm(a, b), an @ bn, dtype, scale=4)
    close(a.bmm(b), an @ bn, dtype, scale=4)


def test_bmm_layouts_and_many_small():
    a, an = rand((6, 4, 3))
    b, bn = rand((6, 5, 4))
    close(pe.bmm(a.transpose(1, 2), b.transpose(1, 2)), an.transpose(0, 2, 1) @ bn.transpose(0, 2, 1))
    e, en = rand((1, 4, 5))
    close(pe.bmm(a.transpose(1, 2), e.expand(6, 4, 5)), an.transpose(0, 2, 1) @ en)  # batch stride 0
    s, sn = rand((200, 8, 8))  # spread across threads
    close(pe.bmm(s, s), sn @ sn)
    assert pe.bmm(pe.ones(0, 2, 3), pe.ones(0, 3, 4)).shape == (0, 2, 4)
    np.testing.assert_array_equal(pe.bmm(pe.ones(2, 2, 0), pe.ones(2, 0, 4)).numpy(), np.zeros((2, 2, 4)))


def test_bmm_errors():
    raises(RuntimeError, lambda t: t.bmm(t.ones(2, 3), t.ones(3, 4)), "batch1 must be a 3D tensor")
    raises(RuntimeError, lambda t: t.bmm(t.ones(2, 2, 3), t.ones(3, 4)), "batch2 must be a 3D tensor")
    raises(RuntimeError, lambda t: t.bmm(t.ones(2, 2, 3), t.ones(3, 3, 4)),
           r"Expected size for first two dimensions of batch2 tensor to be: \[2, 3\] but got: \[3, 3\].")
    raises(RuntimeError, lambda t: t.bmm(t.ones(2, 2, 3), t.ones(2, 3, 4, dtype=t.float64)),
           "expected scalar type Float but found Double")
    raises(NotImplementedError, lambda t: t.bmm(t.ones(2, 2, 3, dtype=t.bool), t.ones(2, 3, 4, dtype=t.bool)),
           "\"bmm\" not implemented for 'Bool'")


# ---------------------------------------------------------------- matmul
MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
    ((5, 2, 3), (3,)), ((3,), (5, 3, 4)), ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)),
    ((5, 2, 3), (5, 3, 4)), ((2, 1, 2, 3), (4, 3, 2)), ((1, 2, 3), (6, 3, 4)),
    ((2, 3, 2, 3), (3, 4)), ((2, 3, 2, 3), (3, 3, 4)), ((0, 2, 3), (3, 4)), ((4, 0), (0, 5)),
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul_shapes(sa, sb):
    a, an = rand(sa)
    b, bn = rand(sb)
    ref = np.matmul(an, bn)
    close(pe.matmul(a, b), ref)
    close(a @ b, ref)
    torch = ref_torch()
    if torch is not None:
        assert tuple(torch.matmul(torch.from_numpy(an), torch.from_numpy(bn)).shape) == ref.shape


def test_matmul_transposed_batches():
    a, an = rand((4, 3, 5))
    b, bn = rand((2, 1, 3, 6))
    close(a.transpose(1, 2) @ b, np.matmul(an.transpose(0, 2, 1), bn))
    close(pe.matmul(a.permute(2, 0, 1), b[0, 0].t().contiguous().t()[:, :4]),
          np.matmul(an.transpose(2, 0, 1), bn[0, 0][:, :4]))


def test_matmul_operator_and_errors():
    raises(TypeError, lambda t: t.ones(3, 4) @ 2, "unsupported operand")
    raises(TypeError, lambda t: 2 @ t.ones(3, 4), "unsupported operand")
    raises(RuntimeError, lambda t: t.matmul(t.ones(()), t.ones(3)), "both arguments to matmul need to be at least 1D")
    raises(RuntimeError, lambda t: t.matmul(t.ones(2, 3, 4), t.ones(5, 6)),
           r"mat1 and mat2 shapes cannot be multiplied \(6x4 and 5x6\)")
    raises(RuntimeError, lambda t: t.matmul(t.ones(2, 3, 4), t.ones(5)), r"size mismatch, got input \(6\), mat \(6x4\), vec \(5\)")
    raises(RuntimeError, lambda t: t.matmul(t.ones(2, 3, 4), t.ones(2, 5, 6)),
           r"Expected size for first two dimensions of batch2 tensor to be: \[2, 4\] but got: \[2, 5\].")
    raises(RuntimeError, lambda t: t.matmul(t.ones(2, 3, 3, 4), t.ones(2, 4, 5)),
           r"The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 1")
    raises(RuntimeError, lambda t: t.matmul(t.ones(3), t.ones(4)), "inconsistent tensor size")
    raises(RuntimeError, lambda t: t.matmul(t.ones(2, 3), t.ones(3, 4, dtype=t.float64)), "same dtype")


def test_matmul_int():
    a, an = rand((2, 3, 4), "int64")
    b, bn = rand((4, 5), "int64")
    r = a @ b
    assert r.dtype is pe.int64
    close(r, an @ bn, "int64")


# ---------------------------------------------------------------- mv, dot, vdot, outer
def test_mv():
    a, an = rand((6, 4))
    v, vn = rand((4,))
    close(pe.mv(a, v), an @ vn)
    close(a.t().contiguous().t().mv(v), an @ vn)
    big, bign = rand((40, 8))
    close(pe.mv(a, big[::2, 3][:4]), an @ bign[::2, 3][:4])  # strided vector
    close(pe.mv(a.t(), pe.ones(6)), an.T @ np.ones(6))
    assert pe.mv(pe.ones(0, 3), pe.ones(3)).shape == (0,)
    np.testing.assert_array_equal(pe.mv(pe.ones(2, 0), pe.ones(0)).numpy(), [0, 0])
    raises(RuntimeError, lambda t: t.mv(t.ones(2, 3), t.ones(4)), r"size mismatch, got input \(2\), mat \(2x3\), vec \(4\)")
    raises(RuntimeError, lambda t: t.mv(t.ones(3, 3), t.ones(3, 1)), "vector \\+ matrix @ vector expected, got 1, 2, 2")
    raises(NotImplementedError, lambda t: t.mv(t.ones(3, 3, dtype=t.bool), t.ones(3, dtype=t.bool)), "'Bool'")


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "float16"])
def test_dot_vdot(dtype):
    a, an = rand((10,), dtype)
    b, bn = rand((10,), dtype)
    for f in (pe.dot, pe.vdot, lambda x, y: x.dot(y), lambda x, y: x.vdot(y)):
        r = f(a, b)
        assert r.dim() == 0 and r.dtype is getattr(pe, dtype)
        close(r, an @ bn, dtype, scale=3)
    close(pe.dot(a[::2], b[1::2]), an[::2] @ bn[1::2], dtype, scale=3)
    assert pe.dot(pe.ones(0), pe.ones(0)).item() == 0


def test_dot_errors():
    raises(RuntimeError, lambda t: t.dot(t.ones(3), t.ones(4)),
           r"inconsistent tensor size, expected tensor \[3\] and src \[4\]")
    raises(RuntimeError, lambda t: t.dot(t.ones(3), t.ones(3, dtype=t.float64)),
           "dot : expected both vectors to have same dtype, but found Float and Double")
    raises(RuntimeError, lambda t: t.dot(t.ones(3, 1), t.ones(3)), "1D tensors expected, but got 2D and 1D tensors")
    raises(NotImplementedError, lambda t: t.dot(t.ones(3, dtype=t.bool), t.ones(3, dtype=t.bool)),
           "\"dot\" not implemented for 'Bool'")


def test_outer_ger():
    a, an = rand((3,))
    b, bn = rand((4,), "float64")
    for f in (pe.outer, pe.ger, lambda x, y: x.outer(y), lambda x, y: x.ger(y)):
        r = f(a, b)
        assert r.dtype is pe.float64  # promotes, as PyTorch
        close(r, np.outer(an.astype(np.float32), bn), "float64")
    r = pe.outer(pe.tensor([1, 2]), pe.tensor([True, False]))
    assert r.dtype is pe.int64 and r.tolist() == [[1, 0], [2, 0]]
    raises(RuntimeError, lambda t: t.outer(t.ones(3, 1), t.ones(4)), "outer: Expected 1-D argument self, but got 2-D")
    raises(RuntimeError, lambda t: t.outer(t.ones(3), t.ones(4, 1)), "outer: Expected 1-D argument vec2, but got 2-D")
