"""The MPI layer of pyengine.distributed: tensors as MPI buffers, reduce ops, work handles, waiting.

Note [Zero-copy MPI buffers]: a contiguous CPU tensor is handed to MPI as a numpy view of its own
storage (``Tensor.numpy()`` shares memory; mpi4py reads it through the buffer protocol), so no byte
is copied or pickled on our side. Data movement (broadcast, gather, send, all_to_all...) uses
MPI.BYTE counts, so every dtype travels; reductions use the element type. Copies are made only
where there is no other way, and copied back when the operation completes: a non-contiguous tensor
goes through a contiguous copy, float16/bfloat16 reductions through float32 (MPI has no half
types), and the list APIs (all_gather into a list, scatter from a list) through one flat buffer.

Note [Waiting with a timeout]: every operation is started nonblocking (MPI_Iallreduce, ...) and
waited by polling MPI_Testall, which also drives MPI's progress. The poll has a deadline (the
process group's timeout) and watches a side channel on which a failing rank announces itself
(distributed_c10d._notify_failure), so a dead or failed peer turns into an error naming that rank
instead of a hang. Polling spins for the first 2 ms (as a blocking MPI call would: latency matters
for small messages), then yields the core between tests (the peer may need it on an oversubscribed
machine), and after 50 ms sleeps a little between tests.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import pyengine
from pyengine import Tensor

_MPI = None


def mpi():
    """The mpi4py.MPI module, imported (and MPI initialized) on first use."""
    global _MPI
    if _MPI is None:
        import mpi4py
        if "OMPI_COMM_WORLD_SIZE" not in os.environ:
            # A process outside mpirun is a world of one: Open MPI need not start its runtime daemon.
            os.environ.setdefault("OMPI_MCA_ess_singleton_isolated", "1")
        # Note [Ring all-reduce]: Open MPI's nonblocking all-reduce (libnbc) picks, by default, algorithms
        # that are very slow for large buffers (4 MB on 2 ranks measured here: 52 ms against 0.4 ms for
        # the ring, 64 MB: 690 ms against 300 ms); the ring is bandwidth-optimal, which is what gradient
        # buckets need. Set the variable yourself to choose another (0 lets Open MPI decide).
        os.environ.setdefault("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "1")
        # Our calls come from whichever thread holds the GIL, one at a time.
        mpi4py.rc.thread_level = "serialized"
        from mpi4py import MPI
        _MPI = MPI
    return _MPI


class DistBackendError(RuntimeError):
    """PyTorch's torch.distributed.DistBackendError: a failure in the communication backend."""


class DistError(RuntimeError):
    """PyTorch's torch.distributed.DistError."""


# Tags of the fault side channel (Note [Waiting with a timeout]).
FAULT_TAG = 7001
ACK_TAG = 7002

_HALF = None
_MPI_TYPES: dict = {}


def _half_dtypes():
    global _HALF
    if _HALF is None:
        _HALF = (pyengine.float16, pyengine.bfloat16)
    return _HALF


def _mpi_type(dtype: Any) -> Any:
    """The MPI datatype of a (non-half) dtype, for reductions."""
    if not _MPI_TYPES:
        MPI = mpi()
        _MPI_TYPES.update({pyengine.float32: MPI.FLOAT, pyengine.float64: MPI.DOUBLE, pyengine.int64: MPI.INT64_T,
                           pyengine.int32: MPI.INT32_T, pyengine.int16: MPI.INT16_T, pyengine.int8: MPI.INT8_T,
                           pyengine.uint8: MPI.UINT8_T, pyengine.bool: MPI.C_BOOL})
    return _MPI_TYPES[dtype]


def as_array(t: Tensor) -> np.ndarray:
    """A numpy view of a contiguous CPU tensor's memory (bfloat16 as int16 bits)."""
    t = t.detach()
    if t.dtype == pyengine.bfloat16:
        t = t.view(pyengine.int16)
    return t.numpy()


def buffer_spec(t: Tensor, typed: bool = False) -> list:
    """[memory, datatype] over a contiguous CPU tensor's own bytes: MPI reads and writes them in place
    (typed: elements of its dtype, for reductions; otherwise bytes). mpi4py takes the count from the
    memory's size (divided by the group size for the root's buffer of gather/scatter)."""
    nbytes = t.numel() * t.element_size()
    mem = mpi().buffer.fromaddress(t.data_ptr() if nbytes else 0, nbytes)
    return [mem, _mpi_type(t.dtype) if typed else mpi().BYTE]


