"""Helpers shared by the test_nn_functional*.py files: the same values as a pyengine tensor in
several layouts, PyTorch references (forward values and autograd gradients) and error comparison.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import pyengine as pe

LAYOUTS = ["contiguous", "transposed", "strided"]


def pt(a: np.ndarray, layout: str = "contiguous"):
    """A pyengine tensor equal to `a`, laid out as asked: 'transposed' swaps the last two dims in memory,
    'strided' takes every other element of a twice-as-wide buffer along the last dim."""
    a = np.asarray(a)
    if layout == "contiguous" or a.ndim == 0:
        return pe.tensor(a)
    if layout == "transposed":
        if a.ndim < 2:
            return _strided(a)
        return pe.tensor(np.ascontiguousarray(np.swapaxes(a, -1, -2))).transpose(-1, -2)
    if layout == "strided":
        return _strided(a)
    raise ValueError(layout)


def _strided(a: np.ndarray):
    wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)
    wide[..., ::2] = a
    return pe.tensor(wide)[..., ::2]


def npy(t) -> np.ndarray:
    return t.numpy()


def torch_mod():
    return pytest.importorskip("torch")


def tt(a, requires_grad: bool = False):
    torch = torch_mod()
    t = torch.from_numpy(np.array(a))
    return t.requires_grad_(requires_grad) if requires_grad else t


def close(got, want, rtol=1e-5, atol=1e-6):
    """Compare a pyengine tensor (or array) to a torch tensor / numpy array."""
    if hasattr(got, "numpy") and not isinstance(got, np.ndarray):
        got = got.numpy()
    if hasattr(want, "detach"):
        want = want.detach().numpy()
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=rtol, atol=atol)


def rand(shape, seed=0, dtype=np.float64, low=-1.0, high=1.0):
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=shape).astype(dtype)


def raises_like_torch(exc, match: str, fn, *, torch_match: str | None = None) -> None:
    """fn(module) raises `exc` whose message contains `match` (a regex) with pyengine, and, with torch
    installed, torch raises the same class with a message matching torch_match (default: match)."""
    try:
        import torch
    except ImportError:  # pragma: no cover
        torch = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if torch is not None:
            with pytest.raises(exc) as info:
                fn(torch)
            assert re.search(torch_match or match, str(info.value)), str(info.value)
        with pytest.raises(exc, match=match):
            fn(pe)


def outcome(fn):
    """(exception class, message) of what fn() raises, or (None, None): compare engines' errors."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e), str(e)
    return None, None
