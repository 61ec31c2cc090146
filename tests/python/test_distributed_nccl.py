"""The nccl backend (CUDA tensors through NCCL) against numpy (fixtures/distributed/nccl_worker.py): one rank
on any real GPU, two ranks on a machine with two GPUs; a real CUDA build (NCCL drives real GPUs), and on a
machine with GPUs a build without NCCL fails here instead of skipping. On the emulated device (CI), the
backend's Python layer runs with NCCL replaced by a stand-in over MPI."""
import re

import pytest
from dist_testing import mpirun, requires_mpi

import pyengine as pe
import pyengine.distributed as dist


def _emulated() -> bool:
    return pe.cuda.device_count() > 0 and "emulated" in pe.cuda.get_device_name(0)


def _real_gpus() -> int:
    return 0 if _emulated() else pe.cuda.device_count()  # the emulated device is no GPU NCCL can drive


pytestmark = requires_mpi


def _run(np_: int, *args: str, min_checks: int = 300) -> None:
    r = mpirun(np_, "nccl_worker.py", *args, timeout=300)
    fails = [line for line in r.stdout.splitlines() if "FAIL" in line]
    assert not fails, "\n".join(fails[:40])
    done = re.findall(r"DONE (\d+) (\d+)", r.stdout)
    assert r.returncode == 0 and sorted(int(d[0]) for d in done) == list(range(np_)), r.stdout[-4000:]
    assert all(int(d[1]) > min_checks for d in done), done


def _require_nccl() -> None:
    assert dist.is_nccl_available(), "a GPU is present but this build has no NCCL backend (pip install " \
                                     "nvidia-nccl-cu13 before building)"


@pytest.mark.skipif(_real_gpus() == 0, reason="CUDA not available")
def test_nccl_one_rank():
    _require_nccl()
    _run(1)


@pytest.mark.skipif(_real_gpus() < 2, reason="needs a CUDA device")
def test_nccl_two_ranks():
    _require_nccl()
    _run(2)


@pytest.mark.skipif(not _emulated(), reason="CUDA not available" if pe.cuda.device_count() == 0 else
                    "only meaningful without a GPU")
def test_nccl_python_layer_on_the_emulated_device():
    """The backend's Python layer on 2 ranks, NCCL replaced by fixtures/distributed/nccl_stand_in.py
    (what CI can run: it has no GPU; the tests above run the real NCCL)."""
    _run(2, "--stand-in", min_checks=150)
