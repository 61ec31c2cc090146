"""The reductions, scans, sorts and selections on `cuda` give the CPU's result: var/std (var_mean,
std_mean), norm, logsumexp, max/min with indices, argmax/argmin, cumsum/cumprod
(logcumsumexp), sort/argsort, topk, kthvalue, median, mode and randperm, on contiguous, transposed,
sliced-with-step, broadcast, 0-d and empty inputs, every dim, keepdim, and their gradients. Runs on a
real GPU or on the emulated device (docs/cuda-emulator.md); skips with "CUDA not available" elsewhere."""
from __future__ import annotations

import math

import numpy as np
import pytest

import pyengine as pe
from pe_testing import DEVICE_LAYOUTS, assert_same_as_cpu, cuda_required, device_tensor

pytestmark = [cuda_required, pytest.mark.filterwarnings("ignore:.*degrees of freedom:UserWarning")]

DIMS_2D = [0, 1, -1, -2]


def values(name: str, seed: int = 0, nan: bool = False) -> np.ndarray:
    """12 values of dtype `name` with repeats (ties for the arg-reductions, sorts and mode)."""
    i = np.arange(12, dtype=np.float64) + seed * 5
    if name == "bool":
        return (i % 3) == 1
    v = i * 7 % 5 - 2 if name != "uint8" else i * 7 % 5
    if name in ("float16", "bfloat16", "float32", "float64"):
        v = v * 0.625 + (i % 2) * 0.125
        if nan:
            v[5] = np.nan
    return v


def pair(name: str, layout: str, seed: int = 0, nan: bool = False):
    v = values(name, seed, nan)
    return device_tensor(v, name, layout, "cpu"), device_tensor(v, name, layout, "cuda")


def cpu_result_or_same_error(fn, x_cpu, x_cuda):
    """(True, fn(x_cpu)), or (False, None) after checking that cuda raises the class the CPU raised for an
    input the op refuses (an empty reduction dim, a bool median, k out of range)."""
    try:
        return True, fn(x_cpu)
    except (RuntimeError, IndexError, NotImplementedError, ValueError) as e:
        with pytest.raises(type(e)):
            fn(x_cuda)
        return False, None


def check(fn, x_cpu, x_cuda, rtol=1e-5, atol=1e-6):
    """fn on the CPU input and on its cuda twin: one result, or one exception class."""
    ok, want = cpu_result_or_same_error(fn, x_cpu, x_cuda)
    if not ok:
        return
    got = fn(x_cuda)
    outs = got if isinstance(got, (tuple, list)) else (got,)
    for o in outs:
        assert o.device.type == "cuda", o.device
    assert_same_as_cpu(tuple(got) if isinstance(got, (tuple, list)) else got,
                       tuple(want) if isinstance(want, (tuple, list)) else want, rtol=rtol, atol=atol)


def dims_of(t):
    return [None] if t.dim() == 0 else [None, *DIMS_2D, (0, 1)]


def one_dims(t):
    return [0, -1] if t.dim() == 0 else DIMS_2D


# ---- var / std / norm / logsumexp ----

@pytest.mark.parametrize("layout", DEVICE_LAYOUTS)
@pytest.mark.parametrize("name", ["float32", "float64", "float16", "bfloat16"])
def test_var_std_on_cuda(name, layout):
    c, g = pair(name, layout)
    for dim in dims_of(c):
        for correction in (0, 1, 2):
            for keepdim in (False, True):
                kw = dict(dim=dim, correction=correction, keepdim=keepdim)
                check(lambda t: pe.var(t, **kw), c, g)
                check(lambda t: pe.std(t, **kw), c, g)
                check(lambda t: pe.var_mean(t, **kw), c, g)
                check(lambda t: pe.std_mean(t, **kw), c, g)
    check(lambda t: t.var(), c, g)
    check(lambda t: t.std(unbiased=False), c, g)


@pytest.mark.parametrize("layout", DEVICE_LAYOUTS)
@pytest.mark.parametrize("name", ["float32", "float64", "float16"])
def test_norm_logsumexp_on_cuda(name, layout):
    c, g = pair(name, layout)
    for dim in dims_of(c):
        for keepdim in (False, True):
            for p in (0, 1, 2, math.inf, -math.inf, 3, 0.5):
                check(lambda t: pe.norm(t, p, dim=dim, keepdim=keepdim), c, g, rtol=1e-4)
            if dim is not None:
                check(lambda t: pe.logsumexp(t, dim, keepdim=keepdim), c, g)
    check(lambda t: pe.norm(t), c, g)
    check(lambda t: t.norm(1), c, g)


