"""Pareto lives in transformed_more (a transformed base); this module keeps PyTorch's import path."""
from .transformed_more import Pareto  # noqa: F401

__all__ = ["Pareto"]
