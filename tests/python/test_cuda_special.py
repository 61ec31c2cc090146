"""torch.special and its torch.* aliases on `cuda` (cuda/special.cu runs the CPU's functors): the CPU's values on
every layout, integer promotion, float16/bfloat16 refusals as on the CPU, and gradients on the device."""
from __future__ import annotations

import numpy as np
import pytest

import pyengine as pe
from pe_testing import DEVICE_LAYOUTS, assert_same_as_cpu, cuda_required, device_tensor

pytestmark = cuda_required

UNARY = ["lgamma", "digamma", "erfinv", "i0", "special.i0e", "special.i1", "special.i1e", "special.ndtr",
         "special.ndtri", "special.log_ndtr", "special.erfcx", "special.entr", "special.bessel_j0",
         "special.bessel_j1", "special.bessel_y0", "special.bessel_y1", "special.modified_bessel_i0",
         "special.modified_bessel_i1", "special.modified_bessel_k0", "special.modified_bessel_k1",
         "special.scaled_modified_bessel_k0", "special.scaled_modified_bessel_k1", "special.spherical_bessel_j0",
         "special.airy_ai", "special.expit", "special.sinc", "special.gammaln"]
BINARY = ["special.zeta", "special.xlog1py", "igamma", "igammac", "nextafter", "special.xlogy",
          "special.chebyshev_polynomial_t", "special.chebyshev_polynomial_u", "special.hermite_polynomial_h",
          "special.hermite_polynomial_he", "special.laguerre_polynomial_l", "special.legendre_polynomial_p",
          "special.shifted_chebyshev_polynomial_t"]


def _fn(name):
    f = pe
    for part in name.split("."):
        f = getattr(f, part)
    return f


def _values(seed, positive=False, unit=False):
    v = np.linspace(-3.7, 4.1, 12) + 0.13 * seed
    if unit:
        v = np.tanh(v)  # erfinv's domain
    if positive:
        v = np.abs(v) + 0.05
    return v


