"""torch.fft against PyTorch: every function, n/s/dim/norm, padding and trimming, real/integer/complex inputs,
contiguous, transposed, strided, 0-d and empty inputs, the error messages, and the gradients of the real-to-real
transforms (irfft/hfft and their 2-D / n-D forms) against PyTorch's."""
import numpy as np
import pytest
import torch

import pyengine as pe

NORMS = [None, "backward", "forward", "ortho"]


def pe_like(t: torch.Tensor) -> pe.Tensor:
    """A pyengine tensor with t's values, dtype and strides."""
    t = t.detach().resolve_conj()
    span = 1 + sum((s - 1) * st for s, st in zip(t.shape, t.stride())) if t.numel() else 0
    if not t.numel():
        return pe.from_numpy(t.numpy().copy())
    flat = torch.as_strided(t, (span,), (1,), t.storage_offset()).numpy().copy()
    return pe.from_numpy(flat).as_strided(tuple(t.shape), tuple(t.stride()), 0)


def check(got, want, rtol=None):
    want = want.detach().resolve_conj()
    assert str(got.dtype) == str(want.dtype)
    assert tuple(got.shape) == tuple(want.shape)
    single = want.dtype in (torch.float32, torch.complex64)
    np.testing.assert_allclose(got.detach().numpy(), want.numpy(), rtol=rtol or (2e-5 if single else 1e-10),
                               atol=2e-5 if single else 1e-10)


def inputs(dtype):
    g = torch.Generator().manual_seed(0)
    if dtype.is_complex:
        base = torch.randn(6, 10, dtype=dtype, generator=g)
    elif dtype.is_floating_point:
        base = torch.randn(6, 10, dtype=dtype, generator=g)
    else:
        base = torch.randint(-5, 5, (6, 10), generator=g).to(dtype)
    return {"contiguous": base, "transposed": base.t(), "strided": base[::2, 1::3], "3-d": base.reshape(2, 3, 10)}


ONE_D = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
N_D = ["fft2", "ifft2", "rfft2", "irfft2", "hfft2", "ihfft2", "fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn"]
REAL_ONLY = {"rfft", "ihfft", "rfft2", "ihfft2", "rfftn", "ihfftn"}


@pytest.mark.parametrize("name", ONE_D)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.complex64, torch.complex128])
def test_one_d(name, dtype):
    if name in REAL_ONLY and dtype.is_complex:
        with pytest.raises(RuntimeError, match="expects a real"):
            getattr(pe.fft, name)(pe.ones(4, dtype=pe.complex64))
        return
    for lname, t in inputs(dtype).items():
        for n in (None, 3, 8, 17):
            for dim in (-1, 0):
                for norm in NORMS:
                    want = getattr(torch.fft, name)(t, n=n, dim=dim, norm=norm)
                    check(getattr(pe.fft, name)(pe_like(t), n=n, dim=dim, norm=norm), want)


@pytest.mark.parametrize("name", N_D)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.complex128])
def test_n_d(name, dtype):
    if name in REAL_ONLY and dtype.is_complex:
        return
    nd = name.endswith("n")
    cases = [dict(), dict(norm="ortho"), dict(s=(4, 7)), dict(s=(-1, 5), norm="forward")]
    if nd:
        cases += [dict(dim=(0,)), dict(dim=(-1, 0)), dict(s=(5,)), dict(s=(3, 4, 6), dim=(0, 2, 1))]
    for lname, t in inputs(dtype).items():
        for kw in cases:
            if "s" in kw and "dim" not in kw and len(kw["s"]) > t.dim():
                continue
            if "dim" in kw and max(abs(d) for d in kw["dim"]) >= t.dim() + (0 if min(kw["dim"]) >= 0 else 1):
                continue
            want = getattr(torch.fft, name)(t, **kw)
            check(getattr(pe.fft, name)(pe_like(t), **kw), want)


def test_prime_and_bluestein_sizes():
    for n in (1, 2, 7, 97, 101, 257, 1000, 4099):
        x = torch.randn(3, n, dtype=torch.float64)
        check(pe.fft.fft(pe_like(x)), torch.fft.fft(x))
        check(pe.fft.irfft(pe.fft.rfft(pe_like(x)), n=n), x)
        xf = x.float()
        check(pe.fft.rfft(pe_like(xf)), torch.fft.rfft(xf), rtol=1e-4)


