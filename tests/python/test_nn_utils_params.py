"""nn.utils.parametrize / parametrizations / weight_norm / spectral_norm / prune against PyTorch on the same weights."""
import warnings

import numpy as np
import pytest

import pyengine as pe
import pyengine.nn as pnn
from pyengine.nn.utils import parametrize as pparam
from pyengine.nn.utils import prune as pprune

torch = pytest.importorskip("torch")
tnn = torch.nn
from torch.nn.utils import parametrize as tparam  # noqa: E402
from torch.nn.utils import prune as tprune  # noqa: E402


def _np(t):
    return t.detach().cpu().numpy()


def _pair(cls_name, *args, **kw):
    """The same module in both libraries, with identical parameters."""
    t = getattr(tnn, cls_name)(*args, **kw).double()
    p = getattr(pnn, cls_name)(*args, **kw).double()
    p.load_state_dict({k: pe.tensor(v.numpy()) for k, v in t.state_dict().items()})
    return p, t


def _close(a, b, rtol=1e-7, atol=1e-9):
    np.testing.assert_allclose(_np(a), _np(b), rtol=rtol, atol=atol)


def _same_keys(p, t):
    assert list(p.state_dict().keys()) == list(t.state_dict().keys())


class _Sym(tnn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).mT

    def right_inverse(self, a):
        return a.triu()


class _PSym(pnn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).mT

    def right_inverse(self, a):
        return a.triu()


class _Scale(tnn.Module):
    def forward(self, x):
        return 2 * x

    def right_inverse(self, x):
        return x / 2


class _PScale(pnn.Module):
    def forward(self, x):
        return 2 * x

    def right_inverse(self, x):
        return x / 2


def test_register_parametrization_and_state_dict():
    p, t = _pair("Linear", 4, 4)
    tparam.register_parametrization(t, "weight", _Sym())
    pparam.register_parametrization(p, "weight", _PSym())
    _same_keys(p, t)
    assert type(p).__name__ == type(t).__name__ == "ParametrizedLinear"
    assert pparam.is_parametrized(p) and pparam.is_parametrized(p, "weight") and not pparam.is_parametrized(p, "bias")
    assert pparam.type_before_parametrizations(p) is pnn.Linear
    _close(p.weight, t.weight)
    _close(p.parametrizations.weight.original, t.parametrizations.weight.original)
    x = np.random.default_rng(0).normal(size=(3, 4))
    _close(p(pe.tensor(x)), t(torch.tensor(x)))
    # stacking a second parametrization, gradients flow to the original
    tparam.register_parametrization(t, "weight", _Scale())
    pparam.register_parametrization(p, "weight", _PScale())
    _same_keys(p, t)
    p(pe.tensor(x)).sum().backward()
    t(torch.tensor(x)).sum().backward()
    _close(p.parametrizations.weight.original.grad, t.parametrizations.weight.original.grad)
    # assignment goes through right_inverse
    w = np.random.default_rng(1).normal(size=(4, 4))
    w = w + w.T
    tw, pw = torch.tensor(w), pe.tensor(w)
    t.weight = tw
    p.weight = pw
    _close(p.parametrizations.weight.original, t.parametrizations.weight.original)
    # state_dict round trip between the libraries
    p2, t2 = _pair("Linear", 4, 4)
    pparam.register_parametrization(p2, "weight", _PSym())
    pparam.register_parametrization(p2, "weight", _PScale())
    p2.load_state_dict({k: pe.tensor(v.numpy()) for k, v in t.state_dict().items()})
    _close(p2.weight, t.weight)


def test_remove_parametrizations_and_cached():
    for leave in (True, False):
        p, t = _pair("Linear", 3, 3)
        pparam.register_parametrization(p, "weight", _PSym())
        tparam.register_parametrization(t, "weight", _Sym())
        with pparam.cached():
            assert p.weight is p.weight
        assert p.weight is not p.weight
        orig = p.parametrizations.weight.original
        pparam.remove_parametrizations(p, "weight", leave_parametrized=leave)
        tparam.remove_parametrizations(t, "weight", leave_parametrized=leave)
        assert type(p) is pnn.Linear and not hasattr(p, "parametrizations")
        assert p.weight is orig  # the Parameter object survives (optimizers keep it)
        _close(p.weight, t.weight)
        _same_keys(p, t)
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        pparam.remove_parametrizations(pnn.Linear(2, 2), "weight")
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element"):
        pparam.register_parametrization(pnn.Linear(2, 2), "nope", _PSym())


def test_shape_changing_parametrization_needs_unsafe():
    class Flat(pnn.Module):
        def forward(self, x):
            return x.reshape(-1)

    with pytest.raises(ValueError, match="may not change the shape"):
        pparam.register_parametrization(pnn.Linear(2, 2), "weight", Flat())
    m = pparam.register_parametrization(pnn.Linear(2, 2), "weight", Flat(), unsafe=True)
    assert tuple(m.weight.shape) == (4,)


@pytest.mark.parametrize("cls,args,dim", [("Linear", (5, 3), 0), ("Linear", (5, 3), 1), ("Linear", (5, 3), None),
                                          ("Conv2d", (2, 4, 3), 0)])
