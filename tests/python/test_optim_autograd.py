"""Optimizers driven by real gradients from the autograd core: a regression model written with core
differentiable ops (mm, add, mul, sum, mean) trained in pyengine and torch from the same weights follows
the same loss curve with every optimizer and scheduler; step() records nothing; zero_grad after backward."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import nn, optim

torch = pytest.importorskip("torch")


def _model(m, eng, w, b):
    class Regression(m.Module):
        def __init__(self):
            super().__init__()
            self.w = m.Parameter(eng.tensor(w))
            self.b = m.Parameter(eng.tensor(b))

        def forward(self, x):
            return x.mm(self.w.t()) + self.b
    return Regression()


def _curve(eng, m, opt_name, kw, steps, sched=None):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 5)).astype(np.float32)
    y = (x @ rng.standard_normal((5, 3)) + 0.5).astype(np.float32)
    model = _model(m, eng, rng.standard_normal((3, 5)).astype(np.float32) * 0.1, np.zeros(3, np.float32))
    opt = getattr(eng.optim, opt_name)(model.parameters(), **kw)
    scheduler = sched(eng.optim.lr_scheduler, opt) if sched else None
    xt, yt = eng.tensor(x), eng.tensor(y)
    losses = []
    for _ in range(steps):
        diff = model(xt) - yt
        loss = (diff * diff).mean()
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()
    return np.array(losses)


@pytest.mark.parametrize("opt_name,kw,sched", [
    ("SGD", dict(lr=0.05), None),
    ("SGD", dict(lr=0.02, momentum=0.9, nesterov=True, weight_decay=1e-3), lambda s, o: s.StepLR(o, 20, 0.5)),
    ("Adam", dict(lr=0.05), lambda s, o: s.CosineAnnealingLR(o, 60)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.01), None),
    ("AdamW", dict(lr=0.05), lambda s, o: s.ExponentialLR(o, 0.98)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5), lambda s, o: s.MultiStepLR(o, [10, 30])),
    ("Adagrad", dict(lr=0.3, lr_decay=0.01), lambda s, o: s.LambdaLR(o, lambda e: 1 / (1 + 0.05 * e))),
])
def test_training_curve_matches_torch(opt_name, kw, sched):
    ours = _curve(pe, nn, opt_name, kw, 60, sched)
    theirs = _curve(torch, torch.nn, opt_name, kw, 60, sched)
    assert ours[-1] < 0.2 * ours[0]
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)


def test_step_records_nothing_and_params_stay_leaves():
    p = nn.Parameter(pe.ones(3))
    opt = optim.Adam([p], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    assert p.is_leaf and p.grad_fn is None and p.requires_grad
    assert all(getattr(v, "grad_fn", None) is None for v in opt.state[p].values())
    assert p.grad.tolist() == [2.0, 2.0, 2.0]
    opt.zero_grad()
    assert p.grad is None


def test_gradient_accumulation_and_clipping():
    p = nn.Parameter(pe.ones(4))
    for _ in range(3):
        (p * 2).sum().backward()          # gradients add up until zero_grad
    assert p.grad.tolist() == [6.0] * 4
    total = nn.utils.clip_grad_norm_([p], 1.0)
    assert total.item() == pytest.approx(12.0)
    assert np.sqrt((p.grad.numpy() ** 2).sum()) == pytest.approx(1.0, rel=1e-5)
    nn.Module.zero_grad(nn.ParameterList([p]), set_to_none=False)
    assert p.grad.tolist() == [0.0] * 4


def test_closure_runs_with_grad_enabled():
    p = nn.Parameter(pe.tensor([3.0]))
    opt = optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss
    for _ in range(3):
        loss = opt.step(closure)
    assert loss.item() == pytest.approx((3.0 * 0.8 ** 2) ** 2, rel=1e-5)
    assert p.item() == pytest.approx(3.0 * 0.8 ** 3, rel=1e-5)
