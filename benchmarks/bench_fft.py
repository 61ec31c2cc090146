"""torch.fft: pyengine (our mixed-radix + Bluestein kernel, computed in double), PyTorch and numpy.fft on the same
inputs in one process.

    python benchmarks/bench_fft.py [--threads N]

Each figure is the median of repeated runs; speed = torch time / pyengine time (> 1: pyengine faster), and the
numpy column is numpy's time (pocketfft, one thread). Sizes: powers of two, a 2-3-5-smooth size, a prime
(Bluestein) and the batched image-sized 2-D transform.
"""
from __future__ import annotations

import argparse

import numpy as np

from _common import fmt_time, load_average, median_time, setup_threads  # noqa: I001 (sets the path)

import pyengine as pe


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=None, help="threads for both (default: pyengine's default)")
    args = ap.parse_args()
    torch, threads = setup_threads(args.threads)
    print("torch.fft, %d thread(s); %s" % (threads, load_average()))
    rng = np.random.default_rng(0)
    cases = [("rfft  float32 64 x 4096", (64, 4096), "rfft", np.float32),
             ("fft   complex64 64 x 4096", (64, 4096), "fft", np.complex64),
             ("rfft  float64 64 x 4096", (64, 4096), "rfft", np.float64),
             ("fft   complex128 16 x 65536", (16, 65536), "fft", np.complex128),
             ("rfft  float32 256 x 1000 (2-3-5)", (256, 1000), "rfft", np.float32),
             ("fft   complex64 64 x 4099 (prime)", (64, 4099), "fft", np.complex64),
             ("irfft float32 64 x 2049 -> 4096", (64, 2049), "irfft", np.complex64),
             ("rfft2 float32 32 x 256 x 256", (32, 256, 256), "rfft2", np.float32)]
    print("%-38s %12s %12s %12s %9s" % ("workload", "pyengine", "torch", "numpy", "speed"))
    for name, shape, fn, dt in cases:
        a = rng.standard_normal(shape)
        if np.dtype(dt).kind == "c":
            a = a + 1j * rng.standard_normal(shape)
        a = a.astype(dt)
        x = pe.from_numpy(a)
        t_pe = median_time(lambda: getattr(pe.fft, fn)(x), repeat=5)
        t_th = None
        if torch is not None:
            xt = torch.from_numpy(a)
            t_th = median_time(lambda: getattr(torch.fft, fn)(xt), repeat=5)
        t_np = median_time(lambda: getattr(np.fft, fn)(a), repeat=5)
        print("%-38s %12s %12s %12s %9s" % (name, fmt_time(t_pe), fmt_time(t_th) if t_th else "-", fmt_time(t_np),
                                            "%.2fx" % (t_th / t_pe) if t_th else "-"))
    print("(speed = torch time / pyengine time; > 1 means pyengine is faster)")


if __name__ == "__main__":
    main()
