"""Tests for pyengine/_tensor_str.py (PyTorch-compatible tensor printing).

The module is loaded straight from its file so these tests run without the
compiled pyengine package.  Comparisons against PyTorch are skipped when torch
is not installed (torch is an optional reference, never a dependency).
"""

import importlib.util
import pathlib
import sys

import numpy as np
import pytest

_MOD_PATH = pathlib.Path(__file__).resolve().parents[2] / "pyengine" / "_tensor_str.py"
_spec = importlib.util.spec_from_file_location("_pyengine_tensor_str_under_test", _MOD_PATH)
ts = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = ts
_spec.loader.exec_module(ts)

format_tensor = ts.format_tensor


@pytest.fixture(autouse=True)
def _restore_printoptions():
    ts.set_printoptions(profile="default")
    yield
    ts.set_printoptions(profile="default")


# ---------------------------------------------------------------------------
# exact-string tests (no torch needed)
# ---------------------------------------------------------------------------

EXACT_CASES = [
    (np.array([[0.1111, 0.2222, 0.3333]], dtype=np.float64), {"dtype": "float64"},
     "tensor([[0.1111, 0.2222, 0.3333]], dtype=torch.float64)"),
    (np.array(3.14159265, dtype=np.float32), {"dtype": "float32"}, "tensor(3.1416)"),
    (np.array(2.0, dtype=np.float64), {"dtype": "float64"}, "tensor(2., dtype=torch.float64)"),
    (np.array(True), {"dtype": "bool"}, "tensor(True)"),
    (np.ones(5, dtype=np.float64), {"dtype": "float64"},
     "tensor([1., 1., 1., 1., 1.], dtype=torch.float64)"),
    (np.array([2], dtype=np.int64), {"dtype": "int64"}, "tensor([2])"),
    (np.ones((2, 2), dtype=np.float32), {"dtype": "float32", "requires_grad": True},
     "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)"),
    (np.array([[1, 2], [3, 4]], dtype=np.int64), {"dtype": "int64"},
     "tensor([[1, 2],\n        [3, 4]])"),
    (np.array([True, False]), {"dtype": "bool"}, "tensor([ True, False])"),
    (np.zeros(0, dtype=np.float32), {"dtype": "float32"}, "tensor([])"),
    (np.zeros((0, 3), dtype=np.float32), {"dtype": "float32"}, "tensor([], size=(0, 3))"),
    (np.zeros(0, dtype=np.int64), {"dtype": "int64"}, "tensor([], dtype=torch.int64)"),
    (np.array([1.0, 2.0], dtype=np.float32), {"dtype": "float32", "device": "cuda:0"},
     "tensor([1., 2.], device='cuda:0')"),
    (np.array([1.0, 2.0], dtype=np.float64),
     {"dtype": "float64", "device": "cuda:0", "requires_grad": True},
     "tensor([1., 2.], device='cuda:0', dtype=torch.float64, requires_grad=True)"),
    (np.array([1.5, 2.0], dtype=np.float32),
     {"dtype": "float32", "device": "cuda:0", "grad_fn": "MulBackward0", "requires_grad": True},
     "tensor([1.5000, 2.0000], device='cuda:0', grad_fn=<MulBackward0>)"),
    (np.array([-0.0, 0.0], dtype=np.float32), {"dtype": "float32"}, "tensor([-0., 0.])"),
    (np.array([np.nan, np.inf, -np.inf], dtype=np.float32), {"dtype": "float32"},
     "tensor([nan, inf, -inf])"),
    (np.array([1e-5, 1.0], dtype=np.float32), {"dtype": "float32"},
     "tensor([1.0000e-05, 1.0000e+00])"),
    (np.array([1.5, 2.0], dtype=np.float32), {"dtype": "bfloat16"},
     "tensor([1.5000, 2.0000], dtype=torch.bfloat16)"),
    (np.array([1.0, 2.0], dtype=np.float32), {"dtype": "float32", "default_dtype": "float64"},
     "tensor([1., 2.], dtype=torch.float32)"),
    (np.array([1.0, 2.0], dtype=np.float64), {"dtype": "float64", "default_dtype": "float64"},
     "tensor([1., 2.])"),
    (np.ones((2, 2), dtype=np.float32), {"dtype": "float32", "requires_grad": True, "is_parameter": True},
     "Parameter containing:\ntensor([[1., 1.],\n        [1., 1.]], requires_grad=True)"),
]


