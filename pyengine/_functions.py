"""Module-level functions that are thin forms of Tensor methods or of other factories."""
from __future__ import annotations

import builtins
from typing import Any

from . import _C
from ._C import Tensor


def is_tensor(obj: Any) -> builtins.bool:
    return isinstance(obj, Tensor)


def is_floating_point(t: Tensor) -> builtins.bool:
    return t.is_floating_point()


def numel(t: Tensor) -> builtins.int:
    return t.numel()


def set_default_dtype(d) -> None:
    _C.set_default_dtype(d)


def _check_layout(layout, fn: str) -> None:
    """Only the strided layout exists: another one is refused, not ignored."""
    from ._layout import strided
    if layout is not None and layout is not strided:
        raise NotImplementedError(f"{fn}(): only layout=torch.strided is supported, got {layout}")


def _like(fill, name):
    """A *_like factory: input's shape, in memory_format (preserve_format: input's own layout when it is
    dense, as PyTorch)."""
    def like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: builtins.bool = False,
             memory_format=None) -> Tensor:
        _check_layout(layout, name)
        t = _C._empty_like(input, dtype, device, memory_format)
        fill(t)
        if requires_grad:
            t.requires_grad_(True)
        return t
    like.__name__ = name
    return like


empty_like = _like(lambda t: None, "empty_like")
zeros_like = _like(lambda t: t.zero_(), "zeros_like")
ones_like = _like(lambda t: t.fill_(1), "ones_like")


def rand_like(input: Tensor, *, generator=None, dtype=None, layout=None, device=None,
              requires_grad: builtins.bool = False, memory_format=None) -> Tensor:
    return _like(lambda t: t.uniform_(generator=generator), "rand_like")(
        input, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad, memory_format=memory_format)


def randn_like(input: Tensor, *, generator=None, dtype=None, layout=None, device=None,
               requires_grad: builtins.bool = False, memory_format=None) -> Tensor:
    return _like(lambda t: t.normal_(generator=generator), "randn_like")(
        input, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad, memory_format=memory_format)


def full_like(input: Tensor, fill_value, *, dtype=None, layout=None, device=None,
              requires_grad: builtins.bool = False, memory_format=None) -> Tensor:
    return _like(lambda t: t.fill_(fill_value), "full_like")(input, dtype=dtype, layout=layout, device=device,
                                                             requires_grad=requires_grad,
                                                             memory_format=memory_format)


def randint_like(input: Tensor, low=0, high=None, *, generator=None, dtype=None, layout=None, device=None,
                 requires_grad: builtins.bool = False, memory_format=None) -> Tensor:
    if high is None:
        low, high = 0, low
    _check_layout(layout, "randint_like")
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    t = _C._empty_like(input, dtype, device, memory_format)
    t.random_(low, high, generator=generator)
    if requires_grad:
        t.requires_grad_(True)
    return t


def empty(*size, memory_format=None, **kwargs) -> Tensor:
    """torch.empty: _C.empty, laid out in memory_format (channels_last: strides with C fastest)."""
    from ._layout import contiguous_format, memory_format as _memory_format, preserve_format
    t = _C.empty(*size, **kwargs)
    if memory_format is None or memory_format is contiguous_format:
        return t
    if not isinstance(memory_format, _memory_format):
        raise TypeError("empty(): argument 'memory_format' must be torch.memory_format, not "
                        + type(memory_format).__name__)
    if memory_format is preserve_format:
        raise RuntimeError("unsupported memory format Preserve")
    if kwargs.get("out") is not None:
        raise NotImplementedError("empty(): out= together with memory_format= is not supported")
    r = _C._empty_like(t, None, None, memory_format)
    return r.requires_grad_(t.requires_grad)


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, device=None, layout=None,
           pin_memory: builtins.bool = False, requires_grad: builtins.bool = False) -> Tensor:
    """normal(mean_tensor, std_tensor), normal(mean, std_tensor), normal(mean_tensor, std),
    or normal(mean, std, size); ``generator`` and ``out`` as PyTorch (out's dtype is the result's)."""
    _check_layout(layout, "normal")
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mt and not st:
        if size is None:
            raise TypeError("normal() missing required argument 'size' when mean and std are numbers")
        if out is not None:
            _C._check_factory_out(dtype, out)
            dtype, device = out.dtype, out.device
        t = _C.empty(size, dtype=dtype, device=device or "cpu")
        t.normal_(float(mean), float(std), generator=generator)
    else:
        if std is not None and not st and float(std) < 0:
            raise RuntimeError("normal expects std >= 0.0, but found std %s" % std)
        m = mean if mt else _C.full((), float(mean), dtype=std.dtype)
        s = std if st else _C.full((), float(std), dtype=mean.dtype)
        t = _C._normal_tensors(m, s, generator)
    if out is not None:
        return _C._write_out(out, t, "castable", "normal", False)
    if pin_memory:
        t = _C._pin_memory(t)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _method(name):
    def fn(input: Tensor, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)
    fn.__name__ = name
    return fn


clone = _method("clone")
reshape = _method("reshape")
transpose = _method("transpose")
t = _method("t")
squeeze = _method("squeeze")
unsqueeze = _method("unsqueeze")
flatten = _method("flatten")
narrow = _method("narrow")
split = _method("split")
chunk = _method("chunk")
permute = _method("permute")
select = _method("select")
unbind = _method("unbind")
diagonal = _method("diagonal")
