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


def test_sync_batchnorm_matches_batchnorm_on_the_whole_batch():
    r = mpirun(2, "sync_batchnorm_worker.py")
    fails = [line for line in r.stdout.splitlines() if "FAIL" in line]
    assert not fails, "\n".join(fails)
    assert r.returncode == 0 and r.stdout.count("DONE") == 2, r.stdout[-4000:]


def test_sync_batchnorm_single_process_is_batchnorm():
    import numpy as np

    import pyengine as pe
    torch = __import__("pytest").importorskip("torch")
    x = np.random.default_rng(0).standard_normal((4, 3, 2, 2)).astype(np.float32)
    m, t = pe.nn.SyncBatchNorm(3), torch.nn.SyncBatchNorm(3)
    assert repr(m) == repr(t)
    np.testing.assert_allclose(m(pe.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(m.running_var.numpy(), t.running_var.numpy(), rtol=1e-6)
    for bad, msg in ((pe.ones(3), "expected at least 2D input"), (pe.ones(2, 0), "should be non-zero")):
        with __import__("pytest").raises(ValueError, match=msg):
            m(bad)
