"""Autograd of the linear algebra products: gradcheck (float64 finite differences) of matmul in all
its forms, bmm, mv, dot, vdot, outer, the addmm family (beta/alpha, broadcast input, in-place) and
the structure ops, on contiguous / transposed / strided / broadcast inputs; gradgradcheck for the
core ones; grad_fn names and gradients cross-checked against PyTorch.
"""
from __future__ import annotations

import numpy as np
import pytest

import pyengine as pe
from pyengine.autograd import gradcheck, gradgradcheck

from autograd_layouts import leaf, name  # noqa: E402

RNG = np.random.default_rng(0)


def arr(*shape):
    return RNG.standard_normal(shape)


def tleaf(a):
    import torch
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def torch_name(t):
    return type(t.grad_fn).__name__


def compare_with_torch(pe_fn, torch_fn, arrays, layouts=None, rtol=1e-10, atol=1e-10):
    """Same function in both libraries, same upstream gradient: values, grads and grad_fn names match."""
    torch = pytest.importorskip("torch")
    layouts = layouts or ["contiguous"] * len(arrays)
    xs = [leaf(a, lay) for a, lay in zip(arrays, layouts)]
    ts = [tleaf(a) for a in arrays]
    y, ty = pe_fn(*xs), torch_fn(*ts)
    assert name(y) == torch_name(ty)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-9, atol=1e-9)
    g = RNG.standard_normal(tuple(ty.shape))
    y.backward(pe.tensor(g))
    ty.backward(torch.tensor(g))
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)


# ---- matmul: every rank combination, with PyTorch's graph ----

MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)), ((5, 2, 3), (3,)),
    ((2, 3), (5, 3, 4)), ((3,), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)), ((2, 5, 2, 3), (5, 3, 4)),
    ((2, 1, 2, 3), (1, 5, 3, 4)), ((0, 2, 3), (3, 4)), ((2, 0), (0, 3)),
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul_grad_fn_and_grads_match_torch(sa, sb):
    import_torch = pytest.importorskip("torch")
    compare_with_torch(pe.matmul, import_torch.matmul, [arr(*sa), arr(*sb)])


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES[:10])
@pytest.mark.parametrize("layout", ["transposed", "strided"])
def test_matmul_gradcheck_layouts(sa, sb, layout):
    a, b = leaf(arr(*sa), layout), leaf(arr(*sb), layout)
    assert gradcheck(pe.matmul, (a, b))


def test_matmul_one_operand_requires_grad():
    torch = pytest.importorskip("torch")
    a, b = arr(5, 2, 3), arr(3, 4)
    x = leaf(a)
    y = pe.matmul(x, pe.tensor(b))
    ty = torch.matmul(tleaf(a), torch.tensor(b))
    assert name(y) == torch_name(ty)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.broadcast_to(b.sum(1), (5, 2, 3)), rtol=1e-12)


@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 4)), ((3,), (3,)), ((5, 2, 3), (5, 3, 4)), ((2, 3), (5, 3, 4))])
def test_matmul_gradgradcheck(sa, sb):
    assert gradgradcheck(pe.matmul, (leaf(arr(*sa)), leaf(arr(*sb))))


def test_matmul_operator_and_method():
    a, b = leaf(arr(2, 3)), leaf(arr(3, 4))
    assert name(a @ b) == "MmBackward0"
    assert name(a.matmul(b)) == "MmBackward0"
    assert gradcheck(lambda x, y: x @ y, (a, b))


def test_matmul_no_grad_records_nothing():
    a, b = leaf(arr(2, 3)), leaf(arr(3, 4))
    with pe.no_grad():
        y = a @ b
    assert y.grad_fn is None and not y.requires_grad


def test_matmul_errors_keep_messages():
    a, b = leaf(arr(2, 3)), leaf(arr(4, 5))
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        pe.matmul(a, b)
    with pytest.raises(RuntimeError):
        pe.matmul(leaf(arr(2, 2, 3)), leaf(arr(3, 3, 4)))
    with pytest.raises(RuntimeError, match="at least 1D"):
        pe.matmul(leaf(np.float64(1.0)), leaf(arr(3)))


