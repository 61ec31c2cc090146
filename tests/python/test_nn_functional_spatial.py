"""The spatial nn.functional ops written over conv2d and index ops (conv1d/3d, the transposed convs, the pad
modes, interpolate, grid_sample, affine_grid, fold/unfold, 1-D/3-D/adaptive/lp/fractional pooling, max_unpool)
and the remaining losses, against PyTorch: values and gradients in float32 and float64, contiguous and
non-contiguous inputs, batched and unbatched, and PyTorch's exception classes for bad arguments."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from nn_testing import pt, raises_like_torch, torch_mod

import pyengine as pe
import pyengine.nn as pnn
import pyengine.nn.functional as F

torch = torch_mod()
TF = torch.nn.functional

TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-9, atol=1e-11)}


def _inputs(shapes, dtype, seed, layout):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    tins = [torch.from_numpy(a.copy()).requires_grad_(True) for a in arrays]
    pins = [pt(a, layout if a.ndim >= 2 else "contiguous").requires_grad_(True) for a in arrays]
    return arrays, tins, pins


def _close(got, want, dtype):
    got = got.detach().numpy() if hasattr(got, "detach") else np.asarray(got)
    want = want.detach().numpy()
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), **TOL[dtype])


def check(name, shapes, kwargs=None, dtype=np.float64, layout="contiguous", seed=0, grad=True, args=()):
    """F.<name>(*inputs, *args, **kwargs) in both engines: the outputs and the gradients of every input."""
    kwargs = kwargs or {}
    _, tins, pins = _inputs(shapes, dtype, seed, layout)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = getattr(TF, name)(*tins, *args, **kwargs)
        got = getattr(F, name)(*pins, *args, **kwargs)
    if isinstance(want, tuple):
        for g, w in zip(got, want):
            if w.dtype == torch.int64:
                np.testing.assert_array_equal(g.numpy(), w.numpy())
            else:
                _close(g, w, dtype)
        got, want = got[0], want[0]
    else:
        _close(got, want, dtype)
    if not grad:
        return
    gout = np.random.default_rng(seed + 7).standard_normal(tuple(want.shape)).astype(dtype)
    want.backward(torch.from_numpy(gout))
    got.backward(pe.tensor(gout))
    for t, p in zip(tins, pins):
        _close(p.grad, t.grad, dtype)


DTYPES = [np.float32, np.float64]
LAYOUTS = ["contiguous", "transposed", "strided"]

# ---- convolutions ----

CONV = [
    ("conv1d", [(2, 4, 10), (6, 2, 3), (6,)], dict(groups=2, stride=2, padding=1, dilation=2)),
    ("conv1d", [(4, 9), (6, 4, 4)], dict(padding="same", dilation=2)),
    ("conv1d", [(2, 3, 9), (5, 3, 3)], dict(padding="valid")),
    ("conv3d", [(2, 4, 5, 6, 7), (6, 2, 3, 2, 3), (6,)], dict(groups=2, stride=(2, 1, 2), padding=(1, 0, 1),
                                                              dilation=(1, 2, 1))),
    ("conv3d", [(3, 5, 6, 7), (4, 3, 2, 2, 3)], dict(padding="same")),
    ("conv_transpose1d", [(2, 4, 5), (4, 3, 3), (6,)], dict(groups=2, stride=2, padding=1, output_padding=1)),
    ("conv_transpose2d", [(2, 4, 5, 4), (4, 3, 3, 2), (6,)], dict(groups=2, stride=(2, 3), padding=(1, 0),
                                                                  output_padding=(1, 2), dilation=(1, 2))),
    ("conv_transpose2d", [(3, 4, 4), (3, 2, 3, 3)], dict(stride=1, padding=2)),
    ("conv_transpose3d", [(2, 3, 4, 3, 5), (3, 2, 2, 3, 2)], dict(stride=2, padding=1, dilation=(2, 1, 1),
                                                                  output_padding=(1, 0, 1))),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
@pytest.mark.parametrize("case", CONV, ids=[f"{c[0]}-{i}" for i, c in enumerate(CONV)])
def test_conv(case, layout, dtype):
    name, shapes, kw = case
    check(name, shapes, kw, dtype, layout)


def test_conv_errors():
    raises_like_torch(RuntimeError, "Expected 2D \\(unbatched\\) or 3D \\(batched\\) input to conv1d",
                      lambda m: m.nn.functional.conv1d(m.randn(1, 2, 3, 4), m.randn(2, 2, 1)))
    raises_like_torch(RuntimeError, "expected input\\[1, 2, 3\\] to have 3 channels",
                      lambda m: m.nn.functional.conv1d(m.randn(1, 2, 3), m.randn(2, 3, 1)))
    raises_like_torch(RuntimeError, "Kernel size can't be greater than actual input size",
                      lambda m: m.nn.functional.conv1d(m.randn(1, 2, 3), m.randn(2, 2, 5)))
    raises_like_torch(RuntimeError, "padding='same' is not supported for strided convolutions",
                      lambda m: m.nn.functional.conv3d(m.randn(1, 2, 3, 3, 3), m.randn(2, 2, 1, 1, 1), stride=2,
                                                       padding="same"))
    raises_like_torch(RuntimeError, "non-positive stride is not supported",
                      lambda m: m.nn.functional.conv1d(m.randn(1, 2, 3), m.randn(2, 2, 1), stride=0))
    raises_like_torch(RuntimeError, "negative padding is not supported",
                      lambda m: m.nn.functional.conv3d(m.randn(1, 2, 3, 3, 3), m.randn(2, 2, 1, 1, 1), padding=-1))
    raises_like_torch(RuntimeError, "output padding must be smaller than either stride or dilation",
                      lambda m: m.nn.functional.conv_transpose1d(m.randn(1, 2, 3), m.randn(2, 2, 1),
                                                                 output_padding=1))
    raises_like_torch(RuntimeError, "Given transposed=1, weight of size \\[3, 2, 1\\]",
                      lambda m: m.nn.functional.conv_transpose1d(m.randn(1, 2, 3), m.randn(3, 2, 1)))
    raises_like_torch(RuntimeError, "Output size is too small",
                      lambda m: m.nn.functional.conv_transpose1d(m.randn(1, 2, 3), m.randn(2, 2, 3), padding=5))


# ---- padding ----

PADS = [((2, 3, 5), (2, 3)), ((3, 5, 4), (2, 1, -1, 3)), ((5, 4), (1, 3)), ((2, 3, 4, 5, 4), (1, 2, 0, 3, 2, 1)),
        ((3, 4, 5, 4), (3, -1, 2, 1, 1, 0)), ((1, 2, 5), (-1, 3))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular", "constant"])
@pytest.mark.parametrize("case", PADS)
def test_pad_modes(case, mode, layout, dtype):
    shape, p = case
    check("pad", [shape], dict(pad=p, mode=mode), dtype, layout)


def test_pad_errors():
    raises_like_torch(RuntimeError, "Padding size should be less than the corresponding input dimension",
                      lambda m: m.nn.functional.pad(m.randn(1, 2, 3), (3, 3), mode="reflect"))
    raises_like_torch(RuntimeError, "doesn't take in value argument",
                      lambda m: m.nn.functional.pad(m.randn(1, 2, 3), (1, 1), mode="reflect", value=1.0))
    raises_like_torch(NotImplementedError, "Padding size 2 is not supported for 1D input tensor",
                      lambda m: m.nn.functional.pad(m.randn(3), (1, 1), mode="replicate"))
    raises_like_torch(NotImplementedError, "Padding size 6 is not supported for 6D input tensor",
                      lambda m: m.nn.functional.pad(m.randn(1, 1, 1, 2, 2, 2), (1,) * 6, mode="circular"))
    raises_like_torch(RuntimeError, "Padding length must be divisible by 2",
                      lambda m: m.nn.functional.pad(m.randn(1, 2, 3), (1, 1, 1), mode="reflect"))
    raises_like_torch(RuntimeError, "wrapping around more than once",
                      lambda m: m.nn.functional.pad(m.randn(1, 2, 3), (4, 1), mode="circular"))
    raises_like_torch(NotImplementedError, "Unrecognised padding mode foo",
                      lambda m: m.nn.functional.pad(m.randn(1, 2, 3), (1, 1), mode="foo"))
    raises_like_torch(RuntimeError, "is too small",
                      lambda m: m.nn.functional.pad(m.randn(1, 2, 3), (-1, -2), mode="replicate"))


# ---- modules ----

def _copy_params(tmod, pmod):
    for (n, tp), (_, pp) in zip(tmod.named_parameters(), pmod.named_parameters()):
        with pe.no_grad():
            pp.copy_(pe.tensor(tp.detach().numpy()))


def check_module(tmod, pmod, shape, dtype=np.float64, seed=0, **fwd):
    """Same repr, parameter shapes; with the same parameters, the same output and input/parameter gradients."""
    assert repr(pmod) == repr(tmod)
    tmod, pmod = tmod.to(torch.float64 if dtype == np.float64 else torch.float32), pmod
    assert [tuple(p.shape) for p in pmod.parameters()] == [tuple(p.shape) for p in tmod.parameters()]
    if dtype == np.float64:
        pmod = pmod.double()
    _copy_params(tmod, pmod)
    _, (tx,), (px,) = _inputs([shape], dtype, seed, "transposed")
    want, got = tmod(tx, **fwd), pmod(px, **fwd)
    if isinstance(want, tuple):
        want, got = want[0], got[0]
    _close(got, want, dtype)
    gout = np.random.default_rng(seed + 1).standard_normal(tuple(want.shape)).astype(dtype)
    want.backward(torch.from_numpy(gout))
    got.backward(pe.tensor(gout))
    _close(px.grad, tx.grad, dtype)
    for tp, pp in zip(tmod.parameters(), pmod.parameters()):
        _close(pp.grad, tp.grad, dtype)


CONV_MODULES = [
    ("Conv1d", (4, 6, 3), dict(padding=1, padding_mode="reflect"), (2, 4, 9)),
    ("Conv1d", (4, 6, 4), dict(padding="same", padding_mode="circular", dilation=2), (4, 9)),
    ("Conv2d", (4, 6, 3), dict(padding=(1, 2), padding_mode="replicate", groups=2, bias=False), (2, 4, 7, 6)),
    ("Conv3d", (2, 4, (2, 3, 2)), dict(stride=(1, 2, 1), padding=1, padding_mode="circular"), (2, 2, 4, 5, 4)),
    ("Conv3d", (2, 4, 3), dict(padding="same"), (2, 4, 5, 4)),
    ("ConvTranspose1d", (4, 6, 3), dict(stride=2, output_padding=1, groups=2), (2, 4, 5)),
    ("ConvTranspose2d", (4, 3, (3, 2)), dict(stride=2, padding=1, dilation=(1, 2)), (4, 5, 4)),
    ("ConvTranspose3d", (2, 3, 2), dict(stride=(2, 1, 2), bias=False), (1, 2, 3, 3, 2)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CONV_MODULES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CONV_MODULES)])
def test_conv_modules(case, dtype):
    name, args, kw, shape = case
    check_module(getattr(torch.nn, name)(*args, **kw), getattr(pnn, name)(*args, **kw), shape, dtype)


def test_conv_transpose_output_size():
    t = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    p = pnn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    check_module(t, p, (1, 2, 4, 5), output_size=[8, 10])
    with pytest.raises(ValueError, match="requested an output size of"):
        p(pe.randn(1, 2, 4, 5), output_size=[12, 10])
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose1d'):
        pnn.ConvTranspose1d(2, 3, 3, padding_mode="reflect")


def test_conv_module_init_statistics():
    # kaiming_uniform_(a=sqrt(5)): weights in +-1/sqrt(fan_in); the transposed weight's fan_in is dim 1 * k.
    m = pnn.ConvTranspose3d(8, 4, 3, groups=2)
    assert tuple(m.weight.shape) == (8, 2, 3, 3, 3)
    bound = 1 / np.sqrt(2 * 27)
    assert float(m.weight.abs().max()) <= bound + 1e-7 and float(m.weight.abs().max()) > 0.8 * bound
    assert float(m.bias.abs().max()) <= bound + 1e-7


PAD_MODULES = [("ReflectionPad1d", (2,), (2, 3, 5)), ("ReflectionPad2d", ((1, 0, 2, 1),), (3, 4, 5)),
               ("ReflectionPad3d", (1,), (1, 2, 3, 4, 3)), ("ReplicationPad1d", ((1, 3),), (3, 4)),
               ("ReplicationPad2d", (2,), (1, 2, 3, 3)), ("ReplicationPad3d", ((1, 0, 2, 1, 0, 2),), (2, 3, 2, 3)),
               ("ZeroPad1d", ((1, 2),), (2, 3)), ("ZeroPad2d", (1,), (1, 2, 3, 3)), ("ZeroPad3d", (1,), (2, 2, 2, 2)),
               ("ConstantPad1d", (2, 3.5), (2, 3)), ("ConstantPad2d", ((1, 0, 2, 1), -1.0), (2, 3, 3)),
               ("ConstantPad3d", (1, 2.0), (1, 1, 2, 2, 2)), ("CircularPad1d", ((2, 1),), (2, 3, 4)),
               ("CircularPad2d", (1,), (2, 3, 3)), ("CircularPad3d", ((1, 0, 2, 1, 0, 2),), (1, 2, 3, 3, 3))]


@pytest.mark.parametrize("case", PAD_MODULES, ids=[c[0] for c in PAD_MODULES])
def test_pad_modules(case):
    name, args, shape = case
    tmod, pmod = getattr(torch.nn, name)(*args), getattr(pnn, name)(*args)
    assert isinstance(pmod, pnn.Module)
    if name.startswith("Zero"):
        assert isinstance(pmod, getattr(pnn, "ConstantPad" + name[-2:]))
    check_module(tmod, pmod, shape)
