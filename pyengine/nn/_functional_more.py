"""The rest of torch.nn.functional's activations, losses, normalizations and shape ops, written from
differentiable ops (so autograd, double backward and every device come for free). Derivatives at the kinks
follow PyTorch's kernels (hardtanh/relu6 pass no gradient at their bounds, hardswish and hardsigmoid as
aten's backward formulas); checked against PyTorch by the op_db suite (tests/python/test_opinfo.py).
"""
from __future__ import annotations

import math
import warnings
from typing import Callable, Optional, Sequence

import pyengine
from pyengine import Tensor

__all__ = [
    "elu", "elu_", "celu", "celu_", "selu", "selu_", "glu", "hardshrink", "hardsigmoid", "hardswish", "hardtanh",
    "hardtanh_", "relu6", "logsigmoid", "mish", "silu", "softmin", "softplus", "softshrink", "softsign",
    "tanhshrink", "threshold", "threshold_", "prelu", "normalize", "cosine_similarity", "pairwise_distance",
    "kl_div", "huber_loss", "margin_ranking_loss", "soft_margin_loss", "hinge_embedding_loss",
    "cosine_embedding_loss", "poisson_nll_loss", "gaussian_nll_loss", "multilabel_soft_margin_loss",
    "triplet_margin_loss", "triplet_margin_with_distance_loss", "rms_norm", "group_norm", "instance_norm",
    "local_response_norm", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "dropout1d", "dropout2d",
    "dropout3d", "alpha_dropout", "feature_alpha_dropout", "bilinear",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _reduce(loss: Tensor, size_average, reduce, reduction: str) -> Tensor:
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = ("mean" if size_average else "sum") if reduce else "none"
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _check_reduction(reduction: str, size_average=None, reduce=None) -> None:
    """A bad reduction is refused before any work (F's _Reduction.get_enum), not after computing the loss; the
    legacy size_average/reduce flags override it, as in PyTorch."""
    if size_average is None and reduce is None and reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _inplace(input: Tensor, result: Tensor, inplace: bool) -> Tensor:
    if not inplace:
        return result
    from pyengine._ops_more import _write_inplace
    return _write_inplace(input, result)


def _where_const(mask: Tensor, x: Tensor, other) -> Tensor:
    return pyengine.where(mask, x, other)


# ---- activations ----
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    neg = alpha * (pyengine.exp(pyengine.clamp(input, max=0.0)) - 1.0)
    return _inplace(input, pyengine.where(input > 0, input, neg), inplace)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    neg = alpha * (pyengine.exp(pyengine.clamp(input, max=0.0) / alpha) - 1.0)
    return _inplace(input, pyengine.where(input > 0, input, neg), inplace)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    return _inplace(input, _SELU_SCALE * elu(input, _SELU_ALPHA), inplace)


def selu_(input: Tensor) -> Tensor:
    return selu(input, True)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim % input.dim()
    if input.size(d) % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {input.size(d)}")
    a, b = input.chunk(2, d)
    return a * pyengine.sigmoid(b)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    keep = (input > lambd) | (input < -lambd)
    return pyengine.where(keep, input, pyengine.zeros_like(input))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    inside = (input > -3.0) & (input < 3.0)
    outside = (input >= 3.0).to(input.dtype)
    return _inplace(input, pyengine.where(inside, input / 6.0 + 0.5, outside), inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    mid = input * (input + 3.0) / 6.0
    out = pyengine.where(input < -3.0, pyengine.zeros_like(input), pyengine.where(input > 3.0, input, mid))
    return _inplace(input, out, inplace)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    inside = (input > min_val) & (input < max_val)
    if not input.is_floating_point():
        min_val, max_val = int(min_val), int(max_val)
    clamped = pyengine.clamp(input.detach(), min_val, max_val)
    return _inplace(input, pyengine.where(inside, input, clamped), inplace)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return hardtanh(input, 0.0, 6.0, inplace)


def logsigmoid(input: Tensor) -> Tensor:
    return pyengine.clamp(input, max=0.0) - pyengine.log1p(pyengine.exp(-input.abs()))


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    z = input * beta
    soft = pyengine.log1p(pyengine.exp(pyengine.clamp(z, max=threshold))) / beta
    return pyengine.where(z > threshold, input, soft)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    return _inplace(input, input * pyengine.tanh(softplus(input)), inplace)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    return _inplace(input, input * pyengine.sigmoid(input), inplace)


def softmin(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    if dim is None:
        dim = 0 if input.dim() in (0, 1, 3) else 1
    return pyengine.softmax(-input if dtype is None else -input.to(dtype), dim)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    zero = pyengine.zeros_like(input)
    return pyengine.where(input > lambd, input - lambd, pyengine.where(input < -lambd, input + lambd, zero))


def softsign(input: Tensor) -> Tensor:
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    return input - pyengine.tanh(input)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    out = pyengine.where(input > threshold, input, pyengine.full_like(input, value))
    return _inplace(input, out, inplace)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return globals()["threshold"](input, threshold, value, True)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    if weight.numel() == 1:
        weight = weight.reshape(())
    else:
        if input.dim() == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.size(1) if input.dim() >= 2 else 1
        if weight.numel() != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{weight.numel()} and channel size = {channels}.")
        if input.dim() >= 2:
            weight = weight.reshape((channels,) + (1,) * (input.dim() - 2))
    return pyengine.where(input > 0, input, weight * input)


# ---- distances and normalization ----
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Optional[Tensor] = None) -> Tensor:
    denom = pyengine.clamp(input.norm(p, dim, keepdim=True), min=eps).expand_as(input)
    result = input / denom
    if out is not None:
        return out.copy_(result)
    return result


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    for x in (x1, x2):
        if x.is_complex():  # PyTorch has no complex kernel for it either
            raise NotImplementedError(f"\"cosine_similarity\" not implemented for '{x.dtype}'")
    x1, x2 = pyengine.broadcast_tensors(x1, x2)
    n1 = pyengine.clamp(x1.norm(2, dim, keepdim=True), min=eps)
    n2 = pyengine.clamp(x2.norm(2, dim, keepdim=True), min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    return (x1 - x2 + eps).norm(p, -1, keepdim=keepdim)


def rms_norm(input: Tensor, normalized_shape: Sequence[int], weight: Optional[Tensor] = None,
             eps: Optional[float] = None) -> Tensor:
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight.shape)} and normalized_shape = {list(shape)}")
    if tuple(input.shape[input.dim() - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape [*, "
                           f"{', '.join(str(s) for s in shape)}], but got input of size{list(input.shape)}")
    if eps is None:
        eps = pyengine.finfo(input.dtype).eps
    dims = tuple(range(input.dim() - len(shape), input.dim()))
    out = input * pyengine.rsqrt((input * input).mean(dims, keepdim=True) + eps)
    return out * weight if weight is not None else out


def group_norm(input: Tensor, num_groups: int, weight: Optional[Tensor] = None, bias: Optional[Tensor] = None,
               eps: float = 1e-5) -> Tensor:
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    n, c = input.size(0), input.size(1)
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    x = input.reshape(n, num_groups, -1)
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, unbiased=False, keepdim=True)
    out = ((x - mean) * pyengine.rsqrt(var + eps)).reshape(input.shape)
    affine_shape = (1, c) + (1,) * (input.dim() - 2)
    if weight is not None:
        out = out * weight.reshape(affine_shape)
    if bias is not None:
        out = out + bias.reshape(affine_shape)
    return out


def instance_norm(input: Tensor, running_mean: Optional[Tensor] = None, running_var: Optional[Tensor] = None,
                  weight: Optional[Tensor] = None, bias: Optional[Tensor] = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    if input.dim() < 3:
        raise ValueError(f"Expected 3D or higher input (got {input.dim()}D input)")
    c = input.size(1)
    dims = tuple(range(2, input.dim()))
    shape = (1, c) + (1,) * (input.dim() - 2)
    if use_input_stats:
        mean = input.mean(dims, keepdim=True)
        var = input.var(dims, unbiased=False, keepdim=True)
        if running_mean is not None or running_var is not None:
            with pyengine.no_grad():
                count = 1
                for d in dims:
                    count *= input.size(d)
                if running_mean is not None:
                    running_mean.mul_(1 - momentum).add_(mean.mean(0).reshape(c) * momentum)
                if running_var is not None:
                    unbiased = var.mean(0).reshape(c) * (count / max(count - 1, 1))
                    running_var.mul_(1 - momentum).add_(unbiased * momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("Expected running_mean and running_var to be defined when use_input_stats is false")
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    out = (input - mean) * pyengine.rsqrt(var + eps)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    if input.dim() < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.dim()} dimensions)")
    if input.numel() == 0:
        return input
    c = input.size(1)
    sq = input * input
    pad = [0, 0] * (input.dim() - 2) + [size // 2, (size - 1) // 2]
    padded = pyengine.nn.functional.pad(sq, pad)
    window = padded.narrow(1, 0, c)
    for i in range(1, size):
        window = window + padded.narrow(1, i, c)
    # PyTorch averages with avg_pool, which divides integer sums with truncation (the squares are >= 0).
    avg = window // size if not (input.is_floating_point() or input.dtype == pyengine.bool) else window / size
    div = (avg * alpha + k) ** beta
    return input / div


# ---- losses ----
def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    if log_target:
        loss = pyengine.exp(target) * (target - input)
    else:
        loss = pyengine.xlogy(target, target) - target * input
    if reduction == "batchmean" and size_average is None and reduce is None:
        return loss.sum() / (input.size(0) if input.dim() else 1)
    return _reduce(loss, size_average, reduce, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Optional[Tensor] = None) -> Tensor:
    _check_reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = (input - target).abs()
    loss = pyengine.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, None, None, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {tuple(input1.shape)}, input2: {tuple(input2.shape)}, target: "
                           f"{tuple(target.shape)} ")
    loss = pyengine.clamp(-target * (input1 - input2) + margin, min=0.0)
    return _reduce(loss, size_average, reduce, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    return _reduce(pyengine.log1p(pyengine.exp(-target * input)), size_average, reduce, reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    zeros = pyengine.zeros_like(input)
    margin_part = pyengine.where(target != 1, pyengine.clamp(margin - input, min=0.0), zeros)
    self_part = pyengine.where(target != -1, input, zeros)
    return _reduce(margin_part + self_part, size_average, reduce, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, size_average=None,
                          reduce=None, reduction: str = "mean") -> Tensor:
    if input1.dim() != input2.dim() or input1.dim() not in (1, 2):
        raise RuntimeError(f"cosine_embedding_loss : 1D or 2D input tensors expected, got {input1.dim()}D and "
                           f"{input2.dim()}D")
    dim = input1.dim() - 1
    eps = 1e-12
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + eps
    mag2 = (input2 * input2).sum(dim) + eps
    cos = prod / pyengine.sqrt(mag1 * mag2)
    zeros = pyengine.zeros_like(cos)
    pos = pyengine.where(target == 1, 1 - cos, zeros)
    neg = pyengine.where(target == -1, pyengine.clamp(cos - margin, min=0.0), zeros)
    return _reduce(pos + neg, size_average, reduce, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False, size_average=None,
                     eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    if log_input:
        loss = pyengine.exp(input) - target * input
    else:
        loss = input - target * pyengine.log(input + eps)
    if full:
        stirling = target * pyengine.log(target) - target + 0.5 * pyengine.log(2 * math.pi * target)
        loss = loss + pyengine.where(target > 1, stirling, pyengine.zeros_like(stirling))
    return _reduce(loss, size_average, reduce, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    if not isinstance(var, Tensor):
        var = pyengine.full_like(input, float(var))
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.size(-1) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    var = var.clone()
    with pyengine.no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (pyengine.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, None, None, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, size_average=None,
                                reduce=None, reduction: str = "mean") -> Tensor:
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(-1) / input.size(-1) if input.dim() else loss
    return _reduce(loss, size_average, reduce, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    _check_reduction(reduction, size_average, reduce)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dims = (anchor.dim(), positive.dim(), negative.dim())
    if len(set(dims)) != 1:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative {dims[2]}D "
                           f"inputs")
    d_ap = pairwise_distance(anchor, positive, p, eps)
    d_an = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_an = pyengine.minimum(d_an, pairwise_distance(positive, negative, p, eps))
    loss = pyengine.clamp(margin + d_ap - d_an, min=0.0)
    return _reduce(loss, size_average, reduce, reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function: Optional[Callable[[Tensor, Tensor], Tensor]] = None,
                                      margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Tensor:
    if margin <= 0:
        raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} "
                         f"instead")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_ap, d_an = dist(anchor, positive), dist(anchor, negative)
    if swap:
        d_an = pyengine.minimum(d_an, dist(positive, negative))
    return _reduce(pyengine.clamp(margin + d_ap - d_an, min=0.0), None, None, reduction)


# ---- shape ops ----
def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    if input.dim() < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    r = upscale_factor
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
                           f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    n = len(lead)
    x = input.reshape(tuple(lead) + (c // (r * r), r, r, h, w))
    x = x.permute(tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
    return x.reshape(tuple(lead) + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    if input.dim() < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    r = downscale_factor
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle expects height and width to be divisible by downscale_factor, but "
                           f"got height={h}, width={w}, downscale_factor={r}")
    n = len(lead)
    x = input.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    x = x.permute(tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
    return x.reshape(tuple(lead) + (c * r * r, h // r, w // r))


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    if input.dim() < 3:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    n, c = input.size(0), input.size(1)
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    rest = tuple(input.shape[2:])
    return input.reshape((n, groups, c // groups) + rest).transpose(1, 2).reshape(input.shape)


# ---- dropout variants ----
def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool, batched: bool) -> Tensor:
    """Zeroes whole channels with probability p (one draw per sample and channel) and scales by 1 / (1 - p)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    lead = 2 if batched else 1
    shape = tuple(input.shape[:lead]) + (1,) * (input.dim() - lead)
    if p == 1.0:
        noise = pyengine.zeros(shape, dtype=input.dtype, device=input.device)
    else:
        noise = pyengine.empty(shape, dtype=input.dtype, device=input.device).bernoulli_(1 - p).div_(1 - p)
    return input.mul_(noise) if inplace else input * noise


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, batched=input.dim() == 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    dim = input.dim()
    if dim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {dim}-D input to dropout2d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                      "inputs).", stacklevel=2)
    if dim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", stacklevel=2)
    return _feature_dropout(input, p, training, inplace, batched=True)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    dim = input.dim()
    if dim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {dim}-D input to dropout3d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout3d exists to provide channel-wise dropout on inputs with 3 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D "
                      "inputs).", stacklevel=2)
    return _feature_dropout(input, p, training, inplace, batched=dim == 5)


def _alpha_dropout(input: Tensor, p: float, training: bool, inplace: bool, feature: bool) -> Tensor:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input.mul_(0) if inplace else input * 0
    alpha_p = -_SELU_ALPHA * _SELU_SCALE
    a = ((1 - p) * (1 + p * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * p
    shape = (tuple(input.shape[:2]) + (1,) * (input.dim() - 2)) if feature else tuple(input.shape)
    keep = pyengine.bernoulli(pyengine.full(shape, 1 - p, dtype=input.dtype, device=input.device))
    out = (input * keep + alpha_p * (1 - keep)) * a + b
    return input.copy_(out) if inplace else out


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    return _alpha_dropout(input, p, training, inplace, False)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    return _alpha_dropout(input, p, training, inplace, True)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """y = x1^T A x2 + b over the last dims (weight: (out, in1, in2))."""
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {list(input1.shape[:-1])} and "
                           f"{list(input2.shape[:-1])}")
    if weight.dim() != 3 or weight.size(1) != input1.size(-1) or weight.size(2) != input2.size(-1):
        raise RuntimeError(f"bilinear(): weight of size {list(weight.shape)} does not match inputs "
                           f"{list(input1.shape)} and {list(input2.shape)}")
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, input1.size(-1))
    x2 = input2.reshape(-1, input2.size(-1))
    # (out, batch, in2) = x1 @ W[o], then the dot with x2 along in2.
    t = pyengine.matmul(x1.unsqueeze(0), weight)
    out = (t * x2.unsqueeze(0)).sum(-1).t()
    if bias is not None:
        out = out + bias
    return out.reshape(lead + (weight.size(0),))