def test_parametrizations_weight_norm(cls, args, dim):
    p, t = _pair(cls, *args)
    tnn.utils.parametrizations.weight_norm(t, dim=dim)
    pnn.utils.parametrizations.weight_norm(p, dim=dim)
    _same_keys(p, t)
    for k, v in t.state_dict().items():
        _close(p.state_dict()[k], v)
    x = np.random.default_rng(0).normal(size=(2, 5) if cls == "Linear" else (2, 2, 6, 6))
    p(pe.tensor(x)).pow(2).sum().backward()
    t(torch.tensor(x)).pow(2).sum().backward()
    for (kp, vp), (kt, vt) in zip(p.named_parameters(), t.named_parameters()):
        assert kp == kt
        _close(vp.grad, vt.grad, rtol=1e-6)
    # old hook-form checkpoints (weight_g / weight_v) load into the parametrized module
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old = tnn.utils.weight_norm(getattr(tnn, cls)(*args).double(), dim=dim)
    p.load_state_dict({k: pe.tensor(v.detach().numpy()) for k, v in old.state_dict().items()})
    _close(p.weight, old.weight)


def test_parametrizations_spectral_norm():
    p, t = _pair("Linear", 6, 4)
    tnn.utils.parametrizations.spectral_norm(t)
    pnn.utils.parametrizations.spectral_norm(p)
    _same_keys(p, t)
    # same start vectors -> same power iterations and outputs
    with torch.no_grad():
        t.parametrizations.weight[0]._u.copy_(torch.tensor(_np(p.parametrizations.weight[0]._u)))
        t.parametrizations.weight[0]._v.copy_(torch.tensor(_np(p.parametrizations.weight[0]._v)))
    x = np.random.default_rng(0).normal(size=(3, 6))
    for _ in range(3):
        _close(p(pe.tensor(x)), t(torch.tensor(x)), rtol=1e-6)
    _close(p.parametrizations.weight[0]._u, t.parametrizations.weight[0]._u, rtol=1e-6)
    p.eval()
    t.eval()
    _close(p(pe.tensor(x)), t(torch.tensor(x)), rtol=1e-6)
    # (eval: reading p.weight runs no power iteration) the top singular value of the normalised weight is ~1
    s = np.linalg.svd(_np(p.weight), compute_uv=False)
    assert abs(s[0] - 1) < 2e-2
    pt = pnn.utils.parametrizations.spectral_norm(pnn.Conv2d(2, 3, 3))
    assert list(pt.state_dict().keys()) == list(tnn.utils.parametrizations.spectral_norm(
        tnn.Conv2d(2, 3, 3)).state_dict().keys())


