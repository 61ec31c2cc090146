"""Tensor.is_* predicates for devices and layouts pyengine does not have, and the small is_* queries.

Device-portable programs test these before dispatching (the DCGAN example checks
``input.is_cuda or input.is_xpu``); a pyengine tensor is never on an XPU/MPS/XLA/... device and never sparse,
quantized, nested or MKL-DNN, so each is a read-only property that is False, as on a PyTorch CPU tensor. Also
the Tensor-method forms of is_signed/is_nonzero/is_same_size, and torch.is_conj/is_neg/is_complex.
``is_meta`` is the meta device's own and is not set here.
"""
from __future__ import annotations

import builtins

from ._C import Tensor

# Properties PyTorch has on every tensor that are False for every tensor pyengine can make.
_ALWAYS_FALSE = ("is_xpu", "is_mps", "is_ipu", "is_xla", "is_maia", "is_mtia", "is_vulkan", "is_mkldnn",
                 "is_sparse", "is_sparse_csr", "is_quantized", "is_nested")

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
    # torch.is_signed / is_nonzero / is_same_size live in _ops_tensor_forms; these are their Tensor-method forms.
    from ._ops_tensor_forms import is_nonzero, is_same_size, is_signed
    for name in _ALWAYS_FALSE:
        if not hasattr(Tensor, name):
            setattr(Tensor, name, property(lambda self: False, doc=f"False: pyengine has no such tensors ({name})."))
    for fn in (is_signed, is_nonzero, is_same_size, is_conj, is_neg):
        if not hasattr(Tensor, fn.__name__):
            setattr(Tensor, fn.__name__, fn)

install()
