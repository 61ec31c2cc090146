"""GEMM throughput: pyengine.mm beside torch.mm and numpy's OpenBLAS, and the FMA peak measured in the same
run (the limit column), on square float32/float64 matrices and the tutorials' shapes.

All three run in one process with the same thread count, alternating run by run so that all see the same
machine load; medians, in GFLOP/s. OPENBLAS_CORETYPE is removed from this process's environment before numpy
loads, so OpenBLAS picks its kernel for this CPU (printed). Issue 18's goals: at least numpy's GFLOP/s for
n = 64 ... 2048 and the tutorial shapes; at n >= 512 at least 80% of the FMA peak.

    python benchmarks/bench_gemm.py                 # threads: pyengine's default
    python benchmarks/bench_gemm.py --threads 1 --sizes 256 1024 --dtype float64
"""
from __future__ import annotations

import os

os.environ.pop("OPENBLAS_CORETYPE", None)  # before numpy loads OpenBLAS (issue 18: its own kernel choice)

import argparse  # noqa: E402
import ctypes  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from _common import import_torch, load_average  # noqa: E402,I001 (sets the path first)

import pyengine  # noqa: E402

# The tutorials' products (LeNet's linear layers at batch 64 and 4, forward): (m, k, n)
TUTORIAL_SHAPES = [(64, 400, 120), (64, 120, 84), (64, 84, 10), (4, 400, 120)]


def openblas_core() -> str:
    """The kernel OpenBLAS chose at run time (DYNAMIC_ARCH), read from the library numpy loaded."""
    np.dot(np.ones((2, 2)), np.ones((2, 2)))
    try:
        paths = sorted({line.split()[-1] for line in open("/proc/self/maps") if "openblas" in line})
        lib = ctypes.CDLL(paths[0])
        for name in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename64_",
                     "openblas_get_corename"):
            f = getattr(lib, name, None)
            if f is not None:
                f.restype = ctypes.c_char_p
                return f().decode()
    except (OSError, IndexError):
        pass
    return "unknown"


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
    p.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256, 512, 1024, 2048])
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--dtype", choices=["float32", "float64", "both"], default="both")
    p.add_argument("--rounds", type=int, default=5, help="alternating rounds per size")
    args = p.parse_args()
    torch = import_torch()
    if args.threads:
        pyengine.set_num_threads(args.threads)
    threads = pyengine.get_num_threads()
    if torch is not None:
        torch.set_num_threads(threads)
    peak32 = pyengine._C._fma_peak_gflops(5)
    print(f"threads={threads}; OpenBLAS kernel {openblas_core()}; FMA peak (float32) {peak32:.1f} GFLOP/s, "
          f"float64 half of it; {load_average()}")
    dtypes = ["float32", "float64"] if args.dtype == "both" else [args.dtype]
    shapes = [(n, n, n) for n in args.sizes] + TUTORIAL_SHAPES
    rng = np.random.default_rng(0)
    for dtype in dtypes:
        peak = peak32 if dtype == "float32" else peak32 / 2
        print(f"\n== {dtype} GEMM, GFLOP/s")
        print("%-16s %9s %9s %9s %9s %9s %9s %8s" % ("m x k x n", "pyengine", "torch", "numpy", "limit", "vs torch",
                                                    "vs numpy", "of peak"))
        for m, k, n in shapes:
            a_np = rng.standard_normal((m, k)).astype(dtype)
            b_np = rng.standard_normal((k, n)).astype(dtype)
            pa, pb = pyengine.from_numpy(a_np), pyengine.from_numpy(b_np)
            flops = 2.0 * m * k * n
            reps = min(200, max(3, int(1e9 / flops)))
            runs = {"pe": [], "torch": [], "np": []}
            fns = {"pe": lambda: pyengine.mm(pa, pb), "np": lambda: a_np @ b_np}
            if torch is not None:
                ta, tb = torch.from_numpy(a_np), torch.from_numpy(b_np)
                fns["torch"] = lambda: torch.mm(ta, tb)
            for _ in range(args.rounds):
                for key, fn in fns.items():
                    runs[key].append(bench(fn, reps))
            g = {key: flops / statistics.median(v) / 1e9 for key, v in runs.items() if v}
            sq = m == k == n
            print("%-16s %9.1f %9s %9.1f %9.1f %9s %8.2fx %7.0f%%%s" % (
                f"{m}x{k}x{n}", g["pe"], "%.1f" % g["torch"] if "torch" in g else "-", g["np"], peak,
                "%.2fx" % (g["pe"] / g["torch"]) if "torch" in g else "-", g["pe"] / g["np"],
                100 * g["pe"] / peak, "" if not sq or m < 512 else ("  (goal 80%% of peak: %s)" % (
                    "met" if g["pe"] >= 0.8 * peak else "MISSED"))))
        print("(vs = pyengine GFLOP/s / theirs: >= 1 meets 'at least numpy'; of peak: share of the FMA peak)")
    print(load_average())


if __name__ == "__main__":
    main()
