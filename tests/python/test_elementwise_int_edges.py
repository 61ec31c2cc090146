"""Integer and aliasing edge cases of the elementwise ops, against PyTorch:

- in-place ops on a tensor whose elements alias (an expanded dim) raise PyTorch's internal-overlap
  error instead of applying the op once per alias;
- Python int scalars out of an integer tensor's range raise where PyTorch converts them with a
  checked conversion (pow exponent, where, fill_, masked_fill, clamp, alpha, ...) and wrap where
  PyTorch wraps them (the wrapped number of +, *, comparisons);
- integer arithmetic wraps as two's complement (int64 max + 1, int32 products, abs/neg of the
  minimum, integer pow), with no undefined behaviour in the kernels.
"""
from __future__ import annotations

import numpy as np
import pytest

import pyengine as pe

torch = pytest.importorskip("torch")

OVERLAP = "more than one element of the written-to tensor refers to a single memory location"


def outcome(lib, fn):
    """("ok", values, dtype) or ("raise", exception class name, message)."""
    try:
        r = fn(lib)
    except Exception as e:  # noqa: BLE001 - the class is what we compare
        return ("raise", type(e).__name__, str(e))
    if isinstance(r, (pe.Tensor, torch.Tensor)):
        return ("ok", r.tolist(), str(r.dtype).replace("torch.", ""))
    return ("ok", r, None)


def assert_like_torch(fn, match_message: bool = True):
    got, want = outcome(pe, fn), outcome(torch, fn)
    if want[0] == "raise":
        assert got[0] == "raise", f"PyTorch raises {want[1]}: {want[2]!r}; pyengine gives {got}"
        assert got[1] == want[1], (got, want)
        if match_message:
            assert want[2].split("\n")[0] in got[2] or got[2] in want[2], (got, want)
    else:
        assert got == want


# ---- in-place writes into aliasing elements (issue 19 item 2) ----

UNARY_INPLACE = ["neg_", "abs_", "floor_", "ceil_", "round_", "trunc_", "frac_", "sign_", "relu_", "exp_",
                 "sqrt_", "sigmoid_", "square_", "bitwise_not_", "logical_not_", "nan_to_num_"]
BINARY_INPLACE = ["add_", "sub_", "mul_", "div_", "pow_", "remainder_", "fmod_", "bitwise_and_", "eq_",
                  "floor_divide_"]


@pytest.mark.parametrize("dtype", ["float32", "int32", "uint8", "bool"])
@pytest.mark.parametrize("name", UNARY_INPLACE)
def test_unary_inplace_on_expanded_tensor_raises_like_torch(name, dtype):
    def fn(lib):
        x = lib.full((1,), 2, dtype=getattr(lib, dtype)).expand(4)
        return getattr(x, name)()
    assert_like_torch(fn)


@pytest.mark.parametrize("dtype", ["float32", "int64"])
@pytest.mark.parametrize("name", BINARY_INPLACE)
def test_binary_inplace_on_expanded_tensor_raises_like_torch(name, dtype):
    def fn(lib):
        x = lib.full((1, 3), 2, dtype=getattr(lib, dtype)).expand(2, 3)
        return getattr(x, name)(lib.ones(3, dtype=getattr(lib, dtype)))
    assert_like_torch(fn)


@pytest.mark.parametrize("call", [
    lambda lib, x: x.add_(1, alpha=2), lambda lib, x: x.clamp_(0, 1), lambda lib, x: x.lerp_(lib.ones(4), 0.5),
    lambda lib, x: x.round_(decimals=1), lambda lib, x: lib.neg(x, out=x), lambda lib, x: x.__iadd__(1),
    lambda lib, x: x.__imul__(2), lambda lib, x: x.__itruediv__(2),
])
def test_other_inplace_forms_on_expanded_tensor_raise(call):
    def fn(lib):
        return call(lib, lib.ones(1).expand(4))
    assert_like_torch(fn)


