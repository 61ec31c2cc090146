"""The worker-process DataLoader iterator: prefetching, in-order delivery, failure detection, shutdown.

Workers are started with fork where the platform has it (spawn otherwise, or the loader's
``multiprocessing_context``). Tasks ``(task_idx, indices)`` go round-robin to per-worker index
queues, at most ``prefetch_factor * num_workers`` in flight; results come back on one queue in any
order and are handed out by task_idx, so the order is the sampler's whatever the timing. Batches
arrive through shared memory (Note [DataLoader transport] in _shared.py).

Failures: the result queue is polled in short slices; after each empty slice every live worker is
checked, and a dead one (killed, segfault, os._exit) raises "DataLoader worker (pid(s) ...) exited
unexpectedly" at once, so a dead worker never hangs the loop and, with ``timeout``, is reported
before it. Shutdown (end of epoch, early break, garbage collection, errors) tells the workers to
stop, joins them, terminates stragglers and removes the batch directory: no process is left.
"""
from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
import signal
import threading
import time
import weakref
from typing import Any

from . import _shared, _worker
from .dataloader import _BaseDataLoaderIter

# Length of one wait on the result queue before the workers are checked (seconds).
_POLL_INTERVAL = 0.1
# How long shutdown waits for workers to exit by themselves before terminating them (seconds): an
# idle worker exits at once on its None; one still busy with a sample has nothing left to give.
_JOIN_TIMEOUT = 1.0


