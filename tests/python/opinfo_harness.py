"""Runs PyTorch's operator database (``torch.testing._internal.common_methods_invocations.op_db``) on pyengine
beside PyTorch: the conformance oracle of tests/python/test_opinfo.py and tools/opinfo_report.py.

For every OpInfo: resolve pyengine's function / method / in-place variants by the OpInfo's names, convert each
sample input (strides, storage offsets and non-contiguity kept), run both engines, compare outputs (dtype,
shape, values with PyTorch's default tolerances for the dtype; random or uninitialised results by shape and
dtype only) and, for float64 samples of differentiable ops, the gradients of every input. PyTorch is the
reference here and never a runtime dependency of pyengine.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import os
import sys
import types
import warnings
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

import pyengine as pe

# Ops whose results are random or uninitialised: compared by shape and dtype only.
UNCHECKED_VALUES = {
    "bernoulli", "empty", "empty_like", "new_empty", "new_empty_strided", "empty_strided", "empty_permuted",
    "rand_like", "randn_like", "randint_like", "randint", "normal", "multinomial", "uniform", "cauchy",
    "exponential", "geometric", "log_normal", "nn.functional.dropout", "nn.functional.dropout2d",
    "nn.functional.dropout3d", "nn.functional.alpha_dropout", "nn.functional.feature_alpha_dropout",
    "nn.functional.rrelu", "nn.functional.fractional_max_pool2d", "nn.functional.fractional_max_pool3d",
    "nn.functional.gumbel_softmax", "randn", "rand", "randperm",
}

DTYPES_FORWARD = ("float32", "int64", "bool")
DTYPE_GRAD = "float64"


class Unsupported(Exception):
    """A sample pyengine cannot even express (e.g. a complex tensor): counted as a failure of the op."""


@dataclasses.dataclass
class SampleResult:
    ok: bool
    stage: str = ""      # "resolve", "convert", "forward", "compare", "backward"
    detail: str = ""


@dataclasses.dataclass
class OpResult:
    name: str            # name or name.variant_test_name
    family: str
    missing: bool = False
    samples: int = 0
    passed: int = 0
    failures: List[str] = dataclasses.field(default_factory=list)
    attribute_errors: int = 0  # samples that failed because pyengine lacks a name the op needs
    errors_run: int = 0       # error_inputs run (PyTorch's invalid samples of the op)
    errors_agree: int = 0     # ... that raised PyTorch's exception class in pyengine too
    error_failures: List[str] = dataclasses.field(default_factory=list)

    @property
    def status(self) -> str:
        if self.missing or (self.samples and not self.passed and self.attribute_errors == self.samples):
            return "missing"
        if self.samples and self.passed == self.samples:
            return "pass"
        return "partial" if self.passed else "fail"


def op_key(op) -> str:
    return op.name + ("." + op.variant_test_name if op.variant_test_name else "")


def family(op) -> str:
    parts = op.name.split(".")
    if parts[0] == "nn":
        return "nn.functional"
    if len(parts) > 1:
        return parts[0]
    return "torch"


def resolve_function(name: str) -> Optional[Callable]:
    if name.startswith("__") and name.endswith("__"):
        return getattr(pe.Tensor, name, None)
    if name.startswith("torch."):  # a full path (torch.ops.aten._safe_softmax.default): torch is pyengine
        name = name[len("torch."):]
    obj: Any = pe
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj if callable(obj) else None


def _pe_module(module):
    """pyengine's counterpart of a torch module (torch.nn.functional -> pyengine.nn.functional), or None."""
    name = getattr(module, "__name__", "")
    if name != "torch" and not name.startswith("torch."):
        return None
    obj: Any = pe
    for part in name.split(".")[1:]:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _seeded(fn, *args, **kwargs):
    pe.manual_seed(42)
    return fn(*args, **kwargs)


