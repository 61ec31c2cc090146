"""torch.nn.modules.batchnorm: PyTorch's home of the batch norm classes (defined in normalization.py and
lazy.py), so code and pickles that name them by this path find them."""
from .lazy import LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d  # noqa: F401
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d  # noqa: F401
from .sync_batchnorm import SyncBatchNorm  # noqa: F401

__all__ = ["BatchNorm1d", "LazyBatchNorm1d", "BatchNorm2d", "LazyBatchNorm2d", "BatchNorm3d", "LazyBatchNorm3d", "SyncBatchNorm"]