# ---- bmm, mv, dot, vdot, outer ----

PRODUCTS = [
    ("bmm", lambda m: m.bmm, [(4, 2, 3), (4, 3, 5)], "BmmBackward0"),
    ("mv", lambda m: m.mv, [(2, 3), (3,)], "MvBackward0"),
    ("dot", lambda m: m.dot, [(3,), (3,)], "DotBackward0"),
    ("vdot", lambda m: m.vdot, [(3,), (3,)], "VdotBackward0"),
    ("outer", lambda m: m.outer, [(2,), (3,)], "MulBackward0"),
]


@pytest.mark.parametrize("op,get,shapes,node", PRODUCTS, ids=[p[0] for p in PRODUCTS])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "strided"])
def test_products_gradcheck(op, get, shapes, node, layout):
    xs = [leaf(arr(*s), layout) for s in shapes]
    assert name(get(pe)(*xs)) == node
    assert gradcheck(get(pe), xs)


@pytest.mark.parametrize("op,get,shapes,node", PRODUCTS, ids=[p[0] for p in PRODUCTS])
def test_products_match_torch(op, get, shapes, node):
    torch = pytest.importorskip("torch")
    compare_with_torch(get(pe), get(torch), [arr(*s) for s in shapes])


@pytest.mark.parametrize("op,get,shapes,node", PRODUCTS[:3], ids=[p[0] for p in PRODUCTS[:3]])
def test_products_gradgradcheck(op, get, shapes, node):
    assert gradgradcheck(get(pe), [leaf(arr(*s)) for s in shapes])


def test_products_empty():
    a, b = leaf(arr(0)), leaf(arr(0))
    y = pe.dot(a, b)
    y.backward()
    assert a.grad.shape == (0,)
    m, v = leaf(arr(2, 0)), leaf(arr(0))
    pe.mv(m, v).sum().backward()
    assert m.grad.shape == (2, 0)


# ---- addmm family ----

ADD_OPS = [
    ("addmm", [(2, 4), (2, 3), (3, 4)], "AddmmBackward0"),
    ("baddbmm", [(5, 2, 4), (5, 2, 3), (5, 3, 4)], "BaddbmmBackward0"),
    ("addbmm", [(2, 4), (5, 2, 3), (5, 3, 4)], "AddbmmBackward0"),
    ("addmv", [(2,), (2, 3), (3,)], "AddmvBackward0"),
    ("addr", [(2, 3), (2,), (3,)], "AddrBackward0"),
]
BROADCAST_INPUT = {"addmm": (4,), "baddbmm": (2, 4), "addbmm": (1, 4), "addmv": (1,), "addr": (3,)}


@pytest.mark.parametrize("op,shapes,node", ADD_OPS, ids=[o[0] for o in ADD_OPS])
@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, -2.0), (0, 3)])
def test_add_products_gradcheck(op, shapes, node, beta, alpha):
    f = getattr(pe, op)
    xs = [leaf(arr(*s), "transposed" if i == 1 else "contiguous") for i, s in enumerate(shapes)]
    y = f(*xs, beta=beta, alpha=alpha)
    assert name(y) == node
    assert gradcheck(lambda a, b, c: f(a, b, c, beta=beta, alpha=alpha), xs)


@pytest.mark.parametrize("op,shapes,node", ADD_OPS, ids=[o[0] for o in ADD_OPS])
def test_add_products_broadcast_input_match_torch(op, shapes, node):
    torch = pytest.importorskip("torch")
    arrays = [arr(*BROADCAST_INPUT[op])] + [arr(*s) for s in shapes[1:]]
    compare_with_torch(lambda a, b, c: getattr(pe, op)(a, b, c, beta=0.5, alpha=2),
                       lambda a, b, c: getattr(torch, op)(a, b, c, beta=0.5, alpha=2), arrays)