@pytest.mark.parametrize("arr,kwargs,expected", EXACT_CASES)
def test_exact_strings(arr, kwargs, expected):
    assert format_tensor(arr, **kwargs) == expected


def test_exact_summarized():
    arr = np.arange(2000, dtype=np.int64)
    assert format_tensor(arr, dtype="int64") == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"


def test_exact_printoptions_roundtrip():
    defaults = ts.get_printoptions()
    assert defaults == {"precision": 4, "threshold": 1000, "edgeitems": 3,
                        "linewidth": 80, "sci_mode": None}
    ts.set_printoptions(precision=2)
    assert format_tensor(np.array([1.12345], dtype=np.float32), dtype="float32") == "tensor([1.12])"
    ts.set_printoptions(threshold=5)
    assert format_tensor(np.arange(10), dtype="int64") == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    ts.set_printoptions(profile="default")
    assert ts.get_printoptions() == defaults
    with ts.printoptions(precision=1):
        assert format_tensor(np.array([1.26], dtype=np.float32), dtype="float32") == "tensor([1.3])"
    assert ts.get_printoptions() == defaults


def test_no_torch_import():
    src = _MOD_PATH.read_text()
    assert "import torch" not in src


# ---------------------------------------------------------------------------
# comparisons against PyTorch
# ---------------------------------------------------------------------------


def _torch():
    return pytest.importorskip("torch")


def _dtype_name(t):
    return str(t.dtype).replace("torch.", "")


def _ours(t, **kwargs):
    torch = _torch()
    d = t.detach()
    if d.dtype == torch.bfloat16:
        values = d.float().numpy()
    else:
        values = d.numpy()
    kwargs.setdefault("default_dtype", str(torch.get_default_dtype()).replace("torch.", ""))
    return format_tensor(values, dtype=_dtype_name(t), **kwargs)


def _rng(seed):
    return np.random.default_rng(seed)


