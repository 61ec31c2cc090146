"""Binary elementwise ops against numpy: floor_divide / remainder / fmod / div(rounding_mode) / pow /
atan2 / maximum / minimum / fmax / fmin / bitwise and shifts / comparisons / logical ops; every dtype,
layouts (transposed, stepped, broadcast, 0-d, empty), Python numbers on either side, the operators
and their reflected and in-place forms (also on views), out=, and PyTorch's errors."""
import operator

import numpy as np
import pytest

import pyengine as pe
from pe_testing import (DTYPE_NAMES, FLOAT_NAMES, INT_NAMES, LAYOUT_NAMES, NP_DTYPES, assert_raises_like_torch,
                        assert_same, bf16_round, make_layout, pe_dtype, to_np)


def promote(a: str, b: str) -> str:
    """PyTorch's promotion of two dim>0 tensors."""
    if a == b or b == "bool":
        return a
    if a == "bool":
        return b
    fa, fb = a in FLOAT_NAMES, b in FLOAT_NAMES
    if fa and fb:
        return "float32" if {a, b} == {"float16", "bfloat16"} else max(a, b, key=DTYPE_NAMES.index)
    if fa or fb:
        return a if fa else b
    if {a, b} == {"uint8", "int8"}:
        return "int16"
    return max(a, b, key=DTYPE_NAMES.index)


def can_cast(src: str, dst: str) -> bool:
    """torch.can_cast: no floating -> integral, nothing but bool -> bool."""
    if src in FLOAT_NAMES and dst not in FLOAT_NAMES:
        return False
    return not (dst == "bool" and src != "bool")


def tensor_of(v, name):
    v = np.asarray(v)
    if name == "bfloat16":
        r = bf16_round(v.astype(np.float64))
        return pe.tensor(r).to(pe.bfloat16), r.astype(np.float64)
    arr = v.astype(NP_DTYPES[name])
    return pe.tensor(arr), arr


def cast(ref, name):
    if name == "bfloat16":
        return bf16_round(np.asarray(ref, dtype=np.float64))
    return np.asarray(ref).astype(NP_DTYPES[name])


def sample(name, nonzero=False, small=False):
    if name == "bool":
        return np.array([True, False, True, True, False, True]) if not nonzero else np.ones(6, dtype=bool)
    v = np.array([-7, -3, -1, 0, 2, 5]) if name != "uint8" else np.array([0, 1, 3, 5, 7, 200])
    if small:
        v = np.array([0, 1, 2, 3, 1, 2])
    if name in FLOAT_NAMES and not small:
        v = np.array([-7.5, -3.0, -1.25, 0.0, 2.5, 5.0])
    if nonzero:
        v = np.where(v == 0, 3, v)
    return v


TOL = {"float16": dict(rtol=2e-3, atol=2e-3), "bfloat16": dict(rtol=1.6e-2, atol=1.6e-2),
       "float32": dict(rtol=2e-6, atol=1e-6), "float64": dict(rtol=1e-13, atol=1e-13)}

# name: (numpy reference, dtypes it exists for, divisor must be nonzero, exponent-like small rhs)
OPS = {
    "floor_divide": (np.floor_divide, "numeric", True, False),
    "remainder": (np.remainder, "numeric", True, False),
    "fmod": (np.fmod, "numeric", True, False),
    "pow": (np.power, "numeric", False, True),
    "atan2": (np.arctan2, "all", False, False),
    "maximum": (np.maximum, "all", False, False),
    "minimum": (np.minimum, "all", False, False),
    "fmax": (np.fmax, "all", False, False),
    "fmin": (np.fmin, "all", False, False),
    "bitwise_and": (np.bitwise_and, "integral", False, False),
    "bitwise_or": (np.bitwise_or, "integral", False, False),
    "bitwise_xor": (np.bitwise_xor, "integral", False, False),
    "bitwise_left_shift": (np.left_shift, "int", False, True),
    "bitwise_right_shift": (np.right_shift, "int", False, True),
}
COMPARE = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
           "ge": np.greater_equal, "logical_and": np.logical_and, "logical_or": np.logical_or,
           "logical_xor": np.logical_xor}
PAIRS = [(n, n) for n in DTYPE_NAMES] + [("int32", "int64"), ("uint8", "int8"), ("int16", "float32"),
                                          ("bool", "int32"), ("float16", "bfloat16"), ("float32", "float64"),
                                          ("int64", "float16"), ("bool", "float64")]


