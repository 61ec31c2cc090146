"""Misuse raises the exception class PyTorch raises (checked against torch itself when installed),
and never crashes the interpreter."""
import numpy as np
import pytest

import pyengine as pe
from pe_testing import assert_raises_in_subprocess, assert_raises_like_torch, ref_torch

CASES = {
    # --- sizes ---
    "empty_negative": (RuntimeError, lambda m: m.empty(-1)),
    "zeros_negative": (RuntimeError, lambda m: m.zeros(2, -3)),
    "ones_negative_tuple": (RuntimeError, lambda m: m.ones((-1,))),
    "full_negative": (RuntimeError, lambda m: m.full((-2,), 1.0)),
    "rand_negative": (RuntimeError, lambda m: m.rand(-1)),
    "randn_negative": (RuntimeError, lambda m: m.randn(3, -1)),
    "Tensor_negative": (RuntimeError, lambda m: m.Tensor(-1)),
    "FloatTensor_negative": (RuntimeError, lambda m: m.FloatTensor(2, -1)),
    "new_ones_negative": (RuntimeError, lambda m: m.ones(2).new_ones(-1)),
    "empty_huge": (RuntimeError, lambda m: m.empty(1 << 62)),
    "empty_huge_2d": (RuntimeError, lambda m: m.empty(1 << 31, 1 << 31)),
    "zeros_huge": (RuntimeError, lambda m: m.zeros(1 << 62, dtype=m.float64)),
    "empty_overflow_product": (RuntimeError, lambda m: m.empty(1 << 40, 1 << 40, 1 << 40)),
    "resize_negative": (RuntimeError, lambda m: m.ones(3).resize_(-1)),
    "eye_negative": (RuntimeError, lambda m: m.eye(-1)),
    "linspace_negative_steps": (RuntimeError, lambda m: m.linspace(0, 1, -1)),
    "arange_zero_step": (RuntimeError, lambda m: m.arange(0, 10, 0)),
    "arange_wrong_sign": (RuntimeError, lambda m: m.arange(0, 10, -1)),
    "randperm_negative": (RuntimeError, lambda m: m.randperm(-1)),
    # --- wrong argument types ---
    "ones_str_size": (TypeError, lambda m: m.ones("a")),
    "ones_float_size": (TypeError, lambda m: m.ones(2.5)),
    "zeros_float_in_tuple": (TypeError, lambda m: m.zeros((2, 1.5))),
    "full_str_value": (TypeError, lambda m: m.full((2,), "a")),
    "tensor_str": (TypeError, lambda m: m.tensor("abc")),
    "tensor_ragged": (ValueError, lambda m: m.tensor([[1, 2], [3]])),
    "tensor_dict": (RuntimeError, lambda m: m.tensor({1: 2})),  # "Could not infer dtype of dict"
    "add_str": (TypeError, lambda m: m.ones(2) + "a"),
    "mul_list_of_str": (TypeError, lambda m: m.ones(2) * None),
    "view_float": (TypeError, lambda m: m.ones(4).view(2.0, 2)),
    "transpose_str": (TypeError, lambda m: m.ones(2, 2).transpose("a", 1)),
    # --- dtype / device specs ---
    "dtype_str": (TypeError, lambda m: m.ones(2, dtype="float32")),
    "dtype_int": (TypeError, lambda m: m.zeros(2, dtype=5)),
    "dtype_numpy": (TypeError, lambda m: m.zeros(2, dtype=np.float32)),
    "tensor_dtype_str": (TypeError, lambda m: m.tensor([1.0], dtype="float64")),
    "to_dtype_str_unknown": (RuntimeError, lambda m: m.ones(2).to("float32")),
    "device_unknown": (RuntimeError, lambda m: m.device("foo")),
    "device_kwarg_unknown": (RuntimeError, lambda m: m.ones(2, device="nope")),
    "type_unknown_str": (ValueError, lambda m: m.ones(2).type("torch.FooTensor")),
    "set_default_int": (TypeError, lambda m: m.set_default_dtype(m.int32)),
    "unexpected_kwarg": (TypeError, lambda m: m.ones(2, foo=1)),
    # --- dims ---
    "size_dim": (IndexError, lambda m: m.ones(2, 3).size(2)),
    "stride_dim": (IndexError, lambda m: m.ones(2, 3).stride(-3)),
    "transpose_dim": (IndexError, lambda m: m.ones(2, 3).transpose(0, 2)),
    "select_dim": (IndexError, lambda m: m.ones(2, 3).select(2, 0)),
    "select_index": (IndexError, lambda m: m.ones(2, 3).select(1, 3)),
    "narrow_dim": (IndexError, lambda m: m.ones(2, 3).narrow(2, 0, 1)),
    "squeeze_dim": (IndexError, lambda m: m.ones(2, 3).squeeze(3)),
    "unsqueeze_dim": (IndexError, lambda m: m.ones(2, 3).unsqueeze(3)),
    "flatten_dim": (IndexError, lambda m: m.ones(2, 3).flatten(0, 3)),
    "flatten_order": (RuntimeError, lambda m: m.ones(2, 3, 4).flatten(2, 1)),
    "permute_dim": (IndexError, lambda m: m.ones(2, 3).permute(0, 2)),
    "permute_dup": (RuntimeError, lambda m: m.ones(2, 3).permute(0, 0)),
    "permute_len": (RuntimeError, lambda m: m.ones(2, 3).permute(0)),
    "unbind_dim": (IndexError, lambda m: m.ones(2, 3).unbind(2)),
    "split_dim": (IndexError, lambda m: m.ones(2, 3).split(1, 2)),
    "chunk_dim": (IndexError, lambda m: m.ones(2, 3).chunk(2, -3)),
    "diagonal_dim": (IndexError, lambda m: m.ones(2, 3).diagonal(0, 0, 2)),
    "diagonal_same": (RuntimeError, lambda m: m.ones(2, 3).diagonal(0, 1, 1)),
    "t_3d": (RuntimeError, lambda m: m.ones(2, 3, 4).t()),
    # --- indices ---
    "index_oob": (IndexError, lambda m: m.ones(2, 3)[2]),
    "index_oob_neg": (IndexError, lambda m: m.ones(2, 3)[-3]),
    "index_oob_dim1": (IndexError, lambda m: m.ones(2, 3)[0, 3]),
    "too_many_indices": (IndexError, lambda m: m.ones(2, 3)[0, 0, 0]),
    "too_many_with_none": (IndexError, lambda m: m.ones(2)[None, 0, 0]),
    "index_0d": (IndexError, lambda m: m.tensor(1.0)[0]),
    "neg_step": (ValueError, lambda m: m.arange(5)[::-1]),
    "tensor_index_oob": (IndexError, lambda m: m.arange(5)[m.tensor([0, 5])]),
    "float_tensor_index": (IndexError, lambda m: m.arange(5)[m.tensor([0.0])]),
    "mask_shape": (IndexError, lambda m: m.arange(5)[m.tensor([True, False])]),
    "setitem_oob": (IndexError, lambda m: m.arange(5).__setitem__(5, 0)),
    # --- shapes ---
    "view_needs_copy": (RuntimeError, lambda m: m.ones(2, 3).t().view(-1)),
    "view_bad_numel": (RuntimeError, lambda m: m.ones(2, 3).view(4, 2)),
    "view_two_minus_one": (RuntimeError, lambda m: m.ones(2, 3).view(-1, -1)),
    "reshape_bad_numel": (RuntimeError, lambda m: m.ones(2, 3).reshape(7)),
    "expand_incompatible": (RuntimeError, lambda m: m.ones(2, 3).expand(4, 3)),
    "expand_fewer_dims": (RuntimeError, lambda m: m.ones(2, 3).expand(3)),
    "expand_leading_minus_one": (RuntimeError, lambda m: m.ones(2).expand(-1, 2)),
    "narrow_oob": (RuntimeError, lambda m: m.ones(2, 3).narrow(1, 2, 5)),
    "narrow_start_oob": (IndexError, lambda m: m.ones(2, 3).narrow(1, 4, 0)),
    "narrow_negative_length": (RuntimeError, lambda m: m.ones(2, 3).narrow(0, 0, -1)),
    "add_shape_mismatch": (RuntimeError, lambda m: m.zeros(2, 3) + m.zeros(3, 2)),
    "mul_shape_mismatch": (RuntimeError, lambda m: m.zeros(4) * m.zeros(3)),
    "copy_shape_mismatch": (RuntimeError, lambda m: m.zeros(2, 3).copy_(m.zeros(4))),
    "inplace_broadcast_out": (RuntimeError, lambda m: m.zeros(3).add_(m.zeros(2, 3))),
    "unflatten_bad": (RuntimeError, lambda m: m.ones(6).unflatten(0, (4, 2))),
    "split_zero": (RuntimeError, lambda m: m.ones(6).split(0)),
    "split_sizes_sum": (RuntimeError, lambda m: m.ones(6).split([2, 2])),
    "chunk_zero": (RuntimeError, lambda m: m.ones(6).chunk(0)),
    "as_strided_oob": (RuntimeError, lambda m: m.ones(3).as_strided((2,), (5,))),
    "fill_nonscalar": (RuntimeError, lambda m: m.ones(2).fill_(m.ones(2))),
    # --- conversions ---
    "item_many": (RuntimeError, lambda m: m.ones(2).item()),
    "item_empty": (RuntimeError, lambda m: m.ones(0).item()),
    "bool_many": (RuntimeError, lambda m: bool(m.ones(2))),
    "numpy_requires_grad": (RuntimeError, lambda m: m.ones(2, requires_grad=True).numpy()),
    "numpy_bfloat16": (TypeError, lambda m: m.ones(2, dtype=m.bfloat16).numpy()),
    "from_numpy_neg_stride": (ValueError, lambda m: m.from_numpy(np.arange(4)[::-1])),
    "from_numpy_list": (TypeError, lambda m: m.from_numpy([1, 2])),
    "requires_grad_int": (RuntimeError, lambda m: m.ones(2, dtype=m.int64).requires_grad_()),
    "iter_0d": (TypeError, lambda m: iter(m.tensor(1.0))),
    "len_0d": (TypeError, lambda m: len(m.tensor(1.0))),
    "legacy_dtype_kwarg": (TypeError, lambda m: m.FloatTensor(2, dtype=m.float64)),
    # --- random ---
    "randint_empty_range": (RuntimeError, lambda m: m.randint(5, 2, (3,))),
    "normal_negative_std": (RuntimeError, lambda m: m.normal(0.0, -1.0, (3,))),
    "uniform_reversed": (RuntimeError, lambda m: m.ones(3).uniform_(1, 0)),
    # --- arithmetic type rules ---
    "inplace_int_plus_float": (RuntimeError, lambda m: m.ones(2, dtype=m.int32).add_(2.5)),
    "inplace_int_plus_float_tensor": (RuntimeError, lambda m: m.ones(2, dtype=m.int64).add_(m.ones(2))),
    "inplace_div_int": (RuntimeError, lambda m: m.ones(2, dtype=m.int64).div_(2)),
    "bool_sub": (RuntimeError, lambda m: m.tensor([True]) - m.tensor([True])),
    "bool_neg": (RuntimeError, lambda m: -m.tensor([True])),
    "int_alpha_float": (RuntimeError, lambda m: m.tensor([1, 2]).add(m.tensor([1, 2]), alpha=2.5)),
    # --- Python scalars that do not fit the tensor's dtype ---
    "fill_overflow_int8": (RuntimeError, lambda m: m.zeros(2, dtype=m.int8).fill_(200)),
    "full_overflow_uint8": (RuntimeError, lambda m: m.full((2,), 300, dtype=m.uint8)),
    "tensor_overflow_uint8": (RuntimeError, lambda m: m.tensor([300], dtype=m.uint8)),
    "setitem_overflow_int32": (RuntimeError, lambda m: m.zeros(3, dtype=m.int32).__setitem__(0, 2 ** 40)),
    "fill_overflow_float16": (RuntimeError, lambda m: m.zeros(2, dtype=m.float16).fill_(1e6)),
    # --- index tensors must be long, int, byte or bool ---
    "index_int16_tensor": (IndexError, lambda m: m.arange(5)[m.tensor([1, 2], dtype=m.int16)]),
    "index_int8_tensor": (IndexError, lambda m: m.arange(5)[m.tensor([1, 2], dtype=m.int8)]),
    "add_none": (TypeError, lambda m: m.ones(2).add(None)),
    "flatten_0d_bad_dim": (IndexError, lambda m: m.tensor(1.0).flatten(1)),
    # --- memory overlap (PyTorch refuses writes whose result would depend on the iteration order) ---
    "overlap_add_transpose_self": (RuntimeError, lambda m: (lambda y: y.add_(y.t()))(m.arange(9.0).view(3, 3))),
    "overlap_add_shifted": (RuntimeError, lambda m: (lambda y: y[1:].add_(y[:-1]))(m.arange(5.0))),
    "overlap_copy_shifted": (RuntimeError, lambda m: (lambda y: y[1:].copy_(y[:-1]))(m.arange(5.0))),
    "overlap_setitem_shifted": (RuntimeError, lambda m: (lambda y: y.__setitem__(slice(1, None), y[:-1]))(
        m.arange(5.0))),
    "internal_overlap_add_": (RuntimeError, lambda m: m.ones(1, 4).expand(3, 4).add_(1)),
    "internal_overlap_copy_": (RuntimeError, lambda m: m.ones(1, 4).expand(3, 4).copy_(m.ones(3, 4))),
    "internal_overlap_uniform_": (RuntimeError, lambda m: m.ones(1, 4).expand(3, 4).uniform_()),
}