def _numpy_cases():
    r = _rng(0)
    cases = {}
    for mag in [1e-8, 1e-5, 1e-4, 1e-3, 1e-1, 1.0, 10.0, 123.0, 1e3, 1e5, 1e7, 1e8, 1e9, 1e15, 1e30]:
        cases[f"f32_randn_{mag:g}"] = (r.standard_normal(7) * mag).astype(np.float32)
        cases[f"f64_rand_{mag:g}"] = (r.random((3, 4)) * mag).astype(np.float64)
    cases["f32_mixed_mag"] = np.array([1e-3, 1.0, 5e2], dtype=np.float32)
    cases["f32_ratio_edge"] = np.array([1.0, 1000.0], dtype=np.float32)
    cases["f32_ratio_over"] = np.array([1.0, 1000.5], dtype=np.float32)
    cases["f32_min_edge"] = np.array([1e-4, 2e-4], dtype=np.float64)
    cases["f32_max_edge"] = np.array([1e8, 2e7], dtype=np.float64)
    cases["f32_max_over"] = np.array([1.5e8, 2e7], dtype=np.float64)
    cases["f32_int_valued"] = np.array([1.0, -2.0, 300.0, 0.0], dtype=np.float32)
    cases["f32_int_valued_big"] = np.array([1.0, 2e9], dtype=np.float32)
    cases["f32_int_valued_sci"] = np.array([1.0, 12345.0], dtype=np.float32)
    cases["f32_int_huge"] = np.array([1e20, -3e21], dtype=np.float32)
    cases["f32_tiny"] = np.array([1e-30, -2e-38, 1e-45], dtype=np.float32)
    cases["f64_tiny"] = np.array([5e-324, 1e-300], dtype=np.float64)
    cases["f64_huge"] = np.array([1.7e308, -1e300], dtype=np.float64)
    cases["nan_inf"] = np.array([np.nan, np.inf, -np.inf, 1.5, -2.25], dtype=np.float32)
    cases["nan_inf_int"] = np.array([np.nan, np.inf, -np.inf, 1.0, -200.0], dtype=np.float32)
    cases["nan_inf_sci"] = np.array([np.nan, np.inf, 1e-7, 3.0], dtype=np.float32)
    cases["all_nan"] = np.full((2, 3), np.nan, dtype=np.float32)
    cases["all_inf"] = np.array([np.inf, -np.inf], dtype=np.float64)
    cases["zeros"] = np.zeros((2, 3), dtype=np.float32)
    cases["neg_zero"] = np.array([-0.0, 0.0, -0.0], dtype=np.float32)
    cases["neg_zero_frac"] = np.array([-0.0, 0.25, 1.5], dtype=np.float32)
    cases["neg_zero_sci"] = np.array([-0.0, 1e-6, 1.5], dtype=np.float32)
    cases["neg_zero_0d"] = np.array(-0.0, dtype=np.float32)
    cases["round_half"] = np.array([0.00005, 0.00015, 2.50005, 1.99995], dtype=np.float64)
    cases["negatives"] = np.array([[-1.5, 2.25], [3.125, -4.0625]], dtype=np.float32)
    cases["f16"] = (r.standard_normal((3, 5)) * 10).astype(np.float16)
    cases["f16_big"] = np.array([65504.0, -1.0, 0.5], dtype=np.float16)
    cases["f16_tiny"] = np.array([6e-8, 1e-4, 1.0], dtype=np.float16)
    cases["f16_int"] = np.array([1.0, 2.0, 3.0], dtype=np.float16)
    cases["f16_nan"] = np.array([np.nan, 1.0, np.inf], dtype=np.float16)
    cases["f64_matrix"] = r.standard_normal((4, 6))
    cases["f32_3d"] = r.standard_normal((2, 3, 4)).astype(np.float32)
    cases["f32_4d"] = r.standard_normal((2, 2, 3, 2)).astype(np.float32)
    cases["f64_5d"] = r.standard_normal((2, 1, 2, 1, 3))
    cases["i64_4d"] = r.integers(-100, 100, size=(2, 3, 2, 2)).astype(np.int64)
    # integers
    for dt in [np.int8, np.int16, np.int32, np.int64, np.uint8]:
        info = np.iinfo(dt)
        cases[f"ints_{np.dtype(dt).name}"] = r.integers(info.min, info.max, size=(3, 4), dtype=dt)
        cases[f"ints_small_{np.dtype(dt).name}"] = np.arange(6, dtype=dt).reshape(2, 3)
        cases[f"ints_0d_{np.dtype(dt).name}"] = np.array(7, dtype=dt)
    cases["i64_extremes"] = np.array([np.iinfo(np.int64).min, 0, np.iinfo(np.int64).max], dtype=np.int64)
    cases["i64_neg"] = np.array([-1, 10, -100, 1000], dtype=np.int64)
    # bools
    cases["bool_1d"] = np.array([True, False, True])
    cases["bool_all_true"] = np.array([True, True])
    cases["bool_2d"] = r.random((3, 4)) > 0.5
    cases["bool_0d_false"] = np.array(False)
    cases["bool_big"] = r.random((40, 40)) > 0.5
    # 0-d
    cases["f32_0d"] = np.array(3.14159265, dtype=np.float32)
    cases["f64_0d"] = np.array(2.0, dtype=np.float64)
    cases["f32_0d_sci"] = np.array(1.5e-9, dtype=np.float32)
    cases["f32_0d_big"] = np.array(1.5e12, dtype=np.float32)
    cases["f32_0d_nan"] = np.array(np.nan, dtype=np.float32)
    cases["f32_0d_inf"] = np.array(-np.inf, dtype=np.float32)
    cases["f32_0d_zero"] = np.array(0.0, dtype=np.float32)
    cases["i64_0d"] = np.array(-42, dtype=np.int64)
    # empty
    for shape in [(0,), (0, 3), (2, 0), (0, 0), (1, 0, 2), (3, 0, 0)]:
        for dt in [np.float32, np.float64, np.int64, np.int32, np.bool_, np.float16, np.uint8]:
            cases[f"empty_{shape}_{np.dtype(dt).name}"] = np.zeros(shape, dtype=dt)
    # summarization
    cases["big_1d_f32"] = r.standard_normal(5000).astype(np.float32)
    cases["big_1d_i64"] = np.arange(1001, dtype=np.int64)
    cases["exact_threshold"] = np.arange(1000, dtype=np.int64)
    cases["big_2d_f32"] = r.standard_normal((100, 50)).astype(np.float32)
    cases["big_2d_narrow"] = r.standard_normal((1000, 2)).astype(np.float32)
    cases["big_2d_wide"] = r.standard_normal((2, 1000)).astype(np.float32)
    cases["big_2d_small_rows"] = r.standard_normal((5, 300)).astype(np.float64)
    cases["big_3d"] = r.standard_normal((20, 10, 10)).astype(np.float32)
    cases["big_4d"] = r.integers(0, 1000, size=(8, 8, 8, 8)).astype(np.int64)
    cases["big_4d_f"] = (r.standard_normal((7, 6, 5, 10)) * 1e5).astype(np.float32)
    cases["big_sci_hidden"] = np.concatenate(
        [np.ones(3), np.full(2000, 1e-9), np.ones(3) * 2]).astype(np.float32)
    cases["big_bool"] = r.random(3000) > 0.5
    cases["big_f16"] = r.standard_normal((50, 50)).astype(np.float16)
    # wrapping
    cases["wide_f32"] = r.standard_normal(40).astype(np.float32)
    cases["wide_f64_sci"] = r.standard_normal(30) * 1e10
    cases["wide_i64"] = np.arange(100, dtype=np.int64) * 12345
    cases["wide_2d"] = r.standard_normal((3, 25)).astype(np.float32)
    cases["wide_3d"] = r.standard_normal((2, 2, 20)).astype(np.float32)
    cases["wide_bool"] = r.random(50) > 0.5
    cases["long_int_row"] = np.arange(200, dtype=np.int64)
    return cases