def exists(kind, name):
    return {"numeric": name != "bool", "all": True, "integral": name not in FLOAT_NAMES,
            "int": name in INT_NAMES}[kind]


def reference(f, a, b, out):
    """numpy result in the compute dtype (float64 for floats, the integer dtype for integers)."""
    with np.errstate(all="ignore"):
        if out in FLOAT_NAMES:
            r = f(a.astype(np.float64), b.astype(np.float64))
        else:
            r = f(a.astype(NP_DTYPES[out]), b.astype(NP_DTYPES[out]))
    return cast(r, out)


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("a,b", PAIRS)
def test_binary_math_values(op, a, b):
    f, kind, nonzero, small = OPS[op]
    out = promote(a, b)
    if op == "atan2" and out not in FLOAT_NAMES:
        out = "float32"
    if not exists(kind, promote(a, b)):
        exc = NotImplementedError
        assert_raises_like_torch(exc, lambda m: getattr(m, op)(m.ones(2, dtype=getattr(m, a)),
                                                               m.ones(2, dtype=getattr(m, b))))
        return
    x, xr = tensor_of(sample(a), a)
    y, yr = tensor_of(sample(b, nonzero=nonzero, small=small), b)
    want = reference(f, xr, yr, out)
    tol = TOL.get(out, {})
    assert_same(getattr(pe, op)(x, y), want, dtype=out, **tol)
    assert_same(getattr(x, op)(y), want, **tol)
    if op in ("maximum", "minimum", "fmax", "fmin"):
        return  # no in-place forms in PyTorch
    if can_cast(out, a):
        z = x.clone()
        assert getattr(z, op + "_")(y) is z
        assert_same(z, cast(want.astype(np.float64) if a in FLOAT_NAMES else want, a), **TOL.get(a, {}))
    else:
        with pytest.raises(RuntimeError, match="can't be cast"):
            getattr(x.clone(), op + "_")(y)


@pytest.mark.parametrize("op", list(COMPARE))
@pytest.mark.parametrize("a,b", PAIRS)
def test_comparison_values(op, a, b):
    x, xr = tensor_of(sample(a), a)
    y, yr = tensor_of(sample(b)[::-1], b)
    common = promote(a, b)
    want = COMPARE[op](cast(xr, common).astype(np.float64 if common in FLOAT_NAMES else NP_DTYPES[common]),
                       cast(yr, common).astype(np.float64 if common in FLOAT_NAMES else NP_DTYPES[common]))
    assert_same(getattr(pe, op)(x, y), want, dtype="bool")
    assert_same(getattr(x, op)(y), want, dtype="bool")
    z = x.clone()
    getattr(z, op + "_")(y)  # the bool result written into z's dtype
    assert_same(z.to(pe.float64), want.astype(np.float64))


OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
             "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "==": operator.eq,
             "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
NP_OPERATORS = {"/": np.true_divide, "//": np.floor_divide, "%": np.remainder, "**": np.power}


@pytest.mark.parametrize("sym", list(OPERATORS))
@pytest.mark.parametrize("name", ["int64", "int32", "uint8", "float32", "float64", "float16"])
@pytest.mark.parametrize("number", [3, 2.5])
def test_operators_with_numbers_both_sides(sym, name, number):
    f = OPERATORS[sym]
    npf = NP_OPERATORS.get(sym, f)
    x, xr = tensor_of(sample(name, nonzero=True, small=sym == "**"), name)
    is_cmp = sym in ("==", "!=", "<", "<=", ">", ">=")
    if isinstance(number, float):
        out = name if name in FLOAT_NAMES else "float32"
    else:
        out = "float32" if (sym == "/" and name not in FLOAT_NAMES) else name
    calc = np.float64 if out in FLOAT_NAMES else np.int64
    for r, want in ((f(x, number), npf(xr.astype(calc), calc(number))),
                    (f(number, x), npf(calc(number), xr.astype(calc)))):
        if is_cmp:
            assert_same(r, np.asarray(want), dtype="bool")
        else:
            with np.errstate(all="ignore"):
                assert_same(r, cast(want, out), dtype=out, **TOL.get(out, {}))


