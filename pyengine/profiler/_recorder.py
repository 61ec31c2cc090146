"""Recording op calls for the profiler.

Events live in the C++ profiler hook (csrc/core/profiler_hook.h, Note [Profiler hook]): one clock, one id
sequence and a per-thread stack of open scopes, so nesting (self vs total time) holds across Python and C++.
Three kinds of scope feed it while a profiler records:
- the Python-visible op entry points (the functions of ``pyengine`` and ``pyengine.nn.functional`` and the
  methods and operators of ``Tensor``): while at least one profiler is registered each is replaced by a wrapper
  that opens a scope named ``aten::<name>`` with its input shapes; the originals are put back when the last one
  stops, so these wrappers cost nothing when profiling is off;
- the autograd engine: ``autograd::engine::evaluate_function: <Node>`` around each backward node and ``<Node>``
  around its formula, as PyTorch names them;
- C++ ops that open a scope themselves (the common ones backward formulas call: aten::mm, aten::t, aten::sum,
  aten::add, aten::mul, ...), so the ops inside a backward node are seen too.
A C++ scope directly inside a Python wrapper of the same name is the same call seen twice and is merged.
"""
from __future__ import annotations

import functools
import inspect
import threading
from typing import Any, Callable

from .. import _C
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
_sessions: list = []          # the profilers recording now
_originals: list[tuple[Any, str, Any]] = []


def _shape_of(x) -> list:
    return list(x.shape) if isinstance(x, Tensor) else []


def _recording() -> list:
    return [s for s in _sessions if s._recording]


def _begin(name: str, args: tuple | None, user: bool = False) -> int | None:
    if not _C._profiler_active() or not _recording():
        return None
    shapes = [_shape_of(a) for a in args] if args is not None else []
    return _C._profiler_begin(name, shapes, user)


def _end(token: int | None) -> None:
    if token is not None:
        _C._profiler_end(token)


def _collect() -> None:
    """Hands the events finished so far to the sessions recording now."""
    raw = _C._profiler_drain()
    for s in _recording():
        s._raw.extend(raw)


def start_window(session) -> None:
    """A session starts recording: turns the C++ hook on (record_shapes if any recording session asks)."""
    with _lock:
        if not _recording():
            _C._profiler_drain()  # events of an earlier window that ended while scopes were open
        session._raw = []
        session._recording = True
        _C._profiler_enable(any(s.record_shapes for s in _recording()))


def stop_window(session) -> list:
    """A session stops recording: returns its raw events; the hook goes off when nobody records."""
    with _lock:
        _collect()
        session._recording = False
        if not _recording():
            _C._profiler_disable()
        raw, session._raw = session._raw, []
        return raw


def build_events(raw: list, base_ns: int, record_shapes: bool) -> list[FunctionEvent]:
    """FunctionEvents (times in us from base_ns) with parents and children from the recorded ids."""
    by_id: dict[int, FunctionEvent] = {}
    parent_of: dict[int, int] = {}
    for id_, name, parent, start_ns, end_ns, thread, user, shapes in raw:
        evt = FunctionEvent(id_, name, thread, (start_ns - base_ns) / 1000.0, (end_ns - base_ns) / 1000.0,
                            input_shapes=(shapes if shapes is not None else []) if record_shapes else None,
                            is_user_annotation=user)
        by_id[id_] = evt
        parent_of[id_] = parent
    # a C++ scope that is the only child of a Python wrapper of the same name is the same call: keep one
    children: dict[int, list[int]] = {}
    for id_, parent in parent_of.items():
        children.setdefault(parent, []).append(id_)
    for id_, evt in list(by_id.items()):
        p = parent_of[id_]
        if p in by_id and by_id[p].name == evt.name and len(children[p]) == 1:
            if evt.input_shapes is not None:  # the C++ scope knows the op's full argument list
                by_id[p].input_shapes = evt.input_shapes
            for c in children.get(id_, []):
                parent_of[c] = p
            del by_id[id_]
    events = sorted(by_id.values(), key=lambda e: (e.start_us, e.id))
    for evt in events:
        p = parent_of[evt.id]
        while p in parent_of and p not in by_id:  # an ancestor outside the window or merged away
            p = parent_of[p]
        if p in by_id:
            evt.cpu_parent = by_id[p]
            by_id[p].cpu_children.append(evt)
    return events


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
