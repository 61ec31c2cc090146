"""Tensor.is_* predicates for devices and layouts pyengine does not have, and the small is_* queries.

Device-portable programs test these before dispatching (the DCGAN example checks
``input.is_cuda or input.is_xpu``); a pyengine tensor is never on an XPU/MPS/XLA/... device and never sparse,
quantized, nested or MKL-DNN, so each is a read-only property that is False, as on a PyTorch CPU tensor.
``is_meta`` is the meta device's own and is not set here.
"""
from __future__ import annotations

import builtins

from . import _C
from ._C import Tensor

# Properties PyTorch has on every tensor that are False for every tensor pyengine can make.
_ALWAYS_FALSE = ("is_xpu", "is_mps", "is_ipu", "is_xla", "is_maia", "is_mtia", "is_vulkan", "is_mkldnn",
                 "is_sparse", "is_sparse_csr", "is_quantized", "is_nested")

_UNSIGNED = (_C.uint8, _C.bool)


def is_signed(input: Tensor) -> builtins.bool:
    """True for the signed dtypes: every floating and signed integer dtype (not uint8, not bool)."""
    return input.dtype not in _UNSIGNED and not str(input.dtype).startswith("torch.uint")


def is_nonzero(input: Tensor) -> builtins.bool:
    """The truth of a one-element tensor; more or fewer elements raise PyTorch's RuntimeError."""
    n = input.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return builtins.bool(input.item() != 0)


def is_same_size(input: Tensor, other: Tensor) -> builtins.bool:
    return tuple(input.shape) == tuple(other.shape)


def _check_tensor(name: str, input) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


def is_conj(input: Tensor) -> builtins.bool:
    """No conjugate views without complex dtypes: False for every tensor."""
    _check_tensor("is_conj", input)
    return False


def is_neg(input: Tensor) -> builtins.bool:
    """No negative-bit views without complex dtypes: False for every tensor."""
    _check_tensor("is_neg", input)
    return False


def is_complex(input: Tensor) -> builtins.bool:
    return input.is_complex()


def install() -> None:
    for name in _ALWAYS_FALSE:
        if not hasattr(Tensor, name):
            setattr(Tensor, name, property(lambda self: False, doc=f"False: pyengine has no such tensors ({name})."))
    for fn in (is_signed, is_nonzero, is_same_size, is_conj, is_neg):
        if not hasattr(Tensor, fn.__name__):
            setattr(Tensor, fn.__name__, fn)


install()
