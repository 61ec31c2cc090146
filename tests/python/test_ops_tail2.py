"""The op_db partials fixed and the aten internals added by the tail2 work, against PyTorch: sort/topk/
kthvalue/mode tie order (Note [PyTorch's tie order]), integer F.linear, bool addr, addbmm_ resizing self,
take_along_dim's index wrap, empty gather indices, fill's gradient, Tensor.flip(dims=), linspace with 0-d
tensor bounds, sum_to_size(()), empty batch_norm, as_strided's gradient reaching outside its input,
local_response_norm on integers, He_n in float32, and the composites of pyengine/_ops_aten_internals.py,
pyengine/_ops_namespace.py and nn/_linear_cross_entropy.py (values and float64 gradients)."""
from __future__ import annotations

import numpy as np
import pytest

import pyengine as pe
from pe_testing import DEVICE_LAYOUTS, device_tensor, require_torch

torch = require_torch()


def _pe(t, requires_grad=False):
    out = pe.tensor(t.detach().numpy().copy())
    return out.requires_grad_(True) if requires_grad else out


def _check(got, want, rtol=1e-6, atol=1e-7):
    if isinstance(want, (tuple, list)):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            _check(g, w, rtol, atol)
        return
    assert tuple(got.shape) == tuple(want.shape), (got.shape, want.shape)
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1], (got.dtype, want.dtype)
    np.testing.assert_allclose(got.detach().double().numpy(), want.detach().double().numpy(), rtol=rtol,
                               atol=atol, equal_nan=True)


def _grads_match(pe_fn, torch_fn, inputs, rtol=1e-7, atol=1e-9):
    """Value and float64 gradients of every input against PyTorch's, for a random cotangent."""
    t_in = [x.detach().double().requires_grad_(True) for x in inputs]
    p_in = [_pe(x, True) for x in t_in]
    want, got = torch_fn(*t_in), pe_fn(*p_in)
    _check(got, want, rtol, atol)
    want = [w for w in (want if isinstance(want, (tuple, list)) else [want]) if w.requires_grad]
    got = [g for g in (got if isinstance(got, (tuple, list)) else [got]) if g.requires_grad]
    assert len(got) == len(want)
    gen = torch.Generator().manual_seed(1)
    cots = [torch.randn(w.shape, dtype=torch.float64, generator=gen) for w in want]
    tg = torch.autograd.grad(want, t_in, cots, allow_unused=True)
    pg = pe.autograd.grad(got, p_in, [_pe(c) for c in cots], allow_unused=True)
    for g, w in zip(pg, tg):
        if w is None:
            assert g is None or not bool(g.abs().sum())
        else:
            _check(g, w, rtol, atol)


# ---- Note [PyTorch's tie order]: sort(stable=False), topk, kthvalue and mode pick PyTorch's index ----
TIES = [torch.randint(0, 3, (7, 40), generator=torch.Generator().manual_seed(0)),
        torch.randint(0, 2, (3000,), generator=torch.Generator().manual_seed(1)),
        torch.tensor([2.0, float("nan"), 2.0, 1.0, float("nan"), 1.0, 2.0])]


@pytest.mark.parametrize("case", range(len(TIES)))
@pytest.mark.parametrize("descending", [False, True])
def test_unstable_sort_indices_match_torch(case, descending):
    t = TIES[case]
    for x in (t, t.t() if t.dim() == 2 else t.flip(0)):
        want = torch.sort(x, -1, descending=descending)
        _check(pe.sort(_pe(x), -1, descending=descending), want)
        _check(pe.argsort(_pe(x), -1, descending=descending), torch.argsort(x, -1, descending=descending))
        _check(pe.sort(_pe(x), dim=-1, descending=descending, stable=True),
               torch.sort(x, dim=-1, descending=descending, stable=True))


def test_sort_bool_ties_match_torch():
    x = torch.randint(0, 2, (8000,), generator=torch.Generator().manual_seed(3)).bool()
    _check(pe.sort(_pe(x)), torch.sort(x))


@pytest.mark.parametrize("case", range(len(TIES)))
@pytest.mark.parametrize("k", [1, 2, 5])
@pytest.mark.parametrize("largest", [True, False])
def test_topk_indices_match_torch(case, k, largest):
    x = TIES[case]
    for sorted_ in (True, False):
        _check(pe.topk(_pe(x), k, largest=largest, sorted=sorted_), torch.topk(x, k, largest=largest, sorted=sorted_))


