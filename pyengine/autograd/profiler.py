"""torch.autograd.profiler: the legacy profiler API (``with profile() as prof: ...; prof.key_averages()``) over
the same recorder as pyengine.profiler (CPU ops only: use_cuda/use_device and memory, stack, flops and module
recording are refused clearly)."""
from __future__ import annotations

from typing import Any

from ..profiler._events import EventList, FunctionEvent, FunctionEventAvg  # noqa: F401
from ..profiler._profile import _ProfileBase, _refuse, record_function  # noqa: F401
from ..profiler import _recorder

__all__ = ["profile", "record_function", "EventList", "FunctionEvent", "FunctionEventAvg"]


class profile(_ProfileBase):
    def __init__(self, enabled: bool = True, *, use_cuda: bool = False, use_device: str | None = None,
                 record_shapes: bool = False, with_flops: bool = False, profile_memory: bool = False,
                 with_stack: bool = False, with_modules: bool = False, use_kineto: bool = False,
                 use_cpu: bool = True, experimental_config: Any = None, acc_events: bool = False,
                 custom_trace_id_callback: Any = None) -> None:
        if use_cuda or use_device not in (None, "cpu"):
            raise NotImplementedError("autograd.profiler.profile: pyengine's profiler records CPU activity only "
                                      "(use_cuda/use_device)")
        if not use_cpu:
            raise NotImplementedError("autograd.profiler.profile(use_cpu=False): nothing would be recorded")
        _refuse(profile_memory=profile_memory, with_stack=with_stack, with_flops=with_flops,
                with_modules=with_modules)
        super().__init__(record_shapes)
        self.enabled = enabled
        self.entered = False

    def __enter__(self) -> "profile":
        if not self.enabled:
            return self
        if self.entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self.entered = True
        _recorder.register(self._session)
        self._start_recording()
        return self

    def __exit__(self, *exc) -> None:
        if not self.enabled:
            return
        try:
            self._stop_recording()
        finally:
            _recorder.unregister(self._session)
