"""Autograd of the losses: nll_loss (weight, ignore_index, every reduction, K-dim inputs),
cross_entropy (class indices, label smoothing, class probabilities), mse_loss (also weighted),
l1_loss, smooth_l1_loss, binary_cross_entropy and binary_cross_entropy_with_logits (gradients for
input and target): gradcheck in float64, gradgradcheck where PyTorch's formula is twice
differentiable here, and grad_fn names / gradients against PyTorch.
"""
from __future__ import annotations

import numpy as np
import pytest

import pyengine as pe
import pyengine.nn.functional as F
from pyengine.autograd import gradcheck, gradgradcheck

from autograd_layouts import leaf, name  # noqa: E402

RNG = np.random.default_rng(3)
REDUCTIONS = ["mean", "sum", "none"]


def arr(*shape):
    return RNG.standard_normal(shape)


def compare_with_torch(pe_fn, torch_fn, arrays, grad_mask, rtol=1e-9, atol=1e-11):
    torch = pytest.importorskip("torch")
    xs = [leaf(a) if m else pe.tensor(a) for a, m in zip(arrays, grad_mask)]
    ts = [torch.tensor(a, requires_grad=bool(m)) for a, m in zip(arrays, grad_mask)]
    y, ty = pe_fn(*xs), torch_fn(*ts)
    assert name(y) == type(ty.grad_fn).__name__
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-9, atol=1e-11)
    g = RNG.standard_normal(tuple(ty.shape))
    y.backward(pe.tensor(g))
    ty.backward(torch.tensor(g))
    for x, t, m in zip(xs, ts, grad_mask):
        if m:
            np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)


# ---- nll_loss / cross_entropy ----

NLL_CASES = [((5, 4), (5,)), ((4,), ()), ((3, 4, 2, 2), (3, 2, 2)), ((3, 4, 5), (3, 5))]


