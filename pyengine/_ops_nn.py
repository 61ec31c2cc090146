"""torch.* module-level forms of the nn kernels (torch.conv2d, torch.max_pool2d, torch.softmax, ...).

The kernels live in C++ (csrc/ops/nn*.cpp); pyengine.nn.functional holds the F.* forms.
"""
from __future__ import annotations

from . import _C
from ._C import (  # noqa: F401
    batch_norm,
    bernoulli,
    dropout,
    dropout_,
    layer_norm,
    log_softmax,
    native_batch_norm,
    native_dropout,
    native_layer_norm,
    softmax,
)

__all__ = [
    "adaptive_avg_pool1d", "batch_norm", "bernoulli", "constant_pad_nd", "conv2d", "dropout", "dropout_",
    "layer_norm", "log_softmax", "max_pool2d", "max_pool2d_with_indices", "native_batch_norm",
    "native_dropout", "native_layer_norm", "softmax",
]

conv2d = _C._nn.conv2d
constant_pad_nd = _C._nn.constant_pad_nd


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """torch.max_pool2d: like F.max_pool2d without return_indices (stride=() means kernel_size)."""
    stride = None if stride is None or (not isinstance(stride, int) and len(stride) == 0) else stride
    return _C._nn.max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)[0]


def max_pool2d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    stride = None if stride is None or (not isinstance(stride, int) and len(stride) == 0) else stride
    return _C._nn.max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)


def adaptive_avg_pool1d(input, output_size):
    """(C, L) or (N, C, L) -> (..., output_size), through the 2-D kernel with a height of 1."""
    if not isinstance(output_size, int) and len(output_size) != 1:
        raise RuntimeError(f"adaptive_avg_pool1d() argument 'output_size' should contain one int (got "
                           f"{len(output_size)})")
    size = output_size if isinstance(output_size, int) else output_size[0]
    return _C._nn.adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)


# ---- torch.<name> forms of nn.functional ops (aten's positional signatures; losses take the reduction as
# aten's int: 0 none, 1 mean, 2 sum) ----
def _F():
    from .nn import functional
    return functional


_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _reduction(reduction) -> str:
    if isinstance(reduction, str):
        return reduction
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return _REDUCTIONS[reduction]


def _same_as_F(name: str):
    def op(*args, **kwargs):
        return getattr(_F(), name)(*args, **kwargs)
    op.__name__ = name
    op.__doc__ = f"torch.{name}: the same operation as torch.nn.functional.{name}."
    return op


_F_ALIASES = ("conv1d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "avg_pool1d",
              "max_pool1d", "max_pool3d", "max_pool1d_with_indices", "bilinear", "celu", "celu_", "selu", "selu_",
              "threshold", "threshold_", "prelu", "hardshrink", "pixel_shuffle", "pixel_unshuffle",
              "channel_shuffle", "native_channel_shuffle", "cosine_similarity", "pairwise_distance", "pdist",
              "rrelu", "rrelu_")
for _name in _F_ALIASES:
    globals()[_name] = _same_as_F(_name)
__all__ += list(_F_ALIASES)


def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-05, cudnn_enabled: bool = True):
    return _F().group_norm(input, num_groups, weight, bias, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    return _F().rms_norm(input, normalized_shape, weight, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats: bool, momentum: float,
                  eps: float, cudnn_enabled: bool):
    return _F().instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def kl_div(input, target, reduction=1, *, log_target: bool = False):
    return _F().kl_div(input, target, reduction=_reduction(reduction), log_target=log_target)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=1):
    return _F().binary_cross_entropy_with_logits(input, target, weight, reduction=_reduction(reduction),
                                                 pos_weight=pos_weight)


def margin_ranking_loss(input1, input2, target, margin: float = 0.0, reduction=1):
    return _F().margin_ranking_loss(input1, input2, target, margin, reduction=_reduction(reduction))


def hinge_embedding_loss(input, target, margin: float = 1.0, reduction=1):
    return _F().hinge_embedding_loss(input, target, margin, reduction=_reduction(reduction))


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0, reduction=1):
    return _F().cosine_embedding_loss(input1, input2, target, margin, reduction=_reduction(reduction))


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2, eps: float = 1e-06,
                        swap: bool = False, reduction=1):
    return _F().triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                    reduction=_reduction(reduction))


def poisson_nll_loss(input, target, log_input: bool, full: bool, eps: float, reduction):
    return _F().poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=_reduction(reduction))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank: int = 0, reduction=1,
             zero_infinity: bool = False):
    return _F().ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, _reduction(reduction),
                         zero_infinity)


def embedding(weight, indices, padding_idx: int = -1, scale_grad_by_freq: bool = False, sparse: bool = False):
    return _F().embedding(indices, weight, None if padding_idx == -1 else padding_idx,
                          scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def alpha_dropout(input, p: float, train: bool):
    return _F().alpha_dropout(input, p, train)


def alpha_dropout_(input, p: float, train: bool):
    return _F().alpha_dropout(input, p, train, inplace=True)


def feature_alpha_dropout(input, p: float, train: bool):
    return _F().feature_alpha_dropout(input, p, train)


def feature_alpha_dropout_(input, p: float, train: bool):
    return _F().feature_alpha_dropout(input, p, train, inplace=True)


def feature_dropout(input, p: float, train: bool):
    """Zeroes whole feature maps (dims 0 and 1 pick one) with probability p, scaling the rest by 1/(1-p)."""
    if input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if p < 0 or p > 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not train or p == 0:
        return input
    if p == 1:
        return input * 0
    shape = list(input.shape[:2]) + [1] * (input.dim() - 2)
    keep = _C.empty(shape, dtype=input.dtype, device=input.device).bernoulli_(1 - p).div_(1 - p)
    return input * keep


def feature_dropout_(input, p: float, train: bool):
    return input.copy_(feature_dropout(input, p, train))


def adaptive_max_pool1d(input, output_size):
    """torch.adaptive_max_pool1d returns (output, indices), as aten's op."""
    return _F().adaptive_max_pool1d(input, output_size, return_indices=True)


__all__ += ["group_norm", "rms_norm", "instance_norm", "kl_div", "binary_cross_entropy_with_logits",
            "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss", "triplet_margin_loss",
            "poisson_nll_loss", "ctc_loss", "embedding", "alpha_dropout", "alpha_dropout_", "feature_alpha_dropout",
            "feature_alpha_dropout_", "feature_dropout", "feature_dropout_", "adaptive_max_pool1d"]
