"""Differential fuzz test against PyTorch: random shapes (0-d and 0-size included), dtypes and
layouts (contiguous, transposed, sliced with a step, expanded) over the common op surface. Values,
dtypes, shapes and exception classes must match PyTorch's.

The run is derandomized (a fixed seed) and bounded so that it stays fast; set PE_FUZZ_EXAMPLES=N
for a longer run (N examples per op family). A failure prints the op, its inputs and both results;
each real finding becomes a regression test in test_reliability_edges.py. For long runs,
PE_FUZZ_COLLECT=FILE appends every mismatch to FILE (one line each) instead of stopping at the first,
and PE_FUZZ_SEED=S replaces the fixed seed by S (another stream of examples).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest

from diff_testing import call, compare

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import pyengine as pe  # noqa: E402

EXAMPLES = int(os.environ.get("PE_FUZZ_EXAMPLES", "40"))
COLLECT = os.environ.get("PE_FUZZ_COLLECT")
SEED = os.environ.get("PE_FUZZ_SEED")
_SETTINGS = settings(max_examples=EXAMPLES, derandomize=SEED is None, deadline=None, database=None,
                     suppress_health_check=list(HealthCheck))


def FUZZ(test: Callable) -> Callable:  # noqa: N802 (used as a decorator, like settings)
    test = _SETTINGS(test)
    return seed(int(SEED))(test) if SEED is not None else test

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
FLOATS = ["float16", "bfloat16", "float32", "float64"]
LAYOUTS = ["contiguous", "transposed", "sliced", "expanded"]


@dataclass
class Input:
    """One tensor input: its values (float64 or bool numpy), dtype name and layout."""
    values: np.ndarray
    dtype: str
    layout: str

    def build(self, m: Any) -> Any:
        """The tensor in module m: base values in dtype, then the layout applied as a view."""
        dt = getattr(m, self.dtype)
        base = self.values
        if self.layout == "transposed" and base.ndim >= 2:
            base = np.ascontiguousarray(np.swapaxes(base, -1, -2))
        elif self.layout == "sliced" and base.ndim >= 1:
            # every other element along the last dim of a twice-as-long buffer
            base = np.repeat(base, 2, axis=-1)
        elif self.layout == "expanded" and base.ndim >= 1:
            base = base[..., :1] if base.shape[-1] > 0 else base
        # zeros() then copy_: both engines give the same (contiguous) strides, empty tensors included
        t = m.zeros(base.shape, dtype=m.float64 if self.dtype != "bool" else m.bool)
        if base.size:
            t.copy_(m.tensor(base))
        t = t.to(dt)
        if self.layout == "transposed" and t.dim() >= 2:
            t = t.transpose(-1, -2)
        elif self.layout == "sliced" and t.dim() >= 1:
            t = t[..., ::2]
        elif self.layout == "expanded" and t.dim() >= 1 and self.values.shape[-1] > 0:
            t = t.expand(*self.values.shape)
        return t

    def __repr__(self) -> str:
        return "Input(%s, %s, shape=%s, values=%s)" % (self.dtype, self.layout, self.values.shape,
                                                      np.array2string(self.values.ravel()[:12]))


def _values(draw: Any, shape: tuple, dtype: str, distinct: bool = False) -> np.ndarray:
    n = int(np.prod(shape)) if shape else 1
    if dtype == "bool":
        return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool).reshape(shape)
    if distinct:  # sort-family ops: no ties, so the indices are unique
        seed = draw(st.integers(0, 2**16))
        shift = 0 if dtype == "uint8" else n // 2  # in the dtype's range: float -> uint8 of -1 is undefined
        return np.random.default_rng(seed).permutation(n).astype(np.float64).reshape(shape) - shift
    lo, hi = (0, 20) if dtype == "uint8" else (-9, 9)
    ints = st.integers(lo, hi).map(float)
    if dtype in FLOATS:
        elem = st.one_of(ints, st.sampled_from([0.5, -2.25, 1e-3, float("nan"), float("inf"), -float("inf")]))
    else:
        elem = ints
    return np.array(draw(st.lists(elem, min_size=n, max_size=n)), dtype=np.float64).reshape(shape)


@st.composite
def shapes(draw: Any, min_dims: int = 0, max_dims: int = 3) -> tuple:
    nd = draw(st.integers(min_dims, max_dims))
    return tuple(draw(st.integers(0, 4)) for _ in range(nd))


@st.composite
def inputs(draw: Any, shape: tuple | None = None, dtypes: list | None = None, distinct: bool = False) -> Input:
    if shape is None:
        shape = draw(shapes())
    dtype = draw(st.sampled_from(dtypes or DTYPES))
    # an expanded layout repeats values: ties, whose indices the engines may order differently
    layout = draw(st.sampled_from([lay for lay in LAYOUTS if not (distinct and lay == "expanded")]))
    return Input(_values(draw, shape, dtype, distinct), dtype, layout)


def broadcastable(shape: tuple) -> st.SearchStrategy:
    """Shapes that broadcast with `shape` (a dim of 1, a dropped leading dim), sometimes not."""
    def f(draw: Any) -> tuple:
        out = [1 if draw(st.integers(0, 3)) == 0 else s for s in shape]
        drop = draw(st.integers(0, len(out)))
        out = out[drop:]
        if draw(st.integers(0, 9)) == 0:  # a mismatch now and then: both engines must raise alike
            out = out + [draw(st.integers(0, 3))]
        return tuple(out)
    return st.composite(lambda draw: f(draw))()


def run_diff(fn: Callable[[Any], Any], ins: list, note: str) -> None:
    got = call(lambda m: fn(m, *[i.build(m) for i in ins]), pe)
    want = call(lambda m: fn(m, *[i.build(m) for i in ins]), torch)
    try:
        compare(got, want, path="%s %r" % (note, ins))
    except AssertionError as e:
        if not COLLECT:
            raise
        with open(COLLECT, "a") as f:
            f.write(" | ".join(line for line in str(e).splitlines() if line.strip())[:600] + "\n")


# ---- elementwise ----
UNARY = ["neg", "abs", "sign", "exp", "log", "sqrt", "sin", "tanh", "sigmoid", "floor", "ceil", "round", "trunc",
         "reciprocal", "square", "isnan", "isinf", "isfinite", "logical_not", "bitwise_not", "relu", "frac",
         "expm1", "log1p", "rsqrt", "erf"]
BINARY = ["add", "sub", "mul", "div", "floor_divide", "remainder", "fmod", "pow", "maximum", "minimum", "fmax",
          "fmin", "atan2", "bitwise_and", "bitwise_or", "bitwise_xor", "logical_and", "logical_or", "logical_xor",
          "eq", "ne", "lt", "le", "gt", "ge"]


@FUZZ
@given(st.sampled_from(UNARY), inputs())
def test_unary(op, x):
    run_diff(lambda m, a: getattr(m, op)(a), [x], op)


@FUZZ
@given(st.data(), st.sampled_from(BINARY), inputs())
def test_binary(data, op, x):
    y = data.draw(inputs(shape=data.draw(broadcastable(x.values.shape))))
    if op in ("floor_divide", "remainder", "fmod", "div") and y.dtype not in FLOATS and x.dtype not in FLOATS:
        y.values = np.where(y.values == 0, 1, y.values)  # integer division by zero raises in both (differently)
    if op == "pow" and y.dtype not in FLOATS:
        y.values = np.abs(y.values) % 4  # integer powers: small non-negative exponents
    run_diff(lambda m, a, b: getattr(m, op)(a, b), [x, y], op)


@FUZZ
@given(st.sampled_from(["add", "mul", "sub", "maximum", "lt", "eq", "bitwise_and", "pow"]), inputs(),
       st.sampled_from([0, 1, -3, 2.5, True, -0.5]))
def test_binary_scalar(op, x, s):
    if op == "pow" and isinstance(s, int) and not isinstance(s, bool) and s < 0:
        s = 2
    run_diff(lambda m, a: getattr(m, op)(a, s), [x], "%s(x, %r)" % (op, s))


@FUZZ
@given(st.data(), inputs())
def test_where_clamp(data, x):
    c = data.draw(inputs(shape=data.draw(broadcastable(x.values.shape)), dtypes=["bool"]))
    y = data.draw(inputs(shape=data.draw(broadcastable(x.values.shape))))
    run_diff(lambda m, cond, a, b: m.where(cond, a, b), [c, x, y], "where")
    lo = data.draw(st.sampled_from([None, -1, 0.5]))
    hi = data.draw(st.sampled_from([None, 3, 2.5]))
    run_diff(lambda m, a: m.clamp(a, lo, hi), [x], "clamp(%r, %r)" % (lo, hi))


# ---- reductions ----
REDUCE = ["sum", "mean", "prod", "amax", "amin", "all", "any", "std", "var", "logsumexp", "count_nonzero",
          "argmax", "argmin"]


@FUZZ
@given(st.data(), st.sampled_from(REDUCE), inputs())
def test_reduce(data, op, x):
    nd = x.values.ndim
    dims = data.draw(st.one_of(st.none(), st.integers(-nd - 1, nd), st.lists(st.integers(-nd - 1, nd), max_size=3)))
    keepdim = data.draw(st.booleans())
    if op in ("argmax", "argmin") and isinstance(dims, list):
        dims = dims[0] if dims else None
    if op == "logsumexp" and not dims and dims != 0:
        dims = list(range(nd)) or [0]  # PyTorch's logsumexp with dim=() is broken (a shape error)
    if op == "count_nonzero":
        run_diff(lambda m, a: m.count_nonzero(a, dims), [x], "count_nonzero(dim=%r)" % (dims,))
        return
    if dims is None:
        run_diff(lambda m, a: getattr(m, op)(a), [x], op)
    else:
        d = tuple(dims) if isinstance(dims, list) else dims
        run_diff(lambda m, a: getattr(m, op)(a, d, keepdim=keepdim), [x], "%s(dim=%r, keepdim=%r)" % (op, d, keepdim))


@FUZZ
@given(st.data(), st.sampled_from(["max", "min", "median", "mode", "kthvalue", "topk", "sort", "argsort"]), inputs(dtypes=[d for d in DTYPES if d != "bool"], distinct=True))
def test_sort_family(data, op, x):
    nd = x.values.ndim
    dim = data.draw(st.integers(-nd - 1, nd))
    keepdim = data.draw(st.booleans())
    if op in ("max", "min", "median", "mode"):
        run_diff(lambda m, a: getattr(m, op)(a, dim, keepdim), [x], "%s(%d, %r)" % (op, dim, keepdim))
    elif op == "kthvalue":
        k = data.draw(st.integers(0, 4))
        run_diff(lambda m, a: m.kthvalue(a, k, dim, keepdim), [x], "kthvalue(%d, %d)" % (k, dim))
    elif op == "topk":
        k = data.draw(st.integers(0, 4))
        largest = data.draw(st.booleans())
        run_diff(lambda m, a: m.topk(a, k, dim, largest), [x], "topk(%d, %d, %r)" % (k, dim, largest))
    elif op == "sort":
        desc = data.draw(st.booleans())
        run_diff(lambda m, a: m.sort(a, dim=dim, descending=desc, stable=True), [x], "sort(%d, %r)" % (dim, desc))
    else:
        run_diff(lambda m, a: m.argsort(a, dim=dim, stable=True), [x], "argsort(%d)" % dim)
    if op in ("max", "min", "median"):
        run_diff(lambda m, a: getattr(m, op)(a), [x], op)


@FUZZ
@given(st.data(), st.sampled_from(["cumsum", "cumprod", "softmax", "log_softmax", "flip", "roll"]), inputs())
def test_along_dim(data, op, x):
    nd = x.values.ndim
    dim = data.draw(st.integers(-nd - 1, nd))
    if op in ("softmax", "log_softmax"):
        run_diff(lambda m, a: getattr(m, op)(a, dim), [x], "%s(%d)" % (op, dim))
    elif op == "flip":
        run_diff(lambda m, a: m.flip(a, (dim,)), [x], "flip(%d)" % dim)
    elif op == "roll":
        run_diff(lambda m, a: m.roll(a, 1, dim), [x], "roll(1, %d)" % dim)
    else:
        run_diff(lambda m, a: getattr(m, op)(a, dim), [x], "%s(%d)" % (op, dim))


# ---- linear algebra ----
@FUZZ
@given(st.data(), st.sampled_from(["matmul", "mm", "bmm", "mv", "dot"]),
       st.sampled_from(["float32", "float64", "int64", "float16"]))
def test_matmul(data, op, dtype):
    n, k, p, b = (data.draw(st.integers(0, 4)) for _ in range(4))
    shapes_for = {
        "mm": [(n, k), (k, p)], "bmm": [(b, n, k), (b, k, p)], "mv": [(n, k), (k,)], "dot": [(k,), (k,)],
        "matmul": data.draw(st.sampled_from([[(k,), (k,)], [(n, k), (k,)], [(k,), (k, p)], [(b, n, k), (k, p)],
                                             [(n, k), (b, k, p)], [(b, 1, n, k), (2, k, p)], [(b, n, k), (k,)]])),
    }
    sa, sb = shapes_for[op]
    if data.draw(st.integers(0, 9)) == 0:  # a mismatch now and then
        sb = sb[:-1] + (sb[-1] + 1,) if len(sb) == 1 else sb[:-2] + (sb[-2] + 1, sb[-1])
    x = data.draw(inputs(shape=sa, dtypes=[dtype]))
    y = data.draw(inputs(shape=sb, dtypes=[dtype]))
    for i in (x, y):
        i.values = np.nan_to_num(i.values, nan=1.0, posinf=2.0, neginf=-2.0)
    run_diff(lambda m, a, c: getattr(m, op)(a, c), [x, y], op)


# ---- indexing, joining ----
@FUZZ
@given(st.data(), inputs(shape=None))
def test_indexing(data, x):
    shape = x.values.shape
    if not shape:
        idx = data.draw(st.sampled_from([(), Ellipsis, None]))
    else:
        n = shape[0]
        idx = data.draw(st.one_of(
            st.integers(-n - 1, n),
            st.builds(slice, st.one_of(st.none(), st.integers(-5, 5)), st.one_of(st.none(), st.integers(-5, 5)),
                      st.one_of(st.none(), st.integers(1, 3))),
            st.lists(st.integers(-n - 1, n), max_size=4),
            st.tuples(st.just(Ellipsis), st.integers(-1, 1)),
            st.just(None),
        ))
    key = lambda m: m.tensor(idx, dtype=m.int64) if isinstance(idx, list) else idx  # noqa: E731
    run_diff(lambda m, a: a[key(m)], [x], "getitem %r" % (idx,))
    if isinstance(idx, list) or not shape:
        return
    val = data.draw(st.sampled_from([0, 1, 2.5, True]))

    def setitem(m: Any, a: Any) -> Any:
        c = a.clone()
        c[key(m)] = val
        return c
    run_diff(setitem, [x], "setitem %r = %r" % (idx, val))


@FUZZ
@given(st.data(), st.sampled_from(["cat", "stack"]), inputs())
def test_join(data, op, x):
    shape = x.values.shape
    count = data.draw(st.integers(1, 3))
    others = []
    for _ in range(count - 1):
        s = list(shape)
        if op == "cat" and s and data.draw(st.booleans()):
            s[data.draw(st.integers(0, len(s) - 1))] = data.draw(st.integers(0, 3))
        if data.draw(st.integers(0, 7)) == 0:
            s = [0]  # PyTorch's legacy 1-D empty inputs
        others.append(data.draw(inputs(shape=tuple(s))))
    nd = len(shape)
    dim = data.draw(st.integers(-nd - 1, nd))
    run_diff(lambda m, *ts: getattr(m, op)(list(ts), dim), [x] + others, "%s(dim=%d)" % (op, dim))


@FUZZ
@given(st.data(), inputs())
def test_shape_ops(data, x):
    nd = x.values.ndim
    n = int(np.prod(x.values.shape)) if nd else 1
    target = data.draw(st.sampled_from([(-1,), (n,), (1, -1), (-1, 2), (2, -1, 1), (0, -1), (n, 1)]))
    run_diff(lambda m, a: a.reshape(target), [x], "reshape%r" % (target,))
    run_diff(lambda m, a: a.view(target), [x], "view%r" % (target,))
    d0, d1 = data.draw(st.integers(-nd - 1, nd)), data.draw(st.integers(-nd - 1, nd))
    run_diff(lambda m, a: a.transpose(d0, d1), [x], "transpose(%d, %d)" % (d0, d1))
    run_diff(lambda m, a: a.unsqueeze(d0).squeeze(d1), [x], "unsqueeze(%d).squeeze(%d)" % (d0, d1))
    dt = data.draw(st.sampled_from(DTYPES))
    run_diff(lambda m, a: a.view(getattr(m, dt)), [x], "view(%s)" % dt)
    run_diff(lambda m, a: a.to(getattr(m, dt)), [x], "to(%s)" % dt)
