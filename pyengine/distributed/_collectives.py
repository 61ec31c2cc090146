"""Tensor collectives and point-to-point over MPI (torch.distributed's signatures and checks).

Each one starts nonblocking MPI operations on zero-copy buffers (Note [Zero-copy MPI buffers] in
_mpi.py) and returns a Work (async_op=True) or waits for it (Note [Waiting with a timeout]).
``src``/``dst`` are global ranks as in PyTorch; ``group_src``/``group_dst`` are ranks in the group.
"""
from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import numpy as np

import pyengine
from pyengine import Tensor

from . import _mpi, _nccl
from ._mpi import Staged, Work, buffer_spec, mpi, wait_requests
from .distributed_c10d import GroupMember, ProcessGroup, _not_member, _resolve, group_rank_of


class RedOpType(enum.Enum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7


class ReduceOp:
    """torch.distributed.ReduceOp: ReduceOp.SUM, AVG, PRODUCT, MIN, MAX (and BAND/BOR/BXOR for integers)."""

    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR


_OPS: dict = {}


def _op(op: Any, dtype) -> Any:
    """The MPI.Op for a ReduceOp on tensors of `dtype` (AVG is a SUM divided afterwards)."""
    key = (op, dtype)
    mop = _OPS.get(key)
    if mop is None:
        mop = _OPS[key] = _make_op(op, dtype)
    return mop


def _make_op(op: Any, dtype) -> Any:
    MPI = mpi()
    if not isinstance(op, RedOpType):
        raise TypeError(f"op must be a torch.distributed.ReduceOp, got {op!r}")
    if op in (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR):
        if dtype.is_floating_point:
            raise ValueError(f"ReduceOp.{op.name} needs integer or bool tensors, got {dtype}")
        return {RedOpType.BAND: MPI.BAND, RedOpType.BOR: MPI.BOR, RedOpType.BXOR: MPI.BXOR}[op]
    if dtype == pyengine.bool:  # MPI reduces C_BOOL with logical ops only
        if op == RedOpType.AVG:
            raise ValueError("ReduceOp.AVG needs floating-point tensors, got torch.bool")
        return MPI.LOR if op in (RedOpType.SUM, RedOpType.MAX) else MPI.LAND
    if op == RedOpType.AVG and not dtype.is_floating_point:
        raise ValueError(f"ReduceOp.AVG needs floating-point tensors, got {dtype}")
    return {RedOpType.SUM: MPI.SUM, RedOpType.AVG: MPI.SUM, RedOpType.PRODUCT: MPI.PROD, RedOpType.MIN: MPI.MIN,
            RedOpType.MAX: MPI.MAX}[op]


def _run(pg: Any, what: str, reqs: list, finish: Callable[[], Any] | None, async_op: bool) -> Any:
    work = Work(reqs, pg, what, finish)
    if async_op:
        return work
    work.wait()
    return None


def _check_tensor(t: Any, name: str) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type torch.Tensor but got "
                        f"{type(t)} instead.")
    return t


def _finisher(*staged: Staged, after: Callable[[], None] | None = None) -> Callable[[], None]:
    def finish() -> None:
        if after is not None:
            after()
        for s in staged:
            s.finish()
    return finish


# Note [all_reduce fast path]: training loops call all_reduce on contiguous CPU tensors, synchronously,
# often; for small buffers the Python around the MPI call was most of the time (~20 us a call against
# 0.5 us for mpi4py's own Iallreduce + Wait, one rank, measured here). The common case (a contiguous
# CPU tensor of a type MPI reduces directly, SUM/AVG/PRODUCT/MIN/MAX, the default or a given group,
# async_op=False) therefore goes straight to MPI_Iallreduce on the tensor's memory and tests the
# request in a tight loop before the general wait (Note [Waiting with a timeout]). It makes the same
# MPI call as the general path, so results are identical; everything else takes the general path.
_FAST_TYPES: dict = {}
_FAST_OPS: dict = {}
_FAST_SUM = None


