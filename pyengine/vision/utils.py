"""make_grid and save_image (torchvision.utils): a batch of images tiled into one image.

Layout as torchvision: ``nrow`` images per row, ``padding`` pixels of ``pad_value`` around and
between them, one-channel images repeated to three channels, and a single image returned as is.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

import pyengine

__all__ = ["make_grid", "save_image"]


def make_grid(tensor: Any, nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range: tuple[float, float] | None = None, scale_each: bool = False,
              pad_value: float = 0.0) -> "pyengine.Tensor":
    """Tile a (B, C, H, W) tensor (or a list of (C, H, W) tensors) into a (C, H', W') grid."""
    if isinstance(tensor, list):
        tensor = pyengine.stack(tensor, dim=0)
    if not isinstance(tensor, pyengine.Tensor):
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    device = tensor.device
    arr = tensor.detach().cpu().numpy()
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        if arr.shape[0] == 1:
            arr = np.concatenate([arr] * 3, axis=0)
        arr = arr[None]
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = np.concatenate([arr] * 3, axis=1)
    if arr.ndim != 4:
        raise ValueError(f"make_grid expects 2, 3 or 4 dimensions, got a tensor of shape {tuple(tensor.shape)}")
    if normalize:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")
        arr = arr.copy()

        def norm(img: np.ndarray, low: float, high: float) -> np.ndarray:
            img = np.clip(img, low, high)
            return (img - low) / max(high - low, 1e-5)

        def norm_range(img: np.ndarray) -> np.ndarray:
            if value_range is not None:
                return norm(img, value_range[0], value_range[1])
            return norm(img, float(img.min()), float(img.max()))

        if scale_each:
            arr = np.stack([norm_range(a) for a in arr]).astype(arr.dtype)
        else:
            arr = norm_range(arr).astype(arr.dtype)
    if arr.shape[0] == 1:
        out = arr[0]
    else:
        nmaps = arr.shape[0]
        xmaps = min(nrow, nmaps)
        ymaps = int(math.ceil(float(nmaps) / xmaps))
        height, width = arr.shape[2] + padding, arr.shape[3] + padding
        out = np.full((arr.shape[1], height * ymaps + padding, width * xmaps + padding), pad_value, dtype=arr.dtype)
        k = 0
        for y in range(ymaps):
            for x in range(xmaps):
                if k >= nmaps:
                    break
                top, left = y * height + padding, x * width + padding
                out[:, top:top + height - padding, left:left + width - padding] = arr[k]
                k += 1
    res = pyengine.from_numpy(np.ascontiguousarray(out))
    return res.to(device) if device.type != "cpu" else res


def save_image(tensor: Any, fp: Any, format: str | None = None, **kwargs: Any) -> None:
    """Save a tensor (or a batch, tiled with make_grid's ``kwargs``) as an image file; values in [0, 1]."""
    from PIL import Image
    grid = make_grid(tensor, **kwargs).detach().cpu().numpy().astype(np.float64)
    ndarr = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    if ndarr.shape[2] == 1:
        ndarr = ndarr[:, :, 0]
    Image.fromarray(ndarr).save(fp, format=format)
