"""torchvision.ops.roi_align / roi_pool and their modules RoIAlign / RoIPool.

roi_align's value at a bin is the mean of bilinear samples on a regular grid inside the bin; both the sample
positions and the bilinear weights factor into a y part and an x part, and a sample outside the map is zero when
either coordinate is out of range. So one box's output is ``Ay @ feature_map @ Ax^T`` with Ay (out_h, H) and Ax
(out_w, W) the averaged interpolation weights (built on the host from the boxes, which take no gradient, as in
torchvision), and the whole op is one batched matmul that autograd differentiates. roi_pool takes, per bin, the
max over the integer window torchvision's kernel uses (0 for an empty bin), with the gradient to the first max.
"""
from __future__ import annotations

import math
from typing import Union

import numpy as np

import pyengine as _torch

from ..._C import Tensor
from ...nn.modules.module import Module

__all__ = ["roi_align", "roi_pool", "RoIAlign", "RoIPool"]


def _pair(v) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, (list, tuple)) else (int(v), int(v))


def _rois(boxes: Union[Tensor, list]) -> np.ndarray:
    """(K, 5) float64 rows (batch index, x1, y1, x2, y2) from a (K, 5) tensor or a list of (L_i, 4) tensors."""
    if isinstance(boxes, (list, tuple)):
        for b in boxes:
            if not (isinstance(b, Tensor) and b.dim() == 2 and b.size(1) == 4):
                raise AssertionError("The shape of the tensor in the boxes list is not correct as List[Tensor[L, 4]]")
        rows = [np.concatenate([np.full((b.shape[0], 1), i, dtype=np.float64),
                                b.detach().cpu().double().numpy()], 1) for i, b in enumerate(boxes)]
        return np.concatenate(rows, 0) if rows else np.zeros((0, 5))
    if not (isinstance(boxes, Tensor) and boxes.dim() == 2 and boxes.size(1) == 5):
        raise AssertionError("The boxes tensor shape is not correct as Tensor[K, 5]")
    return boxes.detach().cpu().double().numpy()


def _check(input: Tensor, boxes) -> None:
    if input.dim() != 4:
        raise RuntimeError(f"Expected a 4-D input (N, C, H, W), but got a tensor of shape {list(input.shape)}")
    if isinstance(boxes, Tensor) and boxes.dtype != input.dtype:
        raise RuntimeError(f"Expected tensor for argument #1 'input' to have the same type as tensor for argument #2 "
                           f"'rois'; but type {input.dtype} does not equal {boxes.dtype} (while checking arguments "
                           f"for roi_align_forward_kernel)")


def _axis_weights(start: float, size: float, bins: int, grid: int, extent: int) -> np.ndarray:
    """(bins, extent): each bin's mean of `grid` bilinear samples along one axis (torchvision's sampling rule)."""
    w = np.zeros((bins, extent))
    step = size / bins
    for p in range(bins):
        for i in range(grid):
            c = start + p * step + (i + 0.5) * step / grid
            if c < -1.0 or c > extent:
                continue  # outside the map: the sample is 0
            c = max(c, 0.0)
            lo = int(c)
            if lo >= extent - 1:
                lo = hi = extent - 1
                c = float(lo)
            else:
                hi = lo + 1
            frac = c - lo
            w[p, lo] += (1.0 - frac) / grid
            w[p, hi] += frac / grid
    return w


