"""Image functions behind the transforms, for PIL images and CHW tensors (torchvision.transforms.functional).

PIL images go through Pillow; tensors go through numpy on the host (the data pipeline runs on the
CPU, in DataLoader workers) and come back with their dtype and device. Geometry follows
torchvision: sizes are (h, w), an int size for resize means the smaller edge, center_crop rounds
the offset and zero-pads images smaller than the crop.
"""
from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

import pyengine

InterpolationMode = Image.Resampling


def _is_pil(img: Any) -> bool:
    return isinstance(img, Image.Image)


def _check(img: Any) -> None:
    if not (_is_pil(img) or isinstance(img, pyengine.Tensor)):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")


def _to_np(t: "pyengine.Tensor") -> np.ndarray:
    return t.detach().cpu().numpy()


def _from_np(a: np.ndarray, like: "pyengine.Tensor") -> "pyengine.Tensor":
    out = pyengine.from_numpy(np.ascontiguousarray(a))
    return out.to(like.device) if like.device.type != "cpu" else out


def get_image_size(img: Any) -> list[int]:
    """[width, height], as torchvision."""
    _check(img)
    if _is_pil(img):
        return list(img.size)
    if img.dim() < 2:
        raise TypeError(f"Tensor is not a torch image: expected at least 2 dims, got {img.dim()}")
    return [int(img.shape[-1]), int(img.shape[-2])]


def get_image_num_channels(img: Any) -> int:
    if _is_pil(img):
        return len(img.getbands())
    return 1 if img.dim() == 2 else int(img.shape[-3])


def to_tensor(pic: Any) -> "pyengine.Tensor":
    """PIL image or HWC ndarray -> CHW tensor; uint8 data is scaled to float in [0, 1]."""
    if not (_is_pil(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        mode_dtypes = {"I": np.int32, "I;16": np.int16, "F": np.float32}
        arr = np.array(pic, dtype=mode_dtypes.get(pic.mode, np.uint8), copy=True)
        if pic.mode == "1":
            arr = 255 * arr
        arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    img = pyengine.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))
    if img.dtype == pyengine.uint8:
        return img.to(pyengine.get_default_dtype()).div(255)
    return img


def pil_to_tensor(pic: Any) -> "pyengine.Tensor":
    """PIL image -> CHW tensor of the image's own dtype, no scaling."""
    if not _is_pil(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = np.array(pic, copy=True)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return pyengine.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def to_pil_image(pic: Any, mode: str | None = None) -> Image.Image:
    """CHW tensor (float in [0, 1] or integer) or HWC ndarray -> PIL image."""
    if isinstance(pic, pyengine.Tensor):
        if pic.dim() not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.dim()} dimensions.")
        arr = _to_np(pic)
        arr = arr[None] if arr.ndim == 2 else arr
        if np.issubdtype(arr.dtype, np.floating) and mode != "F":
            arr = (arr * 255).astype(np.uint8)  # as torchvision: mul(255).byte()
        arr = arr.transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if arr.shape[2] == 1:
        arr = arr[:, :, 0]
    img = Image.fromarray(arr)
    return img.convert(mode) if mode is not None and img.mode != mode else img


def normalize(tensor: "pyengine.Tensor", mean: Sequence[float], std: Sequence[float],
              inplace: bool = False) -> "pyengine.Tensor":
    """(tensor - mean) / std per channel on a float (..., C, H, W) tensor."""
    if not isinstance(tensor, pyengine.Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.dim() < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                         f"{tuple(tensor.shape)}")
    dtype = tensor.dtype
    mean_t = pyengine.as_tensor(np.asarray(mean, dtype=np.float64)).to(dtype)
    std_t = pyengine.as_tensor(np.asarray(std, dtype=np.float64)).to(dtype)
    if bool((std_t == 0).any()):
        raise ValueError(f"std evaluated to zero after conversion to {dtype}, leading to division by zero.")
    if mean_t.dim() == 1:
        mean_t = mean_t.view(-1, 1, 1)
    if std_t.dim() == 1:
        std_t = std_t.view(-1, 1, 1)
    if not inplace:
        return (tensor - mean_t) / std_t
    return tensor.sub_(mean_t).div_(std_t)


