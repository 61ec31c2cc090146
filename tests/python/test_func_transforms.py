"""torch.autograd.functional (vjp, jvp, jacobian, hessian, vhp, hvp), torch.func (vmap, grad, grad_and_value,
vjp, jvp, jacrev, jacfwd, hessian, functional_call) and torch.utils.checkpoint, each against PyTorch on the same
inputs: values, output structure (tensor vs tuple), create_graph, strict-mode errors and argument checks."""
import warnings

import numpy as np
import pytest

import pyengine as pe
from pyengine import nn

torch = pytest.importorskip("torch")


def _pair(a):
    a = np.asarray(a, dtype=np.float64)
    return pe.tensor(a), torch.tensor(a)


def _close(x, y, tol=1e-10):
    if isinstance(y, dict):
        assert isinstance(x, dict) and list(x) == list(y)
        for k in y:
            _close(x[k], y[k], tol)
        return
    if isinstance(y, (tuple, list)):
        assert isinstance(x, tuple) and len(x) == len(y), (type(x), len(y))
        for a, b in zip(x, y):
            _close(a, b, tol)
        return
    assert tuple(x.shape) == tuple(y.shape)
    np.testing.assert_allclose(x.detach().numpy(), y.detach().numpy(), rtol=tol, atol=tol)


rng = np.random.default_rng(0)
X = rng.standard_normal((3, 2))
Y = rng.standard_normal(2)


def f_single(e):
    return lambda x: (x.sin() * x).sum()


def f_multi(e):
    return lambda x, y: ((x * y).exp().sum(0), (x ** 3).sum() + y.tanh().sum())


def f_tensor_out(e):
    return lambda x: x.exp() * 2 + x.t().sum(0, keepdim=True).t()


# ---- torch.autograd.functional ----

@pytest.mark.parametrize("create_graph", [False, True])
def test_jacobian_structures(create_graph):
    (x, tx), (y, ty) = _pair(X), _pair(Y)
    for make, ins, tins in ((f_single, x, tx), (f_tensor_out, x, tx), (f_multi, (x, y), (tx, ty)),
                            (f_single, (x,), (tx,))):
        got = pe.autograd.functional.jacobian(make(pe), ins, create_graph=create_graph)
        want = torch.autograd.functional.jacobian(make(torch), tins, create_graph=create_graph)
        _close(got, want)
    got = pe.autograd.functional.jacobian(f_tensor_out(pe), x, vectorize=True)
    _close(got, torch.autograd.functional.jacobian(f_tensor_out(torch), tx, vectorize=True))
    got = pe.autograd.functional.jacobian(f_tensor_out(pe), x, vectorize=True, strategy="forward-mode")
    _close(got, torch.autograd.functional.jacobian(f_tensor_out(torch), tx, vectorize=True, strategy="forward-mode"))


def test_hessian_vhp_hvp_vjp_jvp_match_torch():
    (x, tx), (y, ty) = _pair(X), _pair(Y)
    F, TF = pe.autograd.functional, torch.autograd.functional

    def g(m):
        return lambda a, b: (a.sin() * b).sum() + (a ** 2).sum() * b.exp().sum()
    _close(F.hessian(g(pe), (x, y)), TF.hessian(g(torch), (tx, ty)))
    _close(F.hessian(f_single(pe), x), TF.hessian(f_single(torch), tx))
    (v, tv), (w, tw) = _pair(rng.standard_normal((3, 2))), _pair(rng.standard_normal(2))
    for name in ("vhp", "hvp"):
        _close(getattr(F, name)(g(pe), (x, y), (v, w)), getattr(TF, name)(g(torch), (tx, ty), (tv, tw)))
        _close(getattr(F, name)(f_single(pe), x, v), getattr(TF, name)(f_single(torch), tx, tv))
    _close(F.vjp(f_tensor_out(pe), x, v), TF.vjp(f_tensor_out(torch), tx, tv))
    _close(F.vjp(f_single(pe), x), TF.vjp(f_single(torch), tx))
    _close(F.vjp(f_multi(pe), (x, y), (w, pe.tensor(1.0, dtype=pe.float64))),
           TF.vjp(f_multi(torch), (tx, ty), (tw, torch.tensor(1.0, dtype=torch.float64))))
    _close(F.jvp(f_tensor_out(pe), x, v), TF.jvp(f_tensor_out(torch), tx, tv))
    _close(F.jvp(f_multi(pe), (x, y), (v, w)), TF.jvp(f_multi(torch), (tx, ty), (tv, tw)))
    # create_graph keeps the result differentiable
    out, h = F.hvp(f_single(pe), x.clone().requires_grad_(), v, create_graph=True)
    assert h.requires_grad
    out, h = F.hvp(f_single(pe), x, v)
    assert not h.requires_grad and not out.requires_grad