def pe_counterpart(fn: Optional[Callable], name: str) -> Optional[Callable]:
    """pyengine's version of one of an OpInfo's callables. op_db wraps many ops in lambdas (``lambda x, shape:
    x.view(shape)``, ``lambda tensors, eq: torch.einsum(eq, tensors)``): those run as they are with ``torch``
    (and the other torch modules they name) rebound to pyengine. Methods resolve on pyengine.Tensor by name,
    torch functions on pyengine by their module path."""
    if fn is None:
        return None
    if isinstance(fn, types.FunctionType) and fn.__module__.startswith("torch.testing"):
        g = dict(fn.__globals__)
        for key, value in fn.__globals__.items():
            if isinstance(value, types.ModuleType):
                mod = _pe_module(value)
                if mod is not None:
                    g[key] = mod
        g["wrapper_set_seed"] = _seeded
        return types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)
    fname = getattr(fn, "__name__", None)
    qual = getattr(fn, "__qualname__", "") or ""
    if fname and (qual.startswith("TensorBase.") or qual.startswith("Tensor.") or
                  type(fn).__name__ in ("method_descriptor", "wrapper_descriptor")):
        return getattr(pe.Tensor, fname, None)
    module = getattr(fn, "__module__", None)
    if fname and module and (module == "torch" or module.startswith("torch.")) and \
            not module.startswith("torch._"):
        obj = _pe_module(sys.modules.get(module)) if module in sys.modules else None
        found = getattr(obj, fname, None) if obj is not None else None
        if found is not None:
            return found
    schema = getattr(fn, "_schema", None)
    if module and module.startswith("torch._ops") and schema is not None and schema.name.startswith("aten::"):
        # torch.ops.aten.<op>[.<overload>] (e.g. aten::slice, which has no torch.* name): pyengine.ops.aten.<op>
        found = getattr(pe.ops.aten, schema.name[len("aten::"):], None)
        if found is not None:
            return found
    return resolve_function(name)


def variants(op) -> List[Tuple[str, Callable, Optional[Callable]]]:
    """(variant, torch callable, pyengine callable or None) for the function, method and in-place forms."""
    out = []
    if op.op is not None:
        out.append(("function", op.op, pe_counterpart(op.op, op.name)))
    if op.method_variant is not None and not op.name.startswith("__"):
        out.append(("method", op.method_variant, pe_counterpart(op.method_variant, op.name)))
    if op.inplace_variant is not None:
        pe_fn = pe_counterpart(op.inplace_variant, op.name + "_")
        fn = resolve_function(op.name)
        if pe_fn is None and op.name.startswith("nn.functional.") and fn is not None:
            pe_fn = functools.partial(fn, inplace=True)  # F.x(..., inplace=True) is PyTorch's spelling
        out.append(("inplace", op.inplace_variant, pe_fn))
    return out


# ---- conversion torch -> pyengine ----
def _pe_dtype(torch_dtype):
    name = str(torch_dtype).replace("torch.", "")
    if name == "complex32" or name.startswith("quint") or name.startswith("qint") or name == "uint16" \
            or name == "uint32" or name == "uint64" or name.startswith("float8"):
        raise Unsupported(f"dtype {name}")
    dt = getattr(pe, name, None)
    if dt is None:
        raise Unsupported(f"dtype {name}")
    return dt


def to_pe(value, torch):
    if isinstance(value, torch.Tensor):
        return _tensor_to_pe(value, torch)
    if isinstance(value, torch.dtype):
        return _pe_dtype(value)
    if isinstance(value, torch.device):
        if value.type != "cpu":
            raise Unsupported(f"device {value}")
        return pe.device("cpu")
    if isinstance(value, torch.Size):
        return tuple(value)
    if isinstance(value, (torch.layout, torch.memory_format)):  # the pyengine constant of the same name
        name = str(value).replace("torch.", "")
        same = getattr(pe, name, None)
        if same is None:
            raise Unsupported(f"{'layout' if isinstance(value, torch.layout) else 'memory format'} {name}")
        return same
    if isinstance(value, torch.Generator):
        raise Unsupported("generator argument")
    if isinstance(value, (list, tuple)):
        items = [to_pe(v, torch) for v in value]
        return type(value)(items) if isinstance(value, tuple) and not hasattr(value, "_fields") else items \
            if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {k: to_pe(v, torch) for k, v in value.items()}
    if isinstance(value, slice) or isinstance(value, (int, float, bool, str, type(None), complex)):
        return value
    if isinstance(value, torch.nn.Module):
        return _module_to_pe(value, torch)
    if callable(value):
        counterpart = pe_counterpart(value, getattr(value, "__name__", ""))
        if counterpart is None:
            raise Unsupported(f"callable argument {value!r}")
        return counterpart
    return value


