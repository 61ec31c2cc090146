"""pyengine.vision: the torchvision stand-in (datasets, transforms, utils). Images are PIL images."""
from . import datasets, transforms, utils
from . import io, models, ops  # noqa: E402

__all__ = ["datasets", "io", "models", "ops", "transforms", "utils"]
