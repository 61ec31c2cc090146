"""pyengine.cuda memory management, as torch.cuda's: the caching allocator's statistics
(Note [CUDA caching allocator] in cuda/allocator.cpp), empty_cache, Tensor.record_stream support."""
from __future__ import annotations

import collections
from typing import Any, Dict

from . import _C


def _available() -> bool:
    return _C._cuda_compiled() and _C._cuda_device_count() > 0


def _idx(device: Any) -> int:
    from ._cuda_streams import _index
    return _index(device)


if hasattr(_C, "OutOfMemoryError"):
    OutOfMemoryError = _C.OutOfMemoryError
else:
    class OutOfMemoryError(RuntimeError):
        """An allocation the CUDA device could not hold (torch.cuda.OutOfMemoryError)."""


def empty_cache() -> None:
    """Frees the cached blocks of every device (blocks in use by tensors stay)."""
    if _available():
        _C._cuda_empty_cache()


def memory_stats(device: Any = None) -> Dict[str, int]:
    """The caching allocator's statistics of `device`, sorted by name as PyTorch's: "<stat>.<pool>.<kind>"
    for stat in allocated_bytes/reserved_bytes/active_bytes/requested_bytes/allocation/segment/active,
    pool in all/small_pool/large_pool, kind in current/peak/allocated/freed; and num_* counters."""
    if not _available():
        return collections.OrderedDict()
    return collections.OrderedDict(sorted(_C._cuda_memory_stats(_idx(device)).items()))


def memory_stats_as_nested_dict(device: Any = None) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, value in memory_stats(device).items():
        node = out
        parts = key.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return out


def _stat(device: Any, key: str) -> int:
    return _C._cuda_memory_stats(_idx(device))[key] if _available() else 0


def memory_allocated(device: Any = None) -> int:
    """Bytes of device memory held by tensors (block sizes, rounded up to 512 bytes)."""
    return _stat(device, "allocated_bytes.all.current")


def max_memory_allocated(device: Any = None) -> int:
    return _stat(device, "allocated_bytes.all.peak")


def memory_reserved(device: Any = None) -> int:
    """Bytes of device memory the allocator holds: in tensors and cached."""
    return _stat(device, "reserved_bytes.all.current")


def max_memory_reserved(device: Any = None) -> int:
    return _stat(device, "reserved_bytes.all.peak")


def memory_cached(device: Any = None) -> int:
    """Deprecated name of memory_reserved."""
    return memory_reserved(device)


def max_memory_cached(device: Any = None) -> int:
    """Deprecated name of max_memory_reserved."""
    return max_memory_reserved(device)


def reset_peak_memory_stats(device: Any = None) -> None:
    """Makes every "peak" statistic its current value."""
    if _available():
        _C._cuda_reset_peak_memory_stats(_idx(device))


def reset_accumulated_memory_stats(device: Any = None) -> None:
    """Zeroes the "allocated"/"freed" totals and the num_* counters."""
    if _available():
        _C._cuda_reset_accumulated_memory_stats(_idx(device))


def reset_max_memory_allocated(device: Any = None) -> None:
    """Deprecated: resets every peak statistic (reset_peak_memory_stats), as PyTorch."""
    reset_peak_memory_stats(device)


def reset_max_memory_cached(device: Any = None) -> None:
    """Deprecated: resets every peak statistic (reset_peak_memory_stats), as PyTorch."""
    reset_peak_memory_stats(device)


def mem_get_info(device: Any = None) -> tuple:
    """(free, total) bytes of the device's memory, as cudaMemGetInfo."""
    return tuple(_C._cuda_mem_get_info(_idx(device)))


def _format_size(n: int) -> str:
    units = ("B  ", "KiB", "MiB", "GiB", "TiB")
    i, v = 0, float(n)
    while abs(v) >= 768 and i < len(units) - 1:
        v /= 1024
        i += 1
    return f"{int(round(v)):6d} {units[i]}"


def _format_count(n: int) -> str:
    return f"{n:7d}  "


def memory_summary(device: Any = None, abbreviated: bool = False) -> str:
    """A table of the allocator's statistics of `device`, laid out as PyTorch's."""
    idx = _idx(device) if _available() else 0
    stats = memory_stats(idx)
    width = 75
    lines = ["=" * width, f" {'PyTorch CUDA memory summary, device ID ' + str(idx):^73} ", "-" * width,
             f"  {'CUDA OOMs: ' + str(stats.get('num_ooms', 0)):<33}|"
             f"  {'cudaMalloc retries: ' + str(stats.get('num_alloc_retries', 0)):<36}",
             "=" * width,
             "        Metric         | Cur Usage  | Peak Usage | Tot Alloc  | Tot Freed  ",
             "-" * width]
    rows = [("allocated_bytes", "Allocated memory", _format_size), ("active_bytes", "Active memory", _format_size),
            ("requested_bytes", "Requested memory", _format_size), ("reserved_bytes", "GPU reserved memory", _format_size),
            ("allocation", "Allocations", _format_count), ("active", "Active allocs", _format_count),
            ("segment", "GPU reserved segments", _format_count)]
    pools = [("all", "")] if abbreviated else [("all", ""), ("large_pool", "      from large pool"),
                                               ("small_pool", "      from small pool")]
    for key, title, fmt in rows:
        for pool, label in pools:
            name = title if pool == "all" else label
            cells = [fmt(stats.get(f"{key}.{pool}.{k}", 0)) for k in ("current", "peak", "allocated", "freed")]
            lines.append(f" {name:<22}| " + " | ".join(cells) + " ")
        lines.append("-" * width)
    lines.append("=" * width)
    return "|" + "|\n|".join(lines) + "|\n"