def _fast_tables() -> None:
    global _FAST_SUM
    MPI = mpi()
    _FAST_SUM = MPI.SUM
    _FAST_TYPES.update({pyengine.float32: MPI.FLOAT, pyengine.float64: MPI.DOUBLE, pyengine.int64: MPI.INT64_T,
                        pyengine.int32: MPI.INT32_T, pyengine.int16: MPI.INT16_T, pyengine.int8: MPI.INT8_T,
                        pyengine.uint8: MPI.UINT8_T})
    _FAST_OPS.update({RedOpType.SUM: MPI.SUM, RedOpType.PRODUCT: MPI.PROD, RedOpType.MIN: MPI.MIN,
                      RedOpType.MAX: MPI.MAX, RedOpType.AVG: MPI.SUM})


def all_reduce(tensor: Tensor, op: Any = ReduceOp.SUM, group: Any = None, async_op: bool = False) -> Any:
    if not async_op and isinstance(tensor, Tensor) and tensor.is_cpu and tensor.is_contiguous():
        pg = GroupMember.WORLD if group is None else group
        mtype = _FAST_TYPES.get(tensor.dtype)
        # (an Enum's hash is Python code: SUM, the common op, is found by identity)
        mop = _FAST_SUM if op is RedOpType.SUM else _FAST_OPS.get(op) if isinstance(op, RedOpType) else None
        if mtype is not None and mop is not None and isinstance(pg, ProcessGroup) \
                and (op is not RedOpType.AVG or tensor.dtype.is_floating_point):
            MPI = _mpi._MPI
            nbytes = tensor.nbytes
            req = pg.comm.Iallreduce(MPI.IN_PLACE, [MPI.buffer.fromaddress(tensor.data_ptr() if nbytes else 0,
                                                                            nbytes), mtype], mop)
            test = req.Test
            for _ in range(64):  # a small message completes within these tests, a few microseconds
                if test():
                    break
            else:
                wait_requests([req], pg, "all_reduce")
            if op is RedOpType.AVG:
                tensor.detach().div_(pg.size())
            return None
        if not _FAST_TYPES and _mpi._MPI is not None:
            _fast_tables()
    _check_tensor(tensor, "tensor")
    if _not_member(group):
        return None
    pg = _resolve(group)
    if tensor.is_cuda:
        _nccl.check(pg, "all_reduce")
        return _nccl.all_reduce(pg, tensor, op, async_op)
    s = Staged(tensor, reducing=True)
    mop = _op(op, tensor.dtype)
    req = pg.comm.Iallreduce(mpi().IN_PLACE, s.typed_spec(), mop)
    after = (lambda: s.work.div_(pg.size())) if op == ReduceOp.AVG else None
    return _run(pg, "all_reduce", [req], _finisher(s, after=after), async_op)


def broadcast(tensor: Tensor, src: int | None = None, group: Any = None, async_op: bool = False,
              group_src: int | None = None) -> Any:
    _check_tensor(tensor, "tensor")
    if _not_member(group):
        return None
    pg = _resolve(group)
    root = group_rank_of(pg, src, group_src, "broadcast")
    if tensor.is_cuda:
        _nccl.check(pg, "broadcast")
        return _nccl.broadcast(pg, tensor, root, async_op)
    s = Staged(tensor)
    req = pg.comm.Ibcast(s.bytes_spec(), root=root)
    return _run(pg, "broadcast", [req], _finisher(s), async_op)


def reduce(tensor: Tensor, dst: int | None = None, op: Any = ReduceOp.SUM, group: Any = None,
           async_op: bool = False, group_dst: int | None = None) -> Any:
    _check_tensor(tensor, "tensor")
    if _not_member(group):
        return None
    pg = _resolve(group)
    root = group_rank_of(pg, dst, group_dst, "reduce")
    if tensor.is_cuda:
        _nccl.check(pg, "reduce")
        return _nccl.reduce(pg, tensor, op, root, async_op)
    s = Staged(tensor, reducing=True)
    mop = _op(op, tensor.dtype)
    MPI = mpi()
    if pg.rank() == root:
        req = pg.comm.Ireduce(MPI.IN_PLACE, s.typed_spec(), mop, root=root)
        after = (lambda: s.work.div_(pg.size())) if op == ReduceOp.AVG else None
        finish = _finisher(s, after=after)
    else:
        req = pg.comm.Ireduce(s.typed_spec(), None, mop, root=root)
        finish = None
    return _run(pg, "reduce", [req], finish, async_op)


