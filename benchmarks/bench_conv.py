"""conv2d forward + both backward kernels, pyengine vs PyTorch, on the tutorial LeNet shapes.

Same inputs for both engines, one process, median of timed runs after warm-up (pyengine and torch
calls alternate, so load from other processes hits both alike). PyTorch's backward
uses torch.nn.grad.conv2d_input / conv2d_weight (the same two kernels pyengine exposes as
_C._nn.conv2d_backward_input / conv2d_backward_weight); the bias gradient is a sum over N, H, W in
both. An "autograd" row also times the whole step against one torch autograd forward + backward.
Run: python benchmarks/bench_conv.py [--batch 64] [--threads N] [--repeat 30]
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def median_times(fa, fb, repeat: int, warmup: int = 3) -> tuple:
    """Median seconds of fa and of fb, timed alternately so that load changes on a shared machine
    hit both alike."""
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--threads", type=int, default=0, help="threads for both engines (0: their default)")
    args = ap.parse_args()

    import torch

    import pyengine as pe

    if args.threads:
        pe.set_num_threads(args.threads)
        torch.set_num_threads(args.threads)
    print(f"threads: pyengine {pe.get_num_threads()}, torch {torch.get_num_threads()}; batch {args.batch}")
    nn = pe._C._nn
    shapes = [("conv1 3->6 k5 32x32", (args.batch, 3, 32, 32), (6, 3, 5, 5)),
              ("conv2 6->16 k5 14x14", (args.batch, 6, 14, 14), (16, 6, 5, 5))]
    total_pe = total_torch = 0.0
    print(f"{'shape':24s} {'part':10s} {'pyengine ms':>12s} {'torch ms':>10s} {'ratio':>7s}")
    for name, xs, ws in shapes:
        rng = np.random.default_rng(0)
        x = rng.standard_normal(xs).astype(np.float32)
        w = rng.standard_normal(ws).astype(np.float32) * 0.1
        b = rng.standard_normal(ws[0]).astype(np.float32)
        px, pw, pb = pe.tensor(x), pe.tensor(w), pe.tensor(b)
        tx, tw, tb = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
        go = rng.standard_normal((xs[0], ws[0], xs[2] - ws[2] + 1, xs[3] - ws[3] + 1)).astype(np.float32)
        pgo, tgo = pe.tensor(go), torch.from_numpy(go)
        np.testing.assert_allclose(pe.conv2d(px, pw, pb).numpy(), torch.conv2d(tx, tw, tb).numpy(), rtol=1e-3,
                                   atol=1e-3)
        parts = {
            "forward": (lambda: pe.conv2d(px, pw, pb), lambda: torch.conv2d(tx, tw, tb)),
            "grad_in": (lambda: nn.conv2d_backward_input(pgo, pw, xs),
                        lambda: torch.nn.grad.conv2d_input(xs, tw, tgo)),
            "grad_w": (lambda: nn.conv2d_backward_weight(pgo, px, ws),
                       lambda: torch.nn.grad.conv2d_weight(tx, ws, tgo)),
            "grad_b": (lambda: nn.conv2d_backward_bias(pgo), lambda: tgo.sum((0, 2, 3))),
        }
        sum_pe = sum_torch = 0.0
        with torch.no_grad():
            for part, (fp, ft) in parts.items():
                tp, tt_ = median_times(fp, ft, args.repeat)
                sum_pe += tp
                sum_torch += tt_
                print(f"{name:24s} {part:10s} {tp * 1e3:12.3f} {tt_ * 1e3:10.3f} {tp / tt_:7.2f}")
        print(f"{name:24s} {'total':10s} {sum_pe * 1e3:12.3f} {sum_torch * 1e3:10.3f} {sum_pe / sum_torch:7.2f}")
        # The same step through torch autograd (forward + convolution_backward for input, weight, bias).
        txg, twg, tbg = tx.clone().requires_grad_(), tw.clone().requires_grad_(), tb.clone().requires_grad_()

        def torch_step():
            torch.conv2d(txg, twg, tbg).backward(tgo)

        def pe_step():
            pe.conv2d(px, pw, pb)
            nn.conv2d_backward_input(pgo, pw, xs)
            nn.conv2d_backward_weight(pgo, px, ws)
            nn.conv2d_backward_bias(pgo)

        tp, ta = median_times(pe_step, torch_step, args.repeat)
        print(f"{name:24s} {'autograd':10s} {tp * 1e3:12.3f} {ta * 1e3:10.3f} {tp / ta:7.2f}  "
              "(torch: one autograd step)")
        total_pe += sum_pe
        total_torch += sum_torch
    print(f"{'all':24s} {'total':10s} {total_pe * 1e3:12.3f} {total_torch * 1e3:10.3f} "
          f"{total_pe / total_torch:7.2f}  (target <= 1.25)")


if __name__ == "__main__":
    main()