@pytest.mark.parametrize("case", range(len(TIES)))
@pytest.mark.parametrize("k", [1, 2, 4])
def test_kthvalue_and_mode_indices_match_torch(case, k):
    x = TIES[case]
    _check(pe.kthvalue(_pe(x), k, -1), torch.kthvalue(x, k, -1))
    _check(pe.mode(_pe(x), -1), torch.mode(x, -1))


def test_sort_of_a_broadcast_row_keeps_index_order():
    x = torch.tensor([3.0]).expand(50)
    _check(pe.sort(pe.tensor([3.0]).expand(50)), torch.sort(x))


# ---- F.linear on integers, addr on bool, addbmm_ resizing a broadcast self ----
def test_linear_on_integers_matches_torch():
    x = torch.randint(-5, 5, (4, 3))
    w = torch.randint(-5, 5, (2, 3))
    b = torch.randint(-5, 5, (2,))
    _check(pe.nn.functional.linear(_pe(x), _pe(w)), torch.nn.functional.linear(x, w))
    _check(pe.nn.functional.linear(_pe(x), _pe(w), _pe(b)), torch.nn.functional.linear(x, w, b))
    _check(pe.nn.functional.linear(_pe(x[0]), _pe(w.t().contiguous().t())), torch.nn.functional.linear(x[0], w))
    with pytest.raises(NotImplementedError):
        pe.nn.functional.linear(_pe(x).bool(), _pe(w).bool())


@pytest.mark.parametrize("beta,alpha", [(1, 1), (0, 1), (1, 0), (True, False)])
def test_addr_bool_stays_bool(beta, alpha):
    m = torch.tensor([[True, False, False], [False, False, True]])
    v1, v2 = torch.tensor([True, False]), torch.tensor([False, True, True])
    _check(pe.addr(_pe(m), _pe(v1), _pe(v2), beta=beta, alpha=alpha), torch.addr(m, v1, v2, beta=beta, alpha=alpha))


@pytest.mark.parametrize("shape", [(1,), ()])
def test_addbmm_inplace_resizes_a_broadcast_self(shape):
    b1, b2 = torch.randn(3, 5, 4), torch.randn(3, 4, 6)
    x = torch.full(shape, 2.0).clone()
    px = pe.full(shape, 2.0)  # (numpy sharing would make the torch storage non-resizable)
    x.addbmm_(b1, b2)
    out = px.addbmm_(_pe(b1), _pe(b2))
    assert out is px
    _check(px, x, 1e-5, 1e-5)
    with pytest.raises(RuntimeError):  # a self that is not broadcastable stays an error
        _pe(torch.zeros(2)).addbmm_(_pe(b1), _pe(b2))
    # A non-leaf self that requires grad is resized too; its gradient sums back to the old shape.
    b1, b2 = b1.double(), b2.double()

    def run(m, x, p, q):
        y = x.clone()
        y.addbmm_(p, q, beta=0.5)
        return y
    _grads_match(lambda x, p, q: run(pe, x, p, q), lambda x, p, q: run(torch, x, p, q),
                 [torch.full(shape, 2.0, dtype=torch.float64), b1, b2], 1e-9, 1e-9)
    with pytest.raises(RuntimeError):  # a leaf that requires grad: PyTorch's in-place error
        pe.zeros(shape, requires_grad=True).addbmm_(_pe(b1), _pe(b2))


# ---- take_along_dim, gather ----
def test_take_along_dim_wraps_indices_like_torch():
    x = torch.arange(1.0, 16.0).reshape(3, 5)
    idx = torch.tensor([[-1, -5, -6, 5, 9, 100]]).expand(3, 6)
    _check(pe.take_along_dim(_pe(x), _pe(idx), 1), torch.take_along_dim(x, idx, 1))
    _check(pe.take_along_dim(_pe(x).t(), _pe(idx).t(), 0), torch.take_along_dim(x.t(), idx.t(), 0))
    _grads_match(lambda a: pe.take_along_dim(a, _pe(idx), 1), lambda a: torch.take_along_dim(a, idx, 1), [x])
    with pytest.raises(RuntimeError):  # without dim the flat index is bounds-checked, as PyTorch
        pe.take_along_dim(_pe(x), pe.tensor([-20]))


