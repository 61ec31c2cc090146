"""Autograd of the nn layers: conv2d (input, weight, bias; double backward), linear (PyTorch's
addmm / mm / matmul graph), constant padding, max/avg/adaptive pooling, softmax / log_softmax,
batch_norm (training and eval, running statistics), layer_norm and dropout: gradcheck in float64,
gradgradcheck for the core ones, grad_fn names and gradients against PyTorch, and a LeNet-sized
network's gradients against PyTorch's.
"""
from __future__ import annotations

import numpy as np
import pytest

import pyengine as pe
import pyengine.nn.functional as F
from pyengine.autograd import gradcheck, gradgradcheck

from autograd_layouts import leaf, name  # noqa: E402

RNG = np.random.default_rng(2)


def arr(*shape):
    return RNG.standard_normal(shape)


def compare_with_torch(pe_fn, torch_fn, arrays, grad_mask=None, rtol=1e-9, atol=1e-11):
    torch = pytest.importorskip("torch")
    grad_mask = grad_mask or [True] * len(arrays)
    xs = [leaf(a) if m else pe.tensor(a) for a, m in zip(arrays, grad_mask)]
    ts = [torch.tensor(a, requires_grad=m) for a, m in zip(arrays, grad_mask)]
    y, ty = pe_fn(*xs), torch_fn(*ts)
    assert name(y) == type(ty.grad_fn).__name__
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-9, atol=1e-11)
    g = RNG.standard_normal(tuple(ty.shape))
    y.backward(pe.tensor(g))
    ty.backward(torch.tensor(g))
    for x, t, m in zip(xs, ts, grad_mask):
        if m:
            np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)


# ---- conv2d ----

CONV_CASES = [
    dict(x=(2, 3, 6, 5), w=(4, 3, 3, 3), bias=True, stride=1, padding=0, dilation=1, groups=1),
    dict(x=(1, 4, 7, 7), w=(6, 2, 3, 2), bias=True, stride=(2, 1), padding=(1, 2), dilation=1, groups=2),
    dict(x=(2, 2, 7, 6), w=(2, 2, 2, 2), bias=False, stride=1, padding=1, dilation=2, groups=1),
    dict(x=(3, 5, 5), w=(2, 3, 3, 3), bias=True, stride=1, padding=1, dilation=1, groups=1),  # unbatched
    dict(x=(1, 2, 5, 5), w=(3, 2, 2, 4), bias=True, stride=1, padding="same", dilation=1, groups=1),
    dict(x=(1, 2, 5, 5), w=(3, 2, 3, 3), bias=False, stride=1, padding="valid", dilation=1, groups=1),
]


def conv_fn(c):
    return lambda x, w, *b: F.conv2d(x, w, b[0] if b else None, c["stride"], c["padding"], c["dilation"],
                                     c["groups"])


@pytest.mark.parametrize("c", CONV_CASES)
def test_conv2d_gradcheck(c):
    x = leaf(arr(*c["x"]), "strided")
    w = leaf(arr(*c["w"]), "transposed")
    inputs = [x, w] + ([leaf(arr(c["w"][0]))] if c["bias"] else [])
    assert gradcheck(conv_fn(c), inputs)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("c", CONV_CASES)
def test_conv2d_matches_torch(c):
    torch = pytest.importorskip("torch")
    arrays = [arr(*c["x"]), arr(*c["w"])] + ([arr(c["w"][0])] if c["bias"] else [])
    compare_with_torch(conv_fn(c), lambda x, w, *b: torch.nn.functional.conv2d(
        x, w, b[0] if b else None, c["stride"], c["padding"], c["dilation"], c["groups"]), arrays)


@pytest.mark.parametrize("c", [CONV_CASES[0], CONV_CASES[1], CONV_CASES[3]])
def test_conv2d_gradgradcheck(c):
    x, w = leaf(arr(*c["x"])), leaf(arr(*c["w"]))
    inputs = [x, w] + ([leaf(arr(c["w"][0]))] if c["bias"] else [])
    assert gradgradcheck(conv_fn(c), inputs)


def test_conv2d_double_backward_node_name_and_partial_inputs():
    x = leaf(arr(1, 2, 5, 5))
    w = pe.tensor(arr(3, 2, 3, 3))
    y = F.conv2d(x, w)
    assert name(y) == "ConvolutionBackward0"
    (gx,) = pe.autograd.grad(y.sum(), x, create_graph=True)
    assert name(gx) == "ConvolutionBackwardBackward0"  # as PyTorch: recorded since x requires grad
    (ggx,) = pe.autograd.grad(gx.sum(), x, allow_unused=True)
    assert ggx is None or np.all(ggx.numpy() == 0)
    assert gradgradcheck(lambda t: F.conv2d(t, w), (x,))
    # Only the weight requires grad.
    xin = pe.tensor(arr(1, 2, 5, 5))
    assert gradcheck(lambda ww: F.conv2d(xin, ww), (leaf(arr(3, 2, 3, 3)),))
    assert gradgradcheck(lambda ww: F.conv2d(xin, ww), (leaf(arr(3, 2, 3, 3)),))


