"""Process groups over MPI: init_process_group, groups, ranks, barrier, faults.

Note [Joining one MPI world]: the ranks of a job must be processes of one MPI world. They get one
by being started by an MPI launcher: ``python -m pyengine.distributed.run`` (which runs mpirun),
``mpirun``/``mpiexec`` directly, a scheduler's MPI launch (srun --mpi=pmix), or
``pyengine.multiprocessing.spawn`` (which starts its children under mpirun). init_process_group
then takes the world as given and checks that ``rank``/``world_size`` (arguments, env:// variables,
tcp:// or file:// query) agree with it. Processes started independently (plain multiprocessing,
one shell each) cannot merge into one world with this Open MPI: we tried MPI's dynamic process
management (Open_port/Accept/Connect with the port name passed through the rendezvous, and
MPI_Comm_join over a TCP socket), and Open MPI 4.1 refuses both for singletons ("Underlying runtime
environment does not support accept/connect functionality"; with ompi-server, MPI_Init fails). So
init_process_group(world_size > 1) outside an MPI launch raises an error that says how to launch.

Faults (Note [Waiting with a timeout] in _mpi.py): an uncaught exception on a rank is announced to
the other ranks on a side channel before that rank aborts the job, so their waits raise
DistBackendError naming it; a rank that dies without a word is seen by the MPI runtime, which
terminates the job and names the rank; a wait longer than the group's timeout raises.
"""
from __future__ import annotations

import datetime
import os
import sys
import time
import urllib.parse
from typing import Any

from . import _mpi
from ._mpi import DistBackendError, mpi

default_pg_timeout = datetime.timedelta(minutes=30)


