"""The device dimension: every op family that has CUDA kernels gives on `cuda` the result it gives on
the CPU, for contiguous, transposed, sliced-with-step, broadcast, 0-d and empty inputs, and its
gradient lands on the tensor's device. Runs on a real GPU or on the emulated device
(docs/cuda-emulator.md); skips with "CUDA not available" elsewhere."""
from __future__ import annotations

import math

import numpy as np
import pytest

import pyengine as pe
from pe_testing import (DEVICE_LAYOUTS, DTYPE_NAMES, FLOAT_NAMES, assert_same_as_cpu, cuda_required, device_tensor,
                        pe_dtype)

pytestmark = cuda_required

INT_AND_FLOAT = ["uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]


def values(name: str, seed: int = 0, positive: bool = False) -> np.ndarray:
    """12 values representable in dtype `name`, varied by seed, with a negative half unless positive."""
    i = np.arange(12, dtype=np.float64) + seed * 5
    if name == "bool":
        return (i % 3) == 1
    if name == "uint8" or positive:
        return (i * 7 % 11 + 1) if name not in FLOAT_NAMES else (i * 7 % 11 + 1) * 0.25
    if name in FLOAT_NAMES:
        return (i * 7 % 11 - 5) * 0.375
    return i * 7 % 11 - 5


def both(name: str, layout: str, seed: int = 0, positive: bool = False):
    v = values(name, seed, positive)
    return device_tensor(v, name, layout, "cpu"), device_tensor(v, name, layout, "cuda")


def check(fn, *inputs, rtol=1e-5, atol=1e-6):
    """fn on the CPU inputs and on their cuda twins (pairs from both()) gives one result."""
    want = fn(*[c for c, _ in inputs])
    got = fn(*[g for _, g in inputs])
    outs = got if isinstance(got, (tuple, list)) else (got,)
    for o in outs:
        assert o.device.type == "cuda", o.device
    assert_same_as_cpu(got, want, rtol=rtol, atol=atol)


# ---- creation, fill, random, arange, copy/to ----

@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_creation_on_cuda(name):
    dt = pe_dtype(name)
    for fn in (lambda d: pe.zeros(3, 4, dtype=dt, device=d), lambda d: pe.ones(2, 0, dtype=dt, device=d),
               lambda d: pe.full((2, 3), 1, dtype=dt, device=d), lambda d: pe.zeros((), dtype=dt, device=d),
               lambda d: pe.empty(5, dtype=dt, device=d).fill_(True if name == "bool" else 3)):
        got, want = fn("cuda"), fn("cpu")
        assert got.device == pe.device("cuda", 0)
        assert_same_as_cpu(got, want)


@pytest.mark.parametrize("name", ["int32", "int64", "float32", "float64", "float16", "bfloat16"])
def test_arange_on_cuda(name):
    dt = pe_dtype(name)
    for args in ((10,), (2, 11, 3), (5, -3, -2), (0,)):
        assert_same_as_cpu(pe.arange(*args, dtype=dt, device="cuda"), pe.arange(*args, dtype=dt))
    assert_same_as_cpu(pe.arange(0.5, 2.0, 0.25, device="cuda"), pe.arange(0.5, 2.0, 0.25))


@pytest.mark.parametrize("name", ["float32", "float64", "float16", "bfloat16"])
def test_random_on_cuda_matches_cpu(name):
    dt = pe_dtype(name)
    for draw in (lambda d: pe.rand(7, 5, dtype=dt, device=d), lambda d: pe.randn(33, dtype=dt, device=d),
                 lambda d: pe.empty(4, 6, dtype=dt, device=d).uniform_(-2, 3),
                 lambda d: pe.empty(4, 6, dtype=dt, device=d).normal_(1.5, 0.5),
                 lambda d: pe.empty(6, 4, dtype=dt, device=d).t().normal_()):
        pe.manual_seed(7)
        want = draw("cpu")
        pe.manual_seed(7)
        got = draw("cuda")
        assert got.device.type == "cuda"
        np.testing.assert_array_equal(got.cpu().float().numpy(), want.float().numpy())


@pytest.mark.parametrize("layout", DEVICE_LAYOUTS)
@pytest.mark.parametrize("src", DTYPE_NAMES)
def test_to_and_copy_across_devices(src, layout):
    cpu, cuda = both(src, layout)
    for dst in DTYPE_NAMES:
        assert_same_as_cpu(cuda.to(pe_dtype(dst)), cpu.to(pe_dtype(dst)))
    assert_same_as_cpu(cuda.to("cuda:1"), cpu)
    assert cuda.to("cuda:1").device == pe.device("cuda", 1)
    assert_same_as_cpu(cuda.cpu(), cpu)
    target = pe.zeros(cpu.shape, dtype=pe.float64, device="cuda:1")
    target.copy_(cpu)
    assert_same_as_cpu(target, cpu.double())
    strided = pe.zeros(*cpu.shape[::-1], dtype=pe.float32, device="cuda").t() if cpu.dim() == 2 else None
    if strided is not None:
        strided.copy_(cuda)
        assert_same_as_cpu(strided, cpu.float())


def test_map_location_between_devices(tmp_path):
    t = pe.arange(6.0, device="cuda:1").reshape(2, 3)
    path = tmp_path / "t.pt"
    pe.save({"t": t}, path)
    loaded = pe.load(path, map_location={"cuda:1": "cuda:0"})["t"]
    assert loaded.device == pe.device("cuda", 0)
    assert_same_as_cpu(loaded, t.cpu())
    assert pe.load(path)["t"].device == pe.device("cuda", 1)
    assert pe.load(path, map_location="cpu")["t"].device.type == "cpu"


# ---- arithmetic and the elementwise op library ----

@pytest.mark.parametrize("layout", DEVICE_LAYOUTS)
@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_add_sub_mul_div(name, layout):
    a, b = both(name, layout, 0), both(name, "contiguous" if layout not in ("0-d", "empty") else layout, 1)
    check(lambda x, y: x + y, a, b)
    check(lambda x, y: x * y, a, b)
    check(lambda x, y: pe.add(x, y, alpha=2 if name != "bool" else True), a, b)
    if name != "bool":
        check(lambda x, y: x - y, a, b)
        check(lambda x: x * 3 + 1, a)
        check(lambda x, y: x / y, a, both(name, layout if layout in ("0-d", "empty") else "contiguous", 1, positive=True))
        check(lambda x: -x, a)
        check(lambda x: x.abs(), a)
    check(lambda x: x + pe.tensor(2, dtype=pe_dtype(name)), a)  # a 0-d CPU operand is accepted


@pytest.mark.parametrize("layout", DEVICE_LAYOUTS)
@pytest.mark.parametrize("name", FLOAT_NAMES)
def test_unary_float_math(name, layout):
    x = both(name, layout)
    xp = both(name, layout, positive=True)
    rtol = 1e-5 if name != "float32" else 2e-5
    for fn in (pe.exp, pe.sin, pe.cos, pe.tanh, pe.sigmoid, pe.atan, pe.erf, pe.expm1, pe.floor, pe.ceil,
               pe.round, pe.trunc, pe.frac, pe.exp2, pe.sinh, pe.asinh):
        check(fn, x, rtol=rtol)
    for fn in (pe.sqrt, pe.rsqrt, pe.log, pe.log1p, pe.log2, pe.log10, pe.reciprocal, pe.acosh):
        check(fn, xp, rtol=rtol)
    check(lambda t: pe.round(t, decimals=1), x)
    check(lambda t: pe.nan_to_num(t / 0.0, nan=1.5, posinf=2.0, neginf=-3.0), x)


@pytest.mark.parametrize("layout", DEVICE_LAYOUTS)
@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_unary_misc_and_predicates(name, layout):
    x = both(name, layout)
    check(pe.sign, x)
    check(pe.logical_not, x)
    check(pe.isnan, x)
    check(pe.isfinite, x)
    if name != "bool":
        check(pe.relu, x)
    if name not in FLOAT_NAMES:
        check(pe.bitwise_not, x)


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced", "broadcast", "0-d", "empty"])
@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_compare_and_binary_math(name, layout):
    a = both(name, layout, 0)
    b = both(name, "contiguous" if layout not in ("0-d", "empty") else layout, 1)
    for fn in (pe.eq, pe.ne, pe.lt, pe.le, pe.gt, pe.ge, pe.maximum, pe.minimum):
        check(fn, a, b)
    if name not in FLOAT_NAMES:
        check(pe.bitwise_and, a, b)
        check(pe.bitwise_xor, a, b)
    if name != "bool":
        bp = both(name, "contiguous" if layout not in ("0-d", "empty") else layout, 1, positive=True)
        check(lambda x, y: pe.div(x, y, rounding_mode="floor"), a, bp)
        check(lambda x, y: pe.remainder(x, y), a, bp)
        check(pe.fmod, a, bp)
    if name in FLOAT_NAMES:
        check(pe.atan2, a, b)
        check(pe.pow, both(name, layout, positive=True), b)


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced", "broadcast", "0-d", "empty"])
@pytest.mark.parametrize("name", INT_AND_FLOAT)
def test_ternary(name, layout):
    a, b, c = both(name, layout, 0), both(name, layout, 1), both(name, layout, 2)
    cond = both("bool", layout, 3)
    check(pe.where, cond, a, b)
    check(lambda x, lo, hi: pe.clamp(x, lo, hi), a, b, c)
    if name in FLOAT_NAMES:
        check(lambda x, y: pe.lerp(x, y, 0.25), a, b)
        check(pe.lerp, a, b, both(name, layout, 4, positive=True))


def test_large_and_strided_elementwise_paths():
    # more elements than one launch has threads, odd tails, and a 3-d strided view
    n = 70_001
    x = pe.arange(n, dtype=pe.float32) * 0.001 - 30
    check(pe.exp, (x, x.cuda()), rtol=2e-5)
    y = pe.arange(2 * 3 * 5 * 7, dtype=pe.float64).reshape(2, 3, 5, 7).permute(3, 1, 0, 2)[:, ::2]
    check(lambda t: pe.maximum(t, t.flip(0) if hasattr(t, "flip") else t), (y, y.cuda()))
    check(pe.sin, (x[1:], x.cuda()[1:]))  # misaligned: the scalar path


# ---- reductions ----

@pytest.mark.parametrize("layout", DEVICE_LAYOUTS)
@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_reductions(name, layout):
    x = both(name, layout)
    for dims in ((), (0,), (1,), (0, 1), (-1,)):
        if layout == "0-d" and dims not in ((), (-1,)):
            continue
        kw = {"dim": dims} if dims else {}
        for keepdim in ((False, True) if dims else (False,)):
            if dims:
                kw["keepdim"] = keepdim
            check(lambda t: pe.sum(t, **kw), x, rtol=1e-5)
            if len(dims) <= 1:
                check(lambda t: pe.prod(t, dim=dims[0], keepdim=keepdim) if dims else pe.prod(t), x, rtol=1e-5)
            if name in FLOAT_NAMES:
                check(lambda t: pe.mean(t, **kw), x, rtol=1e-5)
            if dims and not (layout == "empty" and 0 in dims):  # no identity: PyTorch raises
                check(lambda t: pe.amax(t, **kw), x)
                check(lambda t: pe.amin(t, **kw), x)
            if dims:
                check(lambda t: pe.all(t, dim=dims[0], keepdim=keepdim), x)
                check(lambda t: pe.any(t, dim=dims[0], keepdim=keepdim), x)
            elif layout != "empty":
                check(pe.amax, x)
                check(pe.amin, x)
    check(pe.all, x)
    check(pe.any, x)
    check(pe.count_nonzero, x)


def test_reductions_large_and_permuted():
    x = pe.randn(37, 301, dtype=pe.float64)
    y = x.permute(1, 0)[::2]
    for fn in (lambda t: t.sum(), lambda t: t.sum(0), lambda t: t.sum(1), lambda t: t.mean((0, 1), keepdim=True),
               lambda t: t.amax(1), lambda t: t.amin(0)):
        check(fn, (x, x.cuda()), rtol=1e-12, atol=1e-12)
        check(fn, (y, y.cuda()), rtol=1e-12, atol=1e-12)
    big = pe.rand(1 << 17)
    a, b = big.cuda().sum(), big.cuda().sum()
    assert a.item() == b.item()  # deterministic
    np.testing.assert_allclose(a.item(), big.double().sum().item(), rtol=1e-6)
    nan = pe.tensor([1.0, float("nan"), 3.0]).cuda()
    assert math.isnan(nan.amax().item()) and math.isnan(nan.amin().item())


# ---- indexing ----

@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_index_and_index_put(name):
    src = both(name, "contiguous")
    idx = pe.tensor([2, 0, 2])
    check(lambda t: t[idx], src)
    check(lambda t: t[idx.to(t.device), 1:3], src)
    check(lambda t: t[:, pe.tensor([3, 1])], both(name, "transposed"))

    def put(t, accumulate):
        t = t.clone()
        v = pe.ones(3, 4, dtype=t.dtype, device=t.device)
        t.index_put_((idx.to(t.device),), v, accumulate=accumulate)
        return t
    check(lambda t: put(t, False), src)
    if name != "bool":
        check(lambda t: put(t, True), src)


# ---- autograd ----

@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced", "broadcast", "0-d"])
def test_gradients_live_on_the_device(layout):
    def grads(device):
        x = device_tensor(values("float64"), "float64", layout, device).detach().requires_grad_(True)
        w = device_tensor(values("float64", 1), "float64", layout, device).detach().requires_grad_(True)
        y = pe.tanh(x) * w + pe.exp(x * 0.5) / (w.abs() + 1) - pe.where(x > 0, x, w)
        y = pe.clamp(y, -3, 3)
        y.backward(pe.ones_like(y))
        (x.sum() * 2 + (w * x).mean()).backward()
        return x.grad, w.grad
    want = grads("cpu")
    got = grads("cuda")
    for g in got:
        assert g.device == pe.device("cuda", 0)
    assert_same_as_cpu(got, want, rtol=1e-10, atol=1e-12)


# ---- devices ----

def test_devices_and_errors():
    assert pe.cuda.is_available()
    assert pe.cuda.device_count() >= 1
    a = pe.ones(3, device="cuda")
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        a + pe.ones(3)
    if pe.cuda.device_count() >= 2:
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
            a + pe.ones(3, device="cuda:1")
    assert_same_as_cpu(a + 2.5, pe.ones(3) + 2.5)  # Python scalars are fine
    assert isinstance(pe.cuda.get_device_name(), str)
    pe.cuda.synchronize()
