"""The profiler's events and their summaries, in PyTorch's shapes: FunctionEvent (one op call or
record_function range), FunctionEventAvg (key_averages' rows), EventList (table(), export_chrome_trace())."""
from __future__ import annotations

import enum
import json
import os
from collections import OrderedDict
from typing import Any


def _format_time(time_us: float) -> str:
    if time_us >= 1e6:
        return f"{time_us / 1e6:.3f}s"
    if time_us >= 1e3:
        return f"{time_us / 1e3:.3f}ms"
    return f"{time_us:.3f}us"


def _format_time_share(time_us: float, total_us: float) -> str:
    if total_us == 0:
        return "NaN"
    return f"{time_us * 100.0 / total_us:.2f}%"


class DeviceType(enum.IntEnum):
    """Where an event ran (torch.autograd.DeviceType): ops are recorded on the CPU side, CUDA ones as launches."""
    CPU = 0
    CUDA = 1


class _TimeStrings:
    @property
    def cpu_time_str(self) -> str:
        return _format_time(self.cpu_time)

    @property
    def cpu_time_total_str(self) -> str:
        return _format_time(self.cpu_time_total)

    @property
    def self_cpu_time_total_str(self) -> str:
        return _format_time(self.self_cpu_time_total)

    # no device activity is recorded: the device columns are zero, as in a CPU-only PyTorch profile
    device_time = device_time_total = self_device_time_total = cuda_time = 0.0
    device_memory_usage = self_device_memory_usage = cpu_memory_usage = self_cpu_memory_usage = 0
    flops = 0
    node_id = -1
    is_async = False
    is_remote = False
    is_legacy = False
    overload_name = ""
    use_device = None
    device_type = DeviceType.CPU
    stack: list = []
    scope = 0


class FunctionEvent(_TimeStrings):
    """One recorded call: an op (``aten::<name>``) or a record_function range; times in microseconds."""

    def __init__(self, id: int, name: str, thread: int, start_us: float, end_us: float = 0.0,
                 input_shapes: list | None = None, is_user_annotation: bool = False) -> None:
        self.id = id
        self.name = name
        self.thread = thread
        self.start_us = start_us
        self.end_us = end_us
        self.input_shapes = input_shapes
        self.is_user_annotation = is_user_annotation
        self.cpu_children: list[FunctionEvent] = []
        self.cpu_parent: FunctionEvent | None = None
        self.count = 1

    @property
    def key(self) -> str:
        return self.name

    @property
    def cpu_time_total(self) -> float:
        return self.end_us - self.start_us

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total

    @property
    def self_cpu_time_total(self) -> float:
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def time_range(self):
        return (self.start_us, self.end_us)

    def __repr__(self) -> str:
        return (f"<FunctionEvent id={self.id} name={self.name} cpu_time={self.cpu_time_str} "
                f"self_cpu_time={self.self_cpu_time_total_str} thread={self.thread} "
                f"input_shapes={self.input_shapes}>")


class FunctionEventAvg(_TimeStrings):
    """The events of one key (and input shapes, when grouped by them), summed."""

    def __init__(self) -> None:
        self.key: str | None = None
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.input_shapes = None
        self.cpu_parent = None
        self.cpu_children: list = []
        self.is_user_annotation = False

    def add(self, other, group_by_input_shape: bool = False) -> "FunctionEventAvg":
        if self.key is None:
            self.key = other.key
            self.cpu_parent = other.cpu_parent
            self.is_user_annotation = other.is_user_annotation
            if group_by_input_shape:
                self.input_shapes = other.input_shapes
        self.count += other.count
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        return self

    def __iadd__(self, other):
        return self.add(other)

    @property
    def cpu_time(self) -> float:
        return 0.0 if self.count == 0 else self.cpu_time_total / self.count

    def __repr__(self) -> str:
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
                f"cpu_time={self.cpu_time_str} input_shapes={self.input_shapes}>")


