"""Index utilities: unravel_index, combinations, nonzero_static."""
from __future__ import annotations

import itertools
from typing import Sequence, Tuple

from ._C import Tensor

__all__ = ["unravel_index", "combinations", "nonzero_static"]


def _pe():
    import pyengine
    return pyengine


def unravel_index(indices: Tensor, shape: Sequence[int]) -> Tuple[Tensor, ...]:
    """The coordinates in a tensor of ``shape`` of flat (row-major) indices; one tensor per dimension."""
    pe = _pe()
    if not isinstance(indices, Tensor):
        indices = pe.tensor(indices)
    if indices.is_floating_point() or indices.dtype == pe.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got "
                        f"{indices.dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(s < 0 for s in shape):
        raise ValueError("'shape' cannot have negative values, but got " + str(shape))
    coords = []
    flat = indices.long()
    stride = 1
    for size in reversed(shape):
        coords.append(flat.div(stride, rounding_mode="floor").remainder(size) if size else flat * 0)
        stride *= size
    return tuple(reversed(coords))


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The r-length combinations of a 1-D tensor's elements, as rows (itertools order)."""
    pe = _pe()
    if input.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input[:0]  # still a function of input, as PyTorch's (autograd sees the same graph)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(pick(range(input.shape[0]), r))
    index = pe.tensor(rows, dtype=pe.int64, device=input.device).reshape(len(rows), r)
    return input[index]


def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """nonzero() cut or padded (with fill_value) to exactly ``size`` rows."""
    pe = _pe()
    if size < 0:
        raise RuntimeError(f"nonzero_static: 'size' must be an non-negative integer, but got size={size}")
    found = input.nonzero()
    if found.shape[0] >= size:
        return found[:size].contiguous()
    pad = pe.full((size - found.shape[0], max(input.dim(), 0)), fill_value, dtype=pe.int64, device=input.device)
    return pe.cat([found, pad], 0)


for _name, _fn in (("nonzero_static", nonzero_static),):
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, _fn)
