"""The whole LeNet training step (forward, cross_entropy, backward, SGD step with momentum) at batch 4 and 64,
pyengine beside PyTorch in one process (numpy has no autograd: '-'; the limit column is the step's
multiply-adds at the FMA peak measured in the same run). Issue 18's goals: at most 0.7x PyTorch's time at
batch 64 and 0.3x at batch 4. ``python benchmarks/bench_lenet_step.py [--threads N]``"""
from __future__ import annotations

import argparse

import numpy as np

from _common import fmt_time, import_torch, load_average, median_time  # noqa: I001 (sets the path first)

import pyengine as pe

GOALS = {4: 0.3, 64: 0.7}


def lenet_flops(batch: int) -> float:
    """Forward multiply-adds x 2 (flops) x 3 (forward + the two backward GEMMs) of the LeNet of 32x32 input."""
    conv1 = 28 * 28 * 6 * 3 * 25
    conv2 = 10 * 10 * 16 * 6 * 25
    fc = 400 * 120 + 120 * 84 + 84 * 10
    return 2.0 * 3.0 * batch * (conv1 + conv2 + fc)


def make_step(lib, batch: int, x_np, y_np):
    nn, F = lib.nn, lib.nn.functional

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(3, 6, 5), nn.Conv2d(6, 16, 5)
            self.fc1, self.fc2, self.fc3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = x.reshape(x.shape[0], -1)
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))

    lib.manual_seed(0)
    model = LeNet()
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = lib.from_numpy(x_np[:batch].copy()), lib.from_numpy(y_np[:batch].copy())

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return step


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    torch = import_torch()
    if args.threads:
        pe.set_num_threads(args.threads)
    if torch is not None:
        torch.set_num_threads(pe.get_num_threads())
    peak = pe._C._fma_peak_gflops(5)
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((64, 3, 32, 32)).astype(np.float32)
    y_np = rng.integers(0, 10, 64)
    print(f"threads {pe.get_num_threads()}; FMA peak {peak:.1f} GFLOP/s; {load_average()}")
    print("%-28s %10s %10s %8s %10s %9s %6s" % ("workload", "pyengine", "torch", "numpy", "limit", "vs torch",
                                              "goal"))
    for batch in (4, 64):
        t_pe = median_time(make_step(pe, batch, x_np, y_np), repeat=9)
        t_th = median_time(make_step(torch, batch, x_np, y_np), repeat=9) if torch is not None else None
        limit = lenet_flops(batch) / (peak * 1e9) if peak else None
        ratio = t_pe / t_th if t_th else None
        goal = GOALS[batch]
        print("%-28s %10s %10s %8s %10s %9s %6s  %s" % (
            f"LeNet train step, batch {batch}", fmt_time(t_pe), fmt_time(t_th) if t_th else "-", "-",
            fmt_time(limit) if limit else "-", "%.2fx" % ratio if ratio else "-", "%.1fx" % goal,
            "" if ratio is None else ("met" if ratio <= goal else "MISSED")))
    print("(vs torch = pyengine time / torch time: below the goal is met; limit = the step's flops at the FMA peak)")
    print(load_average())


if __name__ == "__main__":
    main()
