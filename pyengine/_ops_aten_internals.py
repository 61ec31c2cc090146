"""PyTorch's public "aten internals" that programs (and op_db) call directly, composed from the engine's
differentiable ops: _softmax_backward_data, _safe_softmax, native_group_norm, _native_batch_norm_legit,
_batch_norm_with_update, native_dropout_backward, grid_sampler_2d/3d, _upsample_bilinear2d_aa, _chunk_cat,
_unsafe_masked_index(_put_accumulate), max_pool2d_with_indices_backward, segment_reduce, and the
Tensor forms as_strided_ and __rdiv__.

Each follows the ATen function of the same name (arguments, defaults, result dtypes and shapes, error
classes); gradients come from the ops they are written with. Checked against PyTorch by the op_db suite
(tests/python/test_opinfo.py) and tests/python/test_ops_tail2.py.
"""
from __future__ import annotations

import math
from typing import List, Optional, Sequence, Tuple

from ._C import Tensor

__all__ = ["_softmax_backward_data", "native_group_norm", "_native_batch_norm_legit", "_batch_norm_with_update",
           "native_dropout_backward", "grid_sampler_2d", "grid_sampler_3d", "_upsample_bilinear2d_aa",
           "_chunk_cat", "_unsafe_masked_index", "_unsafe_masked_index_put_accumulate",
           "max_pool2d_with_indices_backward", "segment_reduce", "as_strided_", "_safe_softmax"]

# grid_sampler's integer codes, in ATen's order (GridSamplerInterpolation / GridSamplerPadding).
_INTERPOLATION = ("bilinear", "nearest", "bicubic")
_PADDING = ("zeros", "border", "reflection")


def _pe():
    import pyengine
    return pyengine


def _softmax_backward_data(grad_output: Tensor, output: Tensor, dim: int, input_dtype) -> Tensor:
    """The gradient of softmax's input from its output y: y * (g - sum(g * y, dim)), in input_dtype."""
    gy = grad_output * output
    return (gy - output * gy.sum(dim, keepdim=True)).to(input_dtype)


def native_group_norm(input: Tensor, weight: Optional[Tensor], bias: Optional[Tensor], N: int, C: int, HxW: int,
                      group: int, eps: float) -> Tuple[Tensor, Tensor, Tensor]:
    """(output, mean, rstd), mean and rstd of shape (N, group), as ATen's native_group_norm."""
    if C % group != 0:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={group}")
    if input.numel() != N * C * HxW:
        raise RuntimeError(f"Expected input to have {N * C * HxW} elements (N * C * HxW), got {input.numel()}")
    x = input.reshape(N, group, -1)
    mean = x.mean(-1)
    var = x.var(-1, unbiased=False)
    rstd = (var + eps).rsqrt()
    out = ((x - mean.unsqueeze(-1)) * rstd.unsqueeze(-1)).reshape(tuple(input.shape))
    affine_shape = (1, C) + (1,) * (input.dim() - 2)
    if weight is not None:
        out = out * weight.reshape(affine_shape)
    if bias is not None:
        out = out + bias.reshape(affine_shape)
    return out, mean, rstd


def _native_batch_norm_legit(input: Tensor, weight: Optional[Tensor], bias: Optional[Tensor], *args):
    """_native_batch_norm_legit(input, weight, bias, running_mean, running_var, training, momentum, eps) or,
    without running statistics, (input, weight, bias, training, momentum, eps): native_batch_norm's
    (output, save_mean, save_invstd)."""
    pe = _pe()
    if len(args) == 5:
        running_mean, running_var, training, momentum, eps = args
    elif len(args) == 3:
        running_mean = running_var = None
        training, momentum, eps = args
    else:
        raise TypeError("_native_batch_norm_legit(): expected (input, weight, bias, running_mean, running_var, "
                        "training, momentum, eps) or (input, weight, bias, training, momentum, eps)")
    return pe.native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps)


