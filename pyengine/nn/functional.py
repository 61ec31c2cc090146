"""pyengine.nn.functional: PyTorch's functional nn interface over the C++ nn kernels.

This layer only does what torch.nn.functional itself does in Python: argument defaults (stride None
means kernel_size, None entries of an adaptive output size, the implicit softmax dim), the legacy
size_average/reduce arguments, and the checks PyTorch raises from Python (ValueError for dropout p,
batch sizes of one in training, BCE size mismatches). Everything else is one call into
pyengine._C._nn.
"""
from __future__ import annotations

import sys
import warnings
from typing import Optional

from .. import _C
from .._C import Tensor

_nn = _C._nn

__all__ = [
    "scaled_dot_product_attention", "multi_head_attention_forward", "one_hot", "embedding_bag",
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "conv2d", "cross_entropy", "dropout", "l1_loss", "layer_norm", "linear",
    "log_softmax", "max_pool2d", "max_pool2d_with_indices", "mse_loss", "nll_loss", "pad", "smooth_l1_loss",
    "softmax", "relu", "relu_", "leaky_relu", "leaky_relu_", "gelu", "tanh", "sigmoid", "embedding",
]


def _user_stacklevel(stacklevel: int) -> int:
    """``stacklevel`` for a warning raised ``stacklevel - 1`` frames below the user's call, counting past the
    autocast float32 wrapper (amp/autocast_mode.py) when it is on the way, so the warning names the user's line."""
    frame, extra = sys._getframe(1), 0
    for _ in range(stacklevel - 1):
        frame = frame.f_back
        while frame is not None and frame.f_code.co_filename.endswith("autocast_mode.py"):
            frame, extra = frame.f_back, extra + 1
        if frame is None:
            break
    return stacklevel + extra


def _reduction(size_average, reduce, reduction: str) -> str:
    """PyTorch's _Reduction.legacy_get_string when a legacy argument is given."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    warnings.warn("size_average and reduce args will be deprecated, please use reduction='%s' instead."
                  % ("mean" if size_average and reduce else "sum" if reduce else "none"), stacklevel=_user_stacklevel(3))
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"


# ---- convolution / linear (conv1d/3d, the transposed convs and pad: _functional_conv) ----

def conv2d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """2-D convolution; padding is an int, a pair, 'same' or 'valid'."""
    return _nn.conv2d(input, weight, bias, stride, padding, dilation, groups)


def linear(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """input @ weight.T + bias."""
    return _nn.linear(input, weight, bias)


# ---- pooling ----

def _no_stride(stride) -> bool:
    return stride is None or (not isinstance(stride, int) and len(stride) == 0)


def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):
    return _nn.max_pool2d_with_indices(input, kernel_size, None if _no_stride(stride) else stride, padding,
                                       dilation, ceil_mode)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    out, idx = _nn.max_pool2d_with_indices(input, kernel_size, None if _no_stride(stride) else stride, padding,
                                           dilation, ceil_mode)
    return (out, idx) if return_indices else out


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: Optional[int] = None) -> Tensor:
    if not input.is_floating_point():  # integer inputs: the composite of _functional_pool (truncating division)
        from ._functional_pool import _avg_pool_nd
        return _avg_pool_nd("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                            divisor_override)
    return _nn.avg_pool2d(input, kernel_size, None if _no_stride(stride) else stride, padding, ceil_mode,
                          count_include_pad, divisor_override)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """output_size: an int, or a pair whose None entries keep the input's size."""
    if not isinstance(output_size, int):
        from ._functional_pool import _check_output_size_rank
        _check_output_size_rank(input, output_size)
        output_size = tuple(input.shape[-2 + i] if v is None else v for i, v in enumerate(output_size))
    return _nn.adaptive_avg_pool2d(input, output_size)


# ---- softmax ----

def _softmax_dim(name: str, ndim: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    if dim is None:
        dim = _softmax_dim("softmax", input.dim())
    return _nn.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim())
    return _nn.log_softmax(input, dim, dtype)


# ---- losses ----

def nll_loss(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    return _nn.nll_loss(input, target, weight, _reduction(size_average, reduce, reduction), ignore_index)


def cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """log_softmax over the class dim + nll_loss (class indices) or the class-probability loss."""
    return _nn.cross_entropy(input, target, weight, _reduction(size_average, reduce, reduction), ignore_index,
                             label_smoothing)


def _warn_broadcast(input: Tensor, target: Tensor) -> None:
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=_user_stacklevel(3))


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
             weight: Optional[Tensor] = None) -> Tensor:
    _warn_broadcast(input, target)
    return _nn.mse_loss(input, target, _reduction(size_average, reduce, reduction), weight)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
            weight: Optional[Tensor] = None) -> Tensor:
    _warn_broadcast(input, target)
    return _nn.l1_loss(input, target, _reduction(size_average, reduce, reduction), weight)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    _warn_broadcast(input, target)
    return _nn.smooth_l1_loss(input, target, _reduction(size_average, reduce, reduction), beta)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    return _nn.binary_cross_entropy(input, target, weight, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Optional[Tensor] = None) -> Tensor:
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    return _nn.binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)