def _default_context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader: Any) -> None:
        super().__init__(loader)
        self._shutdown = True  # until everything below exists
        ctx = loader.multiprocessing_context or _default_context()
        self._shm_dir = _shared.make_dir()
        # Removes the directory even if this iterator is never collected (e.g. alive at exit).
        self._dir_finalizer = weakref.finalize(self, _shared.remove_dir, self._shm_dir, os.getpid())
        self._worker_result_queue = ctx.Queue()
        self._workers_done_event = ctx.Event()
        self._index_queues: list[Any] = []
        self._workers: list[Any] = []
        self._shutdown = False
        try:
            for i in range(self._num_workers):
                index_queue = ctx.Queue()
                index_queue.cancel_join_thread()
                w = ctx.Process(
                    target=_worker._worker_loop,
                    args=(self._iterable, self._dataset, index_queue, self._worker_result_queue,
                          self._workers_done_event, self._auto_collation, self._collate_fn, self._drop_last,
                          self._base_seed, loader.worker_init_fn, i, self._num_workers, self._shm_dir,
                          os.getpid()),
                    daemon=True)
                w.start()
                self._index_queues.append(index_queue)
                self._workers.append(w)
        except BaseException:
            self._shutdown_workers()
            raise
        self._reset(loader, first_iter=True)

    def _reset(self, loader: Any, first_iter: bool = False) -> None:
        super()._reset(loader, first_iter)
        self._send_idx = 0
        self._rcvd_idx = 0
        self._task_info: dict[int, tuple] = {}
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers
        self._worker_queue_idx_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            # Persistent workers: restart every worker's fetcher and wait for all to acknowledge, so
            # no result of the previous epoch can be mistaken for one of this epoch.
            for q in self._index_queues:
                q.put(_worker._ResumeIteration())
            remaining = self._num_workers
            while remaining > 0:
                idx, data = self._get_data()
                if isinstance(idx, _worker._ResumeIteration):
                    remaining -= 1
                else:
                    _shared.discard(data)
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _try_put_index(self) -> None:
        if self._tasks_outstanding >= self._prefetch_factor * self._num_workers:
            return
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):  # find the next active worker, if any
            worker_queue_idx = next(self._worker_queue_idx_cycle)
            if self._workers_status[worker_queue_idx]:
                break
        else:
            return  # no active worker left (iterable datasets that ended)
        self._index_queues[worker_queue_idx].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_queue_idx,)
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _failed_workers_error(self) -> RuntimeError | None:
        failed = []
        for worker_id, w in enumerate(self._workers):
            if self._workers_status[worker_id] and not w.is_alive():
                failed.append(w)
                self._workers_status[worker_id] = False
        if not failed:
            return None
        details = []
        for w in failed:
            code = w.exitcode
            if code is not None and code < 0:
                try:
                    details.append(f"pid {w.pid} killed by signal: {signal.Signals(-code).name}")
                except ValueError:
                    details.append(f"pid {w.pid} killed by signal {-code}")
            else:
                details.append(f"pid {w.pid} exit code {code}")
        pids = ", ".join(str(w.pid) for w in failed)
        return RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly ({'; '.join(details)})")

    def _try_get_data(self, timeout: float) -> tuple[bool, Any]:
        """One result within ``timeout`` seconds, checking the workers' health between short waits."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                return True, self._worker_result_queue.get(timeout=max(0.0, min(_POLL_INTERVAL, remaining)))
            except queue.Empty:
                pass
            err = self._failed_workers_error()
            if err is not None:
                self._shutdown_workers(join_timeout=0.2)
                raise err
            if time.monotonic() >= deadline:
                return False, None

    def _get_data(self) -> tuple[Any, Any]:
        if self._timeout > 0:
            success, data = self._try_get_data(self._timeout)
            if not success:
                self._shutdown_workers(join_timeout=0.2)
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            return data
        while True:
            success, data = self._try_get_data(3600.0)
            if success:
                return data

    def _next_data(self) -> Any:
        while True:
            # Skip tasks of workers that stopped (an IterableDataset worker that ran out).
            while self._rcvd_idx < self._send_idx:
                info = self._task_info[self._rcvd_idx]
                worker_id = info[0]
                if len(info) == 2 or self._workers_status[worker_id]:
                    break
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration

            if len(self._task_info[self._rcvd_idx]) == 2:
                data = self._task_info.pop(self._rcvd_idx)[1]
                return self._process_data(data)

            assert not self._shutdown and self._tasks_outstanding > 0
            idx, data = self._get_data()
            if isinstance(idx, _worker._ResumeIteration):
                continue  # a late acknowledgement: not a task
            self._tasks_outstanding -= 1
            if self._iterable and isinstance(data, _worker._IterableDatasetStopIteration):
                if self._persistent_workers:
                    self._workers_status[data.worker_id] = False
                else:
                    self._mark_worker_as_unavailable(data.worker_id)
                self._try_put_index()
                continue
            if isinstance(data, _shared.Packed):
                data = _shared.unpack(data)  # map and unlink now, whatever the order
            if idx != self._rcvd_idx:
                self._task_info[idx] += (data,)
            else:
                del self._task_info[idx]
                return self._process_data(data)

    def _process_data(self, data: Any) -> Any:
        self._rcvd_idx += 1
        self._try_put_index()
        if isinstance(data, _worker.ExceptionWrapper):
            self._shutdown_workers()
            data.reraise()
        return data

    def _mark_worker_as_unavailable(self, worker_id: int, shutdown: bool = False) -> None:
        self._index_queues[worker_id].put(None)
        self._workers_status[worker_id] = False

    def _shutdown_workers(self, join_timeout: float = _JOIN_TIMEOUT) -> None:
        if self._shutdown:
            return
        self._shutdown = True
        try:
            self._workers_done_event.set()
            for worker_id in range(len(self._workers)):
                if self._workers[worker_id].is_alive():
                    try:
                        self._index_queues[worker_id].put(None)
                    except (OSError, ValueError):
                        pass
            deadline = time.monotonic() + join_timeout
            for w in self._workers:
                w.join(timeout=max(0.0, deadline - time.monotonic()))
            for w in self._workers:
                if w.is_alive():
                    w.terminate()
                    w.join(timeout=1.0)
                    if w.is_alive():
                        w.kill()
                        w.join()
            for q in self._index_queues:
                q.cancel_join_thread()
                q.close()
            # Drop batches that were sent but never consumed, then the queue itself.
            for _ in range(1000):
                try:
                    _, data = self._worker_result_queue.get_nowait()
                except Exception:
                    break
                _shared.discard(data)
            self._worker_result_queue.cancel_join_thread()
            self._worker_result_queue.close()
        finally:
            self._dir_finalizer()

    def __del__(self) -> None:
        if threading.main_thread() is not None and not getattr(self, "_shutdown", True):
            self._shutdown_workers()
