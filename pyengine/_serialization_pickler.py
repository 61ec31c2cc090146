"""The writing half of save(): a pickler that writes PyTorch's names, so that ``torch.load`` reads
our checkpoints and we read PyTorch's (the format is one, see docs/serialization.md).

A tensor pickles as ``torch._utils._rebuild_tensor_v2(<storage>, offset, size, stride,
requires_grad, OrderedDict())`` where ``<storage>`` is a persistent id
``('storage', torch.FloatStorage, key, location, numel)``; each storage is pickled once by key and
its bytes go to the record ``data/<key>``, so views of one storage stay views of one storage.

Why the pure-Python pickler: the C pickler checks every global it writes by importing it, and the
names we write (``torch._utils...``) are not importable without torch. The pure-Python one lets us
write those GLOBAL opcodes from a dispatch entry. Only the structure goes through it (the tensor
bytes do not), so its speed does not matter.
"""
from __future__ import annotations

import pickle
from collections import OrderedDict

from . import _C
from ._size import Size
from .storage import TypedStorage

Tensor = _C.Tensor

# One table for both directions: our dtype <-> PyTorch's legacy storage class name.
STORAGE_NAMES = {
    _C.bool: "BoolStorage", _C.uint8: "ByteStorage", _C.int8: "CharStorage", _C.int16: "ShortStorage",
    _C.int32: "IntStorage", _C.int64: "LongStorage", _C.float16: "HalfStorage",
    _C.bfloat16: "BFloat16Storage", _C.float32: "FloatStorage", _C.float64: "DoubleStorage",
    _C.complex64: "ComplexFloatStorage", _C.complex128: "ComplexDoubleStorage",
}
DTYPE_NAMES = {dt: str(dt)[len("torch."):] for dt in STORAGE_NAMES}  # float32 -> "float32"


class TorchGlobal:
    """A name written as ``GLOBAL module\\nname`` (one instance per name, so the memo reuses it)."""
    __slots__ = ("module", "name")
    _cache: dict = {}

    def __new__(cls, module: str, name: str):
        key = (module, name)
        obj = cls._cache.get(key)
        if obj is None:
            obj = super().__new__(cls)
            obj.module, obj.name = module, name
            cls._cache[key] = obj
        return obj

    def __call__(self, *args):  # pickle's save_reduce insists on a callable; never called
        raise TypeError("%s.%s is a name written into checkpoints, not a function" % (self.module, self.name))


REBUILD_TENSOR = TorchGlobal("torch._utils", "_rebuild_tensor_v2")
REBUILD_PARAMETER = TorchGlobal("torch._utils", "_rebuild_parameter")
REBUILD_PARAMETER_STATE = TorchGlobal("torch._utils", "_rebuild_parameter_with_state")
REBUILD_FROM_TYPE = TorchGlobal("torch._tensor", "_rebuild_from_type_v2")
TORCH_TENSOR = TorchGlobal("torch", "Tensor")


def location_tag(device) -> str:
    """The location a storage is saved under: ``cpu`` or ``cuda:N``, as PyTorch writes it."""
    if device.type == "cuda":
        return "cuda:%d" % (device.index or 0)
    return device.type


class StorageRef:
    """One storage to write: its key, dtype, location and a 1-d tensor over all of its elements."""
    __slots__ = ("key", "dtype", "location", "numel", "data")

    def __init__(self, key: str, data: Tensor) -> None:
        self.key, self.data = key, data
        self.dtype, self.numel = data.dtype, data.numel()
        self.location = location_tag(data.device)


def _save_torch_global(pickler, obj: TorchGlobal) -> None:
    pickler.write(pickle.GLOBAL + obj.module.encode("utf-8") + b"\n" + obj.name.encode("utf-8") + b"\n")
    pickler.memoize(obj)


def _save_dtype(pickler, obj) -> None:
    _save_torch_global(pickler, TorchGlobal("torch", DTYPE_NAMES[obj]))


ORDERED_DICT = TorchGlobal("collections", "OrderedDict")
_TUPLE_OPS = {0: pickle.EMPTY_TUPLE, 1: pickle.TUPLE1, 2: pickle.TUPLE2, 3: pickle.TUPLE3}


def _int_op(v: int) -> bytes:
    """The opcode pickle itself would write for an int that fits in 64 bits."""
    if 0 <= v < 0x100:
        return pickle.BININT1 + bytes((v,))
    if 0 <= v < 0x10000:
        return pickle.BININT2 + v.to_bytes(2, "little")
    if -0x80000000 <= v < 0x80000000:
        return pickle.BININT + v.to_bytes(4, "little", signed=True)
    return pickle.LONG1 + bytes((8,)) + v.to_bytes(8, "little", signed=True)


