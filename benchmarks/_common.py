"""Shared timing helpers for the benchmarks: pyengine and PyTorch side by side in one process,
medians of repeated runs, ratios printed as pyengine speed relative to PyTorch (>1: faster)."""
from __future__ import annotations

import os
import statistics
import sys
import time
from typing import Callable

# Run from a checkout without installing: the repository root goes first on the path.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def median_time(fn: Callable[[], object], repeat: int = 7, min_time: float = 0.05) -> float:
    """Median seconds per call; each sample loops long enough to be timed reliably."""
    fn()  # warm up (allocator caches, lazy init)
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time or n >= 1 << 20:
            break
        n *= 2
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - t0) / n)
    return statistics.median(samples)


def fmt_time(s: float) -> str:
    if s < 1e-6:
        return "%.0f ns" % (s * 1e9)
    if s < 1e-3:
        return "%.2f us" % (s * 1e6)
    if s < 1:
        return "%.2f ms" % (s * 1e3)
    return "%.2f s" % s


def report(rows, title: str) -> None:
    """rows: (workload, pyengine seconds, torch seconds or None, extra text)."""
    print("\n== " + title)
    print("%-40s %12s %12s %9s  %s" % ("workload", "pyengine", "torch", "speed", ""))
    for name, pe_t, th_t, extra in rows:
        ratio = "%.2fx" % (th_t / pe_t) if th_t else "-"
        print("%-40s %12s %12s %9s  %s" % (name, fmt_time(pe_t), fmt_time(th_t) if th_t else "-", ratio, extra))
    print("(speed = torch time / pyengine time; > 1 means pyengine is faster)")


def stream_limit(n: int = 16 << 20) -> dict:
    """This machine's STREAM-like copy and triad bandwidth in GB/s (pyengine's _C._stream_bandwidth:
    plain OpenMP loops over float arrays of n elements, the library's threads), measured now, so that
    memory-bound kernels are compared with the limit of the same run."""
    import pyengine as pe

    return dict(pe._C._stream_bandwidth(n, 7))


def load_average() -> str:
    try:
        return "load average %.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        return "load average unknown"


def report_bw(rows, title: str, limit_name: str) -> None:
    """rows: (workload, bytes moved, pyengine s, torch s or None, numpy s or None, limit GB/s).
    Prints GB/s per library, pyengine's speed against PyTorch and its share of the limit."""
    print("\n== " + title)
    print("%-34s %9s %9s %9s %9s %8s %8s" % ("workload", "pyengine", "torch", "numpy", limit_name, "vs torch",
                                           "of limit"))
    for name, nbytes, pe_t, th_t, np_t, lim in rows:
        def gbs(t):
            return "%.1f" % (nbytes / t / 1e9) if t else "-"
        print("%-34s %9s %9s %9s %9.1f %8s %7.0f%%" % (name, gbs(pe_t), gbs(th_t), gbs(np_t), lim,
                                                     "%.2fx" % (th_t / pe_t) if th_t else "-",
                                                     100.0 * nbytes / pe_t / 1e9 / lim))
    print("(GB/s = bytes read + written per second, as STREAM counts; vs torch = torch time / pyengine time)")


def setup_threads(threads):
    """The thread count for pyengine and PyTorch alike (pyengine's default when None); returns
    (torch or None, threads)."""
    import pyengine as pe

    torch = import_torch()
    threads = threads or pe.get_num_threads()
    pe.set_num_threads(threads)
    if torch is not None:
        torch.set_num_threads(threads)
    return torch, threads


def import_torch():
    try:
        import torch
    except ImportError:
        return None
    return torch
