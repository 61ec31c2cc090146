"""The CUDA runtime layer as torch.cuda's: streams and events (order, timing), the stream-aware caching
allocator (record_stream, statistics, out-of-memory), pinned memory and non_blocking copies, several
devices, and the torch.cuda queries. Runs on a real GPU or on the emulated device
(docs/cuda-emulator.md); skips with "CUDA not available" elsewhere."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import pyengine as pe
from pe_testing import cuda_required

pytestmark = cuda_required

MS = 1_755_000  # GPU clock cycles in a millisecond at an H100's boost clock (torch.cuda._sleep's unit)
# Long enough that a loaded test machine still checks "not done yet" before the sleep ends.
SLEEP = 200 * MS


# ---- streams and events ----

def test_current_and_default_stream():
    d = pe.cuda.default_stream()
    assert d.cuda_stream == 0 and d.device == pe.device("cuda", pe.cuda.current_device())
    assert pe.cuda.current_stream() == d
    s = pe.cuda.Stream()
    assert s != d and s.cuda_stream != 0 and s.device == d.device
    with pe.cuda.stream(s):
        assert pe.cuda.current_stream() == s
        assert pe.cuda.current_stream().query()
    assert pe.cuda.current_stream() == d
    with pe.cuda.stream(None):  # as PyTorch: a no-op
        assert pe.cuda.current_stream() == d
    pe.cuda.set_stream(s)
    try:
        assert pe.cuda.current_stream() == s
    finally:
        pe.cuda.set_stream(d)
    assert "torch.cuda.Stream device=cuda:" in repr(s)
    assert hash(s) == hash(pe.cuda.Stream(device_index=s.device_index, stream_id=s.cuda_stream))


def test_stream_priority():
    least, greatest = pe.cuda.Stream.priority_range()
    assert greatest <= least
    assert pe.cuda.Stream(priority=greatest).priority == greatest
    assert pe.cuda.Stream().priority == 0
    assert pe.cuda.Stream(priority=-100).priority == greatest  # clamped, as the runtime does


def test_current_stream_is_per_thread():
    import threading
    s = pe.cuda.Stream()
    seen = []
    with pe.cuda.stream(s):
        t = threading.Thread(target=lambda: seen.append(pe.cuda.current_stream()))
        t.start()
        t.join()
        assert pe.cuda.current_stream() == s
    assert seen == [pe.cuda.default_stream()]


def test_work_on_a_stream_is_correct():
    s = pe.cuda.Stream()
    x = pe.arange(10.0, device="cuda")
    with pe.cuda.stream(s):
        pe.cuda._sleep(5 * MS)
        y = (x * 2 + 1).cpu()  # the copy to the host waits for the stream
    np.testing.assert_array_equal(y.numpy(), np.arange(10.0) * 2 + 1)


def test_event_timing_and_query():
    start, end = pe.cuda.Event(enable_timing=True), pe.cuda.Event(enable_timing=True)
    assert end.query()  # never recorded: nothing to wait for
    assert "uninitialized" in repr(start)
    start.record()
    pe.cuda._sleep(SLEEP)
    end.record()
    assert not end.query()  # the sleep is still running
    end.synchronize()
    assert end.query() and start.query()
    ms = start.elapsed_time(end)
    assert 195 <= ms <= 10000, ms


def test_event_errors():
    a, b = pe.cuda.Event(), pe.cuda.Event()
    a.record()
    b.record()
    with pytest.raises(RuntimeError, match="enable_timing=True"):
        a.elapsed_time(b)
    c, d = pe.cuda.Event(enable_timing=True), pe.cuda.Event(enable_timing=True)
    with pytest.raises(ValueError, match="recorded"):
        c.elapsed_time(d)


def test_stream_query_synchronize_and_wait():
    s1, s2 = pe.cuda.Stream(), pe.cuda.Stream()
    with pe.cuda.stream(s1):
        pe.cuda._sleep(SLEEP)
    assert not s1.query()
    assert s2.query()
    s2.wait_stream(s1)  # later work on s2 waits for s1's sleep
    e = s2.record_event()
    assert not e.query() and not s2.query()
    e.synchronize()
    assert s1.query() and s2.query()

    ev = pe.cuda.Event()
    with pe.cuda.stream(s1):
        pe.cuda._sleep(SLEEP)
        ev.record()
    ev.wait(s2)
    assert not s2.query()
    s2.synchronize()
    assert ev.query() and s1.query()


def test_device_synchronize_waits_for_every_stream():
    s = pe.cuda.Stream()
    with pe.cuda.stream(s):
        pe.cuda._sleep(SLEEP)
    assert not s.query()
    pe.cuda.synchronize()
    assert s.query()
    pe.cuda.synchronize("cuda:0")
    pe.cuda.synchronize(0)


def test_default_stream_orders_with_other_streams():
    # Work on the legacy default stream waits for every blocking stream of the device (as on a GPU).
    s = pe.cuda.Stream()
    with pe.cuda.stream(s):
        pe.cuda._sleep(SLEEP)
    e = pe.cuda.default_stream().record_event()
    assert not e.query()
    e.synchronize()
    assert s.query()


# ---- the caching allocator ----

def test_block_reuse_waits_for_recorded_streams():
    n = 3000
    x = pe.empty(n, device="cuda")
    ptr = x.data_ptr()
    del x
    y = pe.empty(n, device="cuda")
    assert y.data_ptr() == ptr  # freed on its stream: reused at once
    s = pe.cuda.Stream()
    with pe.cuda.stream(s):
        pe.cuda._sleep(SLEEP)
        y.add_(1)  # work on s that uses y
    y.record_stream(s)
    del y
    z = pe.empty(n, device="cuda")
    assert z.data_ptr() != ptr  # s may still be using the block
    s.synchronize()
    w = pe.empty(n, device="cuda")
    assert w.data_ptr() == ptr  # s is done: the block is free again
    del z, w


def test_blocks_belong_to_their_stream():
    n = 5000
    s = pe.cuda.Stream()
    with pe.cuda.stream(s):
        x = pe.empty(n, device="cuda")
    ptr = x.data_ptr()
    del x
    y = pe.empty(n, device="cuda")  # the default stream: not s's cached block
    assert y.data_ptr() != ptr
    with pe.cuda.stream(s):
        z = pe.empty(n, device="cuda")
    assert z.data_ptr() == ptr


def test_record_stream_errors():
    with pytest.raises(TypeError):
        pe.empty(3, device="cuda").record_stream(0)
    with pytest.raises(RuntimeError):
        pe.empty(3).record_stream(pe.cuda.Stream())


def test_memory_stats():
    pe.cuda.synchronize()
    pe.cuda.empty_cache()
    base = pe.cuda.memory_allocated()
    base_reserved = pe.cuda.memory_reserved()
    pe.cuda.reset_peak_memory_stats()
    assert pe.cuda.max_memory_allocated() == base
    x = pe.empty(1000, device="cuda")  # 4000 bytes: a 4096-byte block (512-byte granules)
    assert pe.cuda.memory_allocated() == base + 4096
    assert pe.cuda.memory_allocated(0) == pe.cuda.memory_allocated("cuda:0") == pe.cuda.memory_allocated("cuda")
    y = pe.empty(3 << 20, dtype=pe.uint8, device="cuda")  # large pool
    assert pe.cuda.memory_allocated() == base + 4096 + (3 << 20)
    assert pe.cuda.memory_reserved() >= base_reserved + 4096 + (3 << 20)
    peak = pe.cuda.max_memory_allocated()
    assert peak == base + 4096 + (3 << 20)
    del y
    assert pe.cuda.memory_allocated() == base + 4096
    assert pe.cuda.max_memory_allocated() == peak
    reserved = pe.cuda.memory_reserved()
    assert reserved >= pe.cuda.memory_allocated() + (3 << 20)  # the freed block stays cached
    assert pe.cuda.max_memory_reserved() >= reserved
    stats = pe.cuda.memory_stats()
    assert list(stats) == sorted(stats)
    assert stats["allocated_bytes.all.current"] == pe.cuda.memory_allocated()
    assert stats["allocated_bytes.large_pool.peak"] >= 3 << 20
    assert stats["allocated_bytes.small_pool.current"] >= 4096
    assert stats["requested_bytes.all.current"] <= stats["allocated_bytes.all.current"]
    assert stats["num_ooms"] == 0
    nested = pe.cuda.memory_stats_as_nested_dict()
    assert nested["allocated_bytes"]["all"]["current"] == stats["allocated_bytes.all.current"]
    pe.cuda.reset_peak_memory_stats()
    assert pe.cuda.max_memory_allocated() == pe.cuda.memory_allocated()
    pe.cuda.reset_max_memory_allocated()
    pe.cuda.empty_cache()
    assert pe.cuda.memory_reserved() < reserved
    assert pe.cuda.memory_allocated() == base + 4096
    pe.cuda.reset_accumulated_memory_stats()
    assert pe.cuda.memory_stats()["allocated_bytes.all.allocated"] == 0
    summary = pe.cuda.memory_summary()
    assert "memory summary, device ID 0" in summary and "Allocated memory" in summary
    assert "from large pool" not in pe.cuda.memory_summary(abbreviated=True)
    del x


def test_mem_get_info():
    free, total = pe.cuda.mem_get_info()
    assert 0 < free <= total == pe.cuda.get_device_properties(0).total_memory


def _run(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=300)


def test_out_of_memory_error():
    if "emulated" not in pe.cuda.get_device_name():
        # A real GPU: more than it has.
        total = pe.cuda.get_device_properties(0).total_memory
        with pytest.raises(pe.cuda.OutOfMemoryError, match=r"^CUDA out of memory\. Tried to allocate "):
            pe.empty(total + (1 << 30), dtype=pe.uint8, device="cuda")
        return
    # The emulated device with 64 MiB (PYENGINE_CUDA_EMULATED_MEMORY, read at start-up: a new process).
    r = _run("""
        import pyengine as torch
        assert torch.cuda.get_device_properties(0).total_memory == 64 << 20
        assert issubclass(torch.cuda.OutOfMemoryError, RuntimeError)
        assert torch.OutOfMemoryError is torch.cuda.OutOfMemoryError
        x = torch.empty(40 << 20, dtype=torch.uint8, device="cuda")
        try:
            torch.empty(100_000_000, dtype=torch.uint8, device="cuda")
        except torch.cuda.OutOfMemoryError as e:
            print("MSG", e)
        else:
            raise SystemExit("no error")
        assert torch.cuda.memory_stats()["num_ooms"] == 1
        # a freed, cached block of another size is released and the allocation retried once
        del x
        assert torch.cuda.memory_reserved() == 40 << 20
        y = torch.empty(50 << 20, dtype=torch.uint8, device="cuda")
        assert torch.cuda.memory_stats()["num_alloc_retries"] >= 1
        assert torch.cuda.memory_reserved() == torch.cuda.memory_allocated() == 52 << 20  # 8 size classes per power of 2
        y.fill_(3)
        assert int(y[-1].item()) == 3
        # the other device has its own 64 MiB
        z = torch.empty(50 << 20, dtype=torch.uint8, device="cuda:1")
        print("OK")
        """, PYENGINE_CUDA_EMULATED_MEMORY="64M")
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout
    msg = r.stdout.split("MSG ", 1)[1].splitlines()[0]
    assert msg.startswith("CUDA out of memory. Tried to allocate 96.00 MiB. GPU 0 has a total capacity of "
                          "64.00 MiB of which 24.00 MiB is free."), msg
    assert "40.00 MiB is allocated by PyTorch" in msg


# ---- pinned memory and non_blocking copies ----

def test_pin_memory():
    t = pe.arange(12.0).reshape(3, 4)
    assert not t.is_pinned()
    p = t.pin_memory()
    assert p.is_pinned() and p.device.type == "cpu"
    assert p.pin_memory() is p
    np.testing.assert_array_equal(p.numpy(), t.numpy())
    assert p[1:].is_pinned() and p.t().is_pinned()  # views of pinned memory are pinned
    assert not p.clone().is_pinned()
    q = t.t().pin_memory()  # non-contiguous source
    np.testing.assert_array_equal(q.numpy(), t.t().numpy())
    with pytest.raises(RuntimeError, match="pinned"):
        pe.ones(2, device="cuda").pin_memory()


@pytest.mark.parametrize("factory", [
    lambda: pe.empty(5, pin_memory=True),
    lambda: pe.zeros(2, 3, pin_memory=True),
    lambda: pe.ones(4, pin_memory=True, dtype=pe.int64),
    lambda: pe.full((2,), 7.0, pin_memory=True),
    lambda: pe.tensor([1, 2, 3], pin_memory=True),
    lambda: pe.normal(0.0, 1.0, size=(4,), pin_memory=True),
])
def test_factories_honour_pin_memory(factory):
    t = factory()
    assert t.is_pinned() and t.device.type == "cpu"


def test_non_blocking_copies():
    src = pe.randn(1000, 33).pin_memory()
    s = pe.cuda.Stream()
    with pe.cuda.stream(s):
        pe.cuda._sleep(10 * MS)
        d = src.to("cuda", non_blocking=True)
        e = (d * 2).cuda(non_blocking=True)
        back = e.to("cpu", non_blocking=True)
    s.synchronize()
    np.testing.assert_array_equal(back.numpy(), src.numpy() * 2)
    d2 = pe.arange(10).cuda(non_blocking=True)  # from pageable memory
    np.testing.assert_array_equal(d2.cpu().numpy(), np.arange(10))
    d3 = src.t().to("cuda:1", non_blocking=True)
    np.testing.assert_array_equal(d3.cpu().numpy(), src.t().numpy())


def test_dataloader_pin_memory():
    from collections import namedtuple
    from pyengine.utils.data import DataLoader, TensorDataset
    ds = TensorDataset(pe.arange(20.0).reshape(10, 2), pe.arange(10))
    batches = list(DataLoader(ds, batch_size=4, pin_memory=True))
    assert len(batches) == 3
    for x, y in batches:
        assert x.is_pinned() and y.is_pinned()
    x = batches[0][0].to("cuda", non_blocking=True)
    np.testing.assert_array_equal(x.cpu().numpy(), np.arange(8.0).reshape(4, 2))
    assert not next(iter(DataLoader(ds, batch_size=4)))[0].is_pinned()

    Pair = namedtuple("Pair", "a b")
    ds2 = [{"x": pe.ones(2), "p": Pair(pe.zeros(1), "s")} for _ in range(3)]
    b = next(iter(DataLoader(ds2, batch_size=3, pin_memory=True)))
    assert b["x"].is_pinned() and b["p"].a.is_pinned() and isinstance(b["p"], Pair) and list(b["p"].b) == ["s"] * 3


# ---- several devices ----

def test_second_device():
    assert pe.cuda.device_count() >= 2
    x = pe.arange(6.0, device="cuda:1")
    assert x.device == pe.device("cuda", 1)
    y = (x * 3).sum()
    assert y.device == pe.device("cuda", 1) and float(y.item()) == 45.0
    assert pe.cuda.memory_allocated(1) > 0
    with pe.cuda.device(1):
        assert pe.cuda.current_device() == 1
        z = pe.ones(3, device="cuda")
        assert z.device == pe.device("cuda", 1)
        s1 = pe.cuda.current_stream()
        assert s1.device == pe.device("cuda", 1)
    assert pe.cuda.current_device() == 0
    with pe.cuda.device_of(x):
        assert pe.cuda.current_device() == 1
    with pe.cuda.device(None):
        assert pe.cuda.current_device() == 0
    s = pe.cuda.Stream(device=1)
    with pe.cuda.stream(s):  # also makes cuda:1 current for the block, as PyTorch
        assert pe.cuda.current_device() == 1 and pe.cuda.current_stream(1) == s
        w = x + 1
    assert pe.cuda.current_device() == 0 and pe.cuda.current_stream(1) == pe.cuda.default_stream(1)
    np.testing.assert_array_equal(w.cpu().numpy(), np.arange(6.0) + 1)
    np.testing.assert_array_equal(x.to("cuda:0").cpu().numpy(), np.arange(6.0))
    pe.cuda.synchronize(1)


def test_map_location_between_devices(tmp_path):
    path = tmp_path / "t.pt"
    pe.save({"w": pe.arange(4.0, device="cuda:1")}, path)
    on0 = pe.load(path, map_location={"cuda:1": "cuda:0"})
    assert on0["w"].device == pe.device("cuda", 0)
    np.testing.assert_array_equal(on0["w"].cpu().numpy(), np.arange(4.0))
    assert pe.load(path)["w"].device == pe.device("cuda", 1)
    assert pe.load(path, map_location="cpu")["w"].device.type == "cpu"


# ---- torch.cuda queries ----

def test_device_queries():
    assert pe.cuda.is_available() and pe.cuda.is_initialized()
    pe.cuda.init()
    name = pe.cuda.get_device_name()
    assert name == pe.cuda.get_device_name(0) == pe.cuda.get_device_properties(0).name
    p = pe.cuda.get_device_properties("cuda:0")
    assert (p.major, p.minor) == pe.cuda.get_device_capability() == pe.cuda.get_device_capability(0)
    if "emulated" in name:
        assert (p.major, p.minor) == (9, 0)
        assert p.multi_processor_count == 132 and p.warp_size == 32 and p.max_threads_per_block == 1024
        assert p.total_memory == 80 << 30
        assert p.L2_cache_size == 50 << 20
    assert "_CudaDeviceProperties(name=" in repr(p)
    assert pe.cuda.is_bf16_supported()
    assert pe.cuda.get_arch_list()
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        pe.cuda.get_device_properties(pe.cuda.device_count())
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        pe.cuda.set_device(pe.cuda.device_count())
    with pytest.raises(ValueError, match="Expected a cuda device"):
        pe.cuda.current_stream("cpu")


def test_cuda_seeds():
    pe.cuda.manual_seed(123)
    assert pe.cuda.initial_seed() == 123
    a = pe.rand(5, device="cuda")
    state = pe.cuda.get_rng_state()
    b = pe.rand(5, device="cuda")
    pe.cuda.set_rng_state(state)
    np.testing.assert_array_equal(pe.rand(5, device="cuda").cpu().numpy(), b.cpu().numpy())
    pe.cuda.manual_seed(123)
    np.testing.assert_array_equal(pe.rand(5, device="cuda").cpu().numpy(), a.cpu().numpy())
    pe.cuda.manual_seed_all(7)
    states = pe.cuda.get_rng_state_all()
    assert len(states) == pe.cuda.device_count()
    pe.cuda.set_rng_state_all(states)
    pe.cuda.seed()  # a fresh random seed (equal to the old one with probability 2**-64)
    assert pe.cuda.initial_seed() != 7
    pe.cuda.manual_seed_all(7)
    pe.cuda.seed_all()
    assert pe.cuda.initial_seed() != 7


def test_cuda_amp_is_the_mixed_precision_module():
    import warnings
    from pyengine.cuda.amp import GradScaler, autocast
    assert pe.cuda.amp.autocast is autocast
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        scaler = GradScaler(init_scale=4.0)
        x = pe.ones(2, 2, device="cuda")
        with autocast():
            y = x @ x
    assert scaler.is_enabled() and y.dtype == pe.float16 and y.device.type == "cuda"
    assert float(scaler.scale(y.float().sum()).item()) == 32.0
