"""Helpers for the autograd tests of the selection/shaping/indexing family
(test_autograd_select*.py, test_autograd_index*.py).

`check(fn, *arrays)` runs fn(module, *leaves) on pyengine and on PyTorch from the same float64
arrays, and compares the forward value, the grad_fn name and the gradients of a weighted sum of the
output; then pyengine's own gradcheck (finite differences) and, optionally, gradgradcheck. Leaves can
be made non-contiguous: layout "t" (permuted storage) or "s" (sliced with step 2 along the last dim).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import pyengine as pe

RNG = np.random.default_rng(1234)


def torch_mod():
    return pytest.importorskip("torch")


def randn(*shape) -> np.ndarray:
    return RNG.standard_normal(shape)


def leaf(mod, a: np.ndarray, layout: str = "c"):
    """A float64 leaf requiring grad with a's values, in the given memory layout."""
    a = np.asarray(a, dtype=np.float64)
    if layout == "c" or a.ndim == 0:
        t = mod.tensor(a.copy())
    elif layout == "t":
        rev = tuple(range(a.ndim))[::-1]
        t = mod.tensor(np.ascontiguousarray(a.transpose(rev))).permute(*rev)
        assert a.ndim < 2 or not t.is_contiguous() or 1 in a.shape or 0 in a.shape
    elif layout == "s":
        wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],))
        wide[..., ::2] = a
        t = mod.tensor(wide)[..., ::2]
    else:
        raise ValueError(layout)
    return t.detach().requires_grad_(True)


def grad_fn_name(t) -> str | None:
    f = t.grad_fn
    if f is None:
        return None
    n = type(f).__name__
    if n in ("Node", "PyNode", "GradFn", "function") and hasattr(f, "name"):
        return f.name()
    return n


def to_np(t) -> np.ndarray:
    return np.asarray(t.detach().cpu().numpy())


def outputs(r):
    if isinstance(r, (list, tuple)):
        return list(r)
    return [r]


def check(fn, *arrays, layouts=None, gradgrad: bool = False, torch_fn=None, name: str | None = None,
          gradcheck: bool = True, atol: float = 1e-10):
    """See the module docstring. torch_fn (default fn) runs on torch; `name` overrides the expected
    grad_fn name (default: torch's)."""
    torch = torch_mod()
    layouts = layouts or ["c"] * len(arrays)
    tfn = torch_fn or fn
    xs = [leaf(pe, a, lay) for a, lay in zip(arrays, layouts)]
    txs = [leaf(torch, a) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outs = outputs(fn(pe, *xs))
        touts = outputs(tfn(torch, *txs))
    assert len(outs) == len(touts)
    loss, tloss = None, None
    for o, to in zip(outs, touts):
        assert tuple(o.shape) == tuple(to.shape)
        np.testing.assert_allclose(to_np(o), to.detach().numpy(), rtol=1e-12, atol=atol)
        expected = name if name is not None else grad_fn_name(to)
        assert grad_fn_name(o) == expected
        if not to.requires_grad:
            continue
        w = RNG.standard_normal(tuple(o.shape))
        term, tterm = (o * pe.tensor(w)).sum(), (to * torch.tensor(w)).sum()
        loss = term if loss is None else loss + term
        tloss = tterm if tloss is None else tloss + tterm
    if loss is not None:
        loss.backward()
        tloss.backward()
        for x, tx in zip(xs, txs):
            if tx.grad is None:
                assert x.grad is None or np.all(to_np(x.grad) == 0)
            else:
                assert x.grad is not None
                assert tuple(x.grad.shape) == tuple(tx.grad.shape)
                np.testing.assert_allclose(to_np(x.grad), tx.grad.numpy(), rtol=1e-10, atol=atol)
    if gradcheck:
        def f(*ys):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return fn(pe, *ys)
        xs2 = [leaf(pe, a, lay) for a, lay in zip(arrays, layouts)]
        assert pe.autograd.gradcheck(f, tuple(xs2))
        if gradgrad:
            assert pe.autograd.gradgradcheck(f, tuple(xs2))
    return xs