def test_zero_d_and_empty():
    with pytest.raises(IndexError):
        pe.fft.fft(pe.tensor(1.0))
    with pytest.raises(IndexError):
        torch.fft.fft(torch.tensor(1.0))
    # An empty batch (PyTorch's MKL build raises "Inconsistent configuration parameters" here; numpy and the
    # definition give an empty result of the transform's shape and dtype).
    assert pe.fft.fft(pe.zeros(0, 4)).shape == (0, 4) and pe.fft.fft(pe.zeros(0, 4)).dtype is pe.complex64
    assert pe.fft.rfft(pe.zeros(0, 4)).shape == (0, 3)
    r = pe.fft.irfft(pe.zeros(0, 3, dtype=pe.complex64))
    assert r.shape == (0, 4) and r.dtype is pe.float32


def test_errors_match_pytorch():
    x = pe.ones(4)
    cases = [(lambda m: m.fft.fft(m.ones(4), n=0), RuntimeError, r"Invalid number of data points \(0\)"),
             (lambda m: m.fft.fft(m.ones(4), norm="bad"), RuntimeError, "Invalid normalization mode"),
             (lambda m: m.fft.fftn(m.ones(4, 4), dim=(0, 0)), RuntimeError, "FFT dims must be unique"),
             (lambda m: m.fft.fftn(m.ones(4, 4), s=(2, 2), dim=(0,)), RuntimeError, "must have the same length"),
             (lambda m: m.fft.fftn(m.ones(4), s=(2, 2)), RuntimeError, "Got shape with 2 values"),
             (lambda m: m.fft.irfft(m.ones(1)), RuntimeError, r"Invalid number of data points \(0\)"),
             (lambda m: m.fft.fft(m.ones(4, dtype=m.float16)), RuntimeError, "Unsupported dtype Half"),
             (lambda m: m.fft.fft(m.ones(4), dim=1), IndexError, "out of range")]
    for fn, cls, msg in cases:
        with pytest.raises(cls, match=msg):
            fn(torch)
        with pytest.raises(cls, match=msg):
            fn(pe)
    assert x.shape == (4,)


