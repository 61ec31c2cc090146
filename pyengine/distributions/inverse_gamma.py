"""InverseGamma lives in transformed_more (a transformed base); this module keeps PyTorch's import path."""
from .transformed_more import InverseGamma  # noqa: F401

__all__ = ["InverseGamma"]