@pytest.mark.parametrize("sx,st", NLL_CASES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss(sx, st, reduction, weighted):
    torch = pytest.importorskip("torch")
    c = sx[1] if len(sx) > 1 else sx[0]
    target = RNG.integers(0, c, st)
    if target.size > 1:
        target.flat[0] = 1  # ignored below
    else:
        target = np.array(2)  # not all samples ignored (a 'mean' over none is 0 / 0)
    w = np.abs(arr(c)) + 0.1 if weighted else None
    kw = dict(reduction=reduction, ignore_index=1)
    pf = lambda x: F.nll_loss(x, pe.tensor(target), None if w is None else pe.tensor(w), **kw)  # noqa: E731
    tf = lambda x: torch.nn.functional.nll_loss(  # noqa: E731
        x, torch.tensor(target), None if w is None else torch.tensor(w), **kw)
    x = leaf(arr(*sx), "transposed")
    assert gradcheck(pf, (x,))
    assert gradgradcheck(pf, (x,))
    compare_with_torch(pf, tf, [arr(*sx)], [True])


@pytest.mark.parametrize("ls", [0.0, 0.2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_class_indices(ls, reduction):
    torch = pytest.importorskip("torch")
    target = np.array([1, 0, 3, 2, 1])
    w = np.abs(arr(4)) + 0.1
    for weight in (None, w):
        pf = lambda x: F.cross_entropy(x, pe.tensor(target), None if weight is None else pe.tensor(weight),  # noqa
                                       reduction=reduction, label_smoothing=ls, ignore_index=2)
        tf = lambda x: torch.nn.functional.cross_entropy(  # noqa: E731
            x, torch.tensor(target), None if weight is None else torch.tensor(weight), reduction=reduction,
            label_smoothing=ls, ignore_index=2)
        x = leaf(arr(5, 4), "strided")
        assert gradcheck(pf, (x,))
        compare_with_torch(pf, tf, [arr(5, 4)], [True])
    assert gradgradcheck(lambda x: F.cross_entropy(x, pe.tensor(target), label_smoothing=ls, reduction=reduction),
                         (leaf(arr(5, 4)),))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_class_probabilities(reduction):
    torch = pytest.importorskip("torch")
    p = np.abs(arr(3, 4, 2))
    p /= p.sum(1, keepdims=True)
    w = np.abs(arr(4)) + 0.1
    for weight in (None, w):
        for ls in (0.0, 0.1):
            pf = lambda x, t: F.cross_entropy(x, t, None if weight is None else pe.tensor(weight),  # noqa
                                              reduction=reduction, label_smoothing=ls)
            tf = lambda x, t: torch.nn.functional.cross_entropy(  # noqa: E731
                x, t, None if weight is None else torch.tensor(weight), reduction=reduction, label_smoothing=ls)
            assert gradcheck(pf, (leaf(arr(3, 4, 2)), leaf(p)))
            compare_with_torch(pf, tf, [arr(3, 4, 2), p], [True, True])
    assert gradgradcheck(lambda x, t: F.cross_entropy(x, t, reduction=reduction), (leaf(arr(3, 4)), leaf(p[:, :, 0])))


def test_cross_entropy_grad_fn_names():
    x = leaf(arr(3, 4))
    t = pe.tensor([1, 0, 2])
    assert name(F.cross_entropy(x, t)) == "NllLossBackward0"
    assert name(F.cross_entropy(x, t, label_smoothing=0.1)) == "AddBackward0"
    assert name(F.nll_loss(leaf(arr(3, 4, 2, 2)), pe.zeros(3, 2, 2, dtype=pe.int64))) == "NllLoss2DBackward0"
    assert name(F.log_softmax(x, 1)) == "LogSoftmaxBackward0"


# ---- pointwise losses ----

POINT = [
    ("mse_loss", {}, "MseLossBackward0"),
    ("l1_loss", {}, None),
    ("smooth_l1_loss", {"beta": 0.5}, "SmoothL1LossBackward0"),
    ("smooth_l1_loss", {"beta": 0.0}, "SmoothL1LossBackward0"),
]


@pytest.mark.parametrize("op,kw,node", POINT)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_point_losses(op, kw, node, reduction):
    torch = pytest.importorskip("torch")
    a, b = arr(3, 4), arr(3, 4)
    f = lambda x, y: getattr(F, op)(x, y, reduction=reduction, **kw)  # noqa: E731
    tf = lambda x, y: getattr(torch.nn.functional, op)(x, y, reduction=reduction, **kw)  # noqa: E731
    assert gradcheck(f, (leaf(a, "transposed"), leaf(b, "strided")))
    compare_with_torch(f, tf, [a, b], [True, True])
    compare_with_torch(f, tf, [a, b], [False, True])
    if op != "l1_loss":
        assert gradgradcheck(f, (leaf(a), leaf(b)))


@pytest.mark.parametrize("op", ["mse_loss", "l1_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_weighted_point_losses(op, reduction):
    torch = pytest.importorskip("torch")
    a, b, w = arr(3, 4), arr(3, 4), np.abs(arr(3, 4)) + 0.1
    f = lambda x, y: getattr(F, op)(x, y, reduction=reduction, weight=pe.tensor(w))  # noqa: E731
    tf = lambda x, y: getattr(torch.nn.functional, op)(x, y, reduction=reduction, weight=torch.tensor(w))  # noqa
    assert gradcheck(f, (leaf(a), leaf(b)))
    compare_with_torch(f, tf, [a, b], [True, True])


def test_point_loss_broadcast_target():
    a, b = arr(3, 4), arr(4)
    with pytest.warns(UserWarning):
        assert gradcheck(lambda x, y: F.mse_loss(x, y), (leaf(a), leaf(b)))
    x = leaf(arr(2, 3))
    assert name(F.mse_loss(x, pe.zeros(2, 3, dtype=pe.float64))) == "MseLossBackward0"
    assert name(F.l1_loss(x, pe.zeros(2, 3, dtype=pe.float64))) == "MeanBackward0"
    assert name(F.l1_loss(x, pe.zeros(2, 3, dtype=pe.float64), reduction="sum")) == "SumBackward0"


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction):
    torch = pytest.importorskip("torch")
    p = RNG.uniform(0.1, 0.9, (3, 4))
    t = RNG.uniform(0, 1, (3, 4))
    w = np.abs(arr(4)) + 0.1
    for weight in (None, w):
        f = lambda x, y: F.binary_cross_entropy(x, y, None if weight is None else pe.tensor(weight),  # noqa
                                                reduction=reduction)
        tf = lambda x, y: torch.nn.functional.binary_cross_entropy(  # noqa: E731
            x, y, None if weight is None else torch.tensor(weight), reduction=reduction)
        assert gradcheck(f, (leaf(p, "transposed"), leaf(t)))
        compare_with_torch(f, tf, [p, t], [True, True])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(reduction):
    torch = pytest.importorskip("torch")
    x, t = arr(3, 4), RNG.uniform(0, 1, (3, 4))
    w, pw = np.abs(arr(4)) + 0.1, np.abs(arr(4)) + 0.5
    for weight in (None, w):
        for pos in (None, pw):
            f = lambda a, b: F.binary_cross_entropy_with_logits(  # noqa: E731
                a, b, None if weight is None else pe.tensor(weight), reduction=reduction,
                pos_weight=None if pos is None else pe.tensor(pos))
            tf = lambda a, b: torch.nn.functional.binary_cross_entropy_with_logits(  # noqa: E731
                a, b, None if weight is None else torch.tensor(weight), reduction=reduction,
                pos_weight=None if pos is None else torch.tensor(pos))
            assert gradcheck(f, (leaf(x, "strided"), leaf(t)))
            compare_with_torch(f, tf, [x, t], [True, True])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_gradgradcheck(reduction):
    p, t = leaf(RNG.uniform(0.2, 0.8, (2, 3))), leaf(RNG.uniform(0, 1, (2, 3)))
    w, pw = pe.tensor(np.abs(arr(3)) + 0.1), pe.tensor(np.abs(arr(3)) + 0.5)
    assert gradgradcheck(lambda a, b: F.binary_cross_entropy(a, b, w, reduction=reduction), (p, t))
    x = leaf(arr(2, 3))
    assert gradgradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, w, reduction=reduction), (x, t))
    assert gradgradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction, pos_weight=pw),
                         (x, t))


def test_empty_losses():
    x = leaf(np.zeros((0, 3)))
    F.mse_loss(x, pe.zeros(0, 3, dtype=pe.float64), reduction="sum").backward()
    assert x.grad.shape == (0, 3)
    y = leaf(np.zeros((0, 4)))
    F.cross_entropy(y, pe.zeros(0, dtype=pe.int64), reduction="sum").backward()
    assert y.grad.shape == (0, 4)
