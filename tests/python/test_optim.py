"""Optimizers: every update compared step by step with a float64 numpy reference of PyTorch's formulas (several
steps, gradients assigned by hand), per-group options, state_dict round trips that continue exactly (momentum
buffers included), errors, and a cross-check with torch.optim on the same gradients."""
import math
import re

import numpy as np
import pytest

import pyengine as pe
from pyengine import nn, optim

SHAPES = [(3, 4), (5,)]


def _grads(steps, seed=0):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(s) for s in SHAPES] for _ in range(steps)]


def _init_params(seed=1):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in SHAPES]


# ---- float64 references of PyTorch's single-tensor algorithms ----

def ref_sgd(p, g, st, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
    g = -g if maximize else g
    if weight_decay:
        g = g + weight_decay * p
    if momentum:
        if "buf" not in st:
            st["buf"] = g.copy()
        else:
            st["buf"] = momentum * st["buf"] + (1 - dampening) * g
        g = g + momentum * st["buf"] if nesterov else st["buf"]
    return p - lr * g


def ref_adam(p, g, st, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False,
             decoupled=False):
    b1, b2 = betas
    g = -g if maximize else g
    st.setdefault("m", np.zeros_like(p))
    st.setdefault("v", np.zeros_like(p))
    st.setdefault("vmax", np.zeros_like(p))
    st["t"] = st.get("t", 0) + 1
    if weight_decay:
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
    st["m"] = st["m"] + (1 - b1) * (g - st["m"])
    st["v"] = b2 * st["v"] + (1 - b2) * g * g
    bc1, bc2 = 1 - b1 ** st["t"], 1 - b2 ** st["t"]
    v = st["v"]
    if amsgrad:
        st["vmax"] = np.maximum(st["vmax"], st["v"])
        v = st["vmax"]
    denom = np.sqrt(v) / math.sqrt(bc2) + eps
    return p - (lr / bc1) * st["m"] / denom


def ref_rmsprop(p, g, st, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                maximize=False):
    g = -g if maximize else g
    if weight_decay:
        g = g + weight_decay * p
    st["sq"] = alpha * st.get("sq", np.zeros_like(p)) + (1 - alpha) * g * g
    if centered:
        st["ga"] = st.get("ga", np.zeros_like(p)) + (1 - alpha) * (g - st.get("ga", np.zeros_like(p)))
        avg = np.sqrt(st["sq"] - st["ga"] ** 2) + eps
    else:
        avg = np.sqrt(st["sq"]) + eps
    if momentum > 0:
        st["buf"] = momentum * st.get("buf", np.zeros_like(p)) + g / avg
        return p - lr * st["buf"]
    return p - lr * g / avg


def ref_adagrad(p, g, st, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                maximize=False):
    g = -g if maximize else g
    st["t"] = st.get("t", 0) + 1
    if weight_decay:
        g = g + weight_decay * p
    clr = lr / (1 + (st["t"] - 1) * lr_decay)
    st["sum"] = st.get("sum", np.full_like(p, initial_accumulator_value)) + g * g
    return p - clr * g / (np.sqrt(st["sum"]) + eps)


CASES = [
    ("SGD", optim.SGD, ref_sgd, dict(lr=0.1)),
    ("SGD momentum", optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.9)),
    ("SGD dampening wd", optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    ("SGD nesterov maximize", optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.9, nesterov=True, maximize=True)),
    ("SGD default lr", optim.SGD, ref_sgd, dict()),
    ("Adam", optim.Adam, ref_adam, dict(lr=0.01)),
    ("Adam wd amsgrad", optim.Adam, ref_adam, dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
    ("Adam maximize eps", optim.Adam, ref_adam, dict(lr=0.02, eps=1e-3, maximize=True)),
    ("AdamW", optim.AdamW, lambda p, g, st, **kw: ref_adam(p, g, st, decoupled=True, weight_decay=1e-2, **kw),
     dict(lr=0.01)),
    ("AdamW amsgrad", optim.AdamW, lambda p, g, st, **kw: ref_adam(p, g, st, decoupled=True, **kw),
     dict(lr=0.01, weight_decay=0.3, amsgrad=True)),
    ("RMSprop", optim.RMSprop, ref_rmsprop, dict()),
    ("RMSprop centered momentum wd", optim.RMSprop, ref_rmsprop,
     dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1)),
    ("RMSprop maximize", optim.RMSprop, ref_rmsprop, dict(lr=0.003, momentum=0.2, maximize=True)),
    ("Adagrad", optim.Adagrad, ref_adagrad, dict()),
    ("Adagrad decay wd init", optim.Adagrad, ref_adagrad,
     dict(lr=0.1, lr_decay=0.05, weight_decay=0.2, initial_accumulator_value=0.5, maximize=True)),
]


