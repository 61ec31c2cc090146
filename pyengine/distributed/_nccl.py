"""The nccl backend: collectives on CUDA tensors through NCCL (the pyengine._nccl module).

Note [NCCL backend]: a process group whose backend is ``nccl`` (or ``cpu:gloo,cuda:nccl``) sends its
CUDA tensors here; its CPU tensors, barrier and the object collectives stay on MPI. The NCCL
communicator of a (group, device) pair is made on the group's first CUDA collective: group rank 0
makes the ncclUniqueId and broadcasts it over the group's MPI communicator (the bootstrap store),
then every rank calls ncclCommInitRank. Operations are enqueued on pyengine's current stream of the
tensor's device and return at once, as PyTorch's do; ``Work.wait()`` makes the then-current stream
wait for them (the host goes on), ``is_completed()`` asks the event recorded after them, and
``Work.synchronize()`` blocks the host. Copies (non-contiguous tensors, list APIs) are stream-ordered
too, so they are enqueued with the collective. The module exists only in a real CUDA build that
found NCCL (csrc/distributed/CMakeLists.txt); ``is_nccl_available()`` says whether it did.
"""
from __future__ import annotations

import time
from typing import Any

import pyengine
from pyengine import Tensor

from ._mpi import DistBackendError, _seconds

_MODULE: Any = None
_LOAD_ERROR: str | None = None


def module() -> Any:
    """pyengine._nccl, or None when this build has no NCCL backend."""
    global _MODULE, _LOAD_ERROR
    if _MODULE is None and _LOAD_ERROR is None:
        try:
            from pyengine import _nccl
            _MODULE = _nccl
        except ImportError as e:  # not built (CPU or emulated build), or libnccl.so.2 missing at run time
            _LOAD_ERROR = str(e)
    return _MODULE


def unavailable_reason() -> str:
    import importlib.util
    module()
    if _LOAD_ERROR and importlib.util.find_spec("pyengine._nccl") is not None:  # built, but libnccl did not load
        return f"pyengine._nccl failed to load ({_LOAD_ERROR}; pip install nvidia-nccl-cu13)"
    return "pyengine was built without CUDA/NCCL"


def _comm(pg: Any, device: int) -> Any:
    """The group's NCCL communicator on `device`, made on first use (Note [NCCL backend])."""
    comms = pg.nccl_comms
    c = comms.get(device)
    if c is None:
        m = module()
        uid = m.unique_id() if pg.rank() == 0 else None
        uid = pg.comm.bcast(uid, root=0)
        c = comms[device] = m.Comm(uid, pg.size(), pg.rank(), device)
    return c


def destroy(pg: Any) -> None:
    comms, pg.nccl_comms = pg.nccl_comms, {}
    for c in comms.values():
        c.destroy()


class NcclWork:
    """torch.distributed.Work of NCCL operations (Note [NCCL backend])."""

    def __init__(self, comm: Any, device: int, stream: int, keep: tuple, what: str, pg: Any) -> None:
        self._event = module().Event(device, stream)
        self._comm = comm
        self._stream = stream
        self._device = device
        self._keep = keep  # the tensors NCCL reads and writes live until the work completes
        self._what = what
        self._pg = pg
        self._result: Any = None

    def _check(self) -> None:
        err = self._comm.async_error()
        if err:
            raise DistBackendError(f"[rank {self._pg.rank()}] {self._what} failed in NCCL: {err}")

    def is_completed(self) -> bool:
        self._check()
        if self._event.query():
            self._keep = ()
            return True
        return False

    def wait(self, timeout: Any = None) -> bool:
        """Later work on the current stream runs after this work (the host does not block); with a
        timeout, as in PyTorch, the host waits for completion, at most that long."""
        self._check()
        if timeout is not None:
            self._host_wait(_seconds(timeout))
        current = pyengine._C._cuda_current_stream(self._device)
        if current != self._stream:
            self._event.block_stream(current)
        return True

    def synchronize(self) -> None:
        """Blocks the host until the work completed, within the group's timeout."""
        self._host_wait(self._pg.timeout_seconds)

    def _host_wait(self, limit: float) -> None:
        start = time.monotonic()
        while not self.is_completed():
            if time.monotonic() - start > limit:
                # The peers may never come: end the communicator rather than leave its kernels spinning.
                self._comm.abort()
                raise DistBackendError(f"[rank {self._pg.rank()}] {self._what} timed out after {limit:g} seconds "
                                       "(NCCL)")
            time.sleep(0.0001)

    def is_success(self) -> bool:
        return self.is_completed()

    def exception(self) -> BaseException | None:
        try:
            self._check()
        except DistBackendError as e:
            return e
        return None

    def result(self) -> Any:
        return self._result

    def source_rank(self) -> int:
        return self._result


