"""out= on the factories (full, eye, arange, linspace, randint, randperm, zeros, ones, empty, rand, randn,
normal) and the one out= implementation every op shares (Note [out= arguments], csrc/ops/out.h): results,
dtype rules, resizing and its warnings, autograd refusal, all compared with PyTorch."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import pyengine as pe

torch = pytest.importorskip("torch")

# (name, call(module, out)) with deterministic values
DETERMINISTIC = [
    ("full", lambda M, o: M.full((2, 3), 7, out=o)),
    ("eye", lambda M, o: M.eye(2, 3, out=o)),
    ("arange", lambda M, o: M.arange(6, out=o)),
    ("arange3", lambda M, o: M.arange(1, 12, 2, out=o)),
    ("linspace", lambda M, o: M.linspace(0, 1, 6, out=o)),
    ("zeros", lambda M, o: M.zeros(2, 3, out=o)),
    ("ones", lambda M, o: M.ones((2, 3), out=o)),
]


def _warnings_of(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = fn()
    return r, [str(x.message).split(" (Triggered internally")[0] for x in w]


def _like(M, t, dtype):
    return M.empty(t, dtype=getattr(M, dtype))


@pytest.mark.parametrize("name,call", DETERMINISTIC, ids=[d[0] for d in DETERMINISTIC])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32"])
@pytest.mark.parametrize("shape", [(6,), (2, 3), (0,), (3, 2)])
def test_factory_writes_into_out_like_torch(name, call, dtype, shape):
    if name == "linspace" and dtype.startswith("int"):
        shape = (6,)
    o_pe, o_t = _like(pe, shape, dtype), _like(torch, shape, dtype)
    r_t, w_t = _warnings_of(lambda: call(torch, o_t))
    r_pe, w_pe = _warnings_of(lambda: call(pe, o_pe))
    assert r_pe is o_pe and r_t is o_t
    assert o_pe.dtype == getattr(pe, dtype) and tuple(o_pe.shape) == tuple(o_t.shape)
    np.testing.assert_allclose(o_pe.numpy(), o_t.numpy(), rtol=1e-6)
    assert w_pe == w_t


def test_out_keeps_strides_of_a_matching_out():
    o = pe.zeros(3, 2).t()
    r = pe.full((2, 3), 5.0, out=o)
    assert r is o and o.stride() == (1, 2) and o.tolist() == [[5.0] * 3] * 2
    o = pe.zeros(3, 3).t()
    pe.eye(3, out=o)
    assert o.stride() == (1, 3) and o.tolist() == np.eye(3).tolist()


@pytest.mark.parametrize("call", [
    lambda M, o: M.full((3,), 1.0, dtype=M.float64, out=o),
    lambda M, o: M.arange(3, dtype=M.int64, out=o),
    lambda M, o: M.eye(2, dtype=M.float64, out=o),
    lambda M, o: M.linspace(0, 1, 3, dtype=M.float64, out=o),
    lambda M, o: M.randint(0, 5, (3,), dtype=M.int64, out=o),
    lambda M, o: M.randperm(3, dtype=M.int64, out=o),
    lambda M, o: M.zeros(3, dtype=M.float64, out=o),
    lambda M, o: M.rand(3, dtype=M.float64, out=o),
    lambda M, o: M.normal(0.0, 1.0, (3,), dtype=M.float64, out=o),
])
def test_dtype_that_differs_from_out_raises_like_torch(call):
    with pytest.raises(RuntimeError) as e_t:
        call(torch, torch.empty(3))
    with pytest.raises(RuntimeError) as e_pe:
        call(pe, pe.empty(3))
    assert str(e_pe.value) == str(e_t.value)


def test_random_factories_into_out():
    g = pe.Generator().manual_seed(3)
    o = pe.empty(5, dtype=pe.int32)
    r = pe.randint(10, (4,), out=o, generator=g)
    assert r is o and o.dtype == pe.int32 and o.shape == (4,) and all(0 <= v < 10 for v in o.tolist())
    ref = pe.randint(10, (4,), generator=pe.Generator().manual_seed(3))
    assert o.tolist() == ref.tolist()
    o = pe.empty(0, dtype=pe.int16)
    pe.randperm(6, out=o)
    assert o.dtype == pe.int16 and sorted(o.tolist()) == list(range(6))
    o = pe.empty(2, 2, dtype=pe.float64)
    pe.rand(3, out=o, generator=pe.Generator().manual_seed(1))
    assert o.shape == (3,) and o.dtype == pe.float64
    assert o.tolist() == pe.rand(3, dtype=pe.float64, generator=pe.Generator().manual_seed(1)).tolist()
    o = pe.empty(4, dtype=pe.float64)
    pe.randn(4, out=o, generator=pe.Generator().manual_seed(2))
    assert o.tolist() == pe.randn(4, dtype=pe.float64, generator=pe.Generator().manual_seed(2)).tolist()
    o = pe.empty(3)
    r = pe.normal(2.0, 0.5, (3,), out=o, generator=pe.Generator().manual_seed(4))
    assert r is o and o.tolist() == pe.normal(2.0, 0.5, (3,), generator=pe.Generator().manual_seed(4)).tolist()
    o = pe.empty(3, dtype=pe.float64)
    pe.normal(pe.zeros(3), 1.0, out=o)
    assert o.dtype == pe.float64


def test_float_random_into_integer_out_refused_like_torch():
    for M in (torch, pe):
        with pytest.raises(NotImplementedError):
            M.rand(3, out=M.empty(3, dtype=M.int64))
        with pytest.raises(NotImplementedError):
            M.randn(3, out=M.empty(3, dtype=M.int64))


def test_out_that_requires_grad_is_refused_like_torch():
    for name, call in [("zeros", lambda M, x: M.zeros(3, out=x)), ("full", lambda M, x: M.full((3,), 2.0, out=x)),
                       ("add", lambda M, x: M.add(M.ones(3), 1, out=x))]:
        msgs = []
        for M in (torch, pe):
            x = M.ones(3, requires_grad=True)
            with pytest.raises(RuntimeError, match="out=... arguments don't support automatic differentiation") as e:
                call(M, x)
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1], name
        with pe.no_grad():  # allowed without grad mode, as in PyTorch
            x = pe.ones(3, requires_grad=True)
            pe.zeros(3, out=x)
            assert x.tolist() == [0.0] * 3


def test_out_and_generator_are_not_silently_dropped():
    with pytest.raises(TypeError, match="unexpected keyword argument 'generator'"):
        pe.zeros(2, generator=pe.Generator())
    with pytest.raises(TypeError, match="unexpected keyword argument 'generator'"):
        pe.full((2,), 1.0, generator=pe.Generator())
    with pytest.raises(TypeError, match="argument 'out' must be Tensor"):
        pe.full((2,), 1.0, out=[1, 2])
    with pytest.raises(TypeError, match="argument 'generator' must be torch.Generator"):
        pe.rand(2, generator=5)


def test_resize_warning_of_structured_ops_like_torch():
    """Elementwise, reductions, linear algebra and selection ops resize a non-empty out with PyTorch's
    deprecation warning; an empty out resizes silently."""
    calls = [
        lambda M, o: M.add(M.ones(4), 1, out=o),
        lambda M, o: M.sum(M.ones(2, 4), 0, out=o),
        lambda M, o: M.mm(M.ones(2, 2), M.ones(2, 2), out=o),
        lambda M, o: M.gather(M.ones(4), 0, M.zeros(4, dtype=M.int64), out=o),
        lambda M, o: M.exp(M.ones(4), out=o),
    ]
    for call in calls:
        for shape in [(3,), (0,)]:
            _, w_t = _warnings_of(lambda: call(torch, torch.empty(shape)))
            o = pe.empty(shape)
            r, w_pe = _warnings_of(lambda: call(pe, o))
            assert r is o and w_pe == w_t


def test_out_dtype_errors_like_torch():
    calls = [
        lambda M: M.add(M.ones(2), 1, out=M.empty(2, dtype=M.int64)),
        lambda M: M.gather(M.ones(2), 0, M.zeros(2, dtype=M.int64), out=M.empty(2, dtype=M.int64)),
        lambda M: M.mm(M.ones(2, 2), M.ones(2, 2), out=M.empty(2, 2, dtype=M.float64)),
    ]
    for call in calls:
        with pytest.raises(Exception) as e_t:
            call(torch)
        with pytest.raises(Exception) as e_pe:
            call(pe)
        assert type(e_pe.value) is type(e_t.value)
        assert str(e_pe.value).split(" (Triggered")[0].endswith(str(e_t.value).split(": ")[-1])
