"""softmax / log_softmax and 2-D pooling (pyengine.nn.functional and the torch.* forms) against
float64 numpy formulas and torch.nn.functional, with their backward kernels against torch autograd."""
import numpy as np
import pytest
from nn_testing import LAYOUTS, close, pt, raises_like_torch, rand, torch_mod, tt

import pyengine as pe
import pyengine.nn.functional as F

_nn = pe._C._nn


# ---------------------------------------------------------------- softmax

def np_softmax(a, dim):
    e = np.exp(a - a.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def np_log_softmax(a, dim):
    m = a.max(axis=dim, keepdims=True)
    return a - m - np.log(np.exp(a - m).sum(axis=dim, keepdims=True))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dim", [0, 1, -1, 2])
def test_softmax_matches_numpy(layout, dim):
    a = rand((3, 4, 5), seed=1) * 5
    x = pt(a, layout)
    close(F.softmax(x, dim), np_softmax(a, dim), rtol=1e-12)
    close(F.log_softmax(x, dim), np_log_softmax(a, dim), rtol=1e-12)
    close(pe.softmax(x, dim), np_softmax(a, dim), rtol=1e-12)
    close(x.log_softmax(dim), np_log_softmax(a, dim), rtol=1e-12)
    close(x.softmax(dim=dim), np_softmax(a, dim), rtol=1e-12)


def test_softmax_float32_large_logits_stable():
    a = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1e4, -999.0]], dtype=np.float32)
    x = pe.tensor(a)
    y = F.softmax(x, 1)
    assert y.dtype is pe.float32
    close(y, np_softmax(a.astype(np.float64), 1), rtol=1e-6)
    close(F.log_softmax(x, 1), np_log_softmax(a.astype(np.float64), 1), rtol=1e-6)


def test_softmax_dtype_argument_and_special_shapes():
    x = pe.tensor(np.arange(3))
    y = F.softmax(x, 0, dtype=pe.float64)
    assert y.dtype is pe.float64
    close(y, np_softmax(np.arange(3.0), 0))
    assert F.softmax(pe.tensor(3.0), 0).item() == 1.0  # 0-d
    assert F.log_softmax(pe.zeros(0, 4), 1).shape == (0, 4)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        assert F.softmax(pe.zeros(2, 3)).shape == (2, 3)


def test_softmax_nan_and_inf_rows_like_torch():
    torch = torch_mod()
    a = np.array([[0.0, np.nan, 1.0], [-np.inf, -np.inf, -np.inf], [np.inf, 0.0, 1.0], [-np.inf, 0.0, 1.0]])
    for f in ("softmax", "log_softmax"):
        want = getattr(torch.nn.functional, f)(tt(a), 1).numpy()
        got = getattr(F, f)(pe.tensor(a), 1).numpy()
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_allclose(got[~np.isnan(got)], want[~np.isnan(want)])


@pytest.mark.parametrize("dim", [0, 1, 2])
def test_softmax_backward_kernels_match_torch_autograd(dim):
    torch = torch_mod()
    a, g = rand((2, 3, 4), seed=2) * 3, rand((2, 3, 4), seed=3)
    for name in ("softmax", "log_softmax"):
        x = tt(a, requires_grad=True)
        y = getattr(torch, name)(x, dim)
        y.backward(tt(g))
        out = getattr(F, name)(pe.tensor(a), dim)
        gi = getattr(_nn, name + "_backward")(pt(g, "transposed"), out, dim)
        close(out, y, rtol=1e-12)
        close(gi, x.grad, rtol=1e-10, atol=1e-12)


def test_softmax_errors():
    raises_like_torch(NotImplementedError, "not implemented for 'Long'", lambda m: m.softmax(m.arange(3), 0))
    raises_like_torch(IndexError, "Dimension out of range", lambda m: m.softmax(m.zeros(3), 1))
    raises_like_torch(TypeError, "", lambda m: m.softmax(m.zeros(3)))
    with pytest.raises(RuntimeError, match="does not match"):
        _nn.softmax_backward(pe.zeros(2, 3), pe.zeros(3, 2), 0)


# ---------------------------------------------------------------- pooling references

def np_max_pool(a, k, s, p, d, ceil):
    """float64 reference with PyTorch's output size and first-maximum indices."""
    n, c, h, w = a.shape

    def osize(i, kk, ss, pp, dd):
        o = (i + 2 * pp - dd * (kk - 1) - 1 + (ss - 1 if ceil else 0)) // ss + 1
        if ceil and (o - 1) * ss >= i + pp:
            o -= 1
        return o

    oh, ow = osize(h, k[0], s[0], p[0], d[0]), osize(w, k[1], s[1], p[1], d[1])
    out = np.full((n, c, oh, ow), -np.inf)
    idx = np.zeros((n, c, oh, ow), dtype=np.int64)
    for i in range(oh):
        for j in range(ow):
            for ki in range(k[0]):
                for kj in range(k[1]):
                    hh, ww = i * s[0] - p[0] + ki * d[0], j * s[1] - p[1] + kj * d[1]
                    if 0 <= hh < h and 0 <= ww < w:
                        v = a[:, :, hh, ww]
                        better = v > out[:, :, i, j]
                        out[:, :, i, j] = np.where(better, v, out[:, :, i, j])
                        idx[:, :, i, j] = np.where(better, hh * w + ww, idx[:, :, i, j])
    return out, idx


