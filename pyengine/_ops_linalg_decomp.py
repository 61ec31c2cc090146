"""The torch.* and Tensor forms of the decompositions and matrix functions of torch.linalg
(_linalg_decomp.py, _linalg_more.py): torch.cholesky, cholesky_solve, qr, lu, lu_unpack,
triangular_solve, geqrf, orgqr, matrix_exp, matrix_power, pinverse, ...
"""
from __future__ import annotations

from ._C import Tensor
from ._linalg_decomp import (
    cholesky_inverse,
    cholesky_legacy as cholesky,
    cholesky_solve,
    geqrf,
    householder_product as orgqr,
    lu_legacy as lu,
    lu_solve_legacy as lu_solve,
    lu_unpack,
    ormqr,
    qr_legacy as qr,
    triangular_solve,
)
from ._linalg_more import matrix_exp, matrix_power, pinverse

__all__ = ["cholesky", "cholesky_inverse", "cholesky_solve", "geqrf", "lu", "lu_solve", "lu_unpack", "matrix_exp",
           "matrix_power", "orgqr", "ormqr", "pinverse", "qr", "triangular_solve"]


def _method(fn, name: str):
    def m(self: Tensor, *args, **kwargs):
        return fn(self, *args, **kwargs)
    m.__name__ = m.__qualname__ = name
    m.__doc__ = fn.__doc__
    return m


for _name in ("cholesky", "cholesky_inverse", "cholesky_solve", "geqrf", "lu", "lu_solve", "matrix_exp",
              "matrix_power", "orgqr", "ormqr", "pinverse", "qr", "triangular_solve"):
    setattr(Tensor, _name, _method(globals()[_name], _name))
del _name
