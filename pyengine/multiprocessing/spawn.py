"""spawn / start_processes: run fn(i, *args) in nprocs fresh processes and watch them.

Note [Spawned ranks share one MPI world]: when Open MPI's ``mpirun`` and mpi4py are present (and
PYENGINE_SPAWN_MPI is not 0), the children are started by one ``mpirun -np nprocs``, so a child that
calls init_process_group joins the world of its siblings (Note [Joining one MPI world]): the
``mp.spawn(train, nprocs=N)`` + ``init_process_group("gloo", rank=rank, world_size=N)`` pattern
runs unmodified. Each child prepares itself like a multiprocessing "spawn" child (the parent's
sys.path, working directory and __main__ module as __mp_main__, its authkey so tensors in ``args``
arrive through shared memory), unpickles fn and args, and runs fn(rank, *args); an exception is
written to a per-rank error file that the parent raises as ProcessRaisedException. Without mpirun
the children are plain multiprocessing "spawn" processes (fine for anything but distributed).
Either way: one child failing terminates the others, and join() reports the first failure.
"""
from __future__ import annotations

import multiprocessing
import multiprocessing.spawn as mp_spawn
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable
from multiprocessing.reduction import ForkingPickler

__all__ = ["ProcessContext", "ProcessException", "ProcessExitedException", "ProcessRaisedException", "spawn",
           "start_processes"]


class ProcessException(Exception):
    __slots__ = ["error_index", "error_pid"]

    def __init__(self, msg: str, error_index: int, pid: int) -> None:
        super().__init__(msg)
        self.msg = msg
        self.error_index = error_index
        self.pid = pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """A spawned process raised: the message carries its traceback."""


class ProcessExitedException(ProcessException):
    """A spawned process exited with a non-zero code or was killed by a signal."""

    __slots__ = ["exit_code", "signal_name"]

    def __init__(self, msg: str, error_index: int, error_pid: int, exit_code: int,
                 signal_name: str | None = None) -> None:
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid, self.exit_code, self.signal_name)


def _exit_message(i: int, code: int) -> tuple[str, str | None]:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return f"process {i} terminated with signal {name}", name
    return f"process {i} terminated with exit code {code}", None


# -- plain multiprocessing children ---------------------------------------------------------------

def _wrap(fn: Callable, i: int, args: tuple, error_file: str) -> None:
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except Exception:  # noqa: BLE001 - any failure of fn is reported to the parent
        with open(error_file, "w") as f:
            f.write(f"{os.getpid()}\n{traceback.format_exc()}")
        sys.exit(1)


class ProcessContext:
    """The running children of spawn(..., join=False); join() until it returns True."""

    def __init__(self, processes: list, error_dir: str) -> None:
        self.processes = processes
        self._error_dir = error_dir
        self.sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self) -> list:
        return [int(p.pid) for p in self.processes]

    def _error_file(self, i: int) -> str:
        return os.path.join(self._error_dir, f"error_{i}")

    def join(self, timeout: float | None = None, grace_period: float | None = None) -> bool:
        if not self.sentinels:
            return True
        ready = multiprocessing.connection.wait(self.sentinels.keys(), timeout=timeout)
        failed = None
        for s in ready:
            i = self.sentinels.pop(s)
            p = self.processes[i]
            p.join()
            if p.exitcode != 0 and failed is None:
                failed = i
        if failed is None:
            if self.sentinels:
                return False
            shutil.rmtree(self._error_dir, ignore_errors=True)
            return True
        for p in self.processes:  # one failed: the others cannot finish the job
            if p.is_alive():
                p.terminate()
        for p in self.processes:
            p.join(grace_period or 5)
            if p.is_alive():
                p.kill()
                p.join()
        self._raise(failed, self.processes[failed].pid, self.processes[failed].exitcode)

    def _raise(self, i: int, pid: int, code: int) -> None:
        path = self._error_file(i)
        try:
            if os.path.exists(path):
                with open(path) as f:
                    pid_line, _, tb = f.read().partition("\n")
                raise ProcessRaisedException(f"\n\n-- Process {i} terminated with the following error:\n{tb}", i,
                                             int(pid_line))
            msg, sig = _exit_message(i, code)
            raise ProcessExitedException(msg, i, pid, code, sig)
        finally:
            shutil.rmtree(self._error_dir, ignore_errors=True)


# -- children under mpirun ------------------------------------------------------------------------