def _check_same(tensors: list, like: Tensor, what: str, name: str) -> None:
    for t in tensors:
        _check_tensor(t, name)
        if t.dtype != like.dtype:
            raise RuntimeError(f"{what}: tensors must all have dtype {like.dtype}, got {t.dtype}")
        if t.numel() != like.numel():
            raise RuntimeError(f"{what}: tensors must all have {like.numel()} elements (shape {tuple(like.shape)}), "
                               f"got shape {tuple(t.shape)}")


def _flat(n: int, like: Tensor) -> Tensor:
    return pyengine.empty((n, *like.shape), dtype=like.dtype)


def _copy_out(flat: Tensor, outs: list) -> Callable[[], None]:
    def finish() -> None:
        for i, o in enumerate(outs):
            o.detach().copy_(flat[i].reshape(o.shape))
    return finish


def all_gather(tensor_list: list, tensor: Tensor, group: Any = None, async_op: bool = False) -> Any:
    _check_tensor(tensor, "tensor")
    if _not_member(group):
        return None
    pg = _resolve(group)
    if len(tensor_list) != pg.size():
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} tensors, the group has {pg.size()} ranks")
    _check_same(tensor_list, tensor, "all_gather", "tensor_list")
    if tensor.is_cuda:
        _nccl.check(pg, "all_gather")
        return _nccl.all_gather(pg, tensor_list, tensor, async_op)
    s = Staged(tensor)
    flat = _flat(pg.size(), tensor)
    req = pg.comm.Iallgather(s.bytes_spec(), buffer_spec(flat))
    return _run(pg, "all_gather", [req], _copy_out(flat, tensor_list), async_op)


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor, group: Any = None,
                           async_op: bool = False) -> Any:
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    if _not_member(group):
        return None
    pg = _resolve(group)
    if output_tensor.dtype != input_tensor.dtype:
        raise RuntimeError(f"all_gather_into_tensor: output dtype {output_tensor.dtype} != input dtype "
                           f"{input_tensor.dtype}")
    if output_tensor.numel() != pg.size() * input_tensor.numel():
        raise ValueError(f"output tensor size must be equal to world_size times input tensor size "
                         f"(output {tuple(output_tensor.shape)}, input {tuple(input_tensor.shape)}, world size "
                         f"{pg.size()})")
    if input_tensor.is_cuda:
        _nccl.check(pg, "all_gather_into_tensor")
        return _nccl.all_gather_into_tensor(pg, output_tensor, input_tensor, async_op)
    s_in = Staged(input_tensor)
    s_out = Staged(output_tensor, copy_in=False)
    req = pg.comm.Iallgather(s_in.bytes_spec(), s_out.bytes_spec())
    return _run(pg, "all_gather_into_tensor", [req], _finisher(s_out), async_op)


def gather(tensor: Tensor, gather_list: list | None = None, dst: int | None = None, group: Any = None,
           async_op: bool = False, group_dst: int | None = None) -> Any:
    _check_tensor(tensor, "tensor")
    if _not_member(group):
        return None
    pg = _resolve(group)
    root = group_rank_of(pg, dst, group_dst, "gather")
    if tensor.is_cuda:
        raise _nccl.unsupported("gather")
    s = Staged(tensor)
    if pg.rank() == root:
        if gather_list is None or len(gather_list) != pg.size():
            raise ValueError(f"gather: the destination rank needs gather_list with {pg.size()} tensors")
        _check_same(gather_list, tensor, "gather", "gather_list")
        flat = _flat(pg.size(), tensor)
        req = pg.comm.Igather(s.bytes_spec(), buffer_spec(flat), root=root)
        return _run(pg, "gather", [req], _copy_out(flat, gather_list), async_op)
    if gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    req = pg.comm.Igather(s.bytes_spec(), None, root=root)
    return _run(pg, "gather", [req], None, async_op)


