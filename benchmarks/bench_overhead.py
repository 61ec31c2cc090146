"""Per-op overhead: tiny tensors, where the cost is argument handling, dispatch, allocation and
autograd bookkeeping, not arithmetic. pyengine, PyTorch and numpy side by side in one run.
``python benchmarks/bench_overhead.py``"""
from __future__ import annotations

import numpy as np

from _common import fmt_time, import_torch, load_average, median_time  # noqa: I001 (sets the path first)

import pyengine as pe


def main() -> None:
    torch = import_torch()
    threads = pe.get_num_threads()
    if torch is not None:
        torch.set_num_threads(threads)
    a1, b1 = np.random.rand(1).astype(np.float32), np.random.rand(1).astype(np.float32)
    a_np = np.random.rand(100).astype(np.float32)
    b_np = np.random.rand(100).astype(np.float32)
    libs = [("pe", pe), ("torch", torch), ("numpy", None)]

    def tensors(lib, x):
        if lib is None:
            return x.copy()
        return lib.from_numpy(x.copy())

    def backward_case(lib):
        if lib is None:
            return None
        x = lib.from_numpy(a_np.copy()).requires_grad_()

        def run():
            x.grad = None
            x.sum().backward()
        return run

    # name -> builder(lib) returning a zero-argument callable, or None when the library has no such op
    workloads = {
        "a + b (1 float)": lambda lib: (lambda a=tensors(lib, a1), b=tensors(lib, b1): a + b),
        "a.add_(b) (1 float)": lambda lib: (
            (lambda a=tensors(lib, a1), b=tensors(lib, b1): a.add_(b)) if lib is not None
            else (lambda a=a1.copy(), b=b1: np.add(a, b, out=a))),
        "a + b (100 floats)": lambda lib: (lambda a=tensors(lib, a_np), b=tensors(lib, b_np): a + b),
        "a * 2.0 (100 floats)": lambda lib: (lambda a=tensors(lib, a_np): a * 2.0),
        "x.sum().backward() (100 floats)": backward_case,
        "a.view(10, 10)": lambda lib: (lambda a=tensors(lib, a_np): a.view(10, 10)) if lib is not None
        else (lambda a=a_np: a.reshape(10, 10)),
        "a[3] (select)": lambda lib: (lambda a=tensors(lib, a_np): a[3]),
        "a[1:50:2] (slice)": lambda lib: (lambda a=tensors(lib, a_np): a[1:50:2]),
        "zeros(10, 10)": lambda lib: (lambda: (lib or np).zeros((10, 10))),
        "tensor([1.0, 2.0, 3.0])": lambda lib: (lambda: lib.tensor([1.0, 2.0, 3.0])) if lib is not None
        else (lambda: np.array([1.0, 2.0, 3.0], dtype=np.float32)),
    }
    print("per-op overhead (%d threads); %s" % (threads, load_average()))
    print("%-34s %10s %10s %10s %9s" % ("workload", "pyengine", "torch", "numpy", "vs torch"))
    for name, build in workloads.items():
        times = {}
        for tag, lib in libs:
            if tag == "torch" and torch is None:
                continue
            fn = build(lib)
            if fn is not None:
                times[tag] = median_time(fn)
        pe_t, th_t, np_t = times["pe"], times.get("torch"), times.get("numpy")
        print("%-34s %10s %10s %10s %9s" % (name, fmt_time(pe_t), fmt_time(th_t) if th_t else "-",
                                            fmt_time(np_t) if np_t else "-",
                                            "%.2fx" % (th_t / pe_t) if th_t else "-"))
    print("(vs torch = torch time / pyengine time; > 1 means pyengine is faster; limit: none, the target is "
          "<= 1 us for one-element ops on a quiet machine); " + load_average())


if __name__ == "__main__":
    main()