def _batch_norm_with_update(input: Tensor, weight: Optional[Tensor], bias: Optional[Tensor], running_mean: Tensor,
                            running_var: Tensor, momentum: float, eps: float):
    """Training-mode batch norm that updates the running statistics: (output, save_mean, save_invstd,
    reserve), reserve an empty uint8 tensor on the CPU (cuDNN's workspace elsewhere)."""
    pe = _pe()
    out, mean, invstd = pe.native_batch_norm(input, weight, bias, running_mean, running_var, True, momentum, eps)
    return out, mean, invstd, pe.empty(0, dtype=pe.uint8, device=input.device)


def _safe_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """softmax, except that a slice whose every element is -inf (fully masked attention rows) gives zeros
    instead of NaN."""
    pe = _pe()
    masked = (input == -float("inf")).all(dim, keepdim=True)
    # Masked slices go through softmax as zeros, so neither the value nor the gradient sees their NaN.
    out = pe.softmax(pe.where(masked, pe.zeros((), dtype=input.dtype, device=input.device), input), dim,
                     dtype=dtype)
    return pe.where(masked, pe.zeros((), dtype=out.dtype, device=out.device), out)


def native_dropout_backward(grad_output: Tensor, mask: Tensor, scale: float) -> Tensor:
    """The gradient of native_dropout: grad_output * mask * scale, in grad_output's dtype."""
    return grad_output * mask.to(grad_output.dtype) * scale


def _grid_sampler(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int, align_corners: bool,
                  dims: int) -> Tensor:
    pe = _pe()
    if input.dim() != dims + 2:
        raise RuntimeError(f"grid_sampler(): expected {dims + 2}D input and grid with same number of dimensions, "
                           f"but got input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    if not 0 <= interpolation_mode < len(_INTERPOLATION) or not 0 <= padding_mode < len(_PADDING):
        raise RuntimeError(f"grid_sampler(): invalid interpolation_mode {interpolation_mode} or padding_mode "
                           f"{padding_mode}")
    return pe.nn.functional.grid_sample(input, grid, mode=_INTERPOLATION[interpolation_mode],
                                        padding_mode=_PADDING[padding_mode], align_corners=align_corners)


def grid_sampler_2d(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                    align_corners: bool) -> Tensor:
    """F.grid_sample on 4-D input with ATen's integer mode codes (0 bilinear, 1 nearest, 2 bicubic; padding
    0 zeros, 1 border, 2 reflection)."""
    return _grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners, 2)


def grid_sampler_3d(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                    align_corners: bool) -> Tensor:
    """F.grid_sample on 5-D input with ATen's integer mode codes."""
    return _grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners, 3)


def _upsample_bilinear2d_aa(input: Tensor, output_size: Optional[Sequence[int]], align_corners: bool,
                            scale_factors: Optional[Sequence[float]] = None, scales_h: Optional[float] = None,
                            scales_w: Optional[float] = None) -> Tensor:
    """Antialiased bilinear resize of a 4-D input. Given output_size, scales_h/scales_w (when given) place
    the samples instead of in/out, as ATen's kernel; given scale_factors, the output size is floor(in *
    scale). Like PyTorch's separable kernel, the width is resampled first and a dim that keeps its size
    is not resampled."""
    from .nn._functional_sample import _resample_dim
    if (output_size is None) == (scale_factors is None):
        raise RuntimeError("Must specify exactly one of output_size and scale_factors")
    if input.dim() != 4:
        raise RuntimeError(f"It is expected input to be a 4-D tensor, but got {input.dim()}-D tensor")
    if scale_factors is not None:
        scales = [float(v) for v in scale_factors]
        if len(scales) != 2:
            raise RuntimeError(f"It is expected scale_factors to have 2 elements, but got {len(scales)}")
        size = [int(math.floor(input.shape[2 + i] * scales[i])) for i in range(2)]
    else:
        size = [int(v) for v in output_size]
        if len(size) != 2:
            raise RuntimeError(f"It is expected output_size equals to 2, but got size {len(size)}")
        scales = [scales_h, scales_w]
    if any(v <= 0 for v in size) or any(v == 0 for v in input.shape[1:]):
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({input.shape[2]}, {input.shape[3]}) and output ({size[0]}, {size[1]})")
    if not input.is_floating_point():
        raise NotImplementedError(f"\"_upsample_bilinear2d_aa\" not implemented for '{input.dtype}'")
    out = input
    for i in (1, 0):
        if out.shape[2 + i] != size[i]:
            out = _resample_dim(out, 2 + i, "aa-linear", size[i], bool(align_corners), scales[i])
    return out if out is not input else input.clone()


