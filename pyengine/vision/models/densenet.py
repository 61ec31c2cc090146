"""DenseNet (Huang et al. 2016) with torchvision's structure, names and initialization: densenet121/161/169/201."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

import pyengine
from ... import nn
from ..._C import Tensor
from ._api import WeightsEnum, _weights, apply_weights, num_classes_from

__all__ = ["DenseNet", "densenet121", "densenet161", "densenet169", "densenet201", "DenseNet121_Weights"]


class _DenseLayer(nn.Module):
    def __init__(self, num_input_features: int, growth_rate: int, bn_size: int, drop_rate: float,
                 memory_efficient: bool = False) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1, stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1, padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient

    def bn_function(self, inputs: list[Tensor]) -> Tensor:
        return self.conv1(self.relu1(self.norm1(pyengine.cat(inputs, 1))))

    def forward(self, input) -> Tensor:
        prev = [input] if isinstance(input, Tensor) else input
        if self.memory_efficient and any(t.requires_grad for t in prev) and pyengine.is_grad_enabled():
            from ...utils.checkpoint import checkpoint
            bottleneck = checkpoint(lambda *ts: self.bn_function(list(ts)), *prev, use_reentrant=False)
        else:
            bottleneck = self.bn_function(prev)
        new_features = self.conv2(self.relu2(self.norm2(bottleneck)))
        if self.drop_rate > 0:
            new_features = nn.functional.dropout(new_features, p=self.drop_rate, training=self.training)
        return new_features


class _DenseBlock(nn.ModuleDict):
    _version = 2

    def __init__(self, num_layers: int, num_input_features: int, bn_size: int, growth_rate: int, drop_rate: float,
                 memory_efficient: bool = False) -> None:
        super().__init__()
        for i in range(num_layers):
            self.add_module(f"denselayer{i + 1}", _DenseLayer(num_input_features + i * growth_rate, growth_rate,
                                                              bn_size, drop_rate, memory_efficient))

    def forward(self, init_features: Tensor) -> Tensor:
        features = [init_features]
        for _, layer in self.items():
            features.append(layer(features))
        return pyengine.cat(features, 1)


class _Transition(nn.Sequential):
    def __init__(self, num_input_features: int, num_output_features: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1, bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    def __init__(self, growth_rate: int = 32, block_config: tuple = (6, 12, 24, 16), num_init_features: int = 64,
                 bn_size: int = 4, drop_rate: float = 0, num_classes: int = 1000,
                 memory_efficient: bool = False) -> None:
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3, bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            self.features.add_module(f"denseblock{i + 1}", _DenseBlock(num_layers, num_features, bn_size,
                                                                         growth_rate, drop_rate, memory_efficient))
            num_features = num_features + num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}", _Transition(num_features, num_features // 2))
                num_features = num_features // 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        out = nn.functional.relu(self.features(x), inplace=True)
        out = nn.functional.adaptive_avg_pool2d(out, (1, 1))
        return self.classifier(pyengine.flatten(out, 1))


class DenseNet121_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("https://download.pytorch.org/models/densenet121-a639ec97.pth", num_params=7978856,
                             num_classes=1000)
    DEFAULT = IMAGENET1K_V1


def _densenet(growth_rate, block_config, num_init_features, weights, weights_enum, **kwargs: Any) -> DenseNet:
    num_classes_from(weights, kwargs)
    extra = {k: kwargs.pop(k) for k in ("pretrained",) if k in kwargs}
    model = DenseNet(growth_rate, block_config, num_init_features, **kwargs)
    return apply_weights(model, weights, weights_enum, extra)


def densenet121(*, weights=None, progress: bool = True, **kwargs: Any) -> DenseNet:
    return _densenet(32, (6, 12, 24, 16), 64, weights, DenseNet121_Weights, **kwargs)


def densenet161(*, weights=None, progress: bool = True, **kwargs: Any) -> DenseNet:
    return _densenet(48, (6, 12, 36, 24), 96, weights, None, **kwargs)


def densenet169(*, weights=None, progress: bool = True, **kwargs: Any) -> DenseNet:
    return _densenet(32, (6, 12, 32, 32), 64, weights, None, **kwargs)


def densenet201(*, weights=None, progress: bool = True, **kwargs: Any) -> DenseNet:
    return _densenet(32, (6, 12, 48, 32), 64, weights, None, **kwargs)