def _int_tuple_op(values: tuple) -> bytes:
    body = b"".join(_int_op(v) for v in values)
    op = _TUPLE_OPS.get(len(values))
    return body + op if op is not None else pickle.MARK + body + pickle.TUPLE


def _save_plain_tensor(pickler, t) -> None:
    """Exactly what pickle's save_reduce writes for ``_rebuild_tensor_v2(...)``, without its overhead:
    GLOBAL, MARK, <persistent id> BINPERSID, offset, size, stride, flag, OrderedDict(), TUPLE, REDUCE."""
    pickler.save(REBUILD_TENSOR)
    pickler.write(pickle.MARK)
    pickler.save_pers(pickler.persistent_id(pickler._storage_ref(t)))
    pickler.write(_int_op(t.storage_offset()) + _int_tuple_op(tuple(t.size())) + _int_tuple_op(tuple(t.stride()))
                  + (pickle.NEWTRUE if t.requires_grad else pickle.NEWFALSE))
    pickler.save(ORDERED_DICT)
    pickler.write(pickle.EMPTY_TUPLE + pickle.REDUCE + pickle.TUPLE + pickle.REDUCE)
    pickler.memoize(t)  # the same tensor twice loads as one object


class Pickler(pickle._Pickler):
    """Collects the storages in ``self.storages`` (key -> StorageRef) while pickling."""
    dispatch = dict(pickle._Pickler.dispatch)
    dispatch[TorchGlobal] = _save_torch_global
    dispatch[_C.dtype] = _save_dtype
    dispatch[Tensor] = _save_plain_tensor  # a plain tensor without Python attributes

    def __init__(self, file, protocol: int) -> None:
        super().__init__(file, protocol)
        self.storages: dict = {}
        self._by_memory: dict = {}

    def persistent_id(self, obj):
        if type(obj) is StorageRef:
            return ("storage", TorchGlobal("torch", STORAGE_NAMES[obj.dtype]), obj.key, obj.location, obj.numel)
        if isinstance(obj, TypedStorage):  # a storage saved on its own, as torch.save(t.storage(), f)
            return self.persistent_id(self._storage_ref(obj._tensor))
        return None

    def _storage_ref(self, t: Tensor) -> StorageRef:
        nbytes = t._storage_nbytes()
        # Live storages never share a base address unless they alias the same bytes, so
        # (device, address, size) names a storage; empty storages all look alike and are kept apart.
        ident = (str(t.device), t._storage_ptr(), nbytes) if nbytes else None
        ref = self._by_memory.get(ident) if ident else None
        if ref is None:
            ref = StorageRef(str(len(self.storages)), _C._storage_tensor(t))
            self.storages[ref.key] = ref
            if ident:
                self._by_memory[ident] = ref
        elif ref.dtype is not t.dtype:
            raise RuntimeError("Cannot save multiple tensors or storages that view the same data as different types")
        return ref

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            if type(obj) is Tensor and not getattr(obj, "__dict__", None):
                return NotImplemented  # dispatch[Tensor]: the fast path
            return self._reduce_tensor(obj)
        t = type(obj)
        if t is _C.device:
            return (TorchGlobal("torch", "device"), (str(obj),))
        if t is Size:
            return (TorchGlobal("torch", "Size"), (tuple(obj),))
        return NotImplemented

    def _reduce_tensor(self, t: Tensor):
        cls = type(t)
        state = _object_state(t)
        if cls is Tensor:
            rv = self._rebuild_args(t)
            if not state:
                return rv
            # Python attributes set on a plain tensor survive, as PyTorch keeps them.
            return (REBUILD_FROM_TYPE, (rv[0], TORCH_TENSOR, rv[1], state))
        data = t.detach()
        if getattr(cls, "_is_parameter_class", False) or cls is _parameter_class():
            if state:
                return (REBUILD_PARAMETER_STATE, (data, t.requires_grad, OrderedDict(), state))
            return (REBUILD_PARAMETER, (data, t.requires_grad, OrderedDict()))
        # Another Tensor subclass: saved by its own (importable) class, as PyTorch does.
        rv = self._rebuild_args(t)
        return (REBUILD_FROM_TYPE, (rv[0], cls, rv[1], state))

    def _rebuild_args(self, t: Tensor):
        ref = self._storage_ref(t)
        return (REBUILD_TENSOR, (ref, t.storage_offset(), tuple(t.size()), tuple(t.stride()),
                                 t.requires_grad, OrderedDict()))


def _object_state(t: Tensor) -> dict:
    state = getattr(t, "__dict__", None)
    return dict(state) if state else {}


def _parameter_class():
    from . import nn
    return getattr(nn, "Parameter", None)
