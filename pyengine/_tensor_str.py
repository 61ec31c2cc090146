"""Tensor printing for pyengine.

This module mirrors the logic of PyTorch's ``torch/_tensor_str.py`` (BSD-3-Clause
licensed) so that pyengine tensors print exactly like PyTorch tensors, character
for character.  It is a pure-Python reimplementation that works on numpy arrays
and never imports torch.

Public API:

* :func:`set_printoptions` / :func:`get_printoptions` / :func:`printoptions`
* :func:`format_tensor` -- build the ``repr`` of a tensor from its values.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Optional

import numpy as np

__all__ = [
    "set_printoptions",
    "get_printoptions",
    "printoptions",
    "format_tensor",
    "format_meta_tensor",
    "PRINT_OPTS",
]


class _PrinterOptions:
    """Current print options (same fields and defaults as torch's PRINT_OPTS)."""

    __slots__ = ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")

    def __init__(self):
        self.precision: int = 4
        self.threshold: float = 1000
        self.edgeitems: int = 3
        self.linewidth: int = 80
        self.sci_mode: Optional[bool] = None

    def asdict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.asdict().items())
        return f"_PrinterOptions({fields})"


PRINT_OPTS = _PrinterOptions()


def set_printoptions(
    precision=None,
    threshold=None,
    edgeitems=None,
    linewidth=None,
    profile=None,
    sci_mode=None,
) -> None:
    """Set options for printing (same semantics as ``torch.set_printoptions``).

    Args:
        precision: number of digits of precision for floating point output (4).
        threshold: total number of elements which triggers summarization (1000).
        edgeitems: number of items in summary at the beginning and end of each
            dimension (3).
        linewidth: number of characters per line used to insert line breaks (80).
        profile: ``"default"``, ``"short"`` or ``"full"`` presets; the other
            arguments override it.
        sci_mode: force (True) or disable (False) scientific notation; ``None``
            lets the formatter decide.  Note that, like PyTorch, this option is
            reset to ``None`` whenever it is not passed.
    """
    if profile is not None:
        if profile == "default":
            PRINT_OPTS.precision = 4
            PRINT_OPTS.threshold = 1000
            PRINT_OPTS.edgeitems = 3
            PRINT_OPTS.linewidth = 80
        elif profile == "short":
            PRINT_OPTS.precision = 2
            PRINT_OPTS.threshold = 1000
            PRINT_OPTS.edgeitems = 2
            PRINT_OPTS.linewidth = 80
        elif profile == "full":
            PRINT_OPTS.precision = 4
            PRINT_OPTS.threshold = math.inf
            PRINT_OPTS.edgeitems = 3
            PRINT_OPTS.linewidth = 80

    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Return the current print options as a dict usable as ``set_printoptions(**d)``."""
    return PRINT_OPTS.asdict()


@contextlib.contextmanager
def printoptions(**kwargs):
    """Context manager that temporarily changes the print options."""
    old_kwargs = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old_kwargs)


# ---------------------------------------------------------------------------
# dtype helpers
# ---------------------------------------------------------------------------

_DTYPE_ALIASES = {
    "float": "float32",
    "double": "float64",
    "half": "float16",
    "cfloat": "complex64",
    "cdouble": "complex128",
    "chalf": "complex32",
    "long": "int64",
    "int": "int32",
    "short": "int16",
}

_FLOATING = {
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "float8_e4m3fn",
    "float8_e4m3fnuz",
    "float8_e5m2",
    "float8_e5m2fnuz",
    "float8_e8m0fnu",
}
_COMPLEX = {"complex32", "complex64", "complex128"}


def _canon_dtype(name: str) -> str:
    name = str(name)
    if "." in name:  # "torch.float32", "pyengine.float32"
        name = name.rsplit(".", 1)[-1]
    return _DTYPE_ALIASES.get(name, name)


# ---------------------------------------------------------------------------
# formatting core
# ---------------------------------------------------------------------------


def _fmt_fixed(value: float) -> str:
    return f"{{:.{PRINT_OPTS.precision}f}}".format(value)


def _fmt_sci(value: float) -> str:
    return f"{{:.{PRINT_OPTS.precision}e}}".format(value)


class _Formatter:
    """Mirror of ``torch._tensor_str._Formatter`` working on numpy arrays.

    ``arr`` holds float64 values for floating tensors, python-convertible ints or
    bools otherwise.
    """

    def __init__(self, arr: np.ndarray, floating: bool):
        self.floating_dtype = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1

        flat = arr.reshape(-1)

        if not self.floating_dtype:
            for value in flat.tolist():
                self.max_width = max(self.max_width, len(f"{value}"))
            return

        vals = flat.astype(np.float64, copy=False)
        nonzero_finite = vals[np.isfinite(vals) & (vals != 0)]
        if nonzero_finite.size == 0:
            # no valid number, do nothing
            return

        nz_abs = np.abs(nonzero_finite)
        nz_min = float(nz_abs.min())
        nz_max = float(nz_abs.max())

        self.int_mode = bool(np.all(nonzero_finite == np.ceil(nonzero_finite)))

        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = (
                nz_max / nz_min > 1000.0 or nz_max > 1.0e8 or nz_min < 1.0e-4
            )
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        values = nonzero_finite.tolist()
        if self.int_mode:
            # in int_mode for floats, all numbers are integers, and we append a
            # decimal to nonfinites to indicate that the tensor is of floating
            # type. add 1 to the len to account for this.
            if self.sci_mode:
                for value in values:
                    self.max_width = max(self.max_width, len(_fmt_sci(value)))
            else:
                for value in values:
                    self.max_width = max(self.max_width, len(f"{value:.0f}") + 1)
        else:
            if self.sci_mode:
                for value in values:
                    self.max_width = max(self.max_width, len(_fmt_sci(value)))
            else:
                for value in values:
                    self.max_width = max(self.max_width, len(_fmt_fixed(value)))

    def width(self) -> int:
        return self.max_width

    def format(self, value) -> str:
        if self.floating_dtype:
            value = float(value)
            if self.sci_mode:
                ret = f"{{:{self.max_width}.{PRINT_OPTS.precision}e}}".format(value)
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = _fmt_fixed(value)
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _complex_join(real_str: str, imag_str: str) -> str:
    imag_str = (imag_str + "j").lstrip()
    # handles negative numbers, +0.0, -0.0
    if imag_str[0] == "+" or imag_str[0] == "-":
        return real_str + imag_str
    return real_str + "+" + imag_str


def _scalar_str(arr: np.ndarray, formatter1: _Formatter, formatter2=None) -> str:
    value = arr.item()
    if formatter2 is not None:
        value = complex(value)
        return _complex_join(formatter1.format(value.real), formatter2.format(value.imag))
    return formatter1.format(value)


def _vector_str(arr, indent, summarize, formatter1, formatter2=None) -> str:
    # length includes spaces and comma between elements
    element_length = formatter1.width() + 2
    if formatter2 is not None:
        # width for imag_formatter + an extra j for complex
        element_length += formatter2.width() + 1

    elements_per_line = max(
        1, math.floor((PRINT_OPTS.linewidth - indent) / element_length)
    )

    def _val_formatter(val):
        if formatter2 is not None:
            val = complex(val)
            return _complex_join(formatter1.format(val.real), formatter2.format(val.imag))
        return formatter1.format(val)

    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        data = ["..."]
    elif summarize and arr.shape[0] > 2 * edge:
        data = (
            [_val_formatter(v) for v in arr[:edge].tolist()]
            + [" ..."]
            + [_val_formatter(v) for v in arr[-edge:].tolist()]
        )
    else:
        data = [_val_formatter(v) for v in arr.tolist()]

    data_lines = [
        data[i : i + elements_per_line] for i in range(0, len(data), elements_per_line)
    ]
    lines = [", ".join(line) for line in data_lines]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with_formatter(arr, indent, summarize, formatter1, formatter2=None):
    dim = arr.ndim

    if dim == 0:
        return _scalar_str(arr, formatter1, formatter2)

    if dim == 1:
        return _vector_str(arr, indent, summarize, formatter1, formatter2)

    edge = PRINT_OPTS.edgeitems
    n = arr.shape[0]
    if summarize and n > 2 * edge:
        slices = (
            [
                _tensor_str_with_formatter(arr[i], indent + 1, summarize, formatter1, formatter2)
                for i in range(edge)
            ]
            + ["..."]
            + [
                _tensor_str_with_formatter(arr[i], indent + 1, summarize, formatter1, formatter2)
                for i in range(n - edge, n)
            ]
        )
    else:
        slices = [
            _tensor_str_with_formatter(arr[i], indent + 1, summarize, formatter1, formatter2)
            for i in range(n)
        ]

    tensor_str = ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(slices)
    return "[" + tensor_str + "]"


def _get_summarized_data(arr: np.ndarray) -> np.ndarray:
    dim = arr.ndim
    edge = PRINT_OPTS.edgeitems
    if dim == 0:
        return arr
    if dim == 1:
        if arr.shape[0] > 2 * edge:
            # NB: like torch, arr[-0:] is the whole array when edgeitems == 0
            return np.concatenate((arr[:edge], arr[-edge:]))
        return arr
    if not edge:
        return np.empty([0] * dim, dtype=arr.dtype)
    if arr.shape[0] > 2 * edge:
        n = arr.shape[0]
        idx = list(range(edge)) + list(range(n - edge, n))
        return np.stack([_get_summarized_data(arr[i]) for i in idx])
    return np.stack([_get_summarized_data(x) for x in arr])


def _tensor_str(arr: np.ndarray, indent: int, floating: bool, is_complex: bool) -> str:
    if arr.size == 0:
        return "[]"

    summarize = arr.size > PRINT_OPTS.threshold

    if is_complex:
        src = _get_summarized_data(arr) if summarize else arr
        real_formatter = _Formatter(np.ascontiguousarray(src.real), True)
        imag_formatter = _Formatter(np.ascontiguousarray(src.imag), True)
        return _tensor_str_with_formatter(arr, indent, summarize, real_formatter, imag_formatter)

    formatter = _Formatter(_get_summarized_data(arr) if summarize else arr, floating)
    return _tensor_str_with_formatter(arr, indent, summarize, formatter)


def _add_suffixes(tensor_str, suffixes, indent, force_newline):
    tensor_strs = [tensor_str]
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        suffix_len = len(suffix)
        if force_newline or last_line_len + suffix_len + 2 > PRINT_OPTS.linewidth:
            tensor_strs.append(",\n" + " " * indent + suffix)
            last_line_len = indent + suffix_len
            force_newline = False
        else:
            tensor_strs.append(", " + suffix)
            last_line_len += suffix_len + 2
    tensor_strs.append(")")
    return "".join(tensor_strs)


def _normalize_device(device) -> str:
    device = str(device) if device is not None else "cpu"
    if device == "cuda":
        device = "cuda:0"
    return device


def _prepare_values(values, dtype: str) -> np.ndarray:
    arr = np.asarray(values)
    if dtype in _COMPLEX:
        return arr.astype(np.complex128, copy=False)
    if dtype in _FLOATING:
        return arr.astype(np.float64, copy=False)
    if dtype == "bool":
        return arr.astype(np.bool_, copy=False)
    if arr.dtype.kind == "f":
        # integer tensor handed over as floats: convert to exact ints
        return arr.astype(np.int64)
    return arr


def format_tensor(
    values,
    *,
    dtype: str,
    default_dtype: str = "float32",
    device: str = "cpu",
    requires_grad: bool = False,
    grad_fn: Optional[str] = None,
    is_parameter: bool = False,
) -> str:
    """Return the PyTorch-style ``repr`` of a tensor.

    Args:
        values: the tensor's data as a numpy array with the tensor's shape
            (bfloat16 given as float32 values, float16 as float16, bool as bool,
            ints as the matching numpy integer type).
        dtype: pyengine dtype name without prefix (``"float32"``, ``"int64"``...).
        default_dtype: the current default floating dtype.
        device: ``"cpu"`` or e.g. ``"cuda:0"``; non-cpu devices are printed.
        requires_grad: printed as ``requires_grad=True`` when there is no grad_fn.
        grad_fn: class name of the autograd node, printed as ``grad_fn=<Name>``.
        is_parameter: prefix with ``"Parameter containing:\\n"``.
    """
    dtype = _canon_dtype(dtype)
    default_dtype = _canon_dtype(default_dtype)
    device = _normalize_device(device)
    floating = dtype in _FLOATING
    is_complex = dtype in _COMPLEX

    arr = _prepare_values(values, dtype)

    prefix = "tensor("
    indent = len(prefix)
    suffixes = []

    # Like torch: the device is printed when it is not the default (cpu) device.
    if device != "cpu":
        suffixes.append("device='" + device + "'")

    default_complex = "complex128" if default_dtype == "float64" else "complex64"
    has_default_dtype = dtype in (default_dtype, default_complex, "int64", "bool")
    dtype_str = "torch." + dtype

    if arr.size == 0:
        # Explicitly print the shape if it is not (0,), to match NumPy behavior
        if arr.ndim != 1:
            suffixes.append("size=" + str(tuple(int(s) for s in arr.shape)))
        # In an empty tensor, there are no elements to infer if the dtype
        # should be int64, so it must be shown explicitly.
        if dtype != default_dtype:
            suffixes.append("dtype=" + dtype_str)
        tensor_str = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append("size=" + str(tuple(int(s) for s in arr.shape)))
        if not has_default_dtype:
            suffixes.append("dtype=" + dtype_str)
        tensor_str = _tensor_str(arr, indent, floating, is_complex)

    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")

    string_repr = _add_suffixes(prefix + tensor_str, suffixes, indent, force_newline=False)

    if is_parameter:
        string_repr = "Parameter containing:\n" + string_repr
    return string_repr


def format_meta_tensor(
    shape: tuple,
    *,
    dtype: str,
    default_dtype: str = "float32",
    device: str = "meta",
    requires_grad: bool = False,
    grad_fn: Optional[str] = None,
    is_parameter: bool = False,
) -> str:
    """The ``repr`` of a meta tensor (no values): ``tensor(..., device='meta', size=(2, 3))`` as PyTorch prints it,
    with the dtype when it is not the default floating dtype, then the autograd suffixes."""
    dtype = _canon_dtype(dtype)
    suffixes = ["device='" + _normalize_device(device) + "'", "size=" + str(tuple(int(s) for s in shape))]
    if dtype != _canon_dtype(default_dtype):
        suffixes.append("dtype=torch." + dtype)
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    string_repr = _add_suffixes("tensor(...", suffixes, len("tensor("), force_newline=False)
    if is_parameter:
        string_repr = "Parameter containing:\n" + string_repr
    return string_repr
