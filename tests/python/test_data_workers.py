"""DataLoader with worker processes: order, seeding, shared-memory transport, errors, dead workers, cleanup."""
import os
import random
import signal
import time

import numpy as np
import pytest

import pyengine
import pyengine.utils.data as D
from pyengine.utils.data import _shared


def _children():
    """Live child processes of this process (read from /proc, zombies excluded)."""
    me, out = os.getpid(), []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me and fields[0] != "Z" and not _is_resource_tracker(p):
            out.append(int(p))
    return out


def _is_resource_tracker(pid):
    """Python's own multiprocessing helper (started once by spawn contexts), not a DataLoader worker."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"resource_tracker" in f.read()
    except OSError:
        return False


def _wait_no_children(timeout=3.0):
    deadline = time.time() + timeout
    while _children() and time.time() < deadline:
        time.sleep(0.05)
    return _children()


class Rows(D.Dataset):
    """Sample i: (float32 (3, 4) filled with i, int i, str)."""

    def __init__(self, n=40):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return pyengine.full((3, 4), float(i)), i, f"item{i}"


@pytest.fixture(autouse=True)
def _no_leftovers():
    before = set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()
    yield
    assert _wait_no_children() == []
    if os.path.isdir("/dev/shm"):
        left = [f for f in set(os.listdir("/dev/shm")) - before if f.startswith(f"pyengine-dl-{os.getpid()}-")]
        assert left == []


def test_workers_same_batches_as_single_process():
    ref = list(D.DataLoader(Rows(), batch_size=6))
    for nw in (1, 2):
        got = list(D.DataLoader(Rows(), batch_size=6, num_workers=nw))
        assert len(got) == len(ref) == 7
        for (a, b, c), (ra, rb, rc) in zip(got, ref):
            assert a.dtype == pyengine.float32 and tuple(a.shape) == tuple(ra.shape)
            np.testing.assert_array_equal(a.numpy(), ra.numpy())
            assert b.tolist() == rb.tolist() and b.dtype == pyengine.int64 and c == rc


def test_order_is_deterministic_despite_slow_worker():
    class Slow(D.Dataset):
        def __len__(self):
            return 24

        def __getitem__(self, i):
            if D.get_worker_info().id == 0:
                time.sleep(0.01)
            return i

    got = [b.tolist() for b in D.DataLoader(Slow(), batch_size=3, num_workers=2, prefetch_factor=3)]
    assert got == [list(range(i, i + 3)) for i in range(0, 24, 3)]


def test_shuffle_with_workers_reproducible():
    def run(seed):
        pyengine.manual_seed(seed)
        return [b.tolist() for b in D.DataLoader(range(30), batch_size=4, shuffle=True, num_workers=2)]

    a, b = run(3), run(3)
    assert a == b and sorted(sum(a, [])) == list(range(30))
    pyengine.manual_seed(3)
    single = [b.tolist() for b in D.DataLoader(range(30), batch_size=4, shuffle=True)]
    assert single == a  # the sampler runs in the main process: workers do not change the order


def test_worker_info_and_per_worker_seeds():
    class Info(D.Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            w = D.get_worker_info()
            return np.array([w.id, w.num_workers, w.seed % 2 ** 31, random.randint(0, 10 ** 9),
                             np.random.randint(0, 2 ** 31), int(pyengine.randint(0, 2 ** 31, ()).item())],
                            dtype=np.int64)

    g = pyengine.Generator().manual_seed(11)
    rows = np.concatenate([b.numpy() for b in D.DataLoader(Info(), batch_size=2, num_workers=2, generator=g)])
    ids = rows[:, 0]
    assert ids.tolist() == [0, 0, 1, 1, 0, 0, 1, 1]  # round-robin batches
    assert (rows[:, 1] == 2).all()
    seeds = {int(r[0]): int(r[2]) for r in rows}
    assert (seeds[1] - seeds[0]) % 2 ** 31 == 1  # seed = base_seed + worker_id
    # each RNG differs between workers
    w0, w1 = rows[ids == 0], rows[ids == 1]
    for col in (3, 4, 5):
        assert w0[0, col] != w1[0, col]
    g2 = pyengine.Generator().manual_seed(11)
    rows2 = np.concatenate([b.numpy() for b in D.DataLoader(Info(), batch_size=2, num_workers=2, generator=g2)])
    np.testing.assert_array_equal(rows, rows2)  # same generator seed, same worker randomness
    assert D.get_worker_info() is None


def test_worker_init_fn_and_iterable_sharding():
    from test_data import Count

    calls = []
    loader = D.DataLoader(Count(0, 10), batch_size=2, num_workers=2, worker_init_fn=lambda i: calls.append(i))
    got = sorted(sum((b.tolist() for b in loader), []))
    assert got == list(range(10))

    def bad_init(worker_id):
        raise KeyError("init failed")

    with pytest.raises(KeyError, match="init failed"):
        list(D.DataLoader(range(4), num_workers=1, worker_init_fn=bad_init))


def test_worker_exception_carries_traceback():
    class Bad(D.Dataset):
        def __len__(self):
            return 10

        def __getitem__(self, i):
            if i == 5:
                raise ValueError("sample 5 is corrupt")
            return i

    with pytest.raises(ValueError) as ei:
        list(D.DataLoader(Bad(), batch_size=2, num_workers=2))
    msg = str(ei.value)
    assert "Caught ValueError in DataLoader worker process" in msg
    assert "Traceback (most recent call last)" in msg and "sample 5 is corrupt" in msg
    assert "__getitem__" in msg


@pytest.mark.parametrize("timeout", [0, 10])
def test_killed_worker_raises_quickly(timeout):
    class Killer(D.Dataset):
        def __len__(self):
            return 100

        def __getitem__(self, i):
            if i == 20:
                os.kill(os.getpid(), signal.SIGKILL)
            return i

    t0 = time.time()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"):
        for _ in D.DataLoader(Killer(), batch_size=2, num_workers=2, timeout=timeout):
            pass
    assert time.time() - t0 < 5


def test_timeout():
    class Stuck(D.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            time.sleep(3)
            return i

    t0 = time.time()
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.3 seconds"):
        next(iter(D.DataLoader(Stuck(), num_workers=1, timeout=0.3)))
    assert time.time() - t0 < 2.5


def test_early_break_leaves_no_processes():
    loader = D.DataLoader(D.TensorDataset(pyengine.randn(400, 50)), batch_size=4, num_workers=2)
    for i, _ in enumerate(loader):
        if i == 2:
            break
    # the iterator is gone: its workers and its batch directory too (checked by the fixture)
    it = iter(loader)
    next(it)
    assert len(_children()) >= 2
    del it
    assert _wait_no_children() == []


def test_batches_come_through_shared_memory():
    x = pyengine.randn(64, 256)
    it = iter(D.DataLoader(D.TensorDataset(x), batch_size=32, num_workers=1))
    (b,) = next(it)
    np.testing.assert_array_equal(b.numpy(), x[:32].numpy())
    # the batch's bytes live in a mapping of an (already unlinked) file of the loader's directory
    ptr = b.data_ptr()
    with open("/proc/self/maps") as f:
        hits = [ln for ln in f if int(ln.split()[0].split("-")[0], 16) <= ptr < int(ln.split()[0].split("-")[1], 16)]
    assert hits and "pyengine-dl-" in hits[0] and "(deleted)" in hits[0]
    del it


def test_pack_keeps_tensor_bytes_out_of_the_pickle(tmp_path):
    batch = {"x": pyengine.randn(256, 256), "y": [pyengine.arange(5), "label"],
             "h": pyengine.ones(3, dtype=pyengine.bfloat16), "e": pyengine.zeros(0, 3),
             "t": pyengine.arange(12).reshape(3, 4).t()}
    packed = _shared.pack(batch, str(tmp_path), "b0")
    assert len(packed.skeleton) < 2000 and packed.nbytes >= 256 * 256 * 4
    out = _shared.unpack(packed)
    assert not os.listdir(tmp_path)  # unlinked on receipt
    np.testing.assert_array_equal(out["x"].numpy(), batch["x"].numpy())
    assert out["y"][0].tolist() == [0, 1, 2, 3, 4] and out["y"][1] == "label"
    assert out["h"].dtype == pyengine.bfloat16 and out["h"].float().tolist() == [1.0, 1.0, 1.0]
    assert tuple(out["e"].shape) == (0, 3)
    assert out["t"].tolist() == batch["t"].tolist()
    nothing = _shared.pack({"a": 1}, str(tmp_path), "b1")
    assert nothing.path is None and _shared.unpack(nothing) == {"a": 1}


def test_persistent_workers_reused_across_epochs():
    loader = D.DataLoader(range(10), batch_size=3, num_workers=2, persistent_workers=True)
    e1 = [b.tolist() for b in loader]
    pids = sorted(_children())
    e2 = [b.tolist() for b in loader]
    assert e1 == e2 == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert sorted(_children()) == pids and len(pids) == 2
    it = iter(loader)
    next(it)  # a half-consumed epoch followed by a new one
    assert [b.tolist() for b in loader][0] == [0, 1, 2]
    loader._iterator._shutdown_workers()


def test_spawn_context():
    got = [b.tolist() for b in D.DataLoader(range(6), batch_size=2, num_workers=2, multiprocessing_context="spawn")]
    assert got == [[0, 1], [2, 3], [4, 5]]