def _run(cls, kw, grads, dtype, params=None, opt=None):
    params = params or [nn.Parameter(pe.tensor(a, dtype=dtype)) for a in _init_params()]
    opt = opt or cls(params, **kw)
    history = []
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad = pe.tensor(g, dtype=dtype)
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return params, opt, history


@pytest.mark.parametrize("dtype", [pe.float64, pe.float32])
@pytest.mark.parametrize("name,cls,ref,kw", CASES, ids=[c[0] for c in CASES])
def test_matches_float64_reference(name, cls, ref, kw, dtype):
    grads = _grads(6)
    _, _, history = _run(cls, kw, grads, dtype)
    ps = _init_params()
    states = [{} for _ in ps]
    tol = dict(rtol=1e-12, atol=1e-13) if dtype == pe.float64 else dict(rtol=2e-5, atol=2e-6)
    for step, gs in enumerate(grads):
        ps = [ref(p, g, st, **kw) for p, g, st in zip(ps, gs, states)]
        for got, want in zip(history[step], ps):
            np.testing.assert_allclose(got, want, err_msg=f"step {step + 1}", **tol)


@pytest.mark.parametrize("name,cls,ref,kw", CASES, ids=[c[0] for c in CASES])
def test_state_dict_round_trip_continues_exactly(name, cls, ref, kw):
    grads = _grads(6, seed=3)
    _, _, full = _run(cls, kw, grads, pe.float64)
    params, opt, _ = _run(cls, kw, grads[:3], pe.float64)
    sd = opt.state_dict()
    # a fresh optimizer over copies of the parameters, loaded from the state dict, continues identically
    params2 = [nn.Parameter(p.detach().clone()) for p in params]
    opt2 = cls(params2, **kw)
    opt2.load_state_dict(sd)
    assert opt2.state_dict()["param_groups"] == sd["param_groups"]
    _, _, rest = _run(cls, kw, grads[3:], pe.float64, params=params2, opt=opt2)
    for a, b in zip(full[3:], rest):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


def test_state_dict_format():
    p1, p2 = nn.Parameter(pe.ones(2)), nn.Parameter(pe.ones(3))
    opt = optim.SGD([{"params": [p1]}, {"params": [p2], "lr": 0.5}], lr=0.1, momentum=0.9)
    p1.grad = pe.ones(2)
    opt.step()
    sd = opt.state_dict()
    assert list(sd["state"]) == [0]
    assert sd["state"][0]["momentum_buffer"].tolist() == [1.0, 1.0]
    assert sd["param_groups"] == [
        {"lr": 0.1, "momentum": 0.9, "dampening": 0, "weight_decay": 0, "nesterov": False, "maximize": False,
         "foreach": None, "differentiable": False, "fused": None, "params": [0]},
        {"lr": 0.5, "momentum": 0.9, "dampening": 0, "weight_decay": 0, "nesterov": False, "maximize": False,
         "foreach": None, "differentiable": False, "fused": None, "params": [1]}]
    adam = optim.Adam([p1])
    p1.grad = pe.ones(2)
    adam.step()
    st = adam.state_dict()["state"][0]
    assert list(st) == ["step", "exp_avg", "exp_avg_sq"] and st["step"].dtype == pe.float32 and st["step"].dim() == 0


