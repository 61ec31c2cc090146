"""Chi2 lives with Gamma (it is Gamma(df / 2, 1 / 2)); this module keeps PyTorch's import path."""
from .gamma import Chi2  # noqa: F401

__all__ = ["Chi2"]
