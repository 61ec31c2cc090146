"""Elementwise throughput, pyengine vs PyTorch, in one process on the same inputs.

    python benchmarks/bench_elementwise.py [--n 16777216] [--repeat 11] [--threads N]

Times add (a + b), relu and exp on float32 tensors of n elements (16M by default): the median of
`repeat` runs of each, after a warm-up run, with both libraries using the same number of threads.
Prints each time and the throughput ratio pyengine/torch (> 1: pyengine is faster).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import pyengine as pe  # noqa: E402
import torch  # noqa: E402


def median_time(fn, repeat: int) -> float:
    fn()  # warm-up (allocator caches, page faults of the first run)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=16 * 1024 * 1024, help="elements per tensor")
    ap.add_argument("--repeat", type=int, default=11, help="timed runs per op (median reported)")
    ap.add_argument("--threads", type=int, default=None, help="threads for both (default: torch's default)")
    args = ap.parse_args()

    threads = args.threads or torch.get_num_threads()
    torch.set_num_threads(threads)
    pe.set_num_threads(threads)

    rng = np.random.default_rng(0)
    a_np = rng.standard_normal(args.n, dtype=np.float32)
    b_np = rng.standard_normal(args.n, dtype=np.float32)
    pa, pb = pe.from_numpy(a_np), pe.from_numpy(b_np)
    ta, tb = torch.from_numpy(a_np), torch.from_numpy(b_np)

    cases = [
        ("add", lambda: pa + pb, lambda: ta + tb),
        ("relu", lambda: pa.relu(), lambda: ta.relu()),
        ("exp", lambda: pa.exp(), lambda: ta.exp()),
    ]
    print("elementwise, float32, n=%d, %d thread(s), median of %d" % (args.n, threads, args.repeat))
    print("%-6s %12s %12s %10s" % ("op", "pyengine ms", "torch ms", "ratio"))
    for name, f_pe, f_torch in cases:
        # same values: checked once, outside the timing
        np.testing.assert_allclose(f_pe().numpy(), f_torch().numpy(), rtol=1e-5, atol=1e-6)
        t_pe = median_time(f_pe, args.repeat)
        t_torch = median_time(f_torch, args.repeat)
        print("%-6s %12.2f %12.2f %9.2fx" % (name, t_pe * 1e3, t_torch * 1e3, t_torch / t_pe))


if __name__ == "__main__":
    main()
