"""GPU matrix products and nn workloads, pyengine beside PyTorch CUDA, in one process (issue 13):

    python benchmarks/gpu/bench_gpu_nn.py [--gemm 1024,4096] [--batches 64,256] [--repeat 10]

float32 / float64 GEMM on n^3 (PyTorch with TF32 off, as the issue's goal: at least 0.8x cuBLAS for float32
at 4096^3), float16 / bfloat16 products (the tensor-core kernel, float32 accumulation), conv2d forward and
backward of LeNet's and a ResNet-sized layer, and a LeNet training step (forward, cross_entropy, backward, SGD
with its default foreach step) at the given batch sizes, with pyengine's kernel launches and host
synchronisations per step (pyengine.cuda._launch_count / _sync_count; PyTorch's kernel count from its
profiler when available). Each time is the median of `repeat` runs bracketed by device synchronizations; the last
column is pyengine's throughput relative to PyTorch (> 1: faster). On the emulated device only the plumbing
runs (use --gemm 64 --batches 4 --convs lenet --repeat 1): its times mean nothing.
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


def row(name: str, flops: float, make, repeat: int) -> None:
    """make(lib) returns the workload closure for lib (pyengine or torch)."""
    try:
        tp = gpu_time(make(pe), pe.cuda.synchronize, repeat)
        pe_txt = "%9.3f ms %8.1f GFLOP/s" % (tp * 1e3, flops / tp / 1e9) if flops else "%9.3f ms%17s" % (tp * 1e3, "")
    except RuntimeError as e:
        tp, pe_txt = None, "%-29s" % ("no kernel" if "not implemented" in str(e) else "error: " + str(e)[:40])
    if HAVE_TORCH:
        tt = gpu_time(make(torch), torch.cuda.synchronize, repeat)
        t_txt = "%9.3f ms %8.1f GFLOP/s" % (tt * 1e3, flops / tt / 1e9) if flops else "%9.3f ms%17s" % (tt * 1e3, "")
        ratio = "%6.2f" % (tt / tp) if tp else "   n/a"
    else:
        t_txt, ratio = "%-29s" % "(no torch CUDA)", "   n/a"
    print("%-36s %s   %s   %s" % (name, pe_txt, t_txt, ratio), flush=True)


def gemm(n: int, dtype: str):
    def make(lib):
        dt = getattr(lib, dtype)
        a, b = lib.randn(n, n, device="cuda").to(dt), lib.randn(n, n, device="cuda").to(dt)
        return lambda: a @ b
    return make


def conv(n, c, hw, o, k, pad, backward: bool):
    def make(lib):
        x = lib.randn(n, c, hw, hw, device="cuda", requires_grad=backward)
        w = lib.randn(o, c, k, k, device="cuda", requires_grad=backward)
        if not backward:
            return lambda: lib.nn.functional.conv2d(x, w, padding=pad)
        return lambda: lib.nn.functional.conv2d(x, w, padding=pad).sum().backward()
    return make


def lenet_step(batch: int):
    def make(lib):
        nn = lib.nn
        lib.manual_seed(0)
        net = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                            nn.MaxPool2d(2), nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84),
                            nn.ReLU(), nn.Linear(84, 10)).to("cuda")
        opt = lib.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
        x = lib.randn(batch, 1, 28, 28, device="cuda")
        y = lib.randint(0, 10, (batch,), device="cuda")

        def step():
            opt.zero_grad()
            lib.nn.functional.cross_entropy(net(x), y).backward()
            opt.step()
        return step
    return make


def count_lenet_step(batch: int) -> None:
    """Kernel launches and host synchronisations of one LeNet training step (after a warm-up step)."""
    step = lenet_step(batch)(pe)
    step()
    pe.cuda.synchronize()
    l0, s0 = pe.cuda._launch_count(), pe.cuda._sync_count()
    step()
    launches, syncs = pe.cuda._launch_count() - l0, pe.cuda._sync_count() - s0
    torch_txt = ""
    if HAVE_TORCH:
        try:
            from torch.profiler import ProfilerActivity, profile
            tstep = lenet_step(batch)(torch)
            tstep()
            torch.cuda.synchronize()
            with profile(activities=[ProfilerActivity.CUDA]) as prof:
                tstep()
                torch.cuda.synchronize()
            kernels = sum(1 for e in prof.events() if e.device_type.name == "CUDA")
            torch_txt = ", torch: %d kernels" % kernels
        except Exception as e:  # the profiler is optional here  # noqa: BLE001
            torch_txt = ", torch: profiler unavailable (%s)" % type(e).__name__
    print("LeNet step, batch %d: pyengine %d kernel launches, %d host syncs%s" % (batch, launches, syncs, torch_txt),
          flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gemm", default="1024,4096")
    ap.add_argument("--batches", default="64,256")
    ap.add_argument("--convs", default="lenet,resnet", help="which conv layers: lenet, resnet (or none)")
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    if HAVE_TORCH:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    print("device: %s%s" % (pe.cuda.get_device_name(), "" if not HAVE_TORCH else " | torch: " + torch.cuda.get_device_name()))
    print("%-36s %-29s   %-29s   %s" % ("workload", "pyengine", "torch (TF32 off)", "pe/torch"))
    for n in (int(s) for s in args.gemm.split(",")):
        for dt in ("float32", "float64", "float16", "bfloat16"):
            row("mm %s %d^3" % (dt, n), 2.0 * n ** 3, gemm(n, dt), args.repeat)
    convs = {"lenet": ("LeNet conv2 64x6x12x12 -> 16, 5x5", (64, 6, 12, 16, 5, 0)),
             "resnet": ("ResNet conv 32x64x56x56 -> 64, 3x3", (32, 64, 56, 64, 3, 1))}
    for name, (n, c, hw, o, k, pad) in (convs[c] for c in args.convs.split(",") if c in convs):
        out = hw + 2 * pad - k + 1
        flops = 2.0 * n * o * out * out * c * k * k
        row(name + " fwd", flops, conv(n, c, hw, o, k, pad, False), args.repeat)
        row(name + " fwd+bwd", 3 * flops, conv(n, c, hw, o, k, pad, True), args.repeat)
    for b in (int(s) for s in args.batches.split(",")):
        row("LeNet training step, batch %d" % b, 0, lenet_step(b), args.repeat)
    for b in (int(s) for s in args.batches.split(",")):
        count_lenet_step(b)


if __name__ == "__main__":
    main()
