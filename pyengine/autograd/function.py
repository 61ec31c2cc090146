"""Custom autograd Functions: subclass ``Function`` with static ``forward(ctx, *args)`` and
``backward(ctx, *grads)`` and call ``apply``. The ctx is the node of the graph (``y.grad_fn`` is the
ctx, of class ``<Name>Backward``); the C++ engine calls ``backward`` with it."""
from __future__ import annotations

import functools
from typing import Any, Callable, Tuple

from .. import _C
from .grad_mode import no_grad, is_grad_enabled
from .graph import Node

_A = _C._autograd

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "once_differentiable", "InplaceFunction"]


class FunctionCtx:
    """What forward() sees as ctx: save tensors for backward and mark outputs."""

    def save_for_backward(self, *tensors: Any) -> None:
        for t in tensors:
            if t is not None and not isinstance(t, _C.Tensor):
                raise TypeError("save_for_backward can only save variables, but argument %d is not a Variable"
                                % tensors.index(t))
        self.to_save = tensors

    def save_for_forward(self, *tensors: Any) -> None:
        self.saved_for_forward = tensors

    def mark_dirty(self, *args: Any) -> None:
        self.dirty_tensors = args

    def mark_non_differentiable(self, *args: Any) -> None:
        self.non_differentiable = args

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize_grads = bool(value)


class BackwardCFunction(FunctionCtx, Node):
    """The ctx/node of one call of a custom Function."""

    _materialize_grads = True

    def apply(self, *args: Any):
        return self._forward_cls.backward(self, *args)

    def name(self) -> str:
        return type(self).__name__

    @property
    def saved_tensors(self) -> Tuple:
        cdata = getattr(self, "_cdata", None)
        if cdata is None:  # inside forward, or a call that recorded nothing
            return tuple(getattr(self, "to_save", ()))
        return cdata.saved_tensors()

    @property
    def next_functions(self) -> tuple:
        cdata = getattr(self, "_cdata", None)
        return () if cdata is None else cdata.next_functions()


class FunctionMeta(type):
    """Gives each Function subclass its node class, ``<Name>Backward``."""

    def __init__(cls, name, bases, attrs):
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        super().__init__(name, bases, attrs)


class Function(metaclass=FunctionMeta):
    """Base class of custom differentiable operations."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use new-style autograd "
            "function with static forward method. (Example: https://pytorch.org/docs/stable/autograd.html"
            "#torch.autograd.Function)")

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx: Any, inputs: Tuple[Any, ...], output: Any) -> Any:
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        ctx = cls._backward_cls()
        ctx.needs_input_grad = tuple(isinstance(a, _C.Tensor) and a.requires_grad for a in args)
        record = is_grad_enabled() and any(ctx.needs_input_grad)
        separate = cls.setup_context is not Function.setup_context
        with no_grad():
            if separate:
                out = cls.forward(*args, **kwargs)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        if separate:
            cls.setup_context(ctx, args, out)
        if not record:
            return out
        is_tuple = isinstance(out, tuple)
        outs = out if is_tuple else (out,)
        res = _A._record_function(ctx, cls.__name__ + "Backward", list(args), tuple(outs),
                                  list(getattr(ctx, "dirty_tensors", ())),
                                  list(getattr(ctx, "non_differentiable", ())),
                                  list(getattr(ctx, "to_save", ())))
        return res if is_tuple else res[0]


class InplaceFunction(Function):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace


def once_differentiable(fn: Callable) -> Callable:
    """Runs a backward without recording it (its result cannot be differentiated again)."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)
    return wrapper
