"""Arguments that used to be accepted and silently dropped (issue 11) are now honoured or refused, as
PyTorch does where it refuses too."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import autograd

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("call", [
    lambda m: m.linalg.svd(m.ones(2, 2), driver="gesvd"),
    lambda m: m.linalg.svdvals(m.ones(2, 2), driver="gesvd"),
    lambda m: m.ones(3, 4).cumsum_(1, dtype=m.float64),
    lambda m: m.ones(3, 4, dtype=m.float64).cumprod_(0, dtype=m.float32),
    lambda m: m.ones(2, layout=m.sparse_coo),
], ids=["svd_driver", "svdvals_driver", "cumsum_dtype", "cumprod_dtype", "ones_sparse_layout"])
def test_refused_like_torch(call):
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError):
        call(pe)


@pytest.mark.parametrize("call", [lambda m: m.ones(2, pin_memory=True), lambda m: m.tensor([1.0], pin_memory=True)],
                         ids=["ones_pin_memory", "tensor_pin_memory"])
def test_pin_memory_needs_a_device(call):
    # As PyTorch: refused without an accelerator (the reference here is a CPU build), honoured with one.
    with pytest.raises(RuntimeError, match="accelerator"):
        call(torch)
    if pe.cuda.is_available():
        assert call(pe).is_pinned()
    else:
        with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available"):
            call(pe)


def test_layout_strided_and_pin_memory_false_accepted():
    assert pe.ones(2, layout=pe.strided, pin_memory=False).tolist() == [1.0, 1.0]
    assert pe.empty_like(pe.ones(2), layout=pe.strided).shape == (2,)
    with pytest.raises(NotImplementedError):
        pe.zeros_like(pe.ones(2), layout=pe.sparse_coo)
    with pytest.raises(RuntimeError, match="sparse_coo"):  # torch makes a sparse tensor: we have none
        pe.zeros(2, layout=pe.sparse_coo)


def test_gather_sparse_grad_refused():
    with pytest.raises(NotImplementedError, match="sparse"):
        pe.ones(2, 3).gather(1, pe.tensor([[0], [1]]), sparse_grad=True)
    with pytest.raises(NotImplementedError, match="sparse"):
        pe.gather(pe.ones(2, 3), 1, pe.tensor([[0], [1]]), sparse_grad=True)


def test_random_to_keyword_only():
    for m in (pe, torch):
        v = m.empty(4000).random_(to=3)
        assert set(np.unique(v.numpy()).tolist()) == {0.0, 1.0, 2.0}


def test_repr_tensor_contents():
    assert pe.ones(2).__repr__(tensor_contents="abc") == torch.ones(2).__repr__(tensor_contents="abc")


def test_tensor_type_and_cuda_take_no_stray_keywords():
    with pytest.raises(TypeError):
        pe.ones(2).type(pe.float64, bogus=1)
    with pytest.raises(TypeError):
        pe.ones(2).cuda(bogus=1)


def test_gradcheck_flags():
    x = pe.tensor([0.5, 1.5], dtype=pe.float64, requires_grad=True)
    for flag in ("check_batched_grad", "check_forward_ad", "check_batched_forward_grad", "masked"):
        with pytest.raises(NotImplementedError):
            autograd.gradcheck(lambda t: t * t, (x,), **{flag: True})
    with pytest.raises(NotImplementedError):
        autograd.gradgradcheck(lambda t: t * t, (x,), check_fwd_over_rev=True)
    assert autograd.gradcheck(lambda t: t * t, (x,), check_grad_dtypes=True, nondet_tol=1e-12)
    assert autograd.gradgradcheck(lambda t: t * t * t, (x,), gen_non_contig_grad_outputs=True)
    # check_backward_ad=False: nothing to compare, even for a wrong backward
    wrong = pe.autograd.Function

    class Bad(wrong):
        @staticmethod
        def forward(ctx, t):
            return t * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    assert autograd.gradcheck(Bad.apply, (x,), check_backward_ad=False)
    assert not autograd.gradcheck(Bad.apply, (x,), raise_exception=False)
    assert autograd.gradgradcheck(Bad.apply, (x,), check_rev_over_rev=False)


def test_resize_antialias_false_refused_for_tensors():
    pytest.importorskip("PIL")  # pyengine.vision needs Pillow (the examples extra)
    from pyengine.vision.transforms import functional as TF
    img = pe.rand(3, 8, 8)
    assert TF.resize(img, [4, 4]).shape == (3, 4, 4)
    with pytest.raises(NotImplementedError):
        TF.resize(img, [4, 4], antialias=False)