def _module_to_pe(module, torch):
    """A stateless torch module (no parameters, buffers or children, e.g. the PairwiseDistance() that
    triplet_margin_with_distance_loss takes as distance_function) as pyengine's module of the same class
    with the same settings (its public plain attributes)."""
    cls = getattr(pe.nn, type(module).__name__, None)
    if cls is None or any(True for _ in module.parameters()) or any(True for _ in module.buffers()) or \
            any(True for _ in module.children()):
        raise Unsupported(f"torch module argument {module!r}")
    out = cls.__new__(cls)
    pe.nn.Module.__init__(out)
    for key, v in vars(module).items():
        if not key.startswith("_") and isinstance(v, (bool, int, float, str, tuple, type(None))):
            setattr(out, key, v)
    return out


# While one error input is converted (run_error_inputs): id(torch tensor) -> (tensor, pe tensor) and
# (torch storage address, dtype) -> pe base, so that arguments aliasing each other in PyTorch (out= passed as an
# input, or a view of one) alias the same way in pyengine; op_db's memory-overlap error inputs rely on it.
_alias_memo: Optional[dict] = None


def _tensor_to_pe(t, torch):
    memo = _alias_memo
    if memo is not None and id(t) in memo:
        return memo[id(t)][1]
    orig = t
    if t.layout != torch.strided:
        raise Unsupported(f"layout {t.layout}")
    if t.device.type != "cpu":
        raise Unsupported(f"device {t.device}")
    dt = _pe_dtype(t.dtype)
    requires_grad = t.requires_grad
    src = t = t.detach().resolve_conj().resolve_neg()  # (a lazy conjugate / negation materialized)
    if t.numel() == 0:
        out = pe.empty(tuple(t.shape), dtype=dt)
    else:
        # The whole storage, so the storage offset is kept and an as_strided of the view can reach the
        # elements before and after it (op_db's as_strided.partial_views samples do).
        key = (src.untyped_storage().data_ptr(), t.dtype)
        base = memo.get(key) if memo is not None else None
        if base is None:
            total = src.untyped_storage().nbytes() // src.element_size()
            flat = torch.as_strided(src, (total,), (1,), 0)
            if t.dtype == torch.bfloat16:
                base = pe.tensor(flat.float().numpy()).to(pe.bfloat16)
            else:
                base = pe.tensor(flat.numpy().copy())
            if memo is not None:
                memo[key] = base
        out = base.as_strided(tuple(t.shape), tuple(t.stride()), src.storage_offset())
    if requires_grad:
        out.requires_grad_(True)
    if memo is not None:
        memo[id(orig)] = (orig, out)  # the tensor is kept so that its id is not reused
    return out


def to_numpy(t) -> np.ndarray:
    if str(t.dtype) == "torch.bfloat16":
        t = t.float()
    if isinstance(t, pe.Tensor):
        return t.detach().numpy()
    return t.detach().numpy(force=True)  # PyTorch's zero tensors and conj/neg views too


def _tolerances(dtype_name: str) -> Tuple[float, float]:
    return {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
            "float64": (1e-7, 1e-7), "complex64": (1.3e-6, 1e-5),
            "complex128": (1e-7, 1e-7)}.get(dtype_name, (0.0, 0.0))


def op_tolerances(op) -> Dict[str, Tuple[float, float]]:
    """The loosest (rtol, atol) per dtype that the OpInfo's own toleranceOverride decorators give for the CPU
    (PyTorch's tests compare this op with them); the defaults of _tolerances() otherwise."""
    from torch.testing._internal.common_device_type import toleranceOverride
    from torch.testing._internal.opinfo.core import DecorateInfo
    out: Dict[str, Tuple[float, float]] = {}
    for info in getattr(op, "decorators", ()):
        if not isinstance(info, DecorateInfo) or info.device_type not in (None, "cpu"):
            continue
        for dec in info.decorators:
            if isinstance(dec, toleranceOverride):
                for dt, tol in dec.d.items():
                    name = str(dt).replace("torch.", "")
                    r, a = out.get(name, _tolerances(name))
                    out[name] = (max(r, tol.rtol), max(a, tol.atol))
    return out


