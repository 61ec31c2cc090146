"""grad_fn and next_functions of the reflected operators with a Python number (2 * b, 1 - b, 2 / b,
2 ** b, 2 + b, ...) match PyTorch's: node names and edge structure, in PyTorch's order."""
from __future__ import annotations

import numpy as np
import pytest

import pyengine as pe

torch = pytest.importorskip("torch")


def structure(fn):
    """(name, [(output_nr, structure of next) ...]) of a graph, recursively (None for missing edges)."""
    if fn is None:
        return None
    return (type(fn).__name__ if not hasattr(fn, "name") else fn.name(),
            [(nr, structure(n)) for n, nr in fn.next_functions])


EXPRS = {
    "2*b": lambda b: 2 * b, "2.5*b": lambda b: 2.5 * b, "b*2": lambda b: b * 2,
    "1-b": lambda b: 1 - b, "2-b": lambda b: 2 - b, "b-1": lambda b: b - 1,
    "2/b": lambda b: 2 / b, "b/2": lambda b: b / 2,
    "2**b": lambda b: 2 ** b, "b**2": lambda b: b ** 2,
    "2+b": lambda b: 2 + b, "b+2": lambda b: b + 2,
    "chain": lambda b: 1 - 2 / (3 + 4 * b),
}


@pytest.mark.parametrize("name", list(EXPRS))
def test_graph_like_torch(name):
    f = EXPRS[name]
    vals = np.array([0.5, 1.5, 2.5])
    b_pe = pe.tensor(vals, requires_grad=True)
    b_t = torch.tensor(vals, requires_grad=True)
    r_pe, r_t = f(b_pe), f(b_t)
    assert structure(r_pe.grad_fn) == structure(r_t.grad_fn)
    np.testing.assert_array_equal(r_pe.detach().numpy(), r_t.detach().numpy())
    if r_t.requires_grad:
        r_pe.sum().backward()
        r_t.sum().backward()
        np.testing.assert_allclose(b_pe.grad.numpy(), b_t.grad.numpy(), rtol=1e-12)


def test_reflected_values_and_dtypes_like_torch():
    for vals in ([1, 2, 4], [0.5, -2.0, 3.0]):
        a_pe, a_t = pe.tensor(vals), torch.tensor(vals)
        for f in (lambda b: 2 / b, lambda b: 1 - b, lambda b: 3 * b, lambda b: 2 + b, lambda b: 2.5 / b):
            r_pe, r_t = f(a_pe), f(a_t)
            assert str(r_pe.dtype) == str(r_t.dtype)
            np.testing.assert_array_equal(r_pe.numpy(), r_t.numpy())