@pytest.mark.parametrize("name", ["irfft", "hfft", "irfft2", "hfft2", "irfftn", "hfftn"])
@pytest.mark.parametrize("norm", NORMS)
def test_gradients_of_real_to_real_transforms(name, norm):
    for shape, kw in [((5, 6), {}), ((4, 7), {"s": (4, 9)} if not name.endswith("fft") else {"n": 9}),
                      ((3, 4), {"s": (6, 5)} if not name.endswith("fft") else {"n": 3})]:
        x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
        want = getattr(torch.fft, name)(x, norm=norm, **kw)
        xp = pe_like(x).requires_grad_(True)
        got = getattr(pe.fft, name)(xp, norm=norm, **kw)
        check(got, want)
        assert got.grad_fn is not None
        g = torch.randn(want.shape, dtype=torch.float64)
        want.backward(g)
        got.backward(pe_like(g))
        np.testing.assert_allclose(xp.grad.numpy(), x.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_gradient_by_finite_differences():
    x = np.random.default_rng(1).standard_normal((3, 5))

    def f(a):
        return float((pe.fft.irfft(pe.from_numpy(a), n=8) ** 2).sum().item())
    xp = pe.from_numpy(x.copy()).requires_grad_(True)
    (pe.fft.irfft(xp, n=8) ** 2).sum().backward()
    eps = 1e-6
    for idx in [(0, 0), (1, 2), (2, 4)]:
        a, b = x.copy(), x.copy()
        a[idx] += eps
        b[idx] -= eps
        assert abs((f(a) - f(b)) / (2 * eps) - xp.grad.numpy()[idx]) < 1e-5


def test_complex_results_have_no_grad_fn():
    x = pe.randn(8, requires_grad=True)
    assert pe.fft.rfft(x).grad_fn is None


def test_shift_and_freq():
    for shape, dim in [((6,), None), ((5, 4), None), ((5, 4), 0), ((5, 4), (1,)), ((3, 4, 5), (-1, 0))]:
        t = torch.arange(int(np.prod(shape)), dtype=torch.float64).reshape(shape)
        check(pe.fft.fftshift(pe_like(t), dim=dim), torch.fft.fftshift(t, dim=dim))
        check(pe.fft.ifftshift(pe_like(t), dim=dim), torch.fft.ifftshift(t, dim=dim))
    z = torch.randn(4, 5, dtype=torch.complex64)
    check(pe.fft.fftshift(pe_like(z)), torch.fft.fftshift(z))
    for n, d in [(1, 1.0), (5, 0.1), (8, 2.0)]:
        check(pe.fft.fftfreq(n, d), torch.fft.fftfreq(n, d))
        check(pe.fft.rfftfreq(n, d), torch.fft.rfftfreq(n, d))
        check(pe.fft.fftfreq(n, d, dtype=pe.float64), torch.fft.fftfreq(n, d, dtype=torch.float64))


def test_out_argument():
    x = torch.randn(4, 6)
    out = pe.empty(0, dtype=pe.complex64)
    r = pe.fft.rfft(pe_like(x), out=out)
    assert r is out
    check(out, torch.fft.rfft(x))


def test_cuda_fft_is_refused_clearly():
    if not pe.cuda.is_available():
        pytest.skip("CUDA not available")
    with pytest.raises(RuntimeError, match="not implemented for device 'cuda"):
        pe.fft.fft(pe.ones(4, device="cuda"))
    z = pe.tensor([1 + 1j, 2]).cuda()
    for fn in (pe.fft.fft, pe.fft.irfft, pe.fft.fftn):
        with pytest.raises(RuntimeError, match="not implemented for device 'cuda"):
            fn(z)


STFT_CASES = [dict(n_fft=10), dict(n_fft=16, hop_length=4, center=False), dict(n_fft=16, hop_length=5),
              dict(n_fft=16, win_length=12), dict(n_fft=12, normalized=True, pad_mode="constant"),
              dict(n_fft=16, onesided=False), dict(n_fft=9, hop_length=2, pad_mode="replicate")]


@pytest.mark.parametrize("kw", STFT_CASES)
@pytest.mark.parametrize("with_window", [False, True])
def test_stft_istft(kw, with_window):
    g = torch.Generator().manual_seed(0)
    for shape in ((100,), (3, 80)):
        x = torch.randn(*shape, generator=g, dtype=torch.float64)
        w = torch.hann_window(kw.get("win_length", kw["n_fft"]), dtype=torch.float64) if with_window else None
        want = torch.stft(x, window=w, return_complex=True, **kw)
        got = pe.stft(pe_like(x), window=None if w is None else pe_like(w), return_complex=True, **kw)
        check(got, want)
        ikw = {k: v for k, v in kw.items() if k != "pad_mode"}
        if with_window or kw.get("hop_length", kw["n_fft"] // 4) <= kw.get("win_length", kw["n_fft"]):
            try:
                back_t = torch.istft(want, window=w, length=shape[-1], **ikw)
            except RuntimeError:  # PyTorch refuses windows whose overlap-add has a zero: so must we
                with pytest.raises(RuntimeError, match="window overlap add min"):
                    pe.istft(got, window=None if w is None else pe_like(w), length=shape[-1], **ikw)
                continue
            back = pe.istft(got, window=None if w is None else pe_like(w), length=shape[-1], **ikw)
            check(back, back_t)
    z = torch.randn(2, 64, dtype=torch.complex128, generator=g)
    check(pe.stft(pe_like(z), 16, return_complex=True), torch.stft(z, 16, return_complex=True))


def test_stft_real_output_gradients_and_errors():
    x = torch.randn(2, 60, dtype=torch.float64, requires_grad=True)
    w = torch.rand(12, dtype=torch.float64, requires_grad=True)
    with pytest.warns(UserWarning):
        yt = torch.stft(x, 16, 4, 12, w, return_complex=False)
    xp, wp = pe_like(x).requires_grad_(True), pe_like(w).requires_grad_(True)
    with pytest.warns(UserWarning, match="deprecated"):
        yp = pe.stft(xp, 16, 4, 12, wp, return_complex=False)
    check(yp, yt)
    g = torch.randn(yt.shape, dtype=torch.float64)
    yt.backward(g)
    yp.backward(pe_like(g))
    np.testing.assert_allclose(xp.grad.numpy(), x.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(wp.grad.numpy(), w.grad.numpy(), atol=1e-12)
    for fn in (lambda m: m.stft(m.ones(20), 8), lambda m: m.stft(m.ones(20), 30, center=False, return_complex=True),
               lambda m: m.stft(m.ones(2, 2, 20), 8, return_complex=True),
               lambda m: m.istft(m.ones(5, 3), 8)):
        with pytest.raises(RuntimeError):
            fn(torch)
        with pytest.raises(RuntimeError):
            fn(pe)
