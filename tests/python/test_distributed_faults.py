"""A rank that raises, is killed or hangs: the job ends within the timeout with an error naming the
rank, and no process is left behind (fixtures/distributed/faults_worker.py)."""
import os
import time

from dist_testing import mpirun, requires_mpi

pytestmark = requires_mpi


def _leftovers() -> list:
    """Processes still running the fault worker (there must be none once mpirun has returned)."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"faults_worker.py" in f.read():
                    pids.append(int(pid))
        except OSError:
            pass
    return pids


def _run(mode):
    start = time.monotonic()
    r = mpirun(2, "faults_worker.py", mode, timeout=60)
    secs = time.monotonic() - start
    assert _leftovers() == []
    return r, secs


def test_rank_that_raises_is_named_by_the_others():
    r, secs = _run("raise")
    assert r.returncode != 0
    assert "ValueError: boom from rank 1" in r.stdout
    # rank 0 was waiting in all_reduce: it fails with an error that names rank 1 and its exception
    assert "DistBackendError: [rank 0] all_reduce failed: rank 1 failed with ValueError: boom from rank 1" \
        in r.stdout, r.stdout[-3000:]
    assert "UNREACHABLE" not in r.stdout
    assert secs < 30


def test_rank_that_is_killed_ends_the_job():
    r, secs = _run("kill")
    assert r.returncode != 0
    assert "UNREACHABLE" not in r.stdout
    # Open MPI's runtime sees the death, stops the other rank and names the dead one
    assert "rank 1" in r.stdout or "[[" in r.stdout and ",1]" in r.stdout, r.stdout[-3000:]
    assert secs < 30


def test_timeout_raises_instead_of_hanging():
    r, secs = _run("hang")
    assert r.returncode != 0
    assert "DistBackendError: [rank 0] all_reduce timed out after 2 seconds" in r.stdout, r.stdout[-3000:]
    assert secs < 30
