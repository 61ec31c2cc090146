"""torch.layout objects. Only the strided layout exists; ``sparse_coo`` is there to be compared with."""
from __future__ import annotations


class layout:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return "torch." + self._name

    def __reduce__(self):
        return self._name


strided = layout("strided")
sparse_coo = layout("sparse_coo")


class memory_format:
    """torch.memory_format: the stride order asked of a new tensor (clone, contiguous, to, empty, *_like).
    The C++ side reads ``_pe_memory_format`` (the order of csrc/core/memory_format.h's MemoryFormat)."""

    __slots__ = ("_name", "_pe_memory_format")

    def __init__(self, name: str, code: int) -> None:
        self._name = name
        self._pe_memory_format = code

    def __repr__(self) -> str:
        return "torch." + self._name

    def __reduce__(self):
        return self._name


contiguous_format = memory_format("contiguous_format", 0)
preserve_format = memory_format("preserve_format", 1)
channels_last = memory_format("channels_last", 2)
channels_last_3d = memory_format("channels_last_3d", 3)