def _dtype_code(t: Tensor, what: str) -> int:
    name = str(t.dtype).replace("torch.", "").replace("pyengine.", "")
    if name == "bool":
        name = "uint8"
    code = module().dtypes.get(name)
    if code is None:
        raise RuntimeError(f"{what}: the nccl backend has no {t.dtype} (NCCL types: "
                           f"{', '.join(sorted(module().dtypes))}, bool)")
    return code


def _op_code(op: Any, t: Tensor, what: str) -> int:
    name = op.name
    if t.dtype == pyengine.bool:  # as PyTorch: bool reduces as uint8, SUM/MAX are "any", PRODUCT/MIN "all"
        if name == "AVG":
            raise ValueError("ReduceOp.AVG needs floating-point tensors, got torch.bool")
        name = "MAX" if name in ("SUM", "MAX") else "MIN" if name in ("PRODUCT", "MIN") else name
    elif name == "AVG" and not t.dtype.is_floating_point:
        raise ValueError(f"ReduceOp.AVG needs floating-point tensors, got {t.dtype}")
    code = module().ops.get(name)
    if code is None:
        raise RuntimeError(f"{what}: ReduceOp.{name} is not supported by the nccl backend "
                           "(SUM, AVG, PRODUCT, MIN, MAX)")
    return code


def _device(tensors: list, what: str) -> int:
    dev = tensors[0].device
    for t in tensors:
        if t.device != dev:
            raise RuntimeError(f"{what}: tensors must all be on one CUDA device, got {dev} and {t.device}")
    return dev.index if dev.index is not None else pyengine.cuda.current_device()


def _contig(t: Tensor) -> Tensor:
    return t if t.is_contiguous() else t.detach().contiguous()


def check(pg: Any, what: str) -> None:
    """Raises unless CUDA tensors of this group can go to NCCL."""
    if module() is None:
        raise RuntimeError(f"{what} on CUDA tensors needs the nccl backend: {unavailable_reason()}")
    if not pg.nccl:
        raise RuntimeError(f"{what}: the process group's backend is '{pg.backend}', which works on CPU tensors; "
                           "CUDA tensors need init_process_group('nccl') (or 'cpu:gloo,cuda:nccl')")


def unsupported(what: str) -> RuntimeError:
    return RuntimeError(f"{what} on CUDA tensors is not supported by pyengine's nccl backend (all_reduce, "
                        "broadcast, reduce, all_gather(_into_tensor), reduce_scatter(_tensor), send/recv are); "
                        "move the tensors to the CPU for it")


def _run(pg: Any, what: str, tensors: list, enqueue: Any, async_op: bool, keep: tuple = ()) -> Any:
    """Enqueues `enqueue(comm, stream)` on the current stream of the tensors' device."""
    device = _device(tensors, what)
    comm = _comm(pg, device)
    err = comm.async_error()  # an earlier operation failed (a peer gone): say so rather than enqueue more
    if err:
        raise DistBackendError(f"[rank {pg.rank()}] {what}: the NCCL communicator failed earlier: {err}")
    stream = pyengine._C._cuda_current_stream(device)
    result = enqueue(comm, stream)
    if not async_op:  # stream-ordered: what runs next on this stream sees the result
        return None
    work = NcclWork(comm, device, stream, tuple(tensors) + keep, what, pg)
    work._result = result
    return work


