"""The lr schedulers added for parity (MultiplicativeLR, ConstantLR, LinearLR, PolynomialLR, SequentialLR,
ChainedScheduler, CyclicLR, CosineAnnealingWarmRestarts, OneCycleLR): lr (and momentum/beta1) sequences equal
torch.optim.lr_scheduler's step by step, closed forms with an epoch, state_dict keys and values, resuming, errors."""
import re
import warnings

import pytest

import pyengine as pe
from pyengine.optim import lr_scheduler as S

torch = pytest.importorskip("torch")
TS = torch.optim.lr_scheduler


def _opt(engine, lrs=(0.1, 0.05), cls="SGD", **kw):
    params = [{"params": [engine.nn.Parameter(engine.ones(1))], "lr": lr} for lr in lrs]
    if cls == "SGD":
        kw.setdefault("momentum", 0.9)
    return getattr(engine.optim, cls)(params, lr=lrs[0], **kw)


SCHEDULES = [
    ("MultiplicativeLR", lambda m, o: m.MultiplicativeLR(o, lr_lambda=lambda e: 0.9)),
    ("MultiplicativeLR per group", lambda m, o: m.MultiplicativeLR(o, [lambda e: 0.9, lambda e: 1 - e / 50])),
    ("ConstantLR", lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=4)),
    ("ConstantLR default", lambda m, o: m.ConstantLR(o)),
    ("LinearLR", lambda m, o: m.LinearLR(o, start_factor=0.25, end_factor=0.75, total_iters=6)),
    ("LinearLR default", lambda m, o: m.LinearLR(o)),
    ("PolynomialLR", lambda m, o: m.PolynomialLR(o, total_iters=8, power=2.0)),
    ("PolynomialLR default", lambda m, o: m.PolynomialLR(o)),
    ("SequentialLR", lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=3), m.ExponentialLR(o, gamma=0.9)], milestones=[3])),
    ("SequentialLR three", lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, factor=0.5, total_iters=2), m.StepLR(o, 2, 0.5), m.CosineAnnealingLR(o, 4)],
        milestones=[2, 7])),
    ("ChainedScheduler", lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.1, total_iters=2), m.ExponentialLR(o, gamma=0.9)])),
    ("ChainedScheduler optimizer", lambda m, o: m.ChainedScheduler(
        [m.LinearLR(o, total_iters=4), m.MultiStepLR(o, [3, 6])], optimizer=o)),
    ("CyclicLR triangular", lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3)),
    ("CyclicLR triangular2", lambda m, o: m.CyclicLR(o, [0.01, 0.02], [0.1, 0.2], step_size_up=2,
                                                      step_size_down=3, mode="triangular2")),
    ("CyclicLR exp_range", lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=2, mode="exp_range", gamma=0.9,
                                                    base_momentum=0.7, max_momentum=0.95)),
    ("CyclicLR scale_fn", lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=2, scale_fn=lambda x: 0.5 ** x,
                                                   scale_mode="iterations", cycle_momentum=False)),
    ("CosineAnnealingWarmRestarts", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3)),
    ("CosineAnnealingWarmRestarts mult", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2,
                                                                                    eta_min=0.001)),
    ("OneCycleLR", lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=16)),
    ("OneCycleLR linear three-phase", lambda m, o: m.OneCycleLR(
        o, max_lr=[0.5, 0.2], epochs=4, steps_per_epoch=4, pct_start=0.25, anneal_strategy="linear",
        three_phase=True, div_factor=10.0, final_div_factor=100.0)),
]
IDS = [s[0] for s in SCHEDULES]


def _momentum(group):
    return group["betas"][0] if "betas" in group else group.get("momentum")


