"""lr schedulers: the learning-rate sequence equals torch.optim.lr_scheduler's bit for bit (chainable form,
closed form when an epoch is passed, several param groups), state_dict contents and resumption, warnings
and errors. Without torch installed, the closed-form formulas are checked directly."""
import math
import re
import warnings

import pytest

import pyengine as pe
from pyengine import nn, optim
from pyengine.optim import lr_scheduler as S


def _opt(engine, lrs=(0.1, 0.05), cls="SGD"):
    if engine is pe:
        params = [{"params": [nn.Parameter(pe.ones(1))], "lr": lr} for lr in lrs]
        return getattr(optim, cls)(params, lr=lrs[0])
    torch = engine
    params = [{"params": [torch.nn.Parameter(torch.ones(1))], "lr": lr} for lr in lrs]
    return getattr(torch.optim, cls)(params, lr=lrs[0])


def _lambda_factory(m):
    return m.LambdaLR, dict(lr_lambda=[lambda e: 0.95 ** e, lambda e: 1.0 / (e + 1)])


SCHEDULES = [
    ("StepLR", lambda m, o: m.StepLR(o, step_size=3, gamma=0.5)),
    ("StepLR default gamma", lambda m, o: m.StepLR(o, 2)),
    ("MultiStepLR", lambda m, o: m.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3)),
    ("ExponentialLR", lambda m, o: m.ExponentialLR(o, gamma=0.9)),
    ("CosineAnnealingLR", lambda m, o: m.CosineAnnealingLR(o, T_max=5, eta_min=0.001)),
    ("CosineAnnealingLR long", lambda m, o: m.CosineAnnealingLR(o, T_max=3)),
    ("LambdaLR", lambda m, o: m.LambdaLR(o, lr_lambda=[lambda e: 0.95 ** e, lambda e: 1.0 / (e + 1)])),
    ("LambdaLR single", lambda m, o: m.LambdaLR(o, lambda e: e // 3 + 0.5)),
]


def _sequence(m, engine, make, n=14, epochs=None):
    opt = _opt(engine)
    sched = make(m, opt)
    out = [sched.get_last_lr()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(n):
            opt.step()
            if epochs is None:
                sched.step()
            else:
                sched.step(epochs[i])
            out.append(sched.get_last_lr())
    return out, [g["lr"] for g in opt.param_groups]


@pytest.mark.parametrize("name,make", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_sequence_matches_torch(name, make):
    torch = pytest.importorskip("torch")
    ours = _sequence(S, pe, make)
    theirs = _sequence(torch.optim.lr_scheduler, torch, make)
    assert ours == theirs


@pytest.mark.parametrize("name,make", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_closed_form_with_epoch_matches_torch(name, make):
    torch = pytest.importorskip("torch")
    epochs = [1, 2, 4, 4, 7, 3, 10, 11]
    ours = _sequence(S, pe, make, n=len(epochs), epochs=epochs)
    theirs = _sequence(torch.optim.lr_scheduler, torch, make, n=len(epochs), epochs=epochs)
    assert ours == theirs


def test_closed_forms_without_torch():
    lrs, _ = _sequence(S, pe, lambda m, o: m.StepLR(o, step_size=3, gamma=0.5), n=7)
    assert [x[0] for x in lrs] == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025])
    lrs, _ = _sequence(S, pe, lambda m, o: m.CosineAnnealingLR(o, T_max=4), n=4)
    assert [x[0] for x in lrs] == pytest.approx([0.1 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)],
                                                abs=1e-12)
    lrs, _ = _sequence(S, pe, lambda m, o: m.MultiStepLR(o, [2, 4]), n=5)
    assert [x[1] for x in lrs] == pytest.approx([0.05, 0.05, 0.005, 0.005, 0.0005, 0.0005])


def test_state_dict_keys_match_torch_and_resume():
    torch = pytest.importorskip("torch")
    for name, make in SCHEDULES:
        o1, o2 = _opt(pe), _opt(torch)
        s1, s2 = make(S, o1), make(torch.optim.lr_scheduler, o2)
        for _ in range(4):
            o1.step()
            o2.step()
            s1.step()
            s2.step()
        a, b = s1.state_dict(), s2.state_dict()
        assert sorted(a) == sorted(b), name
        for k in b:
            if k != "lr_lambdas":
                assert a[k] == b[k], (name, k)
    # resuming: a new scheduler loaded from the state dict continues the same sequence
    opt = _opt(pe)
    sched = S.StepLR(opt, 2, gamma=0.5)
    for _ in range(3):
        opt.step()
        sched.step()
    sd = sched.state_dict()
    opt2 = _opt(pe)
    sched2 = S.StepLR(opt2, 2, gamma=0.5)     # PyTorch's order: scheduler, then the optimizer's state
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(sd)
    for _ in range(3):
        opt.step()
        opt2.step()
        sched.step()
        sched2.step()
        assert sched.get_last_lr() == sched2.get_last_lr()


def test_lambda_state_dict_saves_callable_objects_only():
    class Factor:
        def __init__(self):
            self.k = 0.5

        def __call__(self, e):
            return self.k ** e
    opt = _opt(pe)
    sched = S.LambdaLR(opt, [Factor(), lambda e: 1.0])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [{"k": 0.5}, None]
    sd["lr_lambdas"][0]["k"] = 0.25
    sched.load_state_dict(sd)
    assert sched.lr_lambdas[0].k == 0.25
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        S.LambdaLR(opt, [lambda e: 1.0])


def test_reduce_lr_on_plateau_matches_torch():
    torch = pytest.importorskip("torch")
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5, 0.6, 0.6, 0.6, 0.6]
    for kw in [dict(patience=1), dict(mode="max", factor=0.5, patience=0, cooldown=2),
               dict(threshold_mode="abs", threshold=0.05, patience=2, min_lr=[0.02, 0.001]),
               dict(patience=0, eps=0.04)]:
        runs = []
        for m, eng in ((S, pe), (torch.optim.lr_scheduler, torch)):
            opt = _opt(eng)
            sched = m.ReduceLROnPlateau(opt, **kw)
            seq = []
            for v in metrics:
                sched.step(v)
                seq.append(sched.get_last_lr())
            runs.append((seq, sched.num_bad_epochs, sched.best, sched.cooldown_counter, sched.last_epoch))
        assert runs[0] == runs[1], kw


