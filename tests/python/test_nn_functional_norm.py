"""batch_norm, layer_norm (forward, running statistics, backward kernels), dropout / bernoulli and pad
against float64 numpy formulas and torch."""
import numpy as np
import pytest
from nn_testing import LAYOUTS, close, pt, raises_like_torch, rand, torch_mod, tt

import pyengine as pe
import pyengine.nn.functional as F

_nn = pe._C._nn


# ---------------------------------------------------------------- batch_norm

def np_batch_norm_train(a, w, b, eps):
    axes = (0,) + tuple(range(2, a.ndim))
    shape = (1, -1) + (1,) * (a.ndim - 2)
    mean, var = a.mean(axis=axes), a.var(axis=axes)
    y = (a - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    if w is not None:
        y = y * w.reshape(shape) + b.reshape(shape)
    return y, mean, a.var(axis=axes, ddof=1)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 2, 4, 5)])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_batch_norm_training_updates_running_stats(shape, layout):
    a = rand(shape, seed=1) * 2 + 3
    c = shape[1]
    w, b = rand((c,), seed=2), rand((c,), seed=3)
    rm0, rv0 = rand((c,), seed=4), np.abs(rand((c,), seed=5)) + 0.5
    rm, rv = pe.tensor(rm0), pe.tensor(rv0)
    v0 = rm._version_()
    y = F.batch_norm(pt(a, layout), rm, rv, pe.tensor(w), pe.tensor(b), training=True, momentum=0.2, eps=1e-3)
    want, mean, var_unbiased = np_batch_norm_train(a, w, b, 1e-3)
    close(y, want, rtol=1e-10, atol=1e-12)
    close(rm, 0.8 * rm0 + 0.2 * mean, rtol=1e-12)
    close(rv, 0.8 * rv0 + 0.2 * var_unbiased, rtol=1e-12)
    assert rm._version_() > v0


def test_batch_norm_eval_and_no_affine():
    a = rand((4, 3, 2), seed=6)
    rm, rv = rand((3,), seed=7), np.abs(rand((3,), seed=8)) + 0.5
    y = F.batch_norm(pe.tensor(a), pe.tensor(rm), pe.tensor(rv), training=False, eps=1e-5)
    close(y, (a - rm.reshape(1, 3, 1)) / np.sqrt(rv.reshape(1, 3, 1) + 1e-5), rtol=1e-12)
    y = F.batch_norm(pe.tensor(a), None, None, training=True)
    close(y, np_batch_norm_train(a, None, None, 1e-5)[0], rtol=1e-10, atol=1e-12)


def test_batch_norm_running_stats_in_other_dtype_and_layout():
    a = rand((5, 3), seed=9).astype(np.float32)
    base = pe.zeros(3, 2, dtype=pe.float64)
    rm = base[:, 0]  # non-contiguous, other dtype
    rv = pe.ones(3, dtype=pe.float64)
    F.batch_norm(pe.tensor(a), rm, rv, training=True, momentum=0.5)
    close(base[:, 0], 0.5 * a.astype(np.float64).mean(0), rtol=1e-6)
    close(rv, 0.5 + 0.5 * a.astype(np.float64).var(0, ddof=1), rtol=1e-6)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_native_batch_norm_and_backward_match_torch(training, affine):
    torch = torch_mod()
    a = rand((4, 3, 5), seed=10) * 2 + 1
    w, b = rand((3,), seed=11), rand((3,), seed=12)
    rm, rv = rand((3,), seed=13), np.abs(rand((3,), seed=14)) + 0.5
    g = rand((4, 3, 5), seed=15)
    x, wt, bt = tt(a, True), tt(w, True), tt(b, True)
    trm, trv = tt(rm.copy()), tt(rv.copy())
    y = torch.nn.functional.batch_norm(x, trm, trv, wt if affine else None, bt if affine else None, training, 0.1,
                                       1e-5)
    y.backward(tt(g))
    prm, prv = pe.tensor(rm.copy()), pe.tensor(rv.copy())
    out, sm, si = pe.native_batch_norm(pe.tensor(a), pe.tensor(w) if affine else None,
                                       pe.tensor(b) if affine else None, prm, prv, training, 0.1, 1e-5)
    close(out, y, rtol=1e-10, atol=1e-12)
    close(prm, trm, rtol=1e-12)
    close(prv, trv, rtol=1e-12)
    gi, gw, gb = _nn.native_batch_norm_backward(pt(g, "strided"), pe.tensor(a), pe.tensor(w) if affine else None,
                                                pe.tensor(rm), pe.tensor(rv), sm, si, training, 1e-5,
                                                [True, True, True])
    close(gi, x.grad, rtol=1e-9, atol=1e-12)
    if affine:
        close(gw, wt.grad, rtol=1e-9, atol=1e-12)
        close(gb, bt.grad, rtol=1e-9, atol=1e-12)
    _, gw2, _ = _nn.native_batch_norm_backward(pe.tensor(g), pe.tensor(a), None, pe.tensor(rm), pe.tensor(rv), sm,
                                               si, training, 1e-5, [False, True, False])
    assert gw2 is not None