_CASES = _numpy_cases()


@pytest.mark.parametrize("name", sorted(_CASES))
def test_from_numpy_matches_torch(name):
    torch = _torch()
    arr = _CASES[name]
    t = torch.from_numpy(np.ascontiguousarray(arr))
    assert _ours(t) == repr(t)


@pytest.mark.parametrize("name", sorted(k for k, v in _CASES.items() if v.dtype.kind == "f"))
def test_default_float64_matches_torch(name):
    torch = _torch()
    arr = _CASES[name]
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        t = torch.from_numpy(np.ascontiguousarray(arr))
        expected = repr(t)
        ours = _ours(t)
    finally:
        torch.set_default_dtype(old)
    assert ours == expected


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("shape", [(), (4,), (3, 3), (2, 3, 2)])
def test_bfloat16_matches_torch(seed, shape):
    torch = _torch()
    g = torch.Generator().manual_seed(seed)
    scale = [1.0, 1e-6, 1e6, 1e10, 0.5, 123.0][seed]
    t = (torch.randn(shape, generator=g) * scale).to(torch.bfloat16)
    assert _ours(t) == repr(t)


def test_bfloat16_int_valued_matches_torch():
    torch = _torch()
    t = torch.tensor([1.0, 2.0, 256.0, -3.0], dtype=torch.bfloat16)
    assert _ours(t) == repr(t)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 2), (2, 3, 4), (0,), (0, 2)])
