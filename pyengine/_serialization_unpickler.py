"""The reading half of load(): the allowlist of globals, the rebuild functions, and storages.

Safety (weights_only=True) rests on one fact of the pickle machine: the only way a pickle reaches a
callable or a class is through ``find_class`` (GLOBAL, STACK_GLOBAL, INST, OBJ and the extension
registry all go through it). ``SafeUnpickler.find_class`` answers only from an allowlist of
harmless callables (our rebuild functions, containers, dtypes, devices) plus what the user added
with ``add_safe_globals``; everything else raises ``UnpicklingError`` before anything is called.
The rebuild functions check every number they are given against the storage's size, because
``set_`` itself does not: a crafted file must not make a tensor that reads outside its storage.
"""
from __future__ import annotations

import _compat_pickle
import collections
import pickle
import sys

import numpy as np

from . import _C
from ._serialization_pickler import DTYPE_NAMES, STORAGE_NAMES
from ._size import Size
from .storage import TypedStorage

Tensor = _C.Tensor


class StorageType:
    """What ``torch.FloatStorage`` & co. load as: the dtype of a storage in a persistent id."""
    __slots__ = ("name", "dtype")

    def __init__(self, name: str, dtype) -> None:
        self.name, self.dtype = name, dtype

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


_STORAGE_TYPES = {name: StorageType(name, dt) for dt, name in STORAGE_NAMES.items()}
_STORAGE_TYPES["UntypedStorage"] = StorageType("UntypedStorage", _C.uint8)


def _check_ints(what: str, values, allow_negative: bool = False) -> tuple:
    out = []
    for v in values:
        if type(v) is not int or (v < 0 and not allow_negative):
            raise RuntimeError("_rebuild_tensor_v2: %s must be non-negative ints, got %r" % (what, values))
        out.append(v)
    return tuple(out)


def make_tensor(storage, storage_offset, size, stride, requires_grad=False) -> Tensor:
    """A tensor of the storage's dtype viewing ``storage`` (checked to lie inside it)."""
    if not isinstance(storage, TypedStorage):
        raise RuntimeError("_rebuild_tensor_v2: expected a storage, got %s" % type(storage).__name__)
    (offset,) = _check_ints("storage_offset", (storage_offset,))
    if not isinstance(size, (tuple, list)) or not isinstance(stride, (tuple, list)) or len(size) != len(stride):
        raise RuntimeError("_rebuild_tensor_v2: size %r and stride %r must be sequences of one length" % (size, stride))
    size, stride = _check_ints("sizes", size), _check_ints("strides", stride)
    src = storage._tensor
    itemsize = src.element_size()
    numel = 1
    for s in size:
        numel *= s
    need = 0 if numel == 0 else offset + 1 + sum((s - 1) * st for s, st in zip(size, stride))
    have = src._storage_nbytes() // itemsize
    if need > have:
        raise RuntimeError("setStorage: sizes %s, strides %s, storage offset %d, and itemsize %d requiring a storage "
                           "size of %d are out of bounds for storage of size %d"
                           % (list(size), list(stride), offset, itemsize, need * itemsize, have * itemsize))
    t = _C.empty(0, dtype=src.dtype, device=src.device)
    _C._set_storage(t, src, offset, size, stride)
    if requires_grad is not False:
        if requires_grad is not True:
            raise RuntimeError("_rebuild_tensor_v2: requires_grad must be a bool, got %r" % (requires_grad,))
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
    def __init__(self, parameter: bool) -> None:
        self.parameter = parameter


_TENSOR_CLASS, _PARAMETER_CLASS = _TensorClass(False), _TensorClass(True)
_REBUILDS = (_rebuild_tensor_v2, _rebuild_tensor, _rebuild_parameter, _rebuild_parameter_with_state)


def _rebuild_from_type_v2(func, new_type, args, state):
    if func not in _REBUILDS:
        raise pickle.UnpicklingError("_rebuild_from_type_v2: unexpected function %r" % (func,))
    t = func(*args)
    if new_type is _PARAMETER_CLASS:
        if not _is_parameter(t):
            t = _parameter(t, t.requires_grad)
    elif isinstance(new_type, type) and issubclass(new_type, Tensor):  # allowed only with weights_only=False
        if type(t) is not new_type:
            raise RuntimeError("cannot rebuild a tensor of class %s (pyengine has no Tensor.as_subclass)"
                               % new_type.__qualname__)
    elif new_type is not _TENSOR_CLASS:
        raise pickle.UnpicklingError("_rebuild_from_type_v2: unexpected type %r" % (new_type,))
    return _set_state(t, state)


def _is_parameter(t) -> bool:
    return getattr(type(t), "_is_parameter_class", False)