def _resized_size(w: int, h: int, size: Any, max_size: int | None) -> tuple[int, int]:
    """(new_h, new_w) as torchvision: an int (or 1-seq) size sets the smaller edge."""
    if isinstance(size, int) or (isinstance(size, Sequence) and len(size) == 1):
        requested = size if isinstance(size, int) else size[0]
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size for "
                                 f"the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
        return new_h, new_w
    if max_size is not None:
        raise ValueError("max_size should only be passed if size specifies the length of the smaller edge")
    return int(size[0]), int(size[1])


def resize(img: Any, size: Any, interpolation: Any = InterpolationMode.BILINEAR, max_size: int | None = None,
           antialias: bool | None = True) -> Any:
    _check(img)
    if antialias is False:  # Pillow's filters always antialias (torchvision's PIL path says the same)
        if not _is_pil(img):
            raise NotImplementedError("resize(antialias=False) of a tensor: pyengine resizes with Pillow's "
                                      "antialiased filters only")
        warnings.warn("Anti-alias option is always applied for PIL Image input. Argument antialias is ignored.")
    w, h = get_image_size(img)
    new_h, new_w = _resized_size(w, h, size, max_size)
    if _is_pil(img):
        return img if (new_w, new_h) == (w, h) else img.resize((new_w, new_h), interpolation)
    # Tensors: each channel as a float32 PIL image (Pillow's antialiased filters, as torchvision's).
    arr = _to_np(img)
    lead = arr.shape[:-2]
    planes = arr.reshape(-1, h, w).astype(np.float32)
    out = np.stack([np.asarray(Image.fromarray(p).resize((new_w, new_h), interpolation))
                    for p in planes]) if planes.shape[0] else np.zeros((0, new_h, new_w), np.float32)
    if np.issubdtype(arr.dtype, np.integer):
        info = np.iinfo(arr.dtype)
        out = np.clip(np.round(out), info.min, info.max)
    return _from_np(out.astype(arr.dtype).reshape(*lead, new_h, new_w), img)