class Backend(str):
    """Backend names (torch.distributed.Backend): ``gloo`` is accepted as an alias of ``mpi`` on CPU."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    MPI = "mpi"

    def __new__(cls, name: str) -> Backend:
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, but got: {type(name)}")
        value = name.lower()
        if value not in (cls.GLOO, cls.NCCL, cls.MPI):
            raise ValueError(f"Invalid backend: '{name}' (pyengine.distributed has 'mpi', 'gloo' (an alias of "
                             "'mpi' on CPU tensors) and 'nccl')")
        return str.__new__(cls, value)


class ProcessGroup:
    """A communicator and the global ranks it holds (ranks listed in group-rank order)."""

    def __init__(self, comm: Any, ranks: list, backend: str, timeout: datetime.timedelta, nccl: bool = False) -> None:
        self.comm = comm
        self.nccl = nccl  # CUDA tensors go to NCCL (Note [NCCL backend] in _nccl.py)
        self.nccl_comms: dict = {}  # device index -> pyengine._nccl.Comm, made on first use
        self.ranks = ranks
        self.backend = backend
        self.timeout = timeout
        self.timeout_seconds = timeout.total_seconds()

    def rank(self) -> int:
        return self.comm.Get_rank()

    def size(self) -> int:
        return self.comm.Get_size()

    def name(self) -> str:
        return self.backend

    def __repr__(self) -> str:
        return f"<pyengine.distributed.ProcessGroup backend={self.backend} ranks={self.ranks}>"


class GroupMember:
    WORLD: ProcessGroup | None = None
    NON_GROUP_MEMBER = object()


group = GroupMember  # torch.distributed.group.WORLD

_fault_comm: Any = None
_failed: dict = {}
_groups: list = []
_prev_excepthook = None


def is_available() -> bool:
    return True


def is_mpi_available() -> bool:
    """True when mpi4py (and so an MPI library) is installed (MPI itself starts at init_process_group)."""
    import importlib.util
    return importlib.util.find_spec("mpi4py") is not None


def is_gloo_available() -> bool:
    """Gloo itself is not built; backend='gloo' runs on MPI (see Backend)."""
    return False


def is_nccl_available() -> bool:
    """True when this build has the NCCL backend (a real CUDA build that found NCCL, Note [NCCL backend])."""
    from . import _nccl
    return _nccl.module() is not None


def is_initialized() -> bool:
    return GroupMember.WORLD is not None


def is_torchelastic_launched() -> bool:
    return os.environ.get("TORCHELASTIC_RUN_ID") is not None


def _require_init() -> ProcessGroup:
    if GroupMember.WORLD is None:
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    return GroupMember.WORLD


def _resolve(group_: Any) -> ProcessGroup:
    world = _require_init()
    return world if group_ is None or group_ is GroupMember.WORLD else group_


def _not_member(group_: Any) -> bool:
    return group_ is GroupMember.NON_GROUP_MEMBER


def _world_rank() -> int:
    return mpi().COMM_WORLD.Get_rank() if _mpi._MPI is not None else -1


def _parse_backend(backend: str | None) -> tuple[str, bool]:
    """The backend's name and whether CUDA tensors go to NCCL (Note [NCCL backend] in _nccl.py); CPU
    tensors, barriers and objects always travel over MPI, which also starts the ranks."""
    if backend is None:
        return Backend.MPI, False
    if ":" in backend:  # "cpu:gloo,cuda:nccl"
        entries = dict(e.split(":", 1) for e in backend.split(","))
        unknown = set(entries) - {"cpu", "cuda"}
        if unknown:
            raise ValueError(f"backend '{backend}': unknown device type(s) {sorted(unknown)} (cpu, cuda)")
        for dev, name in entries.items():
            if dev == "cpu" and Backend(name) == Backend.NCCL:
                raise ValueError(f"backend '{backend}': nccl works on CUDA tensors only")
            if dev == "cuda" and Backend(name) != Backend.NCCL:
                raise ValueError(f"backend '{backend}': CUDA tensors need nccl, got '{name}'")
        # Without NCCL in this build the CPU entry still works; CUDA tensors then raise when used.
        nccl = "cuda" in entries and is_nccl_available()
        if "cpu" not in entries:
            _require_nccl()
        return (Backend(entries["cpu"]) if "cpu" in entries else Backend.NCCL), nccl
    b = Backend(backend)
    if b == Backend.NCCL:
        _require_nccl()
    if not is_mpi_available():
        raise RuntimeError("the mpi backend needs mpi4py over an MPI library (pip install 'pyengine[distributed]' "
                           "and Open MPI: apt-get install openmpi-bin libopenmpi-dev)")
    return b, b == Backend.NCCL


def _require_nccl() -> None:
    if not is_nccl_available():
        from . import _nccl
        raise RuntimeError(f"Distributed package doesn't have NCCL built in ({_nccl.unavailable_reason()}; use "
                           "backend='mpi' or 'gloo' for CPU tensors)")


def _rendezvous(init_method: str, rank: int, world_size: int) -> tuple[int, int]:
    """rank and world_size as the init method states them (-1 where it does not)."""
    url = urllib.parse.urlparse(init_method)
    query = dict(urllib.parse.parse_qsl(url.query))
    if url.scheme == "env":
        if rank < 0 and "RANK" in os.environ:
            rank = int(os.environ["RANK"])
        if world_size < 0 and "WORLD_SIZE" in os.environ:
            world_size = int(os.environ["WORLD_SIZE"])
    elif url.scheme in ("tcp", "file"):
        rank = int(query.get("rank", rank))
        world_size = int(query.get("world_size", world_size))
    else:
        raise ValueError(f"No rendezvous handler for {url.scheme}://")
    return rank, world_size


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: datetime.timedelta | None = None, world_size: int = -1, rank: int = -1,
                       store: Any = None, group_name: str = "", pg_options: Any = None, device_id: Any = None) -> None:
    """Joins this process to the job's MPI world (Note [Joining one MPI world])."""
    if GroupMember.WORLD is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if store is not None:
        raise ValueError("pyengine.distributed has no Store: the ranks meet in the MPI world (pass init_method or "
                         "nothing)")
    name, nccl = _parse_backend(backend)
    if timeout is None:
        timeout = default_pg_timeout
    if not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got {type(timeout).__name__}")
    rank, world_size = _rendezvous(init_method or "env://", rank, world_size)
    MPI = mpi()
    world = MPI.COMM_WORLD
    size, me = world.Get_size(), world.Get_rank()
    if size == 1 and world_size > 1:
        raise RuntimeError(
            f"init_process_group(world_size={world_size}): this process is not part of an MPI job, and "
            "pyengine.distributed ranks must be started together by an MPI launcher: "
            "`python -m pyengine.distributed.run --nproc-per-node N script.py`, `mpirun -np N python script.py`, "
            "or pyengine.multiprocessing.spawn (see docs/distributed.md; independently started processes cannot "
            "join one Open MPI world)")
    if world_size >= 0 and world_size != size:
        raise RuntimeError(f"init_process_group: world_size={world_size} but the MPI job has {size} processes")
    if rank >= 0 and rank != me:
        raise RuntimeError(f"init_process_group: rank={rank} but this process is rank {me} of the MPI job (ranks "
                           "come from the launcher: use the RANK it sets)")
    global _fault_comm
    if _fault_comm is None:
        _fault_comm = world.Dup()
        _install_excepthook()
    GroupMember.WORLD = ProcessGroup(world.Dup(), list(range(size)), name, timeout, nccl)


def destroy_process_group(group: Any = None) -> None:
    """Frees the group's communicator (all groups when group is None or WORLD)."""
    global _groups
    if group is None or group is GroupMember.WORLD:
        pgs = _groups + ([GroupMember.WORLD] if GroupMember.WORLD is not None else [])
        _groups = []
        GroupMember.WORLD = None
    else:
        if _not_member(group):
            return
        pgs = [group]
        _groups = [g for g in _groups if g is not group]
    for pg in pgs:
        if pg.nccl:
            from . import _nccl
            _nccl.destroy(pg)
        if pg.comm is not None and pg.comm != mpi().COMM_NULL:
            pg.comm.Free()
            pg.comm = None


