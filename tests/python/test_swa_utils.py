"""torch.optim.swa_utils on pyengine: averaged weights, EMA, BatchNorm statistics and SWALR's learning rates
against PyTorch on the same weights and data."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import pyengine


def _model(m):
    net = m.nn.Sequential(m.nn.Linear(3, 4), m.nn.BatchNorm1d(4), m.nn.ReLU(), m.nn.Linear(4, 2))
    rng = np.random.default_rng(0)
    with m.no_grad():
        for p in net.parameters():
            p.copy_(m.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    return net


def _train(m, avg_kind, use_buffers=False):
    net = _model(m)
    su = m.optim.swa_utils
    if avg_kind == "swa":
        avg = su.AveragedModel(net, use_buffers=use_buffers)
    elif avg_kind == "ema_multi":
        avg = su.AveragedModel(net, multi_avg_fn=su.get_ema_multi_avg_fn(0.9), use_buffers=use_buffers)
    else:
        avg = su.AveragedModel(net, avg_fn=su.get_ema_avg_fn(0.8))
    opt = m.optim.SGD(net.parameters(), lr=0.1)
    sched = su.SWALR(opt, swa_lr=0.05, anneal_epochs=3, anneal_strategy="cos")
    data = [m.tensor(np.random.default_rng(i).standard_normal((8, 3)).astype(np.float32)) for i in range(5)]
    lrs = []
    for x in data:
        opt.zero_grad()
        net(x).pow(2).mean().backward()
        opt.step()
        avg.update_parameters(net)
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    su.update_bn(data, avg)
    out = avg(data[0]).detach().numpy()
    state = {k: v.detach().numpy() for k, v in avg.state_dict().items()}
    return out, state, lrs


@pytest.mark.parametrize("kind,use_buffers", [("swa", False), ("swa", True), ("ema_multi", False),
                                               ("ema_multi", True), ("ema_single", False)])
def test_averaged_model_matches_pytorch(kind, use_buffers):
    out_p, state_p, lrs_p = _train(pyengine, kind, use_buffers)
    out_t, state_t, lrs_t = _train(torch, kind, use_buffers)
    assert list(state_p) == list(state_t)
    for k in state_t:
        np.testing.assert_allclose(state_p[k], state_t[k], rtol=1e-4, atol=1e-5, err_msg=k)
    np.testing.assert_allclose(out_p, out_t, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(lrs_p, lrs_t, rtol=1e-12)


@pytest.mark.parametrize("strategy,epochs", [("linear", 2), ("cos", 0), ("linear", 0)])
def test_swalr_schedules(strategy, epochs):
    seqs = []
    for m in (pyengine, torch):
        opt = m.optim.SGD([m.zeros(1, requires_grad=True)], lr=1.0)
        s = m.optim.swa_utils.SWALR(opt, swa_lr=[0.1], anneal_epochs=epochs, anneal_strategy=strategy)
        seq = []
        for _ in range(5):
            opt.step()
            s.step()
            seq.append(s.get_last_lr()[0])
        seqs.append(seq)
    np.testing.assert_allclose(seqs[0], seqs[1], rtol=1e-12)


def test_errors_as_pytorch():
    opt = pyengine.optim.SGD([pyengine.zeros(1, requires_grad=True)], lr=1.0)
    su = pyengine.optim.swa_utils
    with pytest.raises(ValueError, match="anneal_strategy must by one of 'cos' or 'linear'"):
        su.SWALR(opt, 0.1, anneal_strategy="exp")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
        su.SWALR(opt, 0.1, anneal_epochs=-1)
    with pytest.raises(ValueError, match="swa_lr must have the same length"):
        su.SWALR(opt, [0.1, 0.2])
    with pytest.raises(ValueError, match="Invalid decay value"):
        su.get_ema_multi_avg_fn(1.5)