def test_gather_accepts_an_empty_index_of_any_dtype():
    x = torch.randn(5, dtype=torch.float64, requires_grad=True)
    for idx in (torch.zeros(0, dtype=torch.uint8), torch.zeros(2, 0, dtype=torch.uint8)):
        _grads_match(lambda a: pe.gather(a, 0, _pe(idx)), lambda a: torch.gather(a, 0, idx), [x])
    with pytest.raises(RuntimeError):
        pe.gather(_pe(x), 0, pe.tensor([1], dtype=pe.uint8))


# ---- fill, flip, linspace, sum_to_size, batch_norm ----
def test_fill_is_differentiable_like_fill_backward():
    x = torch.tensor([1.0, float("inf"), float("nan")], dtype=torch.float64)
    _grads_match(lambda a: pe.fill(a, 3.0), lambda a: torch.fill(a, 3.0), [x])
    v = torch.tensor(2.5, dtype=torch.float64)
    _grads_match(lambda a, b: pe.fill(a, b), lambda a, b: torch.fill(a, b), [x, v])
    assert pe.fill(pe.zeros(2, dtype=pe.int64), pe.tensor(2.7)).dtype == pe.int64


def test_flip_method_takes_dims_keyword():
    x = torch.randn(2, 3, 4)
    _check(_pe(x).flip(dims=(0, 2)), x.flip(dims=(0, 2)))
    _check(_pe(x).flip(0, 2), x.flip(0, 2))
    with pytest.raises(TypeError):
        _pe(x).flip(dimz=(0,))


def test_linspace_takes_zero_dim_tensor_bounds():
    _check(pe.linspace(pe.tensor(-2.0), pe.tensor(3), 7), torch.linspace(torch.tensor(-2.0), torch.tensor(3), 7))
    _check(pe.linspace(pe.tensor(1), 4, 4, dtype=pe.float64), torch.linspace(torch.tensor(1), 4, 4, dtype=torch.float64))
    with pytest.raises(RuntimeError):
        pe.linspace(pe.tensor([0.0, 1.0]), 1.0, 3)


def test_sum_to_size_of_an_empty_size_is_a_full_sum():
    for t in (torch.tensor(True), torch.ones(2, 3, dtype=torch.bool), torch.arange(6.0).reshape(2, 3)):
        _check(_pe(t).sum_to_size(()), t.sum_to_size(()))
    _check(_pe(torch.ones(3, dtype=torch.bool)).sum_to_size(3), torch.ones(3, dtype=torch.bool).sum_to_size(3))


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_of_an_empty_input(training):
    for shape in ((0,), (0, 3)):
        x = torch.zeros(shape)
        rm, rv = torch.zeros(shape[1:] or (0,)), torch.ones(shape[1:] or (0,))
        got = pe.nn.functional.batch_norm(_pe(x), _pe(rm), _pe(rv), training=training)
        _check(got, torch.nn.functional.batch_norm(x, rm, rv, training=training))


# ---- as_strided: partial views, gradients outside the input, as_strided_ ----
def test_as_strided_of_a_view_reaches_its_storage_and_differentiates():
    base = torch.randn(15, dtype=torch.float64)
    pbase = _pe(base)
    view, pview = base[5:], pbase[5:]
    for off in (0, 10):
        _check(pview.as_strided((2, 2), (1, 2), off), view.as_strided((2, 2), (1, 2), off))
    leaf = base.clone()[5:].detach().requires_grad_(True)
    pleaf = _pe(base)[5:].detach().requires_grad_(True)  # a leaf at storage offset 5, as the torch one
    # The gradient of a restride that reads outside the input reaches only the input's elements.
    for off, shape, stride in ((0, (2, 2), (1, 2)), (3, (3, 2), (2, 3)), (0, (4,), (0,))):
        tx = leaf.as_strided(shape, stride, off)
        px = pleaf.as_strided(shape, stride, off)
        cot = torch.randn(shape, dtype=torch.float64)
        _check(pe.autograd.grad(px, pleaf, _pe(cot))[0], torch.autograd.grad(tx, leaf, cot)[0])