def test_requires_grad_matches_torch(dtype, shape):
    torch = _torch()
    t = torch.randn(shape, dtype=getattr(torch, dtype)).requires_grad_(True)
    assert _ours(t, requires_grad=True) == repr(t)


def test_requires_grad_values_matches_torch():
    torch = _torch()
    t = torch.tensor([[1.0, 2.5], [3.0, -4.0]], requires_grad=True)
    assert _ours(t, requires_grad=True) == repr(t)
    t = torch.tensor(3.0, requires_grad=True)
    assert _ours(t, requires_grad=True) == repr(t)


_GRAD_OPS = {
    "mul": lambda x: x * 2,
    "add": lambda x: x + 1,
    "sum": lambda x: x.sum(),
    "mean": lambda x: x.mean(),
    "exp": lambda x: x.exp(),
    "neg": lambda x: -x,
    "matmul": lambda x: x @ x.T,
    "relu": lambda x: x.relu(),
    "pow": lambda x: x ** 2,
    "div_big": lambda x: x / 1e-7,
    "view": lambda x: x.view(-1),
    "transpose": lambda x: x.t(),
    "big": lambda x: x.repeat(40, 30),
}


@pytest.mark.parametrize("op", sorted(_GRAD_OPS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_grad_fn_matches_torch(op, dtype):
    torch = _torch()
    g = torch.Generator().manual_seed(1)
    x = torch.randn(3, 4, generator=g, dtype=getattr(torch, dtype)).requires_grad_(True)
    y = _GRAD_OPS[op](x)
    name = type(y.grad_fn).__name__
    assert name != "CppFunction"
    assert _ours(y, grad_fn=name, requires_grad=True) == repr(y)


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 2, 2)])
def test_parameter_matches_torch(shape):
    torch = _torch()
    p = torch.nn.Parameter(torch.randn(shape))
    assert _ours(p, requires_grad=True, is_parameter=True) == repr(p)
    q = torch.nn.Parameter(torch.randn(shape, dtype=torch.float64), requires_grad=False)
    assert _ours(q, is_parameter=True) == repr(q)


_PRINT_OPTION_SETS = [
    {"precision": 2},
    {"precision": 0},
    {"precision": 8},
    {"threshold": 5},
    {"threshold": 5, "edgeitems": 1},
    {"threshold": 5, "edgeitems": 0},
    {"edgeitems": 0},
    {"linewidth": 40},
    {"linewidth": 120},
    {"linewidth": 10},
    {"sci_mode": True},
    {"sci_mode": False},
    {"profile": "short"},
    {"profile": "full"},
    {"profile": "short", "precision": 6, "sci_mode": True},
]

_PRINT_OPTION_ARRAYS = [
    "f32_randn_1", "f64_rand_1e+08", "f32_randn_1e-05", "f32_int_valued", "nan_inf",
    "neg_zero", "f32_3d", "f32_4d", "i64_4d", "bool_2d", "wide_f32", "wide_i64",
    "big_1d_f32", "big_2d_f32", "big_3d", "big_4d", "f32_0d", "zeros", "all_nan",
    "empty_(0, 3)_float32", "empty_(0,)_int64", "f16", "big_2d_wide", "big_sci_hidden",
]


@pytest.mark.parametrize("opts_idx", range(len(_PRINT_OPTION_SETS)))
def test_printoptions_match_torch(opts_idx):
    torch = _torch()
    opts = _PRINT_OPTION_SETS[opts_idx]
    try:
        torch.set_printoptions(**opts)
        ts.set_printoptions(**opts)
        torch_opts = torch._tensor_str.get_printoptions()
        ours_opts = ts.get_printoptions()
        assert ours_opts == torch_opts
        for name in _PRINT_OPTION_ARRAYS:
            t = torch.from_numpy(np.ascontiguousarray(_CASES[name]))
            assert _ours(t) == repr(t), (name, opts)
    finally:
        torch.set_printoptions(profile="default")
        ts.set_printoptions(profile="default")


