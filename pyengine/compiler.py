"""torch.compiler: pyengine does not compile (see _compile.py), so nothing is ever being compiled or exported
(``is_compiling()`` is False), ``disable`` returns its function unchanged, and the cache/graph controls have
nothing to act on."""
from __future__ import annotations

import contextlib
from typing import Any, Callable

from . import _compile
from ._compile import LISTED_BACKENDS, KNOWN_BACKENDS, compile  # noqa: F401

__all__ = ["allow_in_graph", "assume_constant_result", "compile", "cudagraph_mark_step_begin", "disable",
           "get_default_backend", "is_compiling", "is_dynamo_compiling", "is_exporting", "list_backends", "reset",
           "set_default_backend", "set_stance"]


def is_compiling() -> bool:
    return False


def is_dynamo_compiling() -> bool:
    return False


def is_exporting() -> bool:
    return False


def disable(fn: Callable | None = None, recursive: bool = True, *, reason: str | None = None):
    """Marks fn as never compiled: as pyengine never compiles, fn itself (usable as a bare or called decorator)."""
    if fn is None:
        return lambda f: f
    return fn


def allow_in_graph(fn: Callable) -> Callable:
    return fn


def assume_constant_result(fn: Callable) -> Callable:
    return fn


def list_backends(exclude_tags=("debug", "experimental")) -> list[str]:
    return sorted(LISTED_BACKENDS if exclude_tags else KNOWN_BACKENDS)


def get_default_backend() -> str:
    return _compile._default_backend


def set_default_backend(backend: str) -> None:
    if backend not in KNOWN_BACKENDS:
        raise _compile.InvalidBackend(backend)
    _compile._default_backend = backend


def reset() -> None:
    """Clears compilation caches: there are none."""


def cudagraph_mark_step_begin() -> None:
    """Marks a new iteration for CUDA-graph trees: pyengine records no CUDA graphs."""


_STANCES = ("default", "force_eager", "eager_on_recompile", "fail_on_recompile", "eager_then_compile",
            "aot_eager_then_compile")


class set_stance(contextlib.ContextDecorator):
    """Sets how compiled functions behave; every stance is eager in pyengine. Works as a call, a context manager
    and a decorator, as in PyTorch."""

    def __init__(self, stance: str = "default", *, skip_guard_eval_unsafe: bool = False,
                 force_backend: Any = None) -> None:
        if stance not in _STANCES:
            raise RuntimeError(f"invalid torch.compile stance '{stance}'")

    def __enter__(self) -> "set_stance":
        return self

    def __exit__(self, *exc) -> bool:
        return False