def mpirun_command(nprocs: int, extra: list | None = None) -> list:
    """mpirun with the options a single-machine launch needs (root in containers, more ranks than cores)."""
    cmd = [shutil.which("mpirun") or "mpirun", "-np", str(nprocs), "--oversubscribe"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    return cmd + (extra or [])


def clean_mpi_env() -> dict:
    """The environment without the variables of an MPI job this process may itself belong to."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("OMPI_", "PMIX_", "PMI_"))}


def mpi_launch_available() -> bool:
    if os.environ.get("PYENGINE_SPAWN_MPI", "1") == "0" or shutil.which("mpirun") is None:
        return False
    import importlib.util
    return importlib.util.find_spec("mpi4py") is not None


class MpiProcessContext(ProcessContext):
    """The children of one mpirun (Note [Spawned ranks share one MPI world])."""

    def __init__(self, popen: subprocess.Popen, nprocs: int, error_dir: str) -> None:
        self.popen = popen
        self.nprocs = nprocs
        self._error_dir = error_dir
        self.processes = []

    def pids(self) -> list:
        return [self.popen.pid]

    def join(self, timeout: float | None = None, grace_period: float | None = None) -> bool:
        try:
            code = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        if code == 0:
            shutil.rmtree(self._error_dir, ignore_errors=True)
            return True
        failed = [i for i in range(self.nprocs) if os.path.exists(self._error_file(i))]
        if failed:
            self._raise(failed[0], -1, code)
        # No error file: a rank died (signal, os._exit); mpirun's own report above names it.
        shutil.rmtree(self._error_dir, ignore_errors=True)
        raise ProcessExitedException(f"a spawned process died without raising (mpirun exited with code {code}); "
                                     "mpirun's report above names its rank", -1, self.popen.pid, code)

    def __del__(self) -> None:
        if getattr(self, "popen", None) is not None and self.popen.poll() is None:
            self.popen.terminate()


def _start_under_mpirun(fn: Callable, args: tuple, nprocs: int) -> MpiProcessContext:
    error_dir = tempfile.mkdtemp(prefix="pyengine-spawn-")
    prep = mp_spawn.get_preparation_data("SpawnProcess")
    prep["authkey"] = bytes(multiprocessing.current_process().authkey)
    from pyengine._import_hook import AliasFinder
    # Under `python -m pyengine.run` (import torch -> pyengine), the children must be too.
    prep["pyengine_aliased"] = any(isinstance(f, AliasFinder) for f in sys.meta_path)
    with open(os.path.join(error_dir, "prep.pkl"), "wb") as f:
        pickle.dump(prep, f)
    for i in range(nprocs):  # one pickle per child: each shared fd (DupFd) can be taken once
        with open(os.path.join(error_dir, f"payload_{i}.pkl"), "wb") as f:
            f.write(bytes(ForkingPickler.dumps((fn, args))))
    cmd = mpirun_command(nprocs, [sys.executable, "-m", "pyengine.multiprocessing._mpi_child", error_dir])
    popen = subprocess.Popen(cmd, env=clean_mpi_env())
    return MpiProcessContext(popen, nprocs, error_dir)


def start_processes(fn: Callable, args: tuple = (), nprocs: int = 1, join: bool = True, daemon: bool = False,
                    start_method: str = "spawn") -> ProcessContext | None:
    from .reductions import init_reductions
    init_reductions()
    if mpi_launch_available() and start_method == "spawn":
        context: ProcessContext = _start_under_mpirun(fn, args, nprocs)
    else:
        mp = multiprocessing.get_context(start_method)
        error_dir = tempfile.mkdtemp(prefix="pyengine-spawn-")
        processes = []
        for i in range(nprocs):
            p = mp.Process(target=_wrap, args=(fn, i, args, os.path.join(error_dir, f"error_{i}")), daemon=daemon)
            p.start()
            processes.append(p)
        context = ProcessContext(processes, error_dir)
    if not join:
        return context
    try:
        while not context.join():
            pass
    except KeyboardInterrupt:
        if isinstance(context, MpiProcessContext):
            context.popen.terminate()
        raise
    return None


def spawn(fn: Callable, args: tuple = (), nprocs: int = 1, join: bool = True, daemon: bool = False,
          start_method: str = "spawn") -> ProcessContext | None:
    """fn(i, *args) in nprocs processes, i = 0..nprocs-1 (torch.multiprocessing.spawn)."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