def scatter(tensor: Tensor, scatter_list: list | None = None, src: int | None = None, group: Any = None,
            async_op: bool = False, group_src: int | None = None) -> Any:
    _check_tensor(tensor, "tensor")
    if _not_member(group):
        return None
    pg = _resolve(group)
    root = group_rank_of(pg, src, group_src, "scatter")
    if tensor.is_cuda:
        raise _nccl.unsupported("scatter")
    s = Staged(tensor, copy_in=False)
    if pg.rank() == root:
        if scatter_list is None or len(scatter_list) != pg.size():
            raise ValueError(f"scatter: the source rank needs scatter_list with {pg.size()} tensors")
        _check_same(scatter_list, tensor, "scatter", "scatter_list")
        flat = pyengine.stack([t.detach().reshape(tensor.shape) for t in scatter_list])
        send = buffer_spec(flat)
    else:
        if scatter_list:
            raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
        flat, send = None, None
    req = pg.comm.Iscatter(send, s.bytes_spec(), root=root)
    keep = flat  # the send buffer lives until the operation completes
    return _run(pg, "scatter", [req], _finisher(s, after=lambda: keep), async_op)


def reduce_scatter_tensor(output: Tensor, input: Tensor, op: Any = ReduceOp.SUM, group: Any = None,
                          async_op: bool = False) -> Any:
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    if _not_member(group):
        return None
    pg = _resolve(group)
    if output.dtype != input.dtype:
        raise RuntimeError(f"reduce_scatter_tensor: output dtype {output.dtype} != input dtype {input.dtype}")
    if input.numel() != pg.size() * output.numel():
        raise ValueError(f"input tensor must be the same size as output size times world size (input "
                         f"{tuple(input.shape)}, output {tuple(output.shape)}, world size {pg.size()})")
    if input.is_cuda:
        _nccl.check(pg, "reduce_scatter_tensor")
        return _nccl.reduce_scatter_tensor(pg, output, input, op, async_op)
    s_in = Staged(input, reducing=True)
    s_out = Staged(output, reducing=True, copy_in=False)
    req = pg.comm.Ireduce_scatter_block(s_in.typed_spec(), s_out.typed_spec(), _op(op, output.dtype))
    after = (lambda: s_out.work.div_(pg.size())) if op == ReduceOp.AVG else None
    return _run(pg, "reduce_scatter_tensor", [req], _finisher(s_out, after=after), async_op)


def reduce_scatter(output: Tensor, input_list: list, op: Any = ReduceOp.SUM, group: Any = None,
                   async_op: bool = False) -> Any:
    _check_tensor(output, "output")
    if _not_member(group):
        return None
    pg = _resolve(group)
    if len(input_list) != pg.size():
        raise ValueError(f"reduce_scatter: input_list has {len(input_list)} tensors, the group has {pg.size()} ranks")
    _check_same(input_list, output, "reduce_scatter", "input_list")
    flat = pyengine.stack([t.detach().reshape(output.shape) for t in input_list])
    return reduce_scatter_tensor(output, flat, op, group, async_op)


def _byte_counts(tensors: list) -> tuple[list, list]:
    counts = [t.numel() * t.element_size() for t in tensors]
    displs = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int).tolist() if counts else []
    return counts, displs


def all_to_all(output_tensor_list: list, input_tensor_list: list, group: Any = None, async_op: bool = False) -> Any:
    if _not_member(group):
        return None
    pg = _resolve(group)
    n = pg.size()
    if len(output_tensor_list) != n or len(input_tensor_list) != n:
        raise ValueError(f"all_to_all: needs {n} output and {n} input tensors, got {len(output_tensor_list)} and "
                         f"{len(input_tensor_list)}")
    for t in list(output_tensor_list) + list(input_tensor_list):
        _check_tensor(t, "tensor")
        if t.dtype != input_tensor_list[0].dtype:
            raise RuntimeError(f"all_to_all: tensors must all have dtype {input_tensor_list[0].dtype}, got {t.dtype}")
    if input_tensor_list[0].is_cuda:
        raise _nccl.unsupported("all_to_all")
    send = pyengine.cat([t.detach().reshape(-1) for t in input_tensor_list])
    recv = pyengine.empty(sum(t.numel() for t in output_tensor_list), dtype=send.dtype)
    sc, sd = _byte_counts(input_tensor_list)
    rc, rd = _byte_counts(output_tensor_list)
    B = mpi().BYTE
    req = pg.comm.Ialltoallv([buffer_spec(send)[0], (sc, sd), B], [buffer_spec(recv)[0], (rc, rd), B])

    def finish(_keep: Tensor = send) -> None:  # the send buffer lives until the operation completes
        off = 0
        for o in output_tensor_list:
            o.detach().copy_(recv[off:off + o.numel()].reshape(o.shape))
            off += o.numel()
    return _run(pg, "all_to_all", [req], finish, async_op)


