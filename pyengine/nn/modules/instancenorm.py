"""torch.nn.modules.instancenorm: PyTorch's home of the instance norm classes (defined in shape_more.py and
lazy.py), so code and pickles that name them by this path find them."""
from .lazy import LazyInstanceNorm1d, LazyInstanceNorm2d, LazyInstanceNorm3d  # noqa: F401
from .shape_more import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d  # noqa: F401

__all__ = ["InstanceNorm1d", "LazyInstanceNorm1d", "InstanceNorm2d", "LazyInstanceNorm2d", "InstanceNorm3d",
           "LazyInstanceNorm3d"]
