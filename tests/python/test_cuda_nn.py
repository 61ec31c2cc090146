"""CUDA part 2 (issue 13): our GEMM and the nn kernels on `cuda` give the CPU's results, forward and
gradients: matrix products on many shapes (tails, k == 0, single rows/columns, transposed, sliced and
batched operands), conv2d (stride, padding, dilation, groups, bias), pooling, softmax, the losses, the
normalizations, dropout, then a small model's training steps and the optimizers. Runs on a real GPU or
on the emulated device (docs/cuda-emulator.md; slow, so the shapes stay small); skips with "CUDA not
available" elsewhere."""
from __future__ import annotations

import numpy as np
import pytest

import pyengine as pe
import pyengine.nn.functional as F
from pe_testing import assert_same_as_cpu, cuda_required

pytestmark = cuda_required

RNG = np.random.default_rng(0)


def rand(*shape, low=-1.0, high=1.0):
    return RNG.uniform(low, high, size=shape)


def leaf(a, device, dtype, grad=True):
    """A tensor of `a` on `device`: floats as leaves of `dtype` (requiring grad), integers as int64."""
    if isinstance(a, np.ndarray) and a.dtype.kind in "iub":
        return pe.tensor(a, dtype=pe.int64 if a.dtype.kind != "b" else pe.bool, device=device)
    return pe.tensor(a, dtype=dtype, device=device, requires_grad=grad)


def check(fn, *arrays, dtype=pe.float64, grad=True, rtol=1e-6, atol=1e-8):
    """fn on CPU leaves and on their cuda twins: same outputs and (grad) the same input gradients for a
    random upstream gradient. Returns the cuda output."""
    cpu = [leaf(a, "cpu", dtype, grad) for a in arrays]
    gpu = [leaf(a, "cuda", dtype, grad) for a in arrays]
    want, got = fn(*cpu), fn(*gpu)
    assert got.device.type == "cuda", got.device
    assert_same_as_cpu(got.detach(), want.detach(), rtol=rtol, atol=atol)
    if grad and want.requires_grad:
        g = rand(*want.shape)
        want.backward(pe.tensor(g, dtype=want.dtype))
        got.backward(pe.tensor(g, dtype=got.dtype, device="cuda"))
        for c, d in zip(cpu, gpu):
            if c.requires_grad and c.grad is not None:
                assert d.grad is not None and d.grad.device.type == "cuda"
                assert_same_as_cpu(d.grad, c.grad, rtol=rtol, atol=atol)
    return got


# ---- GEMM ----

GEMM_SHAPES = [(1, 1, 1), (3, 5, 7), (64, 64, 64), (65, 17, 130), (1, 70, 1), (70, 1, 33), (2, 33, 1),
               (5, 0, 4), (0, 3, 4), (4, 3, 0)]


@pytest.mark.parametrize("m,k,n", GEMM_SHAPES)
@pytest.mark.parametrize("dtype", [pe.float32, pe.float64])
def test_mm_shapes(m, k, n, dtype):
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == pe.float32 else {}
    check(lambda a, b: pe.mm(a, b), rand(m, k), rand(k, n), dtype=dtype, **tol)


@pytest.mark.parametrize("layout", ["at", "bt", "both", "sliced"])
def test_mm_strided_operands(layout):
    a, b = rand(37, 21), rand(21, 45)
    if layout == "at":
        check(lambda x, y: x.t() @ y, a.T.copy(), b)
    elif layout == "bt":
        check(lambda x, y: x @ y.t(), a, b.T.copy())
    elif layout == "both":
        check(lambda x, y: x.t() @ y.t(), a.T.copy(), b.T.copy())
    else:  # every other column / row: no unit stride where the GEMM would like one
        check(lambda x, y: x[:, ::2] @ y[::2, ::3], rand(37, 42), rand(42, 135))


