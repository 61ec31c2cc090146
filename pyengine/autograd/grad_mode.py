"""Grad mode switches: no_grad, enable_grad, set_grad_enabled, inference_mode (context managers,
decorators, and for set_grad_enabled a plain function too). Grad mode is thread-local, kept in C++."""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from .. import _C

_A = _C._autograd

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled"]


# Set by forward_ad while a dual level is open: dual tensors' tangents are computed on the reverse-mode graph,
# which code run with grad disabled does not record, so disabling grad there is noted (see forward_ad.py).
_dual_level_watch: list[Callable[[], None]] = []


def _note_grad_mode(mode: bool) -> None:
    if not mode and _dual_level_watch:
        _dual_level_watch[0]()


def is_grad_enabled() -> bool:
    return _A.is_grad_enabled()


class _GradModeContext:
    """Base: a context manager that is also a decorator (a fresh context per call, generators too)."""

    def _mode(self) -> bool:
        raise NotImplementedError

    def __enter__(self) -> None:
        self._prev = _A.is_grad_enabled()
        _note_grad_mode(self._mode())
        _A.set_grad_enabled(self._mode())

    def __exit__(self, *exc: Any) -> None:
        _A.set_grad_enabled(self._prev)

    def clone(self):
        return self.__class__()

    def __call__(self, func: Callable) -> Callable:
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def gen_wrapper(*args, **kwargs):
                gen = func(*args, **kwargs)
                with self.clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with self.clone():
                            gen.close()
                        raise
                    except BaseException as e:
                        with self.clone():
                            response = gen.throw(e)
                    else:
                        with self.clone():
                            response = gen.send(request)
            return gen_wrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)
        return wrapper


class no_grad(_GradModeContext):
    """Disables gradient recording in its scope (`with torch.no_grad():` or `@torch.no_grad()`)."""

    def __init__(self, orig_func: Callable | None = None) -> None:
        # @no_grad without parentheses is not PyTorch API, but old code used it; refuse it clearly
        if orig_func is not None:
            raise RuntimeError("no_grad takes no positional argument: use @torch.no_grad() as a decorator")

    def _mode(self) -> bool:
        return False


class enable_grad(_GradModeContext):
    """Enables gradient recording in its scope (inside a no_grad block)."""

    def _mode(self) -> bool:
        return True


class set_grad_enabled(_GradModeContext):
    """set_grad_enabled(mode): a function (takes effect at once), context manager and decorator."""

    def __init__(self, mode: bool) -> None:
        self._prev = _A.is_grad_enabled()
        self.mode = bool(mode)
        _note_grad_mode(self.mode)
        _A.set_grad_enabled(self.mode)

    def _mode(self) -> bool:
        return self.mode

    def __enter__(self) -> None:
        pass  # already set by the constructor

    def __exit__(self, *exc: Any) -> None:
        _A.set_grad_enabled(self._prev)

    def clone(self):
        return _SetGrad(self.mode)

    def __call__(self, func: Callable) -> Callable:
        _A.set_grad_enabled(self._prev)  # used as a decorator: the constructor must not leak
        return super().__call__(func)


class _SetGrad(_GradModeContext):
    def __init__(self, mode: bool) -> None:
        self.mode = mode

    def _mode(self) -> bool:
        return self.mode

    def clone(self):
        return _SetGrad(self.mode)


class inference_mode(_GradModeContext):
    """inference_mode(mode=True): grad mode off and inference mode on (tensors made in it are inference
    tensors, ``Tensor.is_inference()``); ``inference_mode(False)`` turns both back (grad mode on). Both
    are thread-local, kept in C++, and restored on exit."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)

    def _mode(self) -> bool:
        return not self.mode

    def clone(self):
        return inference_mode(self.mode)

    def __enter__(self) -> None:
        self._prev_inference = _A.is_inference_mode_enabled()
        super().__enter__()
        _A._set_inference_mode(self.mode)

    def __exit__(self, *exc: Any) -> None:
        _A._set_inference_mode(self._prev_inference)
        super().__exit__(*exc)


def is_inference_mode_enabled() -> bool:
    return _A.is_inference_mode_enabled()