def _chunk_cat(tensors: Sequence[Tensor], dim: int, num_chunks: int) -> Tensor:
    """Each tensor split into num_chunks chunks along dim (the last zero-padded to the common chunk size),
    the chunk i of every tensor flattened and concatenated: shape (*leading, num_chunks, sum of chunk sizes)."""
    pe = _pe()
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("_chunk_cat expects a non-empty input tensor list")
    if num_chunks < 1:
        raise RuntimeError("_chunk_cat expects positive num_chunks")
    ndim = tensors[0].dim()
    if ndim == 0:
        raise RuntimeError("_chunk_cat expects non-scalar input tensors")
    if any(t.numel() == 0 for t in tensors):
        raise RuntimeError("_chunk_cat expects non-empty tensor")
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})")
    if dim < 0 and any(t.dim() != ndim for t in tensors):
        raise RuntimeError("_chunk_cat expects non-negative dim when input tensors have different ndims")
    dim = dim % ndim  # the others may have more or fewer trailing dims
    lead = tuple(tensors[0].shape[:dim])
    pieces = []
    for t in tensors:
        if t.dim() <= dim or tuple(t.shape[:dim]) != lead:
            raise RuntimeError("_chunk_cat expects same sizes of 0,...,dim-1 dimensions for all tensors")
        if t.dtype != tensors[0].dtype:
            raise RuntimeError("_chunk_cat expects all input tensors with the same dtype")
        size = t.shape[dim]
        chunk = -(-size // num_chunks)
        pad = chunk * num_chunks - size
        if pad:
            zeros = pe.zeros(lead + (pad,) + tuple(t.shape[dim + 1:]), dtype=t.dtype, device=t.device)
            t = pe.cat([t, zeros], dim)
        pieces.append(t.reshape(lead + (num_chunks, -1)) if t.numel() else
                      t.new_zeros(lead + (num_chunks, 0)))
    return pe.cat(pieces, dim + 1)


def _index_tuple(indices: Sequence[Optional[Tensor]], x: Tensor) -> Tuple:
    """ATen's optional-tensor index list as a Python index: None (a whole dim there) becomes a full slice,
    each index clamped into its dim (the masked-out positions may hold anything)."""
    out = []
    for i, index in enumerate(indices):
        if index is None:
            out.append(slice(None))
            continue
        if index.dtype not in (_pe().int64, _pe().int32):
            raise RuntimeError("tensors used as indices must be long or int tensors")
        out.append(index.clamp(0, x.shape[i] - 1))
    return tuple(out)


def _unsafe_masked_index(x: Tensor, mask: Tensor, indices: Sequence[Optional[Tensor]], fill) -> Tensor:
    """x[indices] where mask holds (any dtype: nonzero), fill elsewhere (indices need only be in range where
    mask holds)."""
    index = _index_tuple(indices, x)
    if x.numel() == 0:
        shape = _pe().empty(tuple(max(s, 1) for s in x.shape), device=x.device)[index].shape
        return x.new_full(tuple(shape), fill)
    return x[index].masked_fill(mask.logical_not(), fill)


def _unsafe_masked_index_put_accumulate(x: Tensor, mask: Tensor, indices: Sequence[Optional[Tensor]],
                                        values: Tensor) -> Tensor:
    """A copy of x with values (zero where mask is False) added at indices, repeated indices summed."""
    index = _index_tuple(indices, x)
    masked = values.masked_fill(mask.logical_not(), 0)
    return x.index_put(index, masked, accumulate=True)


def _pool2d_output_hw(hw, kernel_size, stride, padding, dilation, ceil_mode: bool):
    """PyTorch's pooling_output_shape for each of H and W (stride [] means kernel_size)."""
    def pair(v, name):
        v = [v] if isinstance(v, int) else list(v)
        if len(v) not in (1, 2):
            raise RuntimeError(f"max_pool2d: {name} must either be a single int, or a tuple of two ints")
        return v * 2 if len(v) == 1 else v
    k, p, d = pair(kernel_size, "kernel_size"), pair(padding, "padding"), pair(dilation, "dilation")
    s = k if (not isinstance(stride, int) and len(stride) == 0) else pair(stride, "stride")
    out = []
    for size, ki, si, pi, di in zip(hw, k, s, p, d):
        n = size + 2 * pi - di * (ki - 1) - 1 + (si - 1 if ceil_mode else 0)
        o = n // si + 1
        if ceil_mode and (o - 1) * si >= size + pi:
            o -= 1
        out.append(o)
    return tuple(out)


def max_pool2d_with_indices_backward(grad_output: Tensor, input: Tensor, kernel_size, stride, padding, dilation,
                                     ceil_mode: bool, indices: Tensor) -> Tensor:
    """The gradient of max_pool2d for input: grad_output summed into the positions the indices name (each
    index flat within its sample's (H, W) plane)."""
    pe = _pe()
    if input.dim() not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    if tuple(grad_output.shape) != tuple(indices.shape):
        raise RuntimeError(f"max_pool2d_with_indices_backward: grad_output {list(grad_output.shape)} and indices "
                           f"{list(indices.shape)} must have the same shape")
    expected = _pool2d_output_hw(tuple(input.shape[-2:]), kernel_size, stride, padding, dilation, ceil_mode)
    if tuple(grad_output.shape[-2:]) != expected:
        raise RuntimeError(f"max_pool2d_with_indices_backward: grad_output's spatial size "
                           f"{list(grad_output.shape[-2:])} is not the pooled size {list(expected)} of input "
                           f"{list(input.shape[-2:])} for kernel_size={kernel_size}, stride={stride}, padding={padding}, "
                           f"dilation={dilation}, ceil_mode={ceil_mode}")
    plane = input.shape[-2] * input.shape[-1]
    lead = tuple(input.shape[:-2])
    g = grad_output.reshape(lead + (-1,))
    grad = pe.zeros(lead + (plane,), dtype=grad_output.dtype, device=grad_output.device)
    grad = grad.scatter_add(-1, indices.reshape(lead + (-1,)), g).reshape(tuple(input.shape))
    if input.requires_grad and pe.is_grad_enabled():
        # PyTorch's derivative for `input` is zeros_like(input): recorded with where(), not input * 0, so an
        # inf or NaN in input cannot leak into it.
        grad = pe.where(pe.ones_like(grad, dtype=pe.bool), grad, input)
    return grad


_SEGMENT_REDUCTIONS = ("max", "mean", "min", "sum", "prod")


def segment_reduce(data: Tensor, reduce: str, *, lengths: Optional[Tensor] = None, indices=None,
                   offsets: Optional[Tensor] = None, axis: int = 0, unsafe: bool = False,
                   initial=None) -> Tensor:
    """Reduces consecutive segments of data along axis (given by lengths, or by offsets: segment i is
    [offsets[..., i], offsets[..., i + 1])) with max/min/sum/mean/prod; an empty segment gives `initial`
    (or the reduction's identity: NaN for mean, -inf/inf for max/min). lengths/offsets may be batched over
    data's leading dims."""
    pe = _pe()
    if reduce not in _SEGMENT_REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, max, min or mean, got {reduce}")
    if indices is not None:
        raise NotImplementedError("segment_reduce(): indices is not supported (as in PyTorch)")
    if (lengths is None) == (offsets is None):
        raise RuntimeError("segment_reduce(): expected exactly one of lengths or offsets")
    axis = axis % max(data.dim(), 1)
    if offsets is None:
        if lengths.dim() != axis + 1:
            raise RuntimeError("Expected lengths to have one more dimension than the leading (batch) dims of data")
        zero = pe.zeros(tuple(lengths.shape[:-1]) + (1,), dtype=lengths.dtype, device=lengths.device)
        offsets = pe.cat([zero, lengths.cumsum(-1)], -1)
        if not unsafe and (bool((lengths < 0).any()) or
                           bool((offsets[..., -1] != data.shape[axis]).any())):
            raise RuntimeError("Expected all rows of lengths along axis to sum to data.size(lengths.dim()-1) "
                               "and be non-negative")
    elif offsets.dim() != axis + 1:
        raise RuntimeError("Expected offsets to have one more dimension than the leading (batch) dims of data")
    n = data.shape[axis]
    segments = offsets.shape[-1] - 1
    # member[..., s, j]: element j of the axis lies in segment s.
    pos = pe.arange(n, device=data.device)
    member = (pos >= offsets[..., :-1].unsqueeze(-1)) & (pos < offsets[..., 1:].unsqueeze(-1))
    trailing = data.dim() - axis - 1
    member = member.reshape(tuple(member.shape) + (1,) * trailing)  # (*batch, segments, n, 1...)
    x = data.unsqueeze(axis)                                        # (*batch, 1, n, *trailing)
    count = member.sum(axis + 1)                                    # (*batch, segments, 1...)

    def const(v):
        return pe.full((), v, dtype=data.dtype, device=data.device)

    # `initial` starts every segment's reduction (PyTorch's kernel), the reduction's identity without it.
    if reduce in ("sum", "mean"):
        r = pe.where(member, x, const(0)).sum(axis + 1)
        if initial is not None:
            r = r + initial
        if reduce == "mean":
            # count clamped so that the branch where() drops never divides by zero (a NaN gradient)
            mean = r / count.clamp(min=1).to(data.dtype)
            r = pe.where(count > 0, mean, r if initial is not None else const(math.nan))
    elif reduce == "prod":
        r = pe.where(member, x, const(1)).prod(axis + 1)
        if initial is not None:
            r = r * initial
    else:
        identity = math.inf if reduce == "min" else -math.inf
        filled = pe.where(member, x, const(identity))
        if reduce == "max":
            r = filled.amax(axis + 1)
            r = r if initial is None else r.clamp(min=initial)
        else:
            r = filled.amin(axis + 1)
            r = r if initial is None else r.clamp(max=initial)
    return r.reshape(tuple(data.shape[:axis]) + (segments,) + tuple(data.shape[axis + 1:]))


def _aten_slice(input: Tensor, dim: int = 0, start: Optional[int] = None, end: Optional[int] = None,
                step: int = 1) -> Tensor:
    """aten::slice (torch.ops.aten.slice): input[start:end:step] along dim, a view; start and end clamp into
    the dim as Python slicing does. Not a torch.* function (it would shadow the builtin slice)."""
    if input.dim() == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    if not -input.dim() <= dim < input.dim():
        raise IndexError(f"Dimension out of range (expected to be in range of [{-input.dim()}, {input.dim() - 1}], "
                         f"but got {dim})")
    index = [slice(None)] * (dim % input.dim()) + [slice(start, end, step)]
    return input[tuple(index)]


def as_strided_(self: Tensor, size, stride, storage_offset: Optional[int] = None) -> Tensor:
    """Restrides self in place over its own storage (the bounds are checked as for as_strided)."""
    from . import _C
    pe = _pe()
    offset = self.storage_offset() if storage_offset is None else storage_offset
    if self.requires_grad and pe.is_grad_enabled():
        if self.is_leaf:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        raise NotImplementedError("as_strided_(): an in-place restride of a tensor that requires grad is not "
                                  "differentiable here; use as_strided()")
    self.as_strided(tuple(size), tuple(stride), offset)  # the bounds and argument checks
    _C._set_storage(self, self, offset, tuple(size), tuple(stride))
    return self


def _install_methods() -> None:
    if not hasattr(Tensor, "__rdiv__") and hasattr(Tensor, "__rtruediv__"):
        Tensor.__rdiv__ = Tensor.__rtruediv__
    if not hasattr(Tensor, "as_strided_"):
        Tensor.as_strided_ = as_strided_


_install_methods()
