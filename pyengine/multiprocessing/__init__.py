"""pyengine.multiprocessing: Python's multiprocessing, with tensors sent through shared memory.

Everything of ``multiprocessing`` is here (Process, Queue, Pipe, get_context, ...); pickling a
tensor for another process shares its storage instead of copying it (Note [Tensors through shared
memory] in reductions.py). ``spawn`` runs fn(i, *args) in nprocs processes (spawn.py).
"""
from __future__ import annotations

import multiprocessing
from multiprocessing import *

from .reductions import init_reductions
from .spawn import (
    ProcessContext,
    ProcessException,
    ProcessExitedException,
    ProcessRaisedException,
    spawn,
    start_processes,
)

__all__ = ["get_all_sharing_strategies", "get_sharing_strategy", "set_sharing_strategy", "spawn",
           "start_processes", "ProcessContext", "ProcessException", "ProcessExitedException",
           "ProcessRaisedException"] + list(multiprocessing.__all__)

init_reductions()


def get_all_sharing_strategies() -> set:
    return {"file_descriptor"}


def get_sharing_strategy() -> str:
    return "file_descriptor"


def set_sharing_strategy(new_strategy: str) -> None:
    if new_strategy not in get_all_sharing_strategies():
        raise ValueError(f"sharing strategy {new_strategy!r} is not supported (pyengine shares through file "
                         "descriptors: 'file_descriptor')")
