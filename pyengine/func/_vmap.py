"""torch.func.vmap / torch.vmap: maps a function over a batch dimension.

pyengine has no batching rules, so vmap runs the function once per batch element (on ``select``-ed views of the
mapped inputs) and stacks the results along ``out_dims``: the results are PyTorch's, the speed is a loop's.
``chunk_size`` only groups the loop (accepted, no effect on results). ``randomness`` is honoured through the
generator's state: 'error' raises PyTorch's error when the function drew random numbers, 'different' lets each
element draw its own, 'same' restores the generator before each element so all draw the same values.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from .. import _C
from .._C import Tensor
from ._pytree import broadcast_prefix, tree_flatten


def _rng_state() -> bytes:
    """The default CPU generator's state as bytes (comparable, restorable)."""
    import pyengine
    return bytes(pyengine.get_rng_state().numpy())


def _set_rng_state(state: bytes) -> None:
    import numpy as np

    import pyengine
    pyengine.set_rng_state(pyengine.from_numpy(np.frombuffer(state, dtype=np.uint8).copy()))

__all__ = ["vmap"]

_RANDOMNESS = ("error", "different", "same")


def _stack(results: list, out_dim, batch: int):
    import pyengine
    first = results[0]
    if out_dim is None:
        return first
    if not isinstance(first, Tensor):
        raise ValueError(f"vmap: `f` must return only Tensors, got type {type(first)}. Did you mean to set "
                         "out_dims= to None for output?")
    d = out_dim + first.dim() + 1 if out_dim < 0 else out_dim
    if not 0 <= d <= first.dim():
        raise ValueError(f"vmap: out_dims={out_dim} is out of bounds for an output of dimension {first.dim()}")
    return pyengine.stack(results, d)


def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    if randomness not in _RANDOMNESS:
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got "
                           f"{randomness}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")
    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        if not isinstance(in_dims, (int, tuple)):
            raise ValueError(f"vmap({getattr(func, '__name__', func)}, in_dims={in_dims}, ...)(<inputs>): expected "
                             "`in_dims` to be int or a (potentially nested) tuple matching the structure of inputs, "
                             f"got: {type(in_dims)}.")
        if isinstance(in_dims, tuple) and len(in_dims) != len(args):
            raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
                             f"structure of `inputs`. in_dims has structure of length {len(in_dims)} but inputs has "
                             f"structure of length {len(args)}.")
        leaves, unflatten = tree_flatten(list(args))
        dims = broadcast_prefix(list(in_dims) if isinstance(in_dims, tuple) else in_dims, list(args),
                                f"vmap(f, in_dims={in_dims}, ...)(<inputs>): in_dims")
        sizes, norm = [], []
        for leaf, d in zip(leaves, dims):
            if d is None:
                norm.append(None)
                continue
            if not isinstance(leaf, Tensor):
                raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input but the "
                                 f"input is of type {type(leaf)}. We cannot vmap over non-Tensor arguments, please "
                                 "use None as the respective in_dim")
            if not isinstance(d, int) or not -leaf.dim() <= d < max(leaf.dim(), 1) or leaf.dim() == 0:
                raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for some input, but "
                                 f"that input is a Tensor of dimensionality {leaf.dim()} so expected in_dim to "
                                 f"satisfy -{leaf.dim()} <= in_dim < {leaf.dim()}.")
            d = d % leaf.dim()
            norm.append(d)
            sizes.append(leaf.shape[d])
        if not sizes:
            raise ValueError("vmap: Expected at least one Tensor to vmap over")
        if len(set(sizes)) != 1:
            raise ValueError("vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                             f"{sizes} for the mapped dimension")
        batch = sizes[0]
        if batch == 0:
            raise RuntimeError("vmap: pyengine runs the function once per batch element and cannot infer its "
                               "output for an empty batch")
        start_state = _rng_state()
        outs = []
        for b in range(batch):
            if randomness == "same":
                _set_rng_state(start_state)
            before = _rng_state()
            sliced = [leaf if d is None else leaf.select(d, b) for leaf, d in zip(leaves, norm)]
            outs.append(func(*unflatten(sliced), **kwargs))
            if randomness == "error" and _rng_state() != before:
                raise RuntimeError("vmap: called random operation while in randomness error mode. Please either use "
                                   "the 'same' or 'different' randomness flags on vmap or perform the randomness "
                                   "operation out of vmap")
        out_leaves0, out_unflatten = tree_flatten(outs[0])
        per_leaf = [tree_flatten(o)[0] for o in outs]
        od = broadcast_prefix(out_dims, outs[0], f"vmap(f, ..., out_dims={out_dims})(<inputs>): out_dims")
        stacked = [_stack([p[i] for p in per_leaf], od[i], batch) for i in range(len(out_leaves0))]
        return out_unflatten(stacked)
    return wrapped
