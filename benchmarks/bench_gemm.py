"""sgemm throughput: pyengine.mm against torch.mm (MKL) on square float32 matrices.

Both run in this one process with the same thread count, alternating run by run so that both see
the same machine load; the median of the runs is reported as GFLOP/s with the ratio ours/torch.

    python benchmarks/bench_gemm.py                 # threads: torch's default
    python benchmarks/bench_gemm.py --threads 1 --sizes 256 1024 --dtype float64
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch

try:
    import pyengine
except ImportError:  # run from a source checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import pyengine


def bench(fn, reps: int) -> float:
    """Median seconds of fn() over reps runs (after one warm-up)."""
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512, 1024, 2048])
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--rounds", type=int, default=5, help="alternating rounds per size")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    pyengine.set_num_threads(args.threads)
    print(f"threads={args.threads} dtype={args.dtype} (torch {torch.__version__}, "
          f"{torch.backends.mkl.is_available() and 'MKL' or 'no MKL'})")
    print(f"{'n':>6} {'pyengine GFLOP/s':>17} {'torch GFLOP/s':>14} {'ratio':>6}")
    rng = np.random.default_rng(0)
    for n in args.sizes:
        a_np = rng.standard_normal((n, n)).astype(args.dtype)
        b_np = rng.standard_normal((n, n)).astype(args.dtype)
        pa, pb = pyengine.from_numpy(a_np), pyengine.from_numpy(b_np)
        ta, tb = torch.from_numpy(a_np), torch.from_numpy(b_np)
        err = np.abs(pyengine.mm(pa, pb).numpy() - torch.mm(ta, tb).numpy()).max()
        flops = 2.0 * n ** 3
        reps = max(3, int(2e9 / flops))  # about a second of work per round at 10 GFLOP/s
        reps = min(reps, 200)
        ours, theirs = [], []
        for _ in range(args.rounds):
            ours.append(bench(lambda pa=pa, pb=pb: pyengine.mm(pa, pb), reps))
            theirs.append(bench(lambda ta=ta, tb=tb: torch.mm(ta, tb), reps))
        g_ours, g_torch = flops / statistics.median(ours) / 1e9, flops / statistics.median(theirs) / 1e9
        print(f"{n:>6} {g_ours:>17.1f} {g_torch:>14.1f} {g_ours / g_torch:>6.2f}   (max |diff| {err:.1e})")


if __name__ == "__main__":
    main()
