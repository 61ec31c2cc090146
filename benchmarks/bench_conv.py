"""conv2d forward + both backward kernels, pyengine vs PyTorch, on the tutorial LeNet shapes.

Same inputs for both engines, one process, median of timed runs after warm-up (pyengine and torch
calls alternate, so load from other processes hits both alike). PyTorch's backward
uses torch.nn.grad.conv2d_input / conv2d_weight (the same two kernels pyengine exposes as
_C._nn.conv2d_backward_input / conv2d_backward_weight); the bias gradient is a sum over N, H, W in
both. An "autograd" row also times the whole step against one torch autograd forward + backward.
Columns: pyengine, PyTorch, numpy ('-': no conv), limit (the part's flops at the FMA peak measured in this run),
ratio = pyengine time / PyTorch time. Issue 18's goal: forward and forward+backward at most 0.8x PyTorch's time
at batch 4 and 64.
Run: python benchmarks/bench_conv.py [--batch 4 64] [--threads N] [--repeat 30]
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
    ap.add_argument("--batch", type=int, nargs="+", default=[4, 64])
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--threads", type=int, default=0, help="threads for both engines (0: their default)")
    args = ap.parse_args()

    import torch

    import pyengine as pe

    if args.threads:
        pe.set_num_threads(args.threads)
        torch.set_num_threads(args.threads)
    peak = pe._C._fma_peak_gflops(5) * 1e9
    print(f"threads: pyengine {pe.get_num_threads()}, torch {torch.get_num_threads()}; FMA peak "
          f"{peak / 1e9:.1f} GFLOP/s; load average %.2f %.2f %.2f" % __import__("os").getloadavg())
    nn = pe._C._nn
    print(f"{'shape':30s} {'part':10s} {'pyengine ms':>12s} {'torch ms':>10s} {'numpy':>6s} {'limit ms':>9s} "
          f"{'ratio':>7s} {'goal':>5s}")

    def row(name, part, tp, tt_, flops, goal=None):
        limit = "%9.3f" % (flops / peak * 1e3) if flops else "%9s" % "-"
        verdict = "" if goal is None else ("  met" if tp / tt_ <= goal else "  MISSED")
        print(f"{name:30s} {part:10s} {tp * 1e3:12.3f} {tt_ * 1e3:10.3f} {'-':>6s} {limit} {tp / tt_:7.2f} "
              f"{'' if goal is None else '%.1fx' % goal:>5s}{verdict}")

    for batch in args.batch:
        shapes = [(f"conv1 3->6 k5 32x32 b{batch}", (batch, 3, 32, 32), (6, 3, 5, 5)),
                  (f"conv2 6->16 k5 14x14 b{batch}", (batch, 6, 14, 14), (16, 6, 5, 5))]
        for name, xs, ws in shapes:
            rng = np.random.default_rng(0)
            x = rng.standard_normal(xs).astype(np.float32)
            w = rng.standard_normal(ws).astype(np.float32) * 0.1
            b = rng.standard_normal(ws[0]).astype(np.float32)
            px, pw, pb = pe.tensor(x), pe.tensor(w), pe.tensor(b)
            tx, tw, tb = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
            oh, ow = xs[2] - ws[2] + 1, xs[3] - ws[3] + 1
            go = rng.standard_normal((xs[0], ws[0], oh, ow)).astype(np.float32)
            pgo, tgo = pe.tensor(go), torch.from_numpy(go)
            np.testing.assert_allclose(pe.conv2d(px, pw, pb).numpy(), torch.conv2d(tx, tw, tb).numpy(), rtol=1e-3,
                                       atol=1e-3)
            flops = 2.0 * xs[0] * ws[0] * oh * ow * ws[1] * ws[2] * ws[3]  # one of forward / grad_in / grad_w
            parts = {
                "forward": (lambda: pe.conv2d(px, pw, pb), lambda: torch.conv2d(tx, tw, tb), flops, 0.8),
                "grad_in": (lambda: nn.conv2d_backward_input(pgo, pw, xs),
                            lambda: torch.nn.grad.conv2d_input(xs, tw, tgo), flops, None),
                "grad_w": (lambda: nn.conv2d_backward_weight(pgo, px, ws),
                           lambda: torch.nn.grad.conv2d_weight(tx, ws, tgo), flops, None),
                "grad_b": (lambda: nn.conv2d_backward_bias(pgo), lambda: tgo.sum((0, 2, 3)), 0, None),
            }
            with torch.no_grad():
                for part, (fp, ft, fl, goal) in parts.items():
                    tp, tt_ = median_times(fp, ft, args.repeat)
                    row(name, part, tp, tt_, fl, goal)
            # forward + backward: pyengine's kernels against one torch autograd step (forward + convolution_backward)
            txg, twg, tbg = tx.clone().requires_grad_(), tw.clone().requires_grad_(), tb.clone().requires_grad_()

            def torch_step():
                torch.conv2d(txg, twg, tbg).backward(tgo)

            def pe_step():
                pe.conv2d(px, pw, pb)
                nn.conv2d_backward_input(pgo, pw, xs)
                nn.conv2d_backward_weight(pgo, px, ws)
                nn.conv2d_backward_bias(pgo)

            tp, ta = median_times(pe_step, torch_step, args.repeat)
            row(name, "fwd+bwd", tp, ta, 3 * flops, 0.8)
    print("(ratio = pyengine time / torch time; goal: forward and fwd+bwd at most 0.8x)")


if __name__ == "__main__":
    main()
