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