def all_reduce(pg: Any, tensor: Tensor, op: Any, async_op: bool) -> Any:
    work = _contig(tensor)
    dt, rop = _dtype_code(tensor, "all_reduce"), _op_code(op, tensor, "all_reduce")

    def enqueue(comm: Any, stream: int) -> None:
        comm.all_reduce(work.data_ptr(), work.data_ptr(), work.numel(), dt, rop, stream)
        if work is not tensor:
            tensor.detach().copy_(work)
    return _run(pg, "all_reduce", [tensor], enqueue, async_op, (work,))


def broadcast(pg: Any, tensor: Tensor, root: int, async_op: bool) -> Any:
    work = _contig(tensor)
    dt = _dtype_code(tensor, "broadcast")

    def enqueue(comm: Any, stream: int) -> None:
        comm.broadcast(work.data_ptr(), work.data_ptr(), work.numel(), dt, root, stream)
        if work is not tensor:
            tensor.detach().copy_(work)
    return _run(pg, "broadcast", [tensor], enqueue, async_op, (work,))


def reduce(pg: Any, tensor: Tensor, op: Any, root: int, async_op: bool) -> Any:
    work = _contig(tensor)
    dt, rop = _dtype_code(tensor, "reduce"), _op_code(op, tensor, "reduce")

    def enqueue(comm: Any, stream: int) -> None:
        comm.reduce(work.data_ptr(), work.data_ptr(), work.numel(), dt, rop, root, stream)
        if work is not tensor and pg.rank() == root:
            tensor.detach().copy_(work)
    return _run(pg, "reduce", [tensor], enqueue, async_op, (work,))


def all_gather_into_tensor(pg: Any, output: Tensor, input: Tensor, async_op: bool) -> Any:
    src, out = _contig(input), _contig(output)
    dt = _dtype_code(input, "all_gather_into_tensor")

    def enqueue(comm: Any, stream: int) -> None:
        comm.all_gather(src.data_ptr(), out.data_ptr(), src.numel(), dt, stream)
        if out is not output:
            output.detach().copy_(out)
    return _run(pg, "all_gather_into_tensor", [output, input], enqueue, async_op, (src, out))


def all_gather(pg: Any, outputs: list, tensor: Tensor, async_op: bool) -> Any:
    src = _contig(tensor)
    flat = pyengine.empty((pg.size(), *tensor.shape), dtype=tensor.dtype, device=tensor.device)
    dt = _dtype_code(tensor, "all_gather")

    def enqueue(comm: Any, stream: int) -> None:
        comm.all_gather(src.data_ptr(), flat.data_ptr(), src.numel(), dt, stream)
        for i, o in enumerate(outputs):
            o.detach().copy_(flat[i].reshape(o.shape))
    return _run(pg, "all_gather", [tensor, *outputs], enqueue, async_op, (src, flat))


def reduce_scatter_tensor(pg: Any, output: Tensor, input: Tensor, op: Any, async_op: bool) -> Any:
    src, out = _contig(input), _contig(output)
    dt, rop = _dtype_code(input, "reduce_scatter_tensor"), _op_code(op, input, "reduce_scatter_tensor")

    def enqueue(comm: Any, stream: int) -> None:
        comm.reduce_scatter(src.data_ptr(), out.data_ptr(), out.numel(), dt, rop, stream)
        if out is not output:
            output.detach().copy_(out)
    return _run(pg, "reduce_scatter_tensor", [output, input], enqueue, async_op, (src, out))


def send(pg: Any, tensor: Tensor, peer: int) -> Any:
    src = _contig(tensor)
    dt = _dtype_code(tensor, "send")
    return _run(pg, "send", [tensor], lambda comm, stream: comm.send(src.data_ptr(), src.numel(), dt, peer, stream),
                True, (src,))


def recv(pg: Any, tensor: Tensor, peer: int) -> Any:
    if peer is None:
        raise RuntimeError("recv from any source is not supported by the nccl backend: pass src")
    out = _contig(tensor)
    dt = _dtype_code(tensor, "recv")

    def enqueue(comm: Any, stream: int) -> int:
        comm.recv(out.data_ptr(), out.numel(), dt, peer, stream)
        if out is not tensor:
            tensor.detach().copy_(out)
        return pg.ranks[peer]
    return _run(pg, "recv", [tensor], enqueue, True, (out,))
