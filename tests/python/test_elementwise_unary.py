"""Unary elementwise ops against numpy (float64 math, rounded to the result dtype): float math
(integer and bool inputs promote to the default float dtype), the vectorized float32 exp (<= 2 ulp),
rounding, sign/relu/square/bitwise_not, predicates, round(decimals), nan_to_num; every dtype,
layouts (transposed, stepped, expanded, 0-d, empty), method / in-place / out= forms, PyTorch's errors."""
import math

import numpy as np
import pytest

import pyengine as pe
from pe_testing import (DTYPE_NAMES, FLOAT_NAMES, INT_NAMES, LAYOUT_NAMES, NP_DTYPES, assert_raises_like_torch,
                        assert_same, bf16_round, make_layout, pe_dtype, to_np)

_erf = np.vectorize(math.erf, otypes=[np.float64])
_erfc = np.vectorize(math.erfc, otypes=[np.float64])

# name: (numpy reference on float64, domain (lo, hi) of the test values)
FLOAT_OPS = {
    "sqrt": (np.sqrt, (0, 9)), "rsqrt": (lambda x: 1 / np.sqrt(x), (0.25, 9)), "exp": (np.exp, (-5, 5)),
    "exp2": (np.exp2, (-5, 5)), "expm1": (np.expm1, (-5, 5)), "log": (np.log, (0.5, 9)),
    "log1p": (np.log1p, (0, 9)), "log2": (np.log2, (0.5, 9)), "log10": (np.log10, (0.5, 9)),
    "sin": (np.sin, (-5, 5)), "cos": (np.cos, (-5, 5)), "tan": (np.tan, (-1.2, 1.2)),
    "asin": (np.arcsin, (-1, 1)), "acos": (np.arccos, (-1, 1)), "atan": (np.arctan, (-5, 5)),
    "sinh": (np.sinh, (-5, 5)), "cosh": (np.cosh, (-5, 5)), "tanh": (np.tanh, (-5, 5)),
    "asinh": (np.arcsinh, (-5, 5)), "acosh": (np.arccosh, (1, 9)), "atanh": (np.arctanh, (-0.75, 0.75)),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), (-8, 8)), "erf": (_erf, (-3, 3)), "erfc": (_erfc, (-3, 3)),
    "reciprocal": (lambda x: 1 / x, (0.5, 9)),
}
TOL = {"float16": dict(rtol=2e-3, atol=2e-3), "bfloat16": dict(rtol=1.6e-2, atol=1.6e-2),
       "float32": dict(rtol=4e-6, atol=1e-6), "float64": dict(rtol=1e-13, atol=1e-14)}


def values_in(domain, name, n=24):
    """n values of dtype `name` inside domain (integers for integer dtypes, 0/1 for bool)."""
    lo, hi = domain
    v = np.linspace(lo, hi, n)
    if name == "bool":
        return np.arange(n) % 2 == 1 if lo <= 0 else np.ones(n, dtype=bool)
    if name in INT_NAMES:
        v = np.clip(np.round(v), 0 if name == "uint8" else -100, 100)
        v = v[(v >= lo) & (v <= hi)]
    return v


def tensor_of(v, name):
    if name == "bfloat16":
        return pe.tensor(bf16_round(v)).to(pe.bfloat16), bf16_round(v).astype(np.float64)
    arr = np.asarray(v).astype(NP_DTYPES[name])
    return pe.tensor(arr), arr.astype(np.float64)


def rounded(ref, name):
    return bf16_round(ref) if name == "bfloat16" else np.asarray(ref).astype(NP_DTYPES[name])


def float_result(name):
    return name if name in FLOAT_NAMES else "float32"


