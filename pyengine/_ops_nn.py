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
    size = output_size if isinstance(output_size, int) else output_size[0]
    return _C._nn.adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)
