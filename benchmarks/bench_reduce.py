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
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # _common
import pyengine as pe  # noqa: E402 (after the path fix)
from _common import load_average, stream_limit  # noqa: E402

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
    # (name, data, fn over a pyengine/torch tensor, fn over the numpy array or None)
    cases = [
        ("sum 16M float32", v, lambda t: t.sum(), lambda x: x.sum()),
        ("(4096,4096).sum(0)", m, lambda t: t.sum(0), lambda x: x.sum(0)),
        ("(4096,4096).sum(1)", m, lambda t: t.sum(1), lambda x: x.sum(1)),
        ("mean 16M float32", v, lambda t: t.mean(), lambda x: x.mean()),
        ("amax 16M float32", v, lambda t: t.amax(), lambda x: x.max()),
        ("(4096,4096).max(1)", m, lambda t: t.max(1), lambda x: (x.max(1), x.argmax(1))),
        ("(4096,4096).T.sum(1)", m, lambda t: t.T.sum(1), lambda x: x.T.sum(1)),
        ("(4096,4096).std(1)", m, lambda t: t.std(1), lambda x: x.std(1, ddof=1)),
        ("(4096,4096).cumsum(1)", m, lambda t: t.cumsum(1), lambda x: x.cumsum(1)),
    ]
    print("threads: pyengine %d, torch %s; %s" % (pe.get_num_threads(), torch.get_num_threads() if torch else "-",
                                                  load_average()))
    lim = stream_limit()
    print("STREAM-like limit (same run): copy %.1f GB/s (the limit column: reading the input once)" % lim["copy"])
    print("%-24s %9s %9s %9s %9s %8s %8s" % ("case (GB/s read)", "pyengine", "torch", "numpy", "limit", "vs torch",
                                             "of limit"))
    for name, data, fn, npfn in cases:
        a = pe.from_numpy(data)
        fns = [lambda fn=fn, a=a: fn(a)]
        if torch is not None:
            b = torch.from_numpy(data)
            fns.append(lambda fn=fn, b=b: fn(b))
        fns.append(lambda npfn=npfn, data=data: npfn(data))
        ts = bench(fns, args.repeat)
        tp, tn = ts[0], ts[-1]
        tt = ts[1] if torch is not None else None
        gb = data.nbytes / 1e9
        print("%-24s %9.1f %9s %9.1f %9.1f %8s %7.0f%%" % (name, gb / tp, "%.1f" % (gb / tt) if tt else "-", gb / tn,
                                                         lim["copy"], "%.2fx" % (tt / tp) if tt else "-",
                                                         100 * gb / tp / lim["copy"]))
    print("(GB/s = input bytes / time; numpy is single-threaded; vs torch = torch time / pyengine time)")


if __name__ == "__main__":
    main()
