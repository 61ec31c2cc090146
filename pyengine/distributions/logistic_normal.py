"""LogisticNormal lives in transformed_more (a transformed base); this module keeps PyTorch's import path."""
from .transformed_more import LogisticNormal  # noqa: F401

__all__ = ["LogisticNormal"]
