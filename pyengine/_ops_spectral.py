"""torch.stft / torch.istft, composed as aten's (aten/src/ATen/native/SpectralOps.cpp) from the FFT primitives
(csrc/ops/fft.h), as_strided framing and an overlap-add, with its argument checks and messages."""
from __future__ import annotations

import warnings
from typing import Optional

from . import _C
from ._C import Tensor

__all__ = ["stft", "istft"]


def _pe():
    import pyengine
    return pyengine


def _window_of(window: Optional[Tensor], win_length: int, n_fft: int, like: Tensor, fn: str):
    """The window zero-padded (centered) to n_fft, or None for the rectangular window of length n_fft."""
    pe = _pe()
    if window is not None:
        if window.dim() != 1 or window.shape[0] != win_length:
            raise RuntimeError(f"{fn}: expected a 1D window tensor of size equal to win_length={win_length}, but got "
                               f"window with size {list(window.shape)}")
    if win_length == n_fft:
        return window
    left = (n_fft - win_length) // 2
    real = like.dtype.to_real() if like.is_complex() else like.dtype
    w = pe.zeros(n_fft, dtype=window.dtype if window is not None else real, device=like.device)
    if window is None:
        w.narrow(0, left, win_length).fill_(1)
    else:
        w.narrow(0, left, win_length).copy_(window)
    return w


def _pad_signal(x: Tensor, pad: int, mode: str) -> Tensor:
    """x (B, L) padded by `pad` on both ends of L with F.pad's mode (complex through the real view)."""
    pe = _pe()
    if x.is_complex():
        r = _C.view_as_real(x).unsqueeze(0)  # (1, B, L, 2): pad L, leave the (re, im) dim alone
        r = pe.nn.functional.pad(r, (0, 0, pad, pad), mode=mode)
        return _C.view_as_complex(r.squeeze(0).contiguous())
    return pe.nn.functional.pad(x.unsqueeze(0), (pad, pad), mode=mode).squeeze(0)