# ---- linear ----

LINEAR_CASES = [((4, 3), (5, 3), (5,)), ((4, 3), (5, 3), None), ((2, 4, 3), (5, 3), (5,)), ((2, 4, 3), (5, 3), None),
                ((3,), (5, 3), (5,)), ((3,), (5, 3), None), ((2, 2, 4, 3), (5, 3), (5,)), ((4, 3), (3,), None),
                ((4, 3), (5, 3), (4, 5))]


@pytest.mark.parametrize("sx,sw,sb", LINEAR_CASES)
def test_linear_graph_and_grads_match_torch(sx, sw, sb):
    torch = pytest.importorskip("torch")
    arrays = [arr(*sx), arr(*sw)] + ([arr(*sb)] if sb else [])
    compare_with_torch(lambda x, w, *b: F.linear(x, w, *b), lambda x, w, *b: torch.nn.functional.linear(x, w, *b),
                       arrays)


def test_linear_noncontiguous_3d_and_gradgrad():
    x = leaf(arr(4, 2, 3)).transpose(0, 1)
    w, b = leaf(arr(5, 3)), leaf(arr(5))
    assert name(F.linear(x, w, b)) == "AddBackward0"
    assert gradcheck(F.linear, (leaf(arr(2, 4, 3), "transposed"), w, b))
    assert gradgradcheck(F.linear, (leaf(arr(4, 3)), w, b))


# ---- pad ----

def test_constant_pad():
    x = leaf(arr(2, 3, 4), "strided")
    assert name(F.pad(x, (1, 2))) == "ConstantPadNdBackward0"
    assert name(pe.constant_pad_nd(x, (1, 1, 0, 1))) == "ConstantPadNdBackward0"
    assert gradcheck(lambda t: F.pad(t, (1, 2, -1, 1), value=3.0), (x,))
    assert gradgradcheck(lambda t: F.pad(t, (1, 2)), (x,))


# ---- pooling ----

def distinct(*shape):
    """Values with no ties (max pooling's derivative is defined) spaced well beyond the FD step."""
    n = int(np.prod(shape))
    return RNG.permutation(n).reshape(shape) * 0.1


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=(2, 3), stride=1, dilation=2, ceil_mode=True)])
@pytest.mark.parametrize("shape", [(2, 2, 6, 7), (3, 6, 6)])
def test_max_pool2d(kw, shape):
    x = leaf(distinct(*shape), "strided")
    y = F.max_pool2d(x, **kw)
    assert name(y) == "MaxPool2DWithIndicesBackward0"
    assert name(F.max_pool2d(x, return_indices=True, **kw)[0]) == "MaxPool2DWithIndicesBackward0"
    assert name(pe.max_pool2d(x, kw["kernel_size"])) == "MaxPool2DWithIndicesBackward0"
    assert gradcheck(lambda t: F.max_pool2d(t, **kw), (x,))
    assert gradgradcheck(lambda t: F.max_pool2d(t, **kw), (x,))


def test_max_pool2d_matches_torch():
    torch = pytest.importorskip("torch")
    compare_with_torch(lambda t: F.max_pool2d(t, 2), lambda t: torch.nn.functional.max_pool2d(t, 2),
                       [distinct(2, 3, 4, 6)])


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=3, stride=2, padding=1, count_include_pad=False, ceil_mode=True),
                                dict(kernel_size=2, divisor_override=3)])
def test_avg_pool2d(kw):
    x = leaf(arr(2, 3, 6, 7), "transposed")
    assert name(F.avg_pool2d(x, **kw)) == "AvgPool2DBackward0"
    assert gradcheck(lambda t: F.avg_pool2d(t, **kw), (x,))
    assert gradgradcheck(lambda t: F.avg_pool2d(t, **kw), (x,))
    torch = pytest.importorskip("torch")
    compare_with_torch(lambda t: F.avg_pool2d(t, **kw), lambda t: torch.nn.functional.avg_pool2d(t, **kw),
                       [arr(1, 2, 6, 7)])


@pytest.mark.parametrize("size,node", [((2, 3), "AdaptiveAvgPool2DBackward0"), (1, "MeanBackward1"),
                                       ((4, 5), "AdaptiveAvgPool2DBackward0")])
def test_adaptive_avg_pool2d(size, node):
    x = leaf(arr(2, 3, 5, 7), "strided")
    assert name(F.adaptive_avg_pool2d(x, size)) == node
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, size), (x,))
    assert gradgradcheck(lambda t: F.adaptive_avg_pool2d(t, size), (x,))
    x3 = leaf(arr(3, 5, 7))
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, size), (x3,))