def test_stats_special_values_on_cuda():
    x = pe.tensor([[1e30, 1e30, -math.inf], [math.nan, 1.0, 2.0], [-math.inf, -math.inf, -math.inf]])
    for fn in (lambda t: pe.logsumexp(t, 1), lambda t: pe.var(t, 1), lambda t: pe.norm(t, math.inf, 1),
               lambda t: pe.norm(t, -math.inf, 1), lambda t: pe.norm(t, 0, 1)):
        check(fn, x, x.cuda())


def test_float32_sum_stats_are_accurate_and_deterministic():
    # 20000 elements of one magnitude: a running float32 sum would drift far beyond this tolerance.
    base = pe.rand(20000, generator=pe.Generator().manual_seed(3)) + 1000.0
    want = base.double().var().item()
    a, b = base.cuda().var(), base.cuda().var()
    assert a.item() == b.item()
    np.testing.assert_allclose(a.item(), want, rtol=1e-6)
    np.testing.assert_allclose(pe.norm(base.cuda()).item(), base.double().norm().item(), rtol=1e-6)


# ---- max/min with indices, argmax/argmin ----

@pytest.mark.parametrize("layout", DEVICE_LAYOUTS)
@pytest.mark.parametrize("name", ["float32", "float64", "int64", "int32", "bool", "float16", "bfloat16", "uint8"])
def test_arg_reductions_on_cuda(name, layout):
    for nan in ((False, True) if name.startswith("float") else (False,)):
        c, g = pair(name, layout, nan=nan)
        for dim in one_dims(c):
            for keepdim in (False, True):
                check(lambda t: pe.max(t, dim, keepdim=keepdim), c, g)
                check(lambda t: pe.min(t, dim, keepdim=keepdim), c, g)
                check(lambda t: pe.argmax(t, dim, keepdim=keepdim), c, g)
                check(lambda t: pe.argmin(t, dim, keepdim=keepdim), c, g)
        check(lambda t: pe.argmax(t), c, g)
        check(lambda t: pe.argmin(t), c, g)
        check(lambda t: (t.max(), t.min()), c, g)


def test_arg_reductions_long_rows_on_cuda():
    # Rows longer than a block, the extreme repeated far apart: the first occurrence wins.
    x = pe.zeros(3, 1000)
    x[:, 7] = 5.0
    x[:, 900] = 5.0
    x[1, 950] = math.nan
    x[1, 990] = math.nan
    for fn in (lambda t: pe.max(t, 1), lambda t: pe.argmax(t, 1), lambda t: pe.argmin(t.t(), 0),
               lambda t: pe.argmax(t)):
        check(fn, x, x.cuda())


# ---- scans ----

@pytest.mark.parametrize("layout", DEVICE_LAYOUTS)
@pytest.mark.parametrize("name", ["float32", "float64", "int64", "int32", "bool", "float16"])
def test_scans_on_cuda(name, layout):
    c, g = pair(name, layout)
    for dim in one_dims(c):
        check(lambda t: pe.cumsum(t, dim), c, g)
        check(lambda t: pe.cumprod(t, dim), c, g, rtol=1e-4)
        check(lambda t: pe.cumsum(t, dim, dtype=pe.float64), c, g)
        if name.startswith("float"):
            check(lambda t: pe.logcumsumexp(t, dim), c, g)


def test_scan_long_rows_on_cuda():
    x = pe.rand(2, 1500, generator=pe.Generator().manual_seed(1))
    check(lambda t: pe.cumsum(t, 1), x, x.cuda())
    check(lambda t: pe.cumsum(t, 0), x.t().contiguous(), x.t().contiguous().cuda())
    i = pe.randint(-3, 4, (1500,), generator=pe.Generator().manual_seed(2))
    check(lambda t: pe.cumsum(t, 0), i, i.cuda())
    check(lambda t: pe.cumprod(t, 0), i, i.cuda())  # wraps around as on the CPU


# ---- sort, argsort, topk, kthvalue, median, mode ----

def check_tied(fn, x_cpu, x_cuda, dim):
    """An op whose order among equal values is each device's own (Note [PyTorch's tie order]: the CPU
    breaks ties as PyTorch's CPU kernels, cuda by index): fn returns (values, indices); the values equal
    the CPU's and every cuda index names an element of the input holding the value returned with it."""
    ok, want = cpu_result_or_same_error(fn, x_cpu, x_cuda)
    if not ok:
        return
    values, indices = fn(x_cuda)
    assert values.device.type == "cuda" and indices.device.type == "cuda"
    assert_same_as_cpu(values, want[0])
    assert indices.dtype == pe.int64 and tuple(indices.shape) == tuple(want[1].shape)
    x, v, i = x_cuda.cpu(), values.cpu(), indices.cpu()
    if x.dim() == 0:
        assert bool((i == 0).all())
        return
    if v.dim() < x.dim():  # kthvalue / mode without keepdim
        v, i = v.unsqueeze(dim), i.unsqueeze(dim)
    if i.numel():
        assert_same_as_cpu(x.gather(dim, i), v)


