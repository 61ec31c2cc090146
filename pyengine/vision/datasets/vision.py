"""VisionDataset: the base of the image data sets (root, transform, target_transform, repr)."""
from __future__ import annotations

import os
from typing import Any, Callable

from ...utils.data import Dataset


class VisionDataset(Dataset):
    _repr_indent = 4

    def __init__(self, root: str | os.PathLike | None = None, transforms: Callable | None = None,
                 transform: Callable | None = None, target_transform: Callable | None = None) -> None:
        self.root = os.path.expanduser(root) if root is not None else None
        has_separate = transform is not None or target_transform is not None
        if transforms is not None and has_separate:
            raise ValueError("Only transforms or transform/target_transform can be passed as argument")
        self.transform = transform
        self.target_transform = target_transform
        self.transforms = transforms

    def _apply(self, img: Any, target: Any) -> tuple[Any, Any]:
        if self.transforms is not None:
            return self.transforms(img, target)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"Number of datapoints: {self.__len__()}"]
        if self.root is not None:
            lines.append(f"Root location: {self.root}")
        lines += self.extra_repr().splitlines()
        for name in ("transform", "target_transform"):
            t = getattr(self, name)
            if t is not None:
                lines.append(f"{name.replace('_', ' ').capitalize()}: {t!r}".replace("\n", "\n" + " " * 4))
        return "\n".join(["Dataset " + self.__class__.__name__] + [" " * self._repr_indent + ln for ln in lines])
