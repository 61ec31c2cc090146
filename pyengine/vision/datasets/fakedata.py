"""FakeData: random images for smoke tests, deterministic per index without touching the global RNG.

torchvision draws ``randn`` images under ``manual_seed(index + random_offset)`` and converts them with
ToPILImage; here image ``index`` is uniform uint8 noise from numpy's generator seeded with
``index + random_offset``: the same contract (same sample for the same index, PIL out), other pixels.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from PIL import Image

from .vision import VisionDataset


class FakeData(VisionDataset):
    def __init__(self, size: int = 1000, image_size: tuple[int, int, int] = (3, 224, 224), num_classes: int = 10,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 random_offset: int = 0) -> None:
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size, self.num_classes, self.image_size = size, num_classes, image_size
        self.random_offset = random_offset

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        rng = np.random.default_rng(index + self.random_offset)
        c, h, w = self.image_size
        arr = rng.integers(0, 256, size=(h, w, c), dtype=np.uint8)
        target = int(rng.integers(0, self.num_classes))
        img = Image.fromarray(arr[:, :, 0] if c == 1 else arr)
        return self._apply(img, target)

    def __len__(self) -> int:
        return self.size
