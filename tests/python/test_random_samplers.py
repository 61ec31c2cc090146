"""torch.multinomial and Tensor.exponential_/geometric_/log_normal_/cauchy_: distributions (statistically, fixed
seeds, generous bounds), shapes, dtypes, generator= and PyTorch's errors."""
import math

import numpy as np
import pytest

import pyengine as pe
from pe_testing import assert_raises_like_torch

torch = pytest.importorskip("torch")


def test_multinomial_with_replacement_frequencies():
    pe.manual_seed(0)
    w = np.array([[1.0, 2.0, 0.0, 7.0], [5.0, 5.0, 0.0, 0.0]])
    s = pe.multinomial(pe.tensor(w), 20000, replacement=True)
    assert s.dtype == pe.int64 and tuple(s.shape) == (2, 20000)
    a = s.numpy()
    freq = np.stack([(a == k).mean(1) for k in range(4)], 1)
    np.testing.assert_allclose(freq, w / w.sum(1, keepdims=True), atol=0.015)
    assert tuple(pe.multinomial(pe.tensor([0.2, 0.8]), 3, True).shape) == (3,)
    assert tuple(pe.tensor([0.2, 0.8]).multinomial(3, True).shape) == (3,)


def test_multinomial_without_replacement():
    pe.manual_seed(1)
    w = pe.tensor([[0.1, 0.2, 0.3, 0.4]] * 4000)
    s = pe.multinomial(w, 4).numpy()
    assert all(sorted(r) == [0, 1, 2, 3] for r in s[:50])  # a permutation per row
    first = np.bincount(s[:, 0], minlength=4) / len(s)
    np.testing.assert_allclose(first, [0.1, 0.2, 0.3, 0.4], atol=0.03)
    # second draw: P(second = j) = sum_i p_i p_j / (1 - p_i)
    p = np.array([0.1, 0.2, 0.3, 0.4])
    want2 = np.array([sum(p[i] * p[j] / (1 - p[i]) for i in range(4) if i != j) for j in range(4)])
    np.testing.assert_allclose(np.bincount(s[:, 1], minlength=4) / len(s), want2, atol=0.03)
    zero = pe.multinomial(pe.tensor([0.0, 1.0, 0.0, 1.0]), 2).numpy()
    assert sorted(zero.tolist()) == [1, 3]


def test_multinomial_generator_and_errors():
    g = pe.Generator().manual_seed(5)
    a = pe.multinomial(pe.ones(10), 4, generator=g)
    g.manual_seed(5)
    b = pe.multinomial(pe.ones(10), 4, generator=g)
    assert a.tolist() == b.tolist()
    for fn in (lambda m: m.multinomial(m.ones(3), 0), lambda m: m.multinomial(m.ones(3, 3, 3), 1),
               lambda m: m.multinomial(m.ones(3, dtype=m.long), 1), lambda m: m.multinomial(m.ones(3), 4),
               lambda m: m.multinomial(m.tensor([1.0, -1.0]), 1),
               lambda m: m.multinomial(m.tensor([1.0, float("nan")]), 1),
               lambda m: m.multinomial(m.zeros(3), 1, True)):
        assert_raises_like_torch(RuntimeError, fn)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_exponential_log_normal_cauchy(dtype):
    pe.manual_seed(2)
    dt = getattr(pe, dtype)
    x = pe.empty(60000, dtype=dt).exponential_(2.0)
    assert x.dtype == dt and bool((x >= 0).all())
    assert abs(float(x.mean()) - 0.5) < 0.01 and abs(float(x.var()) - 0.25) < 0.01
    y = pe.empty(60000, dtype=dt).log_normal_(0.5, 0.4)
    want_mean = math.exp(0.5 + 0.08)
    assert abs(float(y.mean()) - want_mean) < 0.02 and bool((y > 0).all())
    np.testing.assert_allclose(float(y.log().std()), 0.4, atol=0.01)
    c = pe.empty(60000, dtype=dt).cauchy_(1.0, 2.0).double()
    med = float(c.median())
    q1, q3 = np.quantile(c.numpy(), [0.25, 0.75])
    assert abs(med - 1.0) < 0.06 and abs(q1 - (-1.0)) < 0.1 and abs(q3 - 3.0) < 0.1


@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_geometric(dtype):
    pe.manual_seed(3)
    x = pe.empty(60000, dtype=getattr(pe, dtype)).geometric_(0.3)
    a = x.double().numpy()
    assert a.min() >= 1 and np.all(a == np.floor(a))
    assert abs(a.mean() - 1 / 0.3) < 0.05
    np.testing.assert_allclose((a == 1).mean(), 0.3, atol=0.01)


def test_samplers_in_place_generator_and_errors():
    t = pe.empty(2, 3)
    assert t.exponential_() is t
    g = pe.Generator().manual_seed(9)
    a = pe.empty(5).cauchy_(generator=g).tolist()
    g.manual_seed(9)
    assert pe.empty(5).cauchy_(generator=g).tolist() == a
    s = pe.empty(4, 4)[:, ::2]  # non-contiguous
    s.exponential_()
    assert bool((s > 0).all())
    for fn in (lambda m: m.empty(3).exponential_(-1), lambda m: m.empty(3).geometric_(1.5),
               lambda m: m.empty(3).log_normal_(1, -1), lambda m: m.empty(3).cauchy_(0, -1),
               lambda m: m.empty(3, dtype=m.long).exponential_()):
        assert_raises_like_torch(RuntimeError, fn)
