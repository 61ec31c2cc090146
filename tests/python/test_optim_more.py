"""The optimizers added for PyTorch parity (Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop, LBFGS, SparseAdam)
against torch.optim on the same gradients: several steps in float64 and float32 with each keyword argument,
state_dict layout and values key for key, round trips that continue exactly, torch state dicts loaded into
pyengine optimizers, and the errors (capturable on the CPU, differentiable, bad hyper-parameters, dense grads
for SparseAdam)."""
import re

import numpy as np
import pytest

import pyengine as pe
from pyengine import nn, optim

torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (5,), ()]

CASES = [
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1)),
    ("Adadelta", dict(maximize=True, foreach=False)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.95), eps=1e-3, weight_decay=0.05, foreach=None)),
    ("Adamax", dict(maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, betas=(0.85, 0.99), weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True, foreach=False)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.01, betas=(0.5, 0.8), weight_decay=0.1)),  # beta2 small: rectified from step 6 on
    ("RAdam", dict(lr=0.01, betas=(0.5, 0.8), weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=3, weight_decay=0.1)),
    ("ASGD", dict(lr=0.05, t0=0, maximize=True, foreach=False)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    ("Rprop", dict(maximize=True, foreach=None)),
]
IDS = [f"{n}-{i}" for i, (n, _) in enumerate(CASES)]


def _grads(steps, seed=0):
    rng = np.random.default_rng(seed)
    # some repeated signs and some flips, so Rprop's three branches all occur
    return [[rng.standard_normal(s) * (1 + (k % 3)) for s in SHAPES] for k in range(steps)]


def _init(seed=1):
    rng = np.random.default_rng(seed)
    return [np.asarray(rng.standard_normal(s)) for s in SHAPES]


def _run(engine, name, kw, grads, dtype, params=None, opt=None):
    if params is None:
        params = [engine.nn.Parameter(engine.tensor(a, dtype=dtype)) for a in _init()]
    if opt is None:
        opt = getattr(engine.optim, name)(params, **kw)
    history = []
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad = engine.tensor(g, dtype=dtype)
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return params, opt, history


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_matches_torch(name, kw, dtype):
    grads = _grads(8)
    _, ours, got = _run(pe, name, kw, grads, getattr(pe, dtype))
    _, theirs, want = _run(torch, name, kw, grads, getattr(torch, dtype))
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == "float64" else dict(rtol=1e-5, atol=1e-6)
    for step, (a, b) in enumerate(zip(got, want)):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, err_msg=f"step {step + 1}", **tol)
    # state_dict: same groups, same state keys in the same order, same values and dtypes
    sa, sb = ours.state_dict(), theirs.state_dict()
    assert sa["param_groups"] == sb["param_groups"]
    assert list(sa["state"]) == list(sb["state"])
    for i in sb["state"]:
        assert list(sa["state"][i]) == list(sb["state"][i])
        for k, v in sb["state"][i].items():
            assert str(sa["state"][i][k].dtype) == str(v.dtype), k
            assert tuple(sa["state"][i][k].shape) == tuple(v.shape), k
            np.testing.assert_allclose(sa["state"][i][k].numpy(), v.numpy(), err_msg=k, **tol)
    assert repr(ours) == repr(theirs)


