"""The complex-number API as it behaves on real tensors (pyengine has no complex dtypes yet): ``conj``,
``resolve_conj``/``resolve_neg`` and ``real`` return the tensor itself, ``imag`` raises as PyTorch does for a real
tensor, ``angle`` is 0 or pi (NaN kept), ``isreal`` is all True, ``adjoint``/``H``/``mH`` are transposes.
(is_conj/is_neg/is_complex are in _tensor_predicates.py.)"""
from __future__ import annotations

import math

from ._C import Tensor

__all__ = ["conj", "conj_physical", "resolve_conj", "resolve_neg", "isreal",
           "real", "imag", "angle", "adjoint"]


def _pe():
    import pyengine
    return pyengine


def conj(input: Tensor) -> Tensor:
    return input


def conj_physical(input: Tensor, *, out=None) -> Tensor:
    return input if out is None else out.copy_(input)


def resolve_conj(input: Tensor) -> Tensor:
    return input


def resolve_neg(input: Tensor) -> Tensor:
    return input


def isreal(input: Tensor) -> Tensor:
    return _pe().ones_like(input, dtype=_pe().bool)


def real(input: Tensor) -> Tensor:
    return input


def imag(input: Tensor) -> Tensor:
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


def angle(input: Tensor, *, out=None) -> Tensor:
    """0 for x >= 0, pi for x < 0, NaN for NaN; integer inputs give the default float dtype."""
    pe = _pe()
    x = input if input.is_floating_point() else input.to(pe.get_default_dtype())
    r = pe.where(x < 0, pe.full_like(x, math.pi), pe.zeros_like(x)) + x * 0  # x * 0: NaN stays, grad is 0
    return r if out is None else out.copy_(r)


def adjoint(input: Tensor) -> Tensor:
    if input.dim() < 2:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of matrices. Got 1-D tensor.")
    return input.transpose(-2, -1)


def _h(self: Tensor) -> Tensor:
    if self.dim() not in (0, 2):
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self.dim()}-D tensor."
                           + (" For batches of matrices, consider using tensor.mH" if self.dim() > 2 else ""))
    return self.t() if self.dim() == 2 else self


def _mh(self: Tensor) -> Tensor:
    if self.dim() < 2:
        raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. Got {self.dim()}-D "
                           "tensor.")
    return self.transpose(-2, -1)


def _install() -> None:
    methods = {"conj": conj, "conj_physical": conj_physical, "resolve_conj": resolve_conj,
               "resolve_neg": resolve_neg,
               "isreal": isreal, "angle": angle, "adjoint": adjoint,
               "conj_physical_": lambda self: self}
    for name, fn in methods.items():
        if not hasattr(Tensor, name):
            setattr(Tensor, name, fn)
    for name, fn in (("real", real), ("imag", imag), ("H", _h), ("mH", _mh)):
        if not hasattr(Tensor, name):
            setattr(Tensor, name, property(fn))


_install()
