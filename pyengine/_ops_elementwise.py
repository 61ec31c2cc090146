"""The elementwise op library as ``torch.<name>`` functions (arithmetic, math, rounding,
comparisons, logical and bitwise ops, where, clamp, lerp). They are C++ functions of ``_C``
(csrc/python/arith_bindings.cpp, elementwise_bindings.cpp) re-exported here; the matching
methods, in-place methods and operators live on Tensor itself."""
from __future__ import annotations

from . import _C

_UNARY = [
    "abs", "absolute", "neg", "negative", "positive", "sqrt", "rsqrt", "exp", "exp2", "expm1", "log", "log1p",
    "log2", "log10", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh",
    "atanh", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "sigmoid", "erf", "erfc",
    "reciprocal", "ceil", "floor", "round", "trunc", "fix", "frac", "sign", "sgn", "square", "relu",
    "bitwise_not", "logical_not", "isnan", "isinf", "isfinite", "nan_to_num",
]
_BINARY = [
    "add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
    "remainder", "fmod", "pow", "float_power", "atan2", "arctan2", "maximum", "minimum", "fmax", "fmin",
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal",
    "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor",
    "bitwise_left_shift", "bitwise_right_shift",
]
_OTHER = ["where", "clamp", "clip", "clamp_min", "clamp_max", "lerp"]
_INPLACE = [n + "_" for n in _UNARY + _OTHER if hasattr(_C, n + "_")]

__all__ = _UNARY + _BINARY + _OTHER + _INPLACE
globals().update({name: getattr(_C, name) for name in __all__})
