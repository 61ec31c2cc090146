"""The reading half of load(): the rebuild functions that PyTorch's names map to, and storages.

The allowlist and the unpicklers that use it are in _serialization_safe.py. The rebuild functions
here check every number they are given against the storage's size, because ``set_`` itself does
not: a crafted file must not make a tensor that reads outside its storage.
"""
from __future__ import annotations

import pickle
import reprlib
import sys

import numpy as np

from . import _C
from ._serialization_pickler import STORAGE_NAMES
from .storage import TypedStorage

Tensor = _C.Tensor


class StorageType:
    """What ``torch.FloatStorage`` & co. load as: the dtype of a storage in a persistent id."""
    __slots__ = ("name", "dtype")

    def __init__(self, name: str, dtype) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "dtype", dtype)

    def __setattr__(self, key, value):  # shared by every load: a pickle must not be able to change it
        raise AttributeError("StorageType is read-only")

    def __repr__(self) -> str:
        return "StorageType(dtype=%s)" % (self.dtype if self.dtype is not None else self.name)


class UntypedStorage(TypedStorage):
    """The bytes of one storage as map_location callables receive it (on the CPU); like
    torch.UntypedStorage it can be moved with ``cuda()``, ``cpu()`` and ``to()``."""

    def __init__(self, *args, _tensor=None, **kwargs) -> None:
        super().__init__(*args, _tensor=_tensor, dtype=kwargs.pop("dtype", _C.uint8), **kwargs)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def cpu(self):
        return self if self.device.type == "cpu" else UntypedStorage(_tensor=self._tensor._to(None, "cpu", False))

    def cuda(self, device=None, non_blocking: bool = False):
        from . import cuda
        idx = cuda._check(device)
        return self.to(_C.device("cuda", idx))

    def to(self, device=None, non_blocking: bool = False):
        device = device if isinstance(device, _C.device) else _C.device(device)
        if device.type == "cuda":
            from . import cuda
            cuda._check(device)
        return UntypedStorage(_tensor=self._tensor._to(None, device, False))

    def __repr__(self) -> str:
        return "UntypedStorage(nbytes=%d, device=%s)" % (self.nbytes(), self.device)


STORAGE_TYPES = {name: StorageType(name, dt) for dt, name in STORAGE_NAMES.items()}
STORAGE_TYPES["UntypedStorage"] = StorageType("UntypedStorage", _C.uint8)


INT64_MAX = (1 << 63) - 1


def _short(value) -> str:
    """A repr short enough for a message (a crafted value can be huge or nested very deep)."""
    if type(value) is int:
        return _int_text(value)
    return reprlib.repr(value)


def _int_text(value: int) -> str:
    # a crafted int can have millions of digits (str() of it even raises past 4300 digits)
    return "%d" % value if value.bit_length() <= 256 else "<an int of %d bits>" % value.bit_length()


def _check_field(where: str, field: str, value, overflow_error: type) -> int:
    """One int of a tensor's geometry, checked before it reaches C++ so the error names it.

    The classes are PyTorch's for the same file: a value that does not fit in int64 is a
    TypeError for sizes and strides and a ValueError for the offset (its argument parser), a
    negative one a RuntimeError (``set_``)."""
    if type(value) is not int:
        raise RuntimeError("%s: %s must be an int, got %s (file corrupted?)" % (where, field, _short(value)))
    if not -INT64_MAX - 1 <= value <= INT64_MAX:
        raise overflow_error("%s: %s = %s does not fit in int64 (file corrupted?)" % (where, field, _int_text(value)))
    if value < 0:
        raise RuntimeError("%s: %s = %d must be non-negative (file corrupted?)" % (where, field, value))
    return value


def check_geometry(where: str, storage_offset, size, stride, storage_numel: int, itemsize: int) -> tuple:
    """The offset, sizes and strides of a tensor over a storage of ``storage_numel`` elements, each
    checked (fits in int64, non-negative, numel fits in int64, every element inside the storage)."""
    if not isinstance(size, (tuple, list)) or not isinstance(stride, (tuple, list)) or len(size) != len(stride):
        raise RuntimeError("%s: size %s and stride %s must be sequences of one length (file corrupted?)"
                           % (where, _short(size), _short(stride)))
    offset = _check_field(where, "storage_offset", storage_offset, ValueError)
    size = tuple(_check_field(where, "size[%d]" % i, v, TypeError) for i, v in enumerate(size))
    stride = tuple(_check_field(where, "stride[%d]" % i, v, TypeError) for i, v in enumerate(stride))
    numel = 0 if 0 in size else 1
    for s in size if numel else ():
        numel *= s
        if numel > INT64_MAX:  # stop here: the product of many crafted sizes could take minutes
            raise RuntimeError("%s: numel: integer multiplication overflow: size %s has more elements than "
                               "int64 holds (file corrupted?)" % (where, _short(list(size))))
    if numel == 0:  # no element is read; the offset must still lie in (or just past) the storage
        if offset > storage_numel:
            raise RuntimeError("%s: storage_offset %d is beyond the storage of %d elements (file corrupted?)"
                               % (where, offset, storage_numel))
        return offset, size, stride
    need = offset + 1 + sum((s - 1) * st for s, st in zip(size, stride))
    if need > storage_numel:
        raise RuntimeError("%s: setStorage: sizes %s, strides %s, storage offset %d, and itemsize %d requiring a "
                           "storage size of %d are out of bounds for storage of size %d"
                           % (where, _short(list(size)), _short(list(stride)), offset, itemsize, need * itemsize,
                              storage_numel * itemsize))
    return offset, size, stride


