"""torch.profiler for pyengine: op names (``aten::<name>``), call counts, self and total CPU time, input shapes,
PyTorch's ``key_averages().table(...)`` and Chrome-trace export. How ops are seen: see _recorder.py."""
from ._events import EventList, FunctionEvent, FunctionEventAvg  # noqa: F401
from ._profile import (ProfilerAction, ProfilerActivity, profile, record_function, schedule,  # noqa: F401
                       supported_activities, tensorboard_trace_handler)

__all__ = ["ProfilerAction", "ProfilerActivity", "profile", "record_function", "schedule",
           "supported_activities", "tensorboard_trace_handler"]
