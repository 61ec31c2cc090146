"""More of torchvision.transforms.functional: resized_crop, adjust_brightness/contrast/saturation/hue, rotate,
affine, gaussian_blur, erase. PIL images go through Pillow as torchvision's PIL path does; (..., C, H, W)
tensors through numpy with torchvision's tensor formulas (blends clamp to the dtype's range, hue shifts in HSV,
geometry per channel with Pillow's resampling, blur with a separable Gaussian over reflect padding)."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageEnhance

import pyengine

from .functional import InterpolationMode, _check, _from_np, _is_pil, _to_np, crop, get_image_size, resize

__all__ = ["resized_crop", "adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue", "rotate",
           "affine", "gaussian_blur", "erase"]


def resized_crop(img: Any, top: int, left: int, height: int, width: int, size: Any,
                 interpolation: Any = InterpolationMode.BILINEAR, antialias: bool | None = True) -> Any:
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def _bound(arr: np.ndarray) -> float:
    return 1.0 if np.issubdtype(arr.dtype, np.floating) else float(np.iinfo(arr.dtype).max)


def _blend(img1: np.ndarray, img2, ratio: float, dtype) -> np.ndarray:
    bound = 1.0 if np.issubdtype(dtype, np.floating) else float(np.iinfo(dtype).max)
    out = np.clip(ratio * img1.astype(np.float32) + (1.0 - ratio) * np.asarray(img2, dtype=np.float32), 0, bound)
    return out.astype(dtype)


def _gray(arr: np.ndarray) -> np.ndarray:
    """ITU-R 601-2 luma of (..., 3, H, W), keeping a channel dim; integer images are truncated as torchvision."""
    r, g, b = arr[..., 0, :, :], arr[..., 1, :, :], arr[..., 2, :, :]
    l_img = (0.2989 * r.astype(np.float32) + 0.587 * g + 0.114 * b)
    if not np.issubdtype(arr.dtype, np.floating):
        l_img = np.floor(l_img)
    return l_img.astype(arr.dtype)[..., None, :, :]


def _check_factor(name: str, factor: float) -> None:
    if factor < 0:
        raise ValueError(f"{name} ({factor}) is not non-negative.")


def adjust_brightness(img: Any, brightness_factor: float) -> Any:
    _check(img)
    _check_factor("brightness_factor", brightness_factor)
    if _is_pil(img):
        return ImageEnhance.Brightness(img).enhance(brightness_factor)
    arr = _to_np(img)
    return _from_np(_blend(arr, 0.0, brightness_factor, arr.dtype), img)


def adjust_contrast(img: Any, contrast_factor: float) -> Any:
    _check(img)
    _check_factor("contrast_factor", contrast_factor)
    if _is_pil(img):
        return ImageEnhance.Contrast(img).enhance(contrast_factor)
    arr = _to_np(img)
    gray = _gray(arr) if arr.shape[-3] == 3 else arr
    mean = gray.astype(np.float32).mean(axis=(-3, -2, -1), keepdims=True)
    return _from_np(_blend(arr, mean, contrast_factor, arr.dtype), img)


def adjust_saturation(img: Any, saturation_factor: float) -> Any:
    _check(img)
    _check_factor("saturation_factor", saturation_factor)
    if _is_pil(img):
        return ImageEnhance.Color(img).enhance(saturation_factor)
    arr = _to_np(img)
    if arr.shape[-3] == 1:
        return img
    return _from_np(_blend(arr, _gray(arr), saturation_factor, arr.dtype), img)


def _rgb2hsv(img: np.ndarray) -> np.ndarray:
    r, g, b = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    maxc, minc = img.max(axis=-3), img.min(axis=-3)
    eqc = maxc == minc
    cr = maxc - minc
    ones = np.ones_like(maxc)
    s = cr / np.where(eqc, ones, maxc)
    cr_divisor = np.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_divisor, (maxc - g) / cr_divisor, (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = np.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return np.stack((h, s, maxc), axis=-3)


def _hsv2rgb(img: np.ndarray) -> np.ndarray:
    h, s, v = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int32) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = np.zeros(img.shape, dtype=img.dtype)
    for k, (rr, gg, bb) in enumerate(choices):
        m = i == k
        out[..., 0, :, :][m], out[..., 1, :, :][m], out[..., 2, :, :][m] = rr[m], gg[m], bb[m]
    return out


def adjust_hue(img: Any, hue_factor: float) -> Any:
    """Shifts the hue by hue_factor (in [-0.5, 0.5], a fraction of the colour wheel)."""
    _check(img)
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if _is_pil(img):
        mode = img.mode
        if mode in {"L", "1", "I", "F"}:
            return img
        h, s, v = img.convert("HSV").split()
        np_h = np.array(h, dtype=np.uint8)
        with np.errstate(over="ignore"):
            np_h += np.int32(hue_factor * 255).astype(np.uint8)
        return Image.merge("HSV", (Image.fromarray(np_h, "L"), s, v)).convert(mode)
    arr = _to_np(img)
    if arr.shape[-3] == 1:
        return img
    floating = np.issubdtype(arr.dtype, np.floating)
    x = arr.astype(np.float32) if floating else arr.astype(np.float32) / 255.0
    hsv = _rgb2hsv(x)
    hsv[..., 0, :, :] = np.fmod(hsv[..., 0, :, :] + hue_factor, 1.0)
    hsv[..., 0, :, :] = np.where(hsv[..., 0, :, :] < 0, hsv[..., 0, :, :] + 1.0, hsv[..., 0, :, :])
    out = _hsv2rgb(hsv)
    if not floating:
        out = np.clip(out * 255.0, 0, 255).astype(arr.dtype)
    return _from_np(out.astype(arr.dtype), img)


def _per_channel(img, fn, fill: Any = 0.0) -> Any:
    """Applies a Pillow geometric op fn(plane, fillcolor) to each (H, W) plane of a tensor as float32 'F'
    images; a list fill gives each channel its own value, as torchvision's tensor path."""
    arr = _to_np(img)
    h, w = arr.shape[-2:]
    planes = arr.reshape(-1, h, w).astype(np.float32)
    channels = arr.shape[-3] if arr.ndim >= 3 else 1
    if isinstance(fill, (list, tuple)) and len(fill) not in (1, channels):
        raise ValueError(f"The number of elements in 'fill' does not match the number of channels of the image "
                         f"({len(fill)} != {channels})")
    fills = [float(fill[(i % channels) % len(fill)]) if isinstance(fill, (list, tuple)) else fill
             for i in range(len(planes))]
    outs = [np.asarray(fn(Image.fromarray(p, "F"), f)) for p, f in zip(planes, fills, strict=True)]
    out = np.stack(outs) if outs else np.zeros((0, h, w), np.float32)
    if not np.issubdtype(arr.dtype, np.floating):
        info = np.iinfo(arr.dtype)
        out = np.clip(np.round(out), info.min, info.max)
    return _from_np(out.astype(arr.dtype).reshape(*arr.shape[:-2], *out.shape[-2:]), img)


