"""torchvision's automatic augmentation policies: AutoAugment (IMAGENET, CIFAR10, SVHN), RandAugment,
TrivialAugmentWide and AugMix, with torchvision's constructor arguments, op lists, magnitude bins and random
draws (from pyengine's global generator, in torchvision's order), on PIL images and (..., 1 or 3, H, W) uint8
tensors."""
from __future__ import annotations

import math
from enum import Enum
from typing import Any

import pyengine

from . import functional as F
from ._functional_color import adjust_sharpness, autocontrast, equalize, invert, posterize, solarize
from .functional import InterpolationMode

__all__ = ["AutoAugmentPolicy", "AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"]

_Space = dict  # op name -> (magnitudes tensor, signed)


def _apply_op(img: Any, op_name: str, magnitude: float, interpolation: Any, fill: Any) -> Any:
    """One augmentation op at one magnitude (torchvision's _apply_op)."""
    if op_name == "ShearX":
        # the shear angle whose tangent is the magnitude, about the top-left corner
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0, shear=[math.degrees(math.atan(magnitude)), 0.0],
                        interpolation=interpolation, fill=fill, center=[0, 0])
    if op_name == "ShearY":
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0, shear=[0.0, math.degrees(math.atan(magnitude))],
                        interpolation=interpolation, fill=fill, center=[0, 0])
    if op_name == "TranslateX":
        return F.affine(img, angle=0.0, translate=[int(magnitude), 0], scale=1.0, interpolation=interpolation,
                        shear=[0.0, 0.0], fill=fill)
    if op_name == "TranslateY":
        return F.affine(img, angle=0.0, translate=[0, int(magnitude)], scale=1.0, interpolation=interpolation,
                        shear=[0.0, 0.0], fill=fill)
    if op_name == "Rotate":
        return F.rotate(img, magnitude, interpolation=interpolation, fill=fill)
    if op_name == "Brightness":
        return F.adjust_brightness(img, 1.0 + magnitude)
    if op_name == "Color":
        return F.adjust_saturation(img, 1.0 + magnitude)
    if op_name == "Contrast":
        return F.adjust_contrast(img, 1.0 + magnitude)
    if op_name == "Sharpness":
        return adjust_sharpness(img, 1.0 + magnitude)
    if op_name == "Posterize":
        return posterize(img, int(magnitude))
    if op_name == "Solarize":
        return solarize(img, magnitude)
    if op_name == "AutoContrast":
        return autocontrast(img)
    if op_name == "Equalize":
        return equalize(img)
    if op_name == "Invert":
        return invert(img)
    if op_name == "Identity":
        return img
    raise ValueError(f"The provided operator {op_name} is not recognized.")


def _tensor_fill(img: Any, fill: Any) -> Any:
    """A number fill becomes one value per channel for tensors, as torchvision."""
    if isinstance(img, pyengine.Tensor):
        if isinstance(fill, (int, float)):
            return [float(fill)] * F.get_image_num_channels(img)
        if fill is not None:
            return [float(f) for f in fill]
    return fill


def _randint(high: int) -> int:
    return int(pyengine.randint(high, (1,)).item())


def _posterize_bins(num_bins: int, top: int, span: int) -> "pyengine.Tensor":
    return top - (pyengine.arange(num_bins) / ((num_bins - 1) / span)).round().int()


def _zero() -> "pyengine.Tensor":
    return pyengine.tensor(0.0)



def _geometric_color_space(num_bins: int, image_size: list[int]) -> _Space:
    """The ops AutoAugment and RandAugment share, in torchvision's order (the order the draws index)."""
    lin = pyengine.linspace
    return {
            "ShearX": (lin(0.0, 0.3, num_bins), True),
            "ShearY": (lin(0.0, 0.3, num_bins), True),
            "TranslateX": (lin(0.0, 150.0 / 331.0 * image_size[0], num_bins), True),
            "TranslateY": (lin(0.0, 150.0 / 331.0 * image_size[1], num_bins), True),
            "Rotate": (lin(0.0, 30.0, num_bins), True),
            "Brightness": (lin(0.0, 0.9, num_bins), True),
            "Color": (lin(0.0, 0.9, num_bins), True),
            "Contrast": (lin(0.0, 0.9, num_bins), True),
            "Sharpness": (lin(0.0, 0.9, num_bins), True),
            "Posterize": (_posterize_bins(num_bins, 8, 4), False),
            "Solarize": (lin(255.0, 0.0, num_bins), False),
            "AutoContrast": (_zero(), False),
            "Equalize": (_zero(), False),
    }

