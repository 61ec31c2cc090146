"""The composite spatial ops (conv1d/conv3d/conv_transpose2d, reflect pad, interpolate, grid_sample, max_pool3d,
unfold, ctc_loss), pyengine vs PyTorch: forward, and forward + backward, float32, same inputs.

Median of alternating timed runs (so load from other processes hits both alike); ratio = torch time / pyengine
time (> 1: pyengine faster). Run: python benchmarks/bench_nn_spatial.py [--repeat 15] [--threads N]
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def median_times(fa, fb, repeat: int, warmup: int = 2) -> tuple:
    for _ in range(warmup):
        fa()
        fb()
    ta, tb = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fa()
        t1 = time.perf_counter()
        fb()
        t2 = time.perf_counter()
        ta.append(t1 - t0)
        tb.append(t2 - t1)
    return statistics.median(ta), statistics.median(tb)


def workloads(pe, torch):
    rng = np.random.default_rng(0)

    def arr(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    x1, w1 = arr(16, 32, 256), arr(64, 32, 5) * 0.1
    x3, w3 = arr(4, 8, 16, 32, 32), arr(16, 8, 3, 3, 3) * 0.1
    xt, wt = arr(8, 32, 16, 16), arr(32, 16, 4, 4) * 0.1
    img = arr(8, 16, 64, 64)
    grid = rng.uniform(-1, 1, (8, 48, 48, 2)).astype(np.float32)
    lp = np.log(rng.dirichlet(np.ones(20), size=(50, 8))).astype(np.float32)
    tg = rng.integers(1, 20, (8, 12))
    return [
        ("conv1d 16x32x256 k5 ->64", lambda m: m.nn.functional.conv1d, (x1, w1), dict(padding=2)),
        ("conv3d 4x8x16x32x32 k3 ->16", lambda m: m.nn.functional.conv3d, (x3, w3), dict(padding=1)),
        ("conv_transpose2d 8x32x16x16 k4 s2", lambda m: m.nn.functional.conv_transpose2d, (xt, wt),
         dict(stride=2, padding=1)),
        ("pad reflect 8x16x64x64 (3,3,3,3)", lambda m: m.nn.functional.pad, (img,), dict(pad=(3, 3, 3, 3),
                                                                                          mode="reflect")),
        ("interpolate bilinear 64->128", lambda m: m.nn.functional.interpolate, (img,),
         dict(scale_factor=2, mode="bilinear", align_corners=False)),
        ("interpolate bicubic 64->96", lambda m: m.nn.functional.interpolate, (img,),
         dict(size=(96, 96), mode="bicubic", align_corners=False)),
        ("interpolate nearest 64->128", lambda m: m.nn.functional.interpolate, (img,), dict(scale_factor=2)),
        ("grid_sample bilinear 64x64 -> 48x48", lambda m: m.nn.functional.grid_sample, (img, grid),
         dict(align_corners=False)),
        ("max_pool3d 4x8x16x32x32 k2", lambda m: m.nn.functional.max_pool3d, (x3,), dict(kernel_size=2)),
        ("unfold 8x16x64x64 k3", lambda m: m.nn.functional.unfold, (img,), dict(kernel_size=3, padding=1)),
        ("ctc_loss T50 N8 C20 S12", lambda m: m.nn.functional.ctc_loss, (lp,),
         dict(targets=tg, input_lengths=[50] * 8, target_lengths=[12] * 8)),
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--threads", type=int, default=0, help="threads for both engines (0: their default)")
    args = ap.parse_args()

    import torch

    import pyengine as pe

    if args.threads:
        pe.set_num_threads(args.threads)
        torch.set_num_threads(args.threads)
    print(f"threads: pyengine {pe.get_num_threads()}, torch {torch.get_num_threads()}")
    print(f"{'workload':38s} {'part':8s} {'pyengine ms':>12s} {'torch ms':>10s} {'ratio':>7s}")
    for name, fn, arrays, kw in workloads(pe, torch):
        def tensors(m, grad):
            ts = [m.tensor(a, requires_grad=grad) for a in arrays]
            k = {key: (m.tensor(v) if isinstance(v, np.ndarray) else v) for key, v in kw.items()}
            if "input_lengths" in k:
                k["input_lengths"] = m.tensor(k["input_lengths"])
                k["target_lengths"] = m.tensor(k["target_lengths"])
            return ts, k

        for part in ("fwd", "fwd+bwd"):
            grad = part != "fwd"

            def run(m):
                ts, k = tensors(m, grad)
                out = fn(m)(*ts, **k)
                if grad:
                    out.sum().backward()

            tp, tt = median_times(lambda: run(pe), lambda: run(torch), args.repeat)
            print(f"{name:38s} {part:8s} {tp * 1e3:12.2f} {tt * 1e3:10.2f} {tt / tp:7.2f}")


if __name__ == "__main__":
    main()