MAXPOOL_CASES = [
    # kernel, stride, padding, dilation, ceil_mode
    ((2, 2), (2, 2), (0, 0), (1, 1), False),
    ((3, 3), (2, 2), (1, 1), (1, 1), False),
    ((3, 2), (2, 1), (1, 0), (1, 1), True),
    ((2, 3), (3, 2), (1, 1), (2, 1), True),
    ((3, 3), (1, 1), (0, 1), (2, 2), False),
]


@pytest.mark.parametrize("case", MAXPOOL_CASES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_max_pool2d_matches_numpy(case, layout):
    k, s, p, d, ceil = case
    a = rand((2, 3, 9, 8), seed=4)
    out, idx = F.max_pool2d(pt(a, layout), k, s, p, d, ceil, return_indices=True)
    want, want_idx = np_max_pool(a, k, s, p, d, ceil)
    close(out, want, rtol=0, atol=0)
    np.testing.assert_array_equal(idx.numpy(), want_idx)
    assert idx.dtype is pe.int64


@pytest.mark.parametrize("case", MAXPOOL_CASES)
def test_max_pool2d_and_backward_match_torch(case):
    torch = torch_mod()
    k, s, p, d, ceil = case
    a = rand((2, 3, 9, 8), seed=5).astype(np.float32)
    x = tt(a, requires_grad=True)
    y, yi = torch.nn.functional.max_pool2d(x, k, s, p, d, ceil, return_indices=True)
    g = rand(tuple(y.shape), seed=6).astype(np.float32)
    y.backward(tt(g))
    out, idx = F.max_pool2d(pe.tensor(a), k, s, p, d, ceil, return_indices=True)
    close(out, y)
    np.testing.assert_array_equal(idx.numpy(), yi.numpy())
    close(_nn.max_pool2d_backward(pe.tensor(g), pe.tensor(a), idx), x.grad)
    close(pe.max_pool2d(pe.tensor(a), k, s, p, d, ceil), y)


def test_max_pool2d_unbatched_defaults_and_nan():
    torch = torch_mod()
    a = rand((3, 6, 6), seed=7)
    a[0, 1, 1] = np.nan
    close(F.max_pool2d(pe.tensor(a), 2), torch.nn.functional.max_pool2d(tt(a), 2))
    close(F.max_pool2d(pe.tensor(a), 3, stride=[]), torch.nn.functional.max_pool2d(tt(a), 3, stride=[]))
    assert F.max_pool2d(pe.zeros(0, 2, 4, 4), 2).shape == (0, 2, 2, 2)


def np_avg_pool(a, k, s, p, ceil, include_pad, divisor):
    n, c, h, w = a.shape

    def osize(i, kk, ss, pp):
        o = (i + 2 * pp - kk + (ss - 1 if ceil else 0)) // ss + 1
        if ceil and (o - 1) * ss >= i + pp:
            o -= 1
        return o

    oh, ow = osize(h, k[0], s[0], p[0]), osize(w, k[1], s[1], p[1])
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * s[0] - p[0], j * s[1] - p[1]
            h1, w1 = min(h0 + k[0], h + p[0]), min(w0 + k[1], w + p[1])
            size = (h1 - h0) * (w1 - w0)
            h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, h), min(w1, w)
            tot = a[:, :, h0:h1, w0:w1].sum(axis=(2, 3))
            dv = divisor or (size if include_pad else (h1 - h0) * (w1 - w0))
            out[:, :, i, j] = tot / dv
    return out


AVGPOOL_CASES = [
    # kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
    ((2, 2), (2, 2), (0, 0), False, True, None),
    ((3, 3), (2, 2), (1, 1), False, True, None),
    ((3, 3), (2, 2), (1, 1), True, False, None),
    ((3, 2), (2, 3), (1, 1), True, True, None),
    ((2, 2), (1, 1), (1, 0), False, True, 3),
]


