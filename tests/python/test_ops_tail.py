"""The long-tail ops written as composites (pyengine/_ops_stats.py, _ops_scatter_views.py, _ops_distance.py,
_ops_indices.py, _ops_factories.py, masked/, signal/windows) against PyTorch on the layouts of
pe_testing.DEVICE_LAYOUTS and on every device; the runtime switches (detect_anomaly,
use_deterministic_algorithms) and result_type. PyTorch's op_db samples for the same ops run in
test_opinfo.py; this file adds the strided/0-d/empty/device cases op_db does not cover."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import pyengine as pe
from pe_testing import DEVICE_LAYOUTS, assert_same_as_cpu, device_tensor, require_torch

torch = require_torch()

VALUES = np.array([3.5, -1.0, 2.0, np.nan, 0.0, 7.0, -4.5, 2.0, 1.0, 8.0, -2.0, 5.5], dtype=np.float32)


def _to_torch(t):
    """The same values, shape and strides in PyTorch."""
    return torch.from_numpy(np.array(t.detach().cpu().numpy(), copy=True))


def _check(got, want, rtol=1e-5, atol=1e-6):
    if isinstance(want, (tuple, list)):
        for g, w in zip(got, want):
            _check(g, w, rtol, atol)
        return
    assert tuple(got.shape) == tuple(want.shape), (got.shape, want.shape)
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    np.testing.assert_allclose(got.detach().cpu().double().numpy(), want.detach().double().numpy(), rtol=rtol,
                               atol=atol, equal_nan=True)


REDUCTIONS = {
    "quantile": lambda m, t: m.quantile(t, 0.3, dim=-1) if t.dim() else m.quantile(t, 0.3),
    "nanquantile": lambda m, t: m.nanquantile(t, m.tensor([0.0, 0.5, 1.0], dtype=t.dtype, device=t.device),
                                              dim=0, keepdim=True) if t.dim() else m.nanquantile(t, 0.5),
    "nanmedian": lambda m, t: tuple(m.nanmedian(t, -1)) if t.dim() else m.nanmedian(t),
    "cummax": lambda m, t: tuple(m.cummax(t, -1 if t.dim() else 0)),
    "cummin": lambda m, t: tuple(m.cummin(t, 0)),
    "aminmax": lambda m, t: tuple(m.aminmax(t, dim=0)) if t.dim() else tuple(m.aminmax(t)),
    "cov": lambda m, t: m.cov(t) if t.dim() else m.cov(t.reshape(1)),
    "masked_sum": lambda m, t: m.masked.sum(t, -1 if t.dim() else None, mask=t > 0),
    "masked_amax": lambda m, t: m.masked.amax(t, mask=t < 3),
    "masked_softmax": lambda m, t: m.masked.softmax(t, -1 if t.dim() else 0, mask=t > -2),
}


@pytest.mark.parametrize("layout", DEVICE_LAYOUTS)
@pytest.mark.parametrize("op", sorted(REDUCTIONS))
def test_reductions_match_torch(op, layout, device):
    x = device_tensor(VALUES, "float32", layout, device)
    if x.numel() == 0 and op in ("quantile", "nanquantile", "aminmax", "masked_amax"):
        with pytest.raises((IndexError, RuntimeError)) as pe_err:
            REDUCTIONS[op](pe, x)
        with pytest.raises((IndexError, RuntimeError)) as torch_err:
            REDUCTIONS[op](torch, _to_torch(x))
        assert pe_err.type is torch_err.type
        return
    got = REDUCTIONS[op](pe, x)
    want = REDUCTIONS[op](torch, _to_torch(x))
    _check(got, want)


def test_quantile_gradient_and_interpolations():
    x64 = np.random.default_rng(0).standard_normal((4, 5))
    for mode in ("linear", "lower", "higher", "midpoint", "nearest"):
        a = pe.tensor(x64, requires_grad=True)
        b = torch.tensor(x64, requires_grad=True)
        qa = pe.quantile(a.t(), pe.tensor([0.1, 0.5, 0.9], dtype=pe.float64), dim=1, interpolation=mode)
        qb = torch.quantile(b.t(), torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64), dim=1, interpolation=mode)
        _check(qa, qb, 1e-12, 1e-12)
        qa.sum().backward()
        qb.sum().backward()
        _check(a.grad, b.grad, 1e-12, 1e-12)
    with pytest.raises(RuntimeError, match="interpolation"):
        pe.quantile(pe.ones(3), 0.5, interpolation="cubic")
    with pytest.raises(RuntimeError, match=r"\[0, 1\]"):
        pe.quantile(pe.ones(3), 1.5)
    with pytest.raises(RuntimeError, match="float or double"):
        pe.quantile(pe.ones(3, dtype=pe.int64), 0.5)


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced", "broadcast"])
def test_scatter_views_match_torch(layout, device):
    x = device_tensor(VALUES, "float32", layout, device).nan_to_num()
    t = _to_torch(x)
    src_d = pe.arange(3, dtype=pe.float32, device=device)
    _check(pe.diagonal_scatter(x, src_d), torch.diagonal_scatter(t, torch.arange(3, dtype=torch.float32)))
    _check(pe.select_scatter(x, pe.zeros(4, device=device), 0, 1), torch.select_scatter(t, torch.zeros(4), 0, 1))
    _check(pe.slice_scatter(x, pe.ones(3, 2, device=device), 1, 0, 4, 2),
           torch.slice_scatter(t, torch.ones(3, 2), 1, 0, 4, 2))
    mask = x > 1
    _check(pe.masked_scatter(x, mask, pe.arange(12, dtype=pe.float32, device=device)),
           torch.masked_scatter(t, _to_torch(mask), torch.arange(12, dtype=torch.float32)))
    idx = pe.tensor([0, 5, 5, -1], device=device)
    _check(pe.put(x, idx, pe.ones(4, device=device), accumulate=True),
           torch.put(t, torch.tensor([0, 5, 5, -1]), torch.ones(4), accumulate=True))
    with pytest.raises(IndexError):
        pe.put(x, pe.tensor([12], device=device), pe.ones(1, device=device))
    _check(x.index_reduce(0, pe.tensor([0, 0], device=device), pe.ones(2, 4, device=device) * 2, "prod"),
           t.index_reduce(0, torch.tensor([0, 0]), torch.ones(2, 4) * 2, "prod"))
    _check(pe.transpose_copy(x, 0, 1), torch.transpose_copy(t, 0, 1))
    assert pe.transpose_copy(x, 0, 1).is_contiguous()


def test_scatter_gradients():
    x = np.random.default_rng(1).standard_normal((3, 3))
    a, b = pe.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    sa, sb = pe.tensor([1., 2., 3.], requires_grad=True), torch.tensor([1., 2., 3.], requires_grad=True, dtype=torch.float64)
    sa = sa.double()
    ra, rb = pe.diagonal_scatter(a, sa), torch.diagonal_scatter(b, sb)
    (ra * ra).sum().backward()
    (rb * rb).sum().backward()
    _check(a.grad, b.grad)


@pytest.mark.parametrize("mode", ["use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                                  "donot_use_mm_for_euclid_dist"])
@pytest.mark.parametrize("p", [0.0, 1.0, 2.0, 3.0, float("inf")])
def test_cdist_pdist(p, mode, device):
    rng = np.random.default_rng(2)
    x1, x2 = rng.standard_normal((2, 30, 3)), rng.standard_normal((1, 4, 3))
    a, b = pe.tensor(x1, device=device).transpose(1, 2).contiguous().transpose(1, 2), pe.tensor(x2, device=device)
    got = pe.cdist(a, b, p, compute_mode=mode)
    want = torch.cdist(torch.tensor(x1), torch.tensor(x2), p, compute_mode=mode)
    _check(got, want, 1e-9, 1e-9)
    _check(pe.pdist(pe.tensor(x1[0], device=device), p), torch.pdist(torch.tensor(x1[0]), p), 1e-9, 1e-9)


def test_windows_and_factories():
    for name in ("hann", "hamming", "blackman", "bartlett", "kaiser"):
        for n in (0, 1, 2, 7):
            for periodic in (True, False):
                _check(getattr(pe, name + "_window")(n, periodic), getattr(torch, name + "_window")(n, periodic))
            _check(getattr(pe.signal.windows, name)(n, sym=False), getattr(torch.signal.windows, name)(n, sym=False))
    _check(pe.logspace(-2, 2, 9, base=3.0), torch.logspace(-2, 2, 9, base=3.0))
    _check(pe.logspace(0, 3, 4, dtype=pe.int64), torch.logspace(0, 3, 4, dtype=torch.int64))
    e = pe.empty_strided((2, 3), (1, 2))
    assert e.stride() == (1, 2) and e.shape == (2, 3)
    assert pe.empty_permuted((2, 3, 4), (0, 2, 1)).stride() == torch.empty_permuted((2, 3, 4), (0, 2, 1)).stride()
    with pytest.warns(UserWarning, match="deprecated"):
        _check(pe.range(1, 4), torch.arange(1, 5, dtype=torch.float32))


def test_result_type_and_indices():
    cases = [(pe.tensor([1], dtype=pe.int8), 2.5), (pe.tensor(1.0, dtype=pe.float64), pe.tensor([1], dtype=pe.int32)),
             (pe.tensor([True]), 3), (pe.tensor([1.0], dtype=pe.float16), pe.tensor(2.0, dtype=pe.float64))]
    for a, b in cases:
        ta = torch.from_numpy(a.numpy()) if isinstance(a, pe.Tensor) else a
        tb = torch.from_numpy(b.numpy()) if isinstance(b, pe.Tensor) else b
        if isinstance(a, pe.Tensor) and a.dim() == 0:
            ta = ta.reshape(())
        assert str(pe.result_type(a, b)).split(".")[-1] == str(torch.result_type(ta, tb)).split(".")[-1]
    got = pe.unravel_index(pe.tensor([[5, 11], [0, 7]]), (3, 4))
    want = torch.unravel_index(torch.tensor([[5, 11], [0, 7]]), (3, 4))
    _check(got, want)
    _check(pe.combinations(pe.tensor([1, 2, 3, 4]), 3, with_replacement=True),
           torch.combinations(torch.tensor([1, 2, 3, 4]), 3, with_replacement=True))
    _check(pe.nonzero_static(pe.tensor([[0, 1], [2, 0]]), size=3), torch.nonzero_static(torch.tensor([[0, 1], [2, 0]]), size=3))


def test_detect_anomaly_names_the_node():
    x = pe.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pe.autograd.detect_anomaly():
            assert pe.is_anomaly_enabled()
            with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values in its 0th output"):
                (x.sqrt() * 0).sum().backward()
    assert not pe.is_anomaly_enabled()
    (x.sqrt() * 0).sum().backward()  # off again: the NaN gradient is delivered
    assert bool(x.grad.isnan()[0])
    with pe.autograd.set_detect_anomaly(True, check_nan=False):
        x.grad = None
        (x.sqrt() * 0).sum().backward()
    assert not pe.is_anomaly_enabled()


def test_deterministic_algorithms_accumulate_in_order(device):
    """With the switch on, index_put_ with accumulate and max_pool2d's backward give the CPU's bits."""
    rng = np.random.default_rng(3)
    vals = (rng.standard_normal(4000) * 1e4).astype(np.float32)
    idx = rng.integers(0, 3, 4000)
    pe.use_deterministic_algorithms(True)
    try:
        assert pe.are_deterministic_algorithms_enabled() and pe.get_deterministic_debug_mode() == 2
        out = pe.zeros(3, device=device).index_put_((pe.tensor(idx, device=device),), pe.tensor(vals, device=device),
                                                     accumulate=True)
        cpu = pe.zeros(3).index_put_((pe.tensor(idx),), pe.tensor(vals), accumulate=True)
        np.testing.assert_array_equal(out.cpu().numpy(), cpu.numpy())
        x = pe.tensor(rng.standard_normal((2, 3, 9, 9)).astype(np.float32), device=device, requires_grad=True)
        pe.nn.functional.max_pool2d(x, 3, stride=1).sum().backward()
        xc = x.detach().cpu().requires_grad_(True)
        pe.nn.functional.max_pool2d(xc, 3, stride=1).sum().backward()
        np.testing.assert_array_equal(x.grad.cpu().numpy(), xc.grad.numpy())
    finally:
        pe.use_deterministic_algorithms(False)
    assert not pe.are_deterministic_algorithms_enabled()
    pe.set_deterministic_debug_mode("warn")
    assert pe.is_deterministic_algorithms_warn_only_enabled() and pe.get_deterministic_debug_mode() == 1
    pe.set_deterministic_debug_mode(0)
    with pytest.raises(RuntimeError):
        pe.set_deterministic_debug_mode("loud")


def test_torch_level_forms():
    x = np.random.default_rng(4).standard_normal((2, 3, 8)).astype(np.float32)
    w = np.random.default_rng(5).standard_normal((4, 3, 3)).astype(np.float32)
    _check(pe.conv1d(pe.tensor(x), pe.tensor(w), padding=1), torch.conv1d(torch.tensor(x), torch.tensor(w), padding=1),
           1e-5, 1e-5)
    logp = torch.tensor(x).log_softmax(-1)
    target = torch.tensor(x[::-1].copy()).softmax(-1)
    for reduction in (0, 1, 2):
        _check(pe.kl_div(pe.tensor(logp.numpy()), pe.tensor(target.numpy()), reduction),
               torch.kl_div(logp, target, reduction))
    weight = np.random.default_rng(6).standard_normal((5, 2)).astype(np.float32)
    _check(pe.embedding(pe.tensor(weight), pe.tensor([[0, 4], [2, 2]])),
           torch.embedding(torch.tensor(weight), torch.tensor([[0, 4], [2, 2]])))
    _check(pe.adaptive_max_pool1d(pe.tensor(x), 3), torch.adaptive_max_pool1d(torch.tensor(x), 3))
    _check(pe.swapaxes(pe.tensor(x), 0, 2), torch.swapaxes(torch.tensor(x), 0, 2))
    assert pe.typename(pe.ones(1)) == torch.typename(torch.ones(1))
    assert pe.is_nonzero(pe.tensor([2])) and not pe.is_signed(pe.ones(1, dtype=pe.uint8))


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7])
def test_cross_map_lrn2d_matches_torch(size, device):
    x = np.random.default_rng(size).standard_normal((2, 6, 3, 3)).astype(np.float32)
    got = pe.nn.CrossMapLRN2d(size, 1e-2, 0.75, 2.0)(pe.tensor(x, device=device))
    want = torch.nn.CrossMapLRN2d(size, 1e-2, 0.75, 2.0)(torch.tensor(x))
    _check(got, want, 1e-5, 1e-6)
    assert repr(pe.nn.CrossMapLRN2d(size)) == repr(torch.nn.CrossMapLRN2d(size))
    with pytest.raises(ValueError, match="Expected input to be 4D"):
        pe.nn.CrossMapLRN2d(size)(pe.ones(2, 3, 4))
    xg = pe.tensor(x.astype(np.float64)[:1, :4, :2, :2], requires_grad=True)
    assert pe.autograd.gradcheck(lambda t: pe.nn.CrossMapLRN2d(size, 1e-1, 0.75, 2.0)(t), (xg,))


def test_adaptive_log_softmax_with_loss_matches_torch(device):
    ref = torch.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 10, 15], div_value=2.0, head_bias=True).double()
    ours = pe.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 10, 15], div_value=2.0, head_bias=True).double()
    assert repr(ours) == repr(ref) and sorted(ours.state_dict()) == sorted(ref.state_dict())
    ours.load_state_dict({k: pe.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    ours = ours.to(device)
    x = np.random.default_rng(0).standard_normal((12, 16))
    y = np.array([0, 3, 4, 9, 10, 14, 15, 19, 2, 11, 16, 5])
    want = ref(torch.tensor(x), torch.tensor(y))
    got = ours(pe.tensor(x, device=device), pe.tensor(y, device=device))
    _check(got.output, want.output, 1e-12, 1e-12)
    _check(got.loss, want.loss, 1e-12, 1e-12)
    want.loss.backward()
    got.loss.backward()
    for (name, a), b in zip(ours.named_parameters(), ref.parameters()):
        _check(a.grad, b.grad, 1e-10, 1e-12)
    _check(ours.log_prob(pe.tensor(x, device=device)), ref.log_prob(torch.tensor(x)), 1e-12, 1e-12)
    _check(ours.predict(pe.tensor(x, device=device)), ref.predict(torch.tensor(x)))
    single = ours(pe.tensor(x[0], device=device), pe.tensor(y[0], device=device))
    assert single.output.dim() == 0
    with pytest.raises(RuntimeError, match="Target values should be in"):
        ours(pe.tensor(x, device=device), pe.tensor(np.full(12, 20), device=device))
    with pytest.raises(ValueError, match="cutoffs should be a sequence"):
        pe.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [10, 4])