def test_batch_norm_float32_large_mean():
    a = (rand((64, 2), seed=16) + 1e4).astype(np.float32)
    y = F.batch_norm(pe.tensor(a), None, None, training=True).numpy()
    close(y, np_batch_norm_train(a.astype(np.float64), None, None, 1e-5)[0], rtol=2e-3, atol=2e-3)


def test_batch_norm_errors():
    nnf = lambda m: m.nn.functional  # noqa: E731
    raises_like_torch(ValueError, "Expected more than 1 value per channel when training",
                      lambda m: nnf(m).batch_norm(m.zeros(1, 3), None, None, training=True))
    raises_like_torch(RuntimeError, "running_mean should contain 3 elements not 4",
                      lambda m: nnf(m).batch_norm(m.zeros(2, 3), m.zeros(4), m.ones(4)))
    raises_like_torch(RuntimeError, "running_mean must be defined in evaluation mode",
                      lambda m: nnf(m).batch_norm(m.zeros(2, 3), None, None, training=False))
    raises_like_torch(NotImplementedError, "not implemented for 'Long'",
                      lambda m: nnf(m).batch_norm(m.zeros(2, 3, dtype=m.int64), m.zeros(3), m.ones(3)))


# ---------------------------------------------------------------- layer_norm

@pytest.mark.parametrize("norm_shape", [(5,), (4, 5)])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_layer_norm_and_backward(norm_shape, affine, layout):
    torch = torch_mod()
    a = rand((3, 4, 5), seed=17) * 3 + 2
    w, b = rand(norm_shape, seed=18), rand(norm_shape, seed=19)
    axes = tuple(range(3 - len(norm_shape), 3))
    want = (a - a.mean(axis=axes, keepdims=True)) / np.sqrt(a.var(axis=axes, keepdims=True) + 1e-5)
    if affine:
        want = want * w + b
    pw, pb = (pe.tensor(w), pe.tensor(b)) if affine else (None, None)
    close(F.layer_norm(pt(a, layout), norm_shape, pw, pb), want, rtol=1e-10, atol=1e-12)
    x, wt, bt = tt(a, True), tt(w, True), tt(b, True)
    y = torch.nn.functional.layer_norm(x, norm_shape, wt if affine else None, bt if affine else None)
    g = rand(a.shape, seed=20)
    y.backward(tt(g))
    out, mean, rstd = pe.native_layer_norm(pe.tensor(a), list(norm_shape), pw, pb, 1e-5)
    close(out, y, rtol=1e-10, atol=1e-12)
    assert tuple(mean.shape) == a.shape[:3 - len(norm_shape)] + (1,) * len(norm_shape)
    gi, gw, gb = _nn.native_layer_norm_backward(pe.tensor(g), pe.tensor(a), list(norm_shape), mean, rstd, pw, pb)
    close(gi, x.grad, rtol=1e-9, atol=1e-12)
    if affine:
        close(gw, wt.grad, rtol=1e-9, atol=1e-12)
        close(gb, bt.grad, rtol=1e-9, atol=1e-12)


def test_layer_norm_errors():
    raises_like_torch(RuntimeError, r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\]",
                      lambda m: m.nn.functional.layer_norm(m.zeros(2, 3), (4,)))
    raises_like_torch(RuntimeError, "Expected weight to be of same shape as normalized_shape",
                      lambda m: m.nn.functional.layer_norm(m.zeros(2, 3), (3,), weight=m.ones(2)))


# ---------------------------------------------------------------- dropout / bernoulli

def test_dropout_scaling_mask_and_statistics():
    pe.manual_seed(0)
    x = pe.ones(200, 500)
    y = F.dropout(x, 0.3, training=True).numpy()
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert abs(kept.mean() - 0.7) < 0.01
    out, mask = pe.native_dropout(pe.tensor(rand((50, 40), seed=21)), 0.4, True)
    assert mask.dtype is pe.bool
    close(out, np.where(mask.numpy(), rand((50, 40), seed=21) / 0.6, 0.0), rtol=1e-12)
    g = pt(rand((50, 40), seed=22), "transposed")
    close(_nn.native_dropout_backward(g, mask, 1 / 0.6), np.where(mask.numpy(), g.numpy() / 0.6, 0.0), rtol=1e-12)


