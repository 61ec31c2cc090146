"""Recording op calls for the profiler.

pyengine's C++ dispatcher has no observer hook, so the profiler instruments the Python-visible op entry points
instead: the functions of ``pyengine`` and ``pyengine.nn.functional`` and the methods (and arithmetic operators)
of ``Tensor``. While at least one profiler records, each of those attributes is replaced by a wrapper that times
the call and records it as ``aten::<name>`` with its input shapes; when the last one stops, the original
attributes are put back, so profiling costs nothing when it is off. Ops that one of these calls runs inside C++
(and the backward pass, which the C++ engine runs) are not seen separately: their time is part of the
enclosing call's (or record_function's) self time.
"""
from __future__ import annotations

import functools
import inspect
import threading
import time
from typing import Any, Callable

from .._C import Tensor
from ._events import FunctionEvent

# operators -> the aten name PyTorch's profiler shows
_DUNDERS = {
    "__add__": "add", "__radd__": "add", "__iadd__": "add_", "__sub__": "sub", "__rsub__": "rsub",
    "__isub__": "sub_", "__mul__": "mul", "__rmul__": "mul", "__imul__": "mul_", "__truediv__": "div",
    "__rtruediv__": "div", "__itruediv__": "div_", "__floordiv__": "floor_divide", "__mod__": "remainder",
    "__pow__": "pow", "__rpow__": "pow", "__matmul__": "matmul", "__rmatmul__": "matmul", "__neg__": "neg",
    "__abs__": "abs", "__eq__": "eq", "__ne__": "ne", "__lt__": "lt", "__le__": "le", "__gt__": "gt",
    "__ge__": "ge", "__and__": "bitwise_and", "__or__": "bitwise_or", "__xor__": "bitwise_xor",
    "__invert__": "bitwise_not",
}
# PyTorch's name where the op's Python name differs
_RENAMES = {"cross_entropy": "cross_entropy_loss"}
# metadata accessors and plumbing: not ops
_SKIP = {
    "dim", "ndimension", "size", "numel", "nelement", "stride", "storage_offset", "is_contiguous", "data_ptr",
    "element_size", "tolist", "numpy", "requires_grad_", "register_hook", "retain_grad", "backward", "storage",
    "untyped_storage", "is_floating_point", "is_complex", "get_device", "type", "dim_order", "is_set_to",
    "manual_seed", "initial_seed", "seed", "compile", "load", "save", "vmap", "promote_types", "can_cast",
    "result_type", "typename", "is_tensor", "is_storage", "numel", "from_numpy", "as_tensor_", "get_default_dtype",
    "set_default_dtype", "set_printoptions", "get_printoptions", "use_deterministic_algorithms", "share_memory_",
    "is_shared", "pin_memory", "is_pinned", "apply_", "map_", "cpu", "cuda", "to", "float", "double", "half",
    "long", "int", "bool", "byte", "char", "short", "bfloat16", "new_tensor", "detach", "detach_",
}

_lock = threading.Lock()
_local = threading.local()
_sessions: list = []          # the profilers recording now
_originals: list[tuple[Any, str, Any]] = []
_next_id = [0]


def _shape_of(x) -> list:
    return list(x.shape) if isinstance(x, Tensor) else []


def _begin(name: str, args: tuple | None, user: bool = False) -> tuple | None:
    sessions = [s for s in _sessions if s._recording]
    if not sessions:
        return None
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    _next_id[0] += 1
    record_shapes = any(s.record_shapes for s in sessions)
    shapes = [_shape_of(a) for a in args] if (record_shapes and args is not None) else ([] if record_shapes else None)
    evt = FunctionEvent(_next_id[0], name, threading.get_ident(), 0.0, input_shapes=shapes,
                        is_user_annotation=user)
    evt._start_ns = time.perf_counter_ns()
    if stack:
        evt.cpu_parent = stack[-1]
    stack.append(evt)
    return evt, sessions


def _end(token) -> None:
    if token is None:
        return
    evt, sessions = token
    end_ns = time.perf_counter_ns()
    stack = _local.stack
    if stack and stack[-1] is evt:
        stack.pop()
    if evt.cpu_parent is not None:
        evt.cpu_parent.cpu_children.append(evt)
    for s in sessions:
        s._add(evt, evt._start_ns, end_ns)


def _wrap(fn: Callable, name: str) -> Callable:
    aten = "aten::" + _RENAMES.get(name, name)

    @functools.wraps(fn)
    def recorded(*args, **kwargs):
        token = _begin(aten, args)
        try:
            return fn(*args, **kwargs)
        finally:
            _end(token)
    recorded._pe_profiled = True
    return recorded


def _targets():
    import pyengine
    from ..nn import functional as F
    for module in (pyengine, F):
        for name, obj in list(vars(module).items()):
            if name.startswith("_") or name in _SKIP or name.startswith(("set_", "get_", "is_")):
                continue
            if inspect.isclass(obj) or inspect.ismodule(obj) or not callable(obj):
                continue
            if not (inspect.isbuiltin(obj) or inspect.isfunction(obj)):
                continue
            yield module, name, obj, name
    for name, obj in list(vars(Tensor).items()):
        if name in _DUNDERS:
            yield Tensor, name, obj, _DUNDERS[name]
            continue
        if name.startswith("_") or name in _SKIP or name.startswith("is_"):
            continue
        if isinstance(obj, (property, staticmethod, classmethod)) or not callable(obj):
            continue
        yield Tensor, name, obj, name


def _install() -> None:
    for owner, name, obj, op in _targets():
        if getattr(obj, "_pe_profiled", False):
            continue
        try:
            setattr(owner, name, _wrap(obj, op))
        except (AttributeError, TypeError):
            continue
        _originals.append((owner, name, obj))


def _uninstall() -> None:
    while _originals:
        owner, name, obj = _originals.pop()
        setattr(owner, name, obj)


def register(session) -> None:
    with _lock:
        if not _sessions:
            _install()
        _sessions.append(session)


def unregister(session) -> None:
    with _lock:
        if session in _sessions:
            _sessions.remove(session)
        if not _sessions:
            _uninstall()
