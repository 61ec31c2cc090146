"""The colour ops of torchvision.transforms.functional that AutoAugment-style policies use: invert, posterize,
solarize, adjust_sharpness, autocontrast, equalize. PIL images go through Pillow's ImageOps / ImageEnhance as
torchvision's PIL path does; (..., C, H, W) tensors follow torchvision's tensor formulas (computed with numpy):
integer results of float arithmetic are truncated by the final cast as torchvision's ``.to(dtype)``."""
from __future__ import annotations

from typing import Any

import numpy as np
from PIL import ImageEnhance, ImageOps

import pyengine

from .functional import _from_np, _is_pil, _to_np

__all__ = ["invert", "posterize", "solarize", "adjust_sharpness", "autocontrast", "equalize"]


def _check_tensor(img: Any, channels: tuple[int, ...] = (1, 3)) -> np.ndarray:
    """torchvision's _assert_image_tensor and _assert_channels; the image as a numpy array."""
    if not isinstance(img, pyengine.Tensor):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
    if img.dim() < 2:
        raise TypeError("Tensor is not a torch image.")
    c = 1 if img.dim() == 2 else int(img.shape[-3])
    if c not in channels:
        raise TypeError(f"Input image tensor permitted channel values are {list(channels)}, but found {c}")
    return _to_np(img)


def _check_uint8(img: "pyengine.Tensor") -> None:
    if img.dtype != pyengine.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")


def _bound(dtype: np.dtype) -> float:
    return 1.0 if np.issubdtype(dtype, np.floating) else float(np.iinfo(dtype).max)


def _blend(img1: np.ndarray, img2: np.ndarray, ratio: float) -> np.ndarray:
    out = ratio * img1.astype(np.float32) + (1.0 - ratio) * img2.astype(np.float32)
    return np.clip(out, 0, _bound(img1.dtype)).astype(img1.dtype)


def invert(img: Any) -> Any:
    """The image's bound (255 for uint8, 1.0 for floats) minus the image."""
    if _is_pil(img):
        return ImageOps.invert(img)
    arr = _check_tensor(img)
    if np.issubdtype(arr.dtype, np.floating):
        return _from_np((1.0 - arr).astype(arr.dtype), img)
    return _from_np((np.asarray(_bound(arr.dtype), dtype=arr.dtype) - arr).astype(arr.dtype), img)


def posterize(img: Any, bits: int) -> Any:
    """Keeps the `bits` most significant bits of each channel (uint8 tensors)."""
    if not (0 <= bits <= 8):
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    if _is_pil(img):
        return ImageOps.posterize(img, bits)
    arr = _check_tensor(img)
    _check_uint8(img)
    mask = np.uint8((-int(2 ** (8 - bits))) & 0xFF)
    return _from_np(arr & mask, img)


def solarize(img: Any, threshold: float) -> Any:
    """Inverts the pixels at or above threshold."""
    if _is_pil(img):
        return ImageOps.solarize(img, threshold)
    arr = _check_tensor(img)
    if threshold > _bound(arr.dtype):
        raise TypeError("Threshold should be less than bound of img.")
    inverted = _to_np(invert(img))
    return _from_np(np.where(arr >= threshold, inverted, arr), img)


def _blurred_degenerate(arr: np.ndarray) -> np.ndarray:
    """torchvision's smoothing for sharpness: a 3x3 kernel (1s, 5 at the centre, / 13) on the interior, the
    one-pixel border kept; integer images are rounded back."""
    x = arr.astype(np.float64 if arr.dtype == np.float64 else np.float32)
    kernel = np.ones((3, 3), x.dtype)
    kernel[1, 1] = 5.0
    kernel /= kernel.sum()
    h, w = arr.shape[-2:]
    acc = sum(kernel[i, j] * x[..., i:h - 2 + i, j:w - 2 + j] for i in range(3) for j in range(3))
    if not np.issubdtype(arr.dtype, np.floating):
        acc = np.round(acc)
    out = arr.copy()
    out[..., 1:-1, 1:-1] = acc.astype(arr.dtype)
    return out


def adjust_sharpness(img: Any, sharpness_factor: float) -> Any:
    """Blends the image with its smoothed version: 0 gives the blurred image, 1 the original, 2 doubles the
    sharpness."""
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")
    if _is_pil(img):
        return ImageEnhance.Sharpness(img).enhance(sharpness_factor)
    arr = _check_tensor(img)
    if arr.shape[-1] <= 2 or arr.shape[-2] <= 2:
        return img
    return _from_np(_blend(arr, _blurred_degenerate(arr), sharpness_factor), img)


def autocontrast(img: Any) -> Any:
    """Stretches each channel linearly so its darkest pixel becomes 0 and its lightest the bound."""
    if _is_pil(img):
        return ImageOps.autocontrast(img)
    arr = _check_tensor(img)
    if arr.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {arr.ndim}")
    bound = _bound(arr.dtype)
    ftype = arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.float32
    lo = arr.min(axis=(-2, -1), keepdims=True).astype(ftype)
    hi = arr.max(axis=(-2, -1), keepdims=True).astype(ftype)
    with np.errstate(divide="ignore"):
        scale = (np.asarray(bound, ftype) / (hi - lo)).astype(ftype)
    flat = ~np.isfinite(scale)
    lo = np.where(flat, 0, lo).astype(ftype)
    scale = np.where(flat, 1, scale).astype(ftype)
    out = np.clip((arr.astype(ftype) - lo) * scale, 0, bound)
    return _from_np(out.astype(arr.dtype), img)


def _equalize_channel(chan: np.ndarray) -> np.ndarray:
    hist = np.bincount(chan.reshape(-1), minlength=256).astype(np.int64)
    nonzero = hist[hist != 0]
    step = int(nonzero[:-1].sum()) // 255
    if step == 0:
        return chan
    lut = (np.cumsum(hist) + step // 2) // step
    lut = np.clip(np.concatenate([[0], lut[:-1]]), 0, 255)
    return lut[chan.astype(np.int64)].astype(np.uint8)


def equalize(img: Any) -> Any:
    """Histogram equalization of each channel (uint8 tensors), as PIL's ImageOps.equalize."""
    if _is_pil(img):
        return ImageOps.equalize(img)
    arr = _check_tensor(img)
    _check_uint8(img)
    h, w = arr.shape[-2:]
    planes = arr.reshape(-1, h, w)
    out = np.stack([_equalize_channel(p) for p in planes]) if len(planes) else planes
    return _from_np(out.reshape(arr.shape), img)
