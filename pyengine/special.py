"""torch.special: the special functions (csrc/ops/special_math.h, bessel_math.h; bindings in
csrc/python/special_bindings.cpp) and PyTorch's aliases of torch.* functions under their SciPy-style names.
Every function takes ``out=`` as PyTorch's does."""
from __future__ import annotations

from typing import Optional

from . import _C
from ._C import Tensor
from ._ops_linalg import _write_out

_sp = _C._special

_NATIVE = [
    "i0e", "i1", "i1e", "ndtr", "ndtri", "log_ndtr", "erfcx", "entr", "bessel_j0", "bessel_j1", "bessel_y0",
    "bessel_y1", "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
    "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0", "airy_ai", "xlog1py", "zeta",
    "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
    "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
    "legendre_polynomial_p",
]
globals().update({name: getattr(_sp, name) for name in _NATIVE})

# torch.special.<alias> = torch.<name>, as PyTorch
_ALIASES = {
    "erf": "erf", "erfc": "erfc", "erfinv": "erfinv", "expit": "sigmoid", "exp2": "exp2", "expm1": "expm1",
    "log1p": "log1p", "gammaln": "lgamma", "digamma": "digamma", "psi": "digamma", "i0": "i0",
    "gammainc": "igamma", "gammaincc": "igammac",
}
globals().update({alias: getattr(_C, name) for alias, name in _ALIASES.items()})

__all__ = _NATIVE + list(_ALIASES) + [
    "polygamma", "multigammaln", "round", "sinc", "logit", "xlogy", "softmax", "log_softmax", "logsumexp",
]


def polygamma(n: int, input: Tensor, *, out: Optional[Tensor] = None) -> Tensor:
    return _C.polygamma(n, input, out=out)


def multigammaln(input: Tensor, p: int, *, out: Optional[Tensor] = None) -> Tensor:
    from ._ops_special import mvlgamma
    return mvlgamma(input, p, out=out)


def round(input: Tensor, *, decimals: int = 0, out: Optional[Tensor] = None) -> Tensor:
    return _C.round(input, decimals=decimals, out=out)


def sinc(input: Tensor, *, out: Optional[Tensor] = None) -> Tensor:
    from ._ops_more import sinc as _sinc
    return _write_out(out, _sinc(input), "sinc")


def logit(input: Tensor, eps: Optional[float] = None, *, out: Optional[Tensor] = None) -> Tensor:
    from ._ops_more import logit as _logit
    return _write_out(out, _logit(input, eps), "logit")


def xlogy(input, other, *, out: Optional[Tensor] = None) -> Tensor:
    from ._ops_more import xlogy as _xlogy
    return _write_out(out, _xlogy(input, other), "xlogy")


def softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    from .nn import functional as F
    return F.softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    from .nn import functional as F
    return F.log_softmax(input, dim, dtype=dtype)


def logsumexp(input: Tensor, dim, keepdim: bool = False, *, out: Optional[Tensor] = None) -> Tensor:
    from ._ops_reduce import logsumexp as _logsumexp
    return _logsumexp(input, dim, keepdim, out=out)