@pytest.mark.parametrize("case", AVGPOOL_CASES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_avg_pool2d_matches_numpy(case, layout):
    k, s, p, ceil, inc, div = case
    a = rand((2, 2, 7, 8), seed=8)
    close(F.avg_pool2d(pt(a, layout), k, s, p, ceil, inc, div), np_avg_pool(a, k, s, p, ceil, inc, div), rtol=1e-12)


@pytest.mark.parametrize("case", AVGPOOL_CASES)
def test_avg_pool2d_backward_matches_torch(case):
    torch = torch_mod()
    k, s, p, ceil, inc, div = case
    a = rand((2, 2, 7, 8), seed=9)
    x = tt(a, requires_grad=True)
    y = torch.nn.functional.avg_pool2d(x, k, s, p, ceil, inc, div)
    g = rand(tuple(y.shape), seed=10)
    y.backward(tt(g))
    close(F.avg_pool2d(pe.tensor(a), k, s, p, ceil, inc, div), y, rtol=1e-12)
    gi = _nn.avg_pool2d_backward(pt(g, "strided"), pe.tensor(a), k, s, p, ceil, inc, div)
    close(gi, x.grad, rtol=1e-12)


@pytest.mark.parametrize("out_size", [(1, 1), (3, 2), (5, 7), (4, None), 3, (0, 2)])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_adaptive_avg_pool2d_and_backward(out_size, layout):
    torch = torch_mod()
    a = rand((2, 3, 5, 7), seed=11)
    x = tt(a, requires_grad=True)
    y = torch.nn.functional.adaptive_avg_pool2d(x, out_size)
    out = F.adaptive_avg_pool2d(pt(a, layout), out_size)
    close(out, y, rtol=1e-12)
    if y.numel() == 0:  # torch's backward refuses an empty grad_output
        return
    g = rand(tuple(y.shape), seed=12)
    y.backward(tt(g))
    close(_nn.adaptive_avg_pool2d_backward(pe.tensor(g), pe.tensor(a)), x.grad, rtol=1e-12)


def test_adaptive_avg_pool2d_numpy_formula():
    a = rand((3, 5, 7), seed=13)  # unbatched
    out = F.adaptive_avg_pool2d(pe.tensor(a), (2, 3)).numpy()
    for i in range(2):
        for j in range(3):
            h0, h1 = (i * 5) // 2, -(-((i + 1) * 5) // 2)
            w0, w1 = (j * 7) // 3, -(-((j + 1) * 7) // 3)
            np.testing.assert_allclose(out[:, i, j], a[:, h0:h1, w0:w1].mean(axis=(1, 2)), rtol=1e-12)


def test_pooling_errors():
    raises_like_torch(RuntimeError, "3D or 4D", lambda m: m.nn.functional.max_pool2d(m.zeros(8, 8), 2))
    raises_like_torch(RuntimeError, "Output size is too small",
                      lambda m: m.nn.functional.max_pool2d(m.zeros(1, 1, 2, 2), 3))
    raises_like_torch(RuntimeError, "pad should be at most half of effective kernel size",
                      lambda m: m.nn.functional.max_pool2d(m.zeros(1, 1, 8, 8), 2, padding=2))
    raises_like_torch(RuntimeError, "stride should not be zero",
                      lambda m: m.nn.functional.max_pool2d(m.zeros(1, 1, 8, 8), 2, stride=0))
    raises_like_torch(RuntimeError, "divisor must be not zero",
                      lambda m: m.nn.functional.avg_pool2d(m.zeros(1, 1, 8, 8), 2, divisor_override=0))
    raises_like_torch(RuntimeError, "pad should be at most half",
                      lambda m: m.nn.functional.avg_pool2d(m.zeros(1, 1, 8, 8), 2, padding=2))
    raises_like_torch(IndexError, "Dimension out of range", lambda m: m.nn.functional.avg_pool2d(m.zeros(8, 8), 2))
    raises_like_torch(RuntimeError, "Expected 3D or 4D tensor",
                      lambda m: m.nn.functional.adaptive_avg_pool2d(m.zeros(8, 8), 2))
    raises_like_torch(RuntimeError, "non-zero size for non-batch dimensions",
                      lambda m: m.nn.functional.adaptive_avg_pool2d(m.zeros(1, 2, 0, 8), 2))
    raises_like_torch(NotImplementedError, "not implemented for 'Long'",
                      lambda m: m.nn.functional.adaptive_avg_pool2d(m.zeros(1, 2, 4, 4, dtype=m.int64), 2))
    # integer max_pool2d is computed (test_reliability_edges.py); bool is not, as in PyTorch
    raises_like_torch(NotImplementedError, "not implemented for 'Bool'",
                      lambda m: m.nn.functional.max_pool2d(m.zeros(1, 1, 4, 4, dtype=m.bool), 2))
    with pytest.raises(RuntimeError, match="grad_output"):
        _nn.avg_pool2d_backward(pe.zeros(1, 1, 3, 3), pe.zeros(1, 1, 8, 8), 2)
