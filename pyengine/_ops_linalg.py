"""Function forms of the linear algebra ops (torch.mm, torch.addmm, torch.svd, ...): thin wrappers
over pyengine._C that add ``out=`` and the named tuples (``torch.return_types.slogdet``/``svd``), and
the Tensor methods that return them. ``torch.linalg`` lives in pyengine/linalg.py.
"""
from __future__ import annotations

import collections

from . import _C
from ._C import Tensor

__all__ = [
    "addbmm",
    "addmm",
    "addmv",
    "addr",
    "baddbmm",
    "bmm",
    "cross",
    "det",
    "diag",
    "dot",
    "ger",
    "inverse",
    "logdet",
    "matmul",
    "mm",
    "mv",
    "outer",
    "slogdet",
    "svd",
    "trace",
    "tril",
    "triu",
    "vdot",
]

def _write_out(out: Tensor | None, result: Tensor, name: str = "") -> Tensor:
    """PyTorch's out= contract (Note [out= arguments], csrc/ops/out.h): same dtype as the result,
    resized to the result's shape; refused when the result would need a gradient."""
    if out is None:
        return result
    return _C._write_out(out, result, "same", name)


def _with_out(fn, name: str):
    def f(*args, out: Tensor | None = None, **kwargs) -> Tensor:
        return _write_out(out, fn(*args, **kwargs), name)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = fn.__doc__
    return f


mm = _with_out(_C.mm, "mm")
bmm = _with_out(_C.bmm, "bmm")
matmul = _with_out(_C.matmul, "matmul")
mv = _with_out(_C.mv, "mv")
dot = _with_out(_C.dot, "dot")
vdot = _with_out(_C.vdot, "vdot")
outer = _with_out(_C.outer, "outer")
ger = _with_out(_C.outer, "ger")
addmm = _with_out(_C.addmm, "addmm")
addbmm = _with_out(_C.addbmm, "addbmm")
baddbmm = _with_out(_C.baddbmm, "baddbmm")
addmv = _with_out(_C.addmv, "addmv")
addr = _with_out(_C.addr, "addr")
trace = _C.trace
logdet = _C.logdet
diag = _with_out(_C.diag, "diag")
tril = _with_out(_C.tril, "tril")
triu = _with_out(_C.triu, "triu")
cross = _with_out(_C.cross, "cross")
inverse = _with_out(_C._linalg_inv, "inverse")


def det(input: Tensor) -> Tensor:
    return _C._linalg_det(input)


# ---- named tuples (torch.return_types.*) ----

def _return_type(name: str, fields):
    base = collections.namedtuple(name, fields)

    def __repr__(self) -> str:
        body = ",\n".join(f"{f}={getattr(self, f)!r}" for f in fields)
        return f"torch.return_types.{name}(\n{body})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__module__": "pyengine.return_types"})


_slogdet_t = _return_type("slogdet", ["sign", "logabsdet"])
_linalg_slogdet_t = _return_type("linalg_slogdet", ["sign", "logabsdet"])
_svd_t = _return_type("svd", ["U", "S", "V"])
_linalg_svd_t = _return_type("linalg_svd", ["U", "S", "Vh"])


def _write_outs(out, results, name: str = ""):
    if out is None:
        return results
    if len(out) != len(results):
        raise TypeError(f"out must be a tuple of {len(results)} tensors")
    for o, r in zip(out, results):
        _write_out(o, r, name)
    return type(results)(*out)


def slogdet(input: Tensor):
    """(sign, logabsdet) of square matrices; sign is 0 and logabsdet -inf for singular ones."""
    return _slogdet_t(*_C._linalg_slogdet(input))


def svd(input: Tensor, some: bool = True, compute_uv: bool = True, *, out=None):
    """torch.svd: (U, S, V) with A = U diag(S) V^T (V, not V^T); some=True gives the reduced factors."""
    return _write_outs(out, _svd_t(*_C._svd(input, some, compute_uv)), "svd")


def _slogdet_method(self: Tensor):
    return slogdet(self)


def _svd_method(self: Tensor, some: bool = True, compute_uv: bool = True):
    return svd(self, some, compute_uv)


Tensor.slogdet = _slogdet_method
Tensor.svd = _svd_method

# torch.linalg as pyengine.linalg (importing the submodule sets the package attribute).
from . import linalg as _linalg  # noqa: F401