def test_functional_strict_and_errors():
    x, tx = _pair(X)
    F, TF = pe.autograd.functional, torch.autograd.functional
    for mod, t in ((F, x), (TF, tx)):
        with pytest.raises(RuntimeError, match="The output of the user-provided function is independent of input 1"):
            mod.vjp(lambda a, b: a.sum(), (t, t.clone()), strict=True)
        with pytest.raises(RuntimeError, match="Output 0 of the user-provided function does not require gradients"):
            mod.vjp(lambda a: a.detach().sum(), t, strict=True)
        with pytest.raises(RuntimeError, match="The vector v can only be None if the user-provided function returns"):
            mod.vjp(lambda a: a * 2, t)
        with pytest.raises(RuntimeError, match="v has invalid size: should be"):
            mod.vjp(lambda a: a * 2, t, t[0])
        with pytest.raises(TypeError, match="The inputs given to jacobian must be either a Tensor or a tuple"):
            mod.jacobian(lambda a: a, [t])
        with pytest.raises(RuntimeError, match="The function given to hessian should return a single Tensor"):
            mod.hessian(lambda a: (a.sum(), a.sum()), t)
        with pytest.raises(RuntimeError, match="should contain a single element"):
            mod.hessian(lambda a: a * 2, t)
        with pytest.raises(NotImplementedError, match="only implemented for `vectorize=True`"):
            mod.jacobian(lambda a: a, t, strategy="forward-mode")
        # an unused input gets zeros when not strict
        res = mod.jacobian(lambda a, b: a * 2, (t, t[0]))
        assert float(res[1].abs().sum()) == 0.0


# ---- torch.func ----

def test_vmap_matches_torch():
    (x, tx), (y, ty) = _pair(rng.standard_normal((4, 3))), _pair(rng.standard_normal((3, 4)))
    cases = [
        (lambda m: m.vmap(lambda a: a.sin().sum()), (x,), (tx,)),
        (lambda m: m.vmap(lambda a, b: a * b, in_dims=(0, 1)), (x, y), (tx, ty)),
        (lambda m: m.vmap(lambda a, b: a @ b, in_dims=(0, None)), (x, y), (tx, ty)),
        (lambda m: m.vmap(lambda a: (a.exp(), a.sum()), out_dims=(1, 0)), (x,), (tx,)),
        (lambda m: m.vmap(m.vmap(lambda a: a * 2.0)), (x,), (tx,)),
        (lambda m: m.vmap(lambda a: a.outer(a), in_dims=1, chunk_size=2), (x,), (tx,)),
        (lambda m: m.vmap(lambda d: d["a"] + d["b"], in_dims=({"a": 0, "b": None},)),
         ({"a": x, "b": y[:, 0]},), ({"a": tx, "b": ty[:, 0]},)),
    ]
    for make, args, targs in cases:
        got = make(pe)(*args)
        want = make(torch.func)(*targs)
        _close(got, want)
    assert pe.vmap is pe.func.vmap