def compare(got, want, torch, values: bool = True, path: str = "out",
            tolerances: Optional[Dict[str, Tuple[float, float]]] = None) -> Optional[str]:
    """None when equal (PyTorch's tolerances for the dtype), else a description of the first difference."""
    if isinstance(want, torch.Tensor):
        if not isinstance(got, pe.Tensor):
            return f"{path}: expected a tensor, got {type(got).__name__}"
        if tuple(got.shape) != tuple(want.shape):
            return f"{path}: shape {tuple(got.shape)} != {tuple(want.shape)}"
        wdt = str(want.dtype).replace("torch.", "")
        if str(got.dtype).replace("torch.", "") != wdt:
            return f"{path}: dtype {got.dtype} != {want.dtype}"
        if not values or want.numel() == 0:
            return None
        cast = np.complex128 if want.is_complex() else np.float64
        a, b = to_numpy(got).astype(cast), to_numpy(want).astype(cast)
        rtol, atol = (tolerances or {}).get(wdt) or _tolerances(wdt)
        if not np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
            bad = ~np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
            i = tuple(int(x[0]) for x in np.nonzero(bad)) if a.ndim else ()
            return f"{path}: values differ at {i}: {a[i] if a.ndim else a} vs {b[i] if b.ndim else b}"
        return None
    if isinstance(want, (list, tuple)):
        if not isinstance(got, (list, tuple)) or len(got) != len(want):
            return f"{path}: expected a sequence of {len(want)}, got {type(got).__name__}"
        for i, (g, w) in enumerate(zip(got, want)):
            d = compare(g, w, torch, values, f"{path}[{i}]", tolerances)
            if d:
                return d
        return None
    if isinstance(want, (bool, int, float)):
        if isinstance(got, pe.Tensor) and got.dim() == 0:
            got = got.item()
        if isinstance(want, float) and isinstance(got, (int, float)):
            if math.isnan(want) and math.isnan(got):
                return None
            return None if math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-7) else f"{path}: {got} != {want}"
        return None if got == want else f"{path}: {got!r} != {want!r}"
    if isinstance(want, torch.dtype):
        return None if str(got) == str(want) else f"{path}: {got} != {want}"
    return None