def test_as_strided_inplace():
    x = torch.arange(12.0)
    px = _pe(x)
    out = px.as_strided_((3, 2), (2, 3), 1)
    assert out is px
    _check(px, x.as_strided_((3, 2), (2, 3), 1))
    with pytest.raises(RuntimeError):
        px.as_strided_((5, 5), (5, 1), 0)
    with pytest.raises(RuntimeError):
        pe.zeros(3, requires_grad=True).as_strided_((2,), (1,))


# ---- local_response_norm on integers, He_n in float32 ----
def test_local_response_norm_integer_input_matches_torch():
    x = torch.randint(-9, 9, (2, 6, 3, 2), generator=torch.Generator().manual_seed(0))
    for xi in (x, x[:, :, 0]):
        _check(pe.nn.functional.local_response_norm(_pe(xi), 3, alpha=3e-5, beta=0.5, k=1.25),
               torch.nn.functional.local_response_norm(xi, 3, alpha=3e-5, beta=0.5, k=1.25), 1.3e-6, 1e-5)


def test_hermite_he_float32_matches_torch():
    x = torch.linspace(-5, 5, 41)
    n = torch.arange(0, 12.0).reshape(12, 1)
    _check(pe.special.hermite_polynomial_he(_pe(x), _pe(n)), torch.special.hermite_polynomial_he(x, n), 1.3e-6, 1e-5)


# ---- the aten internals (pyengine/_ops_aten_internals.py) ----
def test_rdiv_and_softmax_backward_data():
    x = torch.rand(3, 4, dtype=torch.float64) + 0.5
    _grads_match(lambda a: a.__rdiv__(2.0), lambda a: a.__rdiv__(2.0), [x])
    y = torch.softmax(torch.randn(3, 4, dtype=torch.float64), 1)
    g = torch.randn(3, 4, dtype=torch.float64)
    for dim in (0, 1):
        _grads_match(lambda a, b: pe._softmax_backward_data(a, b, dim, pe.float64),
                     lambda a, b: torch._softmax_backward_data(a, b, dim, torch.float64), [g, y])


def test_safe_softmax_zeroes_fully_masked_rows():
    x = torch.randn(3, 4, dtype=torch.float64)
    x[1] = -float("inf")
    x[2, :2] = -float("inf")
    for dim in (0, 1):
        _grads_match(lambda a: pe.ops.aten._safe_softmax.default(a, dim),
                     lambda a: torch.ops.aten._safe_softmax.default(a, dim), [x])


def test_ops_aten_namespace():
    assert pe.ops.aten.add.Tensor(pe.ones(2), pe.ones(2)).tolist() == [2.0, 2.0]
    with pytest.raises(AttributeError):
        pe.ops.aten.no_such_operator_here


@pytest.mark.parametrize("affine", [True, False])
def test_native_group_norm(affine):
    x = torch.randn(2, 6, 3, 2, dtype=torch.float64)
    w, b = torch.randn(6, dtype=torch.float64), torch.randn(6, dtype=torch.float64)
    args = (w, b) if affine else ()

    def run(m, xx, *wb):
        ww, bb = wb if wb else (None, None)
        return m.native_group_norm(xx, ww, bb, 2, 6, 6, 3, 1e-5)
    _grads_match(lambda *a: run(pe, *a), lambda *a: run(torch, *a), [x, *args])


@pytest.mark.parametrize("training", [True, False])
def test_native_batch_norm_legit_and_with_update(training):
    x = torch.randn(4, 3, 5, dtype=torch.float64)
    w, b = torch.randn(3, dtype=torch.float64), torch.randn(3, dtype=torch.float64)
    rm, rv = torch.randn(3, dtype=torch.float64), torch.rand(3, dtype=torch.float64) + 0.5
    prm, prv = _pe(rm), _pe(rv)
    got = pe._native_batch_norm_legit(_pe(x), _pe(w), _pe(b), prm, prv, training, 0.3, 1e-5)
    want = torch._native_batch_norm_legit(x, w, b, rm, rv, training, 0.3, 1e-5)
    _check(got, want, 1e-7, 1e-9)
    _check(prm, rm, 1e-7, 1e-9)
    _check(prv, rv, 1e-7, 1e-9)
    _check(pe._native_batch_norm_legit(_pe(x), _pe(w), _pe(b), True, 0.3, 1e-5),
           torch._native_batch_norm_legit(x, w, b, True, 0.3, 1e-5), 1e-7, 1e-9)
    got = pe._batch_norm_with_update(_pe(x), _pe(w), _pe(b), prm, prv, 0.3, 1e-5)
    want = torch.ops.aten._batch_norm_with_update(x, w, b, rm, rv, 0.3, 1e-5)
    _check(got, want, 1e-7, 1e-9)
    _check(prv, rv, 1e-7, 1e-9)


