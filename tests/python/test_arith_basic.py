"""add / sub / mul / div / neg / abs: values against numpy, PyTorch's type promotion, broadcasting,
non-contiguous operands, scalars, in-place forms."""
import operator

import numpy as np
import pytest

import pyengine as pe
from pe_testing import (DTYPE_NAMES, FLOAT_NAMES, INT_NAMES, LAYOUT_NAMES, NP_DTYPES, assert_raises_like_torch,
                        assert_same, bf16_round, dtype_name, make, make_layout, pe_dtype, ref_torch, to_np)


def tensor_promote(a: str, b: str) -> str:
    """PyTorch's tensor-tensor promotion (both operands with dim > 0)."""
    if a == b:
        return a
    order = {n: i for i, n in enumerate(DTYPE_NAMES)}
    if a == "bool":
        return b
    if b == "bool":
        return a
    fa, fb = a in FLOAT_NAMES, b in FLOAT_NAMES
    if fa and fb:
        return "float32" if {a, b} == {"float16", "bfloat16"} else max(a, b, key=order.get)
    if fa or fb:
        return a if fa else b
    if {a, b} == {"uint8", "int8"}:
        return "int16"
    return max(a, b, key=order.get)


def expected_values(op, a, b, out_name):
    """numpy reference computed in float64 then cast to the result dtype."""
    a = np.asarray(a).astype(np.float64)
    b = np.asarray(b).astype(np.float64)
    if op == "add":
        r = a + b
    elif op == "sub":
        r = a - b
    elif op == "mul":
        r = a * b
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            r = a / b
    if out_name == "bool":
        return r != 0
    if out_name == "bfloat16":
        return bf16_round(r)
    return r.astype(NP_DTYPES[out_name])


TOL = {"float16": dict(rtol=1e-3, atol=1e-3), "bfloat16": dict(rtol=1e-2, atol=1e-2),
       "float32": dict(rtol=1e-6, atol=1e-6), "float64": dict(rtol=1e-12, atol=1e-12)}


def check(t, ref, name):
    assert t.dtype is pe_dtype(name), (t.dtype, name)
    assert_same(t, ref, **TOL.get(name, {}))


OPS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv}

# pairs chosen to cover every promotion rule (bool, int widening, uint8+int8, int+float, f16+bf16)
PAIRS = [
    ("float32", "float32"), ("float64", "float32"), ("int64", "int64"), ("int32", "int64"), ("int16", "int8"),
    ("uint8", "int8"), ("uint8", "int16"), ("uint8", "uint8"), ("bool", "int32"), ("bool", "float16"),
    ("int64", "float32"), ("int32", "float16"), ("float16", "bfloat16"), ("float16", "float32"),
    ("bfloat16", "float64"), ("bfloat16", "bfloat16"), ("float16", "float16"), ("int8", "int8"), ("bool", "bool"),
    ("uint8", "float64"),
]


def operands(a, b, op):
    x, xr = make((3, 4), a)
    y, yr = make((3, 4), b)
    if op == "div" and b != "bool":
        # avoid division by zero in integer inputs (its result is checked separately)
        yr = np.where(yr == 0, 3, yr).astype(yr.dtype)
        y = pe.tensor(yr).to(pe_dtype(b)) if b != "bfloat16" else pe.tensor(yr).to(pe.bfloat16)
    return x, xr, y, yr


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("a,b", PAIRS)
def test_binary_tensor_tensor_promotion(op, a, b):
    x, xr, y, yr = operands(a, b, op)
    if op == "sub" and "bool" in (a, b):
        # PyTorch refuses subtraction with a bool tensor operand
        assert_raises_like_torch(RuntimeError,
                                 lambda m: m.ones(2, dtype=getattr(m, a)) - m.ones(2, dtype=getattr(m, b)))
        return
    out = tensor_promote(a, b)
    if op == "div" and out in ("bool", *INT_NAMES):
        out = dtype_name(pe.get_default_dtype())
    if op == "div" and b == "bool":
        yr = np.ones_like(yr)
        y = pe.ones(3, 4, dtype=pe.bool)
    r = OPS[op](x, y)
    check(r, expected_values(op, xr, yr, out), out)
    # method and module-function forms agree
    check(getattr(x, op)(y), expected_values(op, xr, yr, out), out)
    check(getattr(pe, op)(x, y), expected_values(op, xr, yr, out), out)