@pytest.mark.parametrize("key", list(CASES))
def test_bad_input(key):
    exc, call = CASES[key]
    assert_raises_like_torch(exc, call)


def test_huge_allocation_leaves_engine_usable():
    for _ in range(3):
        with pytest.raises(RuntimeError):
            pe.empty(1 << 62)
    with pytest.raises(RuntimeError):
        pe.empty(1 << 45)  # fits in int64 but not in memory (256 TiB of float32)
    assert pe.ones(3).tolist() == [1.0, 1.0, 1.0]


def test_failed_inplace_ops_leave_tensor_unchanged():
    x = pe.ones(3, dtype=pe.int32)
    with pytest.raises(RuntimeError):
        x.add_(2.5)
    assert x.tolist() == [1, 1, 1]
    y = pe.arange(4.0)
    with pytest.raises(RuntimeError):
        y.copy_(pe.zeros(3))
    assert y.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_full_overlap_inplace_is_allowed():
    # exact aliasing (same elements) is fine in PyTorch
    y = pe.arange(5.0)
    y.mul_(y)
    assert y.tolist() == [0.0, 1.0, 4.0, 9.0, 16.0]
    z = pe.ones(1, 4).expand(3, 4)
    z.fill_(2.0)  # fill_/zero_ on an expanded tensor are allowed
    assert z.tolist() == [[2.0] * 4] * 3


# Inputs that have crashed the engine (segfault) are run in a subprocess, so that a crash fails
# only its own test.
CRASHERS = {
    "copy_none": (TypeError, "pe.ones(2).copy_(None)"),
    "expand_as_none": (TypeError, "pe.ones(2).expand_as(None)"),
    "view_as_none": (TypeError, "pe.ones(2).view_as(None)"),
    "reshape_as_none": (TypeError, "pe.ones(2).reshape_as(None)"),
    "resize_as_none": (TypeError, "pe.ones(2).resize_as_(None)"),
    "set_data_none": (TypeError, "setattr(pe.ones(2), 'data', None)"),
    "size_0d": (IndexError, "pe.tensor(1.0).size(0)"),
    "stride_0d": (IndexError, "pe.tensor(1.0).stride(0)"),
    "unflatten_0d": (RuntimeError, "pe.tensor(1.0).unflatten(0, (1,))"),
}


@pytest.mark.parametrize("key", list(CRASHERS))
def test_no_crash(key):
    exc, code = CRASHERS[key]
    torch = ref_torch()
    if torch is not None:
        with pytest.raises(exc):
            eval(code.replace("pe.", "torch."), {"torch": torch})
    assert_raises_in_subprocess(exc, code)