@pytest.mark.parametrize("op", list(FLOAT_OPS))
@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_float_op_values_and_dtype(op, name):
    f, domain = FLOAT_OPS[op]
    x, xr = tensor_of(values_in(domain, name), name)
    out_name = float_result(name)
    with np.errstate(all="ignore"):
        want = rounded(f(xr), out_name)
    r = getattr(pe, op)(x)
    assert r.dtype is pe_dtype(out_name)
    assert_same(r, want, **TOL[out_name])
    assert_same(getattr(x, op)(), want, **TOL[out_name])  # method
    o = pe.empty(0, dtype=pe.float64)
    assert getattr(pe, op)(x, out=o) is o and o.dtype is pe.float64
    if name in FLOAT_NAMES:
        y = x.clone()
        v = y._version
        assert getattr(y, op + "_")() is y and y._version > v
        assert_same(y, want, **TOL[out_name])
    else:  # the float result can't be written into an integer tensor
        with pytest.raises(RuntimeError, match="can't be cast"):
            getattr(x.clone(), op + "_")()


@pytest.mark.parametrize("op", ["exp", "sqrt", "sin", "sigmoid", "log1p", "neg", "abs", "relu", "sign", "floor"])
@pytest.mark.parametrize("layout", LAYOUT_NAMES)
def test_layouts(op, layout):
    x, xr = make_layout(layout, "float32")
    ref = {"neg": np.negative, "abs": np.abs, "relu": lambda a: np.maximum(a, 0), "sign": np.sign, "floor": np.floor,
           "sigmoid": lambda a: 1 / (1 + np.exp(-a))}.get(op) or FLOAT_OPS[op][0]
    with np.errstate(all="ignore"):
        want = ref(xr.astype(np.float64)).astype(np.float32)
    # a dense permuted input keeps its layout (numpy agrees except for broadcast inputs)
    assert_same(getattr(x, op)(), want, rtol=4e-6, atol=1e-6, check_strides=layout != "expanded")
    # in place on the (non-expanded) view writes through to its base
    if layout != "expanded":
        y = x.clone() if layout != "transposed" else x.clone().t().contiguous().t()
        getattr(y, op + "_")()
        assert_same(y, want, rtol=4e-6, atol=1e-6)


def ulp_error(got, want):
    """|got - want| in float32 ulps of want (want in float64)."""
    w32 = want.astype(np.float32)
    spacing = np.spacing(np.abs(w32)).astype(np.float64)
    spacing = np.where(np.abs(w32) < np.finfo(np.float32).tiny, 2.0 ** -149, spacing)
    return np.abs(got.astype(np.float64) - want) / spacing


def test_exp_float32_accuracy_whole_range():
    x32 = np.concatenate([np.linspace(-103.9, 88.7, 400_001, dtype=np.float32),
                          np.linspace(-1, 1, 100_001, dtype=np.float32)])
    got = pe.from_numpy(x32).exp().numpy()
    want = np.exp(x32.astype(np.float64))
    assert ulp_error(got, want).max() <= 2.0
    # the strided path computes the same values as the vectorized dense one
    np.testing.assert_array_equal(pe.from_numpy(x32)[::3].exp().numpy(), got[::3])
    # and sigmoid, which uses the same exp
    s = pe.from_numpy(x32[::7]).sigmoid().numpy()
    np.testing.assert_allclose(s, 1 / (1 + np.exp(-x32[::7].astype(np.float64))), rtol=1e-6, atol=1e-30)


def test_exp_special_values():
    x = pe.tensor([float("nan"), float("inf"), -float("inf"), 88.73, -104.0, 0.0, -0.0, -87.4, -103.9])
    r = x.exp().numpy()
    assert np.isnan(r[0]) and r[1] == np.inf and r[2] == 0 and r[3] == np.inf and r[4] == 0
    assert r[5] == 1 and r[6] == 1
    np.testing.assert_allclose(r[7:], np.exp(np.array([-87.4, -103.9], dtype=np.float32).astype(np.float64)),
                               rtol=2e-7, atol=2 * 2.0 ** -149)
    s = pe.tensor([-100.0, 100.0, float("nan")]).sigmoid().numpy()
    # sigmoid(-100) is the denormal 3.8e-44 (float64 math rounded); PyTorch's 1 / (1 + exp(100)) gives 0
    assert abs(float(s[0]) - 1 / (1 + np.exp(100.0))) <= 2.0 ** -149 and s[1] == 1 and np.isnan(s[2])