def test_hook_weight_norm():
    p, t = _pair("Linear", 5, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tnn.utils.weight_norm(t)
        pnn.utils.weight_norm(p)
    _same_keys(p, t)
    _close(p.weight_g, t.weight_g)
    x = np.random.default_rng(0).normal(size=(2, 5))
    p(pe.tensor(x)).sum().backward()
    t(torch.tensor(x)).sum().backward()
    _close(p.weight_g.grad, t.weight_g.grad)
    _close(p.weight_v.grad, t.weight_v.grad)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pnn.utils.weight_norm(p)
    pnn.utils.remove_weight_norm(p)
    tnn.utils.remove_weight_norm(t)
    _same_keys(p, t)
    _close(p.weight, t.weight)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in"):
        pnn.utils.remove_weight_norm(p)


def test_hook_spectral_norm():
    p, t = _pair("Linear", 5, 4)
    tnn.utils.spectral_norm(t)
    pnn.utils.spectral_norm(p)
    _same_keys(p, t)
    with torch.no_grad():
        t.weight_u.copy_(torch.tensor(_np(p.weight_u)))
        t.weight_v.copy_(torch.tensor(_np(p.weight_v)))
    x = np.random.default_rng(0).normal(size=(3, 5))
    for _ in range(2):
        _close(p(pe.tensor(x)), t(torch.tensor(x)), rtol=1e-6)
    _close(p.weight_u, t.weight_u, rtol=1e-6)
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        pnn.utils.spectral_norm(p)
    pnn.utils.remove_spectral_norm(p)
    tnn.utils.remove_spectral_norm(t)
    _same_keys(p, t)
    _close(p.weight, t.weight, rtol=1e-6)


def test_prune_l1_ln_and_remove():
    p, t = _pair("Conv2d", 3, 4, 3)
    pprune.l1_unstructured(p, "weight", amount=0.3)
    tprune.l1_unstructured(t, "weight", amount=0.3)
    _same_keys(p, t)
    _close(p.weight_mask, t.weight_mask)
    _close(p.weight, t.weight)
    # iterative: structured pruning on top combines the masks
    pprune.ln_structured(p, "weight", amount=1, n=2, dim=0)
    tprune.ln_structured(t, "weight", amount=1, n=2, dim=0)
    _close(p.weight_mask, t.weight_mask)
    assert isinstance(p._forward_pre_hooks[next(iter(p._forward_pre_hooks))], pprune.PruningContainer)
    pprune.l1_unstructured(p, "bias", amount=2)
    tprune.l1_unstructured(t, "bias", amount=2)
    _same_keys(p, t)
    x = np.random.default_rng(0).normal(size=(1, 3, 5, 5))
    _close(p(pe.tensor(x)), t(torch.tensor(x)))
    assert pprune.is_pruned(p) and pprune.is_pruned(pnn.Sequential(p))
    # gradients reach weight_orig through the mask
    p(pe.tensor(x)).sum().backward()
    t(torch.tensor(x)).sum().backward()
    _close(p.weight_orig.grad, t.weight_orig.grad)
    pprune.remove(p, "weight")
    tprune.remove(t, "weight")
    _same_keys(p, t)
    _close(p.weight, t.weight)
    with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
        pprune.remove(p, "weight")


def test_prune_random_custom_global_identity():
    pe.manual_seed(0)
    m = pnn.Linear(10, 8)
    pprune.random_unstructured(m, "weight", amount=0.25)
    assert int((m.weight_mask == 0).sum()) == 20
    pprune.random_structured(m, "weight", amount=0.5, dim=0)
    rows_alive = (m.weight_mask.sum(1) > 0).sum()
    assert int(rows_alive) == 4
    m2 = pnn.Linear(3, 2)
    mask = pe.tensor([[1.0, 0, 1], [0, 1, 1]])
    pprune.custom_from_mask(m2, "weight", mask)
    assert bool((m2.weight == m2.weight_orig * mask).all())
    m3 = pnn.Linear(3, 2)
    pprune.identity(m3, "weight")
    assert bool((m3.weight_mask == 1).all())
    # global: the smallest 50% across both layers, as torch on the same weights
    pa, ta = _pair("Linear", 4, 3)
    pb, tb = _pair("Linear", 3, 2)
    pprune.global_unstructured([(pa, "weight"), (pb, "weight")], pruning_method=pprune.L1Unstructured, amount=0.5)
    tprune.global_unstructured([(ta, "weight"), (tb, "weight")], pruning_method=tprune.L1Unstructured, amount=0.5)
    _close(pa.weight_mask, ta.weight_mask)
    _close(pb.weight_mask, tb.weight_mask)
    _same_keys(pa, ta)
    with pytest.raises(ValueError, match="should either be a float in the range"):
        pprune.l1_unstructured(pnn.Linear(2, 2), "weight", amount=1.5)
    with pytest.raises(ValueError, match="should be smaller than the number of parameters to prune"):
        pprune.l1_unstructured(pnn.Linear(2, 2), "weight", amount=5)
    with pytest.raises(TypeError, match='Only "unstructured" PRUNING_TYPE'):
        pprune.global_unstructured([(pnn.Linear(2, 2), "weight")], pruning_method=pprune.RandomStructured,
                                   amount=1)


@pytest.mark.parametrize("shape,orth_map", [((4, 4), None), ((4, 4), "cayley"), ((4, 4), "householder"),
                                            ((5, 3), None), ((3, 5), None), ((5, 3), "matrix_exp"),
                                            ((3, 5), "cayley")])
def test_parametrizations_orthogonal(shape, orth_map):
    out_f, in_f = shape
    p, t = _pair("Linear", in_f, out_f)
    tnn.utils.parametrizations.orthogonal(t, orthogonal_map=orth_map)
    pnn.utils.parametrizations.orthogonal(p, orthogonal_map=orth_map)
    _same_keys(p, t)
    w = _np(p.weight)
    k = min(shape)
    gram = w @ w.T if out_f <= in_f else w.T @ w
    np.testing.assert_allclose(gram, np.eye(k), atol=1e-10)
    # the initial value is the orthogonalised original weight, as torch (same base buffer)
    _close(p.weight, t.weight, rtol=1e-7, atol=1e-9)
    # same unconstrained original (and base: for non-square shapes its completion columns are random) -> same
    # weight and same gradients
    x = np.random.default_rng(2).normal(size=shape) * 0.3
    with torch.no_grad():
        t.parametrizations.weight[0].base.copy_(torch.tensor(_np(p.parametrizations.weight[0].base)))
        t.parametrizations.weight.original.copy_(torch.tensor(x))
    with pe.no_grad():
        p.parametrizations.weight.original.copy_(pe.tensor(x))
    _close(p.weight, t.weight, rtol=1e-7, atol=1e-9)
    c = np.random.default_rng(3).normal(size=shape)
    (p.weight * pe.tensor(c)).sum().backward()
    (t.weight * torch.tensor(c)).sum().backward()
    _close(p.parametrizations.weight.original.grad, t.parametrizations.weight.original.grad, rtol=1e-6,
           atol=1e-9)


def test_orthogonal_errors():
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices"):
        pnn.utils.parametrizations.orthogonal(pnn.Linear(2, 2), "bias")
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", "cayley", "householder"'):
        pnn.utils.parametrizations.orthogonal(pnn.Linear(2, 2), orthogonal_map="qr")
