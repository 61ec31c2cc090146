"""one_hot and embedding_bag for nn.functional (embedding itself lives in nn/functional.py)."""
from __future__ import annotations

from typing import Optional

import numpy as np

import pyengine
from pyengine import Tensor

__all__ = ["one_hot", "embedding_bag"]


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 indices (*) -> (*, num_classes) of zeros with a one at each index."""
    if tensor.dtype != pyengine.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if tensor.numel() == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(tensor.max()) + 1
    elif num_classes < -1:
        raise RuntimeError("num_classes should be positive")
    if tensor.numel() > 0:
        if int(tensor.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(tensor.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = pyengine.zeros(tuple(tensor.shape) + (num_classes,), dtype=pyengine.int64, device=tensor.device)
    return out.scatter_(-1, tensor.unsqueeze(-1), 1)


def embedding_bag(input: Tensor, weight: Tensor, offsets: Optional[Tensor] = None, max_norm: Optional[float] = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean",
                  sparse: bool = False, per_sample_weights: Optional[Tensor] = None,
                  include_last_offset: bool = False, padding_idx: Optional[int] = None) -> Tensor:
    """Sums, means or maxes of bags of embeddings without materialising (bags x length x dim) lookups per bag.

    Bags are the rows of a 2-D ``input``, or the runs of a 1-D ``input`` starting at ``offsets``. Entries
    equal to ``padding_idx`` take no part (nor in a mean's count); an empty bag gives zeros."""
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, but got {mode}")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                      f"supported for mode='sum' (got mode='{mode}'). Please open a feature "
                                      f"request on GitHub.")
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f"embedding_bag: If per_sample_weights ({tuple(per_sample_weights.shape)}) is not "
                             f"None, then it must have the same shape as the input ({tuple(input.shape)})")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch "
                             "of fixed length sequences. However, found offsets of type Tensor")
        bags, length = input.shape
        starts = np.arange(bags, dtype=np.int64) * length
        flat = input.reshape(-1)
        psw = None if per_sample_weights is None else per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        starts = np.asarray(offsets.cpu().tolist(), dtype=np.int64)
        if include_last_offset:
            if starts.size == 0:
                raise RuntimeError("include_last_offset: number of offsets should be at least 1")
            starts = starts[:-1]
        if starts.size and starts[0] != 0:
            raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                               f"from position 0. However, got {starts[0]}")
        if starts.size and starts[-1] > input.size(0):
            raise RuntimeError(f"offsets[-1] can not be greater than input's length ({input.size(0)}), but got "
                               f"offsets[-1] of {starts[-1]}")
        flat, psw = input, per_sample_weights
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    n, num_bags = flat.numel(), starts.size
    # bag id of every entry: the last start at or before it.
    bag_of = np.searchsorted(starts, np.arange(n), side="right") - 1 if num_bags else np.zeros(0, np.int64)
    keep = np.ones(n, dtype=bool)
    if padding_idx is not None:
        pad = padding_idx if padding_idx >= 0 else padding_idx + weight.size(0)
        keep = np.asarray(flat.cpu().tolist(), dtype=np.int64) != pad
    rows = pyengine.nn.functional.embedding(flat, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq,
                                            sparse)
    if psw is not None:
        rows = rows * psw.unsqueeze(1).to(rows.dtype)
    if not keep.all():
        idx = pyengine.from_numpy(np.nonzero(keep)[0]).to(flat.device)
        rows, bag_of = rows.index_select(0, idx), bag_of[keep]
    bag_index = pyengine.from_numpy(bag_of.astype(np.int64)).to(flat.device)
    dim = weight.size(1)
    out = pyengine.zeros(num_bags, dim, dtype=weight.dtype, device=weight.device)
    if mode == "max":
        if rows.size(0) == 0:
            return out
        return out.scatter_reduce(0, bag_index.unsqueeze(1).expand(-1, dim), rows, "amax", include_self=False)
    out = out.index_add(0, bag_index, rows)
    if mode == "mean":
        counts = np.bincount(bag_of, minlength=num_bags).astype(np.float64)
        counts[counts == 0] = 1.0
        out = out / pyengine.from_numpy(counts).to(device=out.device, dtype=out.dtype).unsqueeze(1)
    return out
