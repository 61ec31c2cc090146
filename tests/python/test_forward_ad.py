"""torch.autograd.forward_ad on pyengine (Note [Forward AD by double backward]): tangents against PyTorch's
forward AD on the same inputs, PyTorch's errors, and the refusal where the design cannot answer."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import pyengine
import pyengine.autograd.forward_ad as fwAD


def _pair(shape, seed, requires_grad=False):
    a = np.random.default_rng(seed).standard_normal(shape)
    return (pyengine.tensor(a).requires_grad_(requires_grad), torch.tensor(a).requires_grad_(requires_grad))


FUNCS = {
    "sin_mul": lambda m, x, y: (x * y).sin(),
    "exp_sum": lambda m, x, y: x.exp().sum(0) + y[0],
    "matmul_tanh": lambda m, x, y: (x @ y.T).tanh(),
    "softmax": lambda m, x, y: m.nn.functional.softmax(x * y, dim=-1),
    "transposed_slice": lambda m, x, y: (x.t()[::2] * 3).log1p().abs() + y.t()[::2],
    "pow_div": lambda m, x, y: x.pow(3) / (y.abs() + 1),
    "linear_relu": lambda m, x, y: m.nn.functional.relu(m.nn.functional.linear(x, y)),
}


@pytest.mark.parametrize("name", list(FUNCS))
def test_tangents_match_pytorch(name):
    f = FUNCS[name]
    (xp, xt), (yp, yt) = _pair((4, 4), 0), _pair((4, 4), 1)
    (txp, txt), (typ, tyt) = _pair((4, 4), 2), _pair((4, 4), 3)
    with fwAD.dual_level():
        out = f(pyengine, fwAD.make_dual(xp, txp), fwAD.make_dual(yp, typ))
        p, t = fwAD.unpack_dual(out)
    with torch.autograd.forward_ad.dual_level():
        fa = torch.autograd.forward_ad
        ref = f(torch, fa.make_dual(xt, txt), fa.make_dual(yt, tyt))
        rp, rt = fa.unpack_dual(ref)
    np.testing.assert_allclose(p.detach().numpy(), rp.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(t.numpy(), rt.numpy(), rtol=1e-9, atol=1e-11)


def test_zero_d_and_one_dual_only():
    with fwAD.dual_level():
        x = fwAD.make_dual(pyengine.tensor(2.0, dtype=pyengine.float64), pyengine.tensor(3.0, dtype=pyengine.float64))
        y = pyengine.tensor(5.0, dtype=pyengine.float64)
        t = fwAD.unpack_dual(x * x * y).tangent
        assert t.shape == () and float(t) == pytest.approx(2 * 2.0 * 3.0 * 5.0)
        assert fwAD.unpack_dual(y).tangent is None  # independent of any dual
        assert fwAD.unpack_dual(x).tangent is not None and float(fwAD.unpack_dual(x).tangent) == 3.0


def test_requires_grad_primal_keeps_reverse_mode():
    x = pyengine.randn(3, requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, pyengine.ones(3))
        p, t = fwAD.unpack_dual(d * 2)
        assert p.requires_grad and np.allclose(t.numpy(), 2.0)
        p.sum().backward()
    assert np.allclose(x.grad.numpy(), 2.0)


def test_tangents_end_with_the_level():
    with fwAD.dual_level():
        d = fwAD.make_dual(pyengine.randn(3), pyengine.ones(3))
        y = d.exp()
    assert fwAD.unpack_dual(y).tangent is None


def test_errors_as_pytorch():
    x = pyengine.randn(3)
    with pytest.raises(RuntimeError, match="no level exists"):
        fwAD.make_dual(x, pyengine.randn(3))
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match=r"Tensor is of size \[3\] while the given forward gradient is of size "
                                               r"\[4\]"):
            fwAD.make_dual(x, pyengine.randn(4))
        with pytest.raises(ValueError, match="Expected primal to be floating point"):
            fwAD.make_dual(pyengine.arange(3), pyengine.arange(3))
        with pytest.raises(RuntimeError, match="Nested forward mode AD is not supported"):
            fwAD.enter_dual_level()


def test_no_grad_inside_a_level_is_refused_not_wrong():
    with fwAD.dual_level():
        d = fwAD.make_dual(pyengine.randn(3), pyengine.ones(3))
        with pyengine.no_grad():
            z = d.exp()
        with pytest.raises(RuntimeError, match="grad disabled"):
            fwAD.unpack_dual(z + d)


def test_reachable_through_the_torch_name():
    assert pyengine.autograd.forward_ad is fwAD
    assert fwAD.UnpackedDualTensor._fields == ("primal", "tangent")
