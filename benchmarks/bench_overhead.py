"""Per-op overhead: small tensors, where the cost is argument handling, dispatch and allocation,
not arithmetic. ``python benchmarks/bench_overhead.py``"""
from __future__ import annotations

import numpy as np

from _common import import_torch, median_time, report  # noqa: I001 (sets the path first)

import pyengine as pe


def main() -> None:
    torch = import_torch()
    threads = pe.get_num_threads()
    if torch is not None:
        torch.set_num_threads(threads)
    a_np = np.random.rand(100).astype(np.float32)
    b_np = np.random.rand(100).astype(np.float32)
    engines = [("pe", pe, pe.from_numpy(a_np.copy()), pe.from_numpy(b_np.copy()))]
    if torch is not None:
        engines.append(("torch", torch, torch.from_numpy(a_np.copy()), torch.from_numpy(b_np.copy())))
    workloads = {
        "a + b (100 floats)": lambda m, a, b: a + b,
        "a * 2.0 (100 floats)": lambda m, a, b: a * 2.0,
        "a.add_(b) (100 floats)": lambda m, a, b: a.add_(b),
        "a.view(10, 10)": lambda m, a, b: a.view(10, 10),
        "a[3] (select)": lambda m, a, b: a[3],
        "a[1:50:2] (slice)": lambda m, a, b: a[1:50:2],
        "m.zeros(10, 10)": lambda m, a, b: m.zeros(10, 10),
        "m.tensor([1.0, 2.0, 3.0])": lambda m, a, b: m.tensor([1.0, 2.0, 3.0]),
    }
    rows = []
    for name, fn in workloads.items():
        times = {}
        for tag, m, a, b in engines:
            times[tag] = median_time(lambda: fn(m, a, b))
        rows.append((name, times["pe"], times.get("torch"), ""))
    report(rows, "per-op overhead (%d threads)" % threads)


if __name__ == "__main__":
    main()