def test_vmap_errors_and_randomness():
    x, tx = _pair(rng.standard_normal((4, 3)))
    for m, t in ((pe, x), (torch, tx)):
        with pytest.raises(ValueError, match="Expected all tensors to have the same size in the mapped dimension"):
            m.vmap(lambda a, b: a + b)(t, t[:2])
        with pytest.raises(ValueError, match="Expected at least one Tensor to vmap over"):
            m.vmap(lambda a: a, in_dims=(None,))(t)
        with pytest.raises(RuntimeError, match="Only allowed values for randomness are"):
            m.vmap(lambda a: a, randomness="sometimes")
        with pytest.raises(RuntimeError, match="vmap: called random operation while in randomness error mode"):
            m.vmap(lambda a: a + m.rand(3))(t)
        with pytest.raises(ValueError, match="vmap: chunk_size should be None or greater than 0"):
            m.vmap(lambda a: a, chunk_size=0)
    same = pe.vmap(lambda a: a * 0 + pe.rand(3), randomness="same")(x)
    assert pe.equal(same[0], same[1]) and pe.equal(same[0], same[3])
    diff = pe.vmap(lambda a: a * 0 + pe.rand(3), randomness="different")(x)
    assert not pe.equal(diff[0], diff[1])


def test_grad_family_matches_torch():
    (x, tx), (y, ty) = _pair(X), _pair(Y)
    TFn = torch.func

    def f(m):
        return lambda a, b: (a.sin() * b).sum() + (a ** 3).sum()
    _close(pe.func.grad(f(pe))(x, y), TFn.grad(f(torch))(tx, ty))
    _close(pe.func.grad(f(pe), argnums=(0, 1))(x, y), TFn.grad(f(torch), argnums=(0, 1))(tx, ty))
    g, v = pe.func.grad_and_value(f(pe), argnums=1)(x, y)
    tg, tv = TFn.grad_and_value(f(torch), argnums=1)(tx, ty)
    _close((g, v), (tg, tv))
    g, aux = pe.func.grad(lambda a: ((a ** 2).sum(), a.mean()), has_aux=True)(x)
    tg, taux = TFn.grad(lambda a: ((a ** 2).sum(), a.mean()), has_aux=True)(tx)
    _close((g, aux), (tg, taux))
    # composition: second derivatives
    _close(pe.func.grad(pe.func.grad(lambda s: s.sin() * s ** 2))(pe.tensor(0.7, dtype=pe.float64)),
           TFn.grad(TFn.grad(lambda s: s.sin() * s ** 2))(torch.tensor(0.7, dtype=torch.float64)))
    _close(pe.func.jacrev(f(pe), argnums=(0, 1))(x, y), TFn.jacrev(f(torch), argnums=(0, 1))(tx, ty))
    _close(pe.func.jacrev(f_tensor_out(pe))(x), TFn.jacrev(f_tensor_out(torch))(tx))
    _close(pe.func.jacfwd(f_tensor_out(pe))(x), TFn.jacfwd(f_tensor_out(torch))(tx))
    _close(pe.func.hessian(f(pe))(x, y), TFn.hessian(f(torch))(tx, ty))
    _close(pe.func.hessian(f(pe), argnums=1)(x, y), TFn.hessian(f(torch), argnums=1)(tx, ty))
    _close(pe.func.jacrev(pe.func.grad(f_single(pe)))(x), TFn.jacrev(TFn.grad(f_single(torch)))(tx))
    # per-sample gradients: vmap over grad
    w, tw = _pair(rng.standard_normal(2))

    def loss(m):
        return lambda wt, xi: ((xi * wt).sum() - 1.0) ** 2
    _close(pe.vmap(pe.func.grad(loss(pe)), in_dims=(None, 0))(w, x),
           torch.vmap(TFn.grad(loss(torch)), in_dims=(None, 0))(tw, tx))
    for m, t in ((pe, x), (torch, tx)):
        with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor"):
            m.func.grad(lambda a: a * 2)(t)


