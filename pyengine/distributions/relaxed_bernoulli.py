"""The relaxed distributions live in relaxed.py; this module keeps PyTorch's import path."""
from .relaxed import LogitRelaxedBernoulli, RelaxedBernoulli  # noqa: F401
