"""GPU workloads, pyengine beside PyTorch CUDA, in one process (issue 12):

    python benchmarks/gpu/bench_gpu.py [--sizes 16M,64M,256M] [--gemm 4096] [--repeat 20]

Elementwise add / relu / exp on float32 tensors of 16M to 256M elements, sum and sum(dim), softmax-sized
reductions (rows of 4096), and index / gather. Then the tensor-core GEMM (issue 13) on n^3: float16 and
bfloat16 (float32 accumulation; goal 0.6x cuBLAS), float32 with TF32 off (the SIMT kernel; goal 0.8x cuBLAS
with TF32 off) and float32 with TF32 on (both libraries' allow_tf32 set), in GFLOP/s. Each time is the median
of `repeat` runs, each bracketed by device synchronizations; the table gives the time, the effective memory
bandwidth (bytes read + written / time) and pyengine's throughput relative to PyTorch (> 1: faster). An op
with no pyengine CUDA kernel yet prints "no kernel". On the emulated device only the plumbing is exercised
(use --sizes 64K): its times mean nothing.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

import pyengine as pe  # noqa: E402

try:
    import torch  # noqa: E402
    HAVE_TORCH = torch.cuda.is_available()
except ImportError:  # pragma: no cover
    torch, HAVE_TORCH = None, False


def parse_size(s: str) -> int:
    s = s.strip().upper()
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(s[-1], 1)
    return int(s[:-1] if s[-1] in "KMG" else s) * mult


def gpu_time(fn, sync, repeat: int) -> float:
    fn()
    sync()
    times = []
    for _ in range(repeat):
        sync()
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def row(name: str, nbytes: float, pe_fn, torch_fn, repeat: int, unit: str = "GB/s") -> None:
    """nbytes / time in units of 1e9 `unit` (GB/s for memory-bound ops; GFLOP/s with a FLOP count)."""
    try:
        tp = gpu_time(pe_fn, pe.cuda.synchronize, repeat)
        pe_txt = "%9.3f ms %7.0f %s" % (tp * 1e3, nbytes / tp / 1e9, unit)
    except RuntimeError as e:
        tp, pe_txt = None, "%-25s" % ("no kernel" if "not implemented" in str(e) else "error: " + str(e)[:40])
    if HAVE_TORCH:
        tt = gpu_time(torch_fn, torch.cuda.synchronize, repeat)
        t_txt = "%9.3f ms %7.0f %s" % (tt * 1e3, nbytes / tt / 1e9, unit)
        ratio = "%6.2f" % (tt / tp) if tp else "   n/a"
    else:
        t_txt, ratio = "%-25s" % "(no torch CUDA)", "   n/a"
    print("%-34s %s   %s   %s" % (name, pe_txt, t_txt, ratio), flush=True)


def gemm_rows(n: int, repeat: int) -> None:
    """C = A @ B on n x n operands, pyengine beside torch.matmul with the same TF32 setting."""
    flops = 2.0 * n ** 3
    print("%-34s %-25s   %-25s   %s" % ("GEMM %d^3" % n, "pyengine", "torch", "pe/torch"))
    for dt, tf32 in (("float16", False), ("bfloat16", False), ("float32", False), ("float32", True)):
        pe.backends.cuda.matmul.allow_tf32 = tf32
        pa = pe.randn(n, n, device="cuda").to(getattr(pe, dt))
        pb = pe.randn(n, n, device="cuda").to(getattr(pe, dt))
        if HAVE_TORCH:
            torch.backends.cuda.matmul.allow_tf32 = tf32
            ta = torch.randn(n, n, device="cuda").to(getattr(torch, dt))
            tb = torch.randn(n, n, device="cuda").to(getattr(torch, dt))
        else:
            ta = tb = None
        name = "mm %s%s" % (dt, " TF32 on" if tf32 else (" TF32 off" if dt == "float32" else ""))
        row(name, flops, lambda: pa @ pb, lambda: torch.matmul(ta, tb), repeat, unit="GFLOP/s")
        del pa, pb, ta, tb
    pe.backends.cuda.matmul.allow_tf32 = False
    if HAVE_TORCH:
        torch.backends.cuda.matmul.allow_tf32 = False


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="16M,64M,256M")
    ap.add_argument("--gemm", default="4096", help="GEMM sizes n (n^3), comma-separated; empty: none")
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    print("device: %s%s" % (pe.cuda.get_device_name(), "" if not HAVE_TORCH else " | torch: " + torch.cuda.get_device_name()))
    print("%-34s %-25s   %-25s   %s" % ("workload", "pyengine", "torch", "pe/torch"))
    for n in (parse_size(s) for s in args.sizes.split(",")):
        tag = "%dM" % (n >> 20) if n >= 1 << 20 else "%dK" % (n >> 10)
        pa, pb = pe.randn(n, device="cuda"), pe.randn(n, device="cuda")
        ta, tb = (torch.randn(n, device="cuda"), torch.randn(n, device="cuda")) if HAVE_TORCH else (None, None)
        row("add f32 " + tag, 12 * n, lambda: pa + pb, lambda: ta + tb, args.repeat)
        row("relu f32 " + tag, 8 * n, lambda: pe.relu(pa), lambda: torch.relu(ta), args.repeat)
        row("exp f32 " + tag, 8 * n, lambda: pe.exp(pa), lambda: torch.exp(ta), args.repeat)
        row("sum f32 " + tag, 4 * n, lambda: pa.sum(), lambda: ta.sum(), args.repeat)
        rows = n // 4096
        p2, t2 = pa.view(rows, 4096), (ta.view(rows, 4096) if HAVE_TORCH else None)
        row("sum(dim=1) f32 %dx4096" % rows, 4 * n, lambda: p2.sum(1), lambda: t2.sum(1), args.repeat)
        row("sum(dim=0) f32 %dx4096" % rows, 4 * n, lambda: p2.sum(0), lambda: t2.sum(0), args.repeat)
        row("amax(dim=1) f32 %dx4096" % rows, 4 * n, lambda: p2.amax(1), lambda: t2.amax(1), args.repeat)
        row("logsumexp(dim=1) f32 %dx4096" % rows, 4 * n, lambda: p2.logsumexp(1), lambda: t2.logsumexp(1),
            args.repeat)
        m = n // 4
        pi = pe.randint(0, n, (m,)).cuda()
        ti = torch.randint(0, n, (m,), device="cuda") if HAVE_TORCH else None
        row("index x[idx] f32 %s idx" % ("%dM" % (m >> 20) if m >= 1 << 20 else "%dK" % (m >> 10)), 16 * m,
            lambda: pa[pi], lambda: ta[ti], args.repeat)
        pg = pe.randint(0, 4096, (rows, 1024)).cuda()
        tg = torch.randint(0, 4096, (rows, 1024), device="cuda") if HAVE_TORCH else None
        row("gather(dim=1) f32 %dx1024" % rows, 16 * rows * 1024, lambda: p2.gather(1, pg), lambda: t2.gather(1, tg),
            args.repeat)
        del pa, pb, ta, tb, p2, t2, pi, ti, pg, tg
        pe.cuda.empty_cache()
    for n in (int(s) for s in args.gemm.split(",") if s):
        gemm_rows(n, args.repeat)
        pe.cuda.empty_cache()


if __name__ == "__main__":
    main()
