"""float32 softmax / log_softmax / logsumexp over a million elements agree with a float64 reference
to 1e-5 relative (sums of exponentials accumulate in double), along the whole row and other dims."""
from __future__ import annotations

import numpy as np
import pytest

import pyengine as pe
import pyengine.nn.functional as F

N = 1 << 20


def _ref_logsumexp(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m


@pytest.mark.parametrize("shape,dim", [((N,), 0), ((1, N), 1), ((N, 2), 0), ((2, N // 2, 2), 1), ((4, N // 4), -1)])
def test_softmax_family_float32_against_float64(shape, dim):
    rng = np.random.default_rng(0)
    x32 = (rng.standard_normal(shape) * 3).astype(np.float32)
    x64 = x32.astype(np.float64)
    lse = _ref_logsumexp(x64, dim)
    t = pe.from_numpy(x32)
    got = F.softmax(t, dim=dim).numpy().astype(np.float64)
    np.testing.assert_allclose(got, np.exp(x64 - lse), rtol=1e-5, atol=0)
    got = F.log_softmax(t, dim=dim).numpy().astype(np.float64)
    np.testing.assert_allclose(got, x64 - lse, rtol=1e-5, atol=1e-5)
    got = pe.logsumexp(t, dim, keepdim=True).numpy().astype(np.float64)
    np.testing.assert_allclose(got, lse, rtol=1e-5, atol=0)
    # the sum of a softmax row is 1 to float32 accuracy
    s = F.softmax(t, dim=dim).double().sum(dim)
    np.testing.assert_allclose(s.numpy(), 1.0, rtol=1e-5)


def test_softmax_backward_float32_long_row():
    rng = np.random.default_rng(1)
    x32 = rng.standard_normal(N).astype(np.float32)
    g32 = rng.standard_normal(N).astype(np.float32)
    x = pe.from_numpy(x32).requires_grad_(True)
    y = F.softmax(x, dim=0)
    y.backward(pe.from_numpy(g32))
    y64 = np.exp(x32.astype(np.float64) - _ref_logsumexp(x32.astype(np.float64), 0))
    ref = y64 * (g32 - (g32 * y64).sum())
    np.testing.assert_allclose(x.grad.numpy(), ref, rtol=1e-4, atol=1e-12)
