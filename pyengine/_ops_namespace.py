"""``torch.ops.aten``: ATen's operators by name, for code (and op_db) that calls them as
``torch.ops.aten.max_pool2d_with_indices_backward.default(...)``. Each name resolves to pyengine's function of
the same name (torch.<name>, then torch.nn.functional.<name>, torch.linalg.<name>, torch.special.<name>);
an overload (``.default``, ``.Tensor``, ...) is the same function, whose Python signature takes every form.
Names pyengine lacks raise AttributeError, as an unknown operator does in PyTorch. Custom operator
libraries (torch.library, load_library) are not part of this namespace."""
from __future__ import annotations

from typing import Callable


def _pe():
    import pyengine
    return pyengine


class OpOverload:
    """One overload of an operator: calling it calls the operator."""

    def __init__(self, packet: "OpOverloadPacket", overload: str) -> None:
        self._packet = packet
        self._overloadname = overload
        self.__name__ = f"{packet.__name__}.{overload}"

    def __call__(self, *args, **kwargs):
        return self._packet._fn(*args, **kwargs)

    @property
    def overloadpacket(self) -> "OpOverloadPacket":
        return self._packet

    def __repr__(self) -> str:
        return f"<OpOverload(op='aten.{self._packet.__name__}', overload='{self._overloadname}')>"


class OpOverloadPacket:
    """An operator with all its overloads (``packet.default``, ``packet.Tensor``, ...)."""

    def __init__(self, name: str, fn: Callable) -> None:
        self.__name__ = name
        self._fn = fn

    def __call__(self, *args, **kwargs):
        return self._fn(*args, **kwargs)

    def __getattr__(self, overload: str) -> OpOverload:
        if overload.startswith("__"):
            raise AttributeError(overload)
        return OpOverload(self, overload)

    def __repr__(self) -> str:
        return f"<OpOverloadPacket(op='aten.{self.__name__}')>"


class _AtenNamespace:
    def __getattr__(self, name: str) -> OpOverloadPacket:
        pe = _pe()
        if not name.startswith("__"):
            from . import _ops_aten_internals
            aten_only = getattr(_ops_aten_internals, "_aten_" + name, None)  # aten::slice: no torch.slice
            if aten_only is not None:
                packet = OpOverloadPacket(name, aten_only)
                setattr(self, name, packet)
                return packet
            for owner in (pe, pe.nn.functional, pe.linalg, pe.special):
                fn = getattr(owner, name, None)
                if callable(fn) and not isinstance(fn, type):
                    packet = OpOverloadPacket(name, fn)
                    setattr(self, name, packet)
                    return packet
        raise AttributeError(f"'_OpNamespace' 'aten' object has no attribute '{name}'")


class _Ops:
    def __init__(self) -> None:
        self.aten = _AtenNamespace()


ops = _Ops()
