"""DistributedDataParallel on 2 ranks equals single-process training on the whole batch (MLP, the tutorial
LeNet, several buckets in flight), no_sync accumulation equals one big step, find_unused_parameters, buffers
(fixtures/distributed/ddp_worker.py)."""
from dist_testing import mpirun, requires_mpi

pytestmark = requires_mpi


def test_ddp_matches_single_process_training():
    r = mpirun(2, "ddp_worker.py")
    fails = [line for line in r.stdout.splitlines() if "FAIL" in line]
    assert not fails, "\n".join(fails)
    assert r.returncode == 0 and r.stdout.count("DONE") == 2, r.stdout[-4000:]
