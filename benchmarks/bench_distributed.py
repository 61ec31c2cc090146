"""pyengine.distributed on Open MPI: `python benchmarks/bench_distributed.py` (it starts the MPI jobs itself).

1. all_reduce (SUM, float32, 2 ranks) from 1 KB to 64 MB: pyengine's dist.all_reduce on a tensor against
   mpi4py's own Allreduce on a numpy array of the same size, in the same job, alternating; algorithm bandwidth
   = bytes / time, ratio = pyengine / mpi4py (goal >= 0.9: no copies of ours on the way). pyengine starts
   every collective nonblocking (MPI_Iallreduce) and polls it, for timeouts and fault reports; Open MPI's
   nonblocking collectives (libnbc) are slower than its blocking ones for small messages, so ratio-nb
   compares with mpi4py's Iallreduce + Wait as well: that is the cost of our own layer.
2. DDP training step on the tutorial LeNet, the same global batch: 1 rank (plain module) against 2 ranks (DDP,
   half the batch each), median step time (forward, backward with the gradient all-reduce, SGD step).
3. How much of the gradient all-reduce backward hides: the all-reduce of the same buckets run alone takes
   T_comm; the DDP step takes T_ddp and the same step under no_sync() (same work, no communication) T_local,
   both counted at the slowest rank; hidden = 1 - (T_ddp - T_local) / T_comm. On a loaded machine the ranks
   drift apart and the difference is noise: read it on a quiet machine with a core per rank. (Measured on the
   2 shared cores of the development machine, load ~15: after 35 ms of computing, a 240 KB all-reduce takes
   ~30 ms with pyengine and ~65 ms with mpi4py's blocking Allreduce, against 0.23 ms for both right after a
   barrier; the scheduler, not the communication, sets the wait at the end of backward there.) With the default buckets LeNet's 0.24 MB
   of gradients are one bucket, started when the last gradient is ready, so nothing can hide; a small
   bucket_cap_mb splits them so the first buckets travel while backward goes on.
Needs mpi4py and Open MPI's mpirun.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

SIZES = [1 << k for k in range(10, 27, 2)]  # 1 KB .. 64 MB


def _median(fn, repeat: int, inner: int) -> float:
    fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner)
    return statistics.median(samples)


def worker_allreduce() -> dict:
    import numpy as np

    import pyengine as torch
    import pyengine.distributed as dist
    dist.init_process_group("mpi")  # first: it sets Open MPI's defaults (Note [Ring all-reduce]) before MPI starts
    from mpi4py import MPI
    comm = MPI.COMM_WORLD.Dup()
    out = {}
    for nbytes in SIZES:
        n = nbytes // 4
        t = torch.ones(n)
        a = np.ones(n, dtype=np.float32)
        inner = max(1, min(200, (1 << 22) // nbytes))
        ours, theirs, nb = [], [], []
        for _ in range(5):  # alternate, so all three see the same machine load
            comm.Barrier()
            ours.append(_median(lambda: dist.all_reduce(t), 3, inner))
            comm.Barrier()
            theirs.append(_median(lambda: comm.Allreduce(MPI.IN_PLACE, a, MPI.SUM), 3, inner))
            comm.Barrier()
            nb.append(_median(lambda: comm.Iallreduce(MPI.IN_PLACE, a, MPI.SUM).Wait(), 3, inner))
        out[nbytes] = (statistics.median(ours), statistics.median(theirs), statistics.median(nb))
    dist.destroy_process_group()
    return out


def worker_ddp(global_batch: int, steps: int, bucket_cap_mb: float) -> dict:
    import pyengine as torch
    import pyengine.distributed as dist
    import pyengine.nn.functional as F
    from pyengine.examples.lenet import LeNet
    from pyengine.nn.parallel import DistributedDataParallel as DDP
    dist.init_process_group("mpi")
    n, r = dist.get_world_size(), dist.get_rank()
    torch.manual_seed(0)
    model = LeNet()
    net = DDP(model, bucket_cap_mb=bucket_cap_mb) if n > 1 else model
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    x = torch.randn(global_batch, 1, 32, 32).chunk(n)[r]
    y = torch.randint(0, 10, (global_batch,)).chunk(n)[r]

    def step():
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()

    def timed() -> float:
        """Median step time, each step counted at its slowest rank (a synchronized step waits for it)."""
        times = []
        for _ in range(steps):
            dist.barrier()
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
        slowest = torch.tensor(times, dtype=torch.float64)
        dist.all_reduce(slowest, op=dist.ReduceOp.MAX)
        return statistics.median(slowest.tolist())
    for _ in range(3):
        step()
    wait0 = getattr(net, "_comm_wait_seconds", 0.0)
    result = {"step": timed()}
    if n > 1:
        result["wait"] = (net._comm_wait_seconds - wait0) / steps
        with net.no_sync():  # the same local work without any communication
            result["nosync"] = timed()
        bufs = [b.buffer for b in net._buckets]

        def comm_alone():
            works = [dist.all_reduce(b, async_op=True) for b in bufs]
            for w in works:
                w.wait()
        dist.barrier()
        result["comm"] = _median(comm_alone, 5, 20)
        result["buckets"] = len(bufs)
    dist.destroy_process_group()
    return result


def _mpirun(np_: int, *args: str) -> dict:
    from pyengine.multiprocessing.spawn import clean_mpi_env, mpirun_command
    env = clean_mpi_env()
    env.setdefault("OMP_NUM_THREADS", "1")
    cmd = mpirun_command(np_, [sys.executable, os.path.abspath(__file__), "--worker", *args])
    out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True, check=True).stdout
    return json.loads(next(line for line in out.splitlines() if line.startswith("{")))


def _fmt_bytes(n: int) -> str:
    return f"{n >> 20} MB" if n >= 1 << 20 else f"{n >> 10} KB"


def main() -> None:
    print("all_reduce SUM float32, 2 ranks (Open MPI, shared memory transport)")
    print("(mpi4py: its blocking Allreduce; mpi4py-nb: its Iallreduce + Wait, the MPI call pyengine makes)")
    print(f"{'size':>7} {'pyengine':>11} {'mpi4py':>11} {'mpi4py-nb':>11} {'pe GB/s':>8} {'mpi GB/s':>8} "
          f"{'ratio':>6} {'ratio-nb':>8}")
    res = _mpirun(2, "allreduce")
    for nbytes in SIZES:
        ours, theirs, nb = res[str(nbytes)]
        print(f"{_fmt_bytes(nbytes):>7} {ours * 1e6:9.1f}us {theirs * 1e6:9.1f}us {nb * 1e6:9.1f}us "
              f"{nbytes / ours / 1e9:8.3f} {nbytes / theirs / 1e9:8.3f} {theirs / ours:6.2f} {nb / ours:8.2f}")
    batch, steps = 64, 15
    one = _mpirun(1, "ddp", str(batch), str(steps), "25")
    print(f"\nLeNet training step, global batch {batch} (median of {steps}):")
    print(f"  1 rank  (plain module, batch {batch}):        {one['step'] * 1e3:7.2f} ms")
    for cap in (25.0, 0.05):
        two = _mpirun(2, "ddp", str(batch), str(steps), str(cap))
        exposed = max(0.0, two["step"] - two["nosync"])
        hidden = min(1.0, max(0.0, 1.0 - exposed / two["comm"])) if two["comm"] > 0 else 0.0
        print(f"  2 ranks (DDP, batch {batch // 2} each, bucket_cap_mb={cap:g}, {two['buckets']} bucket(s)): "
              f"{two['step'] * 1e3:7.2f} ms  speedup {one['step'] / two['step']:.2f}x")
        print(f"      same step without communication (no_sync) {two['nosync'] * 1e3:.2f} ms; the buckets' all-reduce "
              f"alone {two['comm'] * 1e3:.3f} ms; step - no_sync step = {exposed * 1e3:.3f} ms exposed: "
              f"{hidden * 100:.0f}% hidden (backward's final wait {two['wait'] * 1e3:.3f} ms, rank skew included)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        kind = sys.argv[2]
        if kind == "allreduce":
            r = worker_allreduce()
        else:
            r = worker_ddp(int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
        from mpi4py import MPI
        if MPI.COMM_WORLD.Get_rank() == 0:
            print(json.dumps(r), flush=True)
    else:
        main()
