"""Contention: each workload timed on a quiet machine, then while another process keeps one core busy (a
spinning Python loop), pyengine beside PyTorch. Issue 18's goal: no workload more than 2x slower under
contention (pyengine's thread pool waits passively: OMP_WAIT_POLICY=PASSIVE, see pyengine/__init__.py).
``python benchmarks/bench_contention.py``"""
from __future__ import annotations

import multiprocessing as mp
import time

import numpy as np

from _common import fmt_time, import_torch, load_average, median_time  # noqa: I001 (sets the path first)

import pyengine as pe


def _spin(stop) -> None:
    x = 0
    while not stop.is_set():
        x += 1


def workloads(lib, a16m, m512, small):
    if lib is None:
        return {}
    a, m, s = lib.from_numpy(a16m), lib.from_numpy(m512), lib.from_numpy(small)
    return {
        "a + b (1 float)": lambda: s + s,
        "sum of 16M floats": lambda: a.sum(),
        "add 16M floats": lambda: a + a,
        "sgemm 512": lambda: m @ m,
    }


def main() -> None:
    torch = import_torch()
    if torch is not None:
        torch.set_num_threads(pe.get_num_threads())
    rng = np.random.default_rng(0)
    a16m = rng.standard_normal(16 << 20).astype(np.float32)
    m512 = rng.standard_normal((512, 512)).astype(np.float32)
    small = rng.standard_normal(1).astype(np.float32)
    libs = {"pyengine": workloads(pe, a16m, m512, small), "torch": workloads(torch, a16m, m512, small)}
    quiet = {lib: {k: median_time(f, repeat=7) for k, f in w.items()} for lib, w in libs.items()}
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    spinner = ctx.Process(target=_spin, args=(stop,), daemon=True)
    spinner.start()
    time.sleep(0.5)
    try:
        busy = {lib: {k: median_time(f, repeat=7) for k, f in w.items()} for lib, w in libs.items()}
    finally:
        stop.set()
        spinner.join(5)
    print(f"threads {pe.get_num_threads()}; one core kept busy by another process during the second column")
    print("%-22s %12s %12s %9s %12s %12s %9s %6s" % ("workload", "pe quiet", "pe busy", "pe x", "torch quiet",
                                                     "torch busy", "torch x", "goal"))
    for k in libs["pyengine"]:
        pq, pb = quiet["pyengine"][k], busy["pyengine"][k]
        tq, tb = (quiet["torch"][k], busy["torch"][k]) if torch is not None else (None, None)
        print("%-22s %12s %12s %8.2fx %12s %12s %9s %6s  %s" % (
            k, fmt_time(pq), fmt_time(pb), pb / pq, fmt_time(tq) if tq else "-", fmt_time(tb) if tb else "-",
            "%.2fx" % (tb / tq) if tq else "-", "2.0x", "met" if pb / pq <= 2.0 else "MISSED"))
    print("(x = busy time / quiet time; numpy has no threads to contend: not shown)")
    print(load_average())


if __name__ == "__main__":
    main()
