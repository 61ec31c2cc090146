"""Autograd of the binary elementwise ops (csrc/autograd/functions/elementwise_binary.cpp): pow in its
three forms, float_power, atan2, fmod, remainder, floor_divide (no derivative, as PyTorch),
maximum/minimum/fmax/fmin (ties and NaN as PyTorch); broadcasting, type promotion, in-place forms."""
import numpy as np
import pytest

import pyengine as pe
from autograd_elementwise_testing import (LAYOUTS, assert_like_torch, grad_fn_name, gradcheck, gradgradcheck,
                                          inplace_matches, leaf, rand)

POS = rand((3, 4), 0.3, 2.0)
POS2 = rand((3, 4), 0.3, 2.0, seed=1)
ANY = rand((3, 4), -2, 2, seed=2)

# name -> fn(M, a, b), (a, b) samples
BINARY = {
    "pow_tensor_scalar": (lambda M, a, b: M.pow(a, 2.5), (POS, POS2)),
    "pow_int_scalar": (lambda M, a, b: a ** 3, (ANY, POS2)),
    "pow_tensor_tensor": (lambda M, a, b: M.pow(a, b), (POS, ANY)),
    "pow_scalar_tensor": (lambda M, a, b: 2.5 ** b, (POS, ANY)),
    "float_power": (lambda M, a, b: M.float_power(a, b), (POS, ANY)),
    "float_power_scalar": (lambda M, a, b: M.float_power(a, 1.5), (POS, ANY)),
    "atan2": (lambda M, a, b: M.atan2(a, b), (ANY, POS2 - 1.1)),
    "fmod": (lambda M, a, b: M.fmod(a, b), (ANY * 3, POS2)),
    "fmod_scalar": (lambda M, a, b: M.fmod(a, 0.7), (ANY * 3, POS2)),
    "remainder": (lambda M, a, b: M.remainder(a, b), (ANY * 3, POS2)),
    "remainder_scalar": (lambda M, a, b: a % 0.7, (ANY * 3, POS2)),
    "maximum": (lambda M, a, b: M.maximum(a, b), (ANY, POS2 - 1)),
    "minimum": (lambda M, a, b: M.minimum(a, b), (ANY, POS2 - 1)),
    "fmax": (lambda M, a, b: M.fmax(a, b), (ANY, POS2 - 1)),
    "fmin": (lambda M, a, b: M.fmin(a, b), (ANY, POS2 - 1)),
    "max_other": (lambda M, a, b: M.max(a, b), (ANY, POS2 - 1)),
}


def avoid_jumps(name, a, b):
    """fmod/remainder jump where a / b is an integer: keep the samples away from those points."""
    if name.startswith(("fmod", "remainder")):
        d = 0.7 if name.endswith("scalar") else b
        q = a / d
        a = (np.floor(q) + 0.5) * d
    return a, b


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_gradcheck(name, layout):
    fn, (a, b) = BINARY[name]
    gradcheck(fn, list(avoid_jumps(name, a, b)), layout)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_gradcheck_broadcast_0d_empty(name):
    fn, (a, b) = BINARY[name]
    a, b = avoid_jumps(name, a, b)
    gradcheck(fn, [a[:, :1], b[:1, :]])      # (3, 1) with (1, 4)
    gradcheck(fn, [a[0, 0], b])               # 0-d with (3, 4)
    gradcheck(fn, [a[0, 0], b[0, 0]])         # both 0-d
    x, y = leaf(np.zeros((0, 4))), leaf(np.ones((1, 4)))
    z = fn(pe, x, y)
    if z.requires_grad:
        z.sum().backward()
    for t in (x, y):
        assert t.grad is None or tuple(t.grad.shape) == tuple(t.shape)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_like_torch(name):
    fn, (a, b) = BINARY[name]
    assert_like_torch(fn, list(avoid_jumps(name, a, b)))


@pytest.mark.parametrize("name", ["pow_tensor_scalar", "pow_tensor_tensor", "pow_scalar_tensor", "float_power",
                                  "atan2", "maximum", "fmin"])
def test_gradgradcheck(name):
    fn, (a, b) = BINARY[name]
    gradgradcheck(fn, [a[:2, :3], b[:2, :3]])


def test_pow_special_values_like_torch():
    """0 ** e (e >= 0: zero gradient for the exponent), e == 0, negative bases, integer exponents."""
    a = np.array([0.0, 0.0, 0.0, -1.5, 2.0, 0.0])
    b = np.array([0.0, 2.0, -1.0, 2.0, 0.0, 0.5])
    assert_like_torch(lambda M, x, y: M.pow(x, y), [a, b])
    assert_like_torch(lambda M, x, y: x ** 0, [a, b], requires=[True, False])
    assert_like_torch(lambda M, x, y: x ** 2, [a, b], requires=[True, False])
    assert_like_torch(lambda M, x, y: x ** 0.5, [np.abs(a), b], requires=[True, False])
    assert_like_torch(lambda M, x, y: 0.0 ** y, [a, b], requires=[False, True])
    assert_like_torch(lambda M, x, y: 0 ** y, [a, b], requires=[False, True])