class Staged:
    """The buffer MPI works on for one tensor: the tensor itself when possible, otherwise a contiguous
    (and for half reductions, float32) copy that ``finish`` writes back (Note [Zero-copy MPI buffers]).
    It holds the tensors, so the memory MPI was given lives until the operation completes."""

    __slots__ = ("copied", "tensor", "work")

    def __init__(self, t: Tensor, reducing: bool = False, copy_in: bool = True) -> None:
        if t.device.type != "cpu":
            raise RuntimeError(f"the mpi backend works on CPU tensors, got a tensor on {t.device} "
                               "(CUDA tensors need the nccl backend)")
        self.tensor = t
        self.copied = True
        if reducing and t.dtype in _half_dtypes():
            work = t.detach().to(pyengine.float32) if copy_in else pyengine.empty(t.shape, dtype=pyengine.float32)
        elif not t.is_contiguous():
            work = t.detach().contiguous() if copy_in else pyengine.empty(t.shape, dtype=t.dtype)
        else:
            work = t
            self.copied = False
        self.work = work

    def typed_spec(self) -> list:
        return buffer_spec(self.work, typed=True)

    def bytes_spec(self) -> list:
        return buffer_spec(self.work)

    def finish(self) -> None:
        if self.copied:
            self.tensor.detach().copy_(self.work)


class Work:
    """What ``async_op=True`` returns (torch.distributed.Work): ``wait()``, ``is_completed()``,
    ``is_success()``, ``result()``, ``exception()``. ``finish`` runs once, after completion
    (copies back, divides for AVG, unpickles objects)."""

    def __init__(self, reqs: list, pg: Any, what: str, finish: Callable[[], Any] | None = None,
                 statuses: list | None = None) -> None:
        self._reqs = reqs
        self._statuses = statuses
        self._pg = pg
        self._what = what
        self._finish = finish
        self._done = False
        self._result: Any = None
        self._exc: BaseException | None = None

    def _complete(self) -> None:
        self._done = True
        if self._finish is not None:
            finish, self._finish = self._finish, None
            self._result = finish()

    def is_completed(self) -> bool:
        if not self._done and (not self._reqs or _testall(self._reqs, self._statuses)):
            self._complete()
        return self._done

    def wait(self, timeout: Any = None) -> bool:
        if self._exc is not None:
            raise self._exc
        if not self._done:
            secs = None if timeout is None else _seconds(timeout)
            try:
                wait_requests(self._reqs, self._pg, self._what, secs, self._statuses)
            except BaseException as e:
                self._exc = e
                raise
            self._complete()
        return True

    def is_success(self) -> bool:
        return self._done and self._exc is None

    def exception(self) -> BaseException | None:
        return self._exc

    def result(self) -> Any:
        return self._result

    def source_rank(self) -> int:
        """For recv/irecv: the sender's rank."""
        return self._result


def _seconds(timeout: Any) -> float:
    return timeout.total_seconds() if hasattr(timeout, "total_seconds") else float(timeout)


_SPIN_SECONDS = 0.002     # poll without pause this long (latency of small messages)
_YIELD_SECONDS = 0.05     # then give the core away between polls this long
_SLEEP_SECONDS = 0.0005   # then sleep between polls
_FAULT_CHECK_SECONDS = 0.01


def _testall(reqs: list, statuses: list | None) -> bool:
    if statuses is not None:
        return _MPI.Request.Testall(reqs, statuses)
    return reqs[0].Test() if len(reqs) == 1 else _MPI.Request.Testall(reqs)


def wait_requests(reqs: list, pg: Any, what: str, timeout: float | None = None,
                  statuses: list | None = None) -> None:
    """Waits for all requests, raising DistBackendError on the group's timeout or a peer's failure."""
    if not reqs:
        return
    start = time.monotonic()
    while True:  # spin: a blocking MPI call would too, and small messages finish here
        for _ in range(32):
            if _testall(reqs, statuses):
                return
        if time.monotonic() - start > _SPIN_SECONDS:
            break
    from . import distributed_c10d as c10d
    limit = pg.timeout_seconds if timeout is None else timeout
    next_check = 0.0
    while True:
        for _ in range(4):
            if _testall(reqs, statuses):
                return
        now = time.monotonic()
        if now >= next_check:
            c10d._check_peer_failures(what)
            next_check = now + _FAULT_CHECK_SECONDS
            if now - start > limit:
                raise DistBackendError(
                    f"[rank {c10d._world_rank()}] {what} timed out after {limit:g} seconds (the process group's "
                    f"timeout): ranks {pg.ranks} were expected to take part and no rank reported a failure; one "
                    "may be stuck or not calling the same collective")
        if now - start < _YIELD_SECONDS:
            # On an oversubscribed machine the peer we wait for may need this core.
            os.sched_yield()
        else:
            time.sleep(_SLEEP_SECONDS)
