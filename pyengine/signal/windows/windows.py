"""Window functions: ``torch.signal.windows.*`` (``sym`` selects the symmetric or the periodic window) and the
older ``torch.*_window`` factories (``periodic``). Each window is evaluated in float64 on the host, where the
formula is exact to rounding, and handed to the engine in the requested dtype and device."""
from __future__ import annotations

import math
from typing import Iterable, Optional

import numpy as np

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine", "general_hamming",
           "hamming", "hann", "kaiser", "nuttall", "bartlett_window", "blackman_window", "hamming_window",
           "hann_window", "kaiser_window"]


def _pe():
    import pyengine
    return pyengine


def _finish(values: np.ndarray, dtype, device, requires_grad: bool):
    pe = _pe()
    t = pe.tensor(values, dtype=dtype if dtype is not None else pe.get_default_dtype(), device=device)
    return t.requires_grad_(requires_grad) if requires_grad else t


def _checks(name: str, M: int, dtype, layout) -> None:
    pe = _pe()
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if layout is not None and layout != pe.strided:
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}")
    if dtype is not None and dtype not in (pe.float32, pe.float64):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dtype}")


def _denominator(M: int, sym: bool) -> int:
    """The window spans n = 0 .. N with N = M - 1 (symmetric) or M (periodic: one sample of a longer window)."""
    return M - 1 if sym else M


def exponential(M: int, *, center: Optional[float] = None, tau: float = 1.0, sym: bool = True, dtype=None,
                layout=None, device=None, requires_grad: bool = False):
    _checks("exponential", M, dtype, layout)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    if center is None:
        center = (M if not sym and M > 1 else M - 1) / 2.0
    n = np.arange(M, dtype=np.float64)
    return _finish(np.exp(-np.abs(n - center) / tau), dtype, device, requires_grad)


def cosine(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False):
    _checks("cosine", M, dtype, layout)
    n = np.arange(M, dtype=np.float64)
    width = M + 1 if not sym and M > 1 else M
    return _finish(np.sin(math.pi * (n + 0.5) / width) if M else n, dtype, device, requires_grad)


def gaussian(M: int, *, std: float = 1.0, sym: bool = True, dtype=None, layout=None, device=None,
             requires_grad: bool = False):
    _checks("gaussian", M, dtype, layout)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    start = -(M if not sym and M > 1 else M - 1) / 2.0
    k = start + np.arange(M, dtype=np.float64)
    return _finish(np.exp(-(k / std) ** 2 / 2), dtype, device, requires_grad)


def kaiser(M: int, *, beta: float = 12.0, sym: bool = True, dtype=None, layout=None, device=None,
           requires_grad: bool = False):
    _checks("kaiser", M, dtype, layout)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    if M <= 1:
        return _finish(np.ones(M), dtype, device, requires_grad)
    half = _denominator(M, sym) / 2.0
    n = np.arange(M, dtype=np.float64)
    arg = beta * np.sqrt(np.clip(1 - ((n - half) / half) ** 2, 0, None))
    return _finish(np.i0(arg) / np.i0(beta), dtype, device, requires_grad)


def general_cosine(M: int, *, a: Iterable, sym: bool = True, dtype=None, layout=None, device=None,
                   requires_grad: bool = False):
    _checks("general_cosine", M, dtype, layout)
    if M <= 1:
        return _finish(np.ones(M), dtype, device, requires_grad)
    if not isinstance(a, (list, tuple)):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")
    n = np.arange(M, dtype=np.float64)
    phase = 2 * math.pi * n / _denominator(M, sym)
    w = sum(((-1) ** i) * c * np.cos(i * phase) for i, c in enumerate(a))
    return _finish(w, dtype, device, requires_grad)


def general_hamming(M: int, *, alpha: float = 0.54, sym: bool = True, dtype=None, layout=None, device=None,
                    requires_grad: bool = False):
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def hamming(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False):
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad)


def hann(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False):
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def blackman(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False):
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def nuttall(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False):
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym, dtype=dtype,
                          layout=layout, device=device, requires_grad=requires_grad)


def bartlett(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False):
    _checks("bartlett", M, dtype, layout)
    if M <= 1:
        return _finish(np.ones(M), dtype, device, requires_grad)
    n = np.arange(M, dtype=np.float64)
    return _finish(1 - np.abs(2 * n / _denominator(M, sym) - 1), dtype, device, requires_grad)


# ---- torch.*_window: `periodic` is `not sym`; floating dtypes only ----
def _legacy_checks(name: str, window_length: int, dtype, layout) -> None:
    pe = _pe()
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    if layout is not None and layout != pe.strided:
        raise RuntimeError(f"{name} is not implemented for sparse types, got: {layout}")
    if dtype is not None and not dtype.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dtype}")


def _legacy(name: str, window_length: int, dtype, layout, values_fn, device, requires_grad):
    _legacy_checks(name, window_length, dtype, layout)
    return _finish(values_fn(), dtype, device, requires_grad)


def hann_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                requires_grad: bool = False):
    return hamming_window(window_length, periodic, 0.5, 0.5, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad, _name="hann_window")


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54, beta: float = 0.46, *,
                   dtype=None, layout=None, device=None, requires_grad: bool = False, _name: str = "hamming_window"):
    def values():
        if window_length <= 1:
            return np.ones(window_length)
        n = np.arange(window_length, dtype=np.float64)
        return alpha - beta * np.cos(2 * math.pi * n / _denominator(window_length, not periodic))
    return _legacy(_name, window_length, dtype, layout, values, device, requires_grad)


def blackman_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                    requires_grad: bool = False):
    def values():
        if window_length <= 1:
            return np.ones(window_length)
        phase = 2 * math.pi * np.arange(window_length, dtype=np.float64) / _denominator(window_length, not periodic)
        return 0.42 - 0.5 * np.cos(phase) + 0.08 * np.cos(2 * phase)
    return _legacy("blackman_window", window_length, dtype, layout, values, device, requires_grad)


def bartlett_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                    requires_grad: bool = False):
    def values():
        if window_length <= 1:
            return np.ones(window_length)
        n = np.arange(window_length, dtype=np.float64)
        return 1 - np.abs(2 * n / _denominator(window_length, not periodic) - 1)
    return _legacy("bartlett_window", window_length, dtype, layout, values, device, requires_grad)


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *, dtype=None, layout=None,
                  device=None, requires_grad: bool = False):
    def values():
        if window_length <= 1:
            return np.ones(window_length)
        half = _denominator(window_length, not periodic) / 2.0
        n = np.arange(window_length, dtype=np.float64)
        arg = beta * np.sqrt(np.clip(1 - ((n - half) / half) ** 2, 0, None))
        return np.i0(arg) / np.i0(beta)
    return _legacy("kaiser_window", window_length, dtype, layout, values, device, requires_grad)