class AutoAugmentPolicy(Enum):
    """AutoAugment policies learned on different datasets: IMAGENET, CIFAR10 and SVHN."""
    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


# (op, probability, magnitude bin) pairs of each policy, from the AutoAugment paper as torchvision lists them
_POLICIES = {
    AutoAugmentPolicy.IMAGENET: [
        (("Posterize", 0.4, 8), ("Rotate", 0.6, 9)), (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)), (("Posterize", 0.6, 7), ("Posterize", 0.6, 6)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)), (("Equalize", 0.4, None), ("Rotate", 0.8, 8)),
        (("Solarize", 0.6, 3), ("Equalize", 0.6, None)), (("Posterize", 0.8, 5), ("Equalize", 1.0, None)),
        (("Rotate", 0.2, 3), ("Solarize", 0.6, 8)), (("Equalize", 0.6, None), ("Posterize", 0.4, 6)),
        (("Rotate", 0.8, 8), ("Color", 0.4, 0)), (("Rotate", 0.4, 9), ("Equalize", 0.6, None)),
        (("Equalize", 0.0, None), ("Equalize", 0.8, None)), (("Invert", 0.6, None), ("Equalize", 1.0, None)),
        (("Color", 0.6, 4), ("Contrast", 1.0, 8)), (("Rotate", 0.8, 8), ("Color", 1.0, 2)),
        (("Color", 0.8, 8), ("Solarize", 0.8, 7)), (("Sharpness", 0.4, 7), ("Invert", 0.6, None)),
        (("ShearX", 0.6, 5), ("Equalize", 1.0, None)), (("Color", 0.4, 0), ("Equalize", 0.6, None)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)), (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Invert", 0.6, None), ("Equalize", 1.0, None)), (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
    ],
    AutoAugmentPolicy.CIFAR10: [
        (("Invert", 0.1, None), ("Contrast", 0.2, 6)), (("Rotate", 0.7, 2), ("TranslateX", 0.3, 9)),
        (("Sharpness", 0.8, 1), ("Sharpness", 0.9, 3)), (("ShearY", 0.5, 8), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.5, None), ("Equalize", 0.9, None)), (("ShearY", 0.2, 7), ("Posterize", 0.3, 7)),
        (("Color", 0.4, 3), ("Brightness", 0.6, 7)), (("Sharpness", 0.3, 9), ("Brightness", 0.7, 9)),
        (("Equalize", 0.6, None), ("Equalize", 0.5, None)), (("Contrast", 0.6, 7), ("Sharpness", 0.6, 5)),
        (("Color", 0.7, 7), ("TranslateX", 0.5, 8)), (("Equalize", 0.3, None), ("AutoContrast", 0.4, None)),
        (("TranslateY", 0.4, 3), ("Sharpness", 0.2, 6)), (("Brightness", 0.9, 6), ("Color", 0.2, 8)),
        (("Solarize", 0.5, 2), ("Invert", 0.0, None)), (("Equalize", 0.2, None), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.2, None), ("Equalize", 0.6, None)), (("Color", 0.9, 9), ("Equalize", 0.6, None)),
        (("AutoContrast", 0.8, None), ("Solarize", 0.2, 8)), (("Brightness", 0.1, 3), ("Color", 0.7, 0)),
        (("Solarize", 0.4, 5), ("AutoContrast", 0.9, None)), (("TranslateY", 0.9, 9), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.9, None), ("Solarize", 0.8, 3)), (("Equalize", 0.8, None), ("Invert", 0.1, None)),
        (("TranslateY", 0.7, 9), ("AutoContrast", 0.9, None)),
    ],
    AutoAugmentPolicy.SVHN: [
        (("ShearX", 0.9, 4), ("Invert", 0.2, None)), (("ShearY", 0.9, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.6, None), ("Solarize", 0.6, 6)), (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Equalize", 0.6, None), ("Rotate", 0.9, 3)), (("ShearX", 0.9, 4), ("AutoContrast", 0.8, None)),
        (("ShearY", 0.9, 8), ("Invert", 0.4, None)), (("ShearY", 0.9, 5), ("Solarize", 0.2, 6)),
        (("Invert", 0.9, None), ("AutoContrast", 0.8, None)), (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
        (("ShearX", 0.9, 4), ("Solarize", 0.3, 3)), (("ShearY", 0.8, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.9, None), ("TranslateY", 0.6, 6)), (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Contrast", 0.3, 3), ("Rotate", 0.8, 4)), (("Invert", 0.8, None), ("TranslateY", 0.0, 2)),
        (("ShearY", 0.7, 6), ("Solarize", 0.4, 8)), (("Invert", 0.6, None), ("Rotate", 0.8, 4)),
        (("ShearY", 0.3, 7), ("TranslateX", 0.9, 3)), (("ShearX", 0.1, 6), ("Invert", 0.6, None)),
        (("Solarize", 0.7, 2), ("TranslateY", 0.6, 7)), (("ShearY", 0.8, 4), ("Invert", 0.8, None)),
        (("ShearX", 0.7, 9), ("TranslateY", 0.8, 3)), (("ShearY", 0.8, 5), ("AutoContrast", 0.7, None)),
        (("ShearX", 0.7, 2), ("Invert", 0.1, None)),
    ],
}


class _Augment(pyengine.nn.Module):
    def _pick(self, op_meta: _Space) -> tuple[str, Any, bool]:
        name = list(op_meta.keys())[_randint(len(op_meta))]
        return (name, *op_meta[name])


class AutoAugment(_Augment):
    """AutoAugment (Cubuk et al., 2018): one of the policy's 25 sub-policies at random, each of its two ops
    applied with its probability at its magnitude bin (of 10), the sign of signed ops at random."""

    def __init__(self, policy: AutoAugmentPolicy = AutoAugmentPolicy.IMAGENET,
                 interpolation: InterpolationMode = InterpolationMode.NEAREST, fill: list[float] | None = None) -> None:
        super().__init__()
        self.policy = policy
        self.interpolation = interpolation
        self.fill = fill
        self.policies = self._get_policies(policy)

    def _get_policies(self, policy: AutoAugmentPolicy) -> list:
        if policy not in _POLICIES:
            raise ValueError(f"The provided policy {policy} is not recognized.")
        return list(_POLICIES[policy])

    def _augmentation_space(self, num_bins: int, image_size: list[int]) -> _Space:
        return {**_geometric_color_space(num_bins, image_size), "Invert": (_zero(), False)}

    @staticmethod
    def get_params(transform_num: int) -> tuple[int, "pyengine.Tensor", "pyengine.Tensor"]:
        """The sub-policy index, the two ops' probability draws and their sign draws."""
        policy_id = _randint(transform_num)
        probs = pyengine.rand((2,))
        signs = pyengine.randint(2, (2,))
        return policy_id, probs, signs

    def forward(self, img: Any) -> Any:
        fill = _tensor_fill(img, self.fill)
        width, height = F.get_image_size(img)
        transform_id, probs, signs = self.get_params(len(self.policies))
        op_meta = self._augmentation_space(10, [width, height])
        for i, (op_name, p, magnitude_id) in enumerate(self.policies[transform_id]):
            if probs[i] <= p:
                magnitudes, signed = op_meta[op_name]
                magnitude = float(magnitudes[magnitude_id].item()) if magnitude_id is not None else 0.0
                if signed and signs[i] == 0:
                    magnitude *= -1.0
                img = _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)
        return img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(policy={self.policy}, fill={self.fill})"


class RandAugment(_Augment):
    """RandAugment (Cubuk et al., 2019): num_ops ops drawn uniformly (with replacement), each at bin `magnitude`
    of num_magnitude_bins, the sign of signed ops at random."""

    def __init__(self, num_ops: int = 2, magnitude: int = 9, num_magnitude_bins: int = 31,
                 interpolation: InterpolationMode = InterpolationMode.NEAREST, fill: list[float] | None = None) -> None:
        super().__init__()
        self.num_ops = num_ops
        self.magnitude = magnitude
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = interpolation
        self.fill = fill

    def _augmentation_space(self, num_bins: int, image_size: list[int]) -> _Space:
        return {"Identity": (_zero(), False), **_geometric_color_space(num_bins, image_size)}

    def forward(self, img: Any) -> Any:
        fill = _tensor_fill(img, self.fill)
        width, height = F.get_image_size(img)
        op_meta = self._augmentation_space(self.num_magnitude_bins, [width, height])
        for _ in range(self.num_ops):
            op_name, magnitudes, signed = self._pick(op_meta)
            magnitude = float(magnitudes[self.magnitude].item()) if magnitudes.ndim > 0 else 0.0
            if signed and _randint(2):
                magnitude *= -1.0
            img = _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)
        return img

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(num_ops={self.num_ops}, magnitude={self.magnitude}, "
                f"num_magnitude_bins={self.num_magnitude_bins}, interpolation={self.interpolation}, "
                f"fill={self.fill})")


