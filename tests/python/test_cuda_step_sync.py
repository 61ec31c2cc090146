"""A CUDA training step waits for the device only where the user asks (loss.item()), and its optimizer step costs
O(1) launches per group chunk (Note [Runtime counters], Note [Multi-tensor optimizer step]):
pyengine.cuda._sync_count() / _launch_count() count host synchronisations and kernel launches. Also: the
multi-tensor (foreach / fused) SGD/Adam/AdamW steps give the single-tensor loop's exact bits, GradScaler with a
fused optimizer skips an overflowing step on the device, and nll_loss / binary_cross_entropy report bad input as
device-side asserts at the next synchronisation. Runs on a GPU or the emulated device; skips with "CUDA not
available" elsewhere."""
from __future__ import annotations

import math

import numpy as np
import pytest

import pyengine as pe
import pyengine.nn as nn
import pyengine.nn.functional as F
from pe_testing import cuda_required
from pyengine.examples.lenet import LeNet

pytestmark = cuda_required


def make_opt(kind: str, params):
    if kind == "sgd":
        return pe.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=1e-4, foreach=True)
    if kind == "adam":
        return pe.optim.Adam(params, lr=1e-3, weight_decay=1e-4, foreach=True)
    if kind == "adamw_fused":
        return pe.optim.AdamW(params, lr=1e-3, fused=True)
    if kind == "sgd_fused":
        return pe.optim.SGD(params, lr=0.01, momentum=0.9, nesterov=True, fused=True)
    raise ValueError(kind)


def lenet_setup(kind: str, amp: bool):
    pe.manual_seed(0)
    model = LeNet().to("cuda")
    x = pe.randn(4, 1, 32, 32, device="cuda")
    y = pe.randint(0, 10, (4,), device="cuda")
    opt = make_opt(kind, model.parameters())
    scaler = pe.amp.GradScaler("cuda") if amp else None

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        if scaler is None:
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        else:
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            scaler.step(opt)
            scaler.update()
        return loss

    return step


@pytest.mark.parametrize("kind,amp", [("sgd", False), ("adam", False), ("adamw_fused", True), ("sgd_fused", True)])
def test_lenet_step_does_not_synchronise(kind, amp):
    step = lenet_setup(kind, amp)
    step()  # the first step creates the optimizer state and the scaler's tensors
    before = pe.cuda._sync_count()
    step()
    assert pe.cuda._sync_count() == before, "a training step waited for the device"
    loss = step()
    assert pe.cuda._sync_count() == before
    assert math.isfinite(loss.item())
    assert pe.cuda._sync_count() == before + 1  # loss.item() is the one synchronisation


def test_counters_count():
    s, n = pe.cuda._sync_count(), pe.cuda._launch_count()
    t = pe.ones(5, device="cuda") * 2
    assert pe.cuda._launch_count() > n
    t.cpu()
    pe.cuda.synchronize()
    assert pe.cuda._sync_count() == s + 2


def _params(n: int, device="cuda"):
    g = pe.Generator().manual_seed(1)
    ps = [pe.randn(3 + i % 5, generator=g).to(device).requires_grad_() for i in range(n)]
    for p in ps:
        p.grad = pe.randn(p.shape, generator=g).to(device)
    return ps


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_foreach_step_launches_per_chunk_not_per_parameter(kind):
    n = 60
    opt = make_opt(kind, _params(n))
    opt.step()
    before = pe.cuda._launch_count()
    opt.step()
    launches = pe.cuda._launch_count() - before
    assert launches <= math.ceil(n / 24), launches  # one launch per table of 24 tensors
    loop = pe.optim.SGD(_params(n), lr=0.01, momentum=0.9, foreach=False) if kind == "sgd" else \
        pe.optim.Adam(_params(n), foreach=False)
    loop.step()
    before = pe.cuda._launch_count()
    loop.step()
    assert pe.cuda._launch_count() - before >= n  # the loop: launches per parameter


def _run(make, steps=3, shapes=((7, 3), (40000,), (1,), (0,), (5, 5)), extra=0):
    g = pe.Generator().manual_seed(3)
    ps = [pe.randn(s, generator=g).to("cuda").requires_grad_() for s in shapes]
    ps += [pe.randn(4, generator=g).to("cuda").requires_grad_() for _ in range(extra)]
    opt = make(ps)
    for _ in range(steps):
        for p in ps:
            p.grad = pe.randn(p.shape, generator=g).to("cuda")
        opt.step()
    return [p.detach().cpu().numpy() for p in ps], opt


SGD_CASES = [dict(lr=0.1), dict(lr=0.1, momentum=0.9), dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01),
             dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)]
ADAM_CASES = [dict(), dict(weight_decay=0.1, amsgrad=True), dict(maximize=True, betas=(0.8, 0.9), eps=1e-6)]


@pytest.mark.parametrize("cfg", SGD_CASES)
@pytest.mark.parametrize("mode", [dict(foreach=True), dict(fused=True)])
def test_multi_tensor_sgd_equals_loop(cfg, mode):
    want, _ = _run(lambda ps: pe.optim.SGD(ps, foreach=False, **cfg), extra=30)
    got, _ = _run(lambda ps: pe.optim.SGD(ps, **mode, **cfg), extra=30)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cls", [pe.optim.Adam, pe.optim.AdamW])