def _round_trip(engine, name, kw, grads, split):
    """Steps, state_dict, a fresh optimizer over copies of the parameters loaded from it, more steps."""
    params, opt, _ = _run(engine, name, kw, grads[:split], engine.float64)
    sd = opt.state_dict()
    params2 = [engine.nn.Parameter(p.detach().clone()) for p in params]
    opt2 = getattr(engine.optim, name)(params2, **kw)
    opt2.load_state_dict(sd)
    assert opt2.state_dict()["param_groups"] == sd["param_groups"]
    loaded = {k: str(v.dtype) for k, v in opt2.state_dict()["state"][0].items()}
    return _run(engine, name, kw, grads[split:], engine.float64, params=params2, opt=opt2)[2], loaded


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_state_dict_round_trip_continues_as_torch(name, kw):
    """load_state_dict casts floating state to the parameter's dtype except 'step' (PyTorch's policy; NAdam's
    mu_product and ASGD's eta/mu become float64 here), so the continuation is compared with PyTorch's own."""
    grads = _grads(7, seed=3)
    got, got_dtypes = _round_trip(pe, name, kw, grads, 4)
    want, want_dtypes = _round_trip(torch, name, kw, grads, 4)
    assert got_dtypes == want_dtypes
    for a, b in zip(got, want):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-14)
    if name not in ("NAdam", "ASGD"):  # nothing is cast: the continuation is exact
        _, _, full = _run(pe, name, kw, grads, pe.float64)
        for a, b in zip(full[4:], got):
            for x, y in zip(a, b):
                np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("name,kw", CASES[::3], ids=IDS[::3])
def test_torch_state_dict_loads_and_continues(name, kw):
    """A checkpoint written by torch.optim continues in pyengine as it would in PyTorch."""
    grads = _grads(6, seed=5)
    tparams, topt, _ = _run(torch, name, kw, grads[:3], torch.float64)
    tsd = topt.state_dict()
    params = [nn.Parameter(pe.tensor(p.detach().numpy())) for p in tparams]
    opt = getattr(optim, name)(params, **kw)
    opt.load_state_dict({"state": {i: {k: pe.tensor(v.numpy()) for k, v in s.items()}
                                   for i, s in tsd["state"].items()},
                         "param_groups": tsd["param_groups"]})
    _, _, got = _run(pe, name, kw, grads[3:], pe.float64, params=params, opt=opt)
    tparams2 = [torch.nn.Parameter(p.detach().clone()) for p in tparams]
    topt2 = getattr(torch.optim, name)(tparams2, **kw)
    topt2.load_state_dict(tsd)  # the same load on the torch side (it casts state as ours does)
    _, _, want = _run(torch, name, kw, grads[3:], torch.float64, params=tparams2, opt=topt2)
    for a, b in zip(got, want):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-14)


def test_params_without_grad_are_skipped():
    a, b = nn.Parameter(pe.ones(2)), nn.Parameter(pe.ones(2))
    for name in ("Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop"):
        opt = getattr(optim, name)([a, b])
        a.grad = pe.ones(2)
        b.grad = None
        opt.step()
        assert list(opt.state_dict()["state"]) == [0], name
        assert b.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("name", ["Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop"])
def test_capturable_and_differentiable(name):
    p = nn.Parameter(pe.ones(2))
    tp = torch.nn.Parameter(torch.ones(2))
    opt = getattr(optim, name)([p], capturable=True)
    topt = getattr(torch.optim, name)([tp], capturable=True)
    p.grad, tp.grad = pe.ones(2), torch.ones(2)
    with pytest.raises(AssertionError) as ours:
        opt.step()
    with pytest.raises(AssertionError):
        topt.step()
    assert "If capturable=True" in str(ours.value) and "must be on supported devices" in str(ours.value)
    with pytest.raises(NotImplementedError, match="differentiable"):
        getattr(optim, name)([p], differentiable=True)


