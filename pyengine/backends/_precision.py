"""torch.set_float32_matmul_precision / get_float32_matmul_precision. pyengine computes float32 matmuls in full
float32 whatever the setting ('high' and 'medium' permit less precision; they do not require it)."""
from __future__ import annotations

import warnings

_precision = "highest"


def get_float32_matmul_precision() -> str:
    return _precision


def set_float32_matmul_precision(precision: str) -> None:
    global _precision
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _precision = precision
