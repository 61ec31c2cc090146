"""torch.nn.modules.fold: PyTorch's home of Fold, Unfold (defined in upsampling.py),
so code and pickles that name them by this path (e.g. a weights_only safe_globals list) find them."""
from .upsampling import Fold, Unfold  # noqa: F401

__all__ = ["Fold", "Unfold"]