def test_param_groups_own_options_and_add_param_group():
    a, b, c = (nn.Parameter(pe.zeros(2)) for _ in range(3))
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 1.0, "momentum": 0.5}], lr=0.1)
    assert opt.param_groups[1]["momentum"] == 0.5 and opt.param_groups[0]["momentum"] == 0
    for p in (a, b):
        p.grad = pe.ones(2)
    opt.step()
    assert a.tolist() == pytest.approx([-0.1, -0.1]) and b.tolist() == [-1.0, -1.0]
    opt.add_param_group({"params": [c], "lr": 2.0})
    c.grad = pe.ones(2)
    opt.step()
    assert c.tolist() == [-2.0, -2.0] and opt.param_groups[2]["dampening"] == 0
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(TypeError, match="param_group must be a dict, but got <class 'list'>"):
        opt.add_param_group([a])


def test_params_without_grad_are_skipped():
    a, b = nn.Parameter(pe.ones(2)), nn.Parameter(pe.ones(2))
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = pe.ones(2)
    opt.step()
    assert b.tolist() == [1.0, 1.0] and len(opt.state) == 1 and a.tolist()[0] < 1.0


def test_zero_grad():
    a = nn.Parameter(pe.ones(2))
    opt = optim.SGD([a], lr=0.1)
    a.grad = pe.ones(2)
    opt.zero_grad(set_to_none=False)
    assert a.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert a.grad is None


def test_constructor_errors():
    p = [nn.Parameter(pe.ones(1))]
    cases = [
        (lambda: optim.SGD(p, lr=-1), ValueError, "Invalid learning rate: -1"),
        (lambda: optim.SGD(p, momentum=-0.1), ValueError, "Invalid momentum value: -0.1"),
        (lambda: optim.SGD(p, weight_decay=-1), ValueError, "Invalid weight_decay value: -1"),
        (lambda: optim.SGD(p, nesterov=True), ValueError, "Nesterov momentum requires a momentum and zero dampening"),
        (lambda: optim.Adam(p, betas=(1.0, 0.9)), ValueError, "Invalid beta parameter at index 0: 1.0"),
        (lambda: optim.Adam(p, betas=(0.9, -0.1)), ValueError, "Invalid beta parameter at index 1: -0.1"),
        (lambda: optim.Adam(p, eps=-1.0), ValueError, "Invalid epsilon value: -1.0"),
        (lambda: optim.RMSprop(p, alpha=-1), ValueError, "Invalid alpha value: -1"),
        (lambda: optim.Adagrad(p, lr_decay=-1), ValueError, "Invalid lr_decay value: -1"),
        (lambda: optim.Adagrad(p, initial_accumulator_value=-1), ValueError,
         "Invalid initial_accumulator_value value: -1"),
        (lambda: optim.SGD([], lr=0.1), ValueError, "optimizer got an empty parameter list"),
        (lambda: optim.Adam(p, differentiable=True), NotImplementedError, "differentiable=True"),
        (lambda: optim.SGD(pe.ones(2), lr=0.1), TypeError,
         "params argument given to the optimizer should be an iterable of Tensors or dicts, but got "
         "torch.FloatTensor"),
        (lambda: optim.SGD([1.0], lr=0.1), TypeError, "optimizer can only optimize Tensors, but one of the params is "
                                                      "float"),
        (lambda: optim.SGD(p, lr=0.1).add_param_group({"params": {nn.Parameter(pe.ones(1))}}), TypeError,
         "optimizer parameters need to be organized in ordered collections"),
    ]
    for fn, exc, msg in cases:
        with pytest.raises(exc, match=re.escape(msg)):
            fn()


