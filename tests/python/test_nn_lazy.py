"""Lazy modules (LazyLinear, LazyConv2d, LazyBatchNorm*) and UninitializedParameter/Buffer against PyTorch."""
import warnings

import numpy as np
import pytest

import pyengine as pe
import pyengine.nn as pnn

torch = pytest.importorskip("torch")
tnn = torch.nn


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


def _np(t):
    return t.detach().cpu().numpy()


@pytest.mark.parametrize("name,args,shape", [
    ("LazyLinear", (5,), (2, 3)), ("LazyLinear", (4, False), (2, 7, 3)),
    ("LazyConv2d", (4, 3), (2, 3, 6, 6)), ("LazyConv2d", (4, 3), (3, 6, 6)),
    ("LazyConv2d", (6, (3, 2)), (1, 4, 7, 7)),
    ("LazyBatchNorm1d", (), (4, 3)), ("LazyBatchNorm1d", (), (4, 3, 5)), ("LazyBatchNorm2d", (), (2, 3, 4, 4)),
    ("LazyBatchNorm3d", (), (2, 3, 2, 4, 4)),
    ("LazyInstanceNorm1d", (), (2, 3, 5)), ("LazyInstanceNorm2d", (), (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), (2, 3, 2, 3, 3)),
])
def test_materialisation_matches_torch(name, args, shape):
    p, t = getattr(pnn, name)(*args), getattr(tnn, name)(*args)
    assert repr(p) == repr(t)
    assert list(p.state_dict().keys()) == list(t.state_dict().keys())
    assert [repr(v) for v in p.state_dict().values()] == [repr(v) for v in t.state_dict().values()]
    assert p.has_uninitialized_params() and isinstance(p.weight, pnn.UninitializedParameter)
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    p(pe.tensor(x))
    t(torch.tensor(x))
    assert type(p).__name__ == type(t).__name__ and repr(p) == repr(t)
    assert not p.has_uninitialized_params() if hasattr(p, "has_uninitialized_params") else True
    for (kp, vp), (kt, vt) in zip(p.state_dict().items(), t.state_dict().items()):
        assert kp == kt and tuple(vp.shape) == tuple(vt.shape) and type(vp) is pe.Tensor
    assert type(p.weight) is pnn.Parameter
    # same weights -> same outputs; training continues as the eager module
    p.load_state_dict({k: pe.tensor(v.numpy()) for k, v in t.state_dict().items()})
    np.testing.assert_allclose(_np(p(pe.tensor(x))), _np(t(torch.tensor(x))), rtol=1e-5, atol=1e-5)
    p(pe.tensor(x)).sum().backward()
    assert p.weight.grad is not None and tuple(p.weight.grad.shape) == tuple(p.weight.shape)


def test_initialisation_statistics_follow_the_eager_module():
    pe.manual_seed(0)
    m = pnn.LazyLinear(200)
    m(pe.zeros(1, 50))
    bound = 1 / np.sqrt(50)
    w = _np(m.weight)
    assert np.abs(w).max() <= bound + 1e-6 and np.abs(w).max() > 0.9 * bound
    b = pnn.LazyBatchNorm2d()
    b.eval()
    b(pe.ones(1, 3, 2, 2))
    assert bool((b.weight == 1).all()) and bool((b.running_var == 1).all()) and bool((b.running_mean == 0).all())


def test_load_state_dict_materialises_like_torch():
    t = tnn.Linear(3, 5)
    sd = {k: pe.tensor(v.detach().numpy()) for k, v in t.state_dict().items()}
    p = pnn.LazyLinear(5)
    tl = tnn.LazyLinear(5)
    p.load_state_dict(sd)
    tl.load_state_dict(t.state_dict())
    assert type(p).__name__ == type(tl).__name__ == "LazyLinear"
    assert tuple(p.weight.shape) == (5, 3) and type(p.weight) is pnn.Parameter
    np.testing.assert_allclose(_np(p.weight), _np(t.weight))
    x = np.ones((2, 3), dtype=np.float32)
    np.testing.assert_allclose(_np(p(pe.tensor(x))), _np(t(torch.tensor(x))), rtol=1e-6)
    tl(torch.tensor(x))
    # both become Linear; PyTorch keeps in_features=0 when the shapes came from a checkpoint
    assert type(p) is pnn.Linear and repr(p) == repr(tl)
    bn = pnn.LazyBatchNorm1d()
    bn.load_state_dict({k: pe.tensor(v.numpy()) for k, v in tnn.BatchNorm1d(4).state_dict().items()})
    assert tuple(bn.running_mean.shape) == (4,) and type(bn.running_mean) is pe.Tensor


def test_uninitialized_errors_and_parameter_identity():
    m = pnn.LazyLinear(3)
    w = m.weight
    opt = pe.optim.SGD(m.parameters(), lr=0.1)
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter"):
        w.shape  # noqa: B018
    assert repr(w) == str(w) == "<UninitializedParameter>"
    assert repr(pnn.UninitializedBuffer()) == "<UninitializedBuffer>"
    m(pe.ones(2, 4)).sum().backward()
    assert m.weight is w and type(w) is pnn.Parameter  # the optimizer's reference is the live parameter
    before = _np(w).copy()
    opt.step()
    assert not np.allclose(before, _np(w))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        pnn.LazyConv2d(4, 3, groups=2)(pe.ones(1, 3, 5, 5))
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to LazyConv2d"):
        pnn.LazyConv2d(4, 3)(pe.ones(5, 5))
    p = pnn.UninitializedParameter()
    p.materialize((2, 3))
    assert type(p) is pnn.Parameter and tuple(p.shape) == (2, 3) and p.requires_grad


def test_lazy_instance_norm_unbatched_input_fails_as_torch():
    # PyTorch takes num_features from input.shape[1] even for unbatched input; the forward then rejects it
    for mod, lib in ((pnn, pe), (tnn, torch)):
        with pytest.raises(ValueError, match="to match num_features"):
            mod.LazyInstanceNorm2d()(lib.ones(3, 4, 4))


def test_lazy_in_sequential_and_batchnorm3d():
    net = pnn.Sequential(pnn.LazyConv2d(4, 3), pnn.LazyBatchNorm2d(), pnn.ReLU(), pnn.Flatten(), pnn.LazyLinear(2))
    out = net(pe.randn(2, 3, 8, 8))
    assert tuple(out.shape) == (2, 2)
    assert [type(m).__name__ for m in net] == ["Conv2d", "BatchNorm2d", "ReLU", "Flatten", "Linear"]
    assert net[4].in_features == 4 * 6 * 6
    p, t = pnn.BatchNorm3d(3), tnn.BatchNorm3d(3)
    assert repr(p) == repr(t)
    x = np.random.default_rng(1).normal(size=(2, 3, 2, 3, 3)).astype(np.float32)
    np.testing.assert_allclose(_np(p(pe.tensor(x))), _np(t(torch.tensor(x))), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_np(p.running_var), _np(t.running_var), rtol=1e-5)
    with pytest.raises(ValueError, match="expected 5D input"):
        p(pe.ones(2, 3, 4))
