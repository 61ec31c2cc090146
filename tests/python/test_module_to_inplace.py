"""Module.to(dtype)/.double()/.float()/.half()/.bfloat16()/.to(device) keep the same Parameter objects
(their data is swapped in place, as PyTorch's param.data = fn(param.data)), so an optimizer built before
the call keeps working; and the .data setter that makes it possible takes another dtype/shape."""
from __future__ import annotations

import numpy as np
import pytest

import pyengine as pe
import pyengine.nn as nn


def _model(M):
    M.manual_seed(0)
    m = M.nn.Sequential(M.nn.Linear(3, 4), M.nn.ReLU(), M.nn.Linear(4, 2))
    with M.no_grad():
        for i, p in enumerate(m.parameters()):
            p.copy_(M.tensor(np.linspace(-1, 1, p.numel()).reshape(tuple(p.shape)) * (i + 1), dtype=p.dtype))
    return m


@pytest.mark.parametrize("convert,dtype", [
    (lambda m: m.double(), "float64"), (lambda m: m.to(pe.float64), "float64"),
    (lambda m: m.to(dtype=pe.float64), "float64"), (lambda m: m.half(), "float16"),
    (lambda m: m.bfloat16(), "bfloat16"), (lambda m: m.float(), "float32"),
    (lambda m: m.to("cpu"), "float32"), (lambda m: m.to(pe.device("cpu"), pe.float64), "float64"),
])
def test_conversion_keeps_parameter_objects(convert, dtype):
    m = _model(pe)
    params = list(m.parameters())
    m(pe.ones(2, 3)).sum().backward()
    grads = [p.grad for p in params]
    assert convert(m) is m
    assert all(a is b for a, b in zip(m.parameters(), params))
    assert all(p.dtype == getattr(pe, dtype) and isinstance(p, nn.Parameter) and p.requires_grad for p in params)
    # gradients are converted in place too, as PyTorch's param.grad.data = fn(param.grad)
    assert all(p.grad is g and g.dtype == p.dtype for p, g in zip(params, grads))


def test_optimizer_built_before_double_keeps_training_like_torch():
    torch = pytest.importorskip("torch")
    results = []
    for M in (pe, torch):
        m = _model(M)
        opt = M.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        x = M.tensor(np.linspace(-2, 2, 15).reshape(5, 3), dtype=M.float64)
        m.double()
        for _ in range(3):
            opt.zero_grad()
            m(x).pow(2).sum().backward()
            opt.step()
        results.append([p.detach().numpy().copy() for p in m.parameters()])
        assert all(p.dtype == M.float64 for p in opt.param_groups[0]["params"])
    for a, b in zip(*results):
        assert a.dtype == b.dtype == np.float64
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_buffers_converted():
    bn = nn.BatchNorm1d(3)
    bn.double()
    assert bn.running_mean.dtype == pe.float64 and bn.num_batches_tracked.dtype == pe.int64


def test_data_setter_takes_other_dtype_and_shape_like_torch():
    torch = pytest.importorskip("torch")
    for M in (torch, pe):
        x = M.ones(3)
        x.add_(1)
        v = x._version
        view = x[:2]
        x.data = M.zeros(2, 2, dtype=M.float16)
        assert x.dtype == M.float16 and tuple(x.shape) == (2, 2) and x.tolist() == [[0.0, 0.0], [0.0, 0.0]]
        assert x._version == v  # the version counter is kept
        assert view.dtype == M.float32 and view.tolist() == [2.0, 2.0]  # old views keep the old data
        with pytest.raises(TypeError, match="Variable data has to be a tensor, but got int"):
            x.data = 5
        w = M.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="data set to a tensor that requires gradients must be floating point"):
            w.data = M.ones(3, dtype=M.int64)


def test_data_setter_then_backward_accumulates_in_the_new_dtype():
    torch = pytest.importorskip("torch")
    outs = []
    for M in (torch, pe):
        w = M.ones(3, requires_grad=True)
        (w * 2).sum().backward()  # makes the leaf's AccumulateGrad with float32 metadata
        w.grad = None
        w.data = M.tensor([1.0, 2.0], dtype=M.float64)
        (w * w).sum().backward()
        outs.append((str(w.grad.dtype), w.grad.tolist(), w.is_leaf, w.requires_grad))
    assert outs[0] == outs[1]