def test_expanded_values_are_untouched_after_the_error():
    base = pe.tensor([2.0])
    with pytest.raises(RuntimeError, match=OVERLAP):
        base.expand(4).neg_()
    assert base.tolist() == [2.0]


# ---- Python int scalars out of the tensor's range (issue 19 item 3) ----

BIG = 2 ** 31

SCALAR_CASES = {
    "pow": lambda lib, x: x ** BIG,
    "pow_": lambda lib, x: x.clone().pow_(BIG),
    "rpow": lambda lib, x: lib.pow(BIG, x),
    "where_self": lambda lib, x: lib.where(x > 1, BIG, x),
    "where_other": lambda lib, x: lib.where(x > 1, x, -BIG - 1),
    "fill_": lambda lib, x: x.clone().fill_(BIG),
    "full_like": lambda lib, x: lib.full_like(x, BIG),
    "masked_fill": lambda lib, x: x.masked_fill(x > 1, BIG),
    "clamp_max": lambda lib, x: x.clamp(max=BIG),
    "clamp_min": lambda lib, x: x.clamp(min=-BIG - 1),
    "clamp_": lambda lib, x: x.clone().clamp_(0, BIG),
    "clamp_min_fn": lambda lib, x: lib.clamp_min(x, BIG),
    "add_alpha": lambda lib, x: x.add(1, alpha=BIG),
    "sub_alpha": lambda lib, x: x.sub(x, alpha=BIG),
    "add_": lambda lib, x: x.clone().add_(x, alpha=BIG),
    "index_fill": lambda lib, x: x.index_fill(0, lib.tensor([0]), BIG),
    "setitem": lambda lib, x: x.clone().__setitem__(0, BIG),
    # PyTorch wraps these: the number is a wrapped-number tensor cast to the compute dtype.
    "add": lambda lib, x: x + BIG,
    "radd": lambda lib, x: BIG + x,
    "mul": lambda lib, x: x * BIG,
    "sub": lambda lib, x: x - BIG,
    "eq": lambda lib, x: x == BIG,
    "lt": lambda lib, x: x < 2 ** 40,
    "remainder": lambda lib, x: x % BIG,
    "bitwise_and": lambda lib, x: x & BIG,
    "floor_divide": lambda lib, x: x // BIG,
    "maximum": lambda lib, x: lib.maximum(x, lib.tensor(BIG)),
    "uint8_add": lambda lib, x: x.to(lib.uint8) + 300,
    "int8_add": lambda lib, x: x.to(lib.int8) + 200,
    "fits": lambda lib, x: x.clamp(max=BIG - 1) + (x ** (BIG - 1)),
}


@pytest.mark.parametrize("case", list(SCALAR_CASES))
def test_int_scalar_out_of_range_like_torch(case):
    op = SCALAR_CASES[case]
    assert_like_torch(lambda lib: op(lib, lib.tensor([1, 2, 3], dtype=lib.int32)))


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32"])
@pytest.mark.parametrize("value", [-(2 ** 40), -129, -1, 127, 128, 255, 256, 32768, 2 ** 40])
def test_fill_and_where_scalar_conversion_per_dtype(dtype, value):
    def fill(lib):
        return lib.zeros(2, dtype=getattr(lib, dtype)).fill_(value)

    def where(lib):
        x = lib.zeros(2, dtype=getattr(lib, dtype))
        return lib.where(lib.tensor([True, False]), value, x)

    def pow_(lib):
        return lib.ones(2, dtype=getattr(lib, dtype)).pow(value if value >= 0 else 2)
    assert_like_torch(fill)
    assert_like_torch(where)
    assert_like_torch(pow_)


def test_scalar_overflow_message_names_the_type():
    x = pe.tensor([1, 2], dtype=pe.int32)
    with pytest.raises(RuntimeError, match="value cannot be converted to type int without overflow"):
        x ** BIG
    with pytest.raises(RuntimeError, match="value cannot be converted to type int without overflow"):
        pe.where(x > 1, BIG, x)


# ---- two's-complement wrap-around (issue 19 item 7) ----

I64 = np.iinfo(np.int64)
I32 = np.iinfo(np.int32)