@pytest.mark.parametrize("layout", DEVICE_LAYOUTS)
@pytest.mark.parametrize("name", ["float32", "float64", "int64", "int16", "bool", "float16", "bfloat16", "int8",
                                  "uint8"])
def test_sorting_on_cuda(name, layout):
    # Stable sorts and median order ties by index on both devices, so their indices compare exactly; sort,
    # topk, kthvalue and mode break ties on the CPU as PyTorch's CPU kernels do (check_tied).
    for nan in ((False, True) if name.startswith("float") else (False,)):
        c, g = pair(name, layout, nan=nan)
        n = lambda t, d: 1 if t.dim() == 0 else t.shape[d]  # noqa: E731
        for dim in one_dims(c):
            for descending in (False, True):
                check_tied(lambda t: tuple(pe.sort(t, dim=dim, descending=descending)), c, g, dim)
                check(lambda t: pe.sort(t, dim=dim, descending=descending, stable=True), c, g)
                check_tied(lambda t: (pe.sort(t, dim=dim, descending=descending).values,
                                      pe.argsort(t, dim=dim, descending=descending)), c, g, dim)
            for k in {0, 1, min(2, n(c, dim)), n(c, dim)}:
                for largest in (True, False):
                    check_tied(lambda t: tuple(pe.topk(t, k, dim=dim, largest=largest)), c, g, dim)
            for k in {1, n(c, dim)}:
                for keepdim in (False, True):
                    check_tied(lambda t: tuple(pe.kthvalue(t, k, dim, keepdim=keepdim)), c, g, dim)
            for keepdim in (False, True):
                check(lambda t: pe.median(t, dim, keepdim=keepdim), c, g)
                check_tied(lambda t: tuple(pe.mode(t, dim, keepdim=keepdim)), c, g, dim)
        check(lambda t: pe.median(t), c, g)