def stft(input: Tensor, n_fft: int, hop_length: Optional[int] = None, win_length: Optional[int] = None,
         window: Optional[Tensor] = None, center: bool = True, pad_mode: str = "reflect", normalized: bool = False,
         onesided: Optional[bool] = None, return_complex: Optional[bool] = None, align_to_window=None) -> Tensor:
    if align_to_window is not None:
        raise NotImplementedError("stft(): align_to_window is not supported by pyengine")
    complex_any = input.is_complex() or (window is not None and window.is_complex())
    rc = complex_any if return_complex is None else bool(return_complex)
    if not rc:
        if return_complex is None:
            raise RuntimeError("stft requires the return_complex parameter be given for real inputs, and will further "
                               "require that return_complex=True in a future PyTorch release.")
        warnings.warn("stft with return_complex=False is deprecated. In a future pytorch release, stft will return "
                      "complex tensors for all inputs, and return_complex=False will raise an error.\nNote: you can "
                      "still call torch.view_as_real on the complex output to recover the old return format.",
                      UserWarning, stacklevel=2)
    if input.dim() not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, but got {input.dim()}D tensor")
    x = input if input.dim() == 2 else input.unsqueeze(0)
    if center:
        x = _pad_signal(x, n_fft // 2, pad_mode)
    hop = n_fft >> 2 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    length = x.shape[1]
    if n_fft <= 0 or n_fft > length:
        raise RuntimeError(f"stft: expected 0 < n_fft <= {length}, but got n_fft={n_fft}")
    if hop <= 0:
        raise RuntimeError(f"stft: expected hop_length > 0, but got hop_length={hop}")
    if win <= 0 or win > n_fft:
        raise RuntimeError(f"stft: expected 0 < win_length <= n_fft, but got win_length={win}")
    if window is None:
        warnings.warn("A window was not provided. A rectangular window will be applied,which is known to cause "
                      "spectral leakage. Other windows such as torch.hann_window or torch.hamming_window are "
                      "recommended to reduce spectral leakage.To suppress this warning and use a rectangular window, "
                      "explicitly set `window=torch.ones(n_fft, device=<device>)`.", UserWarning, stacklevel=2)
    w = _window_of(window, win, n_fft, x, "stft")
    n_frames = 1 + (length - n_fft) // hop
    norm = 1 if normalized else 0
    pe = _pe()
    if not rc and not x.is_complex() and (w is None or not w.is_complex()) and pe.is_grad_enabled() and \
            (x.requires_grad or (w is not None and w.requires_grad)):
        # The real (view_as_real) result of a real signal is a real linear function of it and of the window:
        # differentiable, through its own backward (complex intermediates carry no gradient here).
        sided = True if onesided is None else bool(onesided)
        out = _stft_real_function().apply(x, w, n_fft, hop, n_frames, norm, sided)
        return out.squeeze(0) if input.dim() == 1 else out
    frames = x.as_strided((x.shape[0], n_frames, n_fft), (x.stride(0), hop * x.stride(1), x.stride(1)),
                          x.storage_offset())
    if w is not None:
        frames = frames * w
    sided = (not frames.is_complex()) if onesided is None else bool(onesided)
    if frames.is_complex():
        if sided:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
        out = _C._fft_c2c(frames, [2], norm, True)
    else:
        out = _C._fft_r2c(frames.contiguous(), [2], norm, sided)
    out = out.transpose(1, 2)
    if input.dim() == 1:
        out = out.squeeze(0)
    return out if rc else _C.view_as_real(out.contiguous())


_STFT_REAL = None


def _stft_real_function():
    """StftBackward0 for the real-valued form (return_complex=False) of a real signal and window."""
    global _STFT_REAL
    if _STFT_REAL is not None:
        return _STFT_REAL
    from .autograd import Function

    class StftBackward0(Function):
        @staticmethod
        def forward(ctx, x, w, n_fft, hop, n_frames, norm, sided):
            ctx.geom = (x.shape, n_fft, hop, n_frames, norm, sided)
            frames = x.as_strided((x.shape[0], n_frames, n_fft), (x.stride(0), hop * x.stride(1), x.stride(1)),
                                  x.storage_offset()).contiguous()
            ctx.save_for_backward(frames, w)
            windowed = frames if w is None else frames * w
            out = _C._fft_r2c(windowed.contiguous(), [2], norm, sided).transpose(1, 2)
            return _C.view_as_real(out.contiguous())

        @staticmethod
        def backward(ctx, grad):
            pe = _pe()
            (xshape, n_fft, hop, n_frames, norm, sided) = ctx.geom
            frames, w = ctx.saved_tensors
            g = _C.view_as_complex(grad.contiguous()).transpose(1, 2)  # (B, n_frames, bins)
            if sided and g.shape[-1] < n_fft:  # the bins above n_fft / 2 were never produced: zero
                r = pe.nn.functional.pad(_C.view_as_real(g.contiguous()), (0, 0, 0, n_fft - g.shape[-1]))
                g = _C.view_as_complex(r.contiguous())
            # d Re/Im(sum_j v_j e^{-i theta jk}) / d v_j, summed against the gradient: Re(unscaled inverse DFT).
            gv = _C.view_as_real(_C._fft_c2c(g.contiguous(), [2], norm, False)).select(-1, 0)
            gx = gw = None
            if ctx.needs_input_grad[0]:
                gf = gv if w is None else gv * w
                pos = (pe.arange(n_frames).unsqueeze(1) * hop + pe.arange(n_fft).unsqueeze(0)).reshape(-1)
                gx = _overlap_add(gf.reshape(gf.shape[0], -1), pos, xshape[1])
            if w is not None and ctx.needs_input_grad[1]:
                gw = (gv * frames).sum((0, 1))
            return gx, gw, None, None, None, None, None

    _STFT_REAL = StftBackward0
    return _STFT_REAL


def _overlap_add(src: Tensor, pos: Tensor, length: int) -> Tensor:
    """zeros(rows, length) with src's columns summed into the columns `pos` names (complex via the real view)."""
    pe = _pe()
    if src.is_complex():
        r = pe.zeros(src.shape[0], length, 2, dtype=src.dtype.to_real(), device=src.device)
        return _C.view_as_complex(r.index_add(1, pos, _C.view_as_real(src.contiguous())).contiguous())
    return pe.zeros(src.shape[0], length, dtype=src.dtype, device=src.device).index_add(1, pos, src)


def istft(input: Tensor, n_fft: int, hop_length: Optional[int] = None, win_length: Optional[int] = None,
          window: Optional[Tensor] = None, center: bool = True, normalized: bool = False,
          onesided: Optional[bool] = None, length: Optional[int] = None, return_complex: bool = False) -> Tensor:
    pe = _pe()
    if not input.is_complex():
        raise RuntimeError("istft requires a complex-valued input tensor matching the output from stft with "
                           "return_complex=True.")
    hop = n_fft >> 2 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    if input.dim() not in (2, 3):
        raise RuntimeError(f"istft: expected a tensor with 2 or 3 dimensions of complex dtype, but got "
                           f"{input.dim()}")
    n_frames, fft_size = input.shape[-1], input.shape[-2]
    expected_len = n_fft + hop * (n_frames - 1)
    if input.numel() == 0:
        raise RuntimeError("istft: input tensor cannot be empty.")
    if not 0 < hop <= win:
        raise RuntimeError("istft: expected 0 < hop_length <= win_length")
    if not 0 < win <= n_fft:
        raise RuntimeError("istft: expected 0 < win_length <= n_fft")
    sided = (fft_size != n_fft) if onesided is None else bool(onesided)
    if sided:
        if n_fft // 2 + 1 != fft_size:
            raise RuntimeError(f"istft: expected the frequency dimension (3rd to the last) of the input tensor to "
                               f"match n_fft / 2 + 1 when onesided=True, but got {fft_size}")
    elif n_fft != fft_size:
        raise RuntimeError(f"istft: expected the frequency dimension (3rd to the last) of the input tensor to match "
                           f"n_fft when onesided=False, but got {fft_size}")
    real_dt = input.dtype.to_real()
    w = _window_of(window, win, n_fft, input, "istft")
    if w is None:
        w = pe.ones(n_fft, dtype=real_dt, device=input.device)
    x = input if input.dim() == 3 else input.unsqueeze(0)
    x = x.transpose(1, 2)  # (channel, n_frames, fft_size)
    norm = "ortho" if normalized else "backward"
    if return_complex:
        if sided:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
        frames = pe.fft.ifft(x, n_fft, -1, norm)
    else:
        if w.is_complex():
            raise RuntimeError("Complex windows are incompatible with return_complex=False")
        if not sided:
            x = x.narrow(-1, 0, n_fft // 2 + 1)
        frames = pe.fft.irfft(x, n_fft, -1, norm)
    frames = frames * w.view(1, 1, n_fft)
    channels = frames.shape[0]
    # Overlap-add: sample t*hop + k of the signal collects frame t's sample k (aten's unfold_backward).
    pos = (pe.arange(n_frames, device=input.device).unsqueeze(1) * hop
           + pe.arange(n_fft, device=input.device).unsqueeze(0)).reshape(-1)
    y = _overlap_add(frames.reshape(channels, -1), pos, expected_len)
    ww = w * w  # PyTorch's window.pow(2): complex for a complex window
    env = _overlap_add(ww.expand(n_frames, n_fft).reshape(1, -1), pos, expected_len)[0]
    start = n_fft // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = -(n_fft // 2)  # aten's slice end (0 for n_fft == 1: an empty signal, as PyTorch)
    else:
        end = expected_len
    y = y[:, start:end]
    env = env[start:end]
    if env.numel() and bool((env.abs() < 1e-11).any()):
        raise RuntimeError(f"istft(...) window overlap add min: {float(env.abs().min())}")
    y = y / env
    if input.dim() == 2:
        y = y.squeeze(0)
    if end > expected_len:
        y = pe.nn.functional.pad(y, (0, end - expected_len)) if not y.is_complex() else \
            _C.view_as_complex(pe.nn.functional.pad(_C.view_as_real(y), (0, 0, 0, end - expected_len)).contiguous())
    return y


def _install() -> None:
    def stft_method(self, *args, **kwargs):
        return stft(self, *args, **kwargs)

    def istft_method(self, *args, **kwargs):
        return istft(self, *args, **kwargs)
    Tensor.stft = stft_method
    Tensor.istft = istft_method


_install()