@pytest.mark.parametrize("name,kw,msg", [
    ("Adadelta", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("Adadelta", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("Adamax", dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    ("Adamax", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    ("NAdam", dict(momentum_decay=-1.0), "Invalid momentum_decay value: -1.0"),
    ("RAdam", dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    ("ASGD", dict(weight_decay=-1.0), "Invalid weight_decay value: -1.0"),
    ("Rprop", dict(etas=(1.5, 1.2)), "Invalid eta values: 1.5, 1.2"),
    ("SparseAdam", dict(lr=0.0), "Invalid learning rate: 0.0"),
    ("LBFGS", dict(lr=-0.5), "Invalid learning rate: -0.5"),
])
def test_bad_hyperparameters(name, kw, msg):
    with pytest.raises(ValueError, match=re.escape(msg)):
        getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(1))], **kw)
    with pytest.raises(ValueError, match=re.escape(msg)):
        getattr(optim, name)([nn.Parameter(pe.ones(1))], **kw)


def test_sparse_adam_dense_gradients():
    p = nn.Parameter(pe.ones(3))
    opt = optim.SparseAdam([p])
    assert opt.state_dict()["param_groups"] == torch.optim.SparseAdam(
        [torch.nn.Parameter(torch.ones(3))]).state_dict()["param_groups"]
    p.grad = pe.ones(3)
    with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients, please consider Adam"):
        opt.step()


# ---- LBFGS ----

def _rosenbrock_fit(engine, dtype, **kw):
    """Fits a (x, y) pair on the Rosenbrock function plus a small least-squares model: several LBFGS steps."""
    x = engine.nn.Parameter(engine.tensor([-1.5, 2.0], dtype=dtype))
    w = engine.nn.Parameter(engine.tensor([[0.3, -0.2, 0.1]], dtype=dtype))
    data = engine.tensor(np.linspace(-1, 1, 12).reshape(4, 3), dtype=dtype)
    target = engine.tensor([0.5, -0.1, 0.2, 0.7], dtype=dtype)
    opt = engine.optim.LBFGS([x, w], **kw)
    evals = []

    def closure():
        opt.zero_grad()
        loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2 + ((data @ w.t()).squeeze(1) - target).pow(2).sum()
        loss.backward()
        evals.append(loss.item())
        return loss
    losses = [opt.step(closure).item() for _ in range(4)]
    return x.detach().numpy(), w.detach().numpy(), losses, evals, opt


@pytest.mark.parametrize("kw", [dict(), dict(line_search_fn="strong_wolfe"),
                                dict(lr=0.5, max_iter=7, history_size=3, line_search_fn="strong_wolfe"),
                                dict(lr=0.1, max_iter=5, max_eval=6, tolerance_change=1e-5, history_size=2)],
                         ids=["plain", "wolfe", "wolfe-short-history", "plain-max-eval"])
def test_lbfgs_matches_torch(kw):
    ox, ow, olosses, oevals, oopt = _rosenbrock_fit(pe, pe.float64, **kw)
    tx, tw, tlosses, tevals, topt = _rosenbrock_fit(torch, torch.float64, **kw)
    # the same closure evaluations; the Rosenbrock valley amplifies last-bit differences of summation order
    # over dozens of evaluations, hence rtol 1e-5 rather than bitwise
    assert len(oevals) == len(tevals)
    np.testing.assert_allclose(oevals, tevals, rtol=1e-5)
    np.testing.assert_allclose(olosses, tlosses, rtol=1e-5)
    np.testing.assert_allclose(ox, tx, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(ow, tw, rtol=1e-5, atol=1e-8)
    so, st = oopt.state_dict(), topt.state_dict()
    assert so["param_groups"] == st["param_groups"]
    assert list(so["state"][0]) == list(st["state"][0])
    assert so["state"][0]["func_evals"] == st["state"][0]["func_evals"]
    assert so["state"][0]["n_iter"] == st["state"][0]["n_iter"]
    assert len(so["state"][0]["old_dirs"]) == len(st["state"][0]["old_dirs"])


def test_lbfgs_converges_float32():
    x, w, losses, _, _ = _rosenbrock_fit(pe, pe.float32, line_search_fn="strong_wolfe", max_iter=50)
    tx, tw, tlosses, _, _ = _rosenbrock_fit(torch, torch.float32, line_search_fn="strong_wolfe", max_iter=50)
    np.testing.assert_allclose(x, tx, rtol=1e-3, atol=1e-4)
    assert losses[-1] < losses[0]


def test_lbfgs_errors():
    a, b = nn.Parameter(pe.ones(2)), nn.Parameter(pe.ones(2))
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])
    opt = optim.LBFGS([a], line_search_fn="armijo")

    def closure():
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)
