"""``python -m pyengine.distributed.run``: a torchrun-like launcher over Open MPI's mpirun.

    python -m pyengine.distributed.run --nproc-per-node 4 train.py --epochs 3
    python -m pyengine.distributed.run --nnodes 2 --nproc-per-node 8 --hostfile hosts train.py

It starts nnodes * nproc_per_node ranks with one ``mpirun`` (on the hosts of ``--hostfile``, the
MPI installation's hostfile format, ``nproc_per_node`` ranks per host), so the ranks form one MPI
world (Note [Joining one MPI world]). Each rank runs the script unmodified with RANK, LOCAL_RANK,
WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR and MASTER_PORT set as torchrun sets them,
so ``init_process_group("gloo")`` (env://) just works. The exit code is mpirun's: non-zero when a
rank failed, and then mpirun has stopped the other ranks and named the failed one.
"""
from __future__ import annotations

import argparse
import os
import shlex
import socket
import subprocess
import sys


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pyengine.distributed.run",
                                description="Start a distributed pyengine job under Open MPI (torchrun-like).")
    p.add_argument("--nproc-per-node", "--nproc_per_node", default="1",
                   help="ranks per node: a number, or 'cpu'/'auto' for the number of CPUs")
    p.add_argument("--nnodes", default="1", help="number of nodes (needs --hostfile when more than 1)")
    p.add_argument("--hostfile", "--host-file", default=None,
                   help="Open MPI hostfile listing the nodes (one 'host slots=N' per line)")
    p.add_argument("--master-addr", "--master_addr", default=None, help="MASTER_ADDR given to the ranks")
    p.add_argument("--master-port", "--master_port", type=int, default=None, help="MASTER_PORT given to the ranks")
    p.add_argument("--node-rank", "--node_rank", type=int, default=0,
                   help="accepted for torchrun compatibility: mpirun starts every node from this one, so 0 only")
    p.add_argument("--standalone", action="store_true", help="accepted for torchrun compatibility (single node)")
    p.add_argument("--mpirun-args", default="", help="extra options for mpirun, as one string")
    p.add_argument("-m", "--module", action="store_true", help="run the target as a module (python -m)")
    p.add_argument("--no-python", "--no_python", action="store_true",
                   help="run the target as an executable, not with python")
    p.add_argument("training_script", help="the script (or module with -m) each rank runs")
    p.add_argument("training_script_args", nargs=argparse.REMAINDER)
    return p


def build_command(args: argparse.Namespace) -> tuple[list, dict]:
    from pyengine.multiprocessing.spawn import clean_mpi_env, mpirun_command
    nproc = os.cpu_count() if args.nproc_per_node in ("cpu", "auto") else int(args.nproc_per_node)
    nnodes = int(args.nnodes)
    if nproc < 1 or nnodes < 1:
        raise SystemExit("--nproc-per-node and --nnodes must be at least 1")
    if args.node_rank != 0:
        raise SystemExit("--node-rank: mpirun starts the ranks of every node from one launch; run the launcher on "
                         "one node only (node rank 0) with --hostfile listing all nodes")
    if nnodes > 1 and not args.hostfile:
        raise SystemExit(f"--nnodes {nnodes} needs --hostfile naming the nodes (see docs/distributed.md)")
    env = clean_mpi_env()
    env["MASTER_ADDR"] = args.master_addr or (socket.gethostname() if nnodes > 1 else "127.0.0.1")
    env["MASTER_PORT"] = str(args.master_port or _free_port())
    extra = ["-x", "MASTER_ADDR", "-x", "MASTER_PORT"]
    for var in ("PYTHONPATH", "OMP_NUM_THREADS"):
        if var in env:
            extra += ["-x", var]
    if args.hostfile:
        extra += ["--hostfile", args.hostfile, "--map-by", f"ppr:{nproc}:node"]
    extra += shlex.split(args.mpirun_args)
    target = [] if args.no_python else [sys.executable, "-m", "pyengine.distributed._rank_main"]
    if args.module and not args.no_python:
        target.append("-m")
    cmd = mpirun_command(nproc * nnodes, extra) + target + [args.training_script] + list(args.training_script_args)
    return cmd, env


def main(argv: list | None = None) -> int:
    args = _parser().parse_args(argv)
    cmd, env = build_command(args)
    proc = subprocess.Popen(cmd, env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        return proc.wait()


if __name__ == "__main__":
    sys.exit(main())
