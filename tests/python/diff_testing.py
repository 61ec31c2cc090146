"""Differential checks against PyTorch: run the same call with pyengine and with torch and compare
what comes back (values, dtypes, shapes, the structure of tuples) or the exception class raised.

Used by the edge-case tables (test_reliability_edges.py) and the fuzz test (test_fuzz_diff.py).
A call is written once as ``fn(m)`` where ``m`` is the module (pyengine or torch).
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Callable

import numpy as np

import pyengine as pe


class Raised:
    """An exception a call raised: compared by class only (messages differ in wording)."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
        self.cls = type(exc)

    def __repr__(self) -> str:
        return "Raised(%s: %s)" % (self.cls.__name__, str(self.exc)[:200])


def call(fn: Callable[[Any], Any], m: Any) -> Any:
    """fn(m), or a Raised for the exception it raises (warnings silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(m)
        except Exception as e:  # noqa: BLE001
            return Raised(e)


def _dtype_name(dt: Any) -> str:
    return str(dt).replace("torch.", "")


def _values(t: Any) -> np.ndarray:
    """A tensor's values as float64/int64/bool numpy (bfloat16 and float16 widened)."""
    name = _dtype_name(t.dtype)
    if name in ("float16", "bfloat16", "float32"):
        t = t.double()
    return t.detach().numpy() if hasattr(t, "detach") else t.numpy()


def compare(got: Any, want: Any, *, rtol: float = 1e-5, atol: float = 1e-6, path: str = "") -> None:
    """Raise AssertionError naming `path` where `got` (pyengine) and `want` (torch) differ."""
    import torch
    if isinstance(want, Raised) or isinstance(got, Raised):
        assert isinstance(got, Raised) and isinstance(want, Raised), "%s: pyengine %r, torch %r" % (path, got, want)
        assert got.cls is want.cls, "%s: pyengine raised %r, torch %r" % (path, got, want)
        return
    if isinstance(want, torch.Tensor):
        assert isinstance(got, pe.Tensor), "%s: pyengine gave %r, torch a tensor" % (path, type(got))
        assert tuple(got.shape) == tuple(want.shape), "%s: shape %s vs torch %s" % (
            path, tuple(got.shape), tuple(want.shape))
        assert _dtype_name(got.dtype) == _dtype_name(want.dtype), "%s: dtype %s vs torch %s" % (
            path, got.dtype, want.dtype)
        g, w = _values(got), _values(want)
        if w.dtype.kind == "f":
            tol = {"float16": 1e-3, "bfloat16": 1e-2}.get(_dtype_name(want.dtype), rtol)
            np.testing.assert_allclose(g, w, rtol=tol, atol=max(atol, tol), equal_nan=True,
                                       err_msg="%s: values differ" % path)
        else:
            np.testing.assert_array_equal(g, w, err_msg="%s: values differ" % path)
        return
    if isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)), "%s: pyengine gave %r, torch a sequence" % (path, type(got))
        assert len(got) == len(want), "%s: %d results vs torch %d" % (path, len(got), len(want))
        for i, (g, w) in enumerate(zip(got, want)):
            compare(g, w, rtol=rtol, atol=atol, path="%s[%d]" % (path, i))
        return
    if isinstance(want, float):
        assert isinstance(got, (int, float)), "%s: %r vs torch %r" % (path, got, want)
        assert (math.isnan(got) and math.isnan(want)) or math.isclose(got, want, rel_tol=rtol, abs_tol=atol), (
            "%s: %r vs torch %r" % (path, got, want))
        return
    if isinstance(want, torch.dtype):
        assert _dtype_name(got) == _dtype_name(want), "%s: %r vs torch %r" % (path, got, want)
        return
    if isinstance(want, torch.Size):
        assert tuple(got) == tuple(want), "%s: %r vs torch %r" % (path, got, want)
        return
    assert got == want, "%s: %r vs torch %r" % (path, got, want)


def check_like_torch(fn: Callable[[Any], Any], **tol: float) -> None:
    """fn(pyengine) gives what fn(torch) gives (or raises the same exception class)."""
    import torch
    compare(call(fn, pe), call(fn, torch), **tol)


def poison_cache(value: float = 12345.0) -> None:
    """Fill recently freed allocator blocks of small sizes with `value` and free them again, so an
    output that a kernel leaves unwritten shows up as `value` instead of a lucky zero."""
    keep = [pe.full((n,), value, dtype=pe.float64) for n in (1, 2, 4, 8, 16, 32, 64, 128, 1024)]
    del keep
