"""nn.SyncBatchNorm: batch norm whose training statistics are taken over the whole process group.

Outside a multi-rank process group (or in eval mode) it is BatchNorm. In training on several ranks the
per-channel mean and variance come from every rank's batch (two all-reduces: the sums and counts, then the
centred sums of squares, so the variance keeps full precision), and backward all-reduces the two sums its
input gradient needs. The weight and bias gradients stay local, as PyTorch's (DDP averages them). Unlike
PyTorch, CPU tensors are synchronised too (through the MPI process group) instead of being refused.
"""
from __future__ import annotations

from typing import Any, Optional

import pyengine

from ..._C import Tensor
from ...autograd.function import Function
from .. import functional as F
from .normalization import _BatchNorm

__all__ = ["SyncBatchNorm"]


def _dist():
    from ... import distributed
    return distributed


def _reduce_dims(x: Tensor):
    return [d for d in range(x.dim()) if d != 1]


def _channel_view(v: Tensor, x: Tensor) -> Tensor:
    return v.reshape([1, -1] + [1] * (x.dim() - 2))


class _SyncBatchNormFunction(Function):
    @staticmethod
    def forward(ctx, input, weight, bias, running_mean, running_var, eps, momentum, group, world_size):
        dist = _dist()
        dims = _reduce_dims(input)
        channels = input.shape[1]
        count = input.numel() // max(channels, 1)
        x = input if input.dtype != pyengine.float16 and input.dtype != pyengine.bfloat16 else input.float()
        sums = pyengine.cat([x.sum(dims), pyengine.full((1,), float(count), dtype=x.dtype, device=x.device)])
        dist.all_reduce(sums, group=group)
        total = sums[-1]
        if float(total) <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{list(input.shape)}")
        mean = sums[:-1] / total
        centred = x - _channel_view(mean, x)
        m2 = (centred * centred).sum(dims)
        dist.all_reduce(m2, group=group)
        var = m2 / total
        invstd = (var + eps).rsqrt()
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_(mean.to(running_mean.dtype) * momentum)
        if running_var is not None:
            unbiased = var * (total / (total - 1))
            running_var.mul_(1 - momentum).add_(unbiased.to(running_var.dtype) * momentum)
        xhat = centred * _channel_view(invstd, x)
        out = xhat
        if weight is not None:
            out = out * _channel_view(weight, x)
        if bias is not None:
            out = out + _channel_view(bias, x)
        ctx.save_for_backward(xhat, weight, invstd)
        ctx.total, ctx.group, ctx.has_bias = total, group, bias is not None
        return out.to(input.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        dist = _dist()
        xhat, weight, invstd = ctx.saved_tensors
        dims = _reduce_dims(xhat)
        dy = grad_out.to(xhat.dtype)
        local = pyengine.cat([dy.sum(dims), (dy * xhat).sum(dims)])
        grad_weight = local[local.shape[0] // 2:].clone() if weight is not None else None
        grad_bias = local[:local.shape[0] // 2].clone() if ctx.has_bias else None
        dist.all_reduce(local, group=ctx.group)
        channels = local.shape[0] // 2
        sum_dy, sum_dy_xhat = local[:channels], local[channels:]
        scale = invstd if weight is None else invstd * weight
        grad_input = _channel_view(scale, xhat) * (
            dy - _channel_view(sum_dy / ctx.total, xhat) - xhat * _channel_view(sum_dy_xhat / ctx.total, xhat))
        return (grad_input.to(grad_out.dtype), grad_weight, grad_bias, None, None, None, None, None, None)


class SyncBatchNorm(_BatchNorm):
    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1, affine: bool = True,
                 track_running_stats: bool = True, process_group: Optional[Any] = None, device=None, dtype=None, *,
                 bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device=device, dtype=dtype,
                         bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")

    def _check_non_zero_input_channels(self, input: Tensor) -> None:
        if input.size(1) == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        self._check_non_zero_input_channels(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            with pyengine.no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked)
        bn_training = True if self.training else (self.running_mean is None and self.running_var is None)
        use_stats = not self.training or self.track_running_stats
        running_mean = self.running_mean if use_stats else None
        running_var = self.running_var if use_stats else None
        dist = _dist()
        world_size = 1
        group = None
        if bn_training and self.training and dist.is_available() and dist.is_initialized():
            group = self.process_group if self.process_group else dist.group.WORLD
            world_size = dist.get_world_size(group)
        if world_size <= 1:
            return F.batch_norm(input, running_mean, running_var, self.weight, self.bias, bn_training, factor,
                                self.eps)
        return _SyncBatchNormFunction.apply(input, self.weight, self.bias, running_mean, running_var, self.eps,
                                            factor, group, world_size)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """A copy of ``module`` with every BatchNorm*d replaced by a SyncBatchNorm holding the same parameters
        and buffers."""
        converted = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            converted = SyncBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                                      module.track_running_stats, process_group)
            if module.affine:
                with pyengine.no_grad():
                    converted.weight = module.weight
                    converted.bias = module.bias
            converted.running_mean = module.running_mean
            converted.running_var = module.running_var
            converted.num_batches_tracked = module.num_batches_tracked
            converted.training = module.training
            if hasattr(module, "qconfig"):
                converted.qconfig = module.qconfig
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        del module
        return converted
