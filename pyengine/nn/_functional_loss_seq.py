"""multi_margin_loss, multilabel_margin_loss and ctc_loss, written from differentiable ops.

ctc_loss runs the CTC forward (alpha) recursion in log space over the blank-extended targets, one vectorised step
per time step; autograd differentiates it. Impossible alignments use a large finite negative instead of -inf
inside the recursion so that no gradient is inf * 0, and come out as inf (or 0 with zero_infinity) at the end.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

import pyengine
from pyengine import Tensor

from ._functional_more import _check_reduction, _reduce

__all__ = ["multi_margin_loss", "multilabel_margin_loss", "ctc_loss"]


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Optional[Tensor] = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss: mean over i != y of (weight[y] *) max(0, margin - x[y] + x[i])^p."""
    _check_reduction(reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    if input.dim() > 2 or (input.dim() >= 1 and input.shape[-1] == 0):  # the batch (dim 0 of 2) may be empty
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    x = input.reshape(1, -1) if input.dim() < 2 else input
    n, c = x.shape[0], x.shape[1]
    t = target.reshape(-1)
    if target.dim() > 1 or t.numel() != n:
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{n}], but got {list(target.shape)}. Input "
                           f"has shape {list(input.shape)}.")
    if weight is not None and weight.numel() != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got {list(weight.shape)}")
    if target.dtype != pyengine.int64:
        raise RuntimeError(f"expected scalar type Long but found {_type_name(target.dtype)}")
    if t.numel() and (int(t.min()) < 0 or int(t.max()) >= c):
        raise RuntimeError("target out of range")
    xy = x.gather(1, t.unsqueeze(1))
    z = pyengine.relu(margin - xy + x)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight.index_select(0, t).unsqueeze(1)
    others = pyengine.arange(c, device=x.device).unsqueeze(0) != t.unsqueeze(1)
    loss = (z * others.to(z.dtype)).sum(1) / c
    if input.dim() < 2:
        loss = loss.reshape(())
    return _reduce(loss, size_average, reduce, reduction)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss: target holds each row's class indices, ended by the first -1; the loss sums
    max(0, 1 - (x[j] - x[i])) over target classes j and non-target classes i, divided by the class count."""
    _check_reduction(reduction, size_average, reduce)
    if input.dim() > 2 or (input.dim() >= 1 and input.shape[-1] == 0):  # the batch (dim 0 of 2) may be empty
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    x = input.reshape(1, -1) if input.dim() < 2 else input
    n, c = x.shape[0], x.shape[1]
    tgt = target.reshape(n, c).detach().to("cpu").numpy().astype(np.int64)
    if tgt.size and (tgt.min() < -1 or tgt.max() >= c):
        raise RuntimeError("argument #2 'target' is out of range")
    # Target slots before each row's first -1 count; is_target marks their classes.
    ended = np.cumsum(tgt < 0, axis=1) > 0
    slot = ~ended
    is_target = np.zeros((n, c), dtype=bool)
    rows = np.nonzero(slot)
    is_target[rows[0], tgt[rows]] = True
    dev = x.device
    t_idx = pyengine.tensor(np.where(slot, tgt, 0), device=dev)
    xj = x.gather(1, t_idx)  # (N, slots)
    diff = pyengine.relu(1 - xj.unsqueeze(2) + x.unsqueeze(1))  # (N, slots, C)
    mask = pyengine.tensor((slot[:, :, None] & ~is_target[:, None, :]).astype(np.float64), dtype=x.dtype,
                           device=dev)
    loss = (diff * mask).sum((1, 2)) / c
    if input.dim() < 2:
        loss = loss.reshape(())
    return _reduce(loss, size_average, reduce, reduction)


def _type_name(dtype) -> str:
    """PyTorch's scalar type name (Float, Long, ...) of a dtype."""
    from .._ops_real_complex_api import _scalar_name
    return _scalar_name(dtype)


_NEG = -1e30  # "log 0" inside the recursion: finite, so exp() underflows to 0 and no gradient is inf * 0