# ---- dropout / normalization ----

def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes elements with probability p and scales the rest by 1 / (1 - p) (identity when not training)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return _nn.dropout_(input, p, training) if inplace else _nn.dropout(input, p, training)


def batch_norm(input: Tensor, running_mean: Optional[Tensor], running_var: Optional[Tensor],
               weight: Optional[Tensor] = None, bias: Optional[Tensor] = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    if training:
        size = input.shape
        n = size[0]
        for s in size[2:]:
            n *= s
        if n == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")
    if input.numel() == 0:
        # PyTorch's empty-input path: no statistics, a copy (not a view) scaled by the first weight and bias.
        out = input.clone()
        if weight is not None:
            out = out * weight[0]
        if bias is not None:
            out = out + bias[0]
        return out
    return _nn.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def layer_norm(input: Tensor, normalized_shape, weight: Optional[Tensor] = None, bias: Optional[Tensor] = None,
               eps: float = 1e-5) -> Tensor:
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    return _nn.layer_norm(input, list(normalized_shape), weight, bias, eps)


# ---- activations / embedding (composed from existing ops, so autograd differentiates them) ----

def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return _C.relu_(input) if inplace else _C.relu(input)


def relu_(input: Tensor) -> Tensor:
    return _C.relu_(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    out = _C.where(input > 0, input, input * negative_slope)
    return input.copy_(out) if inplace else out


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) with the exact normal CDF (erf), or PyTorch's tanh approximation."""
    if approximate == "none":
        return input * 0.5 * (1.0 + _C.erf(input * 0.7071067811865476))
    if approximate == "tanh":
        inner = 0.7978845608028654 * (input + 0.044715 * input * input * input)
        return 0.5 * input * (1.0 + _C.tanh(inner))
    raise RuntimeError("approximate argument must be either none or tanh.")


def tanh(input: Tensor) -> Tensor:
    return _C.tanh(input)


def sigmoid(input: Tensor) -> Tensor:
    return _C.sigmoid(input)


def embedding(input: Tensor, weight: Tensor, padding_idx: Optional[int] = None, max_norm: Optional[float] = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of weight picked by the integer indices in input: shape input.shape + (embedding_dim,).
    padding_idx only matters for the gradient (its row gets none), as in PyTorch; max_norm renormalises the
    looked-up rows of weight in place first (their norm_type-norm at most max_norm); scale_grad_by_freq
    divides each row's gradient by how often its index occurs in input. Sparse gradients do not exist here."""
    if sparse:
        raise NotImplementedError("embedding(sparse=True): pyengine has no sparse tensors, so no sparse gradients; "
                                  "use sparse=False (a dense weight gradient)")
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < weight.size(0), "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -weight.size(0), "Padding_idx must be within num_embeddings"
    if input.dtype not in (_C.int64, _C.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {input.type()} instead (while checking arguments for embedding)")
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    flat = input.reshape(-1)
    if max_norm is not None:
        from ._autograd_compat import no_grad
        with no_grad():
            rows = weight.index_select(0, flat)
            norms = rows.norm(p=norm_type, dim=1, keepdim=True)
            scale = _C.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
            weight.index_copy_(0, flat, rows * scale)
    rows = weight.index_select(0, flat)
    if scale_grad_by_freq and rows.requires_grad:
        counts = _C.zeros(weight.size(0), dtype=weight.dtype, device=weight.device)
        counts.index_add_(0, flat, _C.ones(flat.numel(), dtype=weight.dtype, device=weight.device))
        inv_freq = (1.0 / counts.index_select(0, flat)).unsqueeze(-1)
        rows.register_hook(lambda g: g * inv_freq)
    if padding_idx is not None and weight.requires_grad:
        # The padding row gets no gradient: its lookups use a detached copy (same values forward).
        pad = padding_idx if padding_idx >= 0 else padding_idx + weight.size(0)
        rows = _C.where((flat != pad).unsqueeze(-1), rows, rows.detach())
    return rows.reshape(tuple(input.shape) + (weight.size(1),))


from ._functional_attention import multi_head_attention_forward, scaled_dot_product_attention  # noqa: E402,F401
from ._functional_sparse import embedding_bag, one_hot  # noqa: E402,F401
from ._functional_more import *  # noqa: E402,F401,F403
from ._functional_more import __all__ as _more_all  # noqa: E402
from ._functional_random_act import gumbel_softmax, rrelu, rrelu_  # noqa: E402,F401
from ._functional_spatial import *  # noqa: E402,F401,F403
from ._functional_spatial import __all__ as _spatial_all  # noqa: E402
from ._linear_cross_entropy import linear_cross_entropy  # noqa: E402,F401

__all__ += _more_all + [n for n in _spatial_all if n not in __all__] + ["linear_cross_entropy"]

# Note [Autocast]: inside an autocast region the float32-list entries cast 16-bit inputs up (wrapped once, here).
from ..amp.autocast_mode import _install_float32_policy  # noqa: E402

_install_float32_policy(globals())
