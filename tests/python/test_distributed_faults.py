"""A rank that raises, exits, is killed or hangs: the job ends within the timeout with an error naming the
rank, and no process is left behind (fixtures/distributed/faults_worker.py)."""
import time

import pytest

from dist_testing import mpirun, requires_mpi

pytestmark = requires_mpi


def _run(mode):
    start = time.monotonic()
    r = mpirun(2, "faults_worker.py", mode, timeout=60)
    return r, time.monotonic() - start


def test_rank_that_raises_is_named_by_the_others():
    r, secs = _run("raise")
    assert r.returncode != 0
    assert "ValueError: boom from rank 1" in r.stdout
    # rank 0 was waiting in all_reduce: it fails with an error that names rank 1 and its exception
    assert "DistBackendError: [rank 0] all_reduce failed: rank 1 failed with ValueError: boom from rank 1" \
        in r.stdout, r.stdout[-3000:]
    assert "UNREACHABLE" not in r.stdout
    assert secs < 30


@pytest.mark.parametrize("mode", ["exit", "kill"])
def test_rank_that_dies_ends_the_job(mode):
    r, secs = _run(mode)
    assert r.returncode != 0
    assert "UNREACHABLE" not in r.stdout
    # Open MPI's runtime sees the death, stops the other rank and names the dead one
    assert "rank 1" in r.stdout or "[[" in r.stdout and ",1]" in r.stdout, r.stdout[-3000:]
    assert secs < 30


def test_timeout_raises_instead_of_hanging():
    r, secs = _run("hang")
    assert r.returncode != 0
    assert "DistBackendError: [rank 0] all_reduce timed out after 3 seconds" in r.stdout, r.stdout[-3000:]
    assert secs < 30
