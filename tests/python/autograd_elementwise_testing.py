"""Helpers of the autograd tests of the elementwise and reduction families
(test_autograd_elementwise*.py, test_autograd_reduce*.py).

An op under test is written once as ``fn(M, *tensors)`` with M the module (pyengine or torch), so the
same expression gives pyengine's and PyTorch's values, gradients and grad_fn names. Inputs are float64
leaves in several layouts: contiguous, transposed and sliced with a step (non-contiguous leaves made by
detaching a view), built from one numpy array so both libraries see the same numbers.
"""
from __future__ import annotations

import numpy as np
import pytest

import pyengine as pe

LAYOUTS = ["contiguous", "transposed", "sliced"]


def leaf(arr, layout: str = "contiguous", requires_grad: bool = True, M=pe):
    """A float64 leaf of M holding arr's values, laid out as `layout`."""
    arr = np.asarray(arr, dtype=np.float64)
    if layout == "contiguous" or arr.ndim < 2:
        t = M.tensor(arr.copy())
    elif layout == "transposed":
        t = M.tensor(np.ascontiguousarray(arr.swapaxes(-1, -2))).transpose(-1, -2)
    elif layout == "sliced":
        big = np.zeros(arr.shape[:-1] + (2 * arr.shape[-1],))
        big[..., ::2] = arr
        t = M.tensor(big)[..., ::2]
    else:
        raise ValueError(layout)
    t = t.detach()
    if layout != "contiguous" and arr.ndim >= 2 and min(arr.shape[-2:]) > 1:
        assert not t.is_contiguous()
    return t.requires_grad_(requires_grad)


def rand(shape, lo=-2.0, hi=2.0, seed=0):
    return np.random.default_rng(seed).uniform(lo, hi, size=shape)


def gradcheck(fn, arrays, layout="contiguous", requires=None, **kw):
    """pyengine's gradcheck of fn(pe, *inputs) on float64 leaves built from arrays."""
    requires = requires or [True] * len(arrays)
    inputs = [leaf(a, layout, r) for a, r in zip(arrays, requires)]
    assert pe.autograd.gradcheck(lambda *xs: fn(pe, *xs), inputs, **kw)


def gradgradcheck(fn, arrays, requires=None, **kw):
    requires = requires or [True] * len(arrays)
    inputs = [leaf(a, "contiguous", r) for a, r in zip(arrays, requires)]
    assert pe.autograd.gradgradcheck(lambda *xs: fn(pe, *xs), inputs, **kw)


def first(out):
    """The differentiable output of an op that may return (values, indices)."""
    return out[0] if isinstance(out, tuple) else out


def grads(M, fn, arrays, requires=None, grad_out_seed=7, layout="contiguous"):
    """(output values, input grads, grad_fn name) of fn(M, *leaves) backpropagating a fixed random
    gradient (so ties and kinks are tested with unequal weights)."""
    requires = requires or [True] * len(arrays)
    inputs = [leaf(a, layout, r, M=M) for a, r in zip(arrays, requires)]
    out = first(fn(M, *inputs))
    g = np.random.default_rng(grad_out_seed).uniform(0.5, 1.5, size=tuple(out.shape))
    out.backward(M.tensor(g, dtype=out.dtype))
    gs = [None if x.grad is None else np.asarray(x.grad.tolist(), dtype=np.float64) for x in inputs]
    return np.asarray(out.detach().tolist(), dtype=np.float64), gs, type(out.grad_fn).__name__


def assert_like_torch(fn, arrays, requires=None, layout="contiguous", check_name=True, rtol=1e-7, atol=1e-10):
    """Values, gradients and the grad_fn name of fn match PyTorch's."""
    torch = pytest.importorskip("torch")
    v, gs, name = grads(pe, fn, arrays, requires, layout=layout)
    tv, tgs, tname = grads(torch, fn, arrays, requires, layout=layout)
    np.testing.assert_allclose(v, tv, rtol=rtol, atol=atol, equal_nan=True)
    for a, b in zip(gs, tgs):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
    if check_name:
        assert name == tname


def grad_fn_name(t) -> str:
    return type(first(t).grad_fn).__name__


def inplace_matches(op, arr, *args, **kw):
    """y = x * 1; y.op_(*args); y.backward(g) gives the gradient of the out-of-place form; returns the
    in-place grad_fn name."""
    g = np.random.default_rng(3).uniform(0.5, 1.5, size=np.shape(arr))
    x1 = leaf(arr)
    y = x1 * 1
    getattr(y, op + "_")(*args, **kw)
    name = type(y.grad_fn).__name__
    y.backward(pe.tensor(g))
    x2 = leaf(arr)
    getattr(x2, op)(*args, **kw).backward(pe.tensor(g))
    np.testing.assert_allclose(np.asarray(x1.grad.tolist()), np.asarray(x2.grad.tolist()), rtol=1e-12, atol=1e-12,
                               equal_nan=True)
    return name
