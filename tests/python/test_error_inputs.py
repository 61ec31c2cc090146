"""Bad input raises PyTorch's exception class (and a message matching PyTorch's): op_db's error_inputs of the ops
whose checks were missing or wrong (issue 15), run through the conformance harness's argument conversion, plus
explicit cases, each run on PyTorch and pyengine side by side."""
from __future__ import annotations

import re
import warnings

import pytest

torch = pytest.importorskip("torch")

import pyengine as pe  # noqa: E402

import opinfo_harness as h  # noqa: E402

# The ops whose error inputs this file holds pyengine to (every input of each, not only the fixed ones).
OPS = {
    "amax", "amin", "aminmax", "arange", "cat", "complex", "copysign", "cov", "dsplit", "hsplit", "vsplit", "eye",
    "gather", "hypot", "index_select", "kthvalue", "ldexp", "linspace", "masked_select", "movedim", "narrow",
    "narrow_copy", "nn.functional.adaptive_avg_pool1d", "nn.functional.adaptive_avg_pool2d",
    "nn.functional.adaptive_avg_pool3d", "nn.functional.adaptive_max_pool2d", "nn.functional.adaptive_max_pool3d",
    "nn.functional.huber_loss", "nn.functional.multi_margin_loss", "nn.functional.multilabel_margin_loss",
    "nn.functional.prelu", "nn.functional.rms_norm", "nn.functional.triplet_margin_loss", "take", "unbind",
    "unbind_copy", "clamp_max", "clamp_min", "gradient",
}

# Inputs where pyengine deliberately differs from the database, each tested explicitly below:
# clamp_max/clamp_min #0: op_db says a Python-scalar bound is refused, but torch.clamp_max(t, 2) itself accepts it
# (the Number overload), and so does pyengine.
CLASS_DEVIATIONS = {("clamp_max", 0), ("clamp_min", 0)}
# Same class, other wording: PyTorch's argument-parser texts (linspace, hsplit/vsplit with a str), its internal
# assert texts (adaptive_max_pool "internal error", "Trying to create tensor with negative dimension").
MESSAGE_DEVIATIONS = {
    ("linspace", 1), ("linspace.tensor_overload", 1), ("hsplit", 2), ("vsplit", 2),
    ("nn.functional.adaptive_max_pool2d", 1),
    ("nn.functional.adaptive_max_pool2d", 2), ("nn.functional.adaptive_max_pool3d", 1),
    ("nn.functional.adaptive_max_pool3d", 2),
}


def _error_cases():
    from torch.testing._internal.common_methods_invocations import op_db
    cases = []
    for op in op_db:
        if op.name not in OPS or op.error_inputs_func is None:
            continue
        key = op.name + ("." + op.variant_test_name if op.variant_test_name else "")
        for i, ei in enumerate(op.error_inputs("cpu")):
            try:
                _convert(ei.sample_input)
            except Exception:  # noqa: BLE001 -- not expressible in pyengine (a meta tensor, ...): the harness skips it
                continue
            if (op.name, i) not in CLASS_DEVIATIONS:
                cases.append(pytest.param(op, i, id=f"{key}-{i}"))
    return cases


def _convert(sample):
    """The harness's conversion, with aliasing between arguments kept (as run_error_inputs does)."""
    h._alias_memo = {}
    try:
        return (h.to_pe(sample.input, torch), h.to_pe(tuple(sample.args), torch),
                h.to_pe(dict(sample.kwargs), torch))
    finally:
        h._alias_memo = None


@pytest.mark.parametrize("op,i", _error_cases())
def test_op_db_error_input(op, i):
    ei = list(op.error_inputs("cpu"))[i]
    key = op.name + ("." + op.variant_test_name if op.variant_test_name else "")
    fn = h.resolve_function(op.name)
    assert fn is not None
    inp, args, kwargs = _convert(ei.sample_input)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as info:
            fn(inp, *args, **kwargs)
    assert isinstance(info.value, ei.error_type), f"{type(info.value).__name__}: {info.value}"
    if ei.error_regex and (key, i) not in MESSAGE_DEVIATIONS:
        assert re.search(ei.error_regex, str(info.value)), str(info.value)


