"""The functional forms of writing through a view, and the copying forms of the view ops.

``*_scatter`` (diagonal/select/slice/as_strided_scatter) return a copy of ``input`` with ``src`` written
into the view the name describes; ``masked_scatter``, ``put`` and ``index_reduce`` write by mask, flat index or
index along a dim. Each is a clone followed by the in-place op on a view, so autograd's view tracking
(CopySlices) gives the gradients of both operands. ``*_copy`` are the view ops returning new, contiguous
tensors (``out=`` as PyTorch); ``unsafe_*`` and ``split_with_sizes`` are the splitting views under their other
names. Checked against PyTorch by the op_db suite (tests/python/test_opinfo.py).
"""
from __future__ import annotations

from typing import List, Optional, Sequence

from ._C import Tensor
from ._ops_reduce import _out

__all__ = [
    "diagonal_scatter", "select_scatter", "slice_scatter", "as_strided_scatter", "masked_scatter", "put",
    "index_reduce", "split_with_sizes", "unsafe_chunk", "unsafe_split", "unsafe_split_with_sizes",
    "alias_copy", "as_strided_copy", "diagonal_copy", "expand_copy", "permute_copy", "squeeze_copy", "t_copy",
    "transpose_copy", "unbind_copy", "unfold_copy", "unsqueeze_copy", "view_copy", "split_copy",
    "split_with_sizes_copy", "detach_copy",
]


def _pe():
    import pyengine
    return pyengine


def _write_view(input: Tensor, src: Tensor, view_of) -> Tensor:
    out = input.clone()
    view = view_of(out)
    if tuple(src.shape) != tuple(view.shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
                           f"slice size = {list(view.shape)}")
    view.copy_(src)
    return out


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    return _write_view(input, src, lambda t: t.diagonal(offset, dim1, dim2))


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    return _write_view(input, src, lambda t: t.select(dim, index))


def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start: Optional[int] = None,
                  end: Optional[int] = None, step: int = 1) -> Tensor:
    def view_of(t: Tensor) -> Tensor:
        index = [slice(None)] * t.dim()
        index[dim] = slice(start, end, step)
        return t[tuple(index)]
    return _write_view(input, src, view_of)


def as_strided_scatter(input: Tensor, src: Tensor, size: Sequence[int], stride: Sequence[int],
                       storage_offset: Optional[int] = None) -> Tensor:
    # On a fresh contiguous copy, as PyTorch: the view's strides address the copy's elements.
    out = input.clone(memory_format=_pe().contiguous_format)
    view = out.as_strided(size, stride, storage_offset if storage_offset is not None else 0)
    if tuple(src.shape) != tuple(view.shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
                           f"slice size = {list(view.shape)}")
    view.copy_(src)
    return out


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """Copies ``source``'s leading elements, in order, to the positions where ``mask`` (broadcast) is True."""
    pe = _pe()
    if mask.dtype != pe.bool:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype {mask.dtype}")
    if source.dtype != input.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got {input.dtype} "
                           f"and {source.dtype}")
    shape = pe.broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    target = input.expand(shape).clone(memory_format=pe.contiguous_format)
    positions = mask.expand(shape).reshape(-1).nonzero().reshape(-1)
    count = positions.numel()
    if count > source.numel():
        raise RuntimeError("masked_scatter: expected source to have at least as many elements as there are "
                           f"True values in mask ({count}), but got {source.numel()}")
    target.view(-1).index_copy_(0, positions, source.reshape(-1)[:count])
    return target


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    return input.clone().put_(index, source, accumulate)


