"""Losses of pyengine.nn.functional against float64 numpy formulas and torch.nn.functional, with
their backward kernels against torch autograd gradients."""
import numpy as np
import pytest
from nn_testing import LAYOUTS, close, pt, raises_like_torch, rand, torch_mod, tt

import pyengine as pe
import pyengine.nn.functional as F

_nn = pe._C._nn
REDUCTIONS = ["mean", "sum", "none"]


def np_log_softmax(a, dim):
    m = a.max(axis=dim, keepdims=True)
    return a - m - np.log(np.exp(a - m).sum(axis=dim, keepdims=True))


def np_nll(logp, target, weight=None, reduction="mean", ignore_index=-100):
    """(N, C, *) log-probabilities, (N, *) targets."""
    c = logp.shape[1]
    w = np.ones(c) if weight is None else weight
    lp = np.moveaxis(logp, 1, -1).reshape(-1, c)
    t = target.reshape(-1)
    keep = t != ignore_index
    tc = np.where(keep, t, 0)
    per = np.where(keep, -lp[np.arange(len(t)), tc] * w[tc], 0.0)
    if reduction == "none":
        return per.reshape(target.shape)
    if reduction == "sum":
        return per.sum()
    return per.sum() / np.where(keep, w[tc], 0.0).sum()


# ---------------------------------------------------------------- nll_loss / cross_entropy

