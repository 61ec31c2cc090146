"""Special functions the distributions need and the op layer does not have yet (lgamma, digamma, erfinv).

Why composites: written from differentiable engine ops, they give gradients (and higher-order gradients) through
autograd for free, on any device. They evaluate in float64 and cast back, so float32 results are correctly rounded
to well within PyTorch's tolerances. When the op layer gains ``lgamma``/``digamma``/``erfinv`` kernels, these
functions should become those ops.
"""
from __future__ import annotations

import math

import pyengine as torch

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_SHIFT = 8  # recurrence shift: asymptotic series are evaluated at x + 8 >= 8.5, where they reach 1e-12


def _as_float(x):
    if not isinstance(x, torch.Tensor):
        x = torch.tensor(x, dtype=torch.get_default_dtype())
    elif not x.is_floating_point():  # integer inputs give default-float results, as torch.lgamma
        x = x.to(torch.get_default_dtype())
    return x


def _lgamma_ge_half(z):
    """log Gamma(z) for z >= 0.5 (float64): Stirling's series at z + 8, minus log of the shifted product."""
    w = z + _SHIFT
    prod = z
    for i in range(1, _SHIFT):
        prod = prod * (z + i)
    w2 = w * w
    series = (1.0 / 12 - (1.0 / 360 - (1.0 / 1260 - 1.0 / (1680 * w2)) / w2) / w2) / w
    return (w - 0.5) * w.log() - w + _HALF_LOG_2PI + series - prod.log()


def lgamma(x):
    """log |Gamma(x)| elementwise (torch.lgamma), differentiable (its derivative is digamma)."""
    x = _as_float(x)
    dtype = x.dtype
    xd = x.double()
    reflect = xd < 0.5
    z = torch.where(reflect, 1.0 - xd, xd)
    z = torch.where(z.isinf(), torch.full_like(z, 1.0), z)  # inf handled below; keep the series finite
    main = _lgamma_ge_half(z)
    xs = torch.where(reflect, xd, torch.full_like(xd, 0.25))  # keep the unused reflection branch finite
    reflected = math.log(math.pi) - (torch.sin(math.pi * xs)).abs().log() - main
    out = torch.where(reflect, reflected, main)
    out = torch.where(xd.isinf(), xd.abs(), out)
    nonpos_int = (xd <= 0) & (xd == xd.floor())  # poles: sin(pi x) is only ~1e-16 there in floating point
    out = torch.where(nonpos_int, torch.full_like(out, float("inf")), out)
    return out.to(dtype)


def _digamma_ge_half(z):
    w = z + _SHIFT
    acc = 1.0 / z
    for i in range(1, _SHIFT):
        acc = acc + 1.0 / (z + i)
    iw2 = 1.0 / (w * w)
    series = iw2 * (1.0 / 12 - iw2 * (1.0 / 120 - iw2 * (1.0 / 252 - iw2 * (1.0 / 240 - iw2 / 132))))
    return w.log() - 0.5 / w - series - acc


def digamma(x):
    """The digamma function psi(x) = d/dx log Gamma(x) (torch.digamma), differentiable."""
    x = _as_float(x)
    dtype = x.dtype
    xd = x.double()
    reflect = xd < 0.5
    z = torch.where(reflect, 1.0 - xd, xd)
    z = torch.where(z.isinf(), torch.full_like(z, 1.0), z)
    main = _digamma_ge_half(z)
    xs = torch.where(reflect, xd, torch.full_like(xd, 0.25))
    reflected = main - math.pi / torch.tan(math.pi * xs)
    out = torch.where(reflect, reflected, main)
    # As torch.digamma: -inf at 0, nan at the negative integers, +inf at +inf.
    nonpos_int = (xd < 0) & (xd == xd.floor())
    out = torch.where(nonpos_int, torch.full_like(out, float("nan")), out)
    out = torch.where(xd == 0, torch.full_like(out, float("-inf")), out)
    out = torch.where(xd == float("inf"), xd, out)
    return out.to(dtype)


class _Erfinv(torch.autograd.Function):
    @staticmethod
    def forward(ctx, y):
        yd = y.double()
        # Giles' single-precision approximation, then two Newton steps on erf in float64.
        w = -((1.0 - yd) * (1.0 + yd)).log()
        wc = w - 2.5
        p1 = 2.81022636e-08
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                  -0.00417768164, 0.246640727, 1.50140941):
            p1 = p1 * wc + c
        ws = w.clamp(min=5.0).sqrt() - 3.0
        p2 = -0.000200214257
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
                  0.00943887047, 1.00167406, 2.83297682):
            p2 = p2 * ws + c
        x = torch.where(w < 5.0, p1, p2) * yd
        two_over_sqrt_pi = 2.0 / math.sqrt(math.pi)
        finite = yd.abs() < 1
        for _ in range(2):
            step = (torch.erf(x) - yd) / (two_over_sqrt_pi * (-x * x).exp())
            x = torch.where(finite, x - step, x)
        x = torch.where(yd == 1, torch.full_like(x, float("inf")), x)
        x = torch.where(yd == -1, torch.full_like(x, float("-inf")), x)
        x = torch.where(yd.abs() > 1, torch.full_like(x, float("nan")), x)
        out = x.to(y.dtype)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (0.5 * math.sqrt(math.pi)) * (out * out).exp()


def erfinv(y):
    """The inverse error function (torch.erfinv); d/dy = sqrt(pi)/2 * exp(erfinv(y)^2)."""
    return _Erfinv.apply(_as_float(y))


class _Gammainc(torch.autograd.Function):
    """Regularised lower incomplete gamma P(a, x); d/dx is the Gamma(a, 1) density, d/da a central difference."""

    @staticmethod
    def forward(ctx, a, x):
        from ._sampling import _gammainc_lower, _np
        a_b, x_b = torch.broadcast_tensors(a, x)
        out = torch.from_numpy(_gammainc_lower(_np(a_b), _np(x_b))).to(dtype=x.dtype, device=x.device)
        ctx.save_for_backward(a, x)
        return out

    @staticmethod
    def backward(ctx, grad):
        from ._sampling import _gammainc_lower, _np
        a, x = ctx.saved_tensors
        a_b, x_b = torch.broadcast_tensors(a, x)
        grad_a = grad_x = None
        if ctx.needs_input_grad[1]:
            dens = (-x_b + torch.xlogy(a_b - 1, x_b) - lgamma(a_b)).exp()
            grad_x = _sum_to(grad * dens, x.shape)
        if ctx.needs_input_grad[0]:
            an, xn = _np(a_b), _np(x_b)
            h = (abs(an) + 1.0) * 1e-6
            d = (_gammainc_lower(an + h, xn) - _gammainc_lower(an - h, xn)) / (2 * h)
            grad_a = _sum_to(grad * torch.from_numpy(d).to(dtype=grad.dtype, device=grad.device), a.shape)
        return grad_a, grad_x


def _sum_to(t, shape):
    shape = tuple(shape)
    while t.dim() > len(shape):
        t = t.sum(0)
    for i, s in enumerate(shape):
        if s == 1 and t.shape[i] != 1:
            t = t.sum(i, keepdim=True)
    return t


def gammainc(a, x):
    """torch.special.gammainc: the regularised lower incomplete gamma function P(a, x)."""
    a = _as_float(a)
    x = _as_float(x)
    return _Gammainc.apply(a, x)
