"""nn.utils: clip_grad_norm_ / clip_grad_value_ / get_total_norm against float64 math and torch, and
parameters_to_vector / vector_to_parameters."""
import math
import re

import numpy as np
import pytest

import pyengine as pe
from pyengine import nn
from pyengine.nn import utils


def _params_with_grads(seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    grads = [rng.standard_normal(s).astype(np.float32) * scale for s in [(3, 4), (4,), (2, 2, 2)]]
    params = []
    for g in grads:
        p = nn.Parameter(pe.zeros(*g.shape))
        p.grad = pe.tensor(g)
        params.append(p)
    return params, grads


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm(norm_type, max_norm):
    params, grads = _params_with_grads()
    flat = np.concatenate([g.ravel() for g in grads]).astype(np.float64)
    total = np.abs(flat).max() if norm_type == math.inf else (np.abs(flat) ** norm_type).sum() ** (1 / norm_type)
    got = utils.clip_grad_norm_(iter(params), max_norm, norm_type=norm_type)
    assert got.dim() == 0 and got.item() == pytest.approx(total, rel=1e-5)
    coef = min(max_norm / (total + 1e-6), 1.0)
    for p, g in zip(params, grads):
        np.testing.assert_allclose(p.grad.numpy(), g * coef, rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_matches_torch():
    torch = pytest.importorskip("torch")
    params, grads = _params_with_grads(seed=3, scale=5.0)
    tparams = []
    for g in grads:
        p = torch.nn.Parameter(torch.zeros(g.shape))
        p.grad = torch.from_numpy(g.copy())
        tparams.append(p)
    a = utils.clip_grad_norm_(params, 2.0)
    b = torch.nn.utils.clip_grad_norm_(tparams, 2.0)
    assert a.item() == pytest.approx(b.item(), rel=1e-6)
    for p, q in zip(params, tparams):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_clip_grad_norm_edge_cases():
    p = nn.Parameter(pe.ones(2))
    assert utils.clip_grad_norm_([p], 1.0).item() == 0.0      # no gradients at all
    with pytest.warns(UserWarning, match="`parameters` is an empty generator, no gradient clipping will occur."):
        utils.clip_grad_norm_((x for x in []), 1.0)
    p.grad = pe.tensor([float("inf"), 1.0])
    with pytest.raises(RuntimeError, match=re.escape("The total norm of order 2.0 for gradients from `parameters` "
                                                     "is non-finite, so it cannot be clipped.")):
        utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    with pytest.warns(FutureWarning, match="clip_grad_norm` is now deprecated"):
        utils.clip_grad_norm([nn.Parameter(pe.ones(1))], 1.0)


def test_clip_grad_value():
    params, grads = _params_with_grads(scale=3.0)
    utils.clip_grad_value_(params, 1.5)
    for p, g in zip(params, grads):
        np.testing.assert_array_equal(p.grad.numpy(), np.clip(g, -1.5, 1.5))
    q = nn.Parameter(pe.ones(1))
    utils.clip_grad_value_(q, 0.1)           # a single tensor without grad is fine
    assert getattr(q, "grad", None) is None   # (before the autograd core, .grad exists only once set)


def test_get_total_norm():
    ts = [pe.tensor([3.0]), pe.tensor([4.0])]
    assert utils.get_total_norm(ts).item() == pytest.approx(5.0)
    assert utils.get_total_norm(ts, norm_type="inf").item() == 4.0
    assert utils.get_total_norm([]).item() == 0.0


def test_parameters_to_vector_and_back():
    lin = nn.Linear(3, 2)
    vec = utils.parameters_to_vector(lin.parameters())
    assert vec.shape == (8,)
    np.testing.assert_array_equal(vec.detach().numpy()[:6], lin.weight.detach().numpy().ravel())
    w = lin.weight
    utils.vector_to_parameters(pe.arange(8, dtype=pe.float32), lin.parameters())
    assert lin.weight is w and isinstance(lin.weight, nn.Parameter)
    assert lin.weight.tolist() == [[0, 1, 2], [3, 4, 5]] and lin.bias.tolist() == [6, 7]
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        utils.vector_to_parameters([1.0], lin.parameters())
