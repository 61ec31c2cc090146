"""Collectives of picklable Python objects (broadcast_object_list, all_gather_object, gather_object,
scatter_object_list): objects are pickled (there is no other way to move them), their sizes are
exchanged first, then the bytes move as one uint8 buffer, with the same timeouts and fault checks
as the tensor collectives. Tensors inside the objects come back as CPU tensors.
"""
from __future__ import annotations

import pickle
from typing import Any

import numpy as np

from ._mpi import mpi, wait_requests
from .distributed_c10d import _not_member, _resolve, group_rank_of


def _dumps(obj: Any) -> np.ndarray:
    return np.frombuffer(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), dtype=np.uint8)


def _loads(buf: np.ndarray) -> Any:
    return pickle.loads(buf.tobytes())


def _wait(pg: Any, what: str, *reqs: Any) -> None:
    wait_requests(list(reqs), pg, what)


def _displs(counts: np.ndarray) -> list:
    return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int).tolist()


def broadcast_object_list(object_list: list, src: int | None = None, group: Any = None, device: Any = None,
                          group_src: int | None = None) -> None:
    """Fills object_list on every rank with the src rank's objects (in place)."""
    if _not_member(group):
        return
    pg = _resolve(group)
    root = group_rank_of(pg, src, group_src, "broadcast_object_list")
    me = pg.rank() == root
    blobs = [_dumps(o) for o in object_list] if me else []
    sizes = np.array([b.size for b in blobs] if me else [0] * len(object_list), dtype=np.int64)
    _wait(pg, "broadcast_object_list", pg.comm.Ibcast(sizes, root=root))
    data = np.concatenate(blobs) if me and blobs else np.empty(int(sizes.sum()), dtype=np.uint8)
    _wait(pg, "broadcast_object_list", pg.comm.Ibcast([data, mpi().BYTE], root=root))
    if not me:
        off = 0
        for i, n in enumerate(sizes.tolist()):
            object_list[i] = _loads(data[off:off + n])
            off += n


def all_gather_object(object_list: list, obj: Any, group: Any = None) -> None:
    """object_list[i] = the object of group rank i, on every rank."""
    if _not_member(group):
        return
    pg = _resolve(group)
    n = pg.size()
    if len(object_list) != n:
        raise ValueError(f"all_gather_object: object_list has {len(object_list)} slots, the group has {n} ranks")
    blob = _dumps(obj)
    sizes = np.empty(n, dtype=np.int64)
    _wait(pg, "all_gather_object", pg.comm.Iallgather(np.array([blob.size], dtype=np.int64), sizes))
    data = np.empty(int(sizes.sum()), dtype=np.uint8)
    B = mpi().BYTE
    _wait(pg, "all_gather_object",
          pg.comm.Iallgatherv([blob, B], [data, (sizes.tolist(), _displs(sizes)), B]))
    off = 0
    for i, s in enumerate(sizes.tolist()):
        object_list[i] = _loads(data[off:off + s])
        off += s


def gather_object(obj: Any, object_gather_list: list | None = None, dst: int | None = None, group: Any = None,
                  group_dst: int | None = None) -> None:
    """On the dst rank, object_gather_list[i] = the object of group rank i."""
    if _not_member(group):
        return
    pg = _resolve(group)
    root = group_rank_of(pg, dst, group_dst, "gather_object")
    n = pg.size()
    me = pg.rank() == root
    if me and (object_gather_list is None or len(object_gather_list) != n):
        raise ValueError(f"gather_object: the destination rank needs object_gather_list with {n} slots")
    blob = _dumps(obj)
    sizes = np.empty(n, dtype=np.int64)
    _wait(pg, "gather_object", pg.comm.Igather(np.array([blob.size], dtype=np.int64), sizes if me else None,
                                               root=root))
    B = mpi().BYTE
    if me:
        data = np.empty(int(sizes.sum()), dtype=np.uint8)
        _wait(pg, "gather_object", pg.comm.Igatherv([blob, B], [data, (sizes.tolist(), _displs(sizes)), B],
                                                    root=root))
        off = 0
        for i, s in enumerate(sizes.tolist()):
            object_gather_list[i] = _loads(data[off:off + s])
            off += s
    else:
        _wait(pg, "gather_object", pg.comm.Igatherv([blob, B], None, root=root))


def scatter_object_list(scatter_object_output_list: list, scatter_object_input_list: list | None = None,
                        src: int | None = None, group: Any = None, group_src: int | None = None) -> None:
    """scatter_object_output_list[0] = the src rank's scatter_object_input_list[group rank]."""
    if _not_member(group):
        return
    if not isinstance(scatter_object_output_list, list) or len(scatter_object_output_list) < 1:
        raise ValueError("Expected argument scatter_object_output_list to be a list of size at least 1.")
    pg = _resolve(group)
    root = group_rank_of(pg, src, group_src, "scatter_object_list")
    n = pg.size()
    me = pg.rank() == root
    if me:
        if scatter_object_input_list is None or len(scatter_object_input_list) != n:
            raise ValueError(f"scatter_object_list: the source rank needs scatter_object_input_list with {n} objects")
        blobs = [_dumps(o) for o in scatter_object_input_list]
        sizes = np.array([b.size for b in blobs], dtype=np.int64)
        data = np.concatenate(blobs)
    size = np.empty(1, dtype=np.int64)
    _wait(pg, "scatter_object_list", pg.comm.Iscatter(sizes if me else None, size, root=root))
    out = np.empty(int(size[0]), dtype=np.uint8)
    B = mpi().BYTE
    send = [data, (sizes.tolist(), _displs(sizes)), B] if me else None
    _wait(pg, "scatter_object_list", pg.comm.Iscatterv(send, [out, B], root=root))
    scatter_object_output_list[0] = _loads(out)
