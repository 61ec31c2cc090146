"""Autograd of indexing: x[...] records PyTorch's graph (basic indices -> differentiable views:
SelectBackward0 / SliceBackward0 / UnsqueezeBackward0 / AliasBackward0; advanced indices ->
IndexBackward0), and x[...] = v (basic -> CopySlices / CopyBackwards / FillBackward3, advanced ->
IndexPutBackward0), with gradients against PyTorch, gradcheck/gradgradcheck and the in-place-on-leaf
errors."""
import numpy as np
import pytest

import pyengine as pe
from autograd_select_testing import check, grad_fn_name, leaf, randn, torch_mod

LAYOUTS = ["c", "t", "s"]

MASK34 = np.array([[True, False, True, False], [False, True, True, True], [True, False, False, False]])

# (label, index as a function of the module)
GETITEMS = [
    ("int", lambda m: 0),
    ("neg_int", lambda m: -1),
    ("slice", lambda m: slice(1, 3)),
    ("full_slice", lambda m: slice(None)),
    ("step_slice", lambda m: (slice(None), slice(None, None, 2))),
    ("none", lambda m: None),
    ("ellipsis", lambda m: Ellipsis),
    ("ellipsis_int", lambda m: (Ellipsis, 0)),
    ("ellipsis_none", lambda m: (Ellipsis, None)),
    ("int_int_int", lambda m: (0, 1, 2)),
    ("tuple_full", lambda m: (slice(None), slice(None))),
    ("empty_tuple", lambda m: ()),
    ("none_slice", lambda m: (slice(None), None, slice(1, 2))),
    ("tensor_int0d", lambda m: m.tensor(1)),
    ("list", lambda m: [0, 2, 0]),
    ("list_dim1", lambda m: (slice(None), [0, 1, 1])),
    ("tensor_2d", lambda m: m.tensor([[0, 1], [2, 2]])),
    ("two_lists", lambda m: ([0, 1], [1, 3])),
    ("separated", lambda m: ([0, 1], slice(None), [1, 3])),
    ("int_and_list", lambda m: (0, [0, 1])),
    ("slice_and_list", lambda m: (slice(1, 3), [0, 1])),
    ("mask", lambda m: m.tensor(MASK34)),
    ("mask_row", lambda m: m.tensor([True, False, True])),
    ("mask_then_slice", lambda m: (m.tensor(MASK34), slice(1, 3))),
    ("true", lambda m: True),
    ("false", lambda m: False),
    ("true_list", lambda m: (True, [0, 1])),
    ("bool_0d", lambda m: m.tensor(True)),
    ("list_none", lambda m: ([0, 1], None)),
    ("lists_none_between", lambda m: ([0, 1], None, [0, 1])),
    ("neg_list", lambda m: [-1, -3]),
]


@pytest.mark.parametrize("label,idx", GETITEMS, ids=[g[0] for g in GETITEMS])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_getitem(label, idx, layout):
    check(lambda m, a: a[idx(m)], randn(3, 4, 5), layouts=[layout], gradgrad=layout == "c")


def test_getitem_views_and_names():
    x = leaf(pe, randn(3, 4))
    for idx, name, view in [(0, "SelectBackward0", True), (slice(0, 2), "SliceBackward0", True),
                            (None, "UnsqueezeBackward0", True), ((Ellipsis, 0), "SelectBackward0", True),
                            (Ellipsis, "AliasBackward0", True), ([0, 1], "IndexBackward0", False),
                            (slice(None), "SliceBackward0", True), ((slice(None), slice(None)), "AliasBackward0", True)]:
        y = x[idx]
        assert grad_fn_name(y) == name, idx
        assert y._is_view() == view, idx
    y = x[:, [0, 1]]
    assert grad_fn_name(y) == "IndexBackward0"
    assert y.grad_fn.next_functions[0][0] is x.grad_fn or grad_fn_name_of(y.grad_fn.next_functions[0][0]) == \
        "AccumulateGrad"


def grad_fn_name_of(node):
    n = type(node).__name__
    return node.name() if n in ("Node", "PyNode") and hasattr(node, "name") else n


def test_getitem_0d_and_empty():
    check(lambda m, a: a[None], randn())
    check(lambda m, a: a[...], randn())
    check(lambda m, a: a[True], randn())
    check(lambda m, a: a[[0, 0]], randn(2, 0))
    check(lambda m, a: a[m.tensor(np.zeros(3, bool))], randn(3, 2))
    check(lambda m, a: a[1:1], randn(3, 2))


def test_getitem_broadcast_input():
    check(lambda m, a: a.expand(3, 4)[[0, 0, 2], 1:], randn(1, 4))
    check(lambda m, a: a.expand(3, 4)[1], randn(4))


def test_getitem_repeated_indices_accumulate():
    x = leaf(pe, randn(4))
    x[[1, 1, 1, 3]].sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 3.0, 0.0, 1.0])


def test_getitem_no_grad_mode():
    x = leaf(pe, randn(3, 4))
    with pe.no_grad():
        assert x[0].grad_fn is None and x[[0]].grad_fn is None and not x[x > 0].requires_grad


# ---- setitem ----

def _set(idx_fn, value_kind):
    def fn(m, a, v):
        y = a * 1
        idx = idx_fn(m)
        if value_kind == "scalar":
            y[idx] = 2.5
        elif value_kind == "0d":
            y[idx] = v.sum()
        else:
            y[idx] = v
        return y
    return fn


