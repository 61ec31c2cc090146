"""memory_format= (contiguous_format, preserve_format, channels_last, channels_last_3d) is honoured by
contiguous, clone, to, empty, the *_like factories and Module.to, and is_contiguous(memory_format=...)
answers as PyTorch: the strides of every result are compared with torch's on the same layouts."""
import copy
import pickle

import numpy as np
import pytest

import pyengine as pe
from pyengine import nn

torch = pytest.importorskip("torch")

FORMATS = ["contiguous_format", "preserve_format", "channels_last", "channels_last_3d"]

# (shape, how to lay it out): contiguous, channels-last, a transpose, a strided slice, size-1 and size-0 dims
LAYOUTS = {
    "contig4": ((2, 3, 4, 5), lambda m, x: x),
    "cl4": ((2, 3, 4, 5), lambda m, x: x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)),
    "transposed4": ((2, 3, 4, 5), lambda m, x: x.transpose(2, 3)),
    "sliced_cl4": ((2, 3, 4, 6), lambda m, x: x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)[..., ::2]),
    "sliced4": ((2, 3, 4, 6), lambda m, x: x[:, :, :, ::2]),
    "c1_cl4": ((2, 1, 4, 5), lambda m, x: x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)),
    "hw1_4": ((3, 4, 1, 1), lambda m, x: x),
    "empty4": ((2, 0, 3, 3), lambda m, x: x),
    "contig5": ((2, 3, 2, 3, 4), lambda m, x: x),
    "cl5": ((2, 3, 2, 3, 4), lambda m, x: x.permute(0, 2, 3, 4, 1).contiguous().permute(0, 4, 1, 2, 3)),
    "matrix_t": ((3, 4), lambda m, x: x.t()),
    "vector": ((5,), lambda m, x: x),
    "scalar": ((), lambda m, x: x),
    "expanded": ((3, 1), lambda m, x: x.expand(3, 4)),
}


def _pair(layout):
    shape, lay = LAYOUTS[layout]
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    return lay(pe, pe.tensor(a)), lay(torch, torch.tensor(a))


def _same(ours, theirs):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.stride() == theirs.stride(), (ours.stride(), theirs.stride())
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


def _both(fn):
    """fn(module, fmt_name) for pyengine and torch: the results, or the exception classes when torch raises."""
    try:
        theirs = fn(torch)
    except Exception as e:  # torch refuses: so must we, with the same class
        with pytest.raises(type(e)):
            fn(pe)
        return None, None
    return fn(pe), theirs


def test_memory_format_objects():
    for name in FORMATS:
        f = getattr(pe, name)
        assert isinstance(f, pe.memory_format)
        assert repr(f) == repr(getattr(torch, name)) == "torch." + name
        assert pickle.loads(pickle.dumps(f)) is f
        assert copy.deepcopy(f) is f


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_is_contiguous_memory_format(layout, fmt):
    x, tx = _pair(layout)
    ours, theirs = _both(lambda m: (x if m is pe else tx).is_contiguous(memory_format=getattr(m, fmt)))
    assert ours == theirs


@pytest.mark.parametrize("op", ["contiguous", "clone", "to", "empty_like", "zeros_like", "ones_like", "rand_like",
                                "full_like", "randint_like", "to_float64", "cpu", "float"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_result_strides_match_torch(layout, fmt, op):
    x, tx = _pair(layout)

    def run(m):
        t = x if m is pe else tx
        f = getattr(m, fmt)
        if op in ("contiguous", "clone", "cpu", "float"):
            return getattr(t, op)(memory_format=f)
        if op == "to":
            return t.to(memory_format=f)
        if op == "to_float64":
            return t.to(m.float64, memory_format=f)
        if op == "full_like":
            return m.full_like(t, 7.0, memory_format=f)
        if op == "randint_like":
            return m.randint_like(t, 3, 9, memory_format=f)
        return getattr(m, op)(t, memory_format=f)

    ours, theirs = _both(run)
    if theirs is None:
        return
    assert tuple(ours.shape) == tuple(theirs.shape) and ours.dtype == getattr(pe, str(theirs.dtype)[6:])
    assert ours.stride() == theirs.stride(), (ours.stride(), theirs.stride())
    if op in ("contiguous", "clone", "to", "to_float64", "cpu", "float"):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        # the same object back exactly when torch returns its input
        assert (ours is x) == (theirs is tx)
    if op == "full_like":
        assert (ours.numpy() == 7).all()
    if op == "randint_like" and ours.numel():
        v = ours.numpy()
        assert v.min() >= 3 and v.max() < 9


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (2, 1, 4, 4), (2, 0, 4, 4), (1, 3, 1, 1), (2, 3, 2, 3, 4), (3, 4)])
def test_empty_memory_format_strides(shape, fmt):
    ours, theirs = _both(lambda m: m.empty(*shape, memory_format=getattr(m, fmt)))
    if theirs is not None:
        assert ours.stride() == theirs.stride()
        assert ours.is_contiguous(memory_format=pe.channels_last) == theirs.is_contiguous(
            memory_format=torch.channels_last)


