"""Type promotion and error classes of the elementwise ops, cross-checked with PyTorch itself for
every pair of dtypes: tensor-tensor, tensor with a 0-d tensor (either side), tensor with a Python
number (either side); the result dtype (or the exception class) and the values must be PyTorch's."""
import warnings

import numpy as np
import pytest

import pyengine as pe
from pe_testing import DTYPE_NAMES

torch = pytest.importorskip("torch")

VALUES = np.array([-3.0, -1.0, 0.0, 1.0, 2.0, 5.0])


def make(mod, name, vals):
    if name == "bool":
        return mod.tensor(vals) != 0
    if name == "uint8":
        vals = np.abs(vals)
    return mod.tensor(vals.tolist(), dtype=mod.float64).to(getattr(mod, name))


def outcome(mod, fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = fn(mod)
        except Exception as e:  # noqa: BLE001
            return type(e)
    return r


def values(t):
    return t.numpy() if str(t.dtype) == "torch.bool" else t.double().numpy()


def check_same(label, fn):
    rt, rp = outcome(torch, fn), outcome(pe, fn)
    if isinstance(rt, type):
        assert rp is rt, "%s: torch raises %s, pyengine gives %r" % (label, rt.__name__, rp)
        return
    assert not isinstance(rp, type), "%s: pyengine raises %s, torch does not" % (label, rp.__name__)
    assert str(rt.dtype) == str(rp.dtype), "%s: torch %s, pyengine %s" % (label, rt.dtype, rp.dtype)
    assert tuple(rt.shape) == tuple(rp.shape), label
    tol = 1e-2 if str(rt.dtype) in ("torch.float16", "torch.bfloat16") else 1e-6
    np.testing.assert_allclose(values(rp), values(rt), rtol=tol, atol=tol, equal_nan=True, err_msg=label)


BINARY = ["add", "sub", "mul", "div", "floor_divide", "remainder", "fmod", "pow", "atan2", "maximum", "minimum",
          "eq", "lt", "bitwise_and", "bitwise_xor", "logical_and", "bitwise_left_shift"]


@pytest.mark.parametrize("op", BINARY)
def test_binary_promotion_matches_torch(op):
    rhs = np.array([2.0, 1.0, 3.0, 2.0, 1.0, 3.0])  # nonzero divisors, small exponents/shifts
    for a in DTYPE_NAMES:
        for b in DTYPE_NAMES:
            f = lambda m: getattr(m, op)(make(m, a, VALUES), make(m, b, rhs))  # noqa: E731
            check_same("%s(%s, %s)" % (op, a, b), f)
            f0 = lambda m: getattr(m, op)(make(m, a, VALUES), make(m, b, rhs)[0])  # noqa: E731
            check_same("%s(%s, 0-d %s)" % (op, a, b), f0)
            f1 = lambda m: getattr(m, op)(make(m, a, VALUES)[2], make(m, b, rhs))  # noqa: E731
            check_same("%s(0-d %s, %s)" % (op, a, b), f1)
        for number in (2, 2.5, True):
            check_same("%s(%s, %r)" % (op, a, number), lambda m: getattr(m, op)(make(m, a, VALUES), number))
            check_same("%s(%r, %s)" % (op, number, a), lambda m: getattr(m, op)(number, make(m, a, rhs)))


UNARY = ["sqrt", "exp", "sigmoid", "tanh", "reciprocal", "ceil", "round", "frac", "sign", "relu", "square",
         "abs", "neg", "bitwise_not", "logical_not", "isnan", "isfinite", "nan_to_num", "erf", "log1p"]


@pytest.mark.parametrize("op", UNARY)
def test_unary_promotion_matches_torch(op):
    for a in DTYPE_NAMES:
        check_same("%s(%s)" % (op, a), lambda m: getattr(m, op)(make(m, a, np.abs(VALUES))))
        check_same("%s_(%s)" % (op, a), lambda m: getattr(make(m, a, np.abs(VALUES)), op + "_")()
                   if op not in ("isnan", "isfinite") else getattr(m, op)(make(m, a, VALUES)))


@pytest.mark.parametrize("op", ["where", "clamp", "clamp_number", "lerp"])
def test_ternary_promotion_matches_torch(op):
    for a in DTYPE_NAMES:
        for b in DTYPE_NAMES:
            if op == "where":
                f = lambda m: m.where(make(m, a, VALUES) > 0, make(m, a, VALUES), make(m, b, VALUES))  # noqa: E731
            elif op == "clamp":
                f = lambda m: m.clamp(make(m, a, VALUES), make(m, b, VALUES) - 1, make(m, b, VALUES))  # noqa: E731
            elif op == "clamp_number":
                f = lambda m: m.clamp(make(m, a, VALUES), min=make(m, b, VALUES)[1])  # noqa: E731
            else:
                f = lambda m: m.lerp(make(m, a, VALUES), make(m, b, VALUES), 0.25)  # noqa: E731
            check_same("%s(%s, %s)" % (op, a, b), f)
        for lo, hi in ((1, 3), (0.5, None), (None, True), (-1, 2.5)):
            check_same("clamp(%s, %r, %r)" % (a, lo, hi), lambda m: m.clamp(make(m, a, VALUES), lo, hi))
            check_same("where(%s, %r, %r)" % (a, lo, hi), lambda m: m.where(make(m, a, VALUES) > 0, lo, hi)
                       if hi is not None and lo is not None else m.where(make(m, a, VALUES) > 0, make(m, a, VALUES), 1))