@pytest.mark.parametrize("cfg", ADAM_CASES)
@pytest.mark.parametrize("mode", [dict(foreach=True), dict(fused=True)])
def test_multi_tensor_adam_equals_loop(cls, cfg, mode):
    want, _ = _run(lambda ps: cls(ps, foreach=False, **cfg), extra=30)
    got, opt = _run(lambda ps: cls(ps, **mode, **cfg), extra=30)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    steps = [float(s["step"]) for s in opt.state.values()]
    assert steps == [3.0] * len(steps)
    if mode.get("fused"):
        assert all(s["step"].device.type == "cuda" for s in opt.state.values())


def test_fused_adam_splits_a_large_tensor_across_launches():
    # more chunks than one launch takes: the tensor continues in the next table, its step counted once
    shapes = ((192 * 16384 + 100,), (3,))
    want, _ = _run(lambda ps: pe.optim.Adam(ps, foreach=False), steps=2, shapes=shapes)
    got, opt = _run(lambda ps: pe.optim.Adam(ps, fused=True), steps=2, shapes=shapes)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    assert [float(s["step"]) for s in opt.state.values()] == [2.0, 2.0]


def test_fused_argument_errors():
    p = [pe.zeros(2, device="cuda", requires_grad=True)]
    with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together"):
        pe.optim.Adam(p, fused=True, foreach=True)
    with pytest.raises(RuntimeError, match="every tensor list must have"):
        pe._C._fused_sgd_(p, [], [], [], lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                          maximize=False)


def _amp_run(fused: bool):
    pe.manual_seed(0)
    model = nn.Linear(6, 3).to("cuda")
    opt = pe.optim.Adam(model.parameters(), lr=0.1, fused=fused, foreach=None if fused else False)
    scaler = pe.amp.GradScaler("cuda", init_scale=2.0 ** 10, growth_interval=2)
    x = pe.randn(5, 6, device="cuda")
    scales = []
    for i in range(5):
        opt.zero_grad()
        inp = x * float("inf") if i == 1 else x  # step 1 overflows: skipped, scale backed off
        scaler.scale(model(inp).square().mean()).backward()
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
    return [p.detach().cpu().numpy() for p in model.parameters()], scales, opt


def test_grad_scaler_fused_skips_on_device():
    want, want_scales, _ = _amp_run(False)
    got, scales, opt = _amp_run(True)
    assert scales == want_scales == [1024.0, 512.0, 512.0, 1024.0, 1024.0]
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)  # unscaled by division in the kernel
    assert [float(s["step"]) for s in opt.state.values()] == [4.0, 4.0]  # the skipped step is not counted


def test_nll_bad_target_is_a_device_assert():
    x = pe.zeros(3, 4, device="cuda")
    before = pe.cuda._sync_count()
    loss = F.nll_loss(x, pe.tensor([0, 7, 1], device="cuda"))
    assert pe.cuda._sync_count() == before  # no host read in the op
    with pytest.raises(RuntimeError, match="device-side assert triggered: Target 7 is out of bounds"):
        loss.item()
    assert F.nll_loss(x, pe.tensor([0, 3, 1], device="cuda")).item() == 0.0  # usable afterwards


def test_bce_range_is_a_device_assert():
    before = pe.cuda._sync_count()
    loss = F.binary_cross_entropy(pe.tensor([0.5, 1.5], device="cuda"), pe.tensor([0.0, 1.0], device="cuda"))
    assert pe.cuda._sync_count() == before
    with pytest.raises(RuntimeError, match="device-side assert triggered: all elements of input should be between 0 "
                                           "and 1"):
        pe.cuda.synchronize()
    del loss


@pytest.mark.parametrize("make", [lambda ps: pe.optim.SGD(ps, lr=0.1, momentum=0.9, foreach=True),
                                  lambda ps: pe.optim.Adam(ps, fused=True)])
def test_multi_tensor_step_marks_tensors_modified(make):
    # as the loop's in-place ops: a graph that saved the parameter refuses to backward through the old value
    p = pe.randn(3, device="cuda", requires_grad=True)
    y = (p * p).sum()
    p.grad = pe.ones(3, device="cuda")
    make([p]).step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


RMSPROP_CASES = [dict(), dict(momentum=0.9, weight_decay=0.01), dict(centered=True, alpha=0.9, eps=1e-6),
                 dict(centered=True, momentum=0.5, maximize=True)]
ADAGRAD_CASES = [dict(), dict(lr_decay=0.1, weight_decay=0.01), dict(initial_accumulator_value=0.5, maximize=True)]


@pytest.mark.parametrize("cls, cfg", [(pe.optim.RMSprop, c) for c in RMSPROP_CASES] +
                         [(pe.optim.Adagrad, c) for c in ADAGRAD_CASES])
def test_multi_tensor_rmsprop_adagrad_equal_loop_and_launch_per_chunk(cls, cfg):
    want, loop = _run(lambda ps: cls(ps, foreach=False, **cfg), extra=30)
    got, opt = _run(lambda ps: cls(ps, foreach=True, **cfg), extra=30)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    assert [float(s["step"]) for s in opt.state.values()] == [float(s["step"]) for s in loop.state.values()]
    for p in opt.state:
        p.grad = pe.ones_like(p)
    before = pe.cuda._launch_count()
    opt.step()
    assert pe.cuda._launch_count() - before <= math.ceil(35 / 24)  # 35 parameters: two tables, not 35 loops
