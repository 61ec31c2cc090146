"""torch.autograd.forward_ad — forward-mode AD (dual tensors) on pyengine's reverse-mode engine.

pyengine has no forward-mode formulas. Note [Forward AD by double backward]: ``make_dual(x, t)`` returns a
graph input ``p`` (a view of ``x`` that requires grad) and the open dual level remembers its tangent ``t``.
Everything computed from duals records the reverse-mode graph back to them, and ``unpack_dual(y)`` computes the
tangent J t by the double-backward trick: with ``u`` a zero cotangent that requires grad, ``g(u) = sum_i J_i^T u``
is linear in ``u``, and its derivative against the tangents ``t_i`` is ``sum_i J_i t_i``. The values equal
PyTorch's forward AD for every op with a double backward; an op without one raises its own "not implemented"
error. Two backward passes per ``unpack_dual`` are the price.

What this design cannot do, refused rather than answered wrongly: code that runs on duals with grad disabled
(``no_grad``, ``inference_mode``) records no graph, so once grad was disabled inside a dual level that holds
duals, ``unpack_dual`` of a non-dual tensor raises. Only one level at a time (PyTorch's own limit too).
"""
from __future__ import annotations

from typing import Any, NamedTuple, Optional

import pyengine

from . import grad_mode

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual", "dual_level"]


class UnpackedDualTensor(NamedTuple):
    """What :func:`unpack_dual` returns: the primal (a view of the dual) and its tangent (or None)."""

    primal: Any
    tangent: Any


class _Level:
    def __init__(self, index: int) -> None:
        self.index = index
        self.duals: list[tuple[Any, Any]] = []  # (graph input p, tangent)
        self.grad_was_disabled = False
        self.tracked = False  # some primal required grad: primals keep their reverse-mode history


_current: list[_Level] = []


def _on_grad_disabled() -> None:
    if _current and _current[0].duals:
        _current[0].grad_was_disabled = True


def enter_dual_level() -> int:
    """Open a new forward-AD level and return its index (only one level may be open, as in PyTorch)."""
    if _current:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _current.append(_Level(0))
    grad_mode._dual_level_watch[:] = [_on_grad_disabled]
    return 0


def exit_dual_level(*, level: Optional[int] = None) -> None:
    """Close the current level: every dual made in it loses its tangent."""
    if not _current:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. This is "
                           "not supported.")
    if level is not None and level != _current[0].index:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. This is "
                           "not supported.")
    _current.clear()
    grad_mode._dual_level_watch[:] = []


def _level(level: Optional[int]) -> Optional[_Level]:
    if not _current or (level is not None and level != _current[0].index):
        return None
    return _current[0]


def make_dual(tensor, tangent, *, level: Optional[int] = None):
    """A dual tensor: ``tensor``'s values (a view of it) carrying ``tangent`` as its forward gradient."""
    lvl = _level(level)
    if lvl is None:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    if not (tensor.is_floating_point() or tensor.is_complex()):
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not (tangent.is_floating_point() or tangent.is_complex()):
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                           "Tensor, this is not supported. Tensor is of size "
                           f"{list(tensor.shape)} while the given forward gradient is of size {list(tangent.shape)}.")
    if tangent.device != tensor.device:
        raise RuntimeError(f"Trying to set a forward gradient that is on a different device ({tangent.device}) "
                           f"than the original Tensor ({tensor.device}), this is not supported.")
    with grad_mode.enable_grad():
        if tensor.requires_grad:
            lvl.tracked = True
            dual = tensor.view_as(tensor)
        else:
            dual = tensor.detach().view_as(tensor).requires_grad_(True)
    lvl.duals.append((dual, tangent))
    return dual


def _dual_tangent(lvl: _Level, tensor) -> Any:
    for p, t in lvl.duals:
        if p is tensor:
            return t
    return None


def unpack_dual(tensor, *, level: Optional[int] = None) -> UnpackedDualTensor:
    """(primal, tangent) of ``tensor``; the tangent is None when ``tensor`` does not depend on any dual."""
    lvl = _level(level)
    if lvl is None or not lvl.duals:
        return UnpackedDualTensor(tensor.detach() if not tensor.requires_grad else tensor.view_as(tensor), None)
    primal = tensor if lvl.tracked else tensor.detach()
    own = _dual_tangent(lvl, tensor)
    if own is not None:
        return UnpackedDualTensor(primal, own)
    if lvl.grad_was_disabled:
        raise RuntimeError("pyengine computes forward-mode tangents on its reverse-mode graph (Note [Forward AD by "
                           "double backward]): code ran with grad disabled (no_grad/inference_mode) while dual "
                           "tensors were alive, so tangents computed there are unknown. Keep grad enabled inside "
                           "the dual level.")
    if not tensor.requires_grad or not (tensor.is_floating_point() or tensor.is_complex()):
        return UnpackedDualTensor(primal, None)
    inputs = [p for p, _ in lvl.duals]
    with grad_mode.enable_grad():
        u = pyengine.zeros_like(tensor).requires_grad_(True)
        back = pyengine.autograd.grad([tensor], inputs, [u], retain_graph=True, create_graph=True,
                                      allow_unused=True)
        pairs = [(b, t) for b, (_, t) in zip(back, lvl.duals) if b is not None and b.requires_grad]
        if not pairs:
            if any(b is not None for b in back):  # depends on a dual, with a derivative that is constant zero
                return UnpackedDualTensor(primal, pyengine.zeros_like(tensor))
            return UnpackedDualTensor(primal, None)
        (jv,) = pyengine.autograd.grad([b for b, _ in pairs], [u], [t.to(b.dtype) for b, t in pairs],
                                       allow_unused=True)
    return UnpackedDualTensor(primal, pyengine.zeros_like(tensor) if jv is None else jv)


class dual_level:
    """Context manager for one forward-AD level: ``with dual_level(): ...``; duals lose their tangents on exit."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: Any) -> None:
        exit_dual_level()

    def __call__(self, func):
        import functools

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with dual_level():
                return func(*args, **kwargs)
        return wrapper
