"""pyengine.distributed collectives against numpy on 2 and 4 ranks (fixtures/distributed/collectives_worker.py:
every collective, 8 dtypes, 0-d / empty / non-contiguous shapes, groups, objects, point to point, errors)."""
import re

import pytest
from dist_testing import mpirun, requires_mpi

pytestmark = requires_mpi


@pytest.mark.parametrize("np_", [2, 4])
def test_collectives_match_numpy(np_):
    r = mpirun(np_, "collectives_worker.py", *(["--subset"] if np_ == 4 else []))
    fails = [line for line in r.stdout.splitlines() if "FAIL" in line]
    assert not fails, "\n".join(fails[:40])
    done = re.findall(r"DONE (\d+) (\d+)", r.stdout)  # lines of different ranks may interleave
    assert r.returncode == 0 and sorted(int(d[0]) for d in done) == list(range(np_)), r.stdout[-4000:]
    assert all(int(d[1]) > 250 for d in done), done
