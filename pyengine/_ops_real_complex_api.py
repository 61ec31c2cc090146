"""The complex-number API (Note [Complex dtypes] in csrc/core/dtype.h): ``real``/``imag`` (views of a complex
tensor's parts), ``conj``/``conj_physical`` (a new tensor: pyengine has no lazy conjugate bit, so ``is_conj`` is
always False and ``resolve_conj`` returns its input), ``angle``, ``isreal``, ``complex``, ``polar``, ``adjoint``,
``H``/``mH``; on real tensors they behave as PyTorch's do there (``real`` and ``conj`` return the tensor itself,
``imag`` raises). (is_conj/is_neg/is_complex are in _tensor_predicates.py.)"""
from __future__ import annotations

import math

from . import _C
from ._C import Tensor

__all__ = ["conj", "conj_physical", "resolve_conj", "resolve_neg", "isreal", "real", "imag", "angle", "adjoint",
           "complex", "polar", "view_as_real", "view_as_complex", "sgn"]

_real_sgn = _C.sgn


def sgn(input: Tensor, *, out=None) -> Tensor:
    """z / |z| for complex z (0 for 0), sign(x) for real x."""
    if not isinstance(input, Tensor) or not input.is_complex():
        return _real_sgn(input, out=out)
    pe = _pe()
    a = input.abs()
    zero = a == 0
    r = pe.where(zero, pe.zeros_like(input), input / pe.where(zero, pe.ones_like(a), a))
    return r if out is None else out.copy_(r)

view_as_real = _C.view_as_real
view_as_complex = _C.view_as_complex


def _pe():
    import pyengine
    return pyengine


def _conj_copy(z: Tensor) -> Tensor:
    """conj(z) as a new contiguous tensor: the imaginary parts negated through the real view."""
    out = z.contiguous().clone() if z.is_contiguous() else z.contiguous()
    _C.view_as_real(out).select(-1, 1).neg_()
    return out


def conj(input: Tensor) -> Tensor:
    return _conj_copy(input) if input.is_complex() else input


def conj_physical(input: Tensor, *, out=None) -> Tensor:
    r = _conj_copy(input) if input.is_complex() else input
    return r if out is None else out.copy_(r)


def _conj_physical_(self: Tensor) -> Tensor:
    if self.is_complex():
        _C.view_as_real(self).select(-1, 1).neg_()
    return self


def resolve_conj(input: Tensor) -> Tensor:
    return input


def resolve_neg(input: Tensor) -> Tensor:
    return input


def isreal(input: Tensor) -> Tensor:
    if input.is_complex():
        return imag(input) == 0
    return _pe().ones_like(input, dtype=_pe().bool)


def real(input: Tensor) -> Tensor:
    return _C.view_as_real(input).select(-1, 0) if input.is_complex() else input


def imag(input: Tensor) -> Tensor:
    if not input.is_complex():
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return _C.view_as_real(input).select(-1, 1)


def _set_real(self: Tensor, value) -> None:
    real(self).copy_(value if isinstance(value, Tensor) else _pe().tensor(value))


def _set_imag(self: Tensor, value) -> None:
    imag(self).copy_(value if isinstance(value, Tensor) else _pe().tensor(value))


def angle(input: Tensor, *, out=None) -> Tensor:
    """arg(z) for complex z; for real x 0 (x >= 0), pi (x < 0) or NaN; integers give the default float dtype."""
    pe = _pe()
    if input.is_complex():
        r = pe.atan2(imag(input), real(input))
        return r if out is None else out.copy_(r)
    x = input if input.is_floating_point() else input.to(pe.get_default_dtype())
    r = pe.where(x < 0, pe.full_like(x, math.pi), pe.zeros_like(x)) + x * 0  # x * 0: NaN stays, grad is 0
    return r if out is None else out.copy_(r)


def complex(real: Tensor, imag: Tensor, *, out=None) -> Tensor:
    """torch.complex: real + i * imag, broadcast, of the complex dtype of the (equal) float dtypes."""
    pe = _pe()
    for name, t in (("real", real), ("imag", imag)):
        if not isinstance(t, Tensor):
            raise TypeError(f"complex(): argument '{name}' must be Tensor, not {type(t).__name__}")
    if real.dtype not in (pe.float32, pe.float64) or imag.dtype not in (pe.float32, pe.float64):
        if real.dtype in (pe.float16,) and imag.dtype is real.dtype:
            raise RuntimeError("complex(): complex32 (chalf) is not supported by pyengine")
        raise RuntimeError("Expected both inputs to be Half, Float or Double tensors but got %s and %s"
                           % (_scalar_name(real.dtype), _scalar_name(imag.dtype)))
    if real.dtype is not imag.dtype:
        raise RuntimeError("Expected object of scalar type %s but got scalar type %s for second argument"
                           % (_scalar_name(real.dtype), _scalar_name(imag.dtype)))
    r, i = pe.broadcast_tensors(real.detach(), imag.detach())
    z = _C.view_as_complex(pe.stack([r, i], -1).contiguous())
    if out is not None and out.dtype is not z.dtype:  # no cast into out (PyTorch)
        raise RuntimeError(f"Expected object of scalar type {_scalar_name(z.dtype)} but got scalar type "
                           f"{_scalar_name(out.dtype)} for argument 'out'")
    return z if out is None else out.copy_(z)


def polar(abs: Tensor, angle: Tensor, *, out=None) -> Tensor:
    """torch.polar: abs * (cos(angle) + i sin(angle))."""
    pe = _pe()
    if isinstance(abs, Tensor) and isinstance(angle, Tensor) and abs.dtype is angle.dtype \
            and abs.dtype in (pe.float32, pe.float64):
        z = complex(abs * pe.cos(angle), abs * pe.sin(angle))
        return z if out is None else out.copy_(z)
    return complex(abs, angle, out=out)  # raises PyTorch's dtype errors


def _scalar_name(dt) -> str:
    return {"float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
            "complex64": "ComplexFloat", "complex128": "ComplexDouble"}[str(dt)[len("torch."):]]


def adjoint(input: Tensor) -> Tensor:
    if input.dim() < 2:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of matrices. Got 1-D tensor.")
    return conj(input.transpose(-2, -1))


def _h(self: Tensor) -> Tensor:
    if self.dim() not in (0, 2):
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self.dim()}-D tensor."
                           + (" For batches of matrices, consider using tensor.mH" if self.dim() > 2 else ""))
    return conj(self.t() if self.dim() == 2 else self)


def _mh(self: Tensor) -> Tensor:
    if self.dim() < 2:
        raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. Got {self.dim()}-D "
                           "tensor.")
    return conj(self.transpose(-2, -1))


def _install() -> None:
    methods = {"conj": conj, "conj_physical": conj_physical, "resolve_conj": resolve_conj,
               "resolve_neg": resolve_neg, "isreal": isreal, "angle": angle, "adjoint": adjoint,
               "conj_physical_": _conj_physical_, "sgn": sgn}
    for name, fn in methods.items():
        setattr(Tensor, name, fn)
    Tensor.real = property(real, _set_real)
    Tensor.imag = property(imag, _set_imag)
    for name, fn in (("H", _h), ("mH", _mh)):
        setattr(Tensor, name, property(fn))


_install()