# ---- softmax ----

@pytest.mark.parametrize("log,node", [(False, "SoftmaxBackward0"), (True, "LogSoftmaxBackward0")])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax(log, node, dim):
    f = F.log_softmax if log else F.softmax
    x = leaf(arr(3, 4, 5), "transposed")
    assert name(f(x, dim)) == node
    assert gradcheck(lambda t: f(t, dim), (x,))
    assert gradgradcheck(lambda t: f(t, dim), (x,))
    m = (lambda t, d: t.log_softmax(d)) if log else (lambda t, d: t.softmax(d))
    assert name(m(x, dim)) == node
    assert name((pe.log_softmax if log else pe.softmax)(x, dim)) == node


def test_softmax_0d_empty_and_dtype():
    x = leaf(np.float64(1.5))
    assert gradcheck(lambda t: F.softmax(t, 0), (x,))
    e = leaf(np.zeros((0, 3)))
    F.log_softmax(e, 1).sum().backward()
    assert e.grad.shape == (0, 3)
    x32 = pe.tensor(arr(2, 3), dtype=pe.float32).requires_grad_()
    y = F.softmax(x32, 1, dtype=pe.float64)
    assert y.dtype == pe.float64 and name(y) == "SoftmaxBackward0"
    y.sum().backward()
    assert x32.grad.dtype == pe.float32


# ---- normalization ----

@pytest.mark.parametrize("shape", [(4, 3), (3, 2, 4, 2), (2, 3, 5)])
def test_batch_norm_training(shape):
    c = shape[1]
    x, w, b = leaf(arr(*shape), "strided"), leaf(arr(c)), leaf(arr(c))
    rm, rv = pe.zeros(c, dtype=pe.float64), pe.ones(c, dtype=pe.float64)
    y = F.batch_norm(x, rm, rv, w, b, training=True)
    assert name(y) == "NativeBatchNormBackward0"
    assert not rm.requires_grad and rm.grad_fn is None
    assert not np.allclose(rm.numpy(), 0)  # updated
    assert gradcheck(lambda t, ww, bb: F.batch_norm(t, None, None, ww, bb, training=True), (x, w, b))
    assert gradcheck(lambda t: F.batch_norm(t, None, None, training=True), (x,))


def test_batch_norm_eval_and_torch():
    torch = pytest.importorskip("torch")
    rm, rv = arr(3), np.abs(arr(3)) + 0.5
    for training in (True, False):
        compare_with_torch(
            lambda x, w, b: F.batch_norm(x, pe.tensor(rm), pe.tensor(rv), w, b, training=training),
            lambda x, w, b: torch.nn.functional.batch_norm(x, torch.tensor(rm), torch.tensor(rv), w, b,
                                                           training=training),
            [arr(4, 3, 2), arr(3), arr(3)], rtol=1e-8, atol=1e-10)
    x = leaf(arr(4, 3))
    assert gradcheck(lambda t: F.batch_norm(t, pe.tensor(rm), pe.tensor(rv), training=False), (x,))


def test_layer_norm():
    torch = pytest.importorskip("torch")
    x, w, b = leaf(arr(2, 3, 4), "transposed"), leaf(arr(4)), leaf(arr(4))
    assert name(F.layer_norm(x, (4,), w, b)) == "NativeLayerNormBackward0"
    assert gradcheck(lambda t, ww, bb: F.layer_norm(t, (4,), ww, bb), (x, w, b))
    assert gradcheck(lambda t: F.layer_norm(t, (3, 4)), (x,))
    compare_with_torch(lambda t, ww, bb: F.layer_norm(t, (4,), ww, bb),
                       lambda t, ww, bb: torch.nn.functional.layer_norm(t, (4,), ww, bb),
                       [arr(2, 3, 4), arr(4), arr(4)], rtol=1e-8, atol=1e-10)


def test_norm_gradgradcheck():
    x, w, b = leaf(arr(4, 3, 2)), leaf(arr(3)), leaf(arr(3))
    assert gradgradcheck(lambda t, ww, bb: F.batch_norm(t, None, None, ww, bb, training=True), (x, w, b))
    rm, rv = pe.tensor(arr(3)), pe.tensor(np.abs(arr(3)) + 0.5)
    assert gradgradcheck(lambda t, ww, bb: F.batch_norm(t, rm, rv, ww, bb, training=False), (x, w, b))
    assert gradgradcheck(lambda t: F.batch_norm(t, None, None, training=True), (x,))
    y, lw, lb = leaf(arr(2, 3, 4)), leaf(arr(3, 4)), leaf(arr(3, 4))
    assert gradgradcheck(lambda t, ww, bb: F.layer_norm(t, (3, 4), ww, bb), (y, lw, lb))
    assert gradgradcheck(lambda t: F.layer_norm(t, (4,)), (y,))
    assert gradgradcheck(lambda t, ww: F.layer_norm(t, (2, 3, 4), ww), (y, leaf(arr(2, 3, 4))))


