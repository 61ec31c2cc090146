"""Reductions, pyengine vs PyTorch in one process on the same inputs: median time of repeated runs.

    python benchmarks/bench_reduce.py [--repeat N] [--threads T]

Prints one line per case with both times and the ratio torch_time / pyengine_time (>= 1: pyengine
is at least as fast). Timing never goes into a test: run this by hand.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # run from a checkout
import pyengine as pe  # noqa: E402 (after the path fix)

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def bench(fns, repeat: int) -> list:
    """Median time of each function; runs alternate between them so that both see the same load."""
    for fn in fns:
        fn()  # warm up (allocator caches, thread pool)
    times = [[] for _ in fns]
    for _ in range(repeat):
        for fn, ts in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
    return [statistics.median(ts) for ts in times]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=21)
    ap.add_argument("--threads", type=int, default=0, help="0: the libraries' defaults")
    args = ap.parse_args()
    if args.threads:
        pe.set_num_threads(args.threads)
        if torch is not None:
            torch.set_num_threads(args.threads)

    rng = np.random.default_rng(0)
    v = rng.random(16 * 1024 * 1024, dtype=np.float32)
    m = rng.random((4096, 4096), dtype=np.float32)
    cases = [
        ("sum 16M float32", v, lambda t: t.sum()),
        ("(4096,4096).sum(0)", m, lambda t: t.sum(0)),
        ("(4096,4096).sum(1)", m, lambda t: t.sum(1)),
        ("mean 16M float32", v, lambda t: t.mean()),
        ("amax 16M float32", v, lambda t: t.amax()),
        ("(4096,4096).max(1)", m, lambda t: t.max(1)),
        ("(4096,4096).T.sum(1)", m, lambda t: t.T.sum(1)),
        ("(4096,4096).std(1)", m, lambda t: t.std(1)),
        ("(4096,4096).cumsum(1)", m, lambda t: t.cumsum(1)),
    ]
    print("threads: pyengine %d, torch %s" % (pe.get_num_threads(), torch.get_num_threads() if torch else "-"))
    print("%-24s %12s %12s %8s" % ("case", "pyengine ms", "torch ms", "ratio"))
    for name, data, fn in cases:
        a = pe.from_numpy(data)
        if torch is None:
            (tp,) = bench([lambda fn=fn, a=a: fn(a)], args.repeat)
            print("%-24s %12.3f %12s %8s" % (name, tp * 1e3, "-", "-"))
            continue
        b = torch.from_numpy(data)
        tp, tt = bench([lambda fn=fn, a=a: fn(a), lambda fn=fn, b=b: fn(b)], args.repeat)
        print("%-24s %12.3f %12.3f %8.2f" % (name, tp * 1e3, tt * 1e3, tt / tp))


if __name__ == "__main__":
    main()