def crop(img: Any, top: int, left: int, height: int, width: int) -> Any:
    """The region [top, top+height) x [left, left+width); outside the image is zero (as torchvision)."""
    _check(img)
    if _is_pil(img):
        return img.crop((left, top, left + width, top + height))
    w, h = get_image_size(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        pads = [max(-left, 0), max(-top, 0), max(right - w, 0), max(bottom - h, 0)]
        img = pad(img, pads)
        top, left = max(top, 0), max(left, 0)
    return img[..., top:top + height, left:left + width]


def center_crop(img: Any, output_size: Any) -> Any:
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    w, h = get_image_size(img)
    ch, cw = output_size
    if cw > w or ch > h:
        pads = [(cw - w) // 2 if cw > w else 0, (ch - h) // 2 if ch > h else 0,
                (cw - w + 1) // 2 if cw > w else 0, (ch - h + 1) // 2 if ch > h else 0]
        img = pad(img, pads, fill=0)
        w, h = get_image_size(img)
        if cw == w and ch == h:
            return img
    top = int(round((h - ch) / 2.0))
    left = int(round((w - cw) / 2.0))
    return crop(img, top, left, ch, cw)


def _parse_pad(padding: Any) -> tuple[int, int, int, int]:
    if isinstance(padding, numbers.Number):
        p = int(padding)
        return p, p, p, p
    if isinstance(padding, Sequence) and len(padding) in (1, 2, 4):
        if len(padding) == 1:
            return (int(padding[0]),) * 4  # type: ignore[return-value]
        if len(padding) == 2:
            return int(padding[0]), int(padding[1]), int(padding[0]), int(padding[1])
        return tuple(int(p) for p in padding)  # type: ignore[return-value]
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")


def pad(img: Any, padding: Any, fill: Any = 0, padding_mode: str = "constant") -> Any:
    """Pad (left, top, right, bottom); modes constant, edge, reflect, symmetric."""
    _check(img)
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = _parse_pad(padding)
    np_mode = {"edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}.get(padding_mode, "constant")
    if _is_pil(img):
        arr = np.asarray(img)
        spec = [(top, bottom), (left, right)] + [(0, 0)] * (arr.ndim - 2)
        if np_mode == "constant":
            fills = fill if isinstance(fill, (tuple, list)) else [fill] * (arr.shape[2] if arr.ndim == 3 else 1)
            if arr.ndim == 3:
                out = np.stack([np.pad(arr[..., c], spec[:2], constant_values=fills[c])
                                for c in range(arr.shape[2])], axis=-1)
            else:
                out = np.pad(arr, spec, constant_values=fills[0])
        else:
            out = np.pad(arr, spec, mode=np_mode)
        res = Image.fromarray(out.astype(arr.dtype))
        if img.mode == "P":
            res = res.convert("L") if res.mode != "L" else res
            res.putpalette(img.getpalette())
            res = res.convert("P") if res.mode != "P" else res
        return res
    arr = _to_np(img)
    spec = [(0, 0)] * (arr.ndim - 2) + [(top, bottom), (left, right)]
    if np_mode == "constant":
        out = np.pad(arr, spec, constant_values=fill)
    else:
        out = np.pad(arr, spec, mode=np_mode)
    return _from_np(out, img)


def hflip(img: Any) -> Any:
    _check(img)
    if _is_pil(img):
        return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return img.flip(-1)


def vflip(img: Any) -> Any:
    _check(img)
    if _is_pil(img):
        return img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    return img.flip(-2)


def rgb_to_grayscale(img: Any, num_output_channels: int = 1) -> Any:
    """ITU-R 601-2 luma (Pillow's ``convert('L')`` for images, 0.2989/0.587/0.114 for tensors)."""
    _check(img)
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if _is_pil(img):
        g = img.convert("L")
        if num_output_channels == 3:
            a = np.asarray(g)
            g = Image.fromarray(np.dstack([a, a, a]))
        return g
    arr = _to_np(img)
    if arr.shape[-3] not in (1, 3):
        raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found {arr.shape[-3]}")
    if arr.shape[-3] == 3:
        r, g, b = arr[..., 0, :, :], arr[..., 1, :, :], arr[..., 2, :, :]
        lum = (0.2989 * r + 0.587 * g + 0.114 * b).astype(arr.dtype)[..., None, :, :]
    else:
        lum = arr.copy()
    if num_output_channels == 3:
        lum = np.concatenate([lum] * 3, axis=-3)
    return _from_np(lum, img)


_INT_MAX = {"torch.uint8": 255, "torch.int8": 127, "torch.int16": 32767, "torch.int32": 2 ** 31 - 1,
            "torch.int64": 2 ** 63 - 1, "torch.bool": 1}


def convert_image_dtype(image: "pyengine.Tensor", dtype: Any = pyengine.float32) -> "pyengine.Tensor":
    """Change dtype and rescale values: ints span [0, max], floats [0, 1] (torchvision's rules)."""
    if not isinstance(image, pyengine.Tensor):
        raise TypeError("Input img should be Tensor Image")
    if image.dtype == dtype:
        return image
    if image.is_floating_point():
        if pyengine.tensor([], dtype=dtype).is_floating_point():
            return image.to(dtype)
        if (image.dtype == pyengine.float32 and dtype in (pyengine.int32, pyengine.int64)) or \
                (image.dtype == pyengine.float64 and dtype == pyengine.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed safely.")
        eps = 1e-3
        max_val = float(_INT_MAX[str(dtype)])
        return image.mul(max_val + 1.0 - eps).to(dtype)
    input_max = float(_INT_MAX[str(image.dtype)])
    if pyengine.tensor([], dtype=dtype).is_floating_point():
        return image.to(dtype) / input_max
    output_max = float(_INT_MAX[str(dtype)])
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return pyengine.floor_divide(image, factor).to(dtype)
    factor = int((output_max + 1) // (input_max + 1))
    return image.to(dtype) * factor


from ._functional_more import (adjust_brightness, adjust_contrast, adjust_hue, adjust_saturation,  # noqa: E402,F401
                               affine, erase, gaussian_blur, resized_crop, rotate)
from ._functional_color import (adjust_sharpness, autocontrast, equalize, invert, posterize,  # noqa: E402,F401
                                solarize)