def test_promotion_table_matches_torch():
    torch = ref_torch()
    if torch is None:
        pytest.skip("torch not installed")
    for a, b in PAIRS:
        for op in ("add", "mul"):
            ta = torch.ones(2, dtype=getattr(torch, a))
            tb = torch.ones(2, dtype=getattr(torch, b))
            assert dtype_name(getattr(torch, op)(ta, tb).dtype) == tensor_promote(a, b)


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("name", ["int32", "uint8", "int64", "float16", "bfloat16", "float32", "float64", "bool"])
@pytest.mark.parametrize("scalar", [3, 2.5, True])
def test_binary_tensor_python_scalar(op, name, scalar):
    if op == "sub" and (name == "bool" or isinstance(scalar, bool)):
        # PyTorch refuses subtraction with any bool operand
        assert_raises_like_torch(RuntimeError, lambda m: m.zeros(2, dtype=getattr(m, name)) - scalar)
        return
    x, xr = make((2, 5), name)
    # PyTorch: a Python scalar participates only through its category
    if isinstance(scalar, bool):
        out = name
    elif isinstance(scalar, int):
        out = "int64" if name == "bool" else name
    else:
        out = name if name in FLOAT_NAMES else "float32"
    if op == "div" and out not in FLOAT_NAMES:
        out = "float32"
    r = OPS[op](x, scalar)
    check(r, expected_values(op, xr, scalar, out), out)
    torch = ref_torch()
    if torch is not None:
        tx = torch.zeros(1, dtype=getattr(torch, name))
        assert dtype_name(OPS[op](tx, scalar).dtype) == out


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("name", ["int64", "float32", "uint8"])
def test_reflected_scalar_ops(op, name):
    x, xr = make((2, 3), name)
    if op == "div":
        xr = np.where(xr == 0, 2, xr).astype(xr.dtype)
        x = pe.tensor(xr)
    out = name if op != "div" or name == "float32" else "float32"
    r = OPS[op](5, x)
    check(r, expected_values(op, 5, xr, out), out)


@pytest.mark.parametrize("tname,sname,out", [
    # a 0-d tensor of a higher category contributes its own dtype (not the default dtype)
    ("float32", "float64", "float32"), ("int32", "int64", "int32"), ("int64", "float64", "float64"),
    ("float16", "float64", "float16"), ("uint8", "int8", "uint8"), ("bool", "int64", "int64"),
    ("int8", "float16", "float16"), ("bool", "float64", "float64"), ("int32", "float32", "float32"),
    ("int64", "bool", "int64"), ("float16", "bool", "float16"),
])
def test_zero_dim_tensor_promotes_like_scalar(tname, sname, out):
    x, xr = make((3,), tname)
    sv = 1 if sname == "bool" else 2
    s = pe.tensor(sv, dtype=pe_dtype(sname))
    r = x + s
    check(r, expected_values("add", xr, sv, out), out)
    r2 = s * x
    check(r2, expected_values("mul", sv, xr, out), out)
    torch = ref_torch()
    if torch is not None:
        tx = torch.zeros(3, dtype=getattr(torch, tname))
        assert dtype_name((tx + torch.tensor(2, dtype=getattr(torch, sname))).dtype) == out


def test_zero_dim_with_zero_dim_promotes_normally():
    r = pe.tensor(1, dtype=pe.int32) + pe.tensor(2.0, dtype=pe.float64)
    assert r.dtype is pe.float64 and r.shape == () and r.item() == 3.0


def test_default_dtype_affects_int_plus_float():
    pe.set_default_dtype(pe.float64)
    assert (pe.tensor([1, 2]) + 0.5).dtype is pe.float64
    assert (pe.tensor([1, 2]) / 2).dtype is pe.float64


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("sa,sb", [((3, 1), (1, 4)), ((4,), (3, 4)), ((2, 1, 4), (3, 1)), ((), (2, 3)),
                                   ((0, 3), (1, 3)),
                                   ((1,), (0,)), ((5, 1, 1), (1,))])
def test_broadcasting(op, sa, sb):
    x, xr = make(sa, "float32")
    y, yr = make(sb, "float32")
    yr = np.where(yr == 0, 1, yr).astype(np.float32)
    y = pe.tensor(yr)
    r = OPS[op](x, y)
    check(r, expected_values(op, xr, yr, "float32"), "float32")
    r2 = OPS[op](y, x)
    check(r2, expected_values(op, yr, xr, "float32"), "float32")


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("la", LAYOUT_NAMES)
@pytest.mark.parametrize("lb", ["contiguous", "transposed", "sliced_step", "expanded"])
def test_noncontiguous_operands(op, la, lb):
    x, xr = make_layout(la, "float64")
    y, yr = make_layout(lb, "float64")
    yr = np.where(yr == 0, 1.0, yr)
    y = pe.tensor(np.ascontiguousarray(yr)) if lb == "contiguous" else y.clone().copy_(pe.tensor(yr))
    if la == "empty":
        x, xr = pe.zeros(0, 4, dtype=pe.float64), np.zeros((0, 4))
        y, yr = y[:1], yr[:1]
    r = OPS[op](x, y)
    check(r, expected_values(op, xr, yr, "float64"), "float64")
    # inputs untouched
    assert_same(x, xr)


