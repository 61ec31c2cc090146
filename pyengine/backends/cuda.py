"""torch.backends.cuda: ``is_built()`` follows pyengine.cuda (compiled in or not); ``matmul.allow_tf32`` (default
False, as PyTorch) makes float32 matmuls on CUDA round their inputs to TF32 on the tensor cores; the
reduced-precision flags are kept with PyTorch's defaults (float16/bfloat16 products accumulate in float32, which
satisfies either setting)."""
from __future__ import annotations

__all__ = ["is_built", "matmul", "preferred_linalg_library", "flash_sdp_enabled", "math_sdp_enabled",
           "mem_efficient_sdp_enabled", "enable_flash_sdp", "enable_math_sdp", "enable_mem_efficient_sdp"]


def is_built() -> bool:
    from .. import cuda
    return cuda.is_compiled()


class _MatmulFlags:
    """torch.backends.cuda.matmul: attribute flags, as in PyTorch (allow_tf32 mirrors
    torch.set_float32_matmul_precision: 'highest' <-> False)."""

    def __init__(self) -> None:
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True
        self.allow_fp16_accumulation = False

    @property
    def allow_tf32(self) -> bool:
        from . import _precision
        return _precision.get_float32_matmul_precision() != "highest"

    @allow_tf32.setter
    def allow_tf32(self, value: bool) -> None:
        from . import _precision
        _precision.set_float32_matmul_precision("high" if value else "highest")

    def __repr__(self) -> str:
        return f"<torch.backends.cuda.matmul flags: allow_tf32={self.allow_tf32}>"


matmul = _MatmulFlags()

_sdp = {"flash": True, "mem_efficient": True, "math": True}


def preferred_linalg_library(backend=None) -> str:
    """pyengine's linear algebra is its own (no cuSOLVER/MAGMA choice): 'default' is the only library."""
    if backend not in (None, "default"):
        raise ValueError(f"pyengine has one linear-algebra library ('default'); got {backend!r}")
    return "default"


def flash_sdp_enabled() -> bool:
    return _sdp["flash"]


def mem_efficient_sdp_enabled() -> bool:
    return _sdp["mem_efficient"]


def math_sdp_enabled() -> bool:
    return _sdp["math"]


def enable_flash_sdp(enabled: bool) -> None:
    _sdp["flash"] = bool(enabled)


def enable_mem_efficient_sdp(enabled: bool) -> None:
    _sdp["mem_efficient"] = bool(enabled)


def enable_math_sdp(enabled: bool) -> None:
    _sdp["math"] = bool(enabled)