def _tensors(value, torch, out: list) -> list:
    if isinstance(value, (torch.Tensor, pe.Tensor)):
        out.append(value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _tensors(v, torch, out)
    elif isinstance(value, dict):
        for v in value.values():
            _tensors(v, torch, out)
    return out


def _float_outputs(value, torch) -> list:
    return [t for t in _tensors(value, torch, []) if t.dtype in (torch.float64, pe.float64) and t.requires_grad]


def _random_sample(op, sample) -> bool:
    """Samples that ask for dropout (random masks: the engines' generators differ) compare shapes only."""
    if op.name == "nn.functional.scaled_dot_product_attention":
        return float(sample.kwargs.get("dropout_p", 0.0)) > 0
    if op.name == "nn.functional.multi_head_attention_forward":
        return len(sample.args) > 9 and float(sample.args[9]) > 0 and sample.kwargs.get("training", True)
    return False


def _upcast(value, torch):
    if isinstance(value, torch.Tensor):
        return value.detach().to({torch.float32: torch.float64, torch.complex64: torch.complex128}.get(value.dtype,
                                                                                                         value.dtype))
    if isinstance(value, (list, tuple)):
        return type(value)(_upcast(v, torch) for v in value)
    if isinstance(value, dict):
        return {k: _upcast(v, torch) for k, v in value.items()}
    return value


def _more_accurate(got, want, torch_fn, t_input, sample, torch) -> bool:
    """A single float32/complex64 result outside PyTorch's tolerance of PyTorch's float32 result still agrees
    when it is at least as close as PyTorch's own to the float64 computation of the same op on the same (exactly
    upcast) inputs: PyTorch's float32 kernel was the less accurate one (its FFTs round in float32, ours compute
    in double). Nothing else is accepted this way."""
    if not (isinstance(want, torch.Tensor) and isinstance(got, pe.Tensor)) or \
            want.dtype not in (torch.float32, torch.complex64) or tuple(got.shape) != tuple(want.shape):
        return False
    try:
        x = t_input
        if isinstance(x, torch.Tensor) and not (x.is_floating_point() or x.is_complex()):
            x = x.to(torch.float64)  # an integer input computed in the default float: in float64 instead
        exact = torch_fn(_upcast(x, torch), *_upcast(tuple(sample.args), torch),
                         **_upcast(dict(sample.kwargs), torch))
    except Exception:  # noqa: BLE001
        return False
    if not isinstance(exact, torch.Tensor) or tuple(exact.shape) != tuple(want.shape):
        return False
    e = to_numpy(exact).astype(np.complex128)
    ours = np.abs(to_numpy(got).astype(np.complex128) - e)
    theirs = np.abs(to_numpy(want).astype(np.complex128) - e)
    return bool(np.all(np.isfinite(ours) == np.isfinite(theirs))) and \
        float(np.nanmax(ours, initial=0.0)) <= float(np.nanmax(theirs, initial=0.0))


def run_sample(op, variant: str, torch_fn, pe_fn, sample, torch, grad: bool) -> SampleResult:
    try:
        pe_input = to_pe(sample.input, torch)
        pe_args = to_pe(tuple(sample.args), torch)
        pe_kwargs = to_pe(dict(sample.kwargs), torch)
    except Unsupported as e:
        return SampleResult(False, "convert", str(e))
    t_input = sample.input
    if variant == "inplace":
        # In-place variants run on copies so the sample can serve the other variants.
        if not isinstance(t_input, torch.Tensor):
            return SampleResult(True)
        t_input = t_input.detach().clone()
        pe_input = pe_input.detach().clone()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            want = torch_fn(t_input, *sample.args, **sample.kwargs)
        except Exception as e:  # noqa: BLE001 -- PyTorch refusing its own sample: compare the class
            want_exc = type(e)
        else:
            want_exc = None
        try:
            got = pe_fn(pe_input, *pe_args, **pe_kwargs)
        except Exception as e:  # noqa: BLE001
            if want_exc is not None:
                return SampleResult(want_exc.__name__ == type(e).__name__, "forward",
                                    f"raised {type(e).__name__}, torch {want_exc.__name__}")
            return SampleResult(False, "forward", f"{type(e).__name__}: {str(e)[:200]}")
    if want_exc is not None:
        return SampleResult(False, "forward", f"torch raised {want_exc.__name__}, pyengine did not")
    values = op.name not in UNCHECKED_VALUES and not _random_sample(op, sample)
    tols = op_tolerances(op)
    diff = compare(got, want, torch, values, tolerances=tols)
    if diff and not _more_accurate(got, want, torch_fn, t_input, sample, torch):
        return SampleResult(False, "compare", diff)
    if not grad or variant == "inplace" or not values:
        return SampleResult(True)
    t_outs, p_outs = _float_outputs(want, torch), _float_outputs(got, torch)
    t_ins = [t for t in _tensors((sample.input, sample.args, sample.kwargs), torch, []) if t.requires_grad]
    p_ins = [t for t in _tensors((pe_input, pe_args, pe_kwargs), torch, []) if t.requires_grad]
    if not t_outs or not t_ins:
        return SampleResult(True)
    if len(t_outs) != len(p_outs) or len(t_ins) != len(p_ins):
        return SampleResult(False, "backward", "different differentiable outputs or inputs")
    gen = torch.Generator().manual_seed(0)
    cots = [torch.randn(o.shape, dtype=o.dtype, generator=gen) for o in t_outs]
    try:
        want_g = torch.autograd.grad(t_outs, t_ins, cots, allow_unused=True)
    except Exception:  # noqa: BLE001 -- PyTorch cannot differentiate this sample: nothing to compare
        return SampleResult(True)
    try:
        got_g = pe.autograd.grad(p_outs, p_ins, [to_pe(c, torch) for c in cots], allow_unused=True)
    except Exception as e:  # noqa: BLE001
        return SampleResult(False, "backward", f"{type(e).__name__}: {str(e)[:200]}")
    for i, (g, w) in enumerate(zip(got_g, want_g)):
        if w is None:
            continue
        if g is None:
            if not bool((w == 0).all()):
                return SampleResult(False, "backward", f"grad[{i}] missing")
            continue
        diff = compare(g, w, torch, True, f"grad[{i}]", tols)
        if diff:
            return SampleResult(False, "backward", diff)
    return SampleResult(True)


def max_samples() -> int:
    return int(os.environ.get("PE_OPINFO_SAMPLES", "8"))


def run_op(op, torch, dtypes=DTYPES_FORWARD + (DTYPE_GRAD,)) -> OpResult:
    res = OpResult(op_key(op), family(op))
    torch.manual_seed(0)  # the same sample values whatever ran before (the test and the report agree)
    forms = variants(op)
    if not forms or all(pe_fn is None for _, _, pe_fn in forms):
        res.missing = True
        return res
    supported = {str(d).replace("torch.", "") for d in op.supported_dtypes("cpu")}
    limit = max_samples()
    if dtypes == DTYPES_FORWARD + (DTYPE_GRAD,) and not supported & set(dtypes) and "complex64" in supported:
        dtypes = ("complex64",)  # a complex-only op (view_as_real, imag, ...): its complex64 samples, forward
    for dtype_name in dtypes:
        if dtype_name not in supported:
            continue
        grad = dtype_name == DTYPE_GRAD and op.supports_autograd
        tdt = getattr(torch, dtype_name)
        try:
            samples = list(op.sample_inputs("cpu", tdt, requires_grad=grad))[:limit]
        except Exception as e:  # noqa: BLE001 -- the database itself failing: not pyengine's fault, not counted
            res.failures.append(f"{dtype_name}: sample_inputs raised {type(e).__name__}")
            continue
        for variant, torch_fn, pe_fn in forms:
            if pe_fn is None:  # this variant does not exist in pyengine: all its samples fail
                res.samples += len(samples)
                res.failures.append(f"{variant}: no pyengine callable")
                continue
            for i, sample in enumerate(samples):
                res.samples += 1
                r = run_sample(op, variant, torch_fn, pe_fn, sample, torch, grad)
                if not r.ok and r.stage == "forward" and r.detail.startswith("AttributeError"):
                    res.attribute_errors += 1
                if r.ok:
                    res.passed += 1
                elif len(res.failures) < 5:
                    res.failures.append(f"{variant} {dtype_name} #{i} {r.stage}: {r.detail}")
    run_error_inputs(op, forms, res, torch)
    return res


def run_error_inputs(op, forms, res: OpResult, torch) -> None:
    """PyTorch's invalid samples of the op (OpInfo.error_inputs): pyengine's function variant (or the method when
    there is no function) must raise the exception class PyTorch documents for each. Samples pyengine cannot
    express (complex scalars of other layouts, generators, ...) are not run."""
    fn = next((f for v, _, f in forms if v == "function" and f is not None), None) or \
        next((f for v, _, f in forms if v == "method" and f is not None), None)
    if fn is None or op.error_inputs_func is None:
        return
    try:
        errors = list(op.error_inputs("cpu"))[:max_samples() * 2]
    except Exception:  # noqa: BLE001 -- the database failing to build its own samples: not counted
        return
    for i, ei in enumerate(errors):
        s = ei.sample_input
        global _alias_memo
        _alias_memo = {}
        try:
            args = (to_pe(s.input, torch), to_pe(tuple(s.args), torch), to_pe(dict(s.kwargs), torch))
        except Exception:  # noqa: BLE001 -- a sample pyengine cannot express (Unsupported) is not run
            continue
        finally:
            _alias_memo = None
        res.errors_run += 1
        want = ei.error_type
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fn(args[0], *args[1], **args[2])
            except Exception as e:  # noqa: BLE001
                if isinstance(e, want) or type(e).__name__ == want.__name__:
                    res.errors_agree += 1
                elif len(res.error_failures) < 3:
                    res.error_failures.append(f"error #{i}: raised {type(e).__name__}, PyTorch {want.__name__}: "
                                              f"{str(e)[:120]}")
                continue
        if len(res.error_failures) < 3:
            res.error_failures.append(f"error #{i}: no exception, PyTorch raises {want.__name__}")


def all_ops(torch) -> list:
    from torch.testing._internal.common_methods_invocations import op_db
    return list(op_db)


def run_all(torch, only: Optional[str] = None, dtypes: Optional[Tuple[str, ...]] = None) -> Dict[str, OpResult]:
    torch.manual_seed(0)
    out = {}
    for op in all_ops(torch):
        key = op_key(op)
        if only and only not in key:
            continue
        try:
            out[key] = run_op(op, torch) if dtypes is None else run_op(op, torch, dtypes)
        except Exception as e:  # noqa: BLE001 -- one broken op must not stop the report
            r = OpResult(key, family(op))
            r.samples = 1
            r.failures.append(f"harness: {type(e).__name__}: {str(e)[:200]}")
            out[key] = r
    return out