def _sequence(m, engine, make, n=15, epochs=None, cls="SGD"):
    opt = _opt(engine, cls=cls)
    sched = make(m, opt)
    out = [(sched.get_last_lr(), [_momentum(g) for g in opt.param_groups])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(n):
            opt.step()
            if epochs is None:
                sched.step()
            else:
                sched.step(epochs[i])
            out.append((sched.get_last_lr(), [_momentum(g) for g in opt.param_groups]))
    return out, [g["lr"] for g in opt.param_groups], sched


@pytest.mark.parametrize("name,make", SCHEDULES, ids=IDS)
def test_sequence_matches_torch(name, make):
    ours, our_lrs, _ = _sequence(S, pe, make)
    theirs, their_lrs, _ = _sequence(TS, torch, make)
    assert ours == theirs
    assert our_lrs == their_lrs


@pytest.mark.parametrize("name,make", [s for s in SCHEDULES if "Cyclic" in s[0] or "OneCycle" in s[0]],
                         ids=[s[0] for s in SCHEDULES if "Cyclic" in s[0] or "OneCycle" in s[0]])
def test_beta1_cycling_with_adam(name, make):
    ours, _, _ = _sequence(S, pe, make, cls="Adam")
    theirs, _, _ = _sequence(TS, torch, make, cls="Adam")
    assert ours == theirs


@pytest.mark.parametrize("name,make", [s for s in SCHEDULES if s[0].startswith(
    ("ConstantLR", "LinearLR", "PolynomialLR", "CosineAnnealingWarmRestarts"))])
def test_closed_form_with_epoch_matches_torch(name, make):
    epochs = [1, 2, 4, 4, 7, 3, 10, 11, 2.5] if "Warm" in name else [1, 2, 4, 4, 7, 3, 10, 11]
    ours, _, _ = _sequence(S, pe, make, n=len(epochs), epochs=epochs)
    theirs, _, _ = _sequence(TS, torch, make, n=len(epochs), epochs=epochs)
    assert ours == theirs


@pytest.mark.parametrize("name,make", SCHEDULES, ids=IDS)
def test_state_dict_matches_torch_and_resumes(name, make):
    _, _, ours = _sequence(S, pe, make, n=5)
    _, _, theirs = _sequence(TS, torch, make, n=5)
    a, b = ours.state_dict(), theirs.state_dict()
    assert sorted(a) == sorted(b)
    skip = {"lr_lambdas", "_scale_fn_custom", "_schedulers"}
    for k in b:
        if k not in skip:
            assert a[k] == b[k], k
    if "_schedulers" in b:
        for x, y in zip(a["_schedulers"], b["_schedulers"]):
            assert sorted(x) == sorted(y)
            for k in y:
                if k not in skip:
                    assert x[k] == y[k], k
    # a scheduler (and optimizer) rebuilt and loaded from the state dicts continues the same sequence
    opt = ours.optimizer
    opt2 = _opt(pe)
    sched2 = make(S, opt2)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(ours.state_dict())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(6):
            for o, s in ((opt, ours), (opt2, sched2)):
                o.step()
                s.step()
            assert ours.get_last_lr() == sched2.get_last_lr()


def test_errors_match_torch():
    cases = [
        (lambda m, o: m.ConstantLR(o, factor=1.5), ValueError, "Constant multiplicative factor expected"),
        (lambda m, o: m.LinearLR(o, start_factor=0), ValueError, "Starting multiplicative factor expected"),
        (lambda m, o: m.LinearLR(o, end_factor=2), ValueError, "Ending multiplicative factor expected"),
        (lambda m, o: m.MultiplicativeLR(o, 0.9), TypeError, "lr_lambda should be a function, but got float"),
        (lambda m, o: m.SequentialLR(o, [], []), ValueError, "expects at least one scheduler"),
        (lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2)], [3]), ValueError,
         "expects number of schedulers provided to be one more"),
        (lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2), m.ReduceLROnPlateau(o)], [3]), ValueError,
         "does not support `ReduceLROnPlateau`"),
        (lambda m, o: m.ChainedScheduler([]), ValueError, "expects at least one scheduler to be chained"),
        (lambda m, o: m.CyclicLR(o, 0.1, 1.0, mode="sawtooth"), ValueError, "mode is invalid and scale_fn is None"),
        (lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "Expected positive integer T_0"),
        (lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), ValueError,
         "Expected integer T_mult >= 1"),
        (lambda m, o: m.OneCycleLR(o, 1.0), ValueError, "You must define either total_steps OR"),
        (lambda m, o: m.OneCycleLR(o, 1.0, total_steps=10, pct_start=1), ValueError,
         "Expected float between 0 and 1 pct_start"),
        (lambda m, o: m.OneCycleLR(o, 1.0, total_steps=10, anneal_strategy="exp"), ValueError,
         "anneal_strategy must be one of 'cos' or 'linear'"),
        (lambda m, o: m.OneCycleLR(o, [1.0], total_steps=10), ValueError,
         "max_lr must have the same length as optimizer.param_groups"),
    ]
    for make, exc, msg in cases:
        for m, engine in ((S, pe), (TS, torch)):
            with pytest.raises(exc, match=re.escape(msg)):
                make(m, _opt(engine))
    # cycle_momentum needs an optimizer with momentum or betas
    for m, engine in ((S, pe), (TS, torch)):
        opt = _opt(engine, cls="Adagrad")
        with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
            m.CyclicLR(opt, 0.01, 0.1)
    # OneCycleLR refuses to go past total_steps
    for m, engine in ((S, pe), (TS, torch)):
        opt = _opt(engine)
        sched = m.OneCycleLR(opt, 1.0, total_steps=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opt.step()
            sched.step()
            sched.step()
            with pytest.raises(ValueError, match="Tried to step 3 times. The specified number of total steps is 2"):
                sched.step()


def test_cyclic_exp_range_scheduler_pickles():
    import pickle
    opt = _opt(pe)
    sched = S.CyclicLR(opt, 0.01, 0.1, mode="exp_range", gamma=0.9)
    state = pickle.loads(pickle.dumps(sched.state_dict()))
    assert state["gamma"] == 0.9 and "_scale_fn_ref" not in state