def test_mm_into_strided_output():
    a, b = rand(9, 6), rand(6, 11)
    for dev in ("cpu", "cuda"):
        out = pe.zeros(11, 9, dtype=pe.float64, device=dev).t()
        pe.mm(pe.tensor(a, device=dev), pe.tensor(b, device=dev), out=out)
        if dev == "cpu":
            want = out
    assert_same_as_cpu(out, want)


def test_batched_products():
    check(lambda a, b: pe.bmm(a, b), rand(3, 5, 4), rand(3, 4, 6))
    check(lambda a, b: pe.bmm(a.transpose(1, 2), b), rand(3, 4, 5), rand(3, 4, 6))
    check(lambda a, b: pe.matmul(a, b), rand(2, 1, 5, 4), rand(3, 4, 2))  # batch broadcast
    check(lambda a, b: a @ b, rand(2, 3, 4), rand(4))
    check(lambda a, b: a @ b, rand(4), rand(2, 4, 3))
    check(lambda c, a, b: pe.baddbmm(c, a, b, beta=0.5, alpha=2.0), rand(2, 3, 5), rand(2, 3, 4), rand(2, 4, 5))
    check(lambda c, a, b: pe.addbmm(c, a, b, beta=2.0, alpha=0.5), rand(3, 5), rand(4, 3, 2), rand(4, 2, 5))
    check(lambda c, a, b: pe.addmm(c, a, b, beta=-1.0, alpha=3.0), rand(1, 5), rand(3, 4), rand(4, 5))
    check(lambda a, b: pe.bmm(a, b), rand(0, 3, 4), rand(0, 4, 2))


def test_vector_products():
    check(lambda a, v: pe.mv(a, v), rand(7, 130), rand(130))
    check(lambda a, b: pe.dot(a, b), rand(300), rand(300))
    check(lambda a, b: a[::3] @ b[::3], rand(90), rand(90))
    check(lambda a, b: pe.outer(a, b), rand(5), rand(3))
    check(lambda c, a, v: pe.addmv(c, a, v, beta=0.5, alpha=2.0), rand(4), rand(4, 6), rand(6))
    check(lambda a, b: pe.dot(a, b), rand(0), rand(0))


def test_linear():
    check(lambda x, w, b: F.linear(x, w, b), rand(2, 3, 20), rand(7, 20), rand(7))
    check(lambda x, w: F.linear(x, w), rand(70, 5), rand(66, 5))
    check(lambda x, w, b: F.linear(x, w, b), rand(4, 0), rand(3, 0), rand(3))


def test_beta_zero_ignores_nan_output():
    c = pe.full((3, 4), float("nan"), device="cuda")
    a, b = pe.ones(3, 2, device="cuda"), pe.ones(2, 4, device="cuda")
    assert pe.addmm(c, a, b, beta=0).cpu().tolist() == [[2.0] * 4] * 3


def test_integer_and_half_products():
    a, b = RNG.integers(-50, 50, (9, 13)), RNG.integers(-50, 50, (13, 6))
    for dt in (pe.int64, pe.int32, pe.int8):
        got = pe.mm(pe.tensor(a, dtype=dt, device="cuda"), pe.tensor(b, dtype=dt, device="cuda"))
        assert_same_as_cpu(got, pe.mm(pe.tensor(a, dtype=dt), pe.tensor(b, dtype=dt)))
    for dt in (pe.float16, pe.bfloat16):
        check(lambda x, y: x @ y, rand(5, 40), rand(40, 3), dtype=dt, grad=False)


def test_lu_family():
    a = rand(3, 5, 5) + 4 * np.eye(5)
    check(lambda t: pe.linalg.inv(t), a)
    check(lambda t: pe.linalg.det(t), a)
    check(lambda t: pe.linalg.slogdet(t)[1], rand(4, 4))
    check(lambda t, r: pe.linalg.solve(t, r), a, rand(3, 5, 2))
    check(lambda t: pe.logdet(t), a, grad=False)
    big = rand(70, 70) + 10 * np.eye(70)  # more rows than one block's threads take at once per column
    check(lambda t: pe.linalg.inv(t), big, rtol=1e-9, atol=1e-10)
    sing = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 1.0]])
    check(lambda t: pe.linalg.det(t), sing, grad=False)
    check(lambda t: pe.linalg.slogdet(t)[0], sing, grad=False)