def _fill_value(fill, img):
    if fill is None:
        return None if _is_pil(img) else 0.0
    if isinstance(fill, (list, tuple)):
        if _is_pil(img):
            return tuple(fill) if len(fill) > 1 else fill[0]
        return list(fill)
    return fill


def rotate(img: Any, angle: float, interpolation: Any = InterpolationMode.NEAREST, expand: bool = False,
           center: Sequence[int] | None = None, fill: Any = None) -> Any:
    """Counter-clockwise rotation by angle degrees about center (default the image centre)."""
    _check(img)
    c = tuple(center) if center is not None else None
    if _is_pil(img):
        return img.rotate(angle, interpolation, expand, c, fillcolor=_fill_value(fill, img))
    return _per_channel(img, lambda p, f: p.rotate(angle, interpolation, expand, c, fillcolor=f),
                        _fill_value(fill, img))


def _inverse_affine_matrix(center, angle, translate, scale, shear) -> list[float]:
    """The output->input pixel map of torchvision's affine (rotation, scale, shear about center, then
    translation), as the 6 coefficients Pillow's Image.AFFINE takes."""
    rot = math.radians(angle)
    sx, sy = (math.radians(s) for s in shear)
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    matrix = [d, -b, 0.0, -c, a, 0.0]
    matrix = [x / scale for x in matrix]
    matrix[2] += matrix[0] * (-cx - tx) + matrix[1] * (-cy - ty)
    matrix[5] += matrix[3] * (-cx - tx) + matrix[4] * (-cy - ty)
    matrix[2] += cx
    matrix[5] += cy
    return matrix