def new_group(ranks: list | None = None, timeout: datetime.timedelta | None = None, backend: str | None = None,
              pg_options: Any = None, use_local_synchronization: bool = False, group_desc: Any = None) -> Any:
    """A group of some ranks; every rank of the world must call it (as in PyTorch)."""
    world = _require_init()
    size = world.size()
    ranks = sorted(set(range(size) if ranks is None else (int(r) for r in ranks)))
    for r in ranks:
        if not 0 <= r < size:
            raise ValueError(f"Invalid rank {r} for new_group: ranks must be in [0, {size})")
    name, nccl = (world.backend, world.nccl) if backend is None else _parse_backend(backend)
    grp = world.comm.Get_group().Incl(ranks)
    comm = world.comm.Create(grp)
    grp.Free()
    if comm == mpi().COMM_NULL:
        return GroupMember.NON_GROUP_MEMBER
    pg = ProcessGroup(comm, ranks, name, world.timeout if timeout is None else timeout, nccl)
    _groups.append(pg)
    return pg


def get_backend(group: Any = None) -> str:
    pg = _resolve(group)
    if _not_member(pg):
        raise ValueError("Invalid process group specified")
    return pg.backend


def get_rank(group: Any = None) -> int:
    if _not_member(group):
        return -1
    return _resolve(group).rank()


def get_world_size(group: Any = None) -> int:
    if _not_member(group):
        return -1
    return _resolve(group).size()


def get_global_rank(group: Any, group_rank: int) -> int:
    pg = _resolve(group)
    if not 0 <= group_rank < pg.size():
        raise ValueError(f"Group rank {group_rank} is not part of group {pg}")
    return pg.ranks[group_rank]


def get_group_rank(group: Any, global_rank: int) -> int:
    pg = _resolve(group)
    if global_rank not in pg.ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {pg}")
    return pg.ranks.index(global_rank)


def get_process_group_ranks(group: Any) -> list:
    return list(_resolve(group).ranks)


def group_rank_of(pg: ProcessGroup, rank: int | None, group_rank: int | None, what: str) -> int:
    """The group rank for a collective's src/dst (a global rank, as in PyTorch) or group_src/group_dst."""
    if group_rank is not None:
        if rank is not None:
            raise ValueError(f"{what}: pass either a global rank or a group rank, not both")
        if not 0 <= group_rank < pg.size():
            raise ValueError(f"{what}: group rank {group_rank} is out of range for a group of size {pg.size()}")
        return group_rank
    return get_group_rank(pg, 0 if rank is None else rank)


# -- faults ---------------------------------------------------------------------------------------

def _check_peer_failures(what: str) -> None:
    """Raises if a rank announced a failure on the side channel (acknowledging it)."""
    if _fault_comm is None:
        return
    MPI = mpi()
    status = MPI.Status()
    while _fault_comm.Iprobe(MPI.ANY_SOURCE, _mpi.FAULT_TAG, status):
        src = status.Get_source()
        msg = _fault_comm.recv(source=src, tag=_mpi.FAULT_TAG)
        _failed[src] = msg
        _fault_comm.isend(None, dest=src, tag=_mpi.ACK_TAG)
    if _failed:
        src, msg = next(iter(_failed.items()))
        raise DistBackendError(f"[rank {_world_rank()}] {what} failed: rank {src} failed with {msg}")


def _notify_failure(message: str) -> None:
    """Tells every other rank that this one failed, and waits (briefly) until they have heard it."""
    if _fault_comm is None or _fault_comm.Get_size() == 1:
        return
    MPI = mpi()
    me = _fault_comm.Get_rank()
    peers = [r for r in range(_fault_comm.Get_size()) if r != me and r not in _failed]
    reqs = [_fault_comm.isend(message, dest=r, tag=_mpi.FAULT_TAG) for r in peers]
    pg = GroupMember.WORLD
    grace = min(5.0, pg.timeout_seconds if pg is not None else 5.0)
    deadline = time.monotonic() + grace
    waiting = set(peers)
    status = MPI.Status()
    while waiting and time.monotonic() < deadline:
        while _fault_comm.Iprobe(MPI.ANY_SOURCE, MPI.ANY_TAG, status):
            src, tag = status.Get_source(), status.Get_tag()
            _fault_comm.recv(source=src, tag=tag)
            waiting.discard(src)
            if tag == _mpi.FAULT_TAG:  # it failed too: it is not waiting for us
                _fault_comm.isend(None, dest=src, tag=_mpi.ACK_TAG)
        time.sleep(0.005)
    for r in reqs:
        r.Test()


def _excepthook(tp: Any, value: Any, tb: Any) -> None:
    _prev_excepthook(tp, value, tb)
    try:
        sys.stderr.flush()
        _notify_failure(f"{tp.__name__}: {value}")
    finally:
        if _fault_comm is not None and _fault_comm.Get_size() > 1:
            # The job cannot go on without this rank: end it now rather than leave the others waiting.
            mpi().COMM_WORLD.Abort(1)


def _install_excepthook() -> None:
    global _prev_excepthook
    if _prev_excepthook is None:
        _prev_excepthook = sys.excepthook
        sys.excepthook = _excepthook
