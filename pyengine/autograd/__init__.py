"""pyengine.autograd: the Python face of the C++ tape-based autograd (csrc/autograd).
backward/grad run the C++ engine; Function is a custom differentiable op; grad-mode switches."""
from __future__ import annotations

from typing import Any, Optional, Sequence

from .. import _C
from . import graph  # noqa: F401
from .function import Function, FunctionCtx, InplaceFunction, once_differentiable  # noqa: F401
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,  # noqa: F401
                        no_grad, set_grad_enabled)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: F401

__all__ = ["Variable", "Function", "backward", "grad", "gradcheck", "gradgradcheck", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode"]

_A = _C._autograd


def _seq(x: Any) -> list:
    if x is None:
        return []
    if isinstance(x, _C.Tensor):
        return [x]
    return list(x)


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: Optional[bool] = None,
             create_graph: bool = False, grad_variables: Any = None, inputs: Any = None) -> None:
    """Accumulates d tensors / d leaves into the leaves' .grad (only into `inputs` when given)."""
    if grad_variables is not None:
        grad_tensors = grad_variables
    tensors = _seq(tensors)
    grads = _seq(grad_tensors) if grad_tensors is not None else None
    if grads is not None and len(grads) != len(tensors):
        raise RuntimeError("got %d tensors and %d gradients" % (len(tensors), len(grads)))
    if inputs is not None and len(_seq(inputs)) == 0:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    keep = create_graph if retain_graph is None else retain_graph
    _A.backward(tensors, grads, keep, create_graph, None if inputs is None else _seq(inputs))


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: Optional[bool] = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: Optional[bool] = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple:
    """d outputs / d inputs as a tuple, without touching .grad; None for unused inputs (allow_unused)."""
    if is_grads_batched:
        raise NotImplementedError("grad(is_grads_batched=True) is not supported by pyengine")
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
                         "allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    outs, ins = _seq(outputs), _seq(inputs)
    gos = _seq(grad_outputs) if grad_outputs is not None else None
    if gos is not None and len(gos) != len(outs):
        raise RuntimeError("grad requires one grad_output per output: got %d grad_outputs and %d outputs"
                           % (len(gos), len(outs)))
    keep = create_graph if retain_graph is None else retain_graph
    res = _A.grad(outs, ins, gos, keep, create_graph, allow_unused)
    if materialize_grads:
        import pyengine
        res = tuple(pyengine.zeros_like(x) if g is None else g for g, x in zip(res, ins))
    return res


class _VariableMeta(type):
    def __instancecheck__(cls, other: Any) -> bool:
        return isinstance(other, _C.Tensor)


class Variable(metaclass=_VariableMeta):
    """Deprecated: ``Variable(t, requires_grad=...)`` returns a tensor sharing t's data."""

    def __new__(cls, data: Any = None, requires_grad: bool = False, volatile: bool = False):
        import pyengine
        if data is None:
            data = pyengine.empty(0)
        if not isinstance(data, _C.Tensor):
            raise TypeError("Variable data has to be a tensor, but got %s" % type(data).__name__)
        out = data.detach()
        out.requires_grad_(requires_grad)
        return out


from . import forward_ad, functional, profiler  # noqa: E402,F401  (after grad: functional uses it)
from . import anomaly_mode  # noqa: E402,F401
from .anomaly_mode import detect_anomaly, set_detect_anomaly  # noqa: E402,F401
