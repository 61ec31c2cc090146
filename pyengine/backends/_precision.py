"""torch.set_float32_matmul_precision / get_float32_matmul_precision (one setting with
torch.backends.cuda.matmul.allow_tf32, as in PyTorch). 'high' and 'medium' let float32 matmuls on CUDA run on the
tensor cores with TF32 inputs (Note [CUDA tensor-core GEMM]; PyTorch's CUDA matmuls use TF32 for both, having no
bfloat16 path for float32 there); 'highest' keeps full float32. CPU matmuls are full float32 under every setting,
as PyTorch's."""
from __future__ import annotations

import warnings

from .. import _C

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
    _C._set_matmul_allow_tf32(precision != "highest")