class TrivialAugmentWide(_Augment):
    """TrivialAugment Wide (Müller & Hutter, 2021): one op drawn uniformly, at a magnitude bin drawn uniformly,
    over the wide ranges."""

    def __init__(self, num_magnitude_bins: int = 31, interpolation: InterpolationMode = InterpolationMode.NEAREST,
                 fill: list[float] | None = None) -> None:
        super().__init__()
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = interpolation
        self.fill = fill

    def _augmentation_space(self, num_bins: int) -> _Space:
        lin = pyengine.linspace
        return {
            "Identity": (_zero(), False),
            "ShearX": (lin(0.0, 0.99, num_bins), True),
            "ShearY": (lin(0.0, 0.99, num_bins), True),
            "TranslateX": (lin(0.0, 32.0, num_bins), True),
            "TranslateY": (lin(0.0, 32.0, num_bins), True),
            "Rotate": (lin(0.0, 135.0, num_bins), True),
            "Brightness": (lin(0.0, 0.99, num_bins), True),
            "Color": (lin(0.0, 0.99, num_bins), True),
            "Contrast": (lin(0.0, 0.99, num_bins), True),
            "Sharpness": (lin(0.0, 0.99, num_bins), True),
            "Posterize": (_posterize_bins(num_bins, 8, 6), False),
            "Solarize": (lin(255.0, 0.0, num_bins), False),
            "AutoContrast": (_zero(), False),
            "Equalize": (_zero(), False),
        }

    def forward(self, img: Any) -> Any:
        fill = _tensor_fill(img, self.fill)
        op_meta = self._augmentation_space(self.num_magnitude_bins)
        op_name, magnitudes, signed = self._pick(op_meta)
        magnitude = float(magnitudes[_randint(len(magnitudes))].item()) if magnitudes.ndim > 0 else 0.0
        if signed and _randint(2):
            magnitude *= -1.0
        return _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(num_magnitude_bins={self.num_magnitude_bins}, "
                f"interpolation={self.interpolation}, fill={self.fill})")


