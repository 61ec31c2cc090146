"""The few autograd entry points nn and optim use, written so the Python layer runs both before and after
the C++ autograd core is present: ``no_grad()`` is pyengine.no_grad when it exists (else a no-op
context, which is exact while nothing records a graph), and ``grad_of(t)`` reads ``t.grad`` (None when
no gradient was ever assigned)."""
from __future__ import annotations

import contextlib

import pyengine


def no_grad():
    ng = getattr(pyengine, "no_grad", None)
    return ng() if ng is not None else contextlib.nullcontext()


def grad_of(t):
    return getattr(t, "grad", None)


def grad_enabled() -> bool:
    fn = getattr(pyengine, "is_grad_enabled", None)
    return True if fn is None else fn()
