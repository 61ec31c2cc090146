"""torch.nn.modules.pixelshuffle: PyTorch's home of PixelShuffle, PixelUnshuffle (defined in shape_more.py),
so code and pickles that name them by this path (e.g. a weights_only safe_globals list) find them."""
from .shape_more import PixelShuffle, PixelUnshuffle  # noqa: F401

__all__ = ["PixelShuffle", "PixelUnshuffle"]