@pytest.mark.parametrize("sym", ["+", "-", "*", "/", "//", "%", "**", "&", "|", "^", "<<", ">>"])
def test_inplace_operators_on_views(sym):
    f = {"&": operator.and_, "|": operator.or_, "^": operator.xor, "<<": operator.lshift,
         ">>": operator.rshift}.get(sym) or OPERATORS[sym]
    floaty = sym in ("/",)
    base = pe.arange(1, 25).view(4, 6).to(pe.float64 if floaty else pe.int64)
    ref = to_np(base).copy()
    views = [(lambda t: t[1], lambda a: a[1]), (lambda t: t.t()[2], lambda a: a.T[2]),
             (lambda t: t[:, ::2], lambda a: a[:, ::2]), (lambda t: t[1:3, 1:4], lambda a: a[1:3, 1:4])]
    v0 = base._version
    for vt, va in views:
        v = vt(base)
        w = v
        exec("v %s= 2" % sym)  # noqa: S102  (the augmented assignment under test)
        assert v is w  # in place: the same object
        va(ref)[...] = f(va(ref), 2) if sym not in ("/", "//", "%", "**") else NP_OPERATORS[sym](va(ref), 2)
    assert base._version >= v0 + len(views)
    assert_same(base, ref.astype(to_np(base).dtype))


@pytest.mark.parametrize("op", ["remainder", "floor_divide", "maximum", "eq", "pow", "atan2", "bitwise_xor"])
@pytest.mark.parametrize("la", LAYOUT_NAMES)
@pytest.mark.parametrize("lb", ["contiguous", "transposed", "zero_dim", "expanded"])
def test_layouts_and_broadcast(op, la, lb):
    name = "int64" if op == "bitwise_xor" else "float32"
    x, xr = make_layout(la, name)
    y, yr = make_layout(lb, name)
    if op in ("remainder", "floor_divide"):
        yr = np.where(yr == 0, 3, yr).astype(yr.dtype)
        y = pe.tensor(yr) if lb != "transposed" else pe.tensor(np.ascontiguousarray(yr.T)).t()
    if op == "pow":
        yr = (np.abs(yr) % 3).astype(yr.dtype)
        y = pe.tensor(yr)
    try:
        shape = np.broadcast_shapes(xr.shape, yr.shape)
    except ValueError:
        assert_raises_like_torch(RuntimeError, lambda m: getattr(m, op)(m.ones(*xr.shape), m.ones(*yr.shape)))
        return
    f = {**{k: v[0] for k, v in OPS.items()}, **COMPARE}[op]
    calc = np.int64 if name == "int64" else np.float64
    with np.errstate(all="ignore"):
        want = f(xr.astype(calc), yr.astype(calc))
    r = getattr(pe, op)(x, y)
    assert tuple(r.shape) == shape
    want = want if op == "eq" else want.astype(to_np(r).dtype)
    assert_same(r, want, rtol=2e-6, atol=1e-6)


def test_comparison_python_protocol():
    x = pe.tensor([1.0, 2.0, 3.0])
    assert (x == None) is False and (x != None) is True  # noqa: E711
    assert (x == "a") is False
    assert hash(x) == object.__hash__(x) and len({x, x, pe.tensor([1.0])}) == 2
    assert_same(2 < x, np.array([False, False, True]), dtype="bool")  # reflected to x > 2
    assert_same(2.5 >= x, np.array([True, True, False]), dtype="bool")
    assert_raises_like_torch(TypeError, lambda m: m.ones(2) < None)
    assert_raises_like_torch(TypeError, lambda m: m.ones(2) + "a")
    assert_raises_like_torch(TypeError, lambda m: m.eq(2, m.ones(2)))
    assert_raises_like_torch(TypeError, lambda m: m.maximum(m.ones(2), 2))
    assert_raises_like_torch(TypeError, lambda m: m.atan2(m.ones(2), 2))
    assert_raises_like_torch(TypeError, lambda m: m.logical_and(m.ones(2), True))