# ---- conv2d ----

CONVS = [  # (n, c, h, w, o, kh, kw, stride, padding, dilation, groups, bias)
    (2, 3, 7, 6, 4, 3, 3, 1, 0, 1, 1, True),
    (1, 2, 9, 8, 3, 3, 2, 2, 1, 1, 1, False),
    (2, 4, 8, 8, 6, 3, 3, (2, 1), (1, 2), (2, 1), 2, True),
    (1, 4, 5, 5, 4, 1, 1, 1, 0, 1, 4, True),   # depthwise 1x1: the direct path
    (3, 2, 4, 4, 5, 1, 1, 1, 0, 1, 1, False),  # 1x1 stride 1: no im2col
    (1, 1, 6, 6, 2, 5, 5, 3, 2, 1, 1, True),
    (201, 1, 4, 4, 2, 3, 3, 1, 0, 1, 1, True),  # weight gradient in partial sums of 2 samples, plus 1 left over
]


@pytest.mark.parametrize("cfg", CONVS)
def test_conv2d(cfg):
    n, c, h, w, o, kh, kw, s, p, d, g, bias = cfg
    arrays = [rand(n, c, h, w), rand(o, c // g, kh, kw)] + ([rand(o)] if bias else [])
    check(lambda x, wt, *b: F.conv2d(x, wt, b[0] if b else None, stride=s, padding=p, dilation=d, groups=g), *arrays)


def test_conv2d_float32_and_unbatched():
    check(lambda x, w, b: F.conv2d(x, w, b, padding=1), rand(2, 3, 6, 6), rand(4, 3, 3, 3), rand(4),
          dtype=pe.float32, rtol=1e-5, atol=1e-5)
    check(lambda x, w: F.conv2d(x, w, padding="same"), rand(3, 5, 5), rand(2, 3, 2, 2))


# ---- pooling ----

@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1), ceil_mode=True)])
def test_max_pool2d(kw):
    x = rand(2, 3, 7, 8)
    check(lambda t: F.max_pool2d(t, **kw), x)
    got = F.max_pool2d(pe.tensor(x, device="cuda"), return_indices=True, **kw)[1]
    assert_same_as_cpu(got, F.max_pool2d(pe.tensor(x), return_indices=True, **kw)[1])


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=3, stride=2, padding=1, count_include_pad=False, ceil_mode=True),
                                dict(kernel_size=2, divisor_override=3)])
def test_avg_pool2d(kw):
    check(lambda t: F.avg_pool2d(t, **kw), rand(2, 2, 7, 6))


@pytest.mark.parametrize("size", [(1, 1), (3, 2), (5, 7)])
def test_adaptive_avg_pool2d(size):
    check(lambda t: F.adaptive_avg_pool2d(t, size), rand(2, 3, 7, 5))


def test_integer_max_pool2d():
    x = RNG.integers(-9, 9, (1, 2, 5, 5))
    got = F.max_pool2d(pe.tensor(x, device="cuda"), 2)
    assert_same_as_cpu(got, F.max_pool2d(pe.tensor(x), 2))


# ---- softmax ----

@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("log", [False, True])
def test_softmax(dim, log):
    f = F.log_softmax if log else F.softmax
    check(lambda t: f(t, dim=dim), rand(3, 4, 300, low=-20, high=20))
    check(lambda t: f(t.transpose(0, 2), dim=dim), rand(3, 4, 5), dtype=pe.float32, rtol=1e-5, atol=1e-6)


def test_softmax_special_values():
    x = pe.tensor([[0.0, float("-inf"), 1.0], [float("nan"), 0.0, 1.0], [1e30, 1e30, 0.0]])
    assert_same_as_cpu(F.softmax(x.cuda(), dim=1), F.softmax(x, dim=1))
    assert_same_as_cpu(F.log_softmax(x.cuda(), dim=1), F.log_softmax(x, dim=1))