SETITEMS = [
    ("int", lambda m: 0, (4, 5)),
    ("slice", lambda m: slice(1, 3), (2, 4, 5)),
    ("full", lambda m: slice(None), (3, 4, 5)),
    ("ellipsis", lambda m: Ellipsis, (3, 4, 5)),
    ("ellipsis_int", lambda m: (Ellipsis, 1), (3, 4)),
    ("none", lambda m: None, (1, 3, 4, 5)),
    ("step", lambda m: (slice(None), slice(None, None, 2)), (3, 2, 5)),
    ("list", lambda m: [0, 2], (2, 4, 5)),
    ("list_dim1", lambda m: (slice(None), [3, 1]), (3, 2, 5)),
    ("int_list", lambda m: (0, [1, 2]), (2, 5)),
    ("slice_list", lambda m: (slice(0, 2), [0, 3]), (2, 2, 5)),
    ("mask", lambda m: m.tensor(MASK34), (6, 5)),
    ("two_lists", lambda m: ([0, 2], [1, 1]), (2, 5)),
    ("broadcast_value", lambda m: [0, 2], (5,)),
    ("broadcast_basic", lambda m: 1, (1, 5)),
    ("leading_ones", lambda m: [0, 2], (1, 1, 2, 4, 5)),
]


@pytest.mark.parametrize("label,idx,vshape", SETITEMS, ids=[s[0] for s in SETITEMS])
@pytest.mark.parametrize("value_kind", ["tensor", "0d", "scalar"])
def test_setitem(label, idx, vshape, value_kind):
    check(_set(idx, value_kind), randn(3, 4, 5), randn(*vshape), gradgrad=value_kind == "tensor")


@pytest.mark.parametrize("layout", ["t", "s"])
def test_setitem_noncontiguous(layout):
    check(_set(lambda m: (0, [1, 2]), "tensor"), randn(3, 4, 5), randn(2, 5), layouts=[layout, layout])
    check(_set(lambda m: (slice(1, 3), 2), "tensor"), randn(3, 4, 5), randn(2, 5), layouts=[layout, layout])


def test_setitem_graph_names():
    torch = torch_mod()
    cases = [("y[0] = v0", "CopySlices"), ("y[[0, 1]] = 1.0", "IndexPutBackward0"), ("y[...] = 1.0", "FillBackward3"),
             ("y[:] = v", "CopyBackwards"), ("y[None] = v", "CopySlices"), ("y[0, [0, 1]] = 1.0", "CopySlices"),
             ("y[y > 0] = 0.0", "IndexPutBackward0")]
    for code, name in cases:
        for mod in (pe, torch):
            x = leaf(mod, randn(3, 4))
            y = x * 1
            v, v0 = leaf(mod, randn(3, 4)), leaf(mod, randn(4))
            exec(code, {"y": y, "v": v, "v0": v0})
            assert grad_fn_name(y) == name, (code, mod)


def test_setitem_into_tensor_without_grad():
    torch = torch_mod()
    for mod in (pe, torch):
        v = leaf(mod, randn(2, 3))
        y = mod.zeros(4, 3, dtype=mod.float64)
        y[1:3] = v
        y[[0]] = v[:1] * 2
        assert y.requires_grad
        (y * mod.arange(12.0, dtype=mod.float64).reshape(4, 3)).sum().backward()
        g = v.grad.numpy().copy()
        if mod is pe:
            pe_g = g
        else:
            np.testing.assert_allclose(pe_g, g)


def test_setitem_on_leaf_errors():
    x = leaf(pe, randn(3, 4))
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an in-place"):
        x[0] = 1.0
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        x[[0]] = 1.0
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        x[...] = 1.0
    with pe.no_grad():
        x[0] = 1.0
        x[[1]] = 2.0
    np.testing.assert_allclose(x.detach().numpy()[:2], [[1.0] * 4, [2.0] * 4])


def test_setitem_values_errors_unchanged():
    y = pe.zeros(3, 4)
    with pytest.raises(RuntimeError, match="shape mismatch"):
        y[[0, 1]] = pe.ones(3, 1, 4)
    with pytest.raises(IndexError):
        y[5] = 1.0
    with pytest.raises(IndexError, match="too many indices"):
        y[0, 0, 0] = 1.0


def test_index_put_accumulate_double_backward():
    # IndexBackward0's formula is index_put(accumulate=True): differentiable again.
    x = leaf(pe, randn(4))
    y = (x[[0, 0, 2]] * x[[0, 0, 2]]).sum()
    (g,) = pe.autograd.grad(y, (x,), create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 2 * x.detach().numpy() * np.array([2, 0, 1, 0]))
    (gg,) = pe.autograd.grad(g.sum(), (x,))
    np.testing.assert_allclose(gg.numpy(), [4.0, 0.0, 2.0, 0.0])


@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put(accumulate):
    def fn(m, a, v):
        return m.index_put(a, (m.tensor([0, 2, 0]), m.tensor([1, 1, 1])), v, accumulate=accumulate)
    check(fn, randn(3, 4), randn(3), gradgrad=True, gradcheck=accumulate)  # duplicates: last write wins
    check(lambda m, a, v: a.index_put([m.tensor(MASK34)], v, accumulate), randn(3, 4), randn(), gradgrad=True)

    def inplace(m, a, v):
        y = a * 1
        y.index_put_((m.tensor([2, 0]),), v, accumulate=accumulate)
        return y
    check(inplace, randn(3, 4), randn(2, 4), layouts=["t", "s"])


def test_index_put_errors():
    x = pe.zeros(3, 4)
    with pytest.raises(RuntimeError, match="dtypes match"):
        x.index_put_((pe.tensor([0]),), pe.ones(1, dtype=pe.float64))
    with pytest.raises(TypeError):
        x.index_put_(pe.tensor([0]), pe.ones(1))
    with pytest.raises(RuntimeError, match="leaf Variable"):
        leaf(pe, randn(3)).index_put_((pe.tensor([0]),), pe.ones(1, dtype=pe.float64))