@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_nll_loss_matches_numpy(reduction, weighted, layout):
    logp = np_log_softmax(rand((6, 5), seed=1) * 3, 1)
    target = np.array([0, 4, 2, -100, 1, 4])
    w = rand((5,), seed=2, low=0.5, high=2.0) if weighted else None
    got = F.nll_loss(pt(logp, layout), pe.tensor(target), None if w is None else pe.tensor(w),
                     reduction=reduction)
    close(got, np_nll(logp, target, w, reduction), rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_nd_and_unbatched(reduction):
    logp = np_log_softmax(rand((2, 4, 3, 5), seed=3), 1)
    target = np.random.default_rng(0).integers(0, 4, size=(2, 3, 5))
    target[0, 1, 2] = 7  # ignored
    got = F.nll_loss(pe.tensor(logp), pe.tensor(target), reduction=reduction, ignore_index=7)
    close(got, np_nll(logp, target, None, reduction, 7), rtol=1e-12)
    logp3 = np_log_softmax(rand((2, 4, 6), seed=4), 1)  # (N, C, d1)
    t3 = np.random.default_rng(1).integers(0, 4, size=(2, 6))
    close(F.nll_loss(pe.tensor(logp3), pe.tensor(t3), reduction=reduction), np_nll(logp3, t3, None, reduction),
          rtol=1e-12)
    lp1 = np_log_softmax(rand((5,), seed=5), 0)  # (C,) with a 0-d target
    got = F.nll_loss(pe.tensor(lp1), pe.tensor(3), reduction=reduction)
    assert got.shape == ()
    close(got, -lp1[3], rtol=1e-12)


def test_nll_loss_edge_values_like_torch():
    torch = torch_mod()
    for args in [(np.zeros((0, 4)), np.zeros(0, dtype=np.int64)), (np.zeros((2, 4)), np.array([-100, -100]))]:
        for r in REDUCTIONS:
            want = torch.nn.functional.nll_loss(tt(args[0]), tt(args[1]), reduction=r)
            got = F.nll_loss(pe.tensor(args[0]), pe.tensor(args[1]), reduction=r)
            np.testing.assert_array_equal(got.numpy(), want.numpy())
    u8 = F.nll_loss(pe.tensor(np.zeros((2, 3))), pe.tensor(np.array([1, 2], dtype=np.uint8)))
    assert u8.item() == 0.0


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_backward_matches_torch(reduction, weighted):
    torch = torch_mod()
    a = np_log_softmax(rand((3, 4, 5), seed=6), 1)
    target = np.array([[0, 1, 2, 3, -100], [3, 3, 1, 0, 2], [1, -100, 0, 0, 1]])
    w = rand((4,), seed=7, low=0.5, high=2.0) if weighted else None
    x = tt(a, requires_grad=True)
    y = torch.nn.functional.nll_loss(x, tt(target), None if w is None else tt(w), reduction=reduction)
    g = rand(tuple(y.shape), seed=8)
    y.backward(tt(g))
    out, total = _nn.nll_loss_forward(pe.tensor(a), pe.tensor(target), None if w is None else pe.tensor(w),
                                      reduction, -100)
    close(out, y, rtol=1e-12)
    gi = _nn.nll_loss_backward(pe.tensor(g), pe.tensor(a), pe.tensor(target), None if w is None else pe.tensor(w),
                               reduction, -100, total)
    close(gi, x.grad, rtol=1e-12)


CE_CASES = [
    # shape, weighted, label_smoothing, ignore a target
    ((6, 5), False, 0.0, False),
    ((6, 5), True, 0.0, True),
    ((6, 5), False, 0.2, True),
    ((6, 5), True, 0.3, True),
    ((2, 4, 3, 3), True, 0.1, True),
    ((5,), False, 0.25, False),
]


@pytest.mark.parametrize("case", CE_CASES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_class_indices_matches_torch(case, reduction):
    torch = torch_mod()
    shape, weighted, ls, ignore = case
    a = rand(shape, seed=9) * 4
    c = shape[1] if len(shape) > 1 else shape[0]
    rng = np.random.default_rng(2)
    target = rng.integers(0, c, size=(shape[0],) + shape[2:]) if len(shape) > 1 else np.array(2)
    if ignore:
        target.reshape(-1)[1] = -100
    w = rand((c,), seed=10, low=0.5, high=2.0) if weighted else None
    want = torch.nn.functional.cross_entropy(tt(a), tt(target), None if w is None else tt(w), reduction=reduction,
                                             label_smoothing=ls)
    got = F.cross_entropy(pt(a, "transposed"), pe.tensor(target), None if w is None else pe.tensor(w),
                          reduction=reduction, label_smoothing=ls)
    close(got, want, rtol=1e-10, atol=1e-12)


def test_cross_entropy_numpy_formula():
    a = rand((4, 3), seed=11) * 2
    t = np.array([2, 0, 1, 1])
    close(F.cross_entropy(pe.tensor(a), pe.tensor(t)), np_nll(np_log_softmax(a, 1), t), rtol=1e-12)
    probs = np.abs(rand((4, 3), seed=12))
    probs /= probs.sum(1, keepdims=True)
    want = -(np_log_softmax(a, 1) * probs).sum(1).mean()
    close(F.cross_entropy(pe.tensor(a), pe.tensor(probs)), want, rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ls", [0.0, 0.3])
def test_cross_entropy_probabilities_matches_torch(reduction, weighted, ls):
    torch = torch_mod()
    a = rand((3, 4, 2), seed=13) * 3
    p = np.abs(rand((3, 4, 2), seed=14))
    p /= p.sum(1, keepdims=True)
    w = rand((4,), seed=15, low=0.5, high=2.0) if weighted else None
    want = torch.nn.functional.cross_entropy(tt(a), tt(p), None if w is None else tt(w), reduction=reduction,
                                             label_smoothing=ls)
    got = F.cross_entropy(pe.tensor(a), pt(p, "strided"), None if w is None else pe.tensor(w), reduction=reduction,
                          label_smoothing=ls)
    close(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_smooth_and_soft_backward_kernels_match_torch(reduction):
    torch_mod()  # the references below are torch autograd graphs built by tt()
    lp = np_log_softmax(rand((4, 3, 2), seed=16), 1)
    t = np.array([[0, 2], [-100, 1], [1, 1], [2, -100]])
    w = rand((3,), seed=17, low=0.5, high=2.0)
    # the smoothing term: -sum_c w_c logp_c per sample, masked, normalised by sum(w[target]) for 'mean'
    x = tt(lp, requires_grad=True)
    mask = tt(t != -100)
    per = -(x * tt(w).view(1, 3, 1)).sum(1) * mask
    tw = tt(w)[tt(np.where(t != -100, t, 0))][mask].sum()
    y = per.sum() / tw if reduction == "mean" else per.sum() if reduction == "sum" else per
    g = rand(tuple(y.shape), seed=18)
    y.backward(tt(g))
    close(_nn.nll_loss_smooth(pe.tensor(lp), pe.tensor(t), pe.tensor(w), reduction, -100), y, rtol=1e-12)
    gi = _nn.nll_loss_smooth_backward(pe.tensor(g), pe.tensor(lp), pe.tensor(t), pe.tensor(w), reduction, -100)
    close(gi, x.grad, rtol=1e-12)
    # class probabilities: -sum_c w_c p_c logp_c, 'mean' over samples
    p = np.abs(rand((4, 3, 2), seed=19))
    x, pp = tt(lp, requires_grad=True), tt(p, requires_grad=True)
    per = -(x * pp * tt(w).view(1, 3, 1)).sum(1)
    y = per.mean() if reduction == "mean" else per.sum() if reduction == "sum" else per
    y.backward(tt(g))
    close(_nn.soft_nll_loss(pe.tensor(lp), pe.tensor(p), pe.tensor(w), reduction), y, rtol=1e-12)
    gi, gt = _nn.soft_nll_loss_backward(pe.tensor(g), pe.tensor(lp), pe.tensor(p), pe.tensor(w), reduction)
    close(gi, x.grad, rtol=1e-12)
    close(gt, pp.grad, rtol=1e-12)


def test_class_loss_errors():
    nnf = lambda m: m.nn.functional  # noqa: E731
    raises_like_torch(NotImplementedError, "not implemented for 'Long'",
                      lambda m: nnf(m).nll_loss(m.zeros(3, 4, dtype=m.int64), m.zeros(3, dtype=m.int64)))
    raises_like_torch(RuntimeError, "expected target dtype to be Long or Byte, but got Float",
                      lambda m: nnf(m).nll_loss(m.zeros(3, 4), m.zeros(3)))
    raises_like_torch(RuntimeError, "expected target dtype to be Long or Byte, but got Int",
                      lambda m: nnf(m).nll_loss(m.zeros(3, 4), m.zeros(3, dtype=m.int32)))
    raises_like_torch(IndexError, "Target 5 is out of bounds",
                      lambda m: nnf(m).nll_loss(m.zeros(3, 4), m.tensor([0, 1, 5])))
    raises_like_torch(IndexError, "Target -5 is out of bounds",
                      lambda m: nnf(m).cross_entropy(m.zeros(3, 4), m.tensor([0, 1, -5])))
    raises_like_torch(ValueError, r"Expected input batch_size \(3\) to match target batch_size \(2\)",
                      lambda m: nnf(m).nll_loss(m.zeros(3, 4), m.tensor([0, 1])))
    raises_like_torch(RuntimeError, "weight tensor should be defined either for all 4 classes or no classes",
                      lambda m: nnf(m).nll_loss(m.zeros(3, 4), m.tensor([0, 1, 2]), weight=m.ones(3)))
    raises_like_torch(RuntimeError, r"Expected target size \[2, 5\], got \[2, 6\]",
                      lambda m: nnf(m).nll_loss(m.zeros(2, 4, 5), m.zeros(2, 6, dtype=m.int64)))
    raises_like_torch(ValueError, "foo is not a valid value for reduction",
                      lambda m: nnf(m).nll_loss(m.zeros(3, 4), m.tensor([0, 1, 2]), reduction="foo"))
    raises_like_torch(RuntimeError, "multi-target not supported",
                      lambda m: nnf(m).cross_entropy(m.zeros(3, 4), m.zeros(3, 5)))
    raises_like_torch(RuntimeError, "Expected floating point type for target with class probabilities, got Long",
                      lambda m: nnf(m).cross_entropy(m.zeros(3, 4), m.zeros(3, 4, dtype=m.int64)))
    raises_like_torch(RuntimeError, "label_smoothing must be between 0.0 and 1.0. Got: 1.5",
                      lambda m: nnf(m).cross_entropy(m.zeros(3, 4), m.tensor([0, 1, 2]), label_smoothing=1.5))


# ---------------------------------------------------------------- elementwise losses

@np.errstate(divide="ignore")
def np_point(kind, x, y, reduction, w=None, pw=None, beta=1.0):
    d = x - y
    if kind == "mse":
        e = d * d
    elif kind == "l1":
        e = np.abs(d)
    elif kind == "smooth_l1":
        e = np.where(np.abs(d) < beta, 0.5 * d * d / beta, np.abs(d) - 0.5 * beta) if beta > 0 else np.abs(d)
    elif kind == "bce":
        e = -(y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log1p(-x), -100))
    else:  # bce with logits
        logsig = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
        lw = 1 + ((pw if pw is not None else 1.0) - 1) * y
        e = (1 - y) * x - lw * logsig
    wsum = None
    if w is not None:
        e = e * w
        wsum = np.broadcast_to(w, e.shape).sum()
    if reduction == "none":
        return e
    if reduction == "sum":
        return e.sum()
    return e.sum() / (wsum if (wsum is not None and kind in ("mse", "l1")) else e.size)


def _call(kind, x, y, reduction, w=None, pw=None, beta=1.0, m=None):
    f = (m or pe).nn.functional
    if kind in ("mse", "l1"):
        return getattr(f, kind + "_loss")(x, y, reduction=reduction, weight=w)
    if kind == "smooth_l1":
        return f.smooth_l1_loss(x, y, reduction=reduction, beta=beta)
    if kind == "bce":
        return f.binary_cross_entropy(x, y, weight=w, reduction=reduction)
    return f.binary_cross_entropy_with_logits(x, y, weight=w, reduction=reduction, pos_weight=pw)


POINT_CASES = [
    ("mse", {}), ("mse", {"w": True}), ("l1", {}), ("l1", {"w": True}), ("smooth_l1", {"beta": 1.0}),
    ("smooth_l1", {"beta": 0.3}), ("smooth_l1", {"beta": 0.0}), ("bce", {}), ("bce", {"w": True}),
    ("bce_logits", {}), ("bce_logits", {"w": True, "pw": True}),
]


def _point_data(kind):
    x = rand((4, 5), seed=20) * 3
    y = rand((4, 5), seed=21)
    if kind.startswith("bce"):
        y = np.abs(y)
    if kind == "bce":
        x = np.clip(np.abs(x) / 3, 0, 1)
        x[0, 0], x[0, 1], y[0, 1] = 0.0, 1.0, 0.0  # log clamped at -100
    return x, y


@pytest.mark.parametrize("case", POINT_CASES, ids=lambda c: c[0] + "".join(sorted(c[1])))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_pointwise_losses_match_numpy(case, reduction, layout):
    kind, opts = case
    x, y = _point_data(kind)
    w = rand((4, 5), seed=22, low=0.2, high=2.0) if opts.get("w") else None
    pw = rand((5,), seed=23, low=0.5, high=3.0) if opts.get("pw") else None
    beta = opts.get("beta", 1.0)
    got = _call(kind, pt(x, layout), pt(y, layout), reduction, None if w is None else pe.tensor(w),
                None if pw is None else pe.tensor(pw), beta)
    close(got, np_point(kind, x, y, reduction, w, pw, beta), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", POINT_CASES, ids=lambda c: c[0] + "".join(sorted(c[1])))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pointwise_loss_backward_kernels_match_torch(case, reduction):
    torch = torch_mod()
    kind, opts = case
    x, y = _point_data(kind)
    if kind == "bce":
        x = np.clip(x, 0.05, 0.95)  # torch's gradient is only defined inside (0, 1)
    w = rand((4, 5), seed=22, low=0.2, high=2.0) if opts.get("w") else None
    pw = rand((5,), seed=23, low=0.5, high=3.0) if opts.get("pw") else None
    beta = opts.get("beta", 1.0)
    xt = tt(x, requires_grad=True)
    out = _call(kind, xt, tt(y), reduction, None if w is None else tt(w), None if pw is None else tt(pw), beta,
                m=torch)
    g = rand(tuple(out.shape), seed=24)
    out.backward(tt(g))
    px, py, pg = pe.tensor(x), pe.tensor(y), pe.tensor(g)
    pw_ = None if w is None else pe.tensor(w)
    close(_call(kind, px, py, reduction, pw_, None if pw is None else pe.tensor(pw), beta), out, rtol=1e-10,
          atol=1e-12)
    if kind in ("mse", "l1"):
        gi = getattr(_nn, kind + "_loss_backward")(pg, px, py, reduction, pw_)
    elif kind == "smooth_l1":
        gi = _nn.smooth_l1_loss_backward(pg, px, py, reduction, beta)
    elif kind == "bce":
        gi = _nn.binary_cross_entropy_backward(pg, px, py, pw_, reduction)
    else:
        gi = _nn.binary_cross_entropy_with_logits_backward(pg, px, py, pw_, None if pw is None else pe.tensor(pw),
                                                           reduction)
    close(gi, xt.grad, rtol=1e-10, atol=1e-12)


def test_pointwise_losses_broadcast_promote_and_empty():
    torch = torch_mod()
    a, b = rand((3, 1), seed=25), rand((4,), seed=26).astype(np.float32)
    with pytest.warns(UserWarning, match="different to the input size"):
        got = F.mse_loss(pe.tensor(a), pe.tensor(b), reduction="none")
    want = torch.nn.functional.mse_loss(tt(a), tt(b), reduction="none")
    assert got.dtype is pe.float64
    close(got, want, rtol=1e-12)
    for r in REDUCTIONS:
        np.testing.assert_array_equal(F.l1_loss(pe.zeros(0), pe.zeros(0), reduction=r).numpy(),
                                      torch.nn.functional.l1_loss(torch.zeros(0), torch.zeros(0), reduction=r).numpy())
    x = np.array([100.0, -100.0, 0.0], dtype=np.float32)  # large logits stay finite
    close(F.binary_cross_entropy_with_logits(pe.tensor(x), pe.tensor(np.array([0.0, 1.0, 1.0], np.float32)),
                                             reduction="none"), np.array([100.0, 100.0, np.log(2.0)]), rtol=1e-6)


def test_pointwise_loss_errors():
    nnf = lambda m: m.nn.functional  # noqa: E731
    raises_like_torch(RuntimeError, "must match the size of tensor",
                      lambda m: nnf(m).mse_loss(m.zeros(3), m.zeros(2)))
    raises_like_torch(NotImplementedError, "not implemented for 'Long'",
                      lambda m: nnf(m).mse_loss(m.zeros(3, dtype=m.int64), m.zeros(3, dtype=m.int64)))
    raises_like_torch(RuntimeError, "smooth_l1_loss does not support negative values for beta",
                      lambda m: nnf(m).smooth_l1_loss(m.zeros(3), m.zeros(3), beta=-1.0))
    raises_like_torch(RuntimeError, "all elements of input should be between 0 and 1",
                      lambda m: nnf(m).binary_cross_entropy(m.tensor([1.5]), m.tensor([1.0])))
    raises_like_torch(ValueError, "is different to the input size",
                      lambda m: nnf(m).binary_cross_entropy(m.zeros(3), m.zeros(2)))
    raises_like_torch(ValueError, "must be the same as input size",
                      lambda m: nnf(m).binary_cross_entropy_with_logits(m.zeros(3), m.zeros(2)))
    raises_like_torch(ValueError, "Weights and input must have the same size",
                      lambda m: nnf(m).mse_loss(m.zeros(3), m.zeros(3), weight=m.ones(2)))
    raises_like_torch(ValueError, "bar is not a valid value for reduction",
                      lambda m: nnf(m).l1_loss(m.zeros(3), m.zeros(3), reduction="bar"))
    with pytest.warns(UserWarning, match="size_average and reduce"):
        assert F.mse_loss(pe.ones(2), pe.zeros(2), size_average=False).item() == 2.0
