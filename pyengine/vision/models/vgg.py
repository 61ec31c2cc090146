"""VGG (Simonyan & Zisserman 2014) with torchvision's structure, names and initialization."""
from __future__ import annotations

from typing import Any

import pyengine
from ... import nn
from ..._C import Tensor
from ._api import WeightsEnum, _weights, apply_weights, num_classes_from

__all__ = ["VGG", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
           "VGG11_Weights", "VGG11_BN_Weights", "VGG13_Weights", "VGG13_BN_Weights", "VGG16_Weights",
           "VGG16_BN_Weights", "VGG19_Weights", "VGG19_BN_Weights"]


class VGG(nn.Module):
    def __init__(self, features: nn.Module, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes))
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        x = pyengine.flatten(self.avgpool(self.features(x)), 1)
        return self.classifier(x)


def make_layers(cfg: list, batch_norm: bool = False) -> nn.Sequential:
    layers: list = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            conv2d = nn.Conv2d(in_channels, v, kernel_size=3, padding=1)
            layers += [conv2d, nn.BatchNorm2d(v), nn.ReLU(inplace=True)] if batch_norm else \
                [conv2d, nn.ReLU(inplace=True)]
            in_channels = v
    return nn.Sequential(*layers)


cfgs = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}

_URL = "https://download.pytorch.org/models/"


class VGG11_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "vgg11-8a719046.pth", num_params=132863336, num_classes=1000)
    DEFAULT = IMAGENET1K_V1


class VGG11_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "vgg11_bn-6002323d.pth", num_params=132868840, num_classes=1000)
    DEFAULT = IMAGENET1K_V1


class VGG13_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "vgg13-19584684.pth", num_params=133047848, num_classes=1000)
    DEFAULT = IMAGENET1K_V1


class VGG13_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "vgg13_bn-abd245e5.pth", num_params=133053736, num_classes=1000)
    DEFAULT = IMAGENET1K_V1


class VGG16_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "vgg16-397923af.pth", num_params=138357544, num_classes=1000)
    DEFAULT = IMAGENET1K_V1


class VGG16_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "vgg16_bn-6c64b313.pth", num_params=138365992, num_classes=1000)
    DEFAULT = IMAGENET1K_V1


class VGG19_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "vgg19-dcbb9e9d.pth", num_params=143667240, num_classes=1000)
    DEFAULT = IMAGENET1K_V1


class VGG19_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "vgg19_bn-c79401a0.pth", num_params=143678248, num_classes=1000)
    DEFAULT = IMAGENET1K_V1


def _vgg(cfg: str, batch_norm: bool, weights, weights_enum, **kwargs: Any) -> VGG:
    num_classes_from(weights, kwargs)
    extra = {k: kwargs.pop(k) for k in ("pretrained",) if k in kwargs}
    if weights is not None:
        kwargs["init_weights"] = False
    model = VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kwargs)
    return apply_weights(model, weights, weights_enum, extra)


def vgg11(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    return _vgg("A", False, weights, VGG11_Weights, **kwargs)


def vgg11_bn(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    return _vgg("A", True, weights, VGG11_BN_Weights, **kwargs)


def vgg13(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    return _vgg("B", False, weights, VGG13_Weights, **kwargs)


def vgg13_bn(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    return _vgg("B", True, weights, VGG13_BN_Weights, **kwargs)


def vgg16(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    return _vgg("D", False, weights, VGG16_Weights, **kwargs)


def vgg16_bn(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    return _vgg("D", True, weights, VGG16_BN_Weights, **kwargs)


def vgg19(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    return _vgg("E", False, weights, VGG19_Weights, **kwargs)


def vgg19_bn(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    return _vgg("E", True, weights, VGG19_BN_Weights, **kwargs)
