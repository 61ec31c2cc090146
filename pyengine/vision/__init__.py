"""pyengine.vision: the torchvision stand-in (datasets, transforms, utils). Images are PIL images."""
from . import datasets, transforms, utils

__all__ = ["datasets", "transforms", "utils"]