def make_tensor(storage, storage_offset, size, stride, requires_grad=False) -> Tensor:
    """A tensor of the storage's dtype viewing ``storage`` (checked to lie inside it)."""
    if not isinstance(storage, TypedStorage):
        raise RuntimeError("_rebuild_tensor_v2: expected a storage, got %s" % type(storage).__name__)
    src = storage._tensor
    where = "_rebuild_tensor_v2 on storage %s" % getattr(storage, "checkpoint_record", "(not from a record)")
    itemsize = src.element_size()
    offset, size, stride = check_geometry(where, storage_offset, size, stride, src._storage_nbytes() // itemsize,
                                          itemsize)
    t = _C.empty(0, dtype=src.dtype, device=src.device)
    _C._set_storage(t, src, offset, size, stride)
    if requires_grad is not False:
        if requires_grad is not True:
            raise RuntimeError("_rebuild_tensor_v2: requires_grad must be a bool, got %s" % _short(requires_grad))
        t.requires_grad_(True)
    return t


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    # backward hooks cannot be restored (PyTorch drops them too); metadata holds flags we lack.
    return make_tensor(storage, storage_offset, size, stride, requires_grad)


def _rebuild_tensor(storage, storage_offset, size, stride):
    return make_tensor(storage, storage_offset, size, stride)


def _parameter(data: Tensor, requires_grad: bool):
    from . import nn
    cls = getattr(nn, "Parameter", None)
    if cls is None:  # before nn.Parameter exists: a leaf tensor with the same flag
        return data.detach().requires_grad_(bool(requires_grad)) if requires_grad else data.detach()
    return cls(data, requires_grad)


def _rebuild_parameter(data, requires_grad, backward_hooks):
    if not isinstance(data, Tensor):
        raise RuntimeError("_rebuild_parameter: expected a tensor, got %s" % type(data).__name__)
    return _parameter(data, requires_grad)


def _set_state(obj, state):
    if not state:
        return obj
    if isinstance(state, tuple) and len(state) == 2:  # (dict state, slot state), as _get_obj_state
        dict_state, slots = state
    else:
        dict_state, slots = state, None
    for source in (dict_state, slots):
        if source:
            if not isinstance(source, dict):
                raise RuntimeError("tensor state must be a dict, got %s" % type(source).__name__)
            for k, v in source.items():
                setattr(obj, k, v)
    return obj


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_state(_rebuild_parameter(data, requires_grad, backward_hooks), state)


class _TensorClass:
    """What ``torch.Tensor`` / ``torch.nn.parameter.Parameter`` load as in _rebuild_from_type_v2."""
    __slots__ = ("parameter",)

    def __init__(self, parameter: bool) -> None:
        object.__setattr__(self, "parameter", parameter)

    def __setattr__(self, key, value):
        raise AttributeError("read-only")


TENSOR_CLASS, PARAMETER_CLASS = _TensorClass(False), _TensorClass(True)
_REBUILDS = (_rebuild_tensor_v2, _rebuild_tensor, _rebuild_parameter, _rebuild_parameter_with_state)


def _rebuild_from_type_v2(func, new_type, args, state):
    if func not in _REBUILDS:
        raise pickle.UnpicklingError("_rebuild_from_type_v2: unexpected function %r" % (func,))
    t = func(*args)
    if new_type is PARAMETER_CLASS:
        if not _is_parameter(t):
            t = _parameter(t, t.requires_grad)
    elif isinstance(new_type, type) and issubclass(new_type, Tensor):  # allowed only with weights_only=False
        if type(t) is not new_type:
            raise RuntimeError("cannot rebuild a tensor of class %s (pyengine has no Tensor.as_subclass)"
                               % new_type.__qualname__)
    elif new_type is not TENSOR_CLASS:
        raise pickle.UnpicklingError("_rebuild_from_type_v2: unexpected type %r" % (new_type,))
    return _set_state(t, state)


def _is_parameter(t) -> bool:
    return getattr(type(t), "_is_parameter_class", False)


def encode(text, encoding="latin1"):
    """``_codecs.encode`` restricted to what pickle's bytes use (protocol 2 writes bytes that way)."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1", "utf-8", "utf8", "ascii"):
        raise pickle.UnpicklingError("_codecs.encode is only allowed to make bytes from str with latin1")
    return text.encode(encoding)


def fix_bytes(buf: np.ndarray, dtype, byteorder: str) -> None:
    """Make loaded bytes valid for ``dtype`` here: swap byte order, and turn bool bytes into 0/1
    (any other byte value in a bool is undefined behaviour for the C++ kernels)."""
    itemsize = _C.empty(0, dtype=dtype).element_size()
    if byteorder != sys.byteorder and itemsize > 1 and buf.size:
        buf.view("u%d" % itemsize).byteswap(inplace=True)
    if dtype is _C.bool and buf.size:
        np.minimum(buf, 1, out=buf)

