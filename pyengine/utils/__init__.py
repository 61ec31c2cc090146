"""pyengine.utils: the data pipeline (``pyengine.utils.data``), as ``torch.utils``."""
from . import data

__all__ = ["data"]
