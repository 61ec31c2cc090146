"""HalfCauchy lives in transformed_more (a transformed base); this module keeps PyTorch's import path."""
from .transformed_more import HalfCauchy  # noqa: F401

__all__ = ["HalfCauchy"]