def roi_align(input: Tensor, boxes: Union[Tensor, list], output_size, spatial_scale: float = 1.0,
              sampling_ratio: int = -1, aligned: bool = False) -> Tensor:
    """(K, C, out_h, out_w): the bilinear RoIAlign of Mask R-CNN over each box (batch index, x1, y1, x2, y2)."""
    _check(input, boxes)
    rois = _rois(boxes)
    out_h, out_w = _pair(output_size)
    n, c, h, w = input.shape
    k = rois.shape[0]
    if k == 0:
        return input.new_zeros((0, c, out_h, out_w))
    offset = 0.5 if aligned else 0.0
    ay = np.zeros((k, out_h, h))
    ax = np.zeros((k, out_w, w))
    for r, (_, x1, y1, x2, y2) in enumerate(rois):
        sx, sy = x1 * spatial_scale - offset, y1 * spatial_scale - offset
        rw, rh = x2 * spatial_scale - offset - sx, y2 * spatial_scale - offset - sy
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        gy = sampling_ratio if sampling_ratio > 0 else math.ceil(rh / out_h)
        gx = sampling_ratio if sampling_ratio > 0 else math.ceil(rw / out_w)
        if h and gy > 0:
            ay[r] = _axis_weights(sy, rh, out_h, gy, h)
        if w and gx > 0:
            ax[r] = _axis_weights(sx, rw, out_w, gx, w)
    index = _torch.tensor(rois[:, 0].astype(np.int64), device=input.device)
    feats = input.index_select(0, index)  # (K, C, H, W)
    ay_t = _torch.tensor(ay, dtype=input.dtype, device=input.device).unsqueeze(1)  # (K, 1, out_h, H)
    ax_t = _torch.tensor(ax, dtype=input.dtype, device=input.device).unsqueeze(1)  # (K, 1, out_w, W)
    return ay_t @ feats @ ax_t.transpose(-1, -2)


def roi_pool(input: Tensor, boxes: Union[Tensor, list], output_size, spatial_scale: float = 1.0) -> Tensor:
    """(K, C, out_h, out_w): Fast R-CNN's RoIPool, the max over each bin's integer window (0 when it is empty)."""
    _check(input, boxes)
    rois = _rois(boxes)
    out_h, out_w = _pair(output_size)
    n, c, h, w = input.shape
    rows = []
    for b, x1, y1, x2, y2 in rois:
        sw, sh = int(round(x1 * spatial_scale)), int(round(y1 * spatial_scale))
        ew, eh = int(round(x2 * spatial_scale)), int(round(y2 * spatial_scale))
        rw, rh = max(ew - sw + 1, 1), max(eh - sh + 1, 1)
        bh, bw = rh / out_h, rw / out_w
        my = np.zeros((out_h, h), dtype=bool)
        mx = np.zeros((out_w, w), dtype=bool)
        for p in range(out_h):
            lo = min(max(int(math.floor(p * bh)) + sh, 0), h)
            hi = min(max(int(math.ceil((p + 1) * bh)) + sh, 0), h)
            my[p, lo:hi] = True
        for p in range(out_w):
            lo = min(max(int(math.floor(p * bw)) + sw, 0), w)
            hi = min(max(int(math.ceil((p + 1) * bw)) + sw, 0), w)
            mx[p, lo:hi] = True
        feat = input[int(b)]  # (C, H, W)
        neg = _torch.tensor(float("-inf"), dtype=input.dtype, device=input.device)
        mx_t = _torch.tensor(mx, device=input.device)
        my_t = _torch.tensor(my, device=input.device)
        cols = _torch.where(mx_t, feat.unsqueeze(2), neg).max(-1).values  # (C, H, out_w)
        out = _torch.where(my_t.unsqueeze(-1), cols.unsqueeze(1), neg).max(2).values  # (C, out_h, out_w)
        empty = ~(my_t.any(1).unsqueeze(1) & mx_t.any(1).unsqueeze(0))  # (out_h, out_w)
        rows.append(_torch.where(empty, _torch.zeros((), dtype=input.dtype, device=input.device), out))
    if not rows:
        return input.new_zeros((0, c, out_h, out_w))
    return _torch.stack(rows, 0)


class RoIAlign(Module):
    def __init__(self, output_size, spatial_scale: float, sampling_ratio: int, aligned: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio
        self.aligned = aligned

    def forward(self, input: Tensor, rois: Union[Tensor, list]) -> Tensor:
        return roi_align(input, rois, self.output_size, self.spatial_scale, self.sampling_ratio, self.aligned)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(output_size={self.output_size}, spatial_scale={self.spatial_scale}, "
                f"sampling_ratio={self.sampling_ratio}, aligned={self.aligned})")


class RoIPool(Module):
    def __init__(self, output_size, spatial_scale: float) -> None:
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input: Tensor, rois: Union[Tensor, list]) -> Tensor:
        return roi_pool(input, rois, self.output_size, self.spatial_scale)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(output_size={self.output_size}, spatial_scale={self.spatial_scale})"