def test_result_is_new_contiguous_tensor():
    x, xr = make((4, 3))
    r = x.t() + 1  # (its layout is checked in test_conversion.py::test_dense_layout_is_preserved)
    assert r.data_ptr() != x.data_ptr()
    assert_same(r, xr.T + 1)


def test_alpha():
    x = pe.tensor([1, 2])
    y = pe.tensor([10, 20])
    assert x.add(y, alpha=3).tolist() == [31, 62]
    assert x.sub(y, alpha=2).tolist() == [-19, -38]
    assert pe.add(x, 2, alpha=3).tolist() == [7, 8]
    f = pe.tensor([1.0, 2.0])
    assert f.add(f, alpha=0.5).tolist() == [1.5, 3.0]
    assert pe.sub(3, x).tolist() == [2, 1]


def test_int_division_is_true_division():
    r = pe.tensor([1, 0, -3], dtype=pe.int32) / 0
    assert r.dtype is pe.float32
    v = r.numpy()
    assert v[0] == np.inf and np.isnan(v[1]) and v[2] == -np.inf
    assert (pe.tensor([7]) / pe.tensor([2])).tolist() == [3.5]


def test_integer_overflow_wraps():
    assert (pe.tensor([250], dtype=pe.uint8) + 10).tolist() == [4]
    assert (pe.tensor([1, 2], dtype=pe.uint8) - 3).tolist() == [254, 255]
    assert (pe.tensor([127], dtype=pe.int8) + 1).tolist() == [-128]
    assert (pe.tensor([1, 2], dtype=pe.uint8) + 300).tolist() == [45, 46]


def test_float16_overflow_to_inf():
    r = pe.tensor([1.0], dtype=pe.float16) + 1e5
    assert r.dtype is pe.float16
    assert r.tolist() == [float("inf")]


def test_bool_add_mul_are_logical():
    a = pe.tensor([True, False, True, False])
    b = pe.tensor([True, True, False, False])
    assert (a + b).tolist() == [True, True, True, False]
    assert (a * b).tolist() == [True, False, False, False]
    assert (a + b).dtype is pe.bool
    assert (a + 1).tolist() == [2, 1, 2, 1]
    assert (a / b).dtype is pe.float32


# ---------------------------------------------------------------------------------------------
# unary: neg / abs
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUT_NAMES)
@pytest.mark.parametrize("name", [n for n in DTYPE_NAMES if n != "bool"])
def test_neg(layout, name):
    x, xr = make_layout(layout, name)
    r = -x
    ref = (-xr.astype(np.float64)).astype(xr.dtype) if name != "uint8" else (-xr.astype(np.int64)).astype(np.uint8)
    check(r, ref, name)
    check(x.neg(), ref, name)
    check(pe.neg(x), ref, name)


@pytest.mark.parametrize("layout", LAYOUT_NAMES)
@pytest.mark.parametrize("name", [n for n in DTYPE_NAMES if n != "bool"])
def test_abs(layout, name):
    x, xr = make_layout(layout, name)
    ref = np.abs(xr)
    check(abs(x), ref, name)
    check(x.abs(), ref, name)
    check(pe.abs(x), ref, name)


def test_abs_int_min_and_negative_zero():
    assert pe.tensor([-128], dtype=pe.int8).abs().tolist() == [-128]  # wraps like PyTorch
    z = pe.tensor([-0.0, 0.0]).abs().numpy()
    assert not np.signbit(z).any()
    n = (-pe.tensor([0.0])).numpy()
    assert np.signbit(n).all()


def test_neg_abs_special_values():
    x = pe.tensor([float("inf"), -float("inf"), float("nan")])
    assert x.abs().tolist()[:2] == [float("inf"), float("inf")]
    assert np.isnan(x.abs().tolist()[2])
    assert (-x).tolist()[:2] == [-float("inf"), float("inf")]


def test_pos_returns_same_values():
    x = pe.tensor([1, -2])
    assert (+x).tolist() == [1, -2]