ROUNDING = {"ceil": np.ceil, "floor": np.floor, "round": np.rint, "trunc": np.trunc,
            "frac": lambda a: a - np.trunc(a)}


@pytest.mark.parametrize("op", list(ROUNDING))
@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_rounding(op, name):
    if name in FLOAT_NAMES:
        x, xr = tensor_of([-2.5, -1.5, -0.5, -0.25, 0.0, 0.5, 1.5, 2.5, 3.75, -3.75, 7.0, 1e3 + 0.5], name)
        assert_same(getattr(pe, op)(x), rounded(ROUNDING[op](xr), name), dtype=name)
        y = x.clone()
        getattr(y, op + "_")()
        assert_same(y, rounded(ROUNDING[op](xr), name))
    elif name == "bool" or op == "frac":
        assert_raises_like_torch(NotImplementedError, lambda m: getattr(m, op)(m.ones(3, dtype=getattr(m, name))))
    else:  # integers are already integral: an equal copy
        x, xr = tensor_of([0, 1, 2, 3, 5, 7], name)
        r = getattr(pe, op)(x)
        assert_same(r, xr.astype(NP_DTYPES[name]), dtype=name)
        assert r.data_ptr() != x.data_ptr()


@pytest.mark.parametrize("name", FLOAT_NAMES)
@pytest.mark.parametrize("decimals", [1, 2, -1, -2, 0])
def test_round_decimals(name, decimals):
    x, xr = tensor_of([1.2345, -1.2355, 15.0, 25.0, 0.125, -777.77, 3.14159], name)
    m = np.float32 if name != "float64" else np.float64  # PyTorch computes in opmath (float for 16-bit)
    xm = xr.astype(m)
    scale = m(10.0 ** abs(decimals))
    want = np.rint(xm / scale) * scale if decimals < 0 else np.rint(xm * scale) / scale
    assert_same(pe.round(x, decimals=decimals), rounded(want, name), dtype=name)
    assert_same(x.round(decimals=decimals), rounded(want, name))


def test_round_decimals_errors():
    assert_raises_like_torch(NotImplementedError, lambda m: m.round(m.arange(3), decimals=1))
    assert_raises_like_torch(NotImplementedError, lambda m: m.round(m.arange(3), decimals=0))
    assert pe.round(pe.arange(3)).dtype is pe.int64  # without decimals, integers pass through


SAME_DTYPE = {
    "sign": np.sign, "relu": lambda a: np.maximum(a, 0), "abs": np.abs, "neg": np.negative,
    "square": np.square, "bitwise_not": np.invert,
}


