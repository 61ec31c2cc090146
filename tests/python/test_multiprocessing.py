"""pyengine.multiprocessing: share_memory_ in place, tensors through Queue / Process args sharing storage
(fork and spawn), Module.share_memory + Hogwild training, spawn's error reporting."""
import numpy as np
import pytest

import pyengine as torch
import pyengine.multiprocessing as mp
from pyengine import nn
from pyengine.multiprocessing.spawn import mpi_launch_available


def test_share_memory_in_place_keeps_views():
    t = torch.arange(12, dtype=torch.float32)
    v = t[2:].view(2, 5)
    ptr = t.data_ptr()
    assert not t.is_shared()
    assert t.share_memory_() is t
    assert t.is_shared() and v.is_shared() and t.storage().is_shared()
    assert t.data_ptr() != ptr  # the bytes moved into the mapping
    v[0, 0] = 100.0  # views still alias the storage
    assert t[2].item() == 100.0
    np.testing.assert_array_equal(t.numpy()[3:], np.arange(3, 12))
    t.share_memory_()  # idempotent
    e = torch.empty(0).share_memory_()
    assert e.is_shared() and e.numel() == 0
    for dt in (torch.bfloat16, torch.int64, torch.bool):
        x = torch.ones(3, dtype=dt).share_memory_()
        assert x.is_shared() and x.dtype == dt and x.tolist() == torch.ones(3, dtype=dt).tolist()


def _child_add(q_in, q_out):
    t = q_in.get()
    t.add_(1)  # in place: the parent sees it
    q_out.put((t.is_shared(), t.shape, t.stride(), t.dtype))


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_queue_shares_storage(method):
    ctx = mp.get_context(method)
    q_in, q_out = ctx.Queue(), ctx.Queue()
    base = torch.zeros(4, 6)
    t = base.t()[1:]  # non-contiguous, offset
    p = ctx.Process(target=_child_add, args=(q_in, q_out))
    p.start()
    q_in.put(t)
    shared, shape, stride, dtype = q_out.get(timeout=60)
    p.join(60)
    assert p.exitcode == 0
    assert shared and tuple(shape) == (5, 4) and tuple(stride) == (1, 6) and dtype == torch.float32
    assert base.is_shared()  # sending moved the sender's storage into shared memory
    want = np.zeros((4, 6))
    want[:, 1:] = 1
    np.testing.assert_array_equal(base.numpy(), want)


def test_non_leaf_requiring_grad_is_refused():
    x = torch.ones(2, requires_grad=True) * 2
    q = mp.get_context("fork").SimpleQueue()
    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf tensor"):
        q.put(x)


def _hogwild_train(model, steps, seed):
    torch.manual_seed(seed)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(steps):
        x = torch.randn(8, 4)
        loss = ((model(x) - x.sum(1, keepdim=True)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_hogwild_module_share_memory(method):
    torch.manual_seed(0)
    model = nn.Linear(4, 1)
    model.share_memory()
    assert all(p.is_shared() for p in model.parameters())
    before = [p.detach().clone() for p in model.parameters()]
    ctx = mp.get_context(method)
    procs = [ctx.Process(target=_hogwild_train, args=(model, 20, r)) for r in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    # the workers trained the parent's parameters in place
    assert any(not torch.equal(a, p.detach()) for a, p in zip(before, model.parameters()))
    x = torch.randn(64, 4)
    assert ((model(x) - x.sum(1, keepdim=True)) ** 2).mean().item() < 1.0


def _spawn_fill(i, t, fail_rank):
    if i == fail_rank:
        raise ValueError(f"spawned process {i} failed on purpose")
    t[i] = float(i + 1)


@pytest.mark.parametrize("use_mpi,method", [(False, "fork"), (True, "spawn")])
def test_spawn_shares_args_and_reports_errors(use_mpi, method, monkeypatch):
    if use_mpi and not mpi_launch_available():
        pytest.skip("Open MPI / mpi4py not installed")
    monkeypatch.setenv("PYENGINE_SPAWN_MPI", "1" if use_mpi else "0")
    t = torch.zeros(2)
    if method == "fork":  # a forked child gets a private copy of memory that is not shared (as in PyTorch)
        t.share_memory_()
    ctx = mp.start_processes(_spawn_fill, args=(t, -1), nprocs=2, join=False, start_method=method)
    while not ctx.join(timeout=0.1):
        pass
    assert t.tolist() == [1.0, 2.0]  # written by the children into shared memory
    with pytest.raises(mp.ProcessRaisedException, match="spawned process 1 failed on purpose") as info:
        mp.start_processes(_spawn_fill, args=(t, 1), nprocs=2, start_method=method)
    assert info.value.error_index == 1


def test_sharing_strategy():
    assert mp.get_sharing_strategy() == "file_descriptor"
    with pytest.raises(ValueError):
        mp.set_sharing_strategy("file_system")