def test_empty_memory_format_keeps_requires_grad_and_dtype():
    t = pe.empty(2, 3, 4, 5, dtype=pe.float64, requires_grad=True, memory_format=pe.channels_last)
    assert t.requires_grad and t.is_leaf and t.dtype == pe.float64
    assert t.stride() == torch.empty(2, 3, 4, 5, memory_format=torch.channels_last).stride()


@pytest.mark.parametrize("call", [
    lambda m: m.ones(2, 3, 4, 5).contiguous(memory_format="channels_last"),
    lambda m: m.ones(2, 3, 4, 5).clone(memory_format=m.float32),
    lambda m: m.ones(2, 3, 4, 5).is_contiguous(memory_format=1),
    lambda m: m.empty_like(m.ones(2), memory_format="x"),
    lambda m: m.zeros(2, 3, 4, 5, memory_format=m.channels_last),
    lambda m: m.ones(2, 3, 4, 5, memory_format=m.channels_last),
    lambda m: m.full((2, 3, 4, 5), 1.0, memory_format=m.channels_last),
], ids=["str", "dtype", "int", "like_str", "zeros", "ones", "full"])
def test_bad_memory_format_raises_type_error(call):
    with pytest.raises(TypeError):
        call(torch)
    with pytest.raises(TypeError):
        call(pe)


def test_clone_channels_last_gradient_flows():
    a = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
    x, tx = pe.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    for t, m in ((x, pe), (tx, torch)):
        y = t.clone(memory_format=m.channels_last)
        z = y.contiguous(memory_format=m.contiguous_format)
        (z * m.arange(120.0).reshape(2, 3, 4, 5)).sum().backward()
        assert type(y.grad_fn).__name__ == "CloneBackward0"
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_channels_last_result_feeds_ops():
    a = np.random.default_rng(1).standard_normal((2, 3, 5, 5)).astype(np.float32)
    w = np.random.default_rng(2).standard_normal((4, 3, 3, 3)).astype(np.float32)
    x = pe.tensor(a).contiguous(memory_format=pe.channels_last)
    tx = torch.tensor(a).contiguous(memory_format=torch.channels_last)
    ours = pe.nn.functional.conv2d(x, pe.tensor(w)) + x.sum()
    theirs = torch.nn.functional.conv2d(tx, torch.tensor(w)) + tx.sum()
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-5)


def test_module_to_memory_format_keeps_parameters():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(),
                             torch.nn.Linear(4 * 3 * 3, 2))
    m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4 * 3 * 3, 2))
    params = list(m.parameters())
    assert m.to(memory_format=pe.channels_last) is m
    tm.to(memory_format=torch.channels_last)
    assert list(m.parameters()) == params and all(a is b for a, b in zip(m.parameters(), params))
    for (n, p), (tn, tp) in zip(m.named_parameters(), tm.named_parameters()):
        assert n == tn and p.stride() == tp.stride(), (n, p.stride(), tp.stride())
        assert isinstance(p, nn.Parameter)
    assert m[0].weight.is_contiguous(memory_format=pe.channels_last)
    with pytest.raises(RuntimeError):  # a 4-d weight cannot be channels_last_3d (torch raises too)
        nn.Conv2d(3, 4, 3).to(memory_format=pe.channels_last_3d)
    with pytest.raises(RuntimeError):
        torch.nn.Conv2d(3, 4, 3).to(memory_format=torch.channels_last_3d)