def test_unary_bool_errors():
    assert_raises_like_torch(RuntimeError, lambda m: -m.tensor([True]))
    assert_raises_like_torch(RuntimeError, lambda m: m.tensor([True]).neg())
    # PyTorch: '"abs_cpu" not implemented for 'Bool''
    assert_raises_like_torch(NotImplementedError, lambda m: m.tensor([True]).abs())


# ---------------------------------------------------------------------------------------------
# in-place forms
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced_step"])
@pytest.mark.parametrize("other_name", ["float32", "int64", "float64"])
def test_inplace_float_target(op, layout, other_name):
    x, xr = make_layout(layout, "float32")
    y, yr = make((4,), other_name)
    yr = np.where(yr == 0, 2, yr).astype(yr.dtype)
    y = pe.tensor(yr)
    ptr = x.data_ptr()
    r = getattr(x, op + "_")(y)
    assert r is x
    assert x.data_ptr() == ptr
    check(x, expected_values(op, xr, yr, "float32"), "float32")


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_inplace_operators(op):
    x, xr = make((3, 4), "float64")
    xid = id(x)
    sym = {"add": "__iadd__", "sub": "__isub__", "mul": "__imul__", "div": "__itruediv__"}[op]
    r = getattr(x, sym)(4)
    assert r is x and id(r) == xid
    check(x, expected_values(op, xr, 4, "float64"), "float64")


def test_inplace_on_view_updates_base():
    base, ref = make((4, 6), "int32")
    base[::2, 1::2].add_(100)
    ref[::2, 1::2] += 100
    base.t()[0].mul_(2)
    ref.T[0] *= 2
    check(base, ref, "int32")


def test_inplace_int_target_accepts_int():
    x = pe.tensor([1, 2], dtype=pe.int16)
    x += 3
    x.mul_(pe.tensor([2, 3], dtype=pe.int64))
    assert x.dtype is pe.int16
    assert x.tolist() == [8, 15]
    x.sub_(pe.tensor(1, dtype=pe.int64), alpha=2)
    assert x.tolist() == [6, 13]


def test_inplace_float16_with_float64_scalar_tensor():
    x = pe.tensor([1.0, 2.0], dtype=pe.float16)
    x.add_(pe.tensor(0.5, dtype=pe.float64))
    assert x.dtype is pe.float16 and x.tolist() == [1.5, 2.5]


@pytest.mark.parametrize("call", [
    lambda m: m.ones(2, dtype=m.int32).add_(2.5),
    lambda m: m.ones(2, dtype=m.int64).mul_(m.ones(2)),
    lambda m: m.ones(2, dtype=m.int64).div_(2),
    lambda m: m.ones(2, dtype=m.bool).add_(2),
    lambda m: m.ones(3).add_(m.ones(2, 3)),
], ids=["int_add_float", "int_mul_float_tensor", "int_div", "bool_add_int", "broadcast_into_smaller"])
def test_inplace_bad(call):
    assert_raises_like_torch(RuntimeError, call)


def test_out_argument():
    out = pe.empty(0)
    r = pe.add(pe.tensor([1.0, 2.0]), pe.tensor([3.0, 4.0]), out=out)
    assert r is out
    assert out.tolist() == [4.0, 6.0]
    out2 = pe.empty(0)
    pe.abs(pe.tensor([-1.0]), out=out2)
    assert out2.tolist() == [1.0]


# ---------------------------------------------------------------------------------------------
# sizes that exercise vector-loop tails and the parallel paths
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 7, 8, 15, 16, 17, 31, 33, 63, 65, 1023, 1025, 40_003])
@pytest.mark.parametrize("name", ["float32", "float16", "int32", "uint8", "float64", "bfloat16"])
def test_large_contiguous_add_mul(n, name):
    x, xr = make((n,), name)
    y, yr = make((n,), name)
    check(x + y, expected_values("add", xr, to_np(y), name), name)
    check(x * 3, expected_values("mul", xr, 3, name), name)


@pytest.mark.parametrize("shape", [(257, 129), (1000, 333), (3, 70001)])
@pytest.mark.parametrize("name", ["float32", "int64", "float16"])
def test_large_noncontiguous(shape, name):
    x, xr = make(shape, name)
    y, yr = make(shape[::-1], name)
    r = x + y.t()
    check(r, expected_values("add", xr, yr.T, name), name)
    s = x[::2, 1::3] * y.t()[::2, 1::3]
    check(s, expected_values("mul", xr[::2, 1::3], yr.T[::2, 1::3], name), name)
    e = x[:, :1].expand(*shape) - y.t()
    check(e, expected_values("sub", np.broadcast_to(xr[:, :1], shape), yr.T, name), name)
