"""torch.<name> forms of Tensor methods (``torch.swapaxes(t, 0, 1)``, ``torch.zero_(t)``, ...), the tensor
predicates (is_same_size, is_signed, is_nonzero, is_inference, is_storage), typename and result_type."""
from __future__ import annotations

import builtins

from ._C import Tensor

__all__ = ["as_strided", "detach", "detach_", "fill", "fill_", "zero_", "swapaxes", "swapdims", "unflatten",
           "index_put", "index_put_", "is_inference", "get_device", "is_same_size", "is_signed", "is_nonzero",
           "is_storage", "typename", "result_type", "deg2rad_", "rad2deg_", "gcd_", "lcm_", "ldexp_", "logit_",
           "sinc_", "xlogy_", "negative_", "addmv_", "resize_as_"]


def _pe():
    import pyengine
    return pyengine


def _method_form(name: str):
    def op(input: Tensor, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)
    op.__name__ = name
    op.__doc__ = f"torch.{name}(input, ...): the same as input.{name}(...)."
    return op


for _name in ("as_strided", "detach", "detach_", "fill_", "zero_", "swapaxes", "swapdims", "unflatten",
              "index_put_", "is_inference", "get_device", "deg2rad_", "rad2deg_", "gcd_", "lcm_", "ldexp_",
              "logit_", "sinc_", "xlogy_", "negative_", "addmv_", "resize_as_"):
    globals()[_name] = _method_form(_name)


def fill(input: Tensor, value) -> Tensor:
    """A new tensor like input, every element value (a number or a 0-d tensor, whose gradient is the sum)."""
    pe = _pe()
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"fill only supports 0-dimension value tensor but got tensor with {value.dim()} "
                               f"dimensions.")
        return (pe.zeros_like(input) + value).to(input.dtype)
    return pe.full_like(input, value)


def index_put(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    return input.clone().index_put_(indices, values, accumulate)


def is_same_size(input: Tensor, other: Tensor) -> bool:
    return tuple(input.shape) == tuple(other.shape)


def is_signed(input: Tensor) -> bool:
    return input.dtype.is_signed


def is_nonzero(input: Tensor) -> bool:
    if input.numel() == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if input.numel() > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return builtins.bool(input.item() != 0)


def is_storage(obj) -> bool:
    from .storage import TypedStorage
    return isinstance(obj, TypedStorage) or type(obj).__name__ == "UntypedStorage"


def typename(obj) -> str:
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module = obj.__class__.__module__ or ""
        qualname = obj.__class__.__qualname__
    module = module.replace("pyengine", "torch", 1) if module.startswith("pyengine") else module
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


def result_type(tensor1, tensor2):
    """The dtype binary arithmetic on the two gives: dimensioned tensors first, then 0-d tensors, then Python
    numbers, each later group changing the result only if it is of a higher category (bool < int < float)."""
    pe = _pe()

    def category(dtype) -> int:
        if dtype is None:
            return -1
        if dtype == pe.bool:
            return 0
        return 2 if dtype.is_floating_point else 1

    groups = [None, None, None]
    for x in (tensor1, tensor2):
        if isinstance(x, Tensor):
            slot, dtype = (0 if x.dim() > 0 else 1), x.dtype
        elif isinstance(x, builtins.bool):
            slot, dtype = 2, pe.bool
        elif isinstance(x, builtins.int):
            slot, dtype = 2, pe.int64
        elif isinstance(x, builtins.float):
            slot, dtype = 2, pe.get_default_dtype()
        else:
            raise TypeError(f"result_type(): argument must be a Tensor or a Number, not {type(x).__name__}")
        groups[slot] = dtype if groups[slot] is None else pe.promote_types(groups[slot], dtype)

    def combine(higher, lower):
        if higher is None:
            return lower
        if lower is None:
            return higher
        if category(higher) == 2:
            return higher
        if higher == pe.bool or category(lower) > category(higher):
            return pe.promote_types(higher, lower)
        return higher

    return combine(combine(groups[0], groups[1]), groups[2])
