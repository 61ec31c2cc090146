"""pyengine.utils: the data pipeline (``pyengine.utils.data``), as ``torch.utils``."""
from . import data

# ``pyengine.Generator``: the core has no Python generator object yet; until it does, the data
# pipeline's CPU generator stands in so that ``torch.Generator().manual_seed(s)`` in tutorials works.
import pyengine as _pe

if not hasattr(_pe, "Generator"):
    _pe.Generator = data.Generator

from . import checkpoint  # noqa: E402,F401

__all__ = ["checkpoint", "data"]
