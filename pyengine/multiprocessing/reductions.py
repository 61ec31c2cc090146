"""How tensors cross process boundaries in pyengine.multiprocessing (Queue, Pipe, Process args).

Note [Tensors through shared memory]: pickling a CPU tensor for another process first moves its
storage into shared memory in place (Tensor.share_memory_(), csrc/python/shared_memory.cpp), then
sends the mapping's file descriptor (multiprocessing's fd passing: DupFd) with the tensor's dtype,
sizes, strides and offset. The receiver maps the same memory: both processes see one storage, and
no tensor byte is copied or pickled. This is PyTorch's "file_descriptor" sharing strategy, with
its rule: the sender must stay alive until the receiver has taken the tensor. Tensors that require
grad travel as leaves with requires_grad set (non-leaf ones are refused, as in PyTorch). CUDA
tensors cannot be shared this way and are refused with an error.
"""
from __future__ import annotations

import multiprocessing
import os
from multiprocessing.reduction import ForkingPickler
from typing import Any

import pyengine
from pyengine import _C
from pyengine._C import Tensor


def _rebuild_tensor(df: Any, nbytes: int, dtype: Any, size: tuple, stride: tuple, offset: int,
                    requires_grad: bool) -> Tensor:
    fd = df.detach()
    try:
        t = _C._from_shm_fd(fd, nbytes, dtype, size, stride, offset)
    finally:
        os.close(fd)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data: Tensor, requires_grad: bool) -> Any:
    return pyengine.nn.Parameter(data, requires_grad)


def reduce_tensor(t: Tensor) -> tuple:
    if t.requires_grad and not t.is_leaf:
        raise RuntimeError("Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd does "
                           "not support crossing process boundaries.  If you just want to transfer the data, call "
                           "detach() on the tensor before serializing (e.g., putting it on the queue).")
    if t.device.type != "cpu":
        raise RuntimeError(f"pyengine.multiprocessing shares CPU tensors only; move the {t.device} tensor to the "
                           "CPU (or send it through a file) first")
    _C._share_memory_(t)
    fd, nbytes = _C._shm_fd(t)
    df = multiprocessing.reduction.DupFd(fd)
    return (_rebuild_tensor, (df, nbytes, t.dtype, tuple(t.shape), tuple(t.stride()), t.storage_offset(),
                              bool(t.requires_grad)))


def reduce_parameter(p: Any) -> tuple:
    return (_rebuild_parameter, (p.detach(), p.requires_grad))


_done = False


def init_reductions() -> None:
    """Registers the reducers with multiprocessing's pickler (every context uses it)."""
    global _done
    if _done:
        return
    _done = True
    ForkingPickler.register(Tensor, reduce_tensor)
    ForkingPickler.register(pyengine.nn.Parameter, reduce_parameter)
