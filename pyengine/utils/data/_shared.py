"""Shared-memory transport of batches from DataLoader workers: tensor bytes never go through a pipe.

Note [DataLoader transport]: a worker pickles its batch with a ``persistent_id`` hook that takes
every tensor out of the pickle and lays its bytes, 64-byte aligned, into one file per batch in a
per-iterator directory on /dev/shm (RAM-backed; the temp dir where there is none). Only the small
skeleton pickle and the file's name cross the result queue. The main process maps the file,
unlinks it at once (the mapping lives on; nothing is left on disk even if the tensors are kept),
and rebuilds each tensor with ``pyengine.from_numpy`` on a view of the mapping: zero copies on
the receiving side. The mapping is freed when the last tensor viewing it dies. Files of batches
never received (a killed worker, an early break) are removed with the directory at shutdown.
We avoid multiprocessing.shared_memory on purpose: it starts a resource-tracker process and
warns about "leaked" segments whose ownership moved to the other process.
"""
from __future__ import annotations

import io
import mmap
import os
import pickle
import shutil
import tempfile
from typing import Any

import numpy as np

import pyengine

_ALIGN = 64


def make_dir() -> str:
    """A fresh private directory for one iterator's batch files."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    return tempfile.mkdtemp(prefix=f"pyengine-dl-{os.getpid()}-", dir=base)


def remove_dir(path: str | None, owner_pid: int | None = None) -> None:
    """Remove a batch directory; with ``owner_pid``, only from that process (never from a fork of it)."""
    if path and (owner_pid is None or owner_pid == os.getpid()):
        shutil.rmtree(path, ignore_errors=True)


class Packed:
    """What a worker sends for one batch: the file name (None when no tensor bytes) and the skeleton."""

    __slots__ = ("path", "skeleton", "nbytes")

    def __init__(self, path: str | None, skeleton: bytes, nbytes: int) -> None:
        self.path, self.skeleton, self.nbytes = path, skeleton, nbytes

    def __getstate__(self) -> tuple:
        return (self.path, self.skeleton, self.nbytes)

    def __setstate__(self, state: tuple) -> None:
        self.path, self.skeleton, self.nbytes = state


class _Pickler(pickle.Pickler):
    def __init__(self, f: io.BytesIO) -> None:
        super().__init__(f, protocol=pickle.HIGHEST_PROTOCOL)
        self.tensors: list[tuple[np.ndarray, int]] = []
        self.offset = 0

    def persistent_id(self, obj: Any) -> Any:
        if not isinstance(obj, pyengine.Tensor):
            return None
        t = obj.detach()
        device = str(t.device)
        if t.device.type != "cpu":
            t = t.cpu()
        dtype = t.dtype
        if dtype == pyengine.bfloat16:  # numpy has no bfloat16: carry the bits as int16
            t = t.view(pyengine.int16)
        arr = t.numpy()
        off = self.offset
        self.tensors.append((arr, off))
        self.offset = (off + arr.nbytes + _ALIGN - 1) // _ALIGN * _ALIGN
        return ("pe_tensor", off, arr.shape, arr.dtype.str, str(dtype), device, bool(obj.requires_grad))


def pack(data: Any, directory: str, name: str) -> Packed:
    """Write ``data``'s tensors to ``directory/name`` and pickle the rest (worker side)."""
    buf = io.BytesIO()
    p = _Pickler(buf)
    p.dump(data)
    total = p.offset
    if not p.tensors or total == 0:
        return Packed(None, buf.getvalue(), 0)
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.ftruncate(fd, total)
        with mmap.mmap(fd, total) as mm:
            for arr, off in p.tensors:
                dst = np.ndarray(arr.shape, arr.dtype, buffer=mm, offset=off)
                np.copyto(dst, arr)
                del dst
    finally:
        os.close(fd)
    return Packed(path, buf.getvalue(), total)


class _Unpickler(pickle.Unpickler):
    def __init__(self, f: io.BytesIO, mm: mmap.mmap | None) -> None:
        super().__init__(f)
        self.mm = mm

    def persistent_load(self, pid: Any) -> Any:
        tag, off, shape, np_dtype, dtype_name, device, requires_grad = pid
        if tag != "pe_tensor":
            raise pickle.UnpicklingError(f"unknown persistent id {tag!r}")
        nd = np.dtype(np_dtype)
        if self.mm is None:
            arr = np.empty(shape, dtype=nd)
        else:
            arr = np.ndarray(shape, nd, buffer=self.mm, offset=off)
        t = pyengine.from_numpy(arr)
        if dtype_name == str(pyengine.bfloat16):
            t = t.view(pyengine.bfloat16)
        if device != "cpu":
            t = t.to(device)
        if requires_grad:
            t.requires_grad_(True)
        return t


def unpack(packed: Packed) -> Any:
    """Rebuild a batch from its file (main side); the file is unlinked before returning."""
    mm = None
    if packed.path is not None:
        fd = os.open(packed.path, os.O_RDWR)
        try:
            mm = mmap.mmap(fd, packed.nbytes)
        finally:
            os.close(fd)
            os.unlink(packed.path)
    return _Unpickler(io.BytesIO(packed.skeleton), mm).load()


def discard(packed: Any) -> None:
    """Remove the file of a batch that will never be unpacked."""
    if isinstance(packed, Packed) and packed.path is not None:
        try:
            os.unlink(packed.path)
        except OSError:
            pass
