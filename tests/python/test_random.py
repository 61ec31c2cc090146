"""Random factories and in-place samplers: ranges, moments, seeding, shapes and dtypes."""
import numpy as np
import pytest

import pyengine as pe
from pe_testing import FLOAT_NAMES, assert_raises_like_torch, pe_dtype, to_np

N = 100_000


def vals(t):
    return to_np(t).astype(np.float64).ravel()


@pytest.mark.parametrize("name", FLOAT_NAMES)
def test_rand_range_and_moments(name, seeded):
    x = pe.rand(N, dtype=pe_dtype(name))
    assert x.dtype is pe_dtype(name) and x.shape == (N,)
    v = vals(x)
    assert v.min() >= 0.0
    assert v.max() < 1.0 or name in ("float16", "bfloat16")  # low-precision rounding may reach 1.0
    assert v.max() <= 1.0
    assert abs(v.mean() - 0.5) < 0.01
    assert abs(v.var() - 1 / 12) < 0.005
    assert len(np.unique(v)) > (50 if name in ("float16", "bfloat16") else N // 2)


def test_rand_float32_strictly_below_one(seeded):
    v = pe.rand(4 * N).numpy()
    assert v.max() < 1.0 and v.min() >= 0.0


@pytest.mark.parametrize("name", FLOAT_NAMES)
def test_randn_moments(name, seeded):
    x = pe.randn(N, dtype=pe_dtype(name))
    assert x.dtype is pe_dtype(name)
    v = vals(x)
    assert abs(v.mean()) < 0.02
    assert abs(v.std() - 1.0) < 0.02
    assert np.isfinite(v).all()
    # rough shape: about 68% within one std
    assert abs(np.mean(np.abs(v) < 1.0) - 0.6827) < 0.01


def test_randn_default_dtype_follows_setting(seeded):
    pe.set_default_dtype(pe.float64)
    assert pe.randn(3).dtype is pe.float64
    assert pe.rand(3).dtype is pe.float64


@pytest.mark.parametrize("fn", [
    lambda: pe.rand(1000), lambda: pe.randn(1000), lambda: pe.randint(0, 100, (1000,)), lambda: pe.randperm(100),
    lambda: pe.normal(0.0, 1.0, (1000,)), lambda: pe.empty(1000).uniform_(-1, 1),
    lambda: pe.empty(1000).normal_(2, 3), lambda: pe.rand(10, 10, dtype=pe.float64),
    lambda: pe.rand_like(pe.zeros(7, 9)), lambda: pe.randint_like(pe.zeros(50), 5, 9),
    lambda: pe.normal(pe.zeros(100), pe.ones(100)),
], ids=["rand", "randn", "randint", "randperm", "normal", "uniform_", "normal_", "rand_f64", "rand_like",
        "randint_like", "normal_tensors"])
def test_manual_seed_reproducible(fn):
    pe.manual_seed(42)
    a = fn().tolist()
    b = fn().tolist()
    pe.manual_seed(42)
    c = fn().tolist()
    d = fn().tolist()
    assert a == c
    assert b == d
    assert a != b
    pe.manual_seed(43)
    assert fn().tolist() != a


def test_manual_seed_initial_seed():
    pe.manual_seed(2024)
    assert pe.initial_seed() == 2024
    pe.manual_seed(7)
    assert pe.initial_seed() == 7


def test_seed_sequence_independent_of_chunking():
    # same seed, same number of draws -> same values, whatever the sizes of earlier tensors
    pe.manual_seed(5)
    a = pe.rand(10)
    pe.manual_seed(5)
    b = pe.rand(10)
    assert a.tolist() == b.tolist()


def test_rand_noncontiguous_target_fills_only_view(seeded):
    base = pe.zeros(8, 8)
    base.t()[::2].uniform_(5.0, 6.0)
    v = base.numpy()
    assert (v[:, ::2] >= 5.0).all()
    assert (v[:, 1::2] == 0.0).all()


@pytest.mark.parametrize("args,kwargs,low,high", [
    ((10, (N,)), {}, 0, 10),
    ((-5, 5, (N,)), {}, -5, 5),
    ((3, 4, (1000,)), {}, 3, 4),
    ((0, 2 ** 40, (1000,)), {}, 0, 2 ** 40),
    ((), {"low": 2, "high": 6, "size": (1000,)}, 2, 6),
    ((6,), {"size": (1000,)}, 0, 6),
])
def test_randint_bounds(args, kwargs, low, high, seeded):
    x = pe.randint(*args, **kwargs)
    assert x.dtype is pe.int64
    v = x.numpy()
    assert v.min() >= low and v.max() < high
    if high - low <= 10:
        assert set(np.unique(v).tolist()) == set(range(low, high))
    if high - low == 10 and v.size == N:
        counts = np.bincount(v - low)
        assert counts.min() > N / 10 * 0.9


@pytest.mark.parametrize("name", ["int32", "int16", "uint8", "int8", "float32", "float64"])
def test_randint_dtype(name, seeded):
    x = pe.randint(0, 5, (2000,), dtype=pe_dtype(name))
    assert x.dtype is pe_dtype(name)
    v = vals(x)
    assert v.min() >= 0 and v.max() <= 4
    assert set(np.unique(v).tolist()) == {0, 1, 2, 3, 4}


def test_randint_shapes():
    assert pe.randint(3, (2, 3)).shape == (2, 3)
    assert pe.randint(3, ()).shape == ()
    assert pe.randint(3, (0,)).shape == (0,)


@pytest.mark.parametrize("n", [0, 1, 2, 10, 1000, 20000])
def test_randperm_is_permutation(n, seeded):
    p = pe.randperm(n)
    assert p.dtype is pe.int64
    assert p.shape == (n,)
    np.testing.assert_array_equal(np.sort(p.numpy()), np.arange(n))
    if n >= 10:
        assert not np.array_equal(p.numpy(), np.arange(n))


def test_randperm_dtype():
    p = pe.randperm(50, dtype=pe.int32)
    assert p.dtype is pe.int32
    assert sorted(p.tolist()) == list(range(50))
    q = pe.randperm(5, dtype=pe.float32)
    assert sorted(q.tolist()) == [0.0, 1.0, 2.0, 3.0, 4.0]


# ---------------------------------------------------------------------------------------------
# normal: four forms
# ---------------------------------------------------------------------------------------------

def test_normal_float_float_size(seeded):
    x = pe.normal(2.0, 3.0, (N,))
    assert x.shape == (N,) and x.dtype is pe.float32
    v = vals(x)
    assert abs(v.mean() - 2.0) < 0.05 and abs(v.std() - 3.0) < 0.05
    y = pe.normal(0.0, 1.0, size=(2, 3), dtype=pe.float64)
    assert y.shape == (2, 3) and y.dtype is pe.float64


def test_normal_tensor_tensor(seeded):
    mean = pe.tensor([0.0, 10.0, -5.0]).view(3, 1).expand(3, N // 10)
    std = pe.tensor([1.0, 0.1, 2.0]).view(3, 1).expand(3, N // 10)
    x = pe.normal(mean, std)
    assert x.shape == (3, N // 10)
    v = x.numpy().astype(np.float64)
    np.testing.assert_allclose(v.mean(axis=1), [0.0, 10.0, -5.0], atol=0.05)
    np.testing.assert_allclose(v.std(axis=1), [1.0, 0.1, 2.0], rtol=0.05)


def test_normal_tensor_mean_float_std(seeded):
    mean = pe.arange(4.0).view(4, 1).expand(4, 20000).contiguous()
    x = pe.normal(mean, 0.5)
    assert x.shape == (4, 20000) and x.dtype is pe.float32
    v = x.numpy().astype(np.float64)
    np.testing.assert_allclose(v.mean(axis=1), [0, 1, 2, 3], atol=0.02)
    np.testing.assert_allclose(v.std(axis=1), 0.5, rtol=0.05)


def test_normal_float_mean_tensor_std(seeded):
    std = pe.tensor([0.5, 2.0], dtype=pe.float64).view(2, 1).expand(2, 20000)
    x = pe.normal(1.0, std)
    assert x.shape == (2, 20000) and x.dtype is pe.float64
    v = x.numpy()
    np.testing.assert_allclose(v.mean(axis=1), [1.0, 1.0], atol=0.05)
    np.testing.assert_allclose(v.std(axis=1), [0.5, 2.0], rtol=0.05)


def test_normal_zero_std_gives_mean(seeded):
    x = pe.normal(pe.tensor([1.0, 2.0, 3.0]), pe.zeros(3))
    assert x.tolist() == [1.0, 2.0, 3.0]


def test_normal_out(seeded):
    out = pe.empty(0)
    r = pe.normal(0.0, 1.0, (5,), out=out)
    assert r is out and out.shape == (5,)


@pytest.mark.parametrize("call", [
    lambda m: m.normal(0.0, -1.0, (3,)),
    lambda m: m.normal(m.zeros(3), -1.0),
    lambda m: m.empty(3).normal_(0.0, -1.0),
], ids=["floats", "tensor_mean", "normal_"])
def test_normal_negative_std(call):
    assert_raises_like_torch(RuntimeError, call)


def test_uniform_bad_range():
    assert_raises_like_torch(RuntimeError, lambda m: m.ones(3).uniform_(1, 0))


@pytest.mark.parametrize("call", [
    lambda m: m.randint(5, 2, (3,)), lambda m: m.randint(0, (3,)), lambda m: m.randperm(-1),
], ids=["low_ge_high", "high_zero", "randperm_neg"])
def test_random_bad_args(call):
    assert_raises_like_torch(RuntimeError, call)


def test_random_on_int_tensor_bad():
    # PyTorch: '"normal_kernel_cpu" not implemented for 'Long'' (NotImplementedError)
    assert_raises_like_torch(NotImplementedError, lambda m: m.zeros(3, dtype=m.int64).normal_())
    assert_raises_like_torch(NotImplementedError, lambda m: m.zeros(3, dtype=m.int64).uniform_())
