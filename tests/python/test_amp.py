"""torch.amp on pyengine (Note [Autocast] in csrc/autograd/autocast.h): autocast's cast policies and GradScaler's
scale/unscale/skip/update sequence, against PyTorch's CPU autocast and GradScaler('cpu') on the same data."""
from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import torch

import pyengine


def _both(shape, seed, dtype="float32"):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return pyengine.tensor(a), torch.tensor(a)


def _close(p, t, rtol=2e-2, atol=2e-2):
    assert str(p.dtype) == str(t.dtype), (p.dtype, t.dtype)
    np.testing.assert_allclose(p.detach().float().numpy(), t.detach().float().numpy(), rtol=rtol, atol=atol)


LOWER = {
    "linear": lambda m, x, w, b3: m.nn.functional.linear(x, w, w[0]),
    "matmul_op": lambda m, x, w, b3: x @ w.T,
    "matmul_batched": lambda m, x, w, b3: m.matmul(b3, w.T),
    "mm": lambda m, x, w, b3: m.mm(x, w.t()),
    "bmm": lambda m, x, w, b3: m.bmm(b3, b3.transpose(1, 2)),
    "addmm": lambda m, x, w, b3: m.addmm(w[0], x, w.t()),
    "baddbmm": lambda m, x, w, b3: m.baddbmm(b3[:, :, :1], b3, b3.transpose(1, 2)),
    "conv2d": lambda m, x, w, b3: m.nn.functional.conv2d(b3.reshape(1, 2, 3, 5), w.reshape(5, 1, 1, 5)[:, :, :, :2]
                                                         .reshape(5, 2, 1, 1), padding=1),
}


@pytest.mark.parametrize("name", list(LOWER))
def test_lower_precision_list(name):
    (xp, xt), (wp, wt), (bp, bt) = _both((4, 5), 0), _both((5, 5), 1), _both((2, 3, 5), 2)
    with pyengine.autocast("cpu"):
        got = LOWER[name](pyengine, xp, wp, bp)
    with torch.autocast("cpu"):
        ref = LOWER[name](torch, xt, wt, bt)
    _close(got, ref)
    assert got.dtype == pyengine.bfloat16


def test_float16_autocast_dtype_and_float64_untouched():
    (xp, xt), (wp, wt) = _both((4, 5), 0), _both((3, 5), 1)
    with pyengine.autocast("cpu", dtype=pyengine.float16):
        assert pyengine.get_autocast_dtype("cpu") == pyengine.float16
        _close(pyengine.nn.functional.linear(xp, wp), torch.nn.functional.linear(xt.half(), wt.half()))
        d = pyengine.mm(xp.double(), wp.double().t())
        assert d.dtype == pyengine.float64  # float64 is not autocast-eligible, as PyTorch
        assert pyengine.mm(xp.long(), wp.long().t()).dtype == pyengine.int64


def test_float32_list_losses_and_nesting():
    (xp, xt), (wp, wt) = _both((4, 5), 0), _both((3, 5), 1)
    target_p, target_t = pyengine.tensor([0, 2, 1, 0]), torch.tensor([0, 2, 1, 0])
    with pyengine.autocast("cpu"), warnings.catch_warnings():
        logits = pyengine.nn.functional.linear(xp, wp)
        loss = pyengine.nn.CrossEntropyLoss()(logits, target_p)
        mse = pyengine.nn.functional.mse_loss(logits, pyengine.zeros(4, 3))
        with pyengine.autocast("cpu", enabled=False):
            assert not pyengine.is_autocast_enabled("cpu")
            assert pyengine.nn.functional.linear(xp, wp).dtype == pyengine.float32
        assert pyengine.is_autocast_enabled("cpu")
    with torch.autocast("cpu"):
        logits_t = torch.nn.functional.linear(xt, wt)
        ref = torch.nn.CrossEntropyLoss()(logits_t, target_t)
        ref_mse = torch.nn.functional.mse_loss(logits_t, torch.zeros(4, 3))
    _close(loss, ref)
    _close(mse, ref_mse)
    assert not pyengine.is_autocast_enabled("cpu") and not pyengine.is_autocast_enabled()


def test_gradients_through_autocast_match_pytorch():
    (xp, xt), (wp, wt) = _both((6, 5), 0), _both((3, 5), 1)
    wp.requires_grad_(True)
    wt.requires_grad_(True)
    for m, x, w in ((pyengine, xp, wp), (torch, xt, wt)):
        with m.autocast("cpu"):
            out = m.nn.functional.linear(x, w).relu().sum(0)
            loss = m.nn.functional.mse_loss(out, m.ones(3))
        loss.backward()
    assert wp.grad.dtype == pyengine.float32
    _close(wp.grad, wt.grad, rtol=3e-2, atol=3e-2)


