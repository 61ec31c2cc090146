"""pyengine.distributed collectives against numpy on 2 and 4 ranks (fixtures/distributed/collectives_worker.py:
every collective, 8 dtypes, 0-d / empty / non-contiguous shapes, groups, objects, point to point, errors)."""
import pytest

from dist_testing import mpirun, requires_mpi

pytestmark = requires_mpi


@pytest.mark.parametrize("np_", [2, 4])
def test_collectives_match_numpy(np_):
    r = mpirun(np_, "collectives_worker.py")
    fails = [line for line in r.stdout.splitlines() if line.startswith("FAIL")]
    assert not fails, "\n".join(fails[:40])
    done = [line for line in r.stdout.splitlines() if line.startswith("DONE")]
    assert r.returncode == 0 and len(done) == np_, r.stdout[-4000:]
    assert all(int(line.split()[2]) > 500 for line in done), done