class AugMix(_Augment):
    """AugMix (Hendrycks et al., 2020): mixture_width chains of 1-3 (or chain_depth) random ops at severity,
    mixed with Dirichlet(alpha) weights, then blended with the original by a Beta(alpha, alpha) weight."""

    _PARAMETER_MAX = 10

    def __init__(self, severity: int = 3, mixture_width: int = 3, chain_depth: int = -1, alpha: float = 1.0,
                 all_ops: bool = True, interpolation: InterpolationMode = InterpolationMode.BILINEAR,
                 fill: list[float] | None = None) -> None:
        super().__init__()
        if not (1 <= severity <= self._PARAMETER_MAX):
            raise ValueError(f"The severity must be between [1, {self._PARAMETER_MAX}]. Got {severity} instead.")
        self.severity = severity
        self.mixture_width = mixture_width
        self.chain_depth = chain_depth
        self.alpha = alpha
        self.all_ops = all_ops
        self.interpolation = interpolation
        self.fill = fill

    def _augmentation_space(self, num_bins: int, image_size: list[int]) -> _Space:
        lin = pyengine.linspace
        s = {
            "ShearX": (lin(0.0, 0.3, num_bins), True),
            "ShearY": (lin(0.0, 0.3, num_bins), True),
            "TranslateX": (lin(0.0, image_size[0] / 3.0, num_bins), True),
            "TranslateY": (lin(0.0, image_size[1] / 3.0, num_bins), True),
            "Rotate": (lin(0.0, 30.0, num_bins), True),
            "Posterize": (_posterize_bins(num_bins, 4, 4), False),
            "Solarize": (lin(255.0, 0.0, num_bins), False),
            "AutoContrast": (_zero(), False),
            "Equalize": (_zero(), False),
        }
        if self.all_ops:
            s.update({
                "Brightness": (lin(0.0, 0.9, num_bins), True),
                "Color": (lin(0.0, 0.9, num_bins), True),
                "Contrast": (lin(0.0, 0.9, num_bins), True),
                "Sharpness": (lin(0.0, 0.9, num_bins), True),
            })
        return s

    @staticmethod
    def _sample_dirichlet(params: "pyengine.Tensor") -> "pyengine.Tensor":
        from ...distributions._sampling import standard_gamma
        g = standard_gamma(params)
        return g / g.sum(-1, keepdim=True)

    def forward(self, orig_img: Any) -> Any:
        fill = self.fill
        width, height = F.get_image_size(orig_img)
        if isinstance(orig_img, pyengine.Tensor):
            img = orig_img
            fill = _tensor_fill(img, fill)
        else:
            img = F.pil_to_tensor(orig_img)
        op_meta = self._augmentation_space(self._PARAMETER_MAX, [width, height])
        orig_dims = list(img.shape)
        batch = img.view([1] * max(4 - img.ndim, 0) + orig_dims)
        batch_dims = [batch.size(0)] + [1] * (batch.ndim - 1)
        # Beta(alpha, alpha) as a 2-parameter Dirichlet: column 0 weighs the original, column 1 the augmentations
        m = self._sample_dirichlet(pyengine.tensor([self.alpha, self.alpha]).expand(batch_dims[0], -1))
        combined = self._sample_dirichlet(pyengine.tensor([self.alpha] * self.mixture_width)
                                          .expand(batch_dims[0], -1)) * m[:, 1].reshape([batch_dims[0], -1])
        mix = m[:, 0].reshape(batch_dims) * batch
        for i in range(self.mixture_width):
            aug = batch
            depth = self.chain_depth if self.chain_depth > 0 else int(pyengine.randint(1, 4, (1,)).item())
            for _ in range(depth):
                op_name, magnitudes, signed = self._pick(op_meta)
                magnitude = float(magnitudes[_randint(self.severity)].item()) if magnitudes.ndim > 0 else 0.0
                if signed and _randint(2):
                    magnitude *= -1.0
                aug = _apply_op(aug, op_name, magnitude, interpolation=self.interpolation, fill=fill)
            mix.add_(combined[:, i].reshape(batch_dims) * aug)
        mix = mix.view(orig_dims).to(dtype=img.dtype)
        if not isinstance(orig_img, pyengine.Tensor):
            return F.to_pil_image(mix)
        return mix

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(severity={self.severity}, mixture_width={self.mixture_width}, "
                f"chain_depth={self.chain_depth}, alpha={self.alpha}, all_ops={self.all_ops}, "
                f"interpolation={self.interpolation}, fill={self.fill})")