class EventList(list):
    """A list of events with PyTorch's summaries."""

    def __init__(self, *args, base_ns: int = 0, **kwargs) -> None:
        super().__init__(*args)
        self._base_ns = base_ns

    def __str__(self) -> str:
        return self.table()

    @property
    def self_cpu_time_total(self) -> float:
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False) -> "EventList":
        if group_by_stack_n:
            raise NotImplementedError("key_averages(group_by_stack_n=...): pyengine's profiler records no stacks")
        stats: OrderedDict[Any, FunctionEventAvg] = OrderedDict()
        for evt in self:
            key = (evt.key, str(evt.input_shapes)) if group_by_input_shape else evt.key
            stats.setdefault(key, FunctionEventAvg()).add(evt, group_by_input_shape)
        return EventList(stats.values(), base_ns=self._base_ns)

    def total_average(self) -> FunctionEventAvg:
        total = FunctionEventAvg()
        for evt in self:
            total.add(evt)
        total.key = "Total"
        return total

    def table(self, sort_by: str | None = None, row_limit: int = 100, max_src_column_width: int = 75,
              max_name_column_width: int = 55, max_shapes_column_width: int = 80, header: str | None = None,
              top_level_events_only: bool = False, time_unit: str | None = None) -> str:
        return _build_table(self, sort_by, header, row_limit, max_name_column_width, max_shapes_column_width,
                            top_level_events_only, time_unit)

    def export_chrome_trace(self, path: str) -> None:
        """Writes the events as Chrome trace JSON ('X' complete events; opens in chrome://tracing and Perfetto)."""
        pid = os.getpid()
        trace = []
        for i, evt in enumerate(self):
            args: dict[str, Any] = {"External id": evt.id, "Ev Idx": i}
            if evt.input_shapes is not None:
                args["Input Dims"] = evt.input_shapes
            trace.append({"ph": "X", "cat": "user_annotation" if evt.is_user_annotation else "cpu_op",
                          "name": evt.name, "pid": pid, "tid": evt.thread,
                          "ts": self._base_ns / 1000.0 + evt.start_us, "dur": evt.cpu_time_total, "args": args})
        doc = {"schemaVersion": 1, "displayTimeUnit": "ms", "baseTimeNanoseconds": self._base_ns,
               "traceEvents": trace, "traceName": path}
        with open(path, "w") as f:
            json.dump(doc, f)


_SORT_KEYS = ("cpu_time", "cpu_time_total", "self_cpu_time_total", "count", "cuda_time", "cuda_time_total",
              "self_cuda_time_total", "device_time", "device_time_total", "self_device_time_total",
              "cpu_memory_usage", "self_cpu_memory_usage", "cuda_memory_usage", "self_cuda_memory_usage",
              "device_memory_usage", "self_device_memory_usage", "flops")


def _time_str(value: float, default: str, unit: str | None) -> str:
    if unit == "s":
        return f"{value / 1e6:.3f}s"
    if unit == "ms":
        return f"{value / 1e3:.3f}ms"
    if unit == "us":
        return f"{value:.3f}us"
    return default


def _build_table(events, sort_by, header, row_limit, max_name_column_width, max_shapes_column_width,
                 top_level_events_only, time_unit) -> str:
    """PyTorch's CPU table: Name, Self CPU %, Self CPU, CPU total %, CPU total, CPU time avg, # of Calls
    [, Input Shapes]; columns right-aligned, two spaces apart, and the self CPU time total below."""
    if len(events) == 0:
        return ""
    if sort_by is not None:
        if sort_by not in _SORT_KEYS:
            raise AttributeError(f"'FunctionEventAvg' object has no attribute '{sort_by}'")
        key = sort_by.replace("cuda", "device")
        events = sorted(events, key=lambda e: getattr(e, key), reverse=True)
    has_input_shapes = any(e.input_shapes is not None and len(e.input_shapes) > 0 for e in events)
    name_width = max(len(e.key) for e in events) + 4
    if max_name_column_width is not None:
        name_width = min(name_width, max_name_column_width)
    shapes_width = max(len(str(e.input_shapes)) for e in events) + 4
    if max_shapes_column_width is not None:
        shapes_width = min(shapes_width, max_shapes_column_width)
    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]
    widths = [name_width] + [12] * 6
    if has_input_shapes:
        headers.append("Input Shapes")
        widths.append(shapes_width)
    row_format = "".join("{: >" + str(w) + "}  " for w in widths)
    header_sep = "".join("-" * w + "  " for w in widths)
    line_length = sum(w + 2 for w in widths) - 2
    total = sum(e.self_cpu_time_total for e in events)
    out = []
    if header is not None:
        out += ["=" * line_length, header]
    if top_level_events_only:
        out += ["=" * line_length, "This report only display top-level ops statistics"]
    out += [header_sep, row_format.format(*headers), header_sep]
    shown = 0
    for evt in events:
        if shown == row_limit:
            break
        if top_level_events_only and evt.cpu_parent is not None:
            continue
        shown += 1
        name = evt.key
        if max_name_column_width is not None and len(name) >= max_name_column_width - 3:
            name = name[:max_name_column_width - 3] + "..."
        row = [name, _format_time_share(evt.self_cpu_time_total, total),
               _time_str(evt.self_cpu_time_total, evt.self_cpu_time_total_str, time_unit),
               _format_time_share(evt.cpu_time_total, total),
               _time_str(evt.cpu_time_total, evt.cpu_time_total_str, time_unit),
               _time_str(evt.cpu_time, evt.cpu_time_str, time_unit), evt.count]
        if has_input_shapes:
            shapes = str(evt.input_shapes)
            if len(shapes) >= shapes_width - 3:
                shapes = shapes[:shapes_width - 3] + "..."
            row.append(shapes)
        out.append(row_format.format(*row))
    out += [header_sep, f"Self CPU time total: {_format_time(total)}"]
    return "".join(line + "\n" for line in out)