def test_set_printoptions_resets_sci_mode_like_torch():
    torch = _torch()
    try:
        torch.set_printoptions(sci_mode=True)
        ts.set_printoptions(sci_mode=True)
        torch.set_printoptions(precision=3)
        ts.set_printoptions(precision=3)
        assert ts.get_printoptions() == torch._tensor_str.get_printoptions()
        t = torch.tensor([1.5, 2.25])
        assert _ours(t) == repr(t)
    finally:
        torch.set_printoptions(profile="default")
        ts.set_printoptions(profile="default")


@pytest.mark.parametrize("seed", range(20))
def test_random_fuzz_matches_torch(seed):
    torch = _torch()
    r = _rng(100 + seed)
    ndim = int(r.integers(0, 5))
    shape = tuple(int(s) for s in r.integers(1, 6, size=ndim))
    kind = seed % 4
    if kind == 0:
        arr = (r.standard_normal(shape) * 10.0 ** r.integers(-9, 12)).astype(np.float32)
    elif kind == 1:
        arr = np.round(r.standard_normal(shape) * 10.0 ** r.integers(0, 6))
    elif kind == 2:
        arr = r.integers(-(10 ** int(r.integers(1, 12))), 10 ** 6, size=shape).astype(np.int64)
    else:
        arr = (r.standard_normal(shape) * 10.0 ** r.integers(-3, 4)).astype(np.float16)
    arr = np.asarray(arr)
    if arr.dtype.kind == "f" and arr.size > 2:
        flat = arr.reshape(-1)
        flat[0] = -0.0
        flat[1] = np.nan if seed % 3 == 0 else flat[1]
    t = torch.from_numpy(np.ascontiguousarray(arr))
    assert _ours(t) == repr(t)


@pytest.mark.parametrize("case", range(4))
def test_cuda_device_suffix_matches_torch_layout(case):
    # CPU builds of torch cannot create cuda tensors, so build torch's expected
    # string with its own helpers: device first, then dtype, then grad info,
    # wrapped at the linewidth exactly like torch does.
    torch = _torch()
    tts = torch._tensor_str
    t = [
        torch.tensor([[1.5, 2.0], [3.0, 4.0]], dtype=torch.float64),
        torch.tensor([1.0, 2.0]),
        torch.arange(30, dtype=torch.int32),
        torch.randn(4, 9, dtype=torch.float16),
    ][case]
    suffixes = ["device='cuda:0'"]
    if t.dtype not in (torch.float32, torch.int64, torch.bool):
        suffixes.append("dtype=" + str(t.dtype))
    grad = t.is_floating_point()
    if grad:
        suffixes.append("requires_grad=True")
    expected = tts._add_suffixes("tensor(" + tts._tensor_str(t, 7), suffixes, 7, False)
    assert _ours(t, requires_grad=grad, device="cuda:0") == expected


def test_exact_suffix_wrap():
    arr = np.array([[1.5, 2.0], [3.0, 4.0]])
    assert format_tensor(arr, dtype="float64", device="cuda:0", requires_grad=True) == (
        "tensor([[1.5000, 2.0000],\n"
        "        [3.0000, 4.0000]], device='cuda:0', dtype=torch.float64,\n"
        "       requires_grad=True)"
    )


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("default", ["float32", "float64"])
def test_complex_matches_torch(seed, default):
    torch = _torch()
    r = _rng(200 + seed)
    arr = [
        r.standard_normal(5) + 1j * r.standard_normal(5),
        (r.standard_normal((3, 4)) * 1e-6 + 1j).astype(np.complex64),
        np.array([1 - 0j, -0.0 - 1j, np.nan + 1j]),
        (r.standard_normal((50, 50)) + 1j * r.standard_normal((50, 50)) * 1e9).astype(np.complex64),
    ][seed]
    old = torch.get_default_dtype()
    torch.set_default_dtype(getattr(torch, default))
    try:
        t = torch.from_numpy(arr)
        expected = repr(t)
        ours = _ours(t)
    finally:
        torch.set_default_dtype(old)
    assert ours == expected