def test_add_sub_alpha_rsub_and_number_inputs():
    x, xr = tensor_of([1.0, 2.0, 3.0], "float32")
    assert_same(pe.add(x, x, alpha=2.5), xr + 2.5 * xr)
    assert_same(pe.sub(x, 1, alpha=2), xr - 2)
    assert_same(pe.add(2, x, alpha=3), 2 + 3 * xr)
    assert_same(pe.sub(2, pe.tensor([1, 2]), alpha=2), np.array([0, -2]), dtype="int64")
    assert_same(pe.rsub(x, 10, alpha=2), 10 - 2 * xr)
    assert_same(pe.mul(2, pe.tensor([1, 2])), np.array([2, 4]), dtype="int64")
    assert_same(pe.div(1, pe.tensor([1, 2], dtype=pe.uint8)), np.array([1.0, 0.5]), dtype="float32")
    assert_same(pe.pow(2, pe.tensor([0, 3])), np.array([1, 8]), dtype="int64")
    assert_same(pe.pow(2.0, pe.tensor([0, 3])), np.array([1.0, 8.0]), dtype="float32")
    assert_same(pe.true_divide(pe.tensor([3, 4]), 2), np.array([1.5, 2.0]), dtype="float32")
    assert_same(pe.float_power(pe.tensor([2, 3]), 2), np.array([4.0, 9.0]), dtype="float64")
    r = pe.add(2, 3.5)  # two numbers: a 0-dim tensor (only for add/sub/mul/div/floor_divide)
    assert r.dim() == 0 and r.dtype is pe.float32 and r.item() == 5.5
    assert_raises_like_torch(TypeError, lambda m: m.remainder(2, 3))
    assert_raises_like_torch(RuntimeError, lambda m: m.add(m.tensor([1, 2]), 1, alpha=1.5))
    assert_raises_like_torch(RuntimeError, lambda m: m.ones(2).float_power_(2))