def _same_error(run, regex: str = ""):
    """run(m) on torch and on pyengine: both raise, the same class; pyengine's message matches regex."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # out= resize warnings, before the error
        with pytest.raises(Exception) as want:
            run(torch)
        with pytest.raises(Exception) as got:
            run(pe)
    assert type(got.value).__name__ == type(want.value).__name__, f"{type(got.value).__name__}: {got.value}"
    if regex:
        assert re.search(regex, str(want.value)), str(want.value)
        assert re.search(regex, str(got.value)), str(got.value)


# ---- explicit cases: the ones that used to return an answer (no exception) first ----
@pytest.mark.parametrize("src,dst", [((0, 1, -6), (1, 4, 2)), ((1, 4, 2), (0, 1, -6)), (-6, 1), (3, 5)])
def test_movedim_dim_out_of_range(src, dst):
    # pyengine used to wrap -6 modulo 5 and permute silently
    _same_error(lambda m: m.movedim(m.zeros(2, 3, 4, 5, 6), src, dst), r"Dimension out of range")


def test_movedim_valid_still_matches():
    x = torch.arange(120.).reshape(2, 3, 4, 5)
    got = pe.movedim(pe.tensor(x.numpy()), (0, -1), (-1, 1))
    assert got.shape == torch.movedim(x, (0, -1), (-1, 1)).shape
    assert (got.numpy() == torch.movedim(x, (0, -1), (-1, 1)).numpy()).all()


def test_eye_negative_m():
    _same_error(lambda m: m.eye(0, -3), r"m must be greater or equal to 0, got -3")
    _same_error(lambda m: m.eye(-2), r"n must be greater or equal to 0, got -2")
    assert pe.eye(2, 0).shape == (2, 0)


@pytest.mark.parametrize("delta", [0, -1, -0.5])
def test_huber_loss_non_positive_delta(delta):
    _same_error(lambda m: m.nn.functional.huber_loss(m.ones(3), m.zeros(3), delta=delta),
                r"huber_loss does not support non-positive values for delta")


def test_huber_loss_still_matches():
    a, b = torch.randn(4, 3), torch.randn(4, 3)
    for delta in (0.5, 1.0, 2.0):
        want = torch.nn.functional.huber_loss(a, b, delta=delta)
        got = pe.nn.functional.huber_loss(pe.tensor(a.numpy()), pe.tensor(b.numpy()), delta=delta)
        assert abs(float(got) - float(want)) < 1e-5


def test_prelu_weight_ndim():
    _same_error(lambda m: m.nn.functional.prelu(m.ones(2, 8, 3), m.ones(2, 4)),
                r"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = 2")
    _same_error(lambda m: m.nn.functional.prelu(m.ones(2, 1, 3), m.ones(1, 1)), r"ndim = 2")


def test_rms_norm_shapes():
    _same_error(lambda m: m.nn.functional.rms_norm(m.ones(1, 2, 3), ()),
                r"Expected normalized_shape to be at least 1-dimensional")
    _same_error(lambda m: m.nn.functional.rms_norm(m.ones(1, 2, 3), (2, 3), m.ones(3)),
                r"Expected weight to be of same shape as normalized_shape")


@pytest.mark.parametrize("margin", [0.0, -1.0])
def test_triplet_margin_loss_margin(margin):
    _same_error(lambda m: m.nn.functional.triplet_margin_loss(m.ones(3, 4), m.ones(3, 4), m.ones(3, 4),
                                                              margin=margin), r"margin must be greater than 0")


@pytest.mark.parametrize("fn,args", [
    ("huber_loss", ((5, 4), (5, 4))), ("triplet_margin_loss", ((3, 4), (3, 4), (3, 4))),
])
def test_bad_reduction_refused_first(fn, args):
    _same_error(lambda m: getattr(m.nn.functional, fn)(*[m.ones(*s) for s in args], reduction="abc"),
                r"abc is not a valid value for reduction|Invalid reduction mode")


def test_margin_losses_bad_reduction_before_target_checks():
    # float targets: PyTorch refuses the reduction before looking at them
    _same_error(lambda m: m.nn.functional.multi_margin_loss(m.ones(5, 4), m.ones(5) * 7, reduction="abc"),
                r"abc is not a valid value for reduction")
    _same_error(lambda m: m.nn.functional.multilabel_margin_loss(m.ones(5, 4), m.ones(5, 4) * 9, reduction="abc"),
                r"abc is not a valid value for reduction")


def test_margin_losses_target_dtype_and_weight():
    _same_error(lambda m: m.nn.functional.multi_margin_loss(m.ones(5, 4), m.zeros(5)),
                r"expected scalar type Long but found Float")
    _same_error(lambda m: m.nn.functional.multi_margin_loss(m.ones(5, 4), m.zeros(5, dtype=m.int64),
                                                            weight=m.ones(5)),
                r"inconsistent weight size, expected 4 but got \[5\]")


@pytest.mark.parametrize("shape", [(0,), (0, 0), (5, 0)])
def test_margin_losses_empty_class_dim(shape):
    _same_error(lambda m: m.nn.functional.multilabel_margin_loss(m.ones(*shape), m.ones(*shape, dtype=m.int64)),
                r"Expected non-empty vector or matrix with optional 0-dim batch size")
    n = shape[0] if len(shape) == 2 else 1
    _same_error(lambda m: m.nn.functional.multi_margin_loss(m.ones(*shape), m.zeros(n, dtype=m.int64)),
                r"Expected non-empty vector or matrix with optional 0-dim batch size")


def test_margin_losses_empty_batch_still_allowed():
    # (0, C): an empty batch is valid (PyTorch's sum over it is uninitialised memory, so only shapes are compared)
    want = torch.nn.functional.multilabel_margin_loss(torch.ones(0, 4), torch.zeros(0, 4, dtype=torch.int64),
                                                      reduction="none")
    got = pe.nn.functional.multilabel_margin_loss(pe.ones(0, 4), pe.zeros(0, 4, dtype=pe.int64), reduction="none")
    assert tuple(got.shape) == tuple(want.shape)
    assert float(pe.nn.functional.multilabel_margin_loss(pe.ones(0, 4), pe.zeros(0, 4, dtype=pe.int64),
                                                         reduction="sum")) == 0.0


@pytest.mark.parametrize("fn", ["amax", "amin"])
def test_reduction_more_than_64_dims(fn):
    shape = (1,) * 65  # a view: pyengine's elementwise fill stops at 16 dims, PyTorch's reductions at 64
    _same_error(lambda m: getattr(m, fn)(m.ones(1).reshape(shape), dim=-1),
                r"only tensors with up to 64 dims are supported")
    _same_error(lambda m: m.aminmax(m.ones(1).reshape(shape), dim=64), r"only tensors with up to 64 dims are supported")


@pytest.mark.parametrize("fn", ["amax", "amin"])
def test_amax_out_dtype(fn):
    _same_error(lambda m: getattr(m, fn)(m.ones(20, 20), 0, out=m.empty(20, dtype=m.int32)),
                r"Expected the dtype for input and out to match, but got Float for input's dtype and Int for out's "
                r"dtype\.")


def _overlap_cases():
    def gather_self(m):
        a = m.arange(6.)
        return m.gather(a, 0, m.tensor([2, 1, 0]), out=a)

    def gather_grows_into_index(m):
        ind = m.tensor([2, 1, 0])
        return m.gather(ind.clone(), 0, ind[1:], out=ind[:1])

    def take_self(m):
        a = m.arange(6.)
        return m.take(a, m.tensor([2, 1, 0]), out=a)

    def take_index(m):
        i = m.tensor([1, 0])
        return m.take(m.tensor([2, 1, 0]), i, out=i)

    def masked_select_self(m):
        a = m.arange(6.)
        return m.masked_select(a, a > 2, out=a)

    def masked_select_mask(m):
        mask = m.tensor([True, False, True])
        return m.masked_select(mask, mask, out=mask)

    def index_select_self(m):
        a = m.arange(12.).reshape(2, 6)
        return m.index_select(a, 1, m.tensor([0, 1]), out=a)

    def cat_empty_out_is_input(m):
        x = m.zeros(0)
        return m.cat((x, m.ones(4, 6)), dim=0, out=x)

    def kthvalue_values_is_input(m):
        a = m.arange(10.)
        return m.kthvalue(a, 5, out=(a, m.tensor(0)))

    return [gather_self, gather_grows_into_index, take_self, take_index, masked_select_self, masked_select_mask,
            index_select_self, cat_empty_out_is_input, kthvalue_values_is_input]


@pytest.mark.parametrize("run", _overlap_cases(), ids=lambda f: f.__name__)
def test_out_overlapping_an_input(run):
    # pyengine used to accept these, writing over an input it was reading
    _same_error(run, r"unsupported operation")


def test_out_without_overlap_still_written():
    a = pe.arange(6.)
    o = pe.empty(3)
    r = pe.gather(a, 0, pe.tensor([2, 1, 0]), out=o)
    assert r is o and o.tolist() == [2.0, 1.0, 0.0]
    o2 = pe.empty(3)
    pe.take(a, pe.tensor([5, 0, 1]), out=o2)
    assert o2.tolist() == [5.0, 0.0, 1.0]


def test_arange_integral_out_fractional_step():
    _same_error(lambda m: m.arange(0, 64, 0.5, out=m.empty(0, dtype=m.int64)), r"step must be nonzero")
    _same_error(lambda m: m.arange(0, 3, 0.4, dtype=m.int64), r"step must be nonzero")
    _same_error(lambda m: m.arange(0, 3, -1), r"upper bound and lower bound inconsistent with step sign")


def test_complex_out_dtype():
    _same_error(lambda m: m.complex(m.ones(2, dtype=m.float64), m.ones(2, dtype=m.float64),
                                    out=m.empty(2, dtype=m.complex64)),
                r"Expected object of scalar type ComplexDouble but got scalar type ComplexFloat for argument 'out'")


def test_narrow_start_tensor_and_length():
    _same_error(lambda m: m.narrow(m.ones(20, 10, 5), -3, m.tensor(True), 3), r"start must be an 0-dim integral Tensor")
    _same_error(lambda m: m.narrow(m.ones(20, 10, 5), 1, m.tensor([1, 2]), 3),
                r"start must be an 0-dim integral Tensor")
    _same_error(lambda m: m.narrow(m.ones(10), 0, 0, -1), r"narrow\(\): length must be non-negative\.")
    _same_error(lambda m: m.narrow_copy(m.ones(10), 0, 0, -1),
                r"start \(0\) \+ length \(-1\) exceeds dimension size \(10\)\.")
    assert pe.narrow(pe.arange(10), 0, pe.tensor(2), 3).tolist() == [2, 3, 4]


def test_narrow_copy_dim_out_of_range():
    # PyTorch's CPU kernel: an internal assert (RuntimeError) for dim >= ndim; a negative dim out of range is the
    # IndexError of dim wrapping, as narrow's
    for dim, cls in ((3, RuntimeError), (-4, IndexError)):
        for m in (torch, pe):
            with pytest.raises(cls):
                m.narrow_copy(m.ones(10, 5, 20), dim, 0, 0)


@pytest.mark.parametrize("call", [
    lambda m: m.hypot(m.tensor([1, 2, 3]), 2), lambda m: m.hypot(2, m.tensor([1., 2.])),
    lambda m: m.ldexp(m.tensor([1., 2.]), 2), lambda m: m.ldexp(2, m.tensor([1, 2])),
    lambda m: m.copysign(2, m.tensor([1, 2, 3])), lambda m: m.copysign(2, 3),
])
def test_binary_ops_refuse_python_scalars(call):
    _same_error(call, r"must be Tensor, not int|received an invalid combination of arguments")


def test_copysign_scalar_other_still_allowed():
    want = torch.copysign(torch.tensor([1., -2.]), -1.5)
    assert pe.copysign(pe.tensor([1., -2.]), -1.5).tolist() == want.tolist()


def test_clamp_max_python_scalar_bound_allowed_as_in_pytorch():
    # op_db lists clamp_max(t, 2) as an error input, but PyTorch's own function accepts it (Number overload)
    assert torch.clamp_max(torch.tensor([1, 2, 3]), 2).tolist() == pe.clamp_max(pe.tensor([1, 2, 3]), 2).tolist()
    assert torch.clamp_min(torch.tensor([1, 2, 3]), 2).tolist() == pe.clamp_min(pe.tensor([1, 2, 3]), 2).tolist()


@pytest.mark.parametrize("kw,regex", [
    ({}, r"expected input to have two or fewer dimensions"),
    ({"fweights": "f2d"}, r"expected fweights to have one or fewer dimensions"),
    ({"fweights": "ffloat"}, r"expected fweights to have integral dtype"),
    ({"aweights": "aint"}, r"expected aweights to have floating point dtype"),
    ({"aweights": "aneg"}, r"aweights cannot be negative"),
])
def test_cov_checks_are_runtime_errors(kw, regex):
    def run(m):
        make = {"f2d": lambda: m.ones(5, 5, dtype=m.int64), "ffloat": lambda: m.ones(5),
                "aint": lambda: m.ones(5, dtype=m.int64), "aneg": lambda: -m.ones(5)}
        x = m.ones(5, 5, 5) if not kw else m.ones(5)
        return m.cov(x, **{k: make[v]() for k, v in kw.items()})
    _same_error(run, regex)


@pytest.mark.parametrize("fn,shape", [("hsplit", (5, 5, 5)), ("vsplit", (5, 5, 5)), ("dsplit", (5, 5, 5)),
                                      ("hsplit", (5,))])
def test_dir_split_zero_sections(fn, shape):
    _same_error(lambda m: getattr(m, fn)(m.ones(*shape), 0), r"is not divisible by the split_size 0")


@pytest.mark.parametrize("fn", ["unbind", "unbind_copy"])
def test_unbind_zero_dim_is_index_error(fn):
    _same_error(lambda m: getattr(m, fn)(m.tensor(3), 0), r"Dimension specified as 0 but tensor has no dimensions")


@pytest.mark.parametrize("fn,nd", [("adaptive_avg_pool2d", 2), ("adaptive_max_pool2d", 2),
                                   ("adaptive_avg_pool3d", 3), ("adaptive_max_pool3d", 3)])
def test_adaptive_pool_output_size_longer_than_input(fn, nd):
    _same_error(lambda m: getattr(m.nn.functional, fn)(m.ones(*(2,) * nd), (2,) * nd),
                rf"Input dimension should be at least {nd + 1}")


@pytest.mark.parametrize("size", [(), (2, 2)])
def test_adaptive_avg_pool1d_output_size_length(size):
    # torch.adaptive_avg_pool1d (the aten form, op_db's function variant) used to fail on output_size[0]
    for path in ("adaptive_avg_pool1d", "nn.functional.adaptive_avg_pool1d"):
        def run(m, path=path):
            fn = m
            for part in path.split("."):
                fn = getattr(fn, part)
            return fn(m.ones(1, 2, 3), size)
        _same_error(run, r"'output_size' should contain one int")


@pytest.mark.parametrize("kw,regex", [({"dim": 3}, r"Dimension out of range"), ({"dim": -3}, r"Dimension out of range"),
                                      ({"dim": (1, 1), "spacing": 0.1}, r"dim 1 appears multiple times"),
                                      ({"dim": (0, -2)}, r"dim 0 appears multiple times")])
def test_gradient_dims(kw, regex):
    # an out-of-range dim used to be wrapped modulo ndim, a repeated one computed twice
    _same_error(lambda m: m.gradient(m.ones(3, 3), **kw), regex)


def test_gradient_valid_dims_still_match():
    x = torch.arange(12.).reshape(3, 4) ** 2
    want = torch.gradient(x, dim=(-1, 0))
    got = pe.gradient(pe.tensor(x.numpy()), dim=(-1, 0))
    assert all((g.numpy() == w.numpy()).all() for g, w in zip(got, want))
