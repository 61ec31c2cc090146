"""Gradients through the nn layers (needs the autograd core): for each layer, the same weights and input in
pyengine and torch, backward of a fixed random projection of the output, and the input and parameter
gradients compared; full backward hooks see the same grad_input / grad_output as torch's."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import nn
import pyengine.nn.functional as F

from test_nn_layers import CASES, _copy_from_torch, _x

torch = pytest.importorskip("torch")



def _grads(module, engine, inputs, proj):
    xs = [engine.tensor(x, requires_grad=True) if x.dtype.kind == "f" else engine.tensor(x) for x in inputs]
    out = module(*xs)
    (out * engine.tensor(proj)).sum().backward()
    gx = [x.grad.numpy() if x.grad is not None else None for x in xs if x.dtype.is_floating_point]
    gp = {n: p.grad.numpy() for n, p in module.named_parameters() if p.grad is not None}
    return out.detach().numpy(), gx, gp


@pytest.mark.parametrize("name,make,shapes", CASES, ids=[c[0] for c in CASES])
def test_layer_gradients_match_torch(name, make, shapes):
    torch.manual_seed(0)
    ours, theirs = make(nn), make(torch.nn)
    _copy_from_torch(ours, theirs)
    inputs = [_x(*s) for s in shapes]
    with torch.no_grad():
        out_shape = theirs(*[torch.from_numpy(x) for x in inputs]).shape
    proj = np.random.default_rng(1).standard_normal(tuple(out_shape)).astype(np.float32)
    o1, gx1, gp1 = _grads(ours, pe, inputs, proj)
    o2, gx2, gp2 = _grads(theirs, torch, inputs, proj)
    np.testing.assert_allclose(o1, o2, rtol=1e-5, atol=1e-6)
    for a, b in zip(gx1, gx2):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert sorted(gp1) == sorted(gp2)
    for k in gp2:
        np.testing.assert_allclose(gp1[k], gp2[k], rtol=1e-4, atol=1e-5, err_msg=k)


@pytest.mark.parametrize("make", [lambda m: m.BatchNorm1d(3), lambda m: m.BatchNorm2d(2)])
def test_batchnorm_gradients_match_torch(make):
    ours, theirs = make(nn), make(torch.nn)
    shape = (6, 3) if isinstance(ours, nn.BatchNorm1d) else (4, 2, 3, 3)
    x = _x(*shape)
    proj = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    o1, gx1, gp1 = _grads(ours, pe, [x], proj)
    o2, gx2, gp2 = _grads(theirs, torch, [x], proj)
    np.testing.assert_allclose(gx1[0], gx2[0], rtol=1e-4, atol=1e-5)
    for k in gp2:
        np.testing.assert_allclose(gp1[k], gp2[k], rtol=1e-4, atol=1e-5)


def test_embedding_gradient_with_padding_idx():
    ours, theirs = nn.Embedding(6, 3, padding_idx=0), torch.nn.Embedding(6, 3, padding_idx=0)
    _copy_from_torch(ours, theirs)
    idx = np.array([[0, 2, 2], [5, 0, 1]])
    proj = np.random.default_rng(3).standard_normal((2, 3, 3)).astype(np.float32)
    (ours(pe.tensor(idx)) * pe.tensor(proj)).sum().backward()
    (theirs(torch.from_numpy(idx)) * torch.from_numpy(proj)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_losses_backward_match_torch():
    x = _x(5, 4)
    cls = np.array([0, 3, 1, 1, 2])
    for make in [lambda m: m.CrossEntropyLoss(), lambda m: m.MSELoss(reduction="sum"),
                 lambda m: m.SmoothL1Loss(), lambda m: m.L1Loss()]:
        target = cls if isinstance(make(nn), nn.CrossEntropyLoss) else _x(5, 4)
        a = pe.tensor(x, requires_grad=True)
        b = torch.tensor(x, requires_grad=True)
        make(nn)(a, pe.tensor(target)).backward()
        make(torch.nn)(b, torch.from_numpy(target)).backward()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-6)


def _hooked(m, engine):
    lin = m.Linear(3, 2)
    seen = {}

    def hook(module, grad_input, grad_output):
        seen["in"] = [None if g is None else g.detach().numpy().copy() for g in grad_input]
        seen["out"] = [g.detach().numpy().copy() for g in grad_output]
        return (grad_input[0] * 2,)

    def pre_hook(module, grad_output):
        seen["pre"] = True
    lin.register_full_backward_hook(hook)
    lin.register_full_backward_pre_hook(pre_hook)
    return lin, seen


def test_full_backward_hook_matches_torch():
    theirs, s2 = _hooked(torch.nn, torch)
    ours, s1 = _hooked(nn, pe)
    _copy_from_torch(ours, theirs)
    x_np = np.arange(6, dtype=np.float32).reshape(2, 3)
    x1, x2 = pe.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    (ours(x1) * 3).sum().backward()
    (theirs(x2) * 3).sum().backward()
    assert s1["pre"] and s2["pre"]
    np.testing.assert_allclose(s1["out"][0], s2["out"][0])
    np.testing.assert_allclose(s1["in"][0], s2["in"][0], rtol=1e-6)
    np.testing.assert_allclose(x1.grad.numpy(), x2.grad.numpy(), rtol=1e-6)   # doubled by the hook
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-6)


def test_full_backward_hook_without_input_grad():
    lin = nn.Linear(3, 2)
    seen = []
    lin.register_full_backward_hook(lambda m, gi, go: seen.append((gi, len(go))))
    lin(pe.ones(1, 3)).sum().backward()
    assert seen and seen[0][0] == (None,) and seen[0][1] == 1