def test_load_state_dict_errors():
    a = nn.Parameter(pe.ones(2))
    opt = optim.SGD([a], lr=0.1)
    other = optim.SGD([nn.Parameter(pe.ones(2)), nn.Parameter(pe.ones(2))], lr=0.1)
    with pytest.raises(ValueError, match="loaded state dict contains a parameter group that doesn't match the size "
                                         "of optimizer's group"):
        opt.load_state_dict(other.state_dict())
    two = optim.SGD([{"params": [nn.Parameter(pe.ones(1))]}, {"params": [nn.Parameter(pe.ones(1))]}], lr=0.1)
    with pytest.raises(ValueError, match="loaded state dict has a different number of parameter groups"):
        opt.load_state_dict(two.state_dict())


def test_load_state_dict_casts_to_param_dtype():
    a = nn.Parameter(pe.ones(2))
    opt = optim.Adam([a], lr=0.1)
    a.grad = pe.ones(2)
    opt.step()
    b = nn.Parameter(pe.ones(2, dtype=pe.float64))
    opt2 = optim.Adam([b], lr=0.1)
    opt2.load_state_dict(opt.state_dict())
    st = opt2.state[b]
    assert st["exp_avg"].dtype == pe.float64 and st["step"].dtype == pe.float32


def test_closure_and_hooks():
    a = nn.Parameter(pe.ones(1))
    opt = optim.SGD([a], lr=0.5)
    calls = []

    def closure():
        calls.append("closure")
        a.grad = pe.ones(1)
        return 3.0
    h1 = opt.register_step_pre_hook(lambda o, args, kw: calls.append("pre"))
    h2 = opt.register_step_post_hook(lambda o, args, kw: calls.append("post"))
    assert opt.step(closure) == 3.0
    assert calls == ["pre", "closure", "post"] and a.tolist() == [0.5]
    h1.remove()
    h2.remove()
    calls.clear()
    opt.step(closure)
    assert calls == ["closure"]


def test_per_parameter_names():
    lin = nn.Linear(2, 1)
    opt = optim.SGD(lin.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]


def test_sgd_on_module_with_grads_then_linear_regression():
    """Linear regression trained with optim.SGD on analytically computed gradients (no autograd needed)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    w_true = np.array([[1.5, -2.0, 0.5]], np.float32)
    y = x @ w_true.T + 0.3
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(200):
        w, b = model.weight.detach().numpy(), model.bias.detach().numpy()
        err = x @ w.T + b - y                      # d(mean squared error)/d(pred) = 2 * err / N
        model.weight.grad = pe.tensor((2 * err.T @ x / len(x)).astype(np.float32))
        model.bias.grad = pe.tensor((2 * err.sum(0) / len(x)).astype(np.float32))
        opt.step()
        opt.zero_grad()
    np.testing.assert_allclose(model.weight.detach().numpy(), w_true, atol=1e-3)
    np.testing.assert_allclose(model.bias.detach().numpy(), [0.3], atol=1e-3)


@pytest.mark.parametrize("name,cls,ref,kw", CASES[::3], ids=[c[0] for c in CASES[::3]])
def test_checkpoint_through_save_load_continues_exactly(name, cls, ref, kw, tmp_path):
    grads = _grads(5, seed=11)
    _, _, full = _run(cls, kw, grads, pe.float32)
    params, opt, _ = _run(cls, kw, grads[:2], pe.float32)
    sched = optim.lr_scheduler.ExponentialLR(opt, 1.0)
    pe.save({"params": [p.detach() for p in params], "opt": opt.state_dict(), "sched": sched.state_dict()},
            tmp_path / "ck.pt")
    ck = pe.load(tmp_path / "ck.pt")
    params2 = [nn.Parameter(t) for t in ck["params"]]
    opt2 = cls(params2, **kw)
    optim.lr_scheduler.ExponentialLR(opt2, 1.0).load_state_dict(ck["sched"])
    opt2.load_state_dict(ck["opt"])
    _, _, rest = _run(cls, kw, grads[2:], pe.float32, params=params2, opt=opt2)
    for a, b in zip(full[2:], rest):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