# ---- losses ----

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_and_cross_entropy(reduction):
    x, t = rand(6, 5), RNG.integers(0, 5, 6)
    t[2] = -100
    wt = rand(5, low=0.1, high=2.0)
    check(lambda a, b: F.nll_loss(a, b, reduction=reduction), x, t)
    check(lambda a, b, w: F.nll_loss(a, b, weight=w, reduction=reduction), x, t, wt)
    check(lambda a, b: F.nll_loss(a, b, ignore_index=1, reduction=reduction), x, RNG.integers(0, 5, 6))
    t4 = RNG.integers(0, 3, (2, 4, 5))
    check(lambda a, b: F.cross_entropy(a, b, reduction=reduction), rand(2, 3, 4, 5), t4)
    check(lambda a, b, w: F.cross_entropy(a, b, weight=w, label_smoothing=0.2, reduction=reduction), x, t, wt)
    check(lambda a, b: F.cross_entropy(a, b, reduction=reduction), x, F.softmax(pe.tensor(rand(6, 5)), 1).numpy())


def test_nll_bad_target_raises():
    # a device-side assert, as PyTorch on a GPU: raised at the next synchronisation (here item())
    x = pe.zeros(3, 4, device="cuda")
    with pytest.raises(RuntimeError, match="device-side assert triggered: Target 7 is out of bounds"):
        F.nll_loss(x, pe.tensor([0, 7, 1], device="cuda")).item()
    assert F.nll_loss(x, pe.tensor([-100] * 3, device="cuda")).isnan().item()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_point_losses(reduction):
    x, y = rand(4, 7), rand(4, 7)
    check(lambda a, b: F.mse_loss(a, b, reduction=reduction), x, y)
    check(lambda a, b: F.l1_loss(a, b, reduction=reduction), x, y)
    check(lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=0.5), x, y)
    check(lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=0.7), x, y)
    p, q, w = rand(4, 7, low=0.05, high=0.95), rand(4, 7, low=0, high=1), rand(7, low=0.5, high=2)
    check(lambda a, b, c: F.binary_cross_entropy(a, b, weight=c, reduction=reduction), p, q, w)
    check(lambda a, b, c: F.binary_cross_entropy_with_logits(a, b, pos_weight=c, reduction=reduction), x, q, w)
    check(lambda a, b: F.mse_loss(a, b, reduction=reduction), rand(0, 3), rand(0, 3))


def test_bce_range_error():
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(pe.tensor([0.5, 1.5], device="cuda"), pe.tensor([0.0, 1.0], device="cuda")).item()


# ---- normalization, dropout ----

def test_batch_norm():
    x = rand(4, 3, 5, 2) + 3.0
    rm_c, rv_c = pe.zeros(3, dtype=pe.float64), pe.ones(3, dtype=pe.float64)
    rm_g, rv_g = rm_c.cuda(), rv_c.cuda()

    def bn(t, w, b):
        stats = (rm_g, rv_g) if t.device.type == "cuda" else (rm_c, rv_c)
        return F.batch_norm(t, *stats, w, b, training=True, momentum=0.3)

    check(bn, x, rand(3), rand(3))
    assert_same_as_cpu(rm_g, rm_c)
    assert_same_as_cpu(rv_g, rv_c)
    check(lambda t, w: F.batch_norm(t, rm_g if t.device.type == "cuda" else rm_c,
                                    rv_g if t.device.type == "cuda" else rv_c, w, training=False), x, rand(3))
    check(lambda t: F.batch_norm(t, None, None, training=True), rand(5, 4), dtype=pe.float32, rtol=1e-4, atol=1e-5)


def test_layer_norm():
    check(lambda t, w, b: F.layer_norm(t, (4, 3), w, b), rand(2, 5, 4, 3) * 10 + 5, rand(4, 3), rand(4, 3))
    check(lambda t: F.layer_norm(t, (300,)), rand(3, 300), dtype=pe.float32, rtol=1e-4, atol=1e-5)