def test_func_vjp_jvp_match_torch():
    (x, tx), (v, tv) = _pair(X), _pair(rng.standard_normal((3, 2)))
    out, fn = pe.func.vjp(f_tensor_out(pe), x)
    tout, tfn = torch.func.vjp(f_tensor_out(torch), tx)
    _close(out, tout)
    _close(fn(v), tfn(tv))
    _close(pe.func.jvp(f_tensor_out(pe), (x,), (v,)), torch.func.jvp(f_tensor_out(torch), (tx,), (tv,)))
    with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
        pe.func.jvp(f_tensor_out(pe), x, (v,))


def test_functional_call_matches_torch():
    pe.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)).double()
    params = {k: pe.tensor(rng.standard_normal(tuple(v.shape))) for k, v in model.named_parameters()}
    tparams = {k: torch.tensor(v.numpy()) for k, v in params.items()}
    x, tx = _pair(rng.standard_normal((5, 3)))
    _close(pe.func.functional_call(model, params, (x,)), torch.func.functional_call(tmodel, tparams, (tx,)))
    assert model[0].weight.dtype == pe.float32  # the module's own parameters are back

    def loss(m, mod, p):
        return lambda prm, inp: m.func.functional_call(mod, prm, (inp,)).pow(2).sum()
    _close(pe.func.grad(loss(pe, model, params))(params, x), torch.func.grad(loss(torch, tmodel, tparams))(tparams, tx))
    with pytest.raises(RuntimeError, match="Missing key\\(s\\)"):
        pe.func.functional_call(model, {"0.weight": params["0.weight"]}, (x,), strict=True)


def test_checkpoint_recomputes_and_matches():
    from pyengine.utils.checkpoint import checkpoint, checkpoint_sequential
    pe.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Dropout(0.5), nn.Linear(8, 2))
    x = pe.randn(6, 3)
    calls = []
    hook = model[0].register_forward_hook(lambda *a: calls.append(1))
    pe.manual_seed(5)
    model(x).pow(2).sum().backward()
    ref = [p.grad.clone() for p in model.parameters()]
    for use_reentrant in (True, False):
        model.zero_grad()
        calls.clear()
        pe.manual_seed(5)
        xx = x.clone().requires_grad_(True)
        out = checkpoint(model, xx, use_reentrant=use_reentrant)
        assert len(calls) == 1  # forward once, without keeping activations
        out.pow(2).sum().backward()
        assert len(calls) == 2  # recomputed in backward
        for a, p in zip(ref, model.parameters()):
            assert pe.allclose(a, p.grad, atol=1e-6)  # same dropout masks (RNG state restored)
        assert xx.grad is not None and xx.grad.shape == x.shape
    hook.remove()
    # use_reentrant=False: inputs without requires_grad and keyword arguments
    model.zero_grad()
    out = checkpoint(lambda a, scale=1.0: model(a) * scale, x, scale=2.0, use_reentrant=False)
    out.sum().backward()
    assert model[0].weight.grad is not None
    # BatchNorm statistics move once per forward (and once more in the recomputation), as in PyTorch
    bn = nn.BatchNorm1d(3)
    checkpoint(bn, x, use_reentrant=False).sum().backward()
    assert int(bn.num_batches_tracked) == 2
    # nothing to differentiate: backward passes no gradient
    frozen = nn.Linear(3, 2).requires_grad_(False)
    checkpoint(frozen, x, use_reentrant=False).sum().backward()
    with pytest.raises(ValueError, match="Unexpected keyword arguments"):
        checkpoint(lambda a, scale: a, x, scale=2.0, use_reentrant=True)
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        checkpoint(model, x.clone().requires_grad_())
    out = checkpoint_sequential(model, 2, x.clone().requires_grad_(), use_reentrant=True)
    assert out.shape == (6, 2)
