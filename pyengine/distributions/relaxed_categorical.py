"""The relaxed distributions live in relaxed.py; this module keeps PyTorch's import path."""
from .relaxed import ExpRelaxedCategorical, RelaxedOneHotCategorical  # noqa: F401
