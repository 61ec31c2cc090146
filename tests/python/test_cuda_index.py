"""Indexing, masking, copying shape ops, creation and random ops on `cuda`: the same results as on the
CPU (integers and bools exactly) for contiguous, transposed, sliced-with-step, broadcast, 0-d and
empty inputs; gradients on the device; out-of-range indices raised at the next synchronization
(device-side asserts, Note [Device asserts] in cuda/device_assert.h); mixed-device errors. Runs on a
real GPU or the emulated device (docs/cuda-emulator.md); skips with "CUDA not available" elsewhere."""
from __future__ import annotations

import numpy as np
import pytest

import pyengine as pe
from pe_testing import DEVICE_LAYOUTS, assert_same_as_cpu, cuda_required, device_tensor

pytestmark = cuda_required

SOME_DTYPES = ["bool", "uint8", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
NUMERIC = ["uint8", "int32", "int64", "float16", "float32", "float64"]


def values(name: str, seed: int = 0) -> np.ndarray:
    i = np.arange(12, dtype=np.float64) + seed * 5
    if name == "bool":
        return (i % 3) == 1
    if name == "uint8":
        return i * 7 % 11 + 1
    if name in ("float16", "bfloat16", "float32", "float64"):
        return (i * 7 % 11 - 5) * 0.375
    return i * 7 % 11 - 5


def both(name: str, layout: str, seed: int = 0):
    v = values(name, seed)
    return device_tensor(v, name, layout, "cpu"), device_tensor(v, name, layout, "cuda")


def check(fn, *inputs, rtol=1e-5, atol=1e-6):
    """fn on the CPU inputs and on their cuda twins gives one result, on cuda."""
    want = fn(*[c for c, _ in inputs])
    got = fn(*[g for _, g in inputs])
    outs = got if isinstance(got, (tuple, list)) else (got,)
    for o in outs:
        assert o.device.type == "cuda", o.device
    assert_same_as_cpu(got, want, rtol=rtol, atol=atol)


def pair(t: pe.Tensor):
    return t, t.cuda()


def idx(values, device=None, dtype=pe.int64):
    return pe.tensor(values, dtype=dtype, device=device)


def on(t: pe.Tensor, like: pe.Tensor) -> pe.Tensor:
    return t.to(like.device)


# ---- gather / scatter / index_* / take ----

@pytest.mark.parametrize("layout", DEVICE_LAYOUTS)
@pytest.mark.parametrize("name", SOME_DTYPES)
def test_gather_scatter_layouts(name, layout):
    x = both(name, layout)
    c = x[0]
    if c.dim() == 0:
        check(lambda t: t.gather(0, on(idx(0), t)), x)
        return
    rows, cols = c.shape
    if c.numel() == 0:
        i = pair(pe.zeros(0, cols, dtype=pe.int64))
        check(lambda t, i: t.gather(0, i), x, i)
        check(lambda t, i: t.scatter(0, i, t[:0]), x, i)
        return
    i0 = pair(idx([[2, 0, 1, 0], [2, 0, 0, 2]]))  # columns 0 and 1 repeat an index
    i1 = pair(idx([[3, 0], [1, 1], [0, 2]]).t().contiguous().t())  # a transposed index
    check(lambda t, i: t.gather(0, i), x, i0)
    check(lambda t, i: t.gather(1, i), x, i1)
    check(lambda t, i: t.gather(-1, i.int()), x, i1)  # int32 index
    src = both(name, "contiguous", 1)
    check(lambda t, i, s: t.scatter(0, i, s[:2]), x, i0, src)  # duplicates: the CPU's last one wins
    check(lambda t, i, s: t.scatter(1, i, s), x, i1, src)
    fill = True if name == "bool" else 3
    check(lambda t, i: t.scatter(0, i, fill), x, i0)
    if name != "bool":
        check(lambda t, i, s: t.scatter_add(0, i, s[:2]), x, i0, src)
        check(lambda t, i, s: t.scatter(0, i, s[:2], reduce="add"), x, i0, src)
        check(lambda t, i, s: t.scatter(0, i, s[:2], reduce="multiply"), x, i0, src)
        check(lambda t, i: t.scatter(1, i, 2, reduce="multiply"), x, i1)
    check(lambda t, i: t.index_select(0, i), x, pair(idx([2, 0, 2, 1])))
    check(lambda t, i: t.index_select(1, i), x, pair(idx([3, 3, 0])))
    check(lambda t, i: t.take(i), x, pair(idx([[11, -1], [0, 5]])))


@pytest.mark.parametrize("name", NUMERIC)
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce(name, reduce):
    x, s = both(name, "contiguous"), both(name, "transposed", 1)
    i = pair(idx([[2, 0, 1, 0], [1, 1, 0, 2], [2, 2, 1, 1]]))
    for include_self in (True, False):
        check(lambda t, i, s: t.scatter_reduce(0, i, s, reduce, include_self=include_self), x, i, s)


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced", "broadcast"])
@pytest.mark.parametrize("name", ["bool", "int64", "float16", "float32", "float64"])
def test_index_add_copy_fill(name, layout):
    x = both(name, layout)
    src = both(name, "contiguous", 1)
    i = pair(idx([2, 0, 2]))
    j = pair(idx([3, 0, 1]))
    if name != "bool":
        check(lambda t, i, s: t.clone().index_add_(0, i, s), x, i, src)
        check(lambda t, i, s: t.index_add(1, i, s[:, :3], alpha=2), x, j, src)
    check(lambda t, i, s: t.index_copy(0, i, s), x, pair(idx([2, 0, 1])), src)
    check(lambda t, i: t.index_fill(1, i, True if name == "bool" else -2), x, pair(idx([-1, 0])))


def test_float_scatter_add_is_bitwise_the_cpus():
    """Repeated indices accumulate in the CPU's order on the device too: the same float32 bits."""
    g = pe.Generator().manual_seed(0)
    src = pe.randn(64, 300, generator=g)
    index = pe.randint(0, 5, (64, 300), generator=g)
    want = pe.zeros(5, 300).scatter_add(0, index, src)
    got = pe.zeros(5, 300, device="cuda").scatter_add(0, index.cuda(), src.cuda())
    assert pe.equal(got.cpu(), want)
    emb = pe.zeros(7, 3).index_add(0, index[:, 0] % 7, src[:, :3])
    assert pe.equal(pe.zeros(7, 3, device="cuda").index_add(0, (index[:, 0] % 7).cuda(), src[:, :3].cuda()).cpu(), emb)


# ---- masks, nonzero, boolean indexing ----

@pytest.mark.parametrize("layout", DEVICE_LAYOUTS)
@pytest.mark.parametrize("name", SOME_DTYPES)
def test_masks_and_nonzero(name, layout):
    x = both(name, layout)
    m = both("bool", layout, 1)
    fill = False if name == "bool" else -7
    check(lambda t, m: t.masked_fill(m, fill), x, m)
    check(lambda t, m: t.masked_select(m), x, m)
    check(lambda t: t.nonzero(), x)
    check(lambda t: pe.argwhere(t), x)
    check(lambda t: pe.where(t != 0) if t.dim() else t.nonzero(), x)
    check(lambda t: pe.count_nonzero(t), x)
    if x[0].dim() > 0:
        check(lambda t, m: t[m], x, m)
        if x[0].numel():
            check(lambda t, m: t.masked_fill(m[0], fill), x, m)  # a broadcast mask row

        def put(t, m):
            t = t.clone() if layout != "broadcast" else t.contiguous()
            t[m] = True if name == "bool" else 5
            return t
        check(put, x, m)

        def put_tensor(t, m):
            t = t.contiguous()
            t[m] = t[m].flip(0)
            return t
        check(put_tensor, x, m)


def test_nonzero_large_and_ordered():
    """Several blocks of the compaction: the row-major order survives block boundaries."""
    x = (pe.arange(3 * 5000) % 7 == 3).reshape(3, 5000)
    check(lambda t: t.nonzero(), pair(x))
    check(lambda t: t.nonzero(), pair(x.t()))
    v = pe.arange(3 * 5000, dtype=pe.float32).reshape(3, 5000)
    check(lambda t, m: t[m], pair(v), pair(x))
    assert pe.zeros(5000, dtype=pe.bool, device="cuda").nonzero().shape == (0, 1)
    assert pe.ones(0, 3, device="cuda").nonzero().shape == (0, 2)
    assert pe.tensor(2.0, device="cuda").nonzero().shape == (1, 0)


# ---- copying shape ops ----

@pytest.mark.parametrize("layout", DEVICE_LAYOUTS)
@pytest.mark.parametrize("name", ["bool", "int32", "float16", "float64"])
def test_shape_copies(name, layout):
    x, y = both(name, layout), both(name, layout, 1)
    nd = x[0].dim()
    if nd == 0:
        check(lambda a, b: pe.stack([a, b]), x, y)
        check(lambda a: a.flip([]), x)
        check(lambda a: a.repeat(2, 3), x)
        return
    check(lambda a, b: pe.cat([a, b], 0), x, y)
    check(lambda a, b: pe.cat([a, b], 1), x, y)
    check(lambda a, b: pe.stack([a, b], 1), x, y)
    check(lambda a: a.flip(0, 1), x)
    check(lambda a: a.flip(-1), x)
    check(lambda a: a.roll(1, 0), x)
    check(lambda a: a.roll((2, -1), (1, 0)), x)
    check(lambda a: a.roll(5), x)
    check(lambda a: a.repeat(2, 1, 2), x)
    for d in (-1, 0, 2):
        check(lambda a: a.tril(d), x)
        check(lambda a: a.triu(d), x)
    check(lambda a: a.clone().tril_(1), x)
    check(lambda a: a.diag(), x)
    check(lambda a: a.diag(1), x)
    check(lambda a: a.diagonal(-1).clone(), x)
    check(lambda a: pe.diag_embed(a), x)
    check(lambda a: a[:, :2].reshape(-1).diag(-1), x)


# ---- creation and random ----

@pytest.mark.parametrize("name", ["int32", "int64", "float32", "float64"])
def test_creation(name):
    dt = getattr(pe, name)
    for fn in (lambda d: pe.linspace(-2, 3, 7, dtype=dt, device=d), lambda d: pe.linspace(0, 1, 1, device=d),
               lambda d: pe.eye(3, 4, dtype=dt, device=d),
               lambda d: pe.eye(0, device=d), lambda d: pe.full((2, 3), 7, dtype=dt, device=d),
               lambda d: pe.zeros_like(pe.ones(2, 3, dtype=dt, device=d)),
               lambda d: pe.ones_like(pe.ones(2, 3, dtype=dt, device=d)),
               lambda d: pe.full_like(pe.ones(2, 3, dtype=dt, device=d), 4),
               lambda d: pe.arange(-3, 9, 2, dtype=dt, device=d)):
        got, want = fn("cuda"), fn("cpu")
        assert got.device.type == "cuda"
        assert_same_as_cpu(got, want)


def seeded(fn, device):
    pe.manual_seed(123)
    return fn(device)


@pytest.mark.parametrize("fn", [
    lambda d: pe.randint(-5, 9, (4, 33), device=d),
    lambda d: pe.randint(3, (7,), dtype=pe.int32, device=d),
    lambda d: pe.bernoulli(pe.full((5, 40), 0.3, device=d)),
    lambda d: pe.bernoulli(pe.rand(5, 40, device=d).t()),
    lambda d: pe.empty(6, 50, dtype=pe.int64, device=d).bernoulli_(0.25),
    lambda d: pe.empty(6, 50, device=d).t().bernoulli_(0.75),
    lambda d: pe.nn.functional.dropout(pe.ones(7, 60, device=d), 0.4),
    lambda d: pe.nn.functional.dropout(pe.arange(100.0, device=d).reshape(10, 10).t(), 0.5),
    lambda d: pe.rand(3, 5, device=d), lambda d: pe.randn(4, 6, dtype=pe.float64, device=d),
], ids=["randint", "randint32", "bernoulli_p", "bernoulli_t", "bernoulli_int", "bernoulli_strided",
        "dropout", "dropout_strided", "rand", "randn"])
def test_random_same_numbers_as_cpu(fn):
    want = seeded(fn, "cpu")
    got = seeded(fn, "cuda")
    assert got.device.type == "cuda"
    assert_same_as_cpu(got, want, rtol=0, atol=0)


def test_dropout_module_and_generator():
    drop = pe.nn.Dropout(0.3)
    want = seeded(lambda d: drop(pe.ones(8, 8, device=d)), "cpu")
    got = seeded(lambda d: drop(pe.ones(8, 8, device=d)), "cuda")
    assert_same_as_cpu(got, want, rtol=0, atol=0)


# ---- gradients on the device ----

def test_gradients_of_index_ops():
    def grads(device):
        x = pe.tensor(values("float64"), device=device).reshape(3, 4).requires_grad_(True)
        i = idx([[2, 0, 1, 0], [1, 1, 0, 2]], device)
        m = pe.tensor(values("bool", 1), device=device).reshape(3, 4)
        y = (x.gather(0, i) * 2).sum() + x.index_select(1, idx([3, 3, 0], device)).pow(2).sum()
        y = y + x.masked_select(m).sum() * 3 + x[m].exp().sum() + x.masked_fill(m, 0).sin().sum()
        y = y + x[idx([2, 0], device)].cos().sum() + pe.cat([x, x.flip(0)], 1).tril().pow(2).sum()
        y = y + x.roll(1, 1).repeat(2, 1)[1:].sum() + x.t().diag().sum() * 5 + pe.stack([x, x]).triu(1).sum()
        s = pe.zeros(3, 4, dtype=pe.float64, device=device).scatter_add(0, i, x[:2] * x[1:]).sum()
        y = y + s + pe.zeros(5, 4, dtype=pe.float64, device=device).index_add(0, idx([4, 0, 4], device), x).pow(2).sum()
        y = y + pe.where(m, x, x * 2).sum() + x.take(idx([11, 0, 5], device)).sum()
        y.backward()
        return x.grad
    want = grads("cpu")
    got = grads("cuda")
    assert got.device.type == "cuda"
    assert_same_as_cpu(got, want, rtol=1e-12, atol=1e-12)


# ---- device-side asserts ----

@pytest.mark.parametrize("op", [
    lambda x, d: x.gather(0, idx([[0, 5]], d)),
    lambda x, d: x.gather(1, idx([[-1, 0]], d)),
    lambda x, d: x.clone().scatter_(0, idx([[3, 0]], d), 1.0),
    lambda x, d: x.scatter_add(0, idx([[0, 9]], d), x),
    lambda x, d: x.index_select(0, idx([0, 3], d)),
    lambda x, d: x.index_add(0, idx([7], d), x[:1]),
    lambda x, d: x.index_copy(0, idx([-1], d), x[:1]),
    lambda x, d: x.index_fill(1, idx([4], d), 0.0),
    lambda x, d: x.take(idx([12], d)),
    lambda x, d: x[idx([0, 3], d)],
    lambda x, d: x[:, idx([-5], d)],
    lambda x, d: pe.nn.functional.embedding(idx([1, 3], d), x),
    lambda x, d: x.clone().index_put_((idx([4], d),), pe.tensor(1.0, device=d)),
    lambda x, d: x.clone().index_put_((idx([0], d), idx([-5], d)), pe.tensor(1.0, device=d), accumulate=True),
], ids=["gather", "gather_neg", "scatter", "scatter_add", "index_select", "index_add", "index_copy", "index_fill",
        "take", "index", "index_neg", "embedding", "index_put", "index_put_accumulate"])
def test_out_of_range_raises_at_the_next_sync(op):
    x = pe.arange(12.0).reshape(3, 4)
    with pytest.raises((IndexError, RuntimeError)):  # the CPU checks on the host, right away
        op(x, "cpu")
    xc = x.cuda()
    y = op(xc, "cuda")  # no host sync: the kernel records the failure
    with pytest.raises(RuntimeError, match=r"device-side assert triggered: index -?\d+ is out of bounds .* size \d"):
        pe.cuda.synchronize()
    pe.cuda.synchronize()  # reported once, then the device is usable again
    assert y.device.type == "cuda"
    op(xc, "cuda")
    with pytest.raises(RuntimeError, match="device-side assert triggered"):
        y.cpu()  # a copy to the host is a synchronization point too
    assert (xc + 1).sum().item() == 78.0


def test_in_range_indices_never_report():
    x = pe.arange(12.0, device="cuda").reshape(3, 4)
    x.gather(1, idx([[-0, 3]], "cuda"))
    x[idx([-3, 2], "cuda")]
    x.take(idx([-12, 11], "cuda"))
    x.index_fill(1, idx([-4], "cuda"), 1.0)
    pe.cuda.synchronize()
    assert x.sum().item() == 66.0


# ---- mixed devices ----

@pytest.mark.parametrize("op", [
    lambda a, b: a.gather(0, b.long()),
    lambda a, b: a.index_select(0, b.long().reshape(-1)[:2]),
    lambda a, b: a.masked_fill(b > 0, 1.0),
    lambda a, b: a.masked_select(b > 0),
    lambda a, b: pe.cat([a, b]),
    lambda a, b: pe.stack([a, b]),
    lambda a, b: a.scatter_add(0, b.long().clamp(0, 2), a),
    lambda a, b: a.index_add(0, b.long().reshape(-1)[:3] % 3, a),
    lambda a, b: a.index_fill(0, b.long().reshape(-1)[:1], 2.0),
    lambda a, b: a.index_copy(0, b.long().reshape(-1)[:3] % 3, a),
    lambda a, b: a.take(b.long()),
    lambda a, b: pe.where(b > 0, a, a),
    lambda a, b: a * b,
], ids=["gather", "index_select", "masked_fill", "masked_select", "cat", "stack", "scatter_add", "index_add",
        "index_fill", "index_copy", "take", "where", "mul"])
def test_mixed_devices_raise(op):
    a = pe.ones(3, 4, device="cuda")
    b = pe.zeros(3, 4)
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but found at least two "
                                           "devices, (cuda:0 and cpu|cpu and cuda:0)!"):
        op(a, b)


def test_cpu_scalars_mix_with_cuda():
    a = pe.arange(6.0, device="cuda").reshape(2, 3)
    assert_same_as_cpu(a * pe.tensor(2.0), pe.arange(6.0).reshape(2, 3) * 2)
    assert_same_as_cpu(pe.where(a > 2, a, pe.tensor(0.0)), pe.where(a.cpu() > 2, a.cpu(), pe.tensor(0.0)))
    assert_same_as_cpu(a.masked_fill(a > 2, pe.tensor(-1.0)), a.cpu().masked_fill(a.cpu() > 2, -1.0))
    assert_same_as_cpu(a + 1.5, a.cpu() + 1.5)