def test_native_dropout_backward():
    g = torch.randn(3, 4, dtype=torch.float64)
    mask = torch.rand(3, 4) > 0.5
    _grads_match(lambda a: pe.native_dropout_backward(a, _pe(mask), 2.0),
                 lambda a: torch.ops.aten.native_dropout_backward(a, mask, 2.0), [g])


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("padding", [0, 1, 2])
def test_grid_sampler_2d_3d(mode, padding):
    x = torch.randn(1, 2, 4, 5, dtype=torch.float64)
    grid = torch.rand(1, 3, 2, 2, dtype=torch.float64) * 2.4 - 1.2
    _grads_match(lambda a, g: pe.grid_sampler_2d(a, g, mode, padding, False),
                 lambda a, g: torch.grid_sampler_2d(a, g, mode, padding, False), [x, grid], 1e-6, 1e-8)
    if mode != 2:
        x3 = torch.randn(1, 2, 3, 4, 3, dtype=torch.float64)
        g3 = torch.rand(1, 2, 2, 2, 3, dtype=torch.float64) * 2 - 1
        _grads_match(lambda a, g: pe.grid_sampler_3d(a, g, mode, padding, True),
                     lambda a, g: torch.grid_sampler_3d(a, g, mode, padding, True), [x3, g3], 1e-6, 1e-8)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_chunk_cat(dim):
    ts = [torch.randn(2, 3, 3, dtype=torch.float64), torch.randn(2, 3, 1, 2, dtype=torch.float64),
          torch.randn(2, 3, dtype=torch.float64) if dim != -1 else torch.randn(2, 3, 7, dtype=torch.float64)]
    if dim < 0:  # PyTorch refuses a negative dim when the ranks differ
        with pytest.raises(RuntimeError):
            pe._chunk_cat([_pe(t) for t in ts], dim, 2)
        ts = [ts[0], ts[2]]

    def reference(tensors, n):
        """_chunk_cat in plain torch ops (PyTorch's own has no derivative to compare with)."""
        d = dim % tensors[0].dim()
        parts = []
        for t in tensors:
            chunk = -(-t.shape[d] // n)
            pad = torch.zeros(t.shape[:d] + (chunk * n - t.shape[d],) + t.shape[d + 1:], dtype=t.dtype)
            parts.append(torch.cat([t, pad], d).reshape(t.shape[:d] + (n, -1)))
        return torch.cat(parts, d + 1)
    for n in (1, 2, 5):
        _check(pe._chunk_cat([_pe(t) for t in ts], dim, n), torch._chunk_cat(ts, dim, n))
        _grads_match(lambda *a: pe._chunk_cat(list(a), dim, n), lambda *a: reference(list(a), n), ts)
    with pytest.raises(RuntimeError):
        pe._chunk_cat([_pe(ts[0]), pe.zeros(3, 3, 3, dtype=pe.float64)], 2, 2)


def test_unsafe_masked_index_and_put_accumulate():
    x = torch.randn(4, 5, dtype=torch.float64)
    mask = torch.tensor([[True, False, True], [False, True, True]])
    i0 = torch.tensor([[0], [3]]).expand(2, 3)
    i1 = torch.tensor([[1, 9, 4], [-3, 4, 4]])
    _grads_match(lambda a: pe._unsafe_masked_index(a, _pe(mask), [_pe(i0), _pe(i1)], 0.5),
                 lambda a: torch._unsafe_masked_index(a, mask, [i0, i1], 0.5), [x])
    v = torch.randn(2, 3, dtype=torch.float64)
    _grads_match(lambda a, b: pe._unsafe_masked_index_put_accumulate(a, _pe(mask), [_pe(i0), _pe(i1)], b),
                 lambda a, b: torch._unsafe_masked_index_put_accumulate(a, mask, [i0, i1], b), [x, v])


def test_max_pool2d_with_indices_backward():
    x = torch.randn(2, 3, 6, 5, dtype=torch.float64)
    for args in (((2, 2), (2, 2), (0, 0), (1, 1), False), ((3, 2), (1, 2), (1, 1), (1, 1), True)):
        out, idx = torch.nn.functional.max_pool2d_with_indices(x, *args[:4], ceil_mode=args[4], return_indices=True)
        g = torch.randn(out.shape, dtype=torch.float64)
        _grads_match(lambda a: pe.ops.aten.max_pool2d_with_indices_backward.default(a, _pe(x), *args, _pe(idx)),
                     lambda a: torch.ops.aten.max_pool2d_with_indices_backward.default(a, x, *args, idx), [g])


@pytest.mark.parametrize("reduce", ["max", "min", "sum", "mean", "prod"])
@pytest.mark.parametrize("initial", [None, 2.0])
def test_segment_reduce(reduce, initial):
    data = torch.tensor([[1.0, 2.0, 2.0, -3.0, 5.0, 0.5], [4.0, -1.0, 3.0, 3.0, 2.0, 1.0]], dtype=torch.float64)
    lengths = torch.tensor([[0, 2, 1, 3], [3, 0, 2, 1]])
    offsets = torch.tensor([[0, 0, 2, 3, 6], [0, 3, 3, 5, 6]])
    kw = {} if initial is None else {"initial": initial}
    _grads_match(lambda a: pe.segment_reduce(a, reduce, lengths=_pe(lengths), axis=1, **kw),
                 lambda a: torch.segment_reduce(a, reduce, lengths=lengths, axis=1, **kw), [data])
    _grads_match(lambda a: pe.segment_reduce(a, reduce, offsets=_pe(offsets), axis=1, **kw),
                 lambda a: torch.segment_reduce(a, reduce, offsets=offsets, axis=1, **kw), [data])
    _grads_match(lambda a: pe.segment_reduce(a, reduce, lengths=_pe(lengths[0]), **kw),
                 lambda a: torch.segment_reduce(a, reduce, lengths=lengths[0], **kw), [data.t().contiguous()])
    with pytest.raises(RuntimeError):
        pe.segment_reduce(_pe(data), reduce, lengths=_pe(lengths + 1), axis=1)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_linear_cross_entropy(reduction):
    x = torch.randn(7, 3, dtype=torch.float64)
    w = torch.randn(4, 3, dtype=torch.float64)
    b = torch.randn(4, dtype=torch.float64)
    t = torch.tensor([0, 3, -100, 1, 2, 2, 0])
    cw = torch.rand(4, dtype=torch.float64)
    opts = torch.nn.LinearCrossEntropyOptions(batch_chunk_size=2) if hasattr(torch.nn, "LinearCrossEntropyOptions") \
        else None
    for kw in ({}, {"weight": cw}):
        pkw = {k: _pe(v) for k, v in kw.items()}
        _grads_match(lambda a, ww, bb: pe.nn.functional.linear_cross_entropy(a, ww, _pe(t), linear_bias=bb,
                                                                             reduction=reduction, **pkw),
                     lambda a, ww, bb: torch.nn.functional.linear_cross_entropy(a, ww, t, linear_bias=bb,
                                                                                reduction=reduction, **kw),
                     [x, w, b])
        if opts is not None:
            _grads_match(lambda a, ww: pe.nn.functional.linear_cross_entropy(a, ww, _pe(t), reduction=reduction,
                                                                             options=opts, **pkw),
                         lambda a, ww: torch.nn.functional.linear_cross_entropy(a, ww, t, reduction=reduction,
                                                                                options=opts, **kw), [x, w])
    wk = torch.randn(4, 2, 3, dtype=torch.float64)
    tk = torch.randint(0, 4, (7, 2))
    _grads_match(lambda a, ww: pe.nn.functional.linear_cross_entropy(a, ww, _pe(tk), reduction=reduction),
                 lambda a, ww: torch.nn.functional.linear_cross_entropy(a, ww, tk, reduction=reduction), [x, wk])
    with pytest.raises(RuntimeError):
        pe.nn.functional.linear_cross_entropy(_pe(x), _pe(w[:, :2]), _pe(t))


@pytest.mark.parametrize("layout", DEVICE_LAYOUTS)
def test_layouts_on_devices(layout, device):
    """The composites on the strided/0-d/empty layouts and devices (CPU result as the reference)."""
    values = np.arange(12, dtype=np.float32) - 4.0
    x = device_tensor(values, "float32", layout, device)
    cpu = x.cpu()
    if x.dim() >= 1 and x.numel() == 0:  # PyTorch: "_chunk_cat expects non-empty tensor"
        with pytest.raises(RuntimeError, match="non-empty tensor"):
            pe._chunk_cat([x], 0, 2)
    elif x.dim() >= 1:
        got = pe._chunk_cat([x], 0, 2).cpu()
        assert tuple(got.shape) == tuple(pe._chunk_cat([cpu], 0, 2).shape)
        np.testing.assert_allclose(got.numpy(), pe._chunk_cat([cpu], 0, 2).numpy())
    np.testing.assert_allclose(pe.fill(x, 2.0).cpu().numpy(), np.full(tuple(x.shape), 2.0, np.float32))
    if x.dim() >= 1 and x.numel():
        idx = pe.zeros(tuple(x.shape), dtype=pe.int64, device=x.device) - 1
        want = torch.take_along_dim(torch.tensor(cpu.numpy()), torch.full(tuple(x.shape), -1), x.dim() - 1)
        np.testing.assert_allclose(pe.take_along_dim(x, idx, x.dim() - 1).cpu().numpy(), want.numpy())


# ---- _upsample_bilinear2d_aa, linalg.ldl_factor(_ex) / ldl_solve ----
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_upsample_bilinear2d_aa(dtype):
    x = torch.randn(2, 3, 10, 20, dtype=dtype, generator=torch.Generator().manual_seed(0))
    tol = (1.3e-6, 1e-5) if dtype == torch.float32 else (1e-7, 1e-9)
    for args, kw in ((((17, 18), False), {}), ((None, False, [1.7, 0.9]), {}), (((3, 3), False), {"scales_h": 1.7,
                     "scales_w": 0.9}), (((4, 7), True), {}), (((10, 6), False), {})):
        want = torch.ops.aten._upsample_bilinear2d_aa(x, *args, **kw)
        _check(pe._upsample_bilinear2d_aa(_pe(x), *args, **kw), want, *tol)
    if dtype == torch.float64:
        _grads_match(lambda a: pe._upsample_bilinear2d_aa(a, (5, 7), False),
                     lambda a: torch.ops.aten._upsample_bilinear2d_aa(a, (5, 7), False), [x])


def _symmetric(n, seed, dtype=torch.float64):
    a = torch.randn(n, n, dtype=dtype, generator=torch.Generator().manual_seed(seed))
    return a + a.mT


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_ldl_factor_matches_lapack_pivots(dtype):
    """LD and the Bunch-Kaufman pivots (1x1 and 2x2 blocks) are LAPACK's, and the info of a singular D."""
    mats = [_symmetric(n, s, dtype) for n in (1, 2, 3, 5, 8, 13) for s in range(6)]
    mats[3][0, 0] = 0.0  # forces a 2x2 block
    mats[7][:, -1] = 0.0
    mats[7][-1, :] = 0.0  # singular D
    tol = (1e-9, 1e-9) if dtype == torch.float64 else (1e-4, 1e-4)
    for a in mats:
        want = torch.linalg.ldl_factor_ex(a)
        got = pe.linalg.ldl_factor_ex(_pe(a))
        assert np.array_equal(got.pivots.numpy(), want.pivots.numpy())
        assert int(got.info) == int(want.info)
        _check(got.LD, want.LD, *tol)
        if int(want.info) == 0:
            b = torch.randn(a.shape[0], 3, dtype=dtype)
            _check(pe.linalg.ldl_solve(got.LD, got.pivots, _pe(b)), torch.linalg.ldl_solve(want.LD, want.pivots, b),
                   tol[0] * 100, tol[1] * 100)
    batch = torch.stack([_symmetric(4, s) for s in range(3)])
    want = torch.linalg.ldl_factor(batch)
    got = pe.linalg.ldl_factor(_pe(batch))
    _check(got, want, 1e-9, 1e-9)
    b = torch.randn(4, 2, dtype=torch.float64)  # B broadcast over the batch
    _check(pe.linalg.ldl_solve(got.LD, got.pivots, _pe(b)), torch.linalg.ldl_solve(want.LD, want.pivots, b), 1e-8, 1e-9)
    for shape in ((0, 0), (0, 2, 2)):
        _check(pe.linalg.ldl_factor(pe.zeros(shape)), torch.linalg.ldl_factor(torch.zeros(shape)))
    with pytest.raises(RuntimeError):
        pe.linalg.ldl_factor(pe.zeros(3, 3))
    with pytest.raises(RuntimeError):
        pe.linalg.ldl_factor(pe.zeros(3, 4))
    with pytest.raises(RuntimeError):
        pe.linalg.ldl_factor(pe.zeros(3, 3, dtype=pe.int64))


def test_aten_slice():
    x = torch.randn(4, 6, 5, dtype=torch.float64)
    for kw in ({"dim": 1, "start": 1, "end": -2}, {"dim": 1, "start": 1, "end": -2, "step": 3},
               {"dim": 0, "start": -10, "end": 100, "step": 2}, {"dim": -1}, {}):
        _grads_match(lambda a: pe.ops.aten.slice.Tensor(a, **kw), lambda a: torch.ops.aten.slice.Tensor(a, **kw), [x])
    px = _pe(x)
    view = pe.ops.aten.slice(px, 1, 2, 4)
    view.fill_(7.0)  # a view: writes reach the input
    assert bool((px[:, 2:4] == 7.0).all())
    with pytest.raises(RuntimeError):
        pe.ops.aten.slice(px, 0, 0, 2, 0)
    with pytest.raises(IndexError):
        pe.ops.aten.slice(px, 3)
    assert not hasattr(pe, "slice")  # no torch.slice in PyTorch either


@pytest.mark.parametrize("shape", [(8, 5), (5, 8), (2, 10, 6)])
def test_svd_pca_lowrank(shape):
    """For a matrix of rank <= q the randomized SVD is exact: the singular values (and their gradient) equal
    PyTorch's and U diag(S) V^T rebuilds the input; the vectors' signs depend on the random test matrix."""
    g = torch.Generator().manual_seed(3)
    a = torch.randn(*shape[:-1], 3, dtype=torch.float64, generator=g)
    b = torch.randn(*shape[:-2], shape[-1], 3, dtype=torch.float64, generator=g)
    A = a @ b.mT
    for q in (3, 5):
        U, S, V = pe.svd_lowrank(_pe(A), q=q)
        assert tuple(U.shape) == shape[:-1] + (q,) and tuple(V.shape) == shape[:-2] + (shape[-1], q)
        _check(S[..., :3], torch.svd_lowrank(A, q=q)[1][..., :3], 1e-9, 1e-9)
        _check((U * S.unsqueeze(-2)) @ V.transpose(-2, -1), A, 1e-9, 1e-9)
        _check(U.transpose(-2, -1) @ U, torch.eye(q, dtype=torch.float64).expand(*shape[:-2], q, q), 1e-9, 1e-9)
    _grads_match(lambda x: pe.svd_lowrank(x, q=3)[1], lambda x: torch.svd_lowrank(x, q=3)[1], [A], 1e-8, 1e-9)
    M = torch.randn(shape[-1], dtype=torch.float64, generator=g)
    _check(pe.svd_lowrank(_pe(A + M), q=3, M=_pe(M))[1], torch.svd_lowrank(A + M, q=3, M=M)[1], 1e-9, 1e-9)
    for center in (True, False):
        _check(pe.pca_lowrank(_pe(A), q=3, center=center)[1], torch.pca_lowrank(A, q=3, center=center)[1],
               1e-9, 1e-9)
    with pytest.raises(ValueError):
        pe.pca_lowrank(_pe(A), q=min(shape[-2:]) + 1)
    with pytest.raises(ValueError):
        pe.pca_lowrank(_pe(A), q=2, niter=-1)
