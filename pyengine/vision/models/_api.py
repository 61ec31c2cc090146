"""Model weights: torchvision's ``weights=`` API without the download.

``weights=ResNet18_Weights.IMAGENET1K_V1`` (or ``"DEFAULT"``, or the legacy ``pretrained=True``) loads through
``pyengine.hub.load_state_dict_from_url`` as torchvision's does: from the hub cache
(``$TORCH_HOME/hub/checkpoints/<file name of the URL>``) when the file is there, else downloaded into it (a machine
without a network gets urllib's URLError, naming where to put the file). ``weights=`` also accepts what you have
locally: a path to a file saved by ``torch.save`` (a state dict), or a state dict itself; the model's state_dict
keys are torchvision's, so those load with ``strict=True``.
"""
from __future__ import annotations

import enum
import os
from dataclasses import dataclass, field
from typing import Any, Callable

import pyengine

from ...nn.modules.module import Module

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class ImageClassification:
    """torchvision's inference preset: resize, center crop, scale to [0, 1] and normalize (PIL image or tensor)."""

    def __init__(self, *, crop_size: int, resize_size: int = 256, mean=IMAGENET_MEAN, std=IMAGENET_STD,
                 antialias: bool = True) -> None:
        self.crop_size = [crop_size]
        self.resize_size = [resize_size]
        self.mean = list(mean)
        self.std = list(std)

    def __call__(self, img):
        from ..transforms import functional as TF
        img = TF.resize(img, self.resize_size)
        img = TF.center_crop(img, self.crop_size)
        if not isinstance(img, pyengine.Tensor):
            img = TF.pil_to_tensor(img)
        img = TF.convert_image_dtype(img, pyengine.float32)
        return TF.normalize(img, mean=self.mean, std=self.std)

    def __repr__(self) -> str:
        return (f"ImageClassification(\n    crop_size={self.crop_size}\n    resize_size={self.resize_size}\n"
                f"    mean={self.mean}\n    std={self.std}\n    interpolation=InterpolationMode.BILINEAR\n)")


@dataclass
class Weights:
    url: str
    transforms: Callable[..., Any]
    meta: dict = field(default_factory=dict)


class WeightsEnum(enum.Enum):
    """The weights of one architecture (IMAGENET1K_V1, ..., DEFAULT), as torchvision names them."""

    @classmethod
    def verify(cls, obj):
        if obj is None or isinstance(obj, cls):
            return obj
        if isinstance(obj, str):
            name = obj.replace(cls.__name__ + ".", "")
            if name not in cls.__members__:
                raise ValueError(f"Failed to find Weights {obj} in {cls.__name__}.")
            return cls.__members__[name]
        raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but received "
                        f"{obj.__class__.__name__}.")

    @property
    def url(self) -> str:
        return self.value.url

    @property
    def meta(self) -> dict:
        return self.value.meta

    def transforms(self, *args, **kwargs):
        return self.value.transforms(*args, **kwargs)

    def get_state_dict(self, *args, **kwargs):
        from ... import hub
        return hub.load_state_dict_from_url(self.url, *args, **kwargs)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}.{self._name_}"


def _weights(url: str, crop: int = 224, resize: int = 256, **meta) -> Weights:
    return Weights(url=url, transforms=lambda: ImageClassification(crop_size=crop, resize_size=resize), meta=meta)


def apply_weights(model: Module, weights, weights_enum: type | None, kwargs: dict) -> Module:
    """Loads weights into model: a state dict, a local file, or a weights enum through the hub cache."""
    pretrained = kwargs.pop("pretrained", None)
    if kwargs:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(kwargs)}")
    if pretrained:
        if weights_enum is None:
            raise ValueError("pretrained=True: this architecture has no pretrained weights in pyengine.vision")
        import warnings
        warnings.warn("Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 and may "
                      f"be removed in the future. The current behavior is equivalent to passing "
                      f"`weights={weights_enum.__name__}.{weights_enum.DEFAULT._name_}`. You can also use "
                      f"`weights={weights_enum.__name__}.DEFAULT` to get the most up-to-date weights.")
        weights = weights_enum.DEFAULT
    if weights is None:
        return model
    if isinstance(weights, dict):
        model.load_state_dict(weights)
        return model
    if isinstance(weights, (str, os.PathLike)) and os.path.isfile(os.fspath(weights)):
        state = pyengine.load(os.fspath(weights), map_location="cpu", weights_only=True)
        model.load_state_dict(state)
        return model
    if weights_enum is not None and not isinstance(weights, WeightsEnum):
        weights = weights_enum.verify(weights)  # a name such as "DEFAULT" or "IMAGENET1K_V1"
    if not isinstance(weights, WeightsEnum):
        raise ValueError(f"weights={weights!r}: not a weights enum of this model, a file or a state dict")
    model.load_state_dict(weights.get_state_dict(progress=True, check_hash=True))
    return model


def num_classes_from(weights, kwargs: dict) -> None:
    """torchvision's check: weights for 1000 classes with a different num_classes is an error."""
    if isinstance(weights, WeightsEnum) and "num_classes" in kwargs:
        n = weights.meta.get("num_classes", 1000)
        if kwargs["num_classes"] != n:
            raise ValueError(f"The parameter 'num_classes' expected value {n} but got {kwargs['num_classes']} "
                             "instead.")


def make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """The nearest multiple of divisor, not below min_value nor more than 10% below v (MobileNet's rule)."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v