def test_decorator_and_errors():
    @pyengine.autocast("cpu")
    def f(a, b):
        return a @ b

    assert f(pyengine.ones(2, 2), pyengine.ones(2, 2)).dtype == pyengine.bfloat16
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        pyengine.autocast(pyengine.device("cpu"))
    with pytest.warns(UserWarning, match="CPU Autocast only supports dtypes"):
        a = pyengine.autocast("cpu", dtype=pyengine.float32)
    with a:
        assert not pyengine.is_autocast_enabled("cpu")


def test_custom_fwd_cast_inputs():
    class Square(pyengine.autograd.Function):
        @staticmethod
        @pyengine.amp.custom_fwd(device_type="cpu", cast_inputs=pyengine.float32)
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return (x * x, pyengine.is_autocast_enabled("cpu"))[0]

        @staticmethod
        @pyengine.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = pyengine.ones(3, dtype=pyengine.bfloat16, requires_grad=True)
    with pyengine.autocast("cpu"):
        y = Square.apply(x)
    assert y.dtype == pyengine.float32
    y.sum().backward()
    assert x.grad.dtype == pyengine.bfloat16


# ---- GradScaler ----
def _scaler_run(m, inject_inf_at, growth_interval=3, steps=8):
    m.manual_seed(0)
    w = m.tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)).requires_grad_(True)
    x = m.tensor(np.arange(12, dtype=np.float32).reshape(4, 3) / 10)
    opt = m.optim.SGD([w], lr=0.1, momentum=0.9)
    scaler = m.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=growth_interval)
    scales, returned = [], []
    for step in range(steps):
        opt.zero_grad()
        loss = (x @ w.T).pow(2).mean()
        if step in inject_inf_at:
            loss = loss * float("inf")
        scaler.scale(loss).backward()
        returned.append(scaler.step(opt) is None)
        scaler.update()
        scales.append(scaler.get_scale())
    return w.detach().numpy().copy(), scales, scaler.state_dict()


def test_grad_scaler_matches_pytorch():
    wp, sp, dp = _scaler_run(pyengine, {2, 5})
    wt, st, dt = _scaler_run(torch, {2, 5})
    assert sp == st
    assert dp == dt
    np.testing.assert_allclose(wp, wt, rtol=1e-5, atol=1e-6)


def test_grad_scaler_unscale_and_errors():
    w = pyengine.ones(3, requires_grad=True)
    opt = pyengine.optim.SGD([w], lr=1.0)
    scaler = pyengine.amp.GradScaler("cpu", init_scale=8.0)
    with pytest.raises(AssertionError, match="_scale is None"):
        scaler.unscale_(opt)
    scaler.scale((w * 2).sum()).backward()
    assert np.allclose(w.grad.numpy(), 16.0)
    scaler.unscale_(opt)
    assert np.allclose(w.grad.numpy(), 2.0)
    with pytest.raises(RuntimeError, match="already been called on this optimizer"):
        scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        scaler.step(opt, closure=lambda: 0)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match="unscale_\\(\\) is being called after step\\(\\)"):
        scaler.unscale_(opt)
    scaler.update()
    state = scaler.state_dict()
    other = pyengine.amp.GradScaler("cpu")
    other.load_state_dict(state)
    assert other.state_dict() == state
    assert pickle.loads(pickle.dumps(scaler)).get_scale() == scaler.get_scale()
    with pytest.raises(RuntimeError, match="source state dict is empty"):
        other.load_state_dict({})


def test_disabled_scaler_is_a_passthrough():
    w = pyengine.ones(2, requires_grad=True)
    opt = pyengine.optim.SGD([w], lr=1.0)
    scaler = pyengine.amp.GradScaler("cpu", enabled=False)
    loss = (w * 3).sum()
    assert scaler.scale(loss) is loss
    loss.backward()
    scaler.step(opt)
    scaler.update()
    assert np.allclose(w.detach().numpy(), -2.0) and scaler.get_scale() == 1.0 and scaler.state_dict() == {}


def test_cuda_amp_forms():
    with pytest.warns(FutureWarning):
        scaler = pyengine.cuda.amp.GradScaler()
    assert scaler.is_enabled() == pyengine.cuda.is_available()
    from pyengine.cuda.amp import autocast  # noqa: F401  (the import form scripts use)
    with pytest.warns(FutureWarning):
        with pyengine.cpu.amp.autocast():
            assert pyengine.is_autocast_enabled("cpu")
