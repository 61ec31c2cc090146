"""HalfNormal lives in transformed_family (a transformed Normal/Uniform); this module keeps PyTorch's import path."""
from .transformed_family import HalfNormal  # noqa: F401

__all__ = ["HalfNormal"]
