"""The launcher (python -m pyengine.distributed.run) runs an unmodified PyTorch DDP script, mp.spawn runs the
tutorial's DDP demo, and init_process_group explains what it cannot do (no MPI launch, no NCCL)."""
import os

import pytest
from dist_testing import REPO, python, requires_mpi

import pyengine
import pyengine.distributed as dist

FIXTURES = os.path.join(REPO, "tests", "python", "fixtures")


@requires_mpi
def test_launcher_runs_unmodified_ddp_script(tmp_path):
    ckpt = str(tmp_path / "ddp.pt")
    r = python("-m", "pyengine.distributed.run", "--nproc_per_node", "2", os.path.join(FIXTURES, "ddp_example.py"),
               "--epochs", "2", "--checkpoint", ckpt, timeout=120)
    assert r.returncode == 0, r.stdout[-4000:]
    for rank in range(2):
        assert f"Start running basic DDP example on rank {rank} (local rank {rank}) of 2." in r.stdout
        assert f"Finished running basic DDP example on rank {rank}." in r.stdout
    sums = next(line for line in r.stdout.splitlines() if line.startswith("checksums")).split()[1:]
    assert len(sums) == 2 and sums[0] == sums[1]  # the replicas stayed identical
    state = pyengine.load(ckpt)
    assert sorted(state) == ["module.net1.bias", "module.net1.weight", "module.net2.bias", "module.net2.weight"]


def test_launcher_command_line():
    from pyengine.distributed.run import _parser, build_command
    cmd, env = build_command(_parser().parse_args(["--nproc-per-node", "3", "train.py", "--lr", "0.1"]))
    assert cmd[cmd.index("-np") + 1] == "3" and cmd[-3:] == ["train.py", "--lr", "0.1"]
    assert cmd[-5:-3] == ["-m", "pyengine.distributed._rank_main"]
    assert env["MASTER_ADDR"] == "127.0.0.1" and int(env["MASTER_PORT"]) > 0
    cmd, env = build_command(_parser().parse_args(["--nnodes", "2", "--nproc_per_node", "4", "--hostfile", "hosts",
                                                   "--master-port", "29400", "-m", "pkg.train"]))
    assert cmd[cmd.index("-np") + 1] == "8" and env["MASTER_PORT"] == "29400"
    assert cmd[cmd.index("--hostfile") + 1] == "hosts" and cmd[cmd.index("--map-by") + 1] == "ppr:4:node"
    assert cmd[-3:] == ["pyengine.distributed._rank_main", "-m", "pkg.train"]
    with pytest.raises(SystemExit, match="needs --hostfile"):
        build_command(_parser().parse_args(["--nnodes", "2", "train.py"]))


@requires_mpi
def test_mp_spawn_ddp_tutorial_runs():
    r = python("-m", "pyengine.run", os.path.join(FIXTURES, "ddp_spawn_example.py"), "2", timeout=120)
    assert r.returncode == 0, r.stdout[-4000:]
    assert "replicas agree: True" in r.stdout
    assert r.stdout.count("Finished running basic DDP example") == 2


@requires_mpi
def test_init_outside_an_mpi_launch_and_single_process_world():
    code = ("import os, pyengine as t, pyengine.distributed as d\n"
            "try:\n"
            "    d.init_process_group('gloo', init_method='tcp://127.0.0.1:29511', rank=0, world_size=2)\n"
            "except RuntimeError as e:\n"
            "    print('ERROR', e)\n"
            "os.environ.update(RANK='0', WORLD_SIZE='1', MASTER_ADDR='localhost', MASTER_PORT='29500')\n"
            "d.init_process_group('mpi')\n"
            "x = t.arange(4.0); d.all_reduce(x); w = d.broadcast(x, 0, async_op=True); w.wait()\n"
            "print(d.get_rank(), d.get_world_size(), d.get_backend(), x.tolist(), w.is_completed())\n"
            "d.destroy_process_group(); print(d.is_initialized())\n"
            "d.init_process_group('gloo', init_method='file:///tmp/x', rank=0, world_size=1); print(d.get_backend())\n")
    r = python("-c", code, timeout=60)
    assert r.returncode == 0, r.stdout[-2000:]
    assert "must be started together by an MPI launcher" in r.stdout.split("ERROR", 1)[1]
    assert "0 1 mpi [0.0, 1.0, 2.0, 3.0] True\nFalse\ngloo" in r.stdout


def test_backends_and_errors():
    assert dist.is_available()
    assert not dist.is_initialized()
    if not dist.is_nccl_available():  # a CPU or emulated build (a real CUDA build with NCCL has it)
        with pytest.raises(RuntimeError, match="Distributed package doesn't have NCCL built in"):
            dist.init_process_group("nccl")
        with pytest.raises(RuntimeError, match="Distributed package doesn't have NCCL built in"):
            dist.init_process_group("cuda:nccl")
    with pytest.raises(ValueError, match="Invalid backend"):
        dist.init_process_group("smoke-signals")
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.get_rank()
    assert dist.ReduceOp.AVG != dist.ReduceOp.SUM


@requires_mpi
def test_unknown_init_method():
    with pytest.raises(ValueError, match="No rendezvous handler for udp://"):
        dist.init_process_group("gloo", init_method="udp://x:1")