WRAP_CASES = {
    "int64_max_plus_1": lambda lib: lib.tensor([I64.max, I64.min], dtype=lib.int64) + 1,
    "int64_max_plus_max": lambda lib: lib.tensor([I64.max]) + lib.tensor([I64.max]),
    "int64_min_minus_1": lambda lib: lib.tensor([I64.min]) - 1,
    "int64_mul": lambda lib: lib.tensor([I64.max, 3 * 2 ** 61]) * lib.tensor([3, 5]),
    "int32_mul": lambda lib: lib.tensor([2 ** 30, -(2 ** 31), 46341], dtype=lib.int32) * 4,
    "int32_square": lambda lib: lib.tensor([46341, 65536], dtype=lib.int32).square(),
    "int16_mul": lambda lib: lib.tensor([-32768, 255, 32767], dtype=lib.int16) * lib.tensor(
        [-32768, 255, 32767], dtype=lib.int16),
    "uint8_mul": lambda lib: lib.tensor([255, 16], dtype=lib.uint8) * lib.tensor([255, 16], dtype=lib.uint8),
    "uint8_neg": lambda lib: -lib.tensor([0, 1, 255], dtype=lib.uint8),
    "int64_neg_min": lambda lib: -lib.tensor([I64.min, 5]),
    "int32_neg_min": lambda lib: lib.tensor([I32.min], dtype=lib.int32).neg(),
    "int64_abs_min": lambda lib: lib.tensor([I64.min, -3]).abs(),
    "int32_abs_min": lambda lib: lib.tensor([I32.min, -3], dtype=lib.int32).abs(),
    "int8_abs_min": lambda lib: lib.tensor([-128, -3], dtype=lib.int8).abs(),
    "int64_add_alpha": lambda lib: lib.tensor([1, I64.max]).add(lib.tensor([I64.max, 2]), alpha=3),
    "int64_sub_alpha": lambda lib: lib.tensor([I64.min, 0]).sub(lib.tensor([I64.max, I64.min]), alpha=2),
    "int32_inplace": lambda lib: lib.tensor([I32.max], dtype=lib.int32).add_(1),
    "int64_pow": lambda lib: lib.tensor([3, -3, 2, 7]) ** lib.tensor([41, 41, 63, 100]),
    "int32_pow_scalar": lambda lib: lib.tensor([3, -7, 65536], dtype=lib.int32) ** 21,
    "int64_rpow": lambda lib: 3 ** lib.tensor([50, 63]),
    "int64_floor_divide_min": lambda lib: lib.tensor([I64.min]) // -1,
    "int64_index_put_accumulate": lambda lib: lib.tensor([I64.max, 0]).index_put_(
        (lib.tensor([0, 0]),), lib.tensor([1, I64.max]), accumulate=True),
    "int64_scatter_add": lambda lib: lib.tensor([I64.max, 1]).scatter_add(0, lib.tensor([0, 0]), lib.tensor([1, 1])),
    "int64_cumsum_free_add": lambda lib: lib.tensor([I64.max]).add(lib.tensor([I64.max]), alpha=-1),
}


@pytest.mark.parametrize("case", list(WRAP_CASES))
def test_integer_arithmetic_wraps_like_torch(case):
    assert_like_torch(WRAP_CASES[case])


@pytest.mark.parametrize("layout", ["dense", "transposed", "broadcast"])
def test_int64_wrap_on_every_layout(layout):
    vals = np.array([[I64.max, I64.min, -1], [7, I64.max - 1, 2]], dtype=np.int64)

    def fn(lib):
        a = lib.tensor(vals.tolist())
        b = lib.tensor([[2, -2, I64.min]])
        if layout == "transposed":
            a = lib.tensor(vals.T.tolist()).t()
        if layout == "broadcast":
            b = lib.tensor(I64.max)
        return [(a + b).tolist(), (a - b).tolist(), (a * b).tolist(), (-a).tolist(), a.abs().tolist()]
    assert_like_torch(fn)