def test_dropout_seed_reproducible_and_layouts():
    a = rand((6, 8), seed=23)
    pe.manual_seed(5)
    y1 = F.dropout(pt(a, "strided"), 0.5).numpy()
    pe.manual_seed(5)
    y2 = F.dropout(pe.tensor(a), 0.5).numpy()
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(y1, F.dropout(pe.tensor(a), 0.5).numpy())  # the stream advances


def test_dropout_identity_cases_and_inplace():
    x = pe.tensor(rand((4, 4), seed=24))
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert pe.dropout(x, 0.5, False) is x
    assert np.all(F.dropout(x, 1.0).numpy() == 0)
    base = pe.tensor(rand((4, 8), seed=25))
    view = base[:, ::2]
    before = view.numpy().copy()
    v0 = base._version_()
    r = F.dropout(view, 0.5, inplace=True)
    assert r is view and base._version_() > v0
    after = view.numpy()
    assert np.all((after == 0) | np.isclose(after, before * 2))
    assert np.all(base.numpy()[:, 1::2] == rand((4, 8), seed=25)[:, 1::2])


def test_dropout_errors():
    raises_like_torch(ValueError, "dropout probability has to be between 0 and 1, but got 1.5",
                      lambda m: m.nn.functional.dropout(m.zeros(3), 1.5))
    raises_like_torch(RuntimeError, "result type Float can't be cast to the desired output type Long",
                      lambda m: m.nn.functional.dropout(m.zeros(3, dtype=m.int64), 0.5))


def test_bernoulli():
    pe.manual_seed(1)
    t = pe.zeros(100, 100)
    t.bernoulli_(0.25)
    v = t.numpy()
    assert set(np.unique(v)) <= {0.0, 1.0} and abs(v.mean() - 0.25) < 0.02
    p = pe.tensor(np.array([0.0, 1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(pe.bernoulli(p).numpy(), [0, 1, 0, 1])
    i = pe.zeros(10, dtype=pe.int64).bernoulli_(1.0)
    np.testing.assert_array_equal(i.numpy(), np.ones(10))
    with pytest.raises(RuntimeError, match="bernoulli_ expects p to be in"):
        pe.zeros(3).bernoulli_(1.5)


# ---------------------------------------------------------------- pad

PAD_CASES = [(1, 2), (0, 0, 2, 1), (-1, 1), (1, -2, -1, 0), (2, 1, 0, 1, 1, 0), (-3, 0)]


@pytest.mark.parametrize("pad", PAD_CASES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_pad_constant_matches_torch(pad, layout):
    torch = torch_mod()
    a = rand((2, 3, 4), seed=26)
    want = torch.nn.functional.pad(tt(a), pad, value=2.5)
    close(F.pad(pt(a, layout), pad, value=2.5), want, rtol=0, atol=0)
    close(pe.constant_pad_nd(pe.tensor(a), list(pad), 2.5), want, rtol=0, atol=0)


def test_pad_numpy_and_dtypes():
    a = np.arange(6).reshape(2, 3)
    got = F.pad(pe.tensor(a), (1, 1, 0, 1), value=7)
    assert got.dtype is pe.int64
    np.testing.assert_array_equal(got.numpy(), np.pad(a, ((0, 1), (1, 1)), constant_values=7))


def test_pad_errors():
    nnf = lambda m: m.nn.functional  # noqa: E731
    raises_like_torch(RuntimeError, "Padding length must be divisible by 2", lambda m: nnf(m).pad(m.zeros(2, 3), (1,)))
    raises_like_torch(RuntimeError, "Padding length should be less than or equal to two times the input dimension",
                      lambda m: nnf(m).pad(m.zeros(2, 3), (1, 1, 1, 1, 1, 1)))
    raises_like_torch(NotImplementedError, "Unrecognised padding mode foo",
                      lambda m: nnf(m).pad(m.zeros(1, 2, 3), (1, 1), mode="foo"))
    with pytest.raises(RuntimeError):
        F.pad(pe.zeros(2, 3), (-2, -2))
    assert F.pad(pe.zeros(1, 2, 3), (1, 1), mode="reflect").shape == (1, 2, 5)  # test_nn_functional_spatial.py