def all_to_all_single(output: Tensor, input: Tensor, output_split_sizes: list | None = None,
                      input_split_sizes: list | None = None, group: Any = None, async_op: bool = False) -> Any:
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    if _not_member(group):
        return None
    pg = _resolve(group)
    n = pg.size()
    if output.dtype != input.dtype:
        raise RuntimeError(f"all_to_all_single: output dtype {output.dtype} != input dtype {input.dtype}")
    if input.is_cuda:
        raise _nccl.unsupported("all_to_all_single")

    def splits(t: Tensor, sizes: list | None, name: str) -> tuple[list, list]:
        rows = t.shape[0] if t.dim() else 1
        if not sizes:
            if rows % n:
                raise ValueError(f"all_to_all_single: dim 0 of {name} ({rows}) must divide by the group size {n}")
            sizes = [rows // n] * n
        if len(sizes) != n or sum(sizes) != rows:
            raise ValueError(f"all_to_all_single: {name}_split_sizes {list(sizes)} must have {n} entries summing to "
                             f"{rows}")
        row_bytes = (t.numel() // rows if rows else 0) * t.element_size()
        counts = [int(s) * row_bytes for s in sizes]
        return counts, np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int).tolist()
    sc, sd = splits(input, input_split_sizes, "input")
    rc, rd = splits(output, output_split_sizes, "output")
    s_in = Staged(input)
    s_out = Staged(output, copy_in=False)
    B = mpi().BYTE
    req = pg.comm.Ialltoallv([s_in.bytes_spec()[0], (sc, sd), B], [s_out.bytes_spec()[0], (rc, rd), B])
    return _run(pg, "all_to_all_single", [req], _finisher(s_out), async_op)


def barrier(group: Any = None, async_op: bool = False, device_ids: Any = None) -> Any:
    if _not_member(group):
        return None
    pg = _resolve(group)
    return _run(pg, "barrier", [pg.comm.Ibarrier()], None, async_op)


# -- point to point -------------------------------------------------------------------------------

def isend(tensor: Tensor, dst: int | None = None, group: Any = None, tag: int = 0,
          group_dst: int | None = None) -> Any:
    _check_tensor(tensor, "tensor")
    if _not_member(group):
        return None
    pg = _resolve(group)
    peer = group_rank_of(pg, dst, group_dst, "send")
    if peer == pg.rank():
        raise ValueError("Invalid destination rank: should not be the same as the rank of the current process.")
    if tensor.is_cuda:
        _nccl.check(pg, "send")
        return _nccl.send(pg, tensor, peer)
    s = Staged(tensor)
    req = pg.comm.Isend(s.bytes_spec(), dest=peer, tag=tag)
    return Work([req], pg, "send", lambda: s)


def irecv(tensor: Tensor, src: int | None = None, group: Any = None, tag: int = 0,
          group_src: int | None = None) -> Any:
    _check_tensor(tensor, "tensor")
    if _not_member(group):
        return None
    pg = _resolve(group)
    MPI = mpi()
    peer = MPI.ANY_SOURCE if src is None and group_src is None else group_rank_of(pg, src, group_src, "recv")
    if tensor.is_cuda:
        _nccl.check(pg, "recv")
        return _nccl.recv(pg, tensor, None if peer == MPI.ANY_SOURCE else peer)
    s = Staged(tensor, copy_in=False)
    status = MPI.Status()
    req = pg.comm.Irecv(s.bytes_spec(), source=peer, tag=tag)

    def finish() -> int:
        s.finish()
        return pg.ranks[status.Get_source()]
    return Work([req], pg, "recv", finish, statuses=[status])


def send(tensor: Tensor, dst: int | None = None, group: Any = None, tag: int = 0,
         group_dst: int | None = None) -> None:
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def recv(tensor: Tensor, src: int | None = None, group: Any = None, tag: int = 0,
         group_src: int | None = None) -> int:
    """Receives into tensor; returns the sender's (global) rank, or -1 when not in the group."""
    work = irecv(tensor, src, group, tag, group_src)
    if work is None:
        return -1
    work.wait()
    return work.result()