def test_norm_double_backward_matches_torch():
    torch = pytest.importorskip("torch")
    a, w = arr(4, 3), arr(3)
    x, ww = leaf(a), leaf(w)
    y = F.batch_norm(x, None, None, ww, None, training=True)
    (g,) = pe.autograd.grad((y * y).sum(), x, create_graph=True)
    (g * g).sum().backward()
    tx, tw = torch.tensor(a, requires_grad=True), torch.tensor(w, requires_grad=True)
    ty = torch.nn.functional.batch_norm(tx, None, None, tw, None, training=True)
    (tg,) = torch.autograd.grad((ty * ty).sum(), tx, create_graph=True)
    (tg * tg).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ww.grad.numpy(), tw.grad.numpy(), rtol=1e-7, atol=1e-9)


# ---- dropout ----

def test_dropout_training():
    pe.manual_seed(0)
    x = leaf(np.ones((50, 40)))
    y = F.dropout(x, 0.25)
    assert name(y) == "MulBackward0"
    y.sum().backward()
    mask = y.detach().numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), mask / 0.75)
    np.testing.assert_allclose(y.detach().numpy(), mask / 0.75)
    assert 0.6 < mask.mean() < 0.9


def test_dropout_eval_p0_p1_and_inplace():
    x = leaf(arr(3, 4))
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    y = F.dropout(x, 1.0)
    assert name(y) == "MulBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0)
    x2 = leaf(np.ones((20, 20)))
    z = x2 * 1
    F.dropout(z, 0.5, inplace=True)
    assert name(z) == "MulBackward0"
    z.sum().backward()
    np.testing.assert_allclose(x2.grad.numpy(), z.detach().numpy())
    with pytest.raises(RuntimeError, match="leaf Variable"):
        F.dropout(leaf(arr(2)), 0.5, inplace=True)


# ---- a LeNet-sized network against PyTorch ----

def test_lenet_gradients_match_torch():
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    shapes = dict(c1=(6, 1, 5, 5), b1=(6,), c2=(16, 6, 5, 5), b2=(16,), f1=(120, 400), g1=(120,),
                  f2=(84, 120), g2=(84,), f3=(10, 84), g3=(10,))
    params = {k: arr(*s) * 0.1 for k, s in shapes.items()}
    x = arr(4, 1, 32, 32)
    target = np.array([1, 0, 4, 9])

    def act(y):  # a smooth activation from basic ops (relu's autograd belongs to the elementwise family)
        return y + 0.1 * y * y

    def net(f, p, x, t):
        y = f.max_pool2d(act(f.conv2d(x, p["c1"], p["b1"])), (2, 2))
        y = f.avg_pool2d(act(f.conv2d(y, p["c2"], p["b2"])), 2)
        y = y.flatten(1)
        y = act(f.linear(y, p["f1"], p["g1"]))
        y = f.dropout(act(f.linear(y, p["f2"], p["g2"])), 0.3, training=False)
        y = f.linear(y, p["f3"], p["g3"])
        return f.cross_entropy(y, t) + f.nll_loss(f.log_softmax(y, 1), t, reduction="sum") * 0.5

    pp = {k: leaf(v) for k, v in params.items()}
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    loss = net(F, pp, pe.tensor(x), pe.tensor(target))
    tloss = net(tF, tp, torch.tensor(x), torch.tensor(target))
    assert name(loss) == type(tloss.grad_fn).__name__
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-10)
    loss.backward()
    tloss.backward()
    for k in params:
        np.testing.assert_allclose(pp[k].grad.numpy(), tp[k].grad.numpy(), rtol=1e-8, atol=1e-12)


def test_two_layer_net_mse_matches_torch():
    torch = pytest.importorskip("torch")
    x, yt = arr(16, 10), arr(16, 3)
    w1, w2 = arr(10, 20) * 0.3, arr(20, 3) * 0.3
    p1, p2 = leaf(w1), leaf(w2)
    t1, t2 = torch.tensor(w1, requires_grad=True), torch.tensor(w2, requires_grad=True)
    h = pe.tensor(x).mm(p1)
    loss = F.mse_loss((h * h * 0.1 + h).mm(p2), pe.tensor(yt))
    th = torch.tensor(x).mm(t1)
    tloss = torch.nn.functional.mse_loss((th * th * 0.1 + th).mm(t2), torch.tensor(yt))
    assert name(loss) == "MseLossBackward0"
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(p1.grad.numpy(), t1.grad.numpy(), rtol=1e-9)
    np.testing.assert_allclose(p2.grad.numpy(), t2.grad.numpy(), rtol=1e-9)
