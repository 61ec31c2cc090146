"""The CPU caching allocator keeps freed blocks for reuse but returns memory freed for good:
pyengine.cpu.memory_allocated/memory_reserved/empty_cache/set_cache_limit and PYENGINE_CPU_CACHE_LIMIT
(Note [Caching allocator] in csrc/core/allocator.cpp). RSS is measured in a fresh subprocess."""
import os
import subprocess
import sys
import threading

import pytest

import pyengine as pe

MiB = 1 << 20
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_python(code: str, **env) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": ROOT, **env}, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return out.stdout


RSS = """
import os
import pyengine as pe
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
pe.ones(1).add(1)
base = rss()
"""


def test_tensors_freed_for_good_give_their_memory_back():
    # Twenty 10-200 MB tensors made (every page written) and dropped one after another: the cache
    # used to keep them all (1.65 GB of RSS afterwards); now it keeps the block freed last (200 MB).
    code = RSS + """
for i in range(20):
    t = pe.ones((10 + 10 * i) * 1000 * 1000 // 4)
    del t
print(rss() - base, pe.cpu.memory_reserved() - pe.cpu.memory_allocated())
"""
    grown, cached = map(int, run_python(code).split())
    assert cached <= 202 * 1000 * 1000
    assert grown < 202 * 1000 * 1000 + 48 * MiB, "RSS grew by %d MB" % (grown // MiB)


def test_a_live_set_dropped_at_once_is_returned():
    code = RSS + """
ts = [pe.ones((5 + 2 * i) * MiB // 4) for i in range(20)]  # 480 MiB live
del ts
print(rss() - base, pe.cpu.memory_reserved() - pe.cpu.memory_allocated())
""".replace("MiB", str(MiB))
    grown, cached = map(int, run_python(code).split())
    assert cached <= 128 * MiB
    assert grown < 128 * MiB + 48 * MiB, "RSS grew by %d MB" % (grown // MiB)


def test_same_size_block_is_reused():
    n = 16 * MiB // 4  # 16 MiB of float32: cached even with nothing else live
    t = pe.empty(n)
    ptr, live = t.data_ptr(), pe.cpu.memory_allocated()
    del t
    reserved = pe.cpu.memory_reserved()
    assert reserved - pe.cpu.memory_allocated() >= 16 * MiB  # kept for reuse
    t2 = pe.empty(n)
    assert t2.data_ptr() == ptr
    assert pe.cpu.memory_reserved() == reserved and pe.cpu.memory_allocated() == live


def test_empty_cache_and_limit():
    old = pe.cpu.get_cache_limit()
    try:
        t = pe.empty(MiB)
        del t
        pe.cpu.empty_cache()
        assert pe.cpu.memory_reserved() == pe.cpu.memory_allocated()
        pe.cpu.set_cache_limit(0)
        assert pe.cpu.get_cache_limit() == 0
        t = pe.empty(MiB)
        del t
        assert pe.cpu.memory_reserved() == pe.cpu.memory_allocated()  # nothing cached
        pe.cpu.set_cache_limit(3 * MiB)
        a, b = pe.empty(MiB // 2), pe.empty(MiB // 2)  # 2 MiB each
        del a, b
        cached = pe.cpu.memory_reserved() - pe.cpu.memory_allocated()
        assert 0 < cached <= 3 * MiB
        for bad in (-1, 1.5, "1M", True):
            with pytest.raises(ValueError, match="set_cache_limit"):
                pe.cpu.set_cache_limit(bad)
    finally:
        pe.cpu.set_cache_limit(old)
    assert pe.cpu.get_cache_limit() == 4 << 30  # the default


def test_limit_from_the_environment():
    code = """
import pyengine as pe
print(pe.cpu.get_cache_limit())
t = pe.empty(4 << 20)
del t
print(pe.cpu.memory_reserved() - pe.cpu.memory_allocated())
"""
    limit, cached = map(int, run_python(code, PYENGINE_CPU_CACHE_LIMIT="1M").split())
    assert limit == MiB and cached <= MiB  # the 16 MiB block was not kept
    assert int(run_python(code, PYENGINE_CPU_CACHE_LIMIT="268435456").split()[0]) == 256 * MiB
    out = subprocess.run([sys.executable, "-c", "import pyengine"], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": ROOT, "PYENGINE_CPU_CACHE_LIMIT": "lots"})
    assert out.returncode != 0 and "ValueError: PYENGINE_CPU_CACHE_LIMIT='lots'" in out.stderr


def test_threads_keep_the_accounting():
    live = pe.cpu.memory_allocated()
    errors = []

    def work(seed):
        try:
            for i in range(300):
                t = pe.ones(1 << (8 + (seed + i) % 12))  # 1 KiB .. 2 MiB of float32
                assert float(t.sum()) == t.numel()
        except Exception as e:  # reported by the main thread
            errors.append(e)
    threads = [threading.Thread(target=work, args=(s,)) for s in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == [] and pe.cpu.memory_allocated() == live


def test_torch_cpu_namespace():
    assert pe.cpu.is_available() and pe.cpu.device_count() == 1 and pe.cpu.current_device() == "cpu"
    pe.cpu.synchronize()