def _put_(self: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    pe = _pe()
    if index.dtype != pe.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {index.dtype}")
    if source.dtype != self.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {self.dtype} and source.dtype = {source.dtype}")
    if index.numel() != source.numel():
        raise RuntimeError(f"put_(): Expected source and index to have the same number of elements, but got "
                           f"source.numel() = {source.numel()}, index.numel() = {index.numel()}")
    n = self.numel()
    flat_index = index.reshape(-1)
    if flat_index.numel():
        lo, hi = int(flat_index.min()), int(flat_index.max())
        if lo < -n or hi >= n:
            bad = lo if lo < -n else hi
            raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
        flat_index = flat_index.remainder(n) if n else flat_index
    # A contiguous tensor is written through its flat view; another one through a flat copy written back.
    flat = self.view(-1) if self.is_contiguous() else self.reshape(-1)
    (flat.index_add_ if accumulate else flat.index_copy_)(0, flat_index, source.reshape(-1))
    if not self.is_contiguous():
        self.copy_(flat.view(self.shape))
    return self


_INDEX_REDUCE = ("prod", "mean", "amax", "amin")


def _index_reduce_(self: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    if reduce not in _INDEX_REDUCE:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
                           f"{reduce}.")
    if index.dim() > 1:
        raise IndexError("index_reduce_(): Index is supposed to be a vector")
    nd = max(self.dim(), 1)
    d = dim + nd if dim < 0 else dim
    if source.dim() > 0 and index.numel() != source.shape[d]:
        raise RuntimeError(f"index_reduce_(): Number of indices ({index.numel()}) should be equal to "
                           f"source.size(dim) ({source.shape[d]})")
    if self.dim() == 0:
        expanded = index.reshape(())
    else:
        view = [1] * source.dim()
        view[d] = -1
        expanded = index.reshape(view).expand(source.shape)
    return self.scatter_reduce_(d, expanded, source, reduce, include_self=include_self)


def index_reduce(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                 include_self: bool = True, out: Optional[Tensor] = None) -> Tensor:
    return _out(out, _index_reduce_(input.clone(), dim, index, source, reduce, include_self=include_self))


# ---- splitting views under their other names ----
def split_with_sizes(input: Tensor, split_sizes: Sequence[int], dim: int = 0) -> List[Tensor]:
    if sum(split_sizes) != input.shape[dim]:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {input.shape[dim]} (input "
                           f"tensor's size at dimension {dim}), but got split_sizes={list(split_sizes)}")
    return list(input.split(list(split_sizes), dim))


def unsafe_chunk(input: Tensor, chunks: int, dim: int = 0):
    return input.chunk(chunks, dim)


def unsafe_split(input: Tensor, split_size, dim: int = 0):
    return input.split(split_size, dim)


def unsafe_split_with_sizes(input: Tensor, split_sizes: Sequence[int], dim: int = 0) -> List[Tensor]:
    return split_with_sizes(input, split_sizes, dim)


# ---- the copying forms of the view ops ----
def _copy_of(view_fn, name: str):
    def op(input: Tensor, *args, out: Optional[Tensor] = None, **kwargs):
        r = view_fn(input, *args, **kwargs)
        if isinstance(r, (list, tuple)):
            copies = [t.clone(memory_format=_pe().contiguous_format) for t in r]
            if out is not None:
                for o, c in zip(out, copies):
                    _out(o, c)
                return None
            return tuple(copies) if isinstance(r, tuple) else copies
        return _out(out, r.clone(memory_format=_pe().contiguous_format))
    op.__name__ = name
    op.__doc__ = f"torch.{name}: the result of {name[:-5]} as a new contiguous tensor."
    return op


alias_copy = _copy_of(lambda t: t.view(t.shape), "alias_copy")
as_strided_copy = _copy_of(lambda t, size, stride, storage_offset=None: t.as_strided(size, stride, storage_offset),
                           "as_strided_copy")
diagonal_copy = _copy_of(lambda t, offset=0, dim1=0, dim2=1: t.diagonal(offset, dim1, dim2), "diagonal_copy")
expand_copy = _copy_of(lambda t, size, *, implicit=False: t.expand(size), "expand_copy")
permute_copy = _copy_of(lambda t, dims: t.permute(dims), "permute_copy")
squeeze_copy = _copy_of(lambda t, dim=None: t.squeeze() if dim is None else t.squeeze(dim), "squeeze_copy")
t_copy = _copy_of(lambda t: t.t(), "t_copy")
transpose_copy = _copy_of(lambda t, dim0, dim1: t.transpose(dim0, dim1), "transpose_copy")
unbind_copy = _copy_of(lambda t, dim=0: t.unbind(dim), "unbind_copy")
unfold_copy = _copy_of(lambda t, dimension, size, step: t.unfold(dimension, size, step), "unfold_copy")
unsqueeze_copy = _copy_of(lambda t, dim: t.unsqueeze(dim), "unsqueeze_copy")
view_copy = _copy_of(lambda t, size: t.view(size), "view_copy")
split_copy = _copy_of(lambda t, split_size, dim=0: list(t.split(split_size, dim)), "split_copy")
split_with_sizes_copy = _copy_of(lambda t, split_sizes, dim=0: split_with_sizes(t, split_sizes, dim),
                                 "split_with_sizes_copy")
detach_copy = _copy_of(lambda t: t.detach(), "detach_copy")


def _install() -> None:
    methods = {
        "diagonal_scatter": diagonal_scatter, "select_scatter": select_scatter, "slice_scatter": slice_scatter,
        "as_strided_scatter": as_strided_scatter, "masked_scatter": masked_scatter, "put": put, "put_": _put_,
        "index_reduce": index_reduce, "index_reduce_": _index_reduce_, "split_with_sizes": split_with_sizes,
        "unsafe_chunk": unsafe_chunk, "unsafe_split": unsafe_split,
        "unsafe_split_with_sizes": unsafe_split_with_sizes,
    }

    def masked_scatter_(self: Tensor, mask: Tensor, source: Tensor) -> Tensor:
        if tuple(_pe().broadcast_shapes(tuple(self.shape), tuple(mask.shape))) != tuple(self.shape):
            raise RuntimeError(f"masked_scatter_: mask of shape {list(mask.shape)} does not broadcast to self of "
                               f"shape {list(self.shape)}")
        return self.copy_(masked_scatter(self, mask, source))

    methods["masked_scatter_"] = masked_scatter_
    for name, fn in methods.items():
        if not hasattr(Tensor, name):
            setattr(Tensor, name, fn)


_install()