@pytest.mark.parametrize("op", list(SAME_DTYPE))
@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_dtype_keeping_ops(op, name):
    v = [-3, -2, -1, 0, 1, 2, 5, 7] if name not in ("uint8", "bool") else [0, 1, 2, 3, 200, 255]
    if name in FLOAT_NAMES:
        v = [-2.5, -1.0, -0.0, 0.0, 0.5, 3.0, float("nan"), float("inf")]
    if name == "bool":
        v = [True, False, True]
    bad = {("relu", "bool"): RuntimeError, ("abs", "bool"): NotImplementedError, ("neg", "bool"): RuntimeError}
    if (op, name) in bad or (op == "bitwise_not" and name in FLOAT_NAMES):
        exc = bad.get((op, name), NotImplementedError)
        assert_raises_like_torch(exc, lambda m: getattr(m, op)(m.tensor(v).to(getattr(m, name))))
        return
    x, xr = tensor_of(v, name)
    out = "int64" if (op == "square" and name == "bool") else name
    with np.errstate(all="ignore"):
        src = xr.astype(NP_DTYPES[name]) if name != "bfloat16" else xr.astype(np.float32)
        if op == "sign" and name in FLOAT_NAMES:
            want = np.nan_to_num(np.sign(src), nan=0.0)  # PyTorch: sign(nan) = 0
        elif op == "square" and name == "bool":
            want = src.astype(np.int64)
        elif name == "bool":  # sign and bitwise_not of bool
            want = src if op == "sign" else ~src
        else:
            want = SAME_DTYPE[op](src)
    assert_same(getattr(pe, op)(x), rounded(want, out) if out in FLOAT_NAMES else want.astype(NP_DTYPES[out]),
                dtype=out)
    if out == name:
        y = x.clone()
        getattr(y, op + "_")()
        assert_same(y, to_np(getattr(pe, op)(x)))


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_predicates_and_logical_not(name):
    v = [0.0, 1.5, -2.0, float("nan"), float("inf"), -float("inf")] if name in FLOAT_NAMES else [0, 1, 2, 0]
    if name == "bool":
        v = [True, False]
    x, xr = tensor_of(v, name)
    assert_same(pe.isnan(x), np.isnan(xr), dtype="bool")
    assert_same(x.isinf(), np.isinf(xr), dtype="bool")
    assert_same(pe.isfinite(x), np.isfinite(xr), dtype="bool")
    assert_same(pe.logical_not(x), xr == 0, dtype="bool")
    y = x.clone()
    y.logical_not_()  # keeps y's dtype: 1/0 values
    assert_same(y.to(pe.float64), (xr == 0).astype(np.float64), dtype="float64")


@pytest.mark.parametrize("name", FLOAT_NAMES)
def test_nan_to_num(name):
    big = {"float16": 65504.0, "bfloat16": 3.3895313892515355e38,
           "float32": float(np.finfo(np.float32).max), "float64": float(np.finfo(np.float64).max)}[name]
    x, _ = tensor_of([float("nan"), float("inf"), -float("inf"), 1.5], name)
    assert_same(pe.nan_to_num(x).to(pe.float64), np.array([0.0, big, -big, 1.5]), dtype="float64")
    assert_same(x.nan_to_num(nan=2.0, posinf=5.0, neginf=-7.0).to(pe.float64), np.array([2.0, 5.0, -7.0, 1.5]))
    y = x.clone()
    y.nan_to_num_(1.0)
    assert_same(y.to(pe.float64), np.array([1.0, big, -big, 1.5]))


def test_nan_to_num_integers_and_positive():
    x = pe.tensor([1, 2, 3])
    r = pe.nan_to_num(x, nan=1.5)
    assert r.dtype is pe.int64 and r.tolist() == [1, 2, 3] and r.data_ptr() != x.data_ptr()
    assert pe.positive(x) is x and (+x) is x and x.positive() is x
    assert_raises_like_torch(RuntimeError, lambda m: m.positive(m.ones(2, dtype=m.bool)))


def test_default_dtype_for_int_inputs():
    pe.set_default_dtype(pe.float64)
    assert pe.sqrt(pe.tensor([4, 9])).dtype is pe.float64
    assert pe.sigmoid(pe.tensor([True])).dtype is pe.float64


def test_unary_errors():
    assert_raises_like_torch(TypeError, lambda m: ~m.ones(2))
    assert_raises_like_torch(NotImplementedError, lambda m: m.bitwise_not(m.ones(2)))
    assert_raises_like_torch(RuntimeError, lambda m: m.arange(3).sqrt_())
    assert_raises_like_torch(RuntimeError, lambda m: m.exp(m.ones(2), out=m.empty(2, dtype=m.int64)))
    assert_raises_like_torch(TypeError, lambda m: m.exp([1.0, 2.0]))
    assert_raises_like_torch(TypeError, lambda m: m.sqrt(None))
