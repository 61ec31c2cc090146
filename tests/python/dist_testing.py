"""Running test scripts as MPI jobs for the distributed tests (tests/python/test_distributed_*.py).

Each test starts one ``mpirun`` (np ranks, oversubscribed: this machine has 2 cores) on a worker
script from fixtures/distributed/ and checks its exit status and output; a worker does many checks
per launch so the whole distributed suite stays well under a minute.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "distributed")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

requires_mpi = pytest.mark.skipif(
    importlib.util.find_spec("mpi4py") is None or shutil.which("mpirun") is None,
    reason="Open MPI / mpi4py not installed")


def env() -> dict:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("OMPI_", "PMIX_"))}
    e["PYTHONPATH"] = os.pathsep.join(p for p in (REPO, e.get("PYTHONPATH")) if p)
    e["OMP_NUM_THREADS"] = "1"
    return e


def mpirun(np: int, script: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Runs fixtures/distributed/<script> on np ranks; stdout+stderr together in .stdout."""
    cmd = ["mpirun", "-np", str(np), "--oversubscribe"]
    if os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    cmd += [sys.executable, os.path.join(FIXTURES, script), *args]
    return subprocess.run(cmd, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False,
                          timeout=timeout)


def python(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          check=False, text=True, timeout=timeout)
