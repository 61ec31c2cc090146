"""The profiler front ends: torch.profiler.profile (activities, schedule, on_trace_ready) and
torch.autograd.profiler.profile, record_function, schedule, tensorboard_trace_handler."""
from __future__ import annotations

import enum
import functools
import os
import socket
import time
import warnings
from typing import Any, Callable, Iterable

from . import _recorder
from ._events import EventList


class ProfilerActivity(enum.Enum):
    CPU = 0
    CUDA = 1
    XPU = 2
    MTIA = 3
    HPU = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def supported_activities() -> set:
    return {ProfilerActivity.CPU}


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0,
             skip_first_wait: int = 0) -> Callable[[int], ProfilerAction]:
    """PyTorch's step schedule: skip_first steps, then cycles of wait, warmup and active steps (repeat times;
    0 = until the end); the last active step of a cycle is RECORD_AND_SAVE (on_trace_ready runs after it)."""
    if not (wait >= 0 and warmup >= 0 and active > 0 and repeat >= 0 and skip_first >= 0):
        raise AssertionError("Invalid profiler schedule arguments")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results", stacklevel=2)

    def schedule_fn(step: int) -> ProfilerAction:
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait and step < wait:  # skip_first_wait: the first cycle has no wait
            pass
        elif skip_first_wait:
            step -= wait
        num_steps = wait + warmup + active
        if repeat > 0 and step / num_steps >= repeat:
            return ProfilerAction.NONE
        mod_step = step % num_steps
        if mod_step < wait and not (skip_first_wait and step < num_steps - wait):
            return ProfilerAction.NONE
        if mod_step < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if mod_step < num_steps - 1 else ProfilerAction.RECORD_AND_SAVE
    return schedule_fn


def _default_schedule(_: int) -> ProfilerAction:
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name: str, worker_name: str | None = None, use_gzip: bool = False):
    """on_trace_ready handler writing each trace as <worker>.<time>.pt.trace.json[.gz] under dir_name."""
    def handler(prof) -> None:
        os.makedirs(dir_name, exist_ok=True)
        name = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        path = os.path.join(dir_name, f"{name}.{time.time_ns() // 1_000_000}.pt.trace.json")
        if use_gzip:
            import gzip
            import shutil
            prof.export_chrome_trace(path)
            with open(path, "rb") as src, gzip.open(path + ".gz", "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.remove(path)
        else:
            prof.export_chrome_trace(path)
    return handler


def _refuse(**flags) -> None:
    for name, value in flags.items():
        if value:
            raise NotImplementedError(f"profile({name}=True): pyengine's profiler records op names, input shapes, "
                                      f"call counts and CPU times only")


class _Session:
    """What one profiler records between start and stop."""

    def __init__(self, record_shapes: bool) -> None:
        self.record_shapes = record_shapes
        self._recording = False
        self._raw: list = []
        self._base_ns = 0
        self._wall_base_ns = 0

    def _begin_window(self) -> None:
        self._base_ns = time.perf_counter_ns()
        self._wall_base_ns = time.time_ns()
        _recorder.start_window(self)

    def _end_window(self) -> EventList:
        raw = _recorder.stop_window(self)
        events = _recorder.build_events(raw, self._base_ns, self.record_shapes)
        return EventList(events, base_ns=self._wall_base_ns)


class _ProfileBase:
    def __init__(self, record_shapes: bool) -> None:
        self._session = _Session(record_shapes)
        self._function_events: EventList | None = None
        self._started = False

    @property
    def record_shapes(self) -> bool:
        return self._session.record_shapes

    def _start_recording(self) -> None:
        self._session._begin_window()

    def _stop_recording(self) -> None:
        if self._session._recording:
            self._function_events = self._session._end_window()

    def _check_finished(self) -> EventList:
        if self._function_events is None:
            raise RuntimeError("Profiler didn't finish running")
        return self._function_events

    def events(self) -> EventList:
        return self._check_finished()

    @property
    def function_events(self) -> EventList:
        return self._check_finished()

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False) -> EventList:
        return self._check_finished().key_averages(group_by_input_shape, group_by_stack_n, group_by_overload_name)

    def table(self, **kwargs) -> str:
        return self._check_finished().table(**kwargs)

    def total_average(self):
        return self._check_finished().total_average()

    @property
    def self_cpu_time_total(self) -> float:
        return self._check_finished().self_cpu_time_total

    def export_chrome_trace(self, path: str) -> None:
        self._check_finished().export_chrome_trace(path)

    def __str__(self) -> str:
        return str(self._check_finished())


class profile(_ProfileBase):
    """torch.profiler.profile: records CPU ops between start and stop (``with`` block), following ``schedule``
    through ``step()`` and calling ``on_trace_ready`` at the end of each active window."""

    def __init__(self, *, activities: Iterable[ProfilerActivity] | None = None, schedule: Callable | None = None,
                 on_trace_ready: Callable | None = None, record_shapes: bool = False, profile_memory: bool = False,
                 with_stack: bool = False, with_flops: bool = False, with_modules: bool = False,
                 experimental_config: Any = None, execution_trace_observer: Any = None, acc_events: bool = False,
                 use_cuda: bool | None = None, custom_trace_id_callback: Any = None) -> None:
        acts = set(activities) if activities is not None else supported_activities()
        unsupported = acts - supported_activities()
        if use_cuda:
            unsupported.add(ProfilerActivity.CUDA)
        if unsupported:
            raise NotImplementedError(f"profile(activities=...): pyengine's profiler records CPU activity only; "
                                      f"{sorted(a.name for a in unsupported)} cannot be recorded")
        _refuse(profile_memory=profile_memory, with_stack=with_stack, with_flops=with_flops,
                with_modules=with_modules)
        if execution_trace_observer is not None:
            raise NotImplementedError("profile(execution_trace_observer=...) is not supported by pyengine")
        super().__init__(record_shapes)
        self.activities = acts
        self.schedule = schedule or _default_schedule
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.current_action = ProfilerAction.NONE

    def __enter__(self) -> "profile":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        _recorder.register(self._session)
        self._started = True
        self.step_num = 0
        self.current_action = self.schedule(0)
        if self.current_action in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE):
            self._start_recording()

    def _finish_window(self, save: bool) -> None:
        self._stop_recording()
        if save and self.on_trace_ready is not None:
            self.on_trace_ready(self)

    def step(self) -> None:
        if not self._started:
            return
        prev = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        recording = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)
        if prev == ProfilerAction.RECORD_AND_SAVE:
            self._finish_window(save=True)
        elif prev == ProfilerAction.RECORD and self.current_action not in recording:
            self._finish_window(save=False)
        if self.current_action in recording and not self._session._recording:
            self._start_recording()

    def stop(self) -> None:
        if not self._started:
            return
        try:
            if self._session._recording:
                self._finish_window(save=True)
        finally:
            _recorder.unregister(self._session)
            self._started = False


class record_function:
    """Marks a named range (context manager or decorator); it appears in the profile as its own event."""

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name = name
        self.args = args
        self._token = None

    def __enter__(self) -> "record_function":
        self._token = _recorder._begin(self.name, None, user=True)
        return self

    def __exit__(self, *exc) -> None:
        _recorder._end(self._token)
        self._token = None

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)
        return wrapped
