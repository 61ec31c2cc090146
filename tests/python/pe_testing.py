"""Shared helpers for the pyengine Python tests (imported as ``from pe_testing import ...``).

numpy is the reference for values, shapes, strides and memory sharing. PyTorch (when installed)
is used only to confirm which exception class / dtype PyTorch itself produces, so the expectations
written in these tests are the ones PyTorch actually has; every test also runs without torch.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import pyengine as pe

# (name, numpy dtype or None for bfloat16)
DTYPE_NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
NP_DTYPES = {
    "bool": np.bool_, "uint8": np.uint8, "int8": np.int8, "int16": np.int16, "int32": np.int32,
    "int64": np.int64, "float16": np.float16, "bfloat16": None, "float32": np.float32, "float64": np.float64,
}
NUMPY_DTYPE_NAMES = [n for n in DTYPE_NAMES if NP_DTYPES[n] is not None]
FLOAT_NAMES = ["float16", "bfloat16", "float32", "float64"]
INT_NAMES = ["uint8", "int8", "int16", "int32", "int64"]
ITEMSIZE = {"bool": 1, "uint8": 1, "int8": 1, "int16": 2, "int32": 4, "int64": 8, "float16": 2,
            "bfloat16": 2, "float32": 4, "float64": 8}


def pe_dtype(name: str):
    return getattr(pe, name)


def dtype_name(dt) -> str:
    s = str(dt)
    assert s.startswith("torch."), s
    return s[len("torch."):]


def ref_torch():
    """The real PyTorch module, or None when it is not installed."""
    try:
        import torch  # noqa: F401
    except ImportError:  # pragma: no cover
        return None
    return torch


def require_torch():
    return pytest.importorskip("torch")


# ---------------------------------------------------------------------------------------------
# value helpers
# ---------------------------------------------------------------------------------------------

def sample_values(n: int, name: str) -> np.ndarray:
    """n deterministic values exactly representable in dtype `name` (float64 array, or bool)."""
    i = np.arange(n)
    if name == "bool":
        return (i % 3) == 1
    if name == "uint8":
        return (i * 7 % 31).astype(np.float64)
    return ((i * 7 % 23) - 11).astype(np.float64)


def make(shape, name: str = "float32") -> tuple:
    """(pyengine tensor, numpy reference) with the same values; reference is float32 for bfloat16."""
    shape = tuple(shape)
    n = int(np.prod(shape)) if shape else 1
    vals = sample_values(n, name).reshape(shape)
    if name == "bfloat16":
        ref = vals.astype(np.float32)
        t = pe.tensor(ref).to(pe.bfloat16)
    else:
        ref = vals.astype(NP_DTYPES[name])
        t = pe.tensor(ref)
    return t, ref


def bf16_round(a) -> np.ndarray:
    """Round to the nearest bfloat16 (ties to even), returned as float32 (finite inputs only)."""
    bits = np.asarray(a, dtype=np.float32).copy().view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return bits.astype(np.uint32).view(np.float32)


def to_np(t) -> np.ndarray:
    """Values of a pyengine tensor as a numpy array (bfloat16 goes through float32)."""
    if t.dtype is pe.bfloat16:
        return t.float().numpy()
    return t.numpy()


def contiguous_strides(shape) -> tuple:
    """PyTorch's row-major strides (sizes of 0 count as 1, so empty tensors have nonzero strides)."""
    out, acc = [], 1
    for s in reversed(tuple(shape)):
        out.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(out))


