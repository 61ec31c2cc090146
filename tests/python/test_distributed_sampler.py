"""utils.data.distributed.DistributedSampler partitions exactly as PyTorch's (no MPI needed: num_replicas
and rank are given). With shuffle=False the index lists are PyTorch's; with shuffle=True the permutation
comes from pyengine's Generator (other numbers than torch.randperm), so PyTorch's partitioning is checked
on our permutation, plus the properties that matter: same order on every rank, disjoint cover, set_epoch."""
import math

import pytest

import pyengine
from pyengine.utils.data.distributed import DistributedSampler

torch = pytest.importorskip("torch")
from torch.utils.data.distributed import DistributedSampler as TorchSampler

CASES = [(n, r, d) for n in (0, 1, 5, 10, 11, 17) for r in (1, 2, 3, 4) for d in (False, True)]


@pytest.mark.parametrize("n,replicas,drop_last", CASES)
def test_sequential_partition_matches_torch(n, replicas, drop_last):
    data = list(range(n))
    for rank in range(replicas):
        ours = DistributedSampler(data, replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(data, replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs)


def _torch_partition(perm, n, replicas, rank, drop_last):
    """PyTorch's DistributedSampler.__iter__ after its randperm, applied to `perm`."""
    s = TorchSampler(list(range(n)), replicas, rank, shuffle=False, drop_last=drop_last)
    indices = list(perm)
    if not drop_last:
        pad = s.total_size - len(indices)
        indices += indices[:pad] if pad <= len(indices) else (indices * math.ceil(pad / len(indices)))[:pad]
    else:
        indices = indices[:s.total_size]
    return indices[rank:s.total_size:replicas]


@pytest.mark.parametrize("n,replicas,drop_last", [(10, 3, False), (10, 3, True), (17, 4, False), (2, 4, False)])
def test_shuffled_partition_is_torchs_logic(n, replicas, drop_last):
    data = list(range(n))
    for epoch in (0, 3):
        g = pyengine.Generator().manual_seed(7 + epoch)
        perm = pyengine.randperm(n, generator=g).tolist()
        shares = []
        for rank in range(replicas):
            s = DistributedSampler(data, replicas, rank, shuffle=True, seed=7, drop_last=drop_last)
            s.set_epoch(epoch)
            shares.append(list(s))
            assert shares[-1] == _torch_partition(perm, n, replicas, rank, drop_last)
        flat = sorted(i for sh in shares for i in sh)
        if drop_last:
            assert len(set(flat)) == len(flat)
        else:
            assert set(flat) == set(range(n))


def test_set_epoch_reshuffles_and_seed_decides():
    data = list(range(50))
    a = DistributedSampler(data, 2, 0, seed=1)
    b = DistributedSampler(data, 2, 0, seed=1)
    assert list(a) == list(b)
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first
    assert list(DistributedSampler(data, 2, 0, seed=2)) != first


def test_bad_rank():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(list(range(4)), 2, 2)
