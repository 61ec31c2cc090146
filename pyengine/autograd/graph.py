"""Autograd graph nodes as Python objects. Every built-in node is shown as an instance of a class
named after it (``MulBackward0``, ``AccumulateGrad``), as PyTorch does; the same object comes back
while it is alive, so ``y.grad_fn is y.grad_fn``."""
from __future__ import annotations

import weakref
from typing import Any, Callable, Dict

from .. import _C

__all__ = ["Node"]


class Node:
    """Base of every grad_fn: name(), next_functions, register_hook, register_prehook, metadata."""

    __slots__ = ("_cdata", "_metadata", "__weakref__", "__dict__")

    def name(self) -> str:
        return self._cdata.name()

    @property
    def next_functions(self) -> tuple:
        return self._cdata.next_functions()

    @property
    def metadata(self) -> dict:
        md = getattr(self, "_metadata", None)
        if md is None:
            md = self._metadata = {}
        return md

    def register_hook(self, fn: Callable):
        """fn(grad_inputs, grad_outputs) after the node ran; may return replacement grad_inputs."""
        return self._cdata.register_hook(fn)

    def register_prehook(self, fn: Callable):
        """fn(grad_outputs) before the node runs; may return replacement grad_outputs."""
        return self._cdata.register_prehook(fn)

    def _sequence_nr(self) -> int:
        return self._cdata.sequence_nr()

    def __repr__(self) -> str:
        return "<%s object at %#x>" % (type(self).__name__, id(self))


class _AccumulateGradBase(Node):
    __slots__ = ()

    @property
    def variable(self):
        return self._cdata.variable()


_classes: Dict[str, type] = {}
_live: "weakref.WeakValueDictionary[int, Node]" = weakref.WeakValueDictionary()


def _node_class(name: str) -> type:
    cls = _classes.get(name)
    if cls is None:
        short = name.rsplit("::", 1)[-1]
        base = _AccumulateGradBase if short == "AccumulateGrad" else Node
        cls = type(short, (base,), {"__slots__": (), "__module__": __name__})
        _classes[name] = cls
    return cls


def _wrap_node(ref: Any) -> Node:
    key = ref.id()
    obj = _live.get(key)
    if obj is not None:
        return obj
    obj = object.__new__(_node_class(ref.name()))
    obj._cdata = ref
    _live[key] = obj
    return obj
