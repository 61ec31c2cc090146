"""TypedStorage: the flat, typed view of a tensor's memory that ``Tensor.storage()`` returns.

It wraps a 1-d tensor over the whole storage (from element 0), so indexing, iteration and
``data_ptr()`` reflect the shared memory that every view of the storage sees.
"""
from __future__ import annotations

from . import _C


class TypedStorage:
    def __init__(self, *args, dtype=None, device=None, _tensor=None):
        if _tensor is None:
            from ._tensor import tensor as _make
            if len(args) == 1 and isinstance(args[0], int):
                _tensor = _C.empty(args[0], dtype=dtype or _C.get_default_dtype(), device=device or "cpu")
            elif len(args) == 1:
                _tensor = _make(list(args[0]), dtype=dtype or _C.get_default_dtype(), device=device)
            elif not args:
                _tensor = _C.empty(0, dtype=dtype or _C.get_default_dtype(), device=device or "cpu")
            else:
                raise TypeError("TypedStorage(): expected a size or a sequence")
        self._tensor = _C._storage_tensor(_tensor)

    @property
    def dtype(self):
        return self._tensor.dtype

    @property
    def device(self):
        return self._tensor.device

    def size(self) -> int:
        return self._tensor.numel()

    def __len__(self) -> int:
        return self._tensor.numel()

    def nbytes(self) -> int:
        return self._tensor.numel() * self._tensor.element_size()

    def element_size(self) -> int:
        return self._tensor.element_size()

    def data_ptr(self) -> int:
        return self._tensor.data_ptr()

    def __getitem__(self, i):
        if isinstance(i, slice):
            return TypedStorage(_tensor=self._tensor[i].clone())
        return self._tensor[i].item()

    def __setitem__(self, i, value) -> None:
        self._tensor[i] = value

    def __iter__(self):
        return iter(self.tolist())

    def tolist(self) -> list:
        return self._tensor.tolist()

    def fill_(self, value):
        self._tensor.fill_(value)
        return self

    def copy_(self, other):
        self._tensor.copy_(other._tensor)
        return self

    def clone(self):
        return TypedStorage(_tensor=self._tensor.clone())

    def cpu(self):
        return self if self.device.type == "cpu" else TypedStorage(_tensor=self._tensor.cpu())

    def is_shared(self) -> bool:
        return _C._is_shared(self._tensor)

    def share_memory_(self):
        _C._share_memory_(self._tensor)
        return self

    def __str__(self) -> str:
        info = "[torch.storage.TypedStorage(dtype=%s, device=%s) of size %d]" % (self.dtype, self.device, len(self))
        data = " " + "\n ".join(str(v) for v in self.tolist())
        return data + "\n" + info

    __repr__ = __str__

    def __eq__(self, other) -> bool:
        return isinstance(other, TypedStorage) and _C._same_storage(self._tensor, other._tensor) \
            and self._tensor.numel() == other._tensor.numel()

    def __hash__(self) -> int:
        return hash(self.data_ptr())
