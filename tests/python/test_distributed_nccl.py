"""The nccl backend (CUDA tensors through NCCL) against numpy (fixtures/distributed/nccl_worker.py): one rank
on any real GPU, two ranks on a machine with two GPUs. Needs a real CUDA build (the emulated device has no
NCCL: NCCL drives real GPUs); on a machine with GPUs a build without NCCL fails here instead of skipping."""
import re

import pytest
from dist_testing import mpirun, requires_mpi

import pyengine as pe
import pyengine.distributed as dist


def _real_gpus() -> int:
    n = pe.cuda.device_count()
    if n and "emulated" in pe.cuda.get_device_name(0):
        return 0  # the emulated device of an EMULATE build is not a GPU NCCL can drive
    return n


pytestmark = [requires_mpi, pytest.mark.skipif(_real_gpus() == 0, reason="CUDA not available")]


def _run(np_: int) -> None:
    assert dist.is_nccl_available(), "a GPU is present but this build has no NCCL backend (pip install " \
                                     "nvidia-nccl-cu13 before building)"
    r = mpirun(np_, "nccl_worker.py", timeout=300)
    fails = [line for line in r.stdout.splitlines() if "FAIL" in line]
    assert not fails, "\n".join(fails[:40])
    done = re.findall(r"DONE (\d+) (\d+)", r.stdout)
    assert r.returncode == 0 and sorted(int(d[0]) for d in done) == list(range(np_)), r.stdout[-4000:]
    assert all(int(d[1]) > 300 for d in done), done


def test_nccl_one_rank():
    _run(1)


@pytest.mark.skipif(_real_gpus() < 2, reason="needs a CUDA device")
def test_nccl_two_ranks():
    _run(2)