def test_pow_integer_exponent_tensor():
    x = leaf(POS)
    e = pe.tensor([[1, 2, 3, 0]] * 3)
    y = pe.pow(x, e)
    assert grad_fn_name(y) == "PowBackward1"
    y.sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad.tolist()), np.array([[1, 2, 3, 0]]) * POS ** (np.array([0, 1, 2, -1])),
                               rtol=1e-12)


def test_float_power_float32_input():
    torch = pytest.importorskip("torch")
    a = POS.astype(np.float32)
    x = pe.tensor(a, requires_grad=True)
    y = pe.float_power(x, 2)
    assert y.dtype == pe.float64
    y.sum().backward()
    assert x.grad.dtype == pe.float32
    tx = torch.tensor(a, requires_grad=True)
    torch.float_power(tx, 2).sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad.tolist()), tx.grad.numpy(), rtol=1e-6)
    assert grad_fn_name(y) == type(torch.float_power(tx, 2).grad_fn).__name__


def test_type_promotion_grad_dtypes():
    x = pe.tensor([1.0, 2.0], dtype=pe.float32, requires_grad=True)
    y = pe.tensor([0.5, 1.5], dtype=pe.float64, requires_grad=True)
    z = pe.atan2(x, y)
    assert z.dtype == pe.float64
    z.sum().backward()
    assert x.grad.dtype == pe.float32 and y.grad.dtype == pe.float64


def test_ties_and_nan_like_torch():
    a = np.array([1.0, 2.0, np.nan, 3.0, np.nan, -1.0])
    b = np.array([1.0, 1.0, 1.0, np.nan, np.nan, -1.0])
    for op in ["maximum", "minimum", "fmax", "fmin"]:
        assert_like_torch(lambda M, x, y: getattr(M, op)(x, y), [a, b])
    assert_like_torch(lambda M, x, y: x.max(y), [a, b])


def test_floor_divide_has_no_derivative():
    x, y = leaf(POS), leaf(POS2)
    z = pe.floor_divide(x, y)
    assert grad_fn_name(z) == "NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::floor_divide is not implemented"):
        z.sum().backward()
    z2 = x // 2
    with pytest.raises(RuntimeError, match="not implemented"):
        z2.sum().backward()
    z3 = pe.remainder(5.3, y)  # PyTorch has no derivative for a number dividend
    assert grad_fn_name(z3) == "NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::remainder is not implemented"):
        z3.sum().backward()


@pytest.mark.parametrize("op,arg,name", [
    ("pow", 2.0, "PowBackward0"), ("pow", "tensor", "PowBackward1"), ("float_power", 2.0, "PowBackward0"),
    ("atan2", "tensor", "Atan2Backward0"), ("fmod", 0.7, "FmodBackward0"), ("fmod", "tensor", "FmodBackward1"),
    ("remainder", 0.7, "RemainderBackward0"), ("remainder", "tensor", "RemainderBackward1"),
])
def test_inplace(op, arg, name):
    a = avoid_jumps("fmod_scalar" if arg == 0.7 else "fmod", ANY * 3, POS2)[0] if op in ("fmod", "remainder") else POS
    if arg == "tensor":
        arg = pe.tensor(POS2)  # a constant operand
    assert inplace_matches(op, a, arg) == name


def test_inplace_gradient_to_the_other_operand():
    """y.pow_(e) with e requiring grad: both get PyTorch's gradients (the old y is saved)."""
    torch = pytest.importorskip("torch")
    for op in ["pow_", "atan2_", "fmod_", "remainder_"]:
        res = []
        for M in (pe, torch):
            x, e = leaf(POS, M=M), leaf(POS2, M=M)
            y = x * 1
            getattr(y, op)(e)
            y.sum().backward()
            res.append((np.asarray(x.grad.tolist()), np.asarray(e.grad.tolist())))
        np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-10)
        np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-10)


def test_float_power_inplace_needs_float64():
    x = pe.tensor([1.0, 2.0], dtype=pe.float32, requires_grad=True)
    y = x * 1
    with pytest.raises(RuntimeError):
        y.float_power_(2)
    x = leaf(POS)
    y = x * 1
    y.float_power_(leaf(POS2))
    assert grad_fn_name(y) == "PowBackward1"


def test_out_refuses_grad():
    x, y = leaf(POS), leaf(POS2)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        pe.maximum(x, y, out=pe.empty(3, 4, dtype=pe.float64))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        pe.atan2(x, y, out=pe.empty(3, 4, dtype=pe.float64))
