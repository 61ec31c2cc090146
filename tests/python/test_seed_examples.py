"""The seed-example corpus (../shared/seed_examples beside the clone), one test case per script, on pyengine.

Each ``sNNN_*.py`` runs in its own subprocess with ``SEED_ENGINE=pyengine`` and the repository root on
PYTHONPATH, exactly as ``run_all.py`` runs it: it passes when it exits 0 and its last output line is
``OK <script file>``. The corpus is not part of the repository; a user's clone has no ../shared, and only then
are these cases skipped. ``$PYENGINE_SHARED`` points at another shared directory (e.g. from a git worktree).
"""
from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SHARED = os.environ.get("PYENGINE_SHARED") or os.path.normpath(os.path.join(REPO, "..", "shared"))
CORPUS = os.path.join(SHARED, "seed_examples")
SCRIPTS = sorted(glob.glob(os.path.join(CORPUS, "s[0-9][0-9][0-9]_*.py")))
# Scripts whose cuda branch waits for CUDA part 2 (tests/cuda_part2_waiting.txt): skipped, with that reason,
# only when a CUDA device exists (they would run their cuda branch).
WAITING_FILE = os.path.join(REPO, "tests", "cuda_part2_waiting.txt")


def waiting_for_cuda_part2() -> set:
    with open(WAITING_FILE) as f:
        return {line.split("#")[0].strip() for line in f if line.split("#")[0].strip()}


# Generous: the CIFAR training scripts take minutes on 2 shared cores; run_all.py's own default is 600 s.
TIMEOUT = float(os.environ.get("SEED_TIMEOUT", "900"))


@pytest.mark.skipif(not SCRIPTS, reason=f"seed-example corpus absent ({CORPUS}): it lives in ../shared beside "
                    "the project's CI clone, not in the repository")
@pytest.mark.parametrize("script", SCRIPTS or ["<absent>"], ids=os.path.basename)
def test_seed_example(script):
    name = os.path.basename(script)
    if name in waiting_for_cuda_part2():
        import pyengine
        if pyengine.cuda.is_available():
            pytest.skip("waits for CUDA part 2: its cuda branch needs GEMM/conv kernels on the GPU "
                        "(tests/cuda_part2_waiting.txt)")
    env = dict(os.environ)
    env["SEED_ENGINE"] = "pyengine"
    env["PYTHONPATH"] = REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("MPLBACKEND", "Agg")
    proc = subprocess.Popen([sys.executable, script], cwd=CORPUS, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the script and its DataLoader workers
        out, _ = proc.communicate()
        pytest.fail(f"{name}: timed out after {TIMEOUT:g}s\n" + out.decode("utf-8", "replace")[-4000:])
    text = out.decode("utf-8", "replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert proc.returncode == 0 and lines and lines[-1] == "OK " + name, \
        f"{name}: exit {proc.returncode}\n{text[-6000:]}"
