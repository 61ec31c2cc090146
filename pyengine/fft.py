"""torch.fft: discrete Fourier transforms, built as PyTorch's SpectralOps are from three primitives
(``_C._fft_c2c``, ``_C._fft_r2c``, ``_C._fft_c2r``, csrc/ops/fft.h) over pyengine's own FFT kernel (Note [FFT
kernel] in docs/design-notes.md). Argument handling (``n``/``s``, ``dim``, ``norm``, padding and trimming,
dtype promotion) and error messages follow aten/src/ATen/native/SpectralOps.cpp.

Gradients: pyengine does not differentiate complex tensors yet (Note [Complex dtypes]), so the transforms whose
result is complex (fft, rfft, ihfft, ...) give results without a grad_fn, and the real-to-real ones applied to a
real tensor (irfft, hfft and their 2-D / n-D forms, as well as fftshift/ifftshift) are differentiable, with
PyTorch's backward formula of ``_fft_c2r``.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

from . import _C
from ._C import Tensor

__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2", "hfft2", "ihfft2",
           "fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn", "fftshift", "ifftshift", "fftfreq", "rfftfreq"]

_NONE, _BY_ROOT_N, _BY_N = 0, 1, 2


def _pe():
    import pyengine
    return pyengine


def _norm_mode(norm: Optional[str], forward: bool) -> int:
    if norm is None or norm == "backward":
        return _NONE if forward else _BY_N
    if norm == "forward":
        return _BY_N if forward else _NONE
    if norm == "ortho":
        return _BY_ROOT_N
    raise RuntimeError(f'Invalid normalization mode: "{norm}"')


def _scalar_name(dt) -> str:
    from ._ops_real_complex_api import _scalar_name as name
    return name(dt)


def _promote(x: Tensor, require_complex: bool) -> Tensor:
    """promote_tensor_fft: integers to the default float dtype; only float32/float64 (and their complex types)
    have CPU kernels; with require_complex the result is complex."""
    pe = _pe()
    if x.device.type not in ("cpu", "meta"):
        raise RuntimeError(f"torch.fft is not implemented for device '{x.device}' in pyengine (the FFT kernel runs "
                           "on the CPU: move the tensor with .cpu())")
    if x.is_complex():
        return x
    dt = x.dtype if x.is_floating_point() else pe.get_default_dtype()
    if dt not in (pe.float32, pe.float64):
        raise RuntimeError(f"Unsupported dtype {_scalar_name(dt)}")
    if require_complex:
        dt = pe.complex64 if dt is pe.float32 else pe.complex128
    return x if x.dtype is dt else x.to(dt)


def _wrap(dim: int, ndim: int) -> int:
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})")
    return dim % ndim


def _resize(x: Tensor, dims: Sequence[int], sizes: Sequence[int]) -> Tensor:
    """resize_fft_input: trim (a view) or zero-pad at the end each of dims to its size. Complex tensors are
    resized through their real view (whose trailing (re, im) dim is left alone)."""
    if x.is_complex():
        r = _resize(_C.view_as_real(x), dims, sizes)
        return _C.view_as_complex(r if r.stride(-1) == 1 else r.contiguous())
    pe = _pe()
    for d, n in zip(dims, sizes):
        cur = x.shape[d]
        if cur > n:
            x = x.narrow(d, 0, n)
        elif cur < n:
            pad = [0, 0] * (x.dim() - d)
            pad[-1] = n - cur
            x = pe.nn.functional.pad(x, pad)
    return x


def _shape_and_dims(x: Tensor, s, dim) -> Tuple[List[int], List[int]]:
    """canonicalize_fft_shape_and_dim_args."""
    ndim = x.dim()
    dims: List[int] = []
    if dim is not None:
        dims = [_wrap(d, ndim) for d in ([dim] if isinstance(dim, int) else dim)]
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
    if s is not None:
        s = [s] if isinstance(s, int) else list(s)
        if dim is not None and len(dims) != len(s):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
        if len(s) > ndim:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has {ndim} dimensions.")
        if dim is None:
            dims = list(range(ndim - len(s), ndim))
        shape = [x.shape[d] if n == -1 else int(n) for d, n in zip(dims, s)]
    elif dim is None:
        dims = list(range(ndim))
        shape = list(x.shape)
    else:
        shape = [x.shape[d] for d in dims]
    for n in shape:
        if n <= 0:
            raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return shape, dims


def _out(result: Tensor, out: Optional[Tensor]) -> Tensor:
    if out is None:
        return result
    if tuple(out.shape) != tuple(result.shape):
        out.resize_(result.shape)
    return out.copy_(result)


# ---- the differentiable real -> real transform ----

def _c2r_function():
    from .autograd import Function

    class FftC2RBackward0(Function):
        """_fft_c2r of a real tensor (seen as complex with zero imaginary parts): real in, real out. Backward is
        PyTorch's fft_c2r_backward: the onesided r2c transform of the gradient, the bins whose mirror image lies
        outside the half spectrum doubled, and the real part taken (the input was real)."""

        @staticmethod
        def forward(ctx, x, dims, norm, n):
            ctx.dims, ctx.norm, ctx.n = dims, norm, n
            return _C._fft_c2r(_promote(x, True), dims, norm, n)

        @staticmethod
        def backward(ctx, grad):
            g = _C._fft_r2c(grad.contiguous(), ctx.dims, ctx.norm, True)
            last = ctx.dims[-1]
            double = grad.shape[last] - g.shape[last]
            gr = _C.view_as_real(g)
            if double > 0:
                gr.narrow(last, 1, double).mul_(2)
            return gr.select(-1, 0).contiguous(), None, None, None

    return FftC2RBackward0


_C2R = None


def _c2r(x: Tensor, dims: List[int], norm: int, n: int, conj: bool) -> Tensor:
    """_fft_c2r of x (conjugated first when `conj`, hfft's form); differentiable for a real x."""
    global _C2R
    pe = _pe()
    if not x.is_complex():
        if x.requires_grad and pe.is_grad_enabled():
            if _C2R is None:
                _C2R = _c2r_function()
            return _C2R.apply(x, dims, norm, n)
        x = _promote(x, True)
    elif conj:
        x = x.conj()
    return _C._fft_c2r(x, dims, norm, n)


# ---- 1-D ----

def _c2c_or_r2c(name: str, input: Tensor, n, dim: int, norm, forward: bool) -> Tensor:
    if input.is_complex():
        d = _wrap(dim, input.dim())
        size = input.shape[d] if n is None else n
        if size < 1:
            raise RuntimeError(f"Invalid number of data points ({size}) specified")
        x = _resize(input, [d], [size]) if n is not None else input
        return _C._fft_c2c(x, [d], _norm_mode(norm, forward), forward)
    return _r2c(name, input, n, dim, norm, forward, onesided=False)


def _r2c(name: str, input: Tensor, n, dim: int, norm, forward: bool, onesided: bool) -> Tensor:
    if input.is_complex():
        raise RuntimeError(f"{name} expects a real input tensor, but got {_scalar_name(input.dtype)}")
    x = _promote(input, False)
    d = _wrap(dim, x.dim())
    size = x.shape[d] if n is None else n
    if size < 1:
        raise RuntimeError(f"Invalid number of data points ({size}) specified")
    if n is not None:
        x = _resize(x, [d], [size])
    r = _C._fft_r2c(x.detach(), [d], _norm_mode(norm, forward), onesided)
    return r if forward else r.conj()


def _c2r_1d(input: Tensor, n, dim: int, norm, forward: bool) -> Tensor:
    x = input if input.is_complex() else _promote(input, False)
    d = _wrap(dim, x.dim())
    size = 2 * (x.shape[d] - 1) if n is None else n
    if size < 1:
        raise RuntimeError(f"Invalid number of data points ({size}) specified")
    if n is not None:
        x = _resize(x, [d], [size // 2 + 1])
    return _c2r(x, [d], _norm_mode(norm, forward), size, conj=forward)


def fft(input: Tensor, n: Optional[int] = None, dim: int = -1, norm: Optional[str] = None, *, out=None) -> Tensor:
    return _out(_c2c_or_r2c("fft", input, n, dim, norm, True), out)


def ifft(input: Tensor, n: Optional[int] = None, dim: int = -1, norm: Optional[str] = None, *, out=None) -> Tensor:
    return _out(_c2c_or_r2c("ifft", input, n, dim, norm, False), out)


def rfft(input: Tensor, n: Optional[int] = None, dim: int = -1, norm: Optional[str] = None, *, out=None) -> Tensor:
    return _out(_r2c("rfft", input, n, dim, norm, True, onesided=True), out)


def ihfft(input: Tensor, n: Optional[int] = None, dim: int = -1, norm: Optional[str] = None, *, out=None) -> Tensor:
    return _out(_r2c("ihfft", input, n, dim, norm, False, onesided=True), out)


def irfft(input: Tensor, n: Optional[int] = None, dim: int = -1, norm: Optional[str] = None, *, out=None) -> Tensor:
    return _out(_c2r_1d(input, n, dim, norm, False), out)


def hfft(input: Tensor, n: Optional[int] = None, dim: int = -1, norm: Optional[str] = None, *, out=None) -> Tensor:
    return _out(_c2r_1d(input, n, dim, norm, True), out)


# ---- n-D ----

def _cnd(input: Tensor, s, dim, norm, forward: bool) -> Tensor:
    shape, dims = _shape_and_dims(input, s, dim)
    x = _resize(_promote(input, True), dims, shape)
    return _C._fft_c2c(x, dims, _norm_mode(norm, forward), forward)


def fftn(input: Tensor, s=None, dim=None, norm: Optional[str] = None, *, out=None) -> Tensor:
    return _out(_cnd(input, s, dim, norm, True), out)


def ifftn(input: Tensor, s=None, dim=None, norm: Optional[str] = None, *, out=None) -> Tensor:
    return _out(_cnd(input, s, dim, norm, False), out)


def rfftn(input: Tensor, s=None, dim=None, norm: Optional[str] = None, *, out=None) -> Tensor:
    if input.is_complex():
        raise RuntimeError(f"rfftn expects a real-valued input tensor, but got {_scalar_name(input.dtype)}")
    shape, dims = _shape_and_dims(input, s, dim)
    if not shape:
        raise RuntimeError("rfftn must transform at least one axis")
    x = _resize(_promote(input, False), dims, shape)
    return _out(_C._fft_r2c(x.detach(), dims, _norm_mode(norm, True), True), out)


def ihfftn(input: Tensor, s=None, dim=None, norm: Optional[str] = None, *, out=None) -> Tensor:
    if input.is_complex():
        raise RuntimeError(f"ihfftn expects a real-valued input tensor, but got {_scalar_name(input.dtype)}")
    shape, dims = _shape_and_dims(input, s, dim)
    if not shape:
        raise RuntimeError("ihfftn must transform at least one axis")
    x = _resize(_promote(input, False), dims, shape)
    # ifftn of a real x is conj(fftn(x)) with the inverse's scaling; its onesided half is the r2c one.
    r = _C._fft_r2c(x.detach(), dims, _norm_mode(norm, False), True)
    return _out(r.conj(), out)


def _c2r_nd(name: str, input: Tensor, s, dim, norm, forward: bool) -> Tensor:
    shape, dims = _shape_and_dims(input, s, dim)
    if not shape:
        raise RuntimeError(f"{name} must transform at least one axis")
    if s is None or (not isinstance(s, int) and list(s)[-1] == -1):
        last = 2 * (input.shape[dims[-1]] - 1)
    else:
        last = shape[-1]
    if last < 1:
        raise RuntimeError(f"Invalid number of data points ({last}) specified")
    shape[-1] = last // 2 + 1
    x = input if input.is_complex() else _promote(input, False)
    x = _resize(x, dims, shape)
    # hfftn(x) = the inverse c2r transform of conj(x) with the forward transform's scaling.
    return _c2r(x, dims, _norm_mode(norm, forward), last, conj=forward)


def irfftn(input: Tensor, s=None, dim=None, norm: Optional[str] = None, *, out=None) -> Tensor:
    return _out(_c2r_nd("irfftn", input, s, dim, norm, False), out)


def hfftn(input: Tensor, s=None, dim=None, norm: Optional[str] = None, *, out=None) -> Tensor:
    return _out(_c2r_nd("hfftn", input, s, dim, norm, True), out)


# ---- 2-D: the n-D transforms over dim=(-2, -1) ----

def fft2(input: Tensor, s=None, dim=(-2, -1), norm: Optional[str] = None, *, out=None) -> Tensor:
    return fftn(input, s, dim, norm, out=out)


def ifft2(input: Tensor, s=None, dim=(-2, -1), norm: Optional[str] = None, *, out=None) -> Tensor:
    return ifftn(input, s, dim, norm, out=out)


def rfft2(input: Tensor, s=None, dim=(-2, -1), norm: Optional[str] = None, *, out=None) -> Tensor:
    return rfftn(input, s, dim, norm, out=out)


def irfft2(input: Tensor, s=None, dim=(-2, -1), norm: Optional[str] = None, *, out=None) -> Tensor:
    return irfftn(input, s, dim, norm, out=out)


def hfft2(input: Tensor, s=None, dim=(-2, -1), norm: Optional[str] = None, *, out=None) -> Tensor:
    return hfftn(input, s, dim, norm, out=out)


def ihfft2(input: Tensor, s=None, dim=(-2, -1), norm: Optional[str] = None, *, out=None) -> Tensor:
    return ihfftn(input, s, dim, norm, out=out)


# ---- helpers ----

def _shift(input: Tensor, dim, up: bool) -> Tensor:
    dims = list(range(input.dim())) if dim is None else ([dim] if isinstance(dim, int) else list(dim))
    if not dims:
        return input.clone()
    shifts = [(input.shape[d] + (1 if not up else 0)) // 2 for d in dims]
    if input.is_complex():
        r = _pe().roll(_C.view_as_real(input), shifts, [d % input.dim() for d in dims])
        return _C.view_as_complex(r.contiguous())
    return _pe().roll(input, shifts, dims)


def fftshift(input: Tensor, dim=None) -> Tensor:
    return _shift(input, dim, up=True)


def ifftshift(input: Tensor, dim=None) -> Tensor:
    return _shift(input, dim, up=False)


def _freq_options(dtype, device):
    pe = _pe()
    dtype = pe.get_default_dtype() if dtype is None else dtype
    if not dtype.is_floating_point and not dtype.is_complex:
        raise RuntimeError("fftfreq requires a floating point or complex dtype")
    return dtype, device


def fftfreq(n: int, d: float = 1.0, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
            out=None) -> Tensor:
    pe = _pe()
    _check_layout(layout)
    dtype, device = _freq_options(dtype, device)
    r = pe.arange(n, dtype=dtype, device=device)
    right = (n + 1) // 2
    if n - right > 0:
        r[right:] = pe.arange(-(n // 2), 0, dtype=dtype, device=device)
    r = r.mul_(1.0 / (n * d))
    if requires_grad:
        r.requires_grad_(True)
    return _out(r, out)


def rfftfreq(n: int, d: float = 1.0, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
             out=None) -> Tensor:
    pe = _pe()
    _check_layout(layout)
    dtype, device = _freq_options(dtype, device)
    r = pe.arange(n // 2 + 1, dtype=dtype, device=device).mul_(1.0 / (n * d))
    if requires_grad:
        r.requires_grad_(True)
    return _out(r, out)


def _check_layout(layout) -> None:
    if layout is not None and layout is not _pe().strided:
        raise RuntimeError(f"fftfreq: layout {layout} is not supported: pyengine has torch.strided only")