@pytest.mark.parametrize("n", [1000, 3000])
def test_sort_long_rows_on_cuda(n):
    # Longer than a tile (1024): the merge passes run; many ties and a few NaNs.
    gen = pe.Generator().manual_seed(n)
    x = (pe.rand(2, n, generator=gen) * 50).floor()
    x[1, 17] = math.nan
    x[1, n - 3] = math.nan
    x[0, 5] = -0.0
    for fn in (lambda t: pe.sort(t, 1, stable=True), lambda t: pe.sort(t, 1, descending=True, stable=True),
               lambda t: pe.median(t, 1), lambda t: pe.sort(t.t(), 0, stable=True), lambda t: pe.median(t[0])):
        check(fn, x, x.cuda())
    for fn, dim in ((lambda t: tuple(pe.sort(t, 1)), 1), (lambda t: tuple(pe.sort(t, 1, descending=True)), 1),
                    (lambda t: tuple(pe.topk(t, 10, 1)), 1), (lambda t: tuple(pe.kthvalue(t, n // 2, 1)), 1),
                    (lambda t: tuple(pe.mode(t, 1)), 1)):
        check_tied(fn, x, x.cuda(), dim)
    check_tied(lambda t: tuple(pe.sort(t, 0)), x.t(), x.cuda().t(), 0)


def test_sort_special_values_on_cuda():
    # Extremes of the integer range, infinities, signed zeros (equal: index order) and NaNs (largest).
    i = pe.tensor([[2**63 - 1, -2**63, 0, -1, 2**63 - 1, 5, -2**63]])
    f = pe.tensor([[0.0, -0.0, math.inf, -math.inf, math.nan, -0.0, 1e-300, -1e-300, math.nan, 0.0]], dtype=pe.float64)
    u = pe.tensor([[255, 0, 7, 255, 0]], dtype=pe.uint8)
    for x in (i, f, u, f.float(), f.half()):
        for fn in (lambda t: pe.sort(t, 1, stable=True), lambda t: pe.sort(t, 1, descending=True, stable=True),
                   lambda t: pe.median(t, 1), lambda t: pe.max(t, 1), lambda t: pe.argmin(t, 1)):
            check(fn, x, x.cuda())
        for fn in (lambda t: tuple(pe.sort(t, 1)), lambda t: tuple(pe.sort(t, 1, descending=True)),
                   lambda t: tuple(pe.topk(t, 3, 1)), lambda t: tuple(pe.topk(t, 3, 1, largest=False)),
                   lambda t: tuple(pe.mode(t, 1)), lambda t: tuple(pe.kthvalue(t, 2, 1))):
            check_tied(fn, x, x.cuda(), 1)
        got = pe.sort(x.cuda(), 1, stable=True).values.cpu()
        want = pe.sort(x, 1, stable=True).values
        assert got.view(pe.uint8).tolist() == want.view(pe.uint8).tolist()  # -0.0 stays -0.0


@pytest.mark.parametrize("n", [0, 1, 10, 2500])
def test_randperm_on_cuda_matches_cpu(n):
    pe.manual_seed(11)
    want = pe.randperm(n)
    pe.manual_seed(11)
    got = pe.randperm(n, device="cuda")
    assert got.device.type == "cuda" and got.dtype == pe.int64
    assert_same_as_cpu(got, want)
    assert sorted(got.tolist()) == list(range(n))
    assert pe.randperm(n, device="cuda", dtype=pe.float32).dtype == pe.float32


# ---- gradients ----

GRAD_FNS = {
    "var": lambda t: pe.var(t, 1, correction=1),
    "std": lambda t: pe.std(t, 0, keepdim=True),
    "var_all": lambda t: t.var(),
    "var_mean": lambda t: sum(pe.var_mean(t, 1, keepdim=True)),
    "std_mean": lambda t: pe.std_mean(t, 0)[0] * 3 + pe.std_mean(t, 0)[1],
    "norm2": lambda t: pe.norm(t, 2, dim=1),
    "norm3": lambda t: pe.norm(t, 3),
    "norm_inf": lambda t: pe.norm(t, math.inf, dim=0),
    "logsumexp": lambda t: pe.logsumexp(t, 1),
    "max_dim": lambda t: pe.max(t, 1).values,
    "min_dim": lambda t: pe.min(t, 0, keepdim=True).values,
    "amax": lambda t: pe.amax(t, 1),
    "cumsum": lambda t: pe.cumsum(t, 1),
    "cumprod": lambda t: pe.cumprod(t, 0),
    "logcumsumexp": lambda t: pe.logcumsumexp(t, 1),
    "sort": lambda t: pe.sort(t, 1, descending=True).values,
    "topk": lambda t: pe.topk(t, 2, 1).values,
    "kthvalue": lambda t: pe.kthvalue(t, 2, 0).values,
    "median_dim": lambda t: pe.median(t, 1).values,
    "median": lambda t: pe.median(t),
    "mode": lambda t: pe.mode(t, 1).values,
}


@pytest.mark.parametrize("op", list(GRAD_FNS))
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced"])
def test_reduce_grads_on_cuda(op, layout):
    fn = GRAD_FNS[op]
    v = np.array([0.5, -1.25, 2.0, 0.75, -0.5, 1.5, 2.25, -2.0, 1.0, 0.25, -0.75, 1.75])  # distinct: one argmax
    grads = []
    for device in ("cpu", "cuda"):
        x = device_tensor(v, "float64", layout, device).detach().requires_grad_()
        y = fn(x)
        w = pe.arange(y.numel(), dtype=pe.float64, device=device).reshape(y.shape) + 1
        (y * w).sum().backward()
        assert x.grad.device.type == device
        grads.append(x.grad)
    assert_same_as_cpu(grads[1], grads[0], rtol=1e-10, atol=1e-12)


@pytest.mark.skipif(pe.cuda.device_count() < 2, reason="needs a CUDA device")
def test_reductions_on_second_device():
    # Kernels and their scratch buffers live on the input's device, not the current one.
    x = pe.tensor([[3.0, 1.0, 2.0, 1.0], [0.5, -1.0, 4.0, 0.5]])
    g = x.to("cuda:1")
    for fn in (lambda t: pe.var(t, 1), lambda t: pe.max(t, 1), lambda t: pe.cumsum(t, 1),
               lambda t: pe.sort(t, 1, stable=True), lambda t: pe.median(t, 1), lambda t: pe.mode(t, 1).values,
               lambda t: pe.topk(t, 2).values, lambda t: pe.logsumexp(t, 0)):
        got, want = fn(g), fn(x)
        for o in (got if isinstance(got, tuple) else (got,)):
            assert o.device == pe.device("cuda", 1)
        assert_same_as_cpu(got, want)
    pe.manual_seed(5)
    want = pe.randperm(9)
    pe.manual_seed(5)
    assert_same_as_cpu(pe.randperm(9, device="cuda:1"), want)


def test_evenly_distributed_grads_on_cuda():
    # max()/min()/median() of all elements share the gradient among the elements equal to the result
    # (every NaN when it is NaN), computed on the device.
    for vals in ([1.0, math.nan, 2.0, math.nan], [3.0, 1.0, 3.0, 2.0]):
        for op in ("max", "min", "median"):
            grads = []
            for device in ("cpu", "cuda"):
                x = pe.tensor(vals, dtype=pe.float64, device=device, requires_grad=True)
                getattr(x, op)().backward()
                grads.append(x.grad)
            assert grads[1].device.type == "cuda"
            assert_same_as_cpu(grads[1], grads[0])
