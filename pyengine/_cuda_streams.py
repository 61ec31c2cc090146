"""pyengine.cuda streams and events, as torch.cuda's (Note [Current stream] in cuda/stream.cpp).

A Stream is a (device, handle) pair over a stream of the CUDA part; handle 0 is the legacy default
stream. Each host thread has a current stream per device; kernels and copies of an op go to the
current stream of the op's device."""
from __future__ import annotations

from typing import Any, Optional

from . import _C


def _index(device: Any = None, optional: bool = True) -> int:
    """A device argument (None, int, 'cuda', 'cuda:1', torch.device) as a CUDA device index; None and
    an index-less 'cuda' mean the current device."""
    from . import cuda
    cuda._lazy_check()
    if device is None:
        return _C._cuda_current_device()
    if isinstance(device, int):
        idx = device
    else:
        d = device if isinstance(device, _C.device) else _C.device(device)
        if d.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {d}")
        idx = _C._cuda_current_device() if d.index is None else d.index
    if not 0 <= idx < _C._cuda_device_count():
        raise RuntimeError(f"CUDA error: invalid device ordinal (device {idx}, {_C._cuda_device_count()} devices)")
    return idx


class Stream:
    """torch.cuda.Stream: an ordered queue of work on one device. Lower priority numbers run first."""

    def __new__(cls, device: Any = None, priority: int = 0, **kwargs: Any) -> "Stream":
        if "stream_id" in kwargs or "_handle" in kwargs:
            self = super().__new__(cls)
            self._device_index = int(kwargs["device_index"])
            self._handle = int(kwargs.get("_handle", kwargs.get("stream_id", 0)))
            return self
        if kwargs:
            raise TypeError(f"Stream() got an unexpected keyword argument '{next(iter(kwargs))}'")
        idx = _index(device)
        self = super().__new__(cls)
        self._device_index = idx
        self._handle = _C._cuda_stream_create(idx, int(priority))
        return self

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    @classmethod
    def _wrap(cls, device_index: int, handle: int) -> "Stream":
        return cls(device_index=device_index, _handle=handle)

    @property
    def device(self) -> "_C.device":
        return _C.device("cuda", self._device_index)

    @property
    def device_index(self) -> int:
        return self._device_index

    @property
    def device_type(self) -> int:
        return 1  # DeviceType::CUDA, as torch

    @property
    def cuda_stream(self) -> int:
        return self._handle

    @property
    def stream_id(self) -> int:
        return self._handle

    @property
    def priority(self) -> int:
        return _C._cuda_stream_priority(self._handle, self._device_index)

    @staticmethod
    def priority_range() -> tuple:
        return _C._cuda_stream_priority_range()

    def query(self) -> bool:
        """True when all work issued on this stream has completed."""
        return _C._cuda_stream_query(self._handle, self._device_index)

    def synchronize(self) -> None:
        """Waits until all work issued on this stream has completed."""
        _C._cuda_stream_synchronize(self._handle, self._device_index)

    def wait_event(self, event: "Event") -> None:
        """Makes later work on this stream wait for the work recorded in `event`."""
        if event._handle:
            _C._cuda_stream_wait_event(self._handle, self._device_index, event._handle)

    def wait_stream(self, stream: "Stream") -> None:
        """Makes later work on this stream wait for the work issued on `stream` so far."""
        self.wait_event(stream.record_event())

    def record_event(self, event: Optional["Event"] = None) -> "Event":
        if event is None:
            event = Event()
        event.record(self)
        return event

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Stream) and (self._handle, self._device_index) == (other._handle, other._device_index)

    def __hash__(self) -> int:
        return hash((self._handle, self._device_index))

    def __repr__(self) -> str:
        return f"<torch.cuda.Stream device=cuda:{self._device_index} cuda_stream={self._handle:#x}>"


