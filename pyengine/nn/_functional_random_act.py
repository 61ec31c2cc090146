"""Activations that draw random numbers: rrelu (random leaky slope in training) and gumbel_softmax."""
from __future__ import annotations

import warnings

from .._C import Tensor

__all__ = ["rrelu", "rrelu_", "gumbel_softmax"]


def _pe():
    import pyengine
    return pyengine


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """x for x >= 0, a * x otherwise; a ~ U(lower, upper) per element in training, (lower + upper) / 2 in
    evaluation."""
    pe = _pe()
    if not input.is_floating_point():
        kernel = "rrelu_with_noise_out_cpu" if training else "leaky_relu_cpu"
        name = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                "bool": "Bool"}.get(str(input.dtype).split(".")[-1], str(input.dtype))
        raise NotImplementedError(f'"{kernel}" not implemented for \'{name}\'')
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if training:
        slope = pe.empty_like(input).uniform_(lower, upper)
    else:
        slope = (lower + upper) / 2
    result = pe.where(input >= 0, input, input * slope)
    return input.copy_(result) if inplace else result


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, inplace=True)


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Tensor:
    """Samples from the Gumbel-softmax distribution; with hard=True the forward value is one-hot and the
    gradient that of the soft sample (straight-through)."""
    pe = _pe()
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -pe.empty_like(logits).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = pe.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
