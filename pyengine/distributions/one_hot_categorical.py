"""OneHotCategorical lives with Categorical; this module keeps PyTorch's import path."""
from .categorical import OneHotCategorical, OneHotCategoricalStraightThrough  # noqa: F401

__all__ = ["OneHotCategorical", "OneHotCategoricalStraightThrough"]
