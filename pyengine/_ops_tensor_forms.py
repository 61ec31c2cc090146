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
        filled = value.to(input.dtype).expand(tuple(input.shape))
    else:
        filled = pe.full_like(input, value)
    if not (pe.is_grad_enabled() and (input.requires_grad or filled.requires_grad)):
        return filled.clone() if isinstance(value, Tensor) else filled
    # Differentiable as PyTorch's FillBackward: a zero gradient for input (where(), not input * 0, so an
    # inf or NaN in input stays out of it), the sum of the gradient for a tensor value.
    return pe.where(pe.ones_like(input, dtype=pe.bool), filled, input)


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


# ---- Tensor methods composed in Python ----
def _unfold(self: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """A view with every window of ``size`` elements along ``dimension``, ``step`` apart, as a new last dim."""
    nd = max(self.dim(), 1)
    if not -nd <= dimension < nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got "
                         f"{dimension})")
    d = dimension % nd
    length = self.shape[d] if self.dim() else 1
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {length} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if self.dim() == 0:
        return self.as_strided((size,), (1,), self.storage_offset())
    sizes, strides = list(self.shape), list(self.stride())
    sizes[d] = (length - size) // step + 1
    strides[d] = self.stride(d) * step
    return self.as_strided(sizes + [size], strides + [self.stride(d)], self.storage_offset())


def _type_as(self: Tensor, other: Tensor) -> Tensor:
    return self.to(dtype=other.dtype, device=other.device)


def _sum_to_size(self: Tensor, *size) -> Tensor:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    shape = tuple(self.shape)
    if not size:
        return self.sum()  # PyTorch's sum_to: an empty size is a full sum (a bool tensor gives int64)
    lead = len(shape) - len(size)
    if lead < 0 or any(s != 1 and s != t for s, t in zip(size, shape[lead:])):
        raise RuntimeError(f"size {{{', '.join(map(str, size))}}} is not expandable to size "
                           f"{{{', '.join(map(str, shape))}}}.")
    r = self.sum(tuple(range(lead))) if lead else self
    dims = tuple(i for i, (s, t) in enumerate(zip(size, shape[lead:])) if s == 1 and t != 1)
    return r.sum(dims, keepdim=True) if dims else r


def _elementwise_python(self: Tensor, fn, others, name: str) -> Tensor:
    if self.device.type != "cpu":
        raise TypeError(f"{name} is only implemented on CPU tensors")
    pe = _pe()
    arrays = [o.expand(self.shape).detach().cpu().numpy() for o in others]
    flat = self.detach().numpy().reshape(-1).copy()
    flat_others = [a.reshape(-1) for a in arrays]
    values = [fn(flat[i].item(), *[a[i].item() for a in flat_others]) for i in range(flat.size)]
    self.copy_(pe.tensor(values, dtype=self.dtype).reshape(self.shape))
    return self


def _apply_(self: Tensor, callable) -> Tensor:
    return _elementwise_python(self, callable, [], "apply_")


def _map_(self: Tensor, tensor: Tensor, callable) -> Tensor:
    return _elementwise_python(self, callable, [tensor], "map_")


def _map2_(self: Tensor, x: Tensor, y: Tensor, callable) -> Tensor:
    return _elementwise_python(self, callable, [x, y], "map2_")


def _dim_order(self: Tensor, *, ambiguity_check: bool = False):
    """Dims from outermost to innermost in memory (largest stride first; ties keep the logical order)."""
    if ambiguity_check:
        strides = [s for s, n in zip(self.stride(), self.shape) if n != 1]
        if len(set(strides)) != len(strides):
            raise RuntimeError("The tensor does not have unique dim order, or cannot map to exact one of the "
                               "given memory formats.")
    return tuple(sorted(range(self.dim()), key=lambda d: -self.stride(d)))


def _fill_diagonal_(self: Tensor, fill_value, wrap: bool = False) -> Tensor:
    pe = _pe()
    if self.dim() < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.dim() > 2 and len(set(self.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    n = min(self.shape)
    if self.dim() == 2 and wrap and self.shape[0] > self.shape[1] + 1:
        rows, cols = self.shape
        positions = pe.arange(0, rows * cols, cols + 1, device=self.device)
        index = (positions // cols, positions % cols)
    else:
        step = pe.arange(n, device=self.device)
        index = tuple(step for _ in range(self.dim()))
    self.index_put_(index, pe.tensor(fill_value, dtype=self.dtype, device=self.device))
    return self


def _new(self: Tensor, *args, **kwargs) -> Tensor:
    """The legacy constructor: x.new(sizes...) uninitialised, x.new(data) a copy of data, in x's dtype and
    device unless given."""
    pe = _pe()
    dtype = kwargs.pop("dtype", self.dtype)
    device = kwargs.pop("device", self.device)
    if kwargs:
        raise TypeError(f"new() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if not args:
        return pe.empty(0, dtype=dtype, device=device)
    if len(args) == 1 and isinstance(args[0], Tensor):
        return args[0].to(dtype=dtype, device=device)
    if all(isinstance(a, int) for a in args) or (len(args) == 1 and isinstance(args[0], pe.Size)):
        return pe.empty(*args, dtype=dtype, device=device)
    if len(args) == 1:
        return pe.tensor(args[0], dtype=dtype, device=device)
    raise TypeError("new(): expected sizes or data")


def _install_methods() -> None:
    pe = _pe()
    methods = {"unfold": _unfold, "type_as": _type_as, "sum_to_size": _sum_to_size, "apply_": _apply_,
               "map_": _map_, "map2_": _map2_, "dim_order": _dim_order, "fill_diagonal_": _fill_diagonal_,
               "new": _new, "diagflat": lambda self, offset=0: pe.diagflat(self, offset),
               "hardshrink": lambda self, lambd=0.5: pe.nn.functional.hardshrink(self, lambd),
               "prelu": lambda self, weight: pe.nn.functional.prelu(self, weight)}
    for name, fn in methods.items():
        if not hasattr(Tensor, name):
            setattr(Tensor, name, fn)


_install_methods()