def _encode(text, encoding="latin1"):
    """``_codecs.encode`` restricted to what pickle's bytes use (protocol 2 writes bytes that way)."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1", "utf-8", "utf8", "ascii"):
        raise pickle.UnpicklingError("_codecs.encode is only allowed to make bytes from str with latin1")
    return text.encode(encoding)


def _device(*args):
    return _C.device(*args)


def _size(*args):
    return Size(*args)


def _torch_globals() -> dict:
    """PyTorch's names that a checkpoint may use, mapped to ours (the same set with either
    weights_only: they are what our files and PyTorch's contain)."""
    g = {
        "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
        "torch._utils._rebuild_tensor": _rebuild_tensor,
        "torch._utils._rebuild_parameter": _rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": _rebuild_parameter_with_state,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
        "torch.Tensor": _TENSOR_CLASS,
        "torch.nn.parameter.Parameter": _PARAMETER_CLASS,
        "torch.device": _device,
        "torch.Size": _size,
    }
    for dt, name in DTYPE_NAMES.items():
        g["torch." + name] = dt
    for name, st in _STORAGE_TYPES.items():
        g["torch." + name] = st
        g["torch.storage." + name] = st
    return g


TORCH_GLOBALS = _torch_globals()
SAFE_BUILTINS = {
    "collections.OrderedDict": collections.OrderedDict,
    "collections.Counter": collections.Counter,
    "builtins.set": set,
    "builtins.frozenset": frozenset,
    "builtins.complex": complex,
    "builtins.bytearray": bytearray,
    "_codecs.encode": _encode,
}
BLOCKED_MODULES = ("sys", "os", "posix", "nt")  # PyTorch's blocklist
USER_SAFE_GLOBALS: dict = {}  # add_safe_globals: "module.qualname" -> object


def _normalize_name(module: str, name: str):
    """Protocol 0-2 pickles use Python 2 names (``__builtin__``): map them as pickle does."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def unsupported_global_message(full: str) -> str:
    shown = full[len("builtins."):] if full.startswith("builtins.") else full
    return ("Unsupported global: GLOBAL %s was not an allowed global by default. Please use "
            "`pyengine.serialization.add_safe_globals([%s])` or the `pyengine.serialization.safe_globals([%s])` "
            "context manager to allowlist this global if you trust this class/function." % (shown, shown, shown))


def _unknown_storage(name: str) -> StorageType:
    return StorageType(name, None)


def make_unpickler_class(base, weights_only: bool):
    """An Unpickler subclass of ``base`` (pickle.Unpickler, or a given pickle_module's)."""

    class Unpickler(base):
        storage_loader = None  # set per load: key, StorageType, location, numel -> TypedStorage

        def find_class(self, module, name):
            mod, nm = _normalize_name(module, name)
            full = mod + "." + nm
            found = TORCH_GLOBALS.get(full)
            if found is not None:
                return found
            if mod in ("torch", "torch.storage") and nm.endswith("Storage"):
                return _unknown_storage(nm)  # a dtype we lack: reported when a storage uses it
            if weights_only:
                if mod in BLOCKED_MODULES:  # never loadable with weights_only, even if allowlisted
                    raise pickle.UnpicklingError("Trying to load unsupported GLOBAL %s whose module %s is blocked."
                                                 % (full, mod))
                found = SAFE_BUILTINS.get(full)
                if found is None:
                    found = USER_SAFE_GLOBALS.get(full)
                if found is None:
                    raise pickle.UnpicklingError(unsupported_global_message(full))
                return found
            if mod == "torch" or mod.startswith("torch."):
                raise pickle.UnpicklingError("%s is a PyTorch object pyengine cannot load (only tensors, "
                                             "parameters, dtypes, devices and sizes are translated)" % full)
            return super().find_class(module, name)

        def persistent_load(self, pid):
            if type(pid) is not tuple or len(pid) != 5 or pid[0] not in ("storage", b"storage"):
                raise pickle.UnpicklingError("Only persistent_load of storage is allowed, got %r"
                                             % (pid if type(pid) in (str, int) else type(pid).__name__))
            _, storage_type, key, location, numel = pid
            if not isinstance(storage_type, StorageType):
                raise pickle.UnpicklingError("persistent id: expected a storage type, got %r" % (storage_type,))
            if isinstance(key, bytes):
                key = key.decode("ascii")
            if isinstance(location, bytes):
                location = location.decode("ascii")
            if type(key) is not str or type(location) is not str or type(numel) is not int or numel < 0:
                raise pickle.UnpicklingError("persistent id: malformed storage reference %r" % (pid,))
            return self.storage_loader(key, storage_type, location, numel)

    return Unpickler


def fix_bytes(buf: np.ndarray, dtype, byteorder: str) -> None:
    """Make loaded bytes valid for ``dtype`` here: swap byte order, and turn bool bytes into 0/1
    (any other byte value in a bool is undefined behaviour for the C++ kernels)."""
    itemsize = _C.empty(0, dtype=dtype).element_size()
    if byteorder != sys.byteorder and itemsize > 1 and buf.size:
        buf.view("u%d" % itemsize).byteswap(inplace=True)
    if dtype is _C.bool and buf.size:
        np.minimum(buf, 1, out=buf)

