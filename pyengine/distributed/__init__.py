"""pyengine.distributed: torch.distributed over MPI (mpi4py on Open MPI), see docs/distributed.md.

Backends: ``mpi`` for CPU tensors; ``gloo`` is accepted as an alias of ``mpi`` (scripts written for
PyTorch's CPU backend run unchanged, on MPI); ``nccl`` needs a CUDA build with NCCL and raises
otherwise. Ranks are the processes of one MPI job (Note [Joining one MPI world]).
"""
from __future__ import annotations

from ._collectives import (
                           ReduceOp,
                           all_gather,
                           all_gather_into_tensor,
                           all_reduce,
                           all_to_all,
                           all_to_all_single,
                           barrier,
                           broadcast,
                           gather,
                           irecv,
                           isend,
                           recv,
                           reduce,
                           reduce_scatter,
                           reduce_scatter_tensor,
                           scatter,
                           send,
)
from ._mpi import DistBackendError, DistError, Work
from ._object_collectives import (
                           all_gather_object,
                           broadcast_object_list,
                           gather_object,
                           scatter_object_list,
)
from .distributed_c10d import (
                           Backend,
                           GroupMember,
                           ProcessGroup,
                           default_pg_timeout,
                           destroy_process_group,
                           get_backend,
                           get_global_rank,
                           get_group_rank,
                           get_process_group_ranks,
                           get_rank,
                           get_world_size,
                           group,
                           init_process_group,
                           is_available,
                           is_gloo_available,
                           is_initialized,
                           is_mpi_available,
                           is_nccl_available,
                           is_torchelastic_launched,
                           new_group,
)

__all__ = [
    "Backend", "DistBackendError", "DistError", "GroupMember", "ProcessGroup", "ReduceOp", "Work", "all_gather",
    "all_gather_into_tensor", "all_gather_object", "all_reduce", "all_to_all", "all_to_all_single", "barrier",
    "broadcast", "broadcast_object_list", "default_pg_timeout", "destroy_process_group", "gather", "gather_object",
    "get_backend", "get_global_rank", "get_group_rank", "get_process_group_ranks", "get_rank", "get_world_size",
    "group", "init_process_group", "irecv", "is_available", "is_gloo_available", "is_initialized",
    "is_mpi_available", "is_nccl_available", "is_torchelastic_launched", "isend", "new_group", "recv", "reduce",
    "reduce_scatter", "reduce_scatter_tensor", "scatter", "scatter_object_list", "send",
]