def affine(img: Any, angle: float, translate: Sequence[int], scale: float, shear: Any,
           interpolation: Any = InterpolationMode.NEAREST, fill: Any = None,
           center: Sequence[int] | None = None) -> Any:
    _check(img)
    if not isinstance(translate, (list, tuple)) or len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if isinstance(shear, (int, float)):
        shear = [float(shear), 0.0]
    shear = list(shear) + [0.0] * (2 - len(shear))
    w, h = get_image_size(img)
    center_f = [w * 0.5, h * 0.5] if center is None else list(center)
    matrix = _inverse_affine_matrix(center_f, angle, translate, scale, shear)
    if _is_pil(img):
        return img.transform((w, h), Image.AFFINE, matrix, interpolation, fillcolor=_fill_value(fill, img))
    return _per_channel(img, lambda p, f: p.transform((w, h), Image.AFFINE, matrix, interpolation, fillcolor=f),
                        _fill_value(fill, img))


def _gaussian_kernel1d(size: int, sigma: float) -> np.ndarray:
    half = (size - 1) * 0.5
    x = np.linspace(-half, half, size, dtype=np.float32)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return (k / k.sum()).astype(np.float32)


def gaussian_blur(img: Any, kernel_size: Any, sigma: Any = None) -> Any:
    """Separable Gaussian blur with reflect padding (torchvision's kernel; sigma defaults from kernel_size)."""
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) != 2:
        raise ValueError(f"If kernel_size is a sequence its length should be 2. Got {len(kernel_size)}")
    for ks in kernel_size:
        if ks <= 0 or ks % 2 == 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got {kernel_size}")
    if sigma is None:
        sigma = [ks * 0.15 + 0.35 for ks in kernel_size]
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    if len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    for s in sigma:
        if s <= 0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    was_pil = _is_pil(img)
    if was_pil:
        from .functional import pil_to_tensor, to_pil_image
        tensor = pil_to_tensor(img)
    else:
        _check(img)
        tensor = img
    arr = _to_np(tensor)
    x = arr.astype(np.float32)
    kx, ky = _gaussian_kernel1d(kernel_size[0], sigma[0]), _gaussian_kernel1d(kernel_size[1], sigma[1])
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    pad = [(0, 0)] * (x.ndim - 2) + [(py, py), (px, px)]
    x = np.pad(x, pad, mode="reflect")
    h, w = arr.shape[-2:]
    x = sum(kx[i] * x[..., :, i:i + w] for i in range(kernel_size[0]))
    x = sum(ky[i] * x[..., i:i + h, :] for i in range(kernel_size[1]))
    if not np.issubdtype(arr.dtype, np.floating):
        x = np.round(x)
    out = _from_np(x.astype(arr.dtype), tensor)
    return to_pil_image(out, mode=img.mode) if was_pil else out


def erase(img: "pyengine.Tensor", i: int, j: int, h: int, w: int, v: Any, inplace: bool = False):
    """Sets img[..., i:i+h, j:j+w] = v (tensors only)."""
    if not isinstance(img, pyengine.Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v
    return img