def _lengths(v, name: str, n: int, dev) -> np.ndarray:
    if isinstance(v, Tensor):
        arr = v.detach().to("cpu").numpy().astype(np.int64).reshape(-1)
    else:
        arr = np.asarray(v, dtype=np.int64).reshape(-1)
    if arr.size != n:
        raise RuntimeError(f"{name} must be of size batch_size")
    return arr


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist Temporal Classification loss of log_probs (T, N, C) / (T, C) against targets (N, S) padded
    or 1-D concatenated; 'mean' divides each sequence's loss by its target length, then averages."""
    if log_probs.dim() not in (2, 3):
        raise RuntimeError(f"ctc_loss: expected log_probs to be 2D or 3D, got {log_probs.dim()}D")
    unbatched = log_probs.dim() == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    if unbatched:
        targets = targets.unsqueeze(0) if targets.dim() == 1 else targets
    t_max, n, c = lp.shape[0], lp.shape[1], lp.shape[2]
    if not 0 <= blank < c:
        raise RuntimeError("blank must be in label range")
    dev = lp.device
    in_len = _lengths(input_lengths, "input_lengths", n, dev)
    tg_len = _lengths(target_lengths, "target_lengths", n, dev)
    if in_len.size and in_len.max() > t_max:
        raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but got value {in_len.max()} "
                           "(while checking arguments for ctc_loss_allocate_outputs)")
    tg = targets.detach().to("cpu").numpy().astype(np.int64)
    s_max = int(tg_len.max()) if tg_len.size else 0
    if tg.ndim == 1:
        flat = tg.reshape(-1)
        offs = np.concatenate([[0], np.cumsum(tg_len)])
        padded = np.zeros((n, max(s_max, 1)), dtype=np.int64)
        for i in range(n):
            padded[i, :tg_len[i]] = flat[offs[i]:offs[i + 1]]
    else:
        if tg.shape[1] < s_max:
            raise RuntimeError(f"Expected tensor to have size at least {s_max} at dimension 1, but got size "
                               f"{tg.shape[1]} for argument #2 'targets' (while checking arguments for "
                               "ctc_loss_allocate_outputs)")
        padded = np.zeros((n, max(s_max, 1)), dtype=np.int64)
        padded[:, :s_max] = tg[:, :s_max]
    length = 2 * max(s_max, 1) + 1
    ext = np.full((n, length), blank, dtype=np.int64)
    ext[:, 1::2] = padded
    skip = np.zeros((n, length), dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    emit = lp.gather(2, pyengine.tensor(ext, device=dev).unsqueeze(0).expand(t_max, n, length))  # (T, N, L)
    skip_t = pyengine.tensor(skip, device=dev)
    neg1 = pyengine.full((n, 1), _NEG, dtype=lp.dtype, device=dev)
    neg2 = pyengine.full((n, 2), _NEG, dtype=lp.dtype, device=dev)
    start = np.zeros((n, length), dtype=bool)
    start[:, 0] = True
    start[:, 1] = tg_len > 0
    alpha = pyengine.where(pyengine.tensor(start, device=dev), emit[0], _NEG) if t_max else None
    finals = [alpha]
    for t in range(1, t_max):
        a1 = pyengine.cat([neg1, alpha[:, :-1]], 1)
        a2 = pyengine.where(skip_t, pyengine.cat([neg2, alpha[:, :-2]], 1), _NEG)
        m = pyengine.maximum(pyengine.maximum(alpha, a1), a2).detach()
        alpha = m + pyengine.log((alpha - m).exp() + (a1 - m).exp() + (a2 - m).exp()) + emit[t]
        finals.append(alpha)
    if t_max == 0 or n == 0:
        raise RuntimeError("ctc_loss: expected non-empty log_probs")
    stack = pyengine.stack(finals, 0)  # (T, N, L)
    last_t = pyengine.tensor(np.maximum(in_len - 1, 0), device=dev).reshape(1, n, 1).expand(1, n, length)
    final = stack.gather(0, last_t).squeeze(0)  # (N, L)
    end = pyengine.tensor(2 * tg_len, device=dev).unsqueeze(1)
    a_end = final.gather(1, end).squeeze(1)
    a_prev = pyengine.where(pyengine.tensor(tg_len > 0, device=dev),
                            final.gather(1, (end - 1).clamp(min=0)).squeeze(1), _NEG)
    m = pyengine.maximum(a_end, a_prev).detach()
    ll = m + pyengine.log((a_end - m).exp() + (a_prev - m).exp())
    impossible = (ll < _NEG / 2) | pyengine.tensor(in_len == 0, device=dev)
    nll = pyengine.where(impossible, float("inf"), -ll)
    # PyTorch's ctc backward returns exp(log_probs) - posterior for t < input_length (the gradient through a
    # log_softmax producing log_probs, which it assumes); the recursion gives -posterior, this zero-valued term
    # adds the exp(log_probs) part so that gradients match PyTorch's with or without a log_softmax before.
    live = pyengine.tensor((np.arange(t_max)[:, None] < in_len[None, :]).astype(np.float64), dtype=lp.dtype,
                           device=dev).unsqueeze(2)
    p = lp.exp()
    nll = nll + ((p - p.detach()) * live).sum((0, 2))
    if zero_infinity:
        nll = pyengine.where(impossible, pyengine.zeros((), dtype=nll.dtype, device=dev), nll)
    if unbatched:
        nll = nll.reshape(())
    if reduction == "none":
        return nll
    if reduction == "sum":
        return nll.sum()
    if reduction == "mean":
        div = pyengine.tensor(np.maximum(tg_len, 1), dtype=nll.dtype, device=dev)
        return (nll / div.reshape(nll.shape)).mean()
    raise ValueError(f"{reduction} is not a valid value for reduction")