@pytest.mark.parametrize("name", ["int64", "int32", "int8", "uint8", "float32", "float64", "float16"])
@pytest.mark.parametrize("mode", ["trunc", "floor", None])
def test_div_rounding_modes(name, mode):
    a = np.array([-7, -6, -1, 0, 5, 7, 100]) if name != "uint8" else np.array([0, 1, 5, 7, 100, 200, 255])
    x, xr = tensor_of(a, name)
    y, yr = tensor_of(np.array([2, -4, 3, 5, -3, 7, 9]) if name != "uint8" else np.array([2, 4, 3, 5, 3, 7, 9]), name)
    q = xr.astype(np.float64) / yr.astype(np.float64)
    out = name if mode else (name if name in FLOAT_NAMES else "float32")
    want = {"trunc": np.trunc(q), "floor": np.floor(q), None: q}[mode]
    assert_same(pe.div(x, y, rounding_mode=mode), cast(want, out), dtype=out, **TOL.get(out, {}))
    assert_same(x.div(y, rounding_mode=mode), cast(want, out), **TOL.get(out, {}))
    if out == name:
        z = x.clone()
        z.div_(y, rounding_mode=mode)
        assert_same(z, cast(want, out), **TOL.get(out, {}))
    if mode == "floor":
        assert_same(x // y, cast(want, out), **TOL.get(out, {}))


def test_float_division_corners():
    x = pe.tensor([-3.0, 3.0, 0.0, -0.0, 5.0])
    assert_same(pe.floor_divide(x, 0.0), np.array([-np.inf, np.inf, np.nan, np.nan, np.inf]))
    assert_same(pe.remainder(x, float("inf")), np.array([np.inf, 3.0, 0.0, 0.0, 5.0]))  # PyTorch: -3 % inf = inf
    assert_same(pe.floor_divide(x, float("inf")), np.array([-1.0, 0.0, 0.0, -0.0, 0.0]))
    assert_same(x % -2, np.remainder(to_np(x), -2))
    assert_same(pe.fmod(x, -2), np.fmod(to_np(x), -2))
    assert_same(pe.maximum(pe.tensor([float("nan"), 1.0]), pe.tensor([1.0, float("nan")])), np.array([np.nan] * 2))
    assert_same(pe.fmin(pe.tensor([float("nan"), 1.0]), pe.tensor([1.0, float("nan")])), np.array([1.0, 1.0]))


def test_integer_corners():
    i = pe.tensor([-3, -2, -1, 0, 1, 2, 3])
    assert_same(i ** 2, np.array([9, 4, 1, 0, 1, 4, 9]), dtype="int64")
    assert_same(pe.pow(i, pe.tensor(-1)), np.array([0, 0, -1, 0, 1, 0, 0]))  # PyTorch's integer pow
    assert_same(pe.pow(pe.tensor([2], dtype=pe.int8), 7), np.array([-128]), dtype="int8")  # wraps
    assert_same(pe.tensor([1, 2]) << 70, np.array([0, 0]))
    assert_same(pe.tensor([-8, 8]) >> 70, np.array([-1, 0]))
    assert_same(pe.tensor([200], dtype=pe.uint8) >> 9, np.array([0]), dtype="uint8")
    assert_same(pe.tensor([True, False]) & True, np.array([True, False]), dtype="bool")
    assert_same(pe.tensor([True, False]) | 2, np.array([3, 2]), dtype="int64")
    assert_same(5 & pe.tensor([1, 4]), np.array([1, 4]))
    assert_same(1 << pe.tensor([0, 3]), np.array([1, 8]))
    assert_same(pe.tensor([True, False]) ** True, np.array([True, False]), dtype="bool")
    assert_same(pe.tensor([True, False]) ** False, np.array([True, True]), dtype="bool")
    # INT_MIN // -1 wraps instead of trapping (PyTorch crashes the process here)
    assert_same(pe.tensor([-2 ** 63, 6]) // -1, np.array([-2 ** 63, -6]))
    assert_same(pe.fmod(pe.tensor([-128], dtype=pe.int8), -1), np.array([0]), dtype="int8")


def test_errors_like_torch():
    i = lambda m: m.tensor([1, 2, 3])  # noqa: E731
    for fn in (lambda m: i(m) // 0, lambda m: i(m) % 0, lambda m: m.fmod(i(m), m.tensor([1, 0, 1])),
               lambda m: m.div(i(m), 0, rounding_mode="trunc"), lambda m: 5 // m.tensor([1, 0]),
               lambda m: i(m).remainder_(0), lambda m: i(m) ** -1, lambda m: m.pow(i(m).to(m.uint8), -2),
               lambda m: m.div(i(m), 2, rounding_mode="round"), lambda m: m.ones(2, dtype=m.bool) - True,
               lambda m: m.ones(3) + m.ones(2), lambda m: m.ones(3).add_(m.ones(2, 3)),
               lambda m: m.ones(3, dtype=m.int64).add_(1.5), lambda m: m.ones(3, dtype=m.bool).mul_(2),
               lambda m: m.ones(3).expand(2, 3).add_(1)):
        assert_raises_like_torch(RuntimeError, fn)
    for fn in (lambda m: m.ones(2) & m.ones(2), lambda m: m.ones(2) | 1, lambda m: m.ones(2, dtype=m.bool) ** m.ones(2, dtype=m.bool),
               lambda m: m.ones(2) << 1, lambda m: m.tensor([1]) << 1.5, lambda m: m.ones(2, dtype=m.bool) >> m.ones(2, dtype=m.bool),
               lambda m: m.ones(2, dtype=m.bool) // m.ones(2, dtype=m.bool), lambda m: m.remainder(m.ones(2, dtype=m.bool), True)):
        assert_raises_like_torch(NotImplementedError, fn)


def test_inplace_partial_overlap():
    def broadcast_row(m):
        x = m.arange(12.0).view(3, 4)
        x += x[0]
    assert_raises_like_torch(RuntimeError, broadcast_row)
    x = pe.arange(12.0).view(3, 4)
    x[:, 0] += x[:, 1]  # interleaved, not dense: allowed (as PyTorch)
    x += x  # the same memory: allowed
    assert_same(x[:, 0], np.array([2.0, 18.0, 34.0]))


def test_out_argument():
    x, xr = tensor_of([1.0, 2.0, 3.0], "float32")
    o = pe.empty(0)
    assert pe.maximum(x, x * 2, out=o) is o
    assert_same(o, 2 * xr)
    o64 = pe.empty(3, dtype=pe.float64)
    pe.eq(x, 2.0, out=o64)
    assert_same(o64, np.array([0.0, 1.0, 0.0]), dtype="float64")
    pe.add(x, x, out=x)  # out aliases an input
    assert_same(x, 2 * xr)
    assert_raises_like_torch(RuntimeError, lambda m: m.add(m.ones(2), 1, out=m.empty(2, dtype=m.int64)))
    assert_raises_like_torch(RuntimeError, lambda m: m.add(m.tensor([1]), 1, out=m.empty(1, dtype=m.bool)))
    assert pe.add(pe.ones(2, dtype=pe.bool), True, out=pe.empty(0, dtype=pe.int8)).dtype is pe.int8


def test_numpy_scalars_defer_to_tensors():
    x = pe.tensor([1.0, 2.0])
    for r in (np.float64(2.0) + x, x + np.float64(2.0), np.int64(3) * x, np.float32(1.5) > x):
        assert isinstance(r, pe.Tensor)
    assert (np.float64(2.0) + x).dtype is pe.float32  # a number: it does not widen the tensor
    assert_same(np.float32(1.5) > x, np.array([True, False]), dtype="bool")
