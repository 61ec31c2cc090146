"""pyengine.utils: the data pipeline (``pyengine.utils.data``), as ``torch.utils``."""
from . import data

from . import checkpoint, hooks  # noqa: E402,F401

__all__ = ["checkpoint", "data", "hooks"]
