"""The torch.* functions of the special-function family: lgamma, digamma, polygamma, mvlgamma, erfinv, i0,
igamma/igammac, nextafter, gcd/lcm (C++ functions of ``_C``, csrc/python/special_bindings.cpp) and the
compositions frexp's named pair, ldexp and mvlgamma, with their Tensor methods. torch.special itself is
pyengine/special.py."""
from __future__ import annotations

import math
from typing import Optional

from . import _C
from ._C import Tensor
from ._ops_linalg import _return_type, _write_out, _write_outs

_FROM_C = ["lgamma", "digamma", "polygamma", "erfinv", "i0", "igamma", "igammac", "nextafter", "gcd", "lcm"]
_INPLACE = ["lgamma_", "digamma_", "erfinv_", "i0_"]

__all__ = _FROM_C + _INPLACE + ["frexp", "ldexp", "mvlgamma"]
globals().update({name: getattr(_C, name) for name in _FROM_C + _INPLACE})

_frexp_t = _return_type("frexp", ["mantissa", "exponent"])


def frexp(input: Tensor, *, out=None):
    """(mantissa, exponent) with input = mantissa * 2**exponent, |mantissa| in [0.5, 1), int32 exponent."""
    return _write_outs(out, _frexp_t(*_C._frexp(input)), "frexp")


def ldexp(input: Tensor, other: Tensor, *, out: Optional[Tensor] = None) -> Tensor:
    """input * 2**other, in floating point (integers promote), as PyTorch composes it."""
    for pos, (name, v) in enumerate((("input", input), ("other", other)), 1):
        if not isinstance(v, Tensor):
            raise TypeError(f"ldexp(): argument '{name}' (position {pos}) must be Tensor, not {type(v).__name__}")
    return _write_out(out, _C.mul(input, _C.pow(2.0, other)), "ldexp")


def mvlgamma(input: Tensor, p: int, *, out: Optional[Tensor] = None) -> Tensor:
    """The multivariate log-gamma of dimension p: sum_j lgamma(x - j/2) + p(p-1)/4 ln(pi)."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = input if input.is_floating_point() else input.to(_C.get_default_dtype())
    if bool((x <= (p - 1) / 2).any()):
        raise RuntimeError("All elements must be greater than (p-1)/2")
    r = _C.lgamma(x)
    for j in range(1, p):
        r = r + _C.lgamma(x - j / 2)
    return _write_out(out, r + p * (p - 1) / 4 * math.log(math.pi), "mvlgamma")


def _install_methods() -> None:
    from ._ops_more import _write_inplace

    def inplace_of(fn):
        def method(self, *args, **kwargs):
            return _write_inplace(self, fn(self, *args, **kwargs))
        method.__name__ = fn.__name__ + "_"
        return method

    Tensor.frexp = lambda self: frexp(self)
    Tensor.ldexp = lambda self, other: ldexp(self, other)
    Tensor.mvlgamma = lambda self, p: mvlgamma(self, p)
    Tensor.ldexp_ = inplace_of(ldexp)
    Tensor.mvlgamma_ = inplace_of(mvlgamma)


_install_methods()