def test_reduce_lr_on_plateau_errors_and_state():
    opt = _opt(pe)
    with pytest.raises(ValueError, match=re.escape("Factor should be < 1.0.")):
        S.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown!"):
        S.ReduceLROnPlateau(opt, mode="avg")
    with pytest.raises(ValueError, match="threshold mode x is unknown!"):
        S.ReduceLROnPlateau(opt, threshold_mode="x")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 1"):
        S.ReduceLROnPlateau(opt, min_lr=[0.1])
    sched = S.ReduceLROnPlateau(opt, patience=0)
    sched.step(pe.tensor(1.0))
    sched.step(2.0)
    assert sched.get_last_lr() == pytest.approx([0.01, 0.005])
    sd = sched.state_dict()
    s2 = S.ReduceLROnPlateau(_opt(pe))
    s2.load_state_dict(sd)
    assert s2.best == 1.0 and s2.patience == 0


def test_warnings_and_errors():
    opt = _opt(pe)
    sched = S.StepLR(opt, 2)
    with pytest.warns(UserWarning, match=re.escape("Detected call of `lr_scheduler.step()` before "
                                                   "`optimizer.step()`.")):
        sched.step()
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
        sched.step(3)
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        S.StepLR([], 2)
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups\\[0\\] when resuming"):
        S.StepLR(_opt(pe), 2, last_epoch=3)
    opt = _opt(pe)
    sched = S.ExponentialLR(opt, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()                 # the right order: no warning
    assert opt.param_groups[0]["initial_lr"] == 0.1 and sched.base_lrs == [0.1, 0.05]


def test_scheduler_drives_adam():
    p = nn.Parameter(pe.zeros(1))
    opt = optim.Adam([p], lr=1.0)
    sched = S.MultiStepLR(opt, milestones=[1], gamma=0.1)
    p.grad = pe.ones(1)
    opt.step()                      # Adam's first step moves by lr
    sched.step()
    opt.step()
    assert p.item() == pytest.approx(-1.1, rel=1e-5)