class Event:
    """torch.cuda.Event: a marker in a stream's work, created on the device of the first stream it is
    recorded on. enable_timing=True allows elapsed_time()."""

    def __init__(self, enable_timing: bool = False, blocking: bool = False, interprocess: bool = False) -> None:
        if interprocess:
            raise RuntimeError("torch.cuda.Event(interprocess=True): pyengine has no CUDA IPC")
        self.enable_timing = bool(enable_timing)
        self.blocking = bool(blocking)
        self._handle = 0
        self._device_index = -1
        self._recorded = False

    def _ensure(self, device_index: int) -> None:
        if not self._handle:
            self._handle = _C._cuda_event_create(device_index, self.enable_timing, self.blocking)
            self._device_index = device_index
        elif device_index != self._device_index:
            raise RuntimeError(f"Event device {self._device_index} does not match recording stream's device "
                               f"{device_index}.")

    def record(self, stream: Optional[Stream] = None) -> None:
        """Records the event on `stream` (default: the current stream)."""
        from .cuda import current_stream
        if stream is None:
            stream = current_stream()
        self._ensure(stream.device_index)
        _C._cuda_event_record(self._handle, stream.cuda_stream, stream.device_index)
        self._recorded = True

    def wait(self, stream: Optional[Stream] = None) -> None:
        """Makes later work on `stream` (default: the current stream) wait for this event."""
        from .cuda import current_stream
        if stream is None:
            stream = current_stream()
        stream.wait_event(self)

    def query(self) -> bool:
        return True if not self._handle else _C._cuda_event_query(self._handle)

    def synchronize(self) -> None:
        if self._handle:
            _C._cuda_event_synchronize(self._handle)

    def elapsed_time(self, end_event: "Event") -> float:
        """Milliseconds between this event and end_event (both recorded and completed)."""
        if not (self.enable_timing and end_event.enable_timing):
            raise RuntimeError("Both events must be created with argument 'enable_timing=True'.")
        if not (self._recorded and end_event._recorded):
            raise ValueError("Both events must be recorded before calculating elapsed time.")
        return _C._cuda_event_elapsed_time(self._handle, end_event._handle)

    @property
    def cuda_event(self) -> int:
        return self._handle

    def __del__(self) -> None:
        if getattr(self, "_handle", 0):
            _C._cuda_event_destroy(self._handle)
            self._handle = 0

    def __repr__(self) -> str:
        return f"<torch.cuda.Event {self._handle:#x}>" if self._handle else "<torch.cuda.Event uninitialized>"


def current_stream(device: Any = None) -> Stream:
    idx = _index(device)
    return Stream._wrap(idx, _C._cuda_current_stream(idx))


def default_stream(device: Any = None) -> Stream:
    return Stream._wrap(_index(device), 0)


def set_stream(stream: Optional[Stream]) -> None:
    """Makes `stream` the current stream of its device and, as PyTorch, its device the current one."""
    if stream is None:
        return
    _C._cuda_set_device(stream.device_index)
    _C._cuda_set_stream(stream.device_index, stream.cuda_stream)


class StreamContext:
    """`with torch.cuda.stream(s):` work of the block goes to s (None: a no-op); the previous current
    streams of s's device and of the current device, and the current device, come back on exit."""

    def __init__(self, stream: Optional[Stream]) -> None:
        self.stream = stream

    def __enter__(self) -> Optional[Stream]:
        s = self.stream
        if s is None:
            return None
        self._prev_device = _C._cuda_current_device()
        self._prev_cur = current_stream(self._prev_device)
        self._prev_dst = current_stream(s.device_index)
        set_stream(s)
        return s

    def __exit__(self, *exc: Any) -> None:
        if self.stream is None:
            return
        _C._cuda_set_stream(self._prev_dst.device_index, self._prev_dst.cuda_stream)
        _C._cuda_set_stream(self._prev_cur.device_index, self._prev_cur.cuda_stream)
        _C._cuda_set_device(self._prev_device)


def stream(stream: Optional[Stream]) -> StreamContext:
    return StreamContext(stream)


def _sleep(cycles: int) -> None:
    """Keeps the current stream busy for about `cycles` GPU clock cycles (for tests)."""
    from . import cuda
    cuda._lazy_check()
    _C._cuda_sleep(int(cycles))