def np_strides(a: np.ndarray) -> tuple:
    """Strides of a numpy array in elements; numpy gives empty arrays zero strides, so those
    get PyTorch's contiguous strides instead."""
    if a.size == 0:
        return contiguous_strides(a.shape)
    return tuple(s // a.itemsize for s in a.strides)


def assert_same(t, ref, *, dtype=None, check_strides: bool = False, rtol=0, atol=0) -> None:
    """t (pyengine tensor) has ref's shape and values (and dtype / strides if asked)."""
    ref = np.asarray(ref)
    assert isinstance(t, pe.Tensor), type(t)
    assert tuple(t.shape) == ref.shape, (tuple(t.shape), ref.shape)
    assert t.dim() == ref.ndim
    assert t.numel() == ref.size
    if dtype is not None:
        assert t.dtype is (pe_dtype(dtype) if isinstance(dtype, str) else dtype), (t.dtype, dtype)
    got = to_np(t)
    if rtol or atol:
        np.testing.assert_allclose(got.astype(np.float64), ref.astype(np.float64), rtol=rtol, atol=atol)
    else:
        np.testing.assert_array_equal(got, ref)
    if check_strides and ref.size:
        # the stride of a size-1 dim is irrelevant (numpy and PyTorch choose differently)
        got_s = tuple(st for st, n in zip(t.stride(), ref.shape) if n != 1)
        want_s = tuple(st for st, n in zip(np_strides(ref), ref.shape) if n != 1)
        assert got_s == want_s, (t.stride(), np_strides(ref))


def shares(a, b) -> bool:
    """Whether two pyengine tensors share memory (through numpy views of their storages)."""
    return np.shares_memory(a.numpy(), b.numpy()) if a.numel() and b.numel() else False


# ---------------------------------------------------------------------------------------------
# layouts: the same view applied to a pyengine tensor and to its numpy reference
# ---------------------------------------------------------------------------------------------

LAYOUTS = {
    # name: (base shape, op on tensor, op on numpy)
    "contiguous": ((3, 4), lambda x: x, lambda a: a),
    "transposed": ((4, 3), lambda x: x.t(), lambda a: a.T),
    "sliced_step": ((6, 12), lambda x: x[1::2, ::3], lambda a: a[1::2, ::3]),
    "expanded": ((1, 4), lambda x: x.expand(3, 4), lambda a: np.broadcast_to(a, (3, 4))),
    "zero_dim": ((), lambda x: x, lambda a: a),
    "empty": ((0, 3), lambda x: x, lambda a: a),
}
LAYOUT_NAMES = list(LAYOUTS)


def make_layout(layout: str, name: str = "float32") -> tuple:
    shape, f_t, f_np = LAYOUTS[layout]
    t, ref = make(shape, name)
    return f_t(t), f_np(ref)


# ---------------------------------------------------------------------------------------------
# exceptions
# ---------------------------------------------------------------------------------------------

def _run_torch(fn):
    torch = ref_torch()
    if torch is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fn(torch)
        except BaseException as e:  # noqa: BLE001
            return type(e)
    return None


def assert_raises_like_torch(exc, fn, *, check_torch: bool = True) -> None:
    """fn(module) raises `exc` with pyengine; with torch installed, also confirm torch raises exactly
    `exc` for the same call (so the expectation is PyTorch's real behaviour)."""
    if check_torch:
        torch_exc = _run_torch(fn)
        if ref_torch() is not None:
            assert torch_exc is exc, "torch raises %r, test expects %r" % (torch_exc, exc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc):
            fn(pe)


cuda_required = pytest.mark.skipif(not pe.cuda.is_available(), reason="CUDA not available")

# ---------------------------------------------------------------------------------------------
# the device dimension: an op on `cuda` must give the CPU's result (on the emulated device of
# docs/cuda-emulator.md in CI). Inputs are laid out on their device, so the CUDA kernels see the same
# transposed / strided / broadcast operands as the CPU ones.
# ---------------------------------------------------------------------------------------------

DEVICES = ["cpu", pytest.param("cuda", marks=cuda_required)]
DEVICE_LAYOUTS = ["contiguous", "transposed", "sliced", "broadcast", "0-d", "empty"]  # for device_tensor


def device_tensor(values: np.ndarray, name: str, layout: str, device: str):
    """A tensor of dtype `name` on `device` holding `values` (shape (3, 4) unless 0-d/empty) in `layout`."""
    if layout == "0-d":
        base = values.reshape(-1)[:1].reshape(())
    elif layout == "empty":
        base = values.reshape(-1)[:0].reshape(0, 4)
    elif layout == "transposed":
        base = np.ascontiguousarray(values.reshape(3, 4).T)
    elif layout == "sliced":
        base = np.repeat(values.reshape(3, 4), 2, axis=1)
    elif layout == "broadcast":
        base = values.reshape(3, 4)[:1]
    else:
        base = values.reshape(3, 4)
    if name == "bfloat16":  # numpy has no bfloat16: the values are exact in float32
        t = pe.tensor(base.astype(np.float32)).to(pe.bfloat16).to(device)
    else:
        t = pe.tensor(base, dtype=pe_dtype(name)).to(device)
    if layout == "transposed":
        t = t.t()
    elif layout == "sliced":
        t = t[:, ::2]
    elif layout == "broadcast":
        t = t.expand(3, 4)
    return t


def assert_same_as_cpu(got, want, name: str | None = None, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """`got` (a tensor on any device, or a tuple of them) equals the CPU result `want`: floats to
    tolerance (NaNs in the same places), integers and bools exactly; dtype and shape always."""
    if isinstance(want, (tuple, list)):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert_same_as_cpu(g, w, name, rtol, atol)
        return
    assert got.dtype == want.dtype and tuple(got.shape) == tuple(want.shape), (got.dtype, want.dtype, got.shape)
    g, w = got.cpu(), want.cpu()
    if g.dtype.is_floating_point:
        if g.dtype in (pe.float16, pe.bfloat16):
            rtol, atol = max(rtol, 1e-2), max(atol, 1e-2)
        gn, wn = g.double().numpy(), w.double().numpy()
        np.testing.assert_allclose(gn, wn, rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(g.numpy(), w.numpy())


def assert_raises_in_subprocess(exc, code: str) -> None:
    """Run `code` (which uses `pe`) in a fresh interpreter and check it raises `exc`. For inputs that
    have crashed the engine (segfault): a crash then fails this one test instead of the whole run."""
    import os
    import subprocess
    import sys
    prog = ("import pyengine as pe\n"
            "try:\n"
            "    " + code + "\n"
            "except BaseException as e:\n"
            "    print('RAISED', type(e).__name__)\n"
            "else:\n"
            "    print('RAISED', None)\n")
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (os.path.dirname(os.path.dirname(pe.__file__)), root,
                                                    env.get("PYTHONPATH")) if p)
    r = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, "engine crashed (exit %d) on: %s\n%s" % (r.returncode, code, r.stderr[-2000:])
    assert ("RAISED " + exc.__name__) in r.stdout, "expected %s from %s, got %r" % (exc.__name__, code, r.stdout)
