"""The tensor-core GEMM on cuda (Note [CUDA tensor-core GEMM]): float16/bfloat16 products with float32
accumulation, and TF32 for float32 when torch.backends.cuda.matmul.allow_tf32 is set (default off, as PyTorch).
Every shape: tails, k == 0, single rows/columns, transposed, sliced and broadcast operands, batches; against a
float64 reference of the 16-bit (or TF32-rounded) inputs. The TF32 test checks that the flag changes the result
to exactly what rounding the inputs to TF32 gives. Runs on a GPU or the emulated device; skips with "CUDA not
available" elsewhere."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import pyengine as pe
from pe_testing import cuda_required

pytestmark = cuda_required

RNG = np.random.default_rng(7)

DTYPES = {"float16": (pe.float16, torch.float16), "bfloat16": (pe.bfloat16, torch.bfloat16)}
# Tolerance of a float32-accumulated product rounded once to the 16-bit output, relative to sum |a||b|.
TOL = {"float16": 2e-3, "bfloat16": 1.6e-2, "tf32": 2e-3}


def tf32_round(a: np.ndarray) -> np.ndarray:
    """float32 -> TF32 (10 explicit mantissa bits), round to nearest, ties away from zero (cvt.rna.tf32.f32)."""
    u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = ((u + 0x1000) & ~np.uint64(0x1FFF)).astype(np.uint32)
    return u.view(np.float32)


def to16(a: np.ndarray, name: str) -> tuple:
    """a rounded to the 16-bit dtype: (pyengine tensor on cuda, its exact values as float64)."""
    t = torch.tensor(a, dtype=DTYPES[name][1])
    return pe.tensor(t.float().numpy(), device="cuda").to(DTYPES[name][0]), t.double().numpy()


def assert_product(got: pe.Tensor, want: np.ndarray, scale: np.ndarray, tol: float) -> None:
    g = got.cpu().double().numpy()
    assert g.shape == want.shape
    np.testing.assert_array_less(np.abs(g - want), tol * scale + 1e-6)


# (m, k, n): tiles and tails, k == 0, single rows and columns, sizes past one 64x64 tile and one k slice.
SHAPES = [(1, 1, 1), (16, 16, 16), (17, 33, 65), (64, 64, 64), (1, 40, 70), (70, 40, 1), (5, 0, 7), (130, 19, 3),
          (3, 100, 129)]


@pytest.mark.parametrize("name", ["float16", "bfloat16"])
@pytest.mark.parametrize("m,k,n", SHAPES)
def test_mm_16bit(name, m, k, n):
    a, b = RNG.uniform(-1, 1, (m, k)), RNG.uniform(-1, 1, (k, n))
    (ta, a64), (tb, b64) = to16(a, name), to16(b, name)
    got = ta @ tb
    assert got.dtype == DTYPES[name][0] and got.device.type == "cuda"
    assert_product(got, a64 @ b64, np.abs(a64) @ np.abs(b64), TOL[name])


@pytest.mark.parametrize("name", ["float16", "bfloat16"])
def test_layouts_and_batches(name):
    a, b = RNG.uniform(-1, 1, (3, 37, 21)), RNG.uniform(-1, 1, (3, 21, 45))
    (ta, a64), (tb, b64) = to16(a, name), to16(b, name)
    ref = lambda x, y: (x @ y, np.abs(x) @ np.abs(y))  # noqa: E731
    # batched, transposed views (no copy), a sliced operand, a broadcast (stride-0) batch
    cases = [
        (pe.bmm(ta, tb), *ref(a64, b64)),
        (ta.transpose(1, 2).contiguous().transpose(1, 2) @ tb, *ref(a64, b64)),
        (tb.transpose(1, 2) @ ta.transpose(1, 2), *ref(b64.transpose(0, 2, 1), a64.transpose(0, 2, 1))),
        (ta[:, ::2, 1:] @ tb[:, 1:, ::3], *ref(a64[:, ::2, 1:], b64[:, 1:, ::3])),
        (ta @ tb[0], *ref(a64, b64[0])),
        (ta[0].expand(4, 37, 21) @ tb[1], *ref(np.broadcast_to(a64[0], (4, 37, 21)), b64[1])),
        (pe.mv(ta[0], tb[0][:, 0]), *ref(a64[0], b64[0][:, 0])),
        (pe.dot(ta[0][0], tb[0][:, 0]), *ref(a64[0][0], b64[0][:, 0])),
    ]
    for got, want, scale in cases:
        assert_product(got, want, scale, TOL[name])


@pytest.mark.parametrize("name", ["float16", "bfloat16"])
def test_addmm_linear_and_grad(name):
    x, w, bias = RNG.uniform(-1, 1, (9, 30)), RNG.uniform(-1, 1, (20, 30)), RNG.uniform(-1, 1, (20,))
    (tx, x64), (tw, w64), (tbias, bias64) = to16(x, name), to16(w, name), to16(bias, name)
    got = pe.nn.functional.linear(tx, tw, tbias)
    assert_product(got, x64 @ w64.T + bias64, np.abs(x64) @ np.abs(w64.T) + np.abs(bias64), TOL[name])
    c = to16(RNG.uniform(-1, 1, (9, 20)), name)
    got = pe.addmm(c[0], tx, tw.t(), beta=0.5, alpha=2.0)
    assert_product(got, 0.5 * c[1] + 2 * x64 @ w64.T, 0.5 * np.abs(c[1]) + 2 * np.abs(x64) @ np.abs(w64.T), TOL[name])
    # gradients run through the same kernel
    tx.requires_grad_(True)
    tw.requires_grad_(True)
    (tx @ tw.t()).sum().backward()
    g = np.ones((9, 20))
    assert_product(tx.grad, g @ w64, np.abs(g) @ np.abs(w64), TOL[name])
    assert_product(tw.grad, g.T @ x64, np.abs(g.T) @ np.abs(x64), TOL[name])


def test_16bit_accumulates_in_float32():
    # 4096 products of 1 + 2^-10 would lose their tails in a float16 accumulator; float32 keeps them.
    k = 4096
    a = pe.full((1, k), 1 + 2 ** -10, dtype=pe.float16, device="cuda")
    b = pe.ones((k, 1), dtype=pe.float16, device="cuda")
    assert float((a @ b).float().item()) == float(np.float16(k * (1 + 2 ** -10)))


def test_16bit_matches_torch_cpu():
    # PyTorch's CPU float16 matmul also accumulates in float32: the same values up to the rounding order.
    a, b = RNG.uniform(-1, 1, (33, 70)), RNG.uniform(-1, 1, (70, 18))
    for name in DTYPES:
        ta, tb = torch.tensor(a, dtype=DTYPES[name][1]), torch.tensor(b, dtype=DTYPES[name][1])
        want = (ta @ tb).double().numpy()
        got = (pe.tensor(ta.float().numpy(), device="cuda").to(DTYPES[name][0])
               @ pe.tensor(tb.float().numpy(), device="cuda").to(DTYPES[name][0])).cpu().double().numpy()
        ulp = 2 ** -10 if name == "float16" else 2 ** -7
        np.testing.assert_allclose(got, want, rtol=2 * ulp, atol=2 * ulp)


@pytest.fixture
def tf32():
    pe.backends.cuda.matmul.allow_tf32 = True
    try:
        yield
    finally:
        pe.backends.cuda.matmul.allow_tf32 = False


def test_tf32_flag_defaults_and_precision_api():
    assert pe.backends.cuda.matmul.allow_tf32 is False
    assert pe.get_float32_matmul_precision() == "highest"
    try:
        for prec, on in (("high", True), ("medium", True), ("highest", False)):
            pe.set_float32_matmul_precision(prec)
            assert pe.backends.cuda.matmul.allow_tf32 is on
            assert pe._C._get_matmul_allow_tf32() is on
    finally:
        pe.set_float32_matmul_precision("highest")


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (17, 33, 65), (64, 64, 64), (5, 0, 7), (70, 9, 1), (1, 40, 70)])
def test_tf32_is_honoured(tf32, m, k, n):
    # Inputs whose 13 bits below TF32's mantissa are 0x0FFF: TF32 rounds every one down by ~2^-11 relative.
    rng = np.random.default_rng(m * 10000 + k * 100 + n)

    def low_bits_set(shape):
        u = rng.uniform(1, 2, shape).astype(np.float32).view(np.uint32)
        return ((u & ~np.uint32(0x1FFF)) | np.uint32(0x0FFF)).view(np.float32)

    a, b = low_bits_set((m, k)), low_bits_set((k, n))
    ta, tb = pe.tensor(a, device="cuda"), pe.tensor(b, device="cuda")
    got = (ta @ tb).cpu().numpy().astype(np.float64)
    want_tf32 = tf32_round(a).astype(np.float64) @ tf32_round(b).astype(np.float64)
    exact = a.astype(np.float64) @ b.astype(np.float64)
    scale = np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64)
    # TF32: equal to the TF32-rounded product up to float32 accumulation (a tensor core's adds included)
    np.testing.assert_array_less(np.abs(got - want_tf32), 4e-6 * scale + 1e-30)
    pe.backends.cuda.matmul.allow_tf32 = False
    full = (ta @ tb).cpu().numpy().astype(np.float64)
    np.testing.assert_array_less(np.abs(full - exact), 4e-6 * scale + 1e-30)
    if k > 0:
        # the two paths differ, by about TF32's rounding (2^-11 relative), far beyond float32's
        assert np.abs(got - full).max() > 1e-5 * scale.max()
        assert np.abs(got - exact).max() < 2 ** -9 * scale.max()


def test_tf32_batched_strided_and_bias(tf32):
    a = RNG.uniform(-1, 1, (2, 40, 24)).astype(np.float32)
    b = RNG.uniform(-1, 1, (2, 24, 30)).astype(np.float32)
    bias = RNG.uniform(-1, 1, (30,)).astype(np.float32)
    ta, tb, tbias = pe.tensor(a, device="cuda"), pe.tensor(b, device="cuda"), pe.tensor(bias, device="cuda")
    ar, br = tf32_round(a).astype(np.float64), tf32_round(b).astype(np.float64)
    scale = np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64))
    got = pe.baddbmm(tbias, ta.transpose(1, 2).contiguous().transpose(1, 2), tb)
    np.testing.assert_array_less(np.abs(got.cpu().numpy() - (ar @ br + bias)), 1e-6 * (scale + 1) + 1e-7)
    got = pe.nn.functional.linear(ta[0], tb[0].t(), tbias)
    np.testing.assert_array_less(np.abs(got.cpu().numpy() - (ar[0] @ br[0] + bias)), 1e-6 * (scale[0] + 1) + 1e-7)


def test_tf32_does_not_touch_float64_or_cpu(tf32):
    a = RNG.uniform(1, 2, (8, 8)) * (1 + 2 ** -30)
    got = (pe.tensor(a, device="cuda") @ pe.tensor(a, device="cuda")).cpu().numpy()
    np.testing.assert_allclose(got, a @ a, rtol=1e-14)
    a32 = (RNG.uniform(1, 2, (8, 8)) * (1 + 2 ** -20)).astype(np.float32)
    got = (pe.tensor(a32) @ pe.tensor(a32)).numpy()
    np.testing.assert_allclose(got, a32.astype(np.float64) @ a32, rtol=1e-6)