def test_dropout_same_mask_as_cpu():
    x = rand(50, 41)
    pe.manual_seed(7)
    want = F.dropout(pe.tensor(x), p=0.3)
    pe.manual_seed(7)
    got = F.dropout(pe.tensor(x, device="cuda"), p=0.3)
    assert_same_as_cpu(got, want)
    t = pe.empty(6, 7, device="cuda")
    pe.manual_seed(3)
    t.bernoulli_(0.4)
    pe.manual_seed(3)
    assert_same_as_cpu(t, pe.empty(6, 7).bernoulli_(0.4))


# ---- a model and the optimizers ----

def small_net(device):
    pe.manual_seed(0)
    net = pe.nn.Sequential(
        pe.nn.Conv2d(1, 4, 3, padding=1), pe.nn.BatchNorm2d(4), pe.nn.ReLU(), pe.nn.MaxPool2d(2),
        pe.nn.Conv2d(4, 6, 3, groups=2), pe.nn.ReLU(), pe.nn.AdaptiveAvgPool2d((2, 2)), pe.nn.Flatten(),
        pe.nn.Linear(24, 10), pe.nn.LayerNorm(10), pe.nn.Linear(10, 3))
    return net.to(device)


def test_training_steps_match_cpu():
    x, y = rand(8, 1, 8, 8), RNG.integers(0, 3, 8)
    losses = {}
    nets = {}
    for dev in ("cpu", "cuda"):
        net = small_net(dev)
        opt = pe.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        xs, ys = pe.tensor(x, dtype=pe.float32, device=dev), pe.tensor(y, device=dev)
        losses[dev] = []
        for _ in range(3):
            opt.zero_grad()
            loss = F.cross_entropy(net(xs), ys)
            loss.backward()
            opt.step()
            losses[dev].append(loss.item())
        nets[dev] = net
    np.testing.assert_allclose(losses["cuda"], losses["cpu"], rtol=1e-4, atol=1e-5)
    for pc, pg in zip(nets["cpu"].parameters(), nets["cuda"].parameters()):
        assert pg.device.type == "cuda"
        assert_same_as_cpu(pg.detach(), pc.detach(), rtol=1e-4, atol=1e-5)


OPTIMIZERS = [
    lambda p: pe.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda p: pe.optim.SGD(p, lr=0.1, momentum=0.5, dampening=0.1),
    lambda p: pe.optim.Adam(p, lr=0.01, weight_decay=0.01, amsgrad=True),
    lambda p: pe.optim.AdamW(p, lr=0.01),
    lambda p: pe.optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    lambda p: pe.optim.Adagrad(p, lr=0.1),
]


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_optimizers_match_cpu(make):
    w0, x0 = rand(4, 3), rand(5, 4)
    params = {}
    for dev in ("cpu", "cuda"):
        w = pe.tensor(w0, device=dev, requires_grad=True)
        x = pe.tensor(x0, device=dev)
        opt = make([w])
        for _ in range(3):
            opt.zero_grad()
            ((x @ w) ** 2).sum().backward()
            opt.step()
        params[dev] = w
    assert params["cuda"].device.type == "cuda"
    assert_same_as_cpu(params["cuda"].detach(), params["cpu"].detach(), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("shape", [(4, 5), (5, 3), (2, 6, 4), (3, 3), (0, 2, 2)])
def test_lu_factor_rectangular_on_cuda(shape):
    """LU with partial pivoting of m x n matrices (min(m, n) pivots) gives the CPU's factors and pivots."""
    x = pe.tensor(np.random.default_rng(3).standard_normal(shape))
    lu_c, piv_c = pe.linalg.lu_factor(x)
    lu_g, piv_g = pe.linalg.lu_factor(x.cuda())
    assert lu_g.device.type == "cuda"
    np.testing.assert_array_equal(piv_g.cpu().numpy(), piv_c.numpy())
    np.testing.assert_allclose(lu_g.cpu().numpy(), lu_c.numpy(), rtol=1e-12, atol=1e-12)