@pytest.mark.parametrize("op,shapes,node", ADD_OPS[:2], ids=[o[0] for o in ADD_OPS[:2]])
def test_add_products_gradgradcheck(op, shapes, node):
    f = getattr(pe, op)
    assert gradgradcheck(lambda a, b, c: f(a, b, c, beta=0.5, alpha=2.0), [leaf(arr(*s)) for s in shapes])


@pytest.mark.parametrize("op,shapes,node", ADD_OPS, ids=[o[0] for o in ADD_OPS])
def test_add_products_inplace_matches_out_of_place(op, shapes, node):
    arrays = [arr(*s) for s in shapes]
    xs = [leaf(a) for a in arrays]
    y = xs[0] * 1
    getattr(y, op + "_")(xs[1], xs[2], beta=0.5, alpha=2.0)
    assert name(y) == node
    y.sum().backward()
    ref = [leaf(a) for a in arrays]
    getattr(pe, op)(*ref, beta=0.5, alpha=2.0).sum().backward()
    for x, r in zip(xs, ref):
        np.testing.assert_allclose(x.grad.numpy(), r.grad.numpy(), rtol=1e-12)


def test_addmm_inplace_on_leaf_raises():
    x = leaf(arr(2, 4))
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.addmm_(pe.ones(2, 3, dtype=pe.float64), pe.ones(3, 4, dtype=pe.float64))


# ---- structure ops ----

def test_trace_tril_triu_gradcheck():
    for layout in ["contiguous", "transposed", "strided"]:
        x = leaf(arr(3, 4), layout)
        assert gradcheck(pe.trace, (x,))
        assert gradcheck(lambda t: pe.tril(t, -1), (x,))
        assert gradcheck(lambda t: pe.triu(t, 1), (x,))
    x = leaf(arr(3, 3))
    assert name(pe.trace(x)) == "TraceBackward0"
    assert name(pe.tril(x)) == "TrilBackward0"
    assert name(x.triu(1)) == "TriuBackward0"
    assert gradgradcheck(pe.trace, (x,))


def test_tril_inplace():
    a = arr(3, 3)
    x = leaf(a)
    y = x * 1
    y.tril_(0)
    assert name(y) == "TrilBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.tril(np.ones((3, 3))))


def test_cross_gradcheck_and_name():
    a, b = leaf(arr(4, 3)), leaf(arr(4, 3), "transposed")
    assert name(pe.linalg.cross(a, b)) == "LinalgCrossBackward0"
    assert name(pe.cross(a, b, dim=1)) == "LinalgCrossBackward0"
    assert gradcheck(lambda x, y: pe.linalg.cross(x, y), (a, b))
    bb = leaf(arr(1, 3))
    assert gradcheck(lambda x, y: pe.linalg.cross(x, y), (a, bb))  # broadcast
    with pytest.warns(UserWarning):
        y = pe.cross(a, b)
    assert name(y) == "LinalgCrossBackward0"
    assert gradgradcheck(lambda x, y: pe.linalg.cross(x, y), (a, b))


def test_out_with_grad_raises():
    a, b = leaf(arr(2, 3)), leaf(arr(3, 4))
    with pytest.raises(RuntimeError, match="out=... arguments don't support automatic differentiation"):
        pe.mm(a, b, out=pe.empty(2, 4, dtype=pe.float64))
    with pe.no_grad():
        out = pe.empty(2, 4, dtype=pe.float64)
        pe.mm(a, b, out=out)


@pytest.mark.parametrize("shape", [(4,), (3, 4)])
@pytest.mark.parametrize("k", [0, 1, -2])
def test_diag(shape, k):
    torch = pytest.importorskip("torch")
    x = leaf(arr(*shape), "strided")
    assert gradcheck(lambda t: pe.diag(t, k), (x,))
    assert gradgradcheck(lambda t: t.diag(k), (x,))
    compare_with_torch(lambda t: pe.diag(t, k), lambda t: torch.diag(t, k), [arr(*shape)])
