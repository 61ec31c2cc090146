"""pyengine.vision.io (torchvision.io) image functions over Pillow: read/write/encode/decode PNG and JPEG as
uint8 CHW tensors. PNG round trips are lossless and bit-exact; JPEG decoding is Pillow's libjpeg, which may
differ from torchvision's by a grey level in places."""
from __future__ import annotations

import enum
import io as _io
import os

import numpy as np

import pyengine

from .._C import Tensor

__all__ = ["ImageReadMode", "decode_image", "decode_jpeg", "decode_png", "encode_jpeg", "encode_png", "read_file",
           "read_image", "write_file", "write_jpeg", "write_png"]


class ImageReadMode(enum.Enum):
    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = 4


_PIL_MODE = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA", ImageReadMode.RGB: "RGB",
             ImageReadMode.RGB_ALPHA: "RGBA"}


def read_file(path: str) -> Tensor:
    """The file's bytes as a 1-D uint8 tensor."""
    with open(os.fspath(path), "rb") as f:
        data = f.read()
    return pyengine.tensor(np.frombuffer(data, dtype=np.uint8).copy(), dtype=pyengine.uint8)


def write_file(filename: str, data: Tensor) -> None:
    with open(os.fspath(filename), "wb") as f:
        f.write(data.detach().cpu().numpy().astype(np.uint8).tobytes())


def _mode(mode) -> ImageReadMode:
    if isinstance(mode, str):
        mode = ImageReadMode[mode.upper()]
    return mode


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation: bool = False) -> Tensor:
    """Decodes PNG/JPEG/... bytes (a 1-D uint8 tensor, or a path) to a uint8 (C, H, W) tensor."""
    from PIL import Image, ImageOps
    if not isinstance(input, Tensor):
        input = read_file(input)
    if input.dtype != pyengine.uint8 or input.dim() != 1:
        raise RuntimeError(f"Expected a 1-D uint8 tensor of encoded bytes, got {input.dtype} with shape "
                           f"{tuple(input.shape)}")
    img = Image.open(_io.BytesIO(input.numpy().tobytes()))
    if apply_exif_orientation:
        img = ImageOps.exif_transpose(img)
    mode = _mode(mode)
    if mode != ImageReadMode.UNCHANGED:
        img = img.convert(_PIL_MODE[mode])
    elif img.mode not in ("L", "LA", "RGB", "RGBA"):
        img = img.convert("RGBA" if "A" in img.mode or "transparency" in img.info else
                          ("L" if img.mode in ("1", "I", "I;16", "P") and img.mode != "P" else "RGB"))
    arr = np.asarray(img, dtype=np.uint8)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return pyengine.tensor(np.ascontiguousarray(arr.transpose(2, 0, 1)), dtype=pyengine.uint8)


decode_png = decode_image
decode_jpeg = decode_image


def read_image(path: str, mode=ImageReadMode.UNCHANGED, apply_exif_orientation: bool = False) -> Tensor:
    return decode_image(read_file(path), mode, apply_exif_orientation)


def _to_pil(input: Tensor):
    from PIL import Image
    if input.dtype != pyengine.uint8:
        raise RuntimeError(f"Input tensor dtype should be uint8, got {input.dtype}")
    if input.dim() != 3 or input.shape[0] not in (1, 3, 4):
        raise RuntimeError(f"The number of channels should be 1, 3 or 4 in a (C, H, W) tensor, got shape "
                           f"{tuple(input.shape)}")
    arr = input.detach().cpu().numpy().transpose(1, 2, 0)
    return Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr)


def encode_png(input: Tensor, compression_level: int = 6) -> Tensor:
    if not 0 <= compression_level <= 9:
        raise RuntimeError(f"Compression level should be between 0 and 9, got {compression_level}")
    buf = _io.BytesIO()
    _to_pil(input).save(buf, format="PNG", compress_level=compression_level)
    return pyengine.tensor(np.frombuffer(buf.getvalue(), dtype=np.uint8).copy(), dtype=pyengine.uint8)


def encode_jpeg(input: Tensor, quality: int = 75) -> Tensor:
    if not 1 <= quality <= 100:
        raise ValueError(f"Image quality should be a positive number between 1 and 100, got {quality}")
    if input.dim() == 3 and input.shape[0] == 4:
        raise RuntimeError("The number of channels should be 1 or 3, got: 4")
    buf = _io.BytesIO()
    _to_pil(input).save(buf, format="JPEG", quality=quality)
    return pyengine.tensor(np.frombuffer(buf.getvalue(), dtype=np.uint8).copy(), dtype=pyengine.uint8)


def write_png(input: Tensor, filename: str, compression_level: int = 6) -> None:
    write_file(filename, encode_png(input, compression_level))


def write_jpeg(input: Tensor, filename: str, quality: int = 75) -> None:
    write_file(filename, encode_jpeg(input, quality))
