"""conv1d/conv3d, the transposed convolutions and F.pad's non-constant modes, written over the C++ conv2d and
differentiable view/index ops (so autograd, double backward and every device come for free).

* conv1d is conv2d on a height-1 image; conv3d gathers the kd depth taps of each output plane into the channel
  dim and runs ONE conv2d on the (N * D_out, kd * C, H, W) stack (one large GEMM rather than kd small ones).
* conv_transposeNd is the adjoint of convNd: zeros inserted between the input samples (stride), the borders padded
  by dilation * (k - 1) - padding (+ output_padding at the end), then a stride-1 convolution with the flipped,
  in/out-swapped weight. It costs stride^d more multiplies than a scatter kernel, but it is exact and
  differentiable twice.
* reflect/replicate/circular padding is one index_select per padded dim with the source index of every output
  position (negative amounts crop, as PyTorch).
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import pyengine
from pyengine import Tensor

from .. import _C

__all__ = ["conv1d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "pad"]


def _ntuple(x, n: int, name: str = "argument") -> Tuple[int, ...]:
    if isinstance(x, (list, tuple)):
        if len(x) == 1 and n > 1:
            return tuple(int(x[0]) for _ in range(n))
        if len(x) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to match "
                               f"the convolution dimensions, but got {name}={list(x)}")
        return tuple(int(v) for v in x)
    return (int(x),) * n


def _shape(t: Tensor) -> List[int]:
    return list(t.shape)


# ---- padding ----

_NONCONST_HELP = ("Supported combinations for non-constant padding:\n"
                  "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                  "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                  "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def _pad_index(mode: str, size: int, lo: int, hi: int) -> List[int]:
    """Source position of every output position of one dim padded by (lo, hi) in `mode`."""
    if mode == "circular":
        # Negative amounts crop first; the wrap-around then reads the cropped core (as PyTorch).
        crop_lo, crop_hi = max(-lo, 0), max(-hi, 0)
        core = size - crop_lo - crop_hi
        if core <= 0:
            raise RuntimeError(f"Negative padding ({lo}, {hi}) crops away the whole dim of size {size}")
        return [crop_lo + o % core for o in range(-max(lo, 0), core + max(hi, 0))]
    out = []
    for o in range(-lo, size + hi):
        if mode == "reflect":
            period = 2 * (size - 1)
            i = abs(o) % period if period > 0 else 0
            out.append(period - i if i >= size else i)
        elif mode == "replicate":
            out.append(min(max(o, 0), size - 1))
    return out


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: Optional[float] = None) -> Tensor:
    """Pads the trailing dims by (last_lo, last_hi, second_last_lo, ...); negative amounts crop.

    mode: 'constant' (value, default 0), 'reflect' (mirror without repeating the edge), 'replicate' (repeat the
    edge), 'circular' (wrap around). The non-constant modes pad the last 1-3 dims of a (batched or unbatched) input.
    """
    pad = [int(p) for p in pad]
    if mode == "constant":
        return _C._nn.pad(input, pad, mode, value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0.0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if len(pad) % 2 != 0:
        raise RuntimeError("Padding length must be divisible by 2")
    nd = len(pad) // 2
    if nd not in (1, 2, 3) or input.dim() not in (nd + 1, nd + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.\n"
                                  + _NONCONST_HELP)
    if mode != "circular" and input.dtype == pyengine.bool:
        kind = "reflection" if mode == "reflect" else "replication"
        raise NotImplementedError(f"\"{kind}_pad{nd}d\" not implemented for 'Bool'")
    shape = _shape(input)
    nonbatch = shape[1:] if input.dim() == nd + 2 else shape
    if any(s == 0 for s in nonbatch):
        raise RuntimeError(f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with possibly 0 batch size and "
                           f"other non-zero dimensions for input, but got: {shape}")
    out = input
    for i in range(nd):
        dim = input.dim() - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        size = shape[dim]
        if mode == "reflect" and (lo >= size or hi >= size):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({lo}, {hi}) at dimension {dim} of input {shape}")
        if mode == "circular" and (lo > size or hi > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if size + lo + hi <= 0:
            axis = "WHD"[i]
            raise RuntimeError(f"input ({axis}: {size}) is too small. Calculated output {axis}: {size + lo + hi}")
        if lo == 0 and hi == 0:
            continue
        idx = pyengine.tensor(_pad_index(mode, size, lo, hi), dtype=pyengine.int64, device=input.device)
        out = out.index_select(dim, idx)
    return out


# ---- convolution ----

def _check_conv_args(name: str, input: Tensor, weight: Tensor, nd: int, stride, padding, dilation, groups: int,
                     transposed: bool = False):
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input "
                           f"of size: {_shape(input)}")
    if weight.dim() != nd + 2:
        raise RuntimeError(f"Expected {weight.dim()}-dimensional input for {weight.dim()}-dimensional weight "
                           f"{_shape(weight)}, but got {input.dim()}-dimensional input of size {_shape(input)} "
                           "instead")
    stride = _ntuple(stride, nd, "stride")
    dilation = _ntuple(dilation, nd, "dilation")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if isinstance(padding, str):
        if transposed:
            raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
        if padding not in ("same", "valid"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if padding == "same" and any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
    else:
        padding = _ntuple(padding, nd, "padding")
        if any(p < 0 for p in padding):
            raise RuntimeError("negative padding is not supported")
    return stride, padding, dilation


def _same_padding(kernel: Sequence[int], dilation: Sequence[int]) -> List[Tuple[int, int]]:
    """(lo, hi) per dim for padding='same': the total d * (k - 1), the odd one extra at the end (as PyTorch)."""
    out = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        out.append((total // 2, total - total // 2))
    return out


def _check_channels(input: Tensor, weight: Tensor, groups: int, transposed: bool) -> None:
    c = input.shape[1]
    if weight.shape[0] < groups or weight.shape[0] % groups != 0:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size {_shape(weight)} instead")
    expected = weight.shape[0] if transposed else weight.shape[1] * groups
    if c != expected:
        kind = "transposed=1" if transposed else f"groups={groups}"
        raise RuntimeError(f"Given {kind}, weight of size {_shape(weight)}, expected input{_shape(input)} to have "
                           f"{expected} channels, but got {c} channels instead")


def _conv_nd(name: str, nd: int, input: Tensor, weight: Tensor, bias, stride, padding, dilation, groups: int):
    stride, padding, dilation = _check_conv_args(name, input, weight, nd, stride, padding, dilation, groups)
    unbatched = input.dim() == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    _check_channels(x, weight, groups, transposed=False)
    kernel = _shape(weight)[2:]
    if padding == "valid":
        padding = (0,) * nd
    if padding == "same":
        lohi = _same_padding(kernel, dilation)
        flat = []
        for lo, hi in reversed(lohi):
            flat += [lo, hi]
        x = _C._nn.pad(x, flat, "constant", None) if any(flat) else x
        padding = (0,) * nd
    for i in range(nd):
        padded = x.shape[2 + i] + 2 * padding[i]
        if padded < dilation[i] * (kernel[i] - 1) + 1:
            sizes = ", ".join(str(x.shape[2 + j] + 2 * padding[j]) for j in range(nd))
            ks = ", ".join(str(dilation[j] * (kernel[j] - 1) + 1) for j in range(nd))
            raise RuntimeError(f"Calculated padded input size per channel: ({sizes}). Kernel size: ({ks}). Kernel "
                               "size can't be greater than actual input size")
    if nd == 1:
        out = _C._nn.conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1, stride[0]), (0, padding[0]),
                            (1, dilation[0]), groups).squeeze(2)
    elif nd == 2:
        out = _C._nn.conv2d(x, weight, bias, stride, padding, dilation, groups)
    else:
        out = _conv3d_via_2d(x, weight, bias, stride, padding, dilation, groups)
    return out.squeeze(0) if unbatched else out


def _conv3d_via_2d(x: Tensor, weight: Tensor, bias, stride, padding, dilation, groups: int) -> Tensor:
    n, c, d = x.shape[0], x.shape[1], x.shape[2]
    o, cg, kd = weight.shape[0], weight.shape[1], weight.shape[2]
    if padding[0]:
        x = _C._nn.pad(x, [0, 0, 0, 0, padding[0], padding[0]], "constant", None)
        d += 2 * padding[0]
    d_out = (d - dilation[0] * (kd - 1) - 1) // stride[0] + 1
    # Depth tap t of output plane j reads input plane j * stride + t * dilation.
    taps = [x[:, :, t * dilation[0]: t * dilation[0] + (d_out - 1) * stride[0] + 1: stride[0]] for t in range(kd)]
    h, w = x.shape[3], x.shape[4]
    # (N, kd, g, C/g, D_out, H, W) -> (N, D_out, g, kd, C/g, H, W): each group's channels stay contiguous.
    stack = pyengine.stack(taps, 1).reshape(n, kd, groups, c // groups, d_out, h, w)
    stack = stack.permute(0, 4, 2, 1, 3, 5, 6).reshape(n * d_out, groups * kd * cg, h, w)
    w2 = weight.permute(0, 2, 1, 3, 4).reshape(o, kd * cg, weight.shape[3], weight.shape[4])
    out = _C._nn.conv2d(stack, w2, bias, stride[1:], padding[1:], dilation[1:], groups)
    return out.reshape(n, d_out, o, out.shape[2], out.shape[3]).permute(0, 2, 1, 3, 4)


def conv1d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """1-D convolution over (N, C, L) or (C, L); padding is an int, a 1-tuple, 'same' or 'valid'."""
    return _conv_nd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """3-D convolution over (N, C, D, H, W) or (C, D, H, W); padding is an int, a triple, 'same' or 'valid'."""
    return _conv_nd("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose_nd(name: str, nd: int, input: Tensor, weight: Tensor, bias, stride, padding, output_padding,
                       groups: int, dilation) -> Tensor:
    stride, padding, dilation = _check_conv_args(name, input, weight, nd, stride, padding, dilation, groups,
                                                 transposed=True)
    output_padding = _ntuple(output_padding, nd, "output_padding")
    for i in range(nd):
        if output_padding[i] < 0:
            raise RuntimeError("negative output_padding is not supported")
        if output_padding[i] >= stride[i] and output_padding[i] >= dilation[i]:
            names = ["depth", "height", "width"][3 - max(nd, 2):]
            op = " ".join(f"output_padding_{k}: {v}" for k, v in zip(names, (0,) * (len(names) - nd) + output_padding))
            st = " ".join(f"stride_{k}: {v}" for k, v in zip(names, (1,) * (len(names) - nd) + stride))
            dl = " ".join(f"dilation_{k}: {v}" for k, v in zip(names, (1,) * (len(names) - nd) + dilation))
            raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got {op} {st} {dl}")
    unbatched = input.dim() == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    _check_channels(x, weight, groups, transposed=True)
    kernel = _shape(weight)[2:]
    spatial = _shape(x)[2:]
    out_size = [(spatial[i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel[i] - 1) + output_padding[i] + 1
                for i in range(nd)]
    if any(s <= 0 for s in out_size):
        ins = " x ".join(str(s) for s in ([1] * (2 - nd) + spatial if nd < 2 else spatial))
        outs = " x ".join(str(s) for s in ([1] * (2 - nd) + out_size if nd < 2 else out_size))
        raise RuntimeError(f"Given input size per channel: ({ins}). Calculated output size per channel: ({outs}). "
                           "Output size is too small")
    # Zeros between the input samples: (.., L, 1) padded to (.., L, s), merged, the trailing s - 1 dropped.
    for i in range(nd):
        s = stride[i]
        if s == 1 or spatial[i] == 0:
            continue
        dim = 2 + i
        y = x.unsqueeze(dim + 1)
        flat = [0, 0] * (x.dim() - dim - 1) + [0, s - 1]
        y = _C._nn.pad(y, flat, "constant", None)
        shp = _shape(x)
        shp[dim] = shp[dim] * s
        x = y.reshape(shp).narrow(dim, 0, (spatial[i] - 1) * s + 1)
    flat = []
    for i in reversed(range(nd)):
        edge = dilation[i] * (kernel[i] - 1) - padding[i]
        flat += [edge, edge + output_padding[i]]
    if any(flat):
        x = _C._nn.pad(x, flat, "constant", None)
    cin, cout_g = weight.shape[0], weight.shape[1]
    w = weight.flip(list(range(2, nd + 2)))
    w = w.reshape([groups, cin // groups, cout_g] + kernel).transpose(1, 2).reshape([groups * cout_g, cin // groups]
                                                                                   + kernel)
    conv = {1: conv1d, 2: _C._nn.conv2d, 3: conv3d}[nd]
    out = conv(x, w, bias, 1, 0, dilation, groups)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed 1-D convolution (the gradient of conv1d with respect to its input); weight (C_in, C_out/g, k)."""
    return _conv_transpose_nd("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                              dilation)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed 2-D convolution; weight (C_in, C_out/g, kh, kw)."""
    return _conv_transpose_nd("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
                              dilation)


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed 3-D convolution; weight (C_in, C_out/g, kd, kh, kw)."""
    return _conv_transpose_nd("conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding, groups,
                              dilation)
