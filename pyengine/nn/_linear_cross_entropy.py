"""F.linear_cross_entropy: cross_entropy(linear(input, linear_weight, linear_bias), target), with PyTorch's
shape rules (a (C, d_1, ..., d_K, in_features) weight gives K-dimensional logits) and its optional batch
chunking (``options.batch_chunk_size``: the logits of at most that many samples exist at a time in the
forward; the result is the same loss)."""
from __future__ import annotations

import math
from typing import Optional

from .._C import Tensor


def _pe():
    import pyengine
    return pyengine


def linear_cross_entropy(input: Tensor, linear_weight: Tensor, target: Tensor, *, linear_bias: Optional[Tensor] = None,
                         weight: Optional[Tensor] = None, reduction: str = "mean", ignore_index: Optional[int] = None,
                         label_smoothing: float = 0.0, options=None) -> Tensor:
    pe = _pe()
    F = pe.nn.functional
    if input.dim() < 1 or input.dim() > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got {linear_weight.dim()}")
    num_batches = tuple(input.shape[:-1])
    in_features = input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError("expected equal input and linear_weight last dimensions (in_features), "
                           f"got {input.shape[-1]} and {linear_weight.shape[-1]}, respectively")
    num_classes = linear_weight.shape[0]
    out_features = tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (num_classes, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(num_classes, *out_features)}, "
                           f"got {tuple(linear_bias.shape)}")
    if out_features and not num_batches:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} requires"
                           f" batched input, (N, {in_features}), got unbatched input with shape {tuple(input.shape)}")
    logits_shape = (*num_batches, num_classes, *out_features)
    # cross_entropy tells probabilities from class indices by the target's shape, as PyTorch does here.
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    ignore_index = -100 if ignore_index is None else ignore_index
    if out_features:
        rows = math.prod(out_features, start=num_classes)
        linear_weight = linear_weight.reshape(rows, in_features)
        if linear_bias is not None:
            linear_bias = linear_bias.reshape(rows)
    chunk = getattr(options, "batch_chunk_size", None) if options is not None else None
    if (chunk and len(num_batches) == 1 and not out_features and reduction in ("mean", "sum", "none")
            and label_smoothing == 0.0 and target.dtype == pe.int64 and num_batches[0] > chunk):
        return _chunked(input, linear_weight, linear_bias, target, weight, reduction, ignore_index, int(chunk))
    logits = F.linear(input, linear_weight, linear_bias).reshape(logits_shape)
    return F.cross_entropy(logits, target, weight=weight, reduction=reduction, ignore_index=ignore_index,
                           label_smoothing=label_smoothing)


def _chunked(input: Tensor, linear_weight: Tensor, linear_bias: Optional[Tensor], target: Tensor,
             weight: Optional[Tensor], reduction: str, ignore_index: int, chunk: int) -> Tensor:
    """The per-sample losses of `chunk` samples at a time, reduced as cross_entropy reduces them (a
    weighted mean divides by the total weight of the targets not ignored)."""
    pe = _pe()
    F = pe.nn.functional
    losses = []
    for start in range(0, input.shape[0], chunk):
        logits = F.linear(input[start:start + chunk], linear_weight, linear_bias)
        losses.append(F.cross_entropy(logits, target[start:start + chunk], weight=weight, reduction="none",
                                      ignore_index=ignore_index))
    loss = pe.cat(losses)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    keep = target != ignore_index
    if weight is None:
        denom = keep.sum().to(loss.dtype)
    else:
        denom = pe.where(keep, weight[target.clamp(0, weight.shape[0] - 1)], pe.zeros((), dtype=loss.dtype)).sum()
    return loss.sum() / denom
