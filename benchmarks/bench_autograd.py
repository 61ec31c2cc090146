"""Autograd overhead: a small op with and without grad recording, the `(x * w).sum().backward()`
loop on 100 elements, and the tutorials' raw-tensor two-layer net (x.mm(w1).clamp(min=0).mm(w2),
500 iterations). pyengine and PyTorch side by side. ``python benchmarks/bench_autograd.py``"""
from __future__ import annotations

import time

import numpy as np

from _common import import_torch, median_time, report  # noqa: I001 (sets the path first)

import pyengine as pe


def two_layer(m, steps: int = 500) -> float:
    """The tutorial loop (N=64, D_in=1000, H=100, D_out=10), seconds per iteration."""
    rng = np.random.default_rng(0)
    x = m.tensor(rng.standard_normal((64, 1000)).astype(np.float32))
    y = m.tensor(rng.standard_normal((64, 10)).astype(np.float32))
    w1 = m.tensor(rng.standard_normal((1000, 100)).astype(np.float32) * 0.01, requires_grad=True)
    w2 = m.tensor(rng.standard_normal((100, 10)).astype(np.float32) * 0.01, requires_grad=True)
    lr = 1e-6
    t0 = time.perf_counter()
    for _ in range(steps):
        h = x.mm(w1)
        h_relu = h.clamp(min=0) if hasattr(h, "clamp") else h * (h > 0)
        y_pred = h_relu.mm(w2)
        loss = (y_pred - y).pow(2).sum() if hasattr(y_pred, "pow") else ((y_pred - y) * (y_pred - y)).sum()
        loss.backward()
        with m.no_grad():
            w1 -= lr * w1.grad
            w2 -= lr * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()
    return (time.perf_counter() - t0) / steps


def main() -> None:
    torch = import_torch()
    if torch is not None:
        torch.set_num_threads(pe.get_num_threads())
    engines = [("pe", pe)] + ([("torch", torch)] if torch is not None else [])
    rows = []
    data = np.random.rand(100).astype(np.float32)

    def setup(m, grad):
        x = m.tensor(data)
        w = m.tensor(data, requires_grad=grad)
        return x, w

    for name, grad, fn in [
        ("x * w (100 floats, no grad)", False, lambda x, w: x * w),
        ("x * w (100 floats, w requires grad)", True, lambda x, w: x * w),
        ("(x * w).sum().backward() (100 floats)", True, lambda x, w: (x * w).sum().backward()),
    ]:
        times = {}
        for tag, m in engines:
            x, w = setup(m, grad)
            times[tag] = median_time(lambda: fn(x, w))
        rows.append((name, times["pe"], times.get("torch"), ""))
    times = {tag: min(two_layer(m, 100) for _ in range(3)) for tag, m in engines}
    rows.append(("two-layer net step (64x1000x100x10)", times["pe"], times.get("torch"), "per iteration"))
    report(rows, "autograd overhead (%d threads)" % pe.get_num_threads())


if __name__ == "__main__":
    main()