@pytest.mark.parametrize("layout", DEVICE_LAYOUTS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", UNARY)
def test_unary_special_on_cuda(name, dtype, layout):
    v = _values(0, unit=name in ("erfinv", "special.ndtri"))
    if name == "special.ndtri":
        v = (v + 1) / 2
    cpu, gpu = device_tensor(v, dtype, layout, "cpu"), device_tensor(v, dtype, layout, "cuda")
    got = _fn(name)(gpu)
    assert got.device.type == "cuda"
    assert_same_as_cpu(got, _fn(name)(cpu), rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-6)


@pytest.mark.parametrize("layout", DEVICE_LAYOUTS)
@pytest.mark.parametrize("name", BINARY)
def test_binary_special_on_cuda(name, layout):
    positive = name in ("special.zeta", "igamma", "igammac")
    a, b = _values(0, positive=positive), _values(1, positive=positive)
    if name == "special.zeta":
        a = a + 1.0
    if "polynomial" in name:
        b = np.round(np.abs(b) * 2)
    ca, ga = device_tensor(a, "float64", layout, "cpu"), device_tensor(a, "float64", layout, "cuda")
    cb, gb = device_tensor(b, "float64", layout, "cpu"), device_tensor(b, "float64", layout, "cuda")
    assert_same_as_cpu(_fn(name)(ga, gb), _fn(name)(ca, cb), rtol=1e-12, atol=1e-12)


def test_integer_ops_promotion_and_frexp_on_cuda():
    a, b = pe.tensor([12, -18, 0, 7]), pe.tensor([8, 27, 5, 0])
    for f in (pe.gcd, pe.lcm):
        assert_same_as_cpu(f(a.cuda(), b.cuda()), f(a, b))
    assert_same_as_cpu(pe.lgamma(pe.arange(1, 6).cuda()), pe.lgamma(pe.arange(1, 6)))  # int -> default float
    x = pe.tensor([0.0, -3.5, 1e-30, float("inf"), 6.0])
    m, e = pe.frexp(x.cuda())
    m0, e0 = pe.frexp(x)
    assert_same_as_cpu(m, m0)
    assert_same_as_cpu(e, e0)
    for n in (0, 1, 3):
        assert_same_as_cpu(pe.polygamma(n, x[1:].abs().cuda() + 0.5), pe.polygamma(n, x[1:].abs() + 0.5),
                           rtol=1e-5, atol=1e-6)
    assert_same_as_cpu(pe.mvlgamma(x[1:].abs().cuda() + 2, 3), pe.mvlgamma(x[1:].abs() + 2, 3), rtol=1e-5)


def test_half_refusals_match_the_cpu():
    x = pe.ones(3, dtype=pe.float16)
    with pytest.raises(NotImplementedError) as cpu_err:
        pe.special.bessel_j0(x)
    with pytest.raises(NotImplementedError) as gpu_err:
        pe.special.bessel_j0(x.cuda())
    assert str(gpu_err.value).split(" not implemented")[0] in str(cpu_err.value) or "Half" in str(gpu_err.value)


@pytest.mark.parametrize("name", ["lgamma", "digamma", "erfinv", "i0", "special.i1e", "special.ndtr",
                                  "special.log_ndtr", "special.entr", "special.xlog1py"])
def test_gradients_on_cuda(name):
    v = np.tanh(_values(2)) * 0.9 + (0.0 if name == "erfinv" else 1.5)
    outs = []
    for dev in ("cpu", "cuda"):
        x = pe.tensor(v, dtype=pe.float64, device=dev, requires_grad=True)
        y = _fn(name)(x, x * 0.5) if name == "special.xlog1py" else _fn(name)(x)
        y.sum().backward()
        assert x.grad.device.type == dev
        outs.append(x.grad)
    assert_same_as_cpu(outs[1], outs[0], rtol=1e-10, atol=1e-12)


# ---- isclose / allclose / equal / trace / cross (cuda/compare_more.cu) ----
@pytest.mark.parametrize("layout", DEVICE_LAYOUTS)
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int64", "uint8"])
def test_isclose_allclose_equal_on_cuda(dtype, layout):
    a = _values(0)
    b = a + np.where(np.arange(12) % 3 == 0, 1e-7, 0.5)
    if dtype in ("int64", "uint8"):
        a, b = np.abs(np.round(a * 3)), np.abs(np.round(b * 3))
    ca, ga = device_tensor(a, dtype, layout, "cpu"), device_tensor(a, dtype, layout, "cuda")
    cb, gb = device_tensor(b, dtype, layout, "cpu"), device_tensor(b, dtype, layout, "cuda")
    for kw in ({}, {"rtol": 0.1, "atol": 0.2}, {"rtol": 0.0, "atol": 0.0}, {"equal_nan": True}):
        got = pe.isclose(ga, gb, **kw)
        assert got.device.type == "cuda"
        assert_same_as_cpu(got, pe.isclose(ca, cb, **kw))
        assert pe.allclose(ga, gb, **kw) == pe.allclose(ca, cb, **kw)
    assert pe.equal(ga, ga.clone()) and pe.equal(ga, gb) == pe.equal(ca, cb)


def test_equal_and_isclose_edges_on_cuda():
    nan = pe.tensor([1.0, float("nan")], device="cuda")
    assert not pe.equal(nan, nan.clone())
    assert pe.isclose(nan, nan.clone(), equal_nan=True).all().item()
    assert pe.equal(pe.ones(2, 3, device="cuda"), pe.ones(2, 3, dtype=pe.int64, device="cuda"))
    assert not pe.equal(pe.ones(2, device="cuda"), pe.ones(3, device="cuda"))
    assert pe.equal(pe.ones(0, device="cuda"), pe.ones(0, device="cuda"))
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        pe.isclose(pe.ones(2, device="cuda"), pe.ones(2))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int8"])
def test_trace_on_cuda(dtype):
    for shape in ((5, 5), (3, 7), (300, 2), (0, 4)):
        v = np.arange(np.prod(shape)).reshape(shape) % 11 - 4
        c = pe.tensor(v).to(pe_dtype_of(dtype))
        g = c.cuda()
        assert_same_as_cpu(pe.trace(g), pe.trace(c))
        assert_same_as_cpu(pe.trace(g.t()), pe.trace(c.t()))
    x = pe.randn(4, 4, dtype=pe.float64, device="cuda", requires_grad=True)
    pe.trace(x).backward()
    assert_same_as_cpu(x.grad, pe.eye(4, dtype=pe.float64))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_cross_on_cuda(dtype):
    rng = np.random.default_rng(0)
    a, b = rng.integers(-5, 6, (4, 3, 5)), rng.integers(-5, 6, (4, 3, 5))
    ca, cb = pe.tensor(a).to(pe_dtype_of(dtype)), pe.tensor(b).to(pe_dtype_of(dtype))
    ga, gb = ca.cuda(), cb.cuda()
    assert_same_as_cpu(pe.linalg.cross(ga, gb, dim=1), pe.linalg.cross(ca, cb, dim=1))
    assert_same_as_cpu(pe.cross(ga.transpose(1, 2), gb.transpose(1, 2), dim=2),
                       pe.cross(ca.transpose(1, 2), cb.transpose(1, 2), dim=2))
    assert_same_as_cpu(pe.linalg.cross(ga[:, :, :1], gb[:1], dim=1), pe.linalg.cross(ca[:, :, :1], cb[:1], dim=1))
    if dtype == "float64":
        x = ga.clone().requires_grad_(True)
        pe.linalg.cross(x, gb, dim=1).sum().backward()
        y = ca.clone().requires_grad_(True)
        pe.linalg.cross(y, cb, dim=1).sum().backward()
        assert_same_as_cpu(x.grad, y.grad)


def pe_dtype_of(name):
    return getattr(pe, name)
