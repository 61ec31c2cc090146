"""Which globals a checkpoint may name, and the two unpicklers that enforce it.

Why weights_only=True is safe: in a pickle, the only way to reach a callable or a class is
``find_class`` (GLOBAL, STACK_GLOBAL, INST, OBJ and the extension registry all go through it), and
ours answers only from an allowlist of harmless callables. That alone is not enough: the opcodes
that *use* objects can still do harm with allowed ones, e.g. BUILD on the class ``Counter`` itself
would monkeypatch it for the whole process. So the weights-only unpickler is the pure-Python one
with those opcodes replaced by strict versions (PyTorch's rules): REDUCE/NEWOBJ only on allowed
callables, BUILD only on instances of OrderedDict/Counter or allowlisted classes, SETITEM(S) only on
dicts, APPEND(S) only on lists, ADDITEMS only on sets. weights_only=False uses the C unpickler (or
the given pickle_module's) with PyTorch's names translated and everything else as plain pickle.
"""
from __future__ import annotations

import _compat_pickle
import collections
import pickle
import reprlib

from . import _C
from . import _serialization_unpickler as _up
from ._serialization_pickler import DTYPE_NAMES
from ._size import Size


def _device(*args):
    return _C.device(*args)


def _size(*args):
    return Size(*args)


def _torch_globals() -> dict:
    """PyTorch's names that checkpoints use, mapped to ours (the same with either weights_only)."""
    g = {
        "torch._utils._rebuild_tensor_v2": _up._rebuild_tensor_v2,
        "torch._utils._rebuild_tensor": _up._rebuild_tensor,
        "torch._utils._rebuild_parameter": _up._rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": _up._rebuild_parameter_with_state,
        "torch._tensor._rebuild_from_type_v2": _up._rebuild_from_type_v2,
        "torch.Tensor": _up.TENSOR_CLASS,
        "torch.nn.parameter.Parameter": _up.PARAMETER_CLASS,
        "torch.device": _device,
        "torch.Size": _size,
    }
    for dt, name in DTYPE_NAMES.items():
        g["torch." + name] = dt
    for name, st in _up.STORAGE_TYPES.items():
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
    "_codecs.encode": _up.encode,
}
BLOCKED_MODULES = ("sys", "os", "posix", "nt")  # PyTorch's blocklist: never loadable with weights_only
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


def resolve_torch_name(module: str, name: str):
    """Our object for one of PyTorch's names, or None when the name is not PyTorch's."""
    mod, nm = _normalize_name(module, name)
    found = TORCH_GLOBALS.get(mod + "." + nm)
    if found is None and mod in ("torch", "torch.storage") and nm.endswith("Storage"):
        found = _up.StorageType(nm, None)  # a dtype we lack: reported when a storage uses it
    return found


def _check_persistent_id(pid):
    if type(pid) is not tuple or len(pid) != 5 or pid[0] not in ("storage", b"storage"):
        raise pickle.UnpicklingError("Only persistent_load of storage is allowed, got %r"
                                     % (pid if type(pid) in (str, int) else type(pid).__name__))
    _, storage_type, key, location, numel = pid
    if not isinstance(storage_type, _up.StorageType):
        raise pickle.UnpicklingError("persistent id: expected a storage type, got %r" % (storage_type,))
    if isinstance(key, bytes):
        key = key.decode("ascii")
    if isinstance(location, bytes):
        location = location.decode("ascii")
    if type(key) is not str or type(location) is not str or type(numel) is not int or numel < 0:
        raise pickle.UnpicklingError("persistent id: malformed storage reference %s" % reprlib.repr(pid))
    if numel > _up.INT64_MAX:  # PyTorch's class: its reader's argument parser raises TypeError
        raise TypeError("persistent id of storage data/%s: numel = %d does not fit in int64 (file corrupted?)"
                        % (key[:100], numel))
    return key, storage_type, location, numel


def make_unpickler_class(base):
    """weights_only=False: an Unpickler subclass of ``base`` that also understands PyTorch's names."""

    class Unpickler(base):
        storage_loader = None  # set per load: (key, StorageType, location, numel) -> TypedStorage

        def find_class(self, module, name):
            found = resolve_torch_name(module, name)
            if found is not None:
                return found
            mod = _normalize_name(module, name)[0]
            if mod == "torch" or mod.startswith("torch."):
                raise pickle.UnpicklingError("%s.%s is a PyTorch object pyengine cannot load (only tensors, "
                                             "parameters, storages, dtypes, devices and sizes translate)"
                                             % (mod, name))
            return super().find_class(module, name)

        def persistent_load(self, pid):
            return self.storage_loader(*_check_persistent_id(pid))

    return Unpickler


def _strict(opcode: bytes):
    def register(fn):
        WeightsOnlyUnpickler.dispatch[opcode[0]] = fn
        return fn
    return register


class WeightsOnlyUnpickler(pickle._Unpickler):
    """weights_only=True: allowlisted globals only, and the object-using opcodes made strict."""
    dispatch = dict(pickle._Unpickler.dispatch)
    storage_loader = None

    def __init__(self, file, **kwargs) -> None:
        super().__init__(file, **kwargs)
        allowed = list(TORCH_GLOBALS.values()) + list(SAFE_BUILTINS.values()) + list(USER_SAFE_GLOBALS.values())
        self._callables = {id(v): v for v in allowed}
        self._user_types = {id(v): v for v in USER_SAFE_GLOBALS.values() if isinstance(v, type)}

    def find_class(self, module, name):
        found = resolve_torch_name(module, name)
        if found is not None:
            return found
        mod, nm = _normalize_name(module, name)
        full = mod + "." + nm
        if mod in BLOCKED_MODULES or mod.split(".")[0] in BLOCKED_MODULES:
            raise pickle.UnpicklingError("Trying to load unsupported GLOBAL %s whose module %s is blocked."
                                         % (full, mod))
        found = SAFE_BUILTINS.get(full)
        if found is None:
            found = USER_SAFE_GLOBALS.get(full)
        if found is None:
            raise pickle.UnpicklingError(unsupported_global_message(full))
        return found

    def persistent_load(self, pid):
        return self.storage_loader(*_check_persistent_id(pid))

    def _allowed(self, obj) -> bool:
        return self._callables.get(id(obj)) is obj


@_strict(pickle.REDUCE)
def _load_reduce(self):
    args = self.stack.pop()
    func = self.stack[-1]
    if not self._allowed(func) or not callable(func) or type(args) is not tuple:
        raise pickle.UnpicklingError("Trying to call reduce for unrecognized function %r" % (func,))
    self.stack[-1] = func(*args)


def _new_object(self, cls, args, kwargs):
    if not isinstance(cls, type) or not self._allowed(cls) or type(args) is not tuple or type(kwargs) is not dict:
        raise pickle.UnpicklingError("Can only create new object for classes allowlisted via `add_safe_globals` "
                                     "but got %r" % (cls,))
    self.append(cls.__new__(cls, *args, **kwargs))


@_strict(pickle.NEWOBJ)
def _load_newobj(self):
    args = self.stack.pop()
    cls = self.stack.pop()
    _new_object(self, cls, args, {})


@_strict(pickle.NEWOBJ_EX)
def _load_newobj_ex(self):
    kwargs = self.stack.pop()
    args = self.stack.pop()
    cls = self.stack.pop()
    _new_object(self, cls, args, kwargs)


@_strict(pickle.BUILD)
def _load_build(self):
    if len(self.stack) < 2:
        raise pickle.UnpicklingError("BUILD: stack underflow")
    kind = type(self.stack[-2])
    if kind in (collections.OrderedDict, collections.Counter):  # e.g. a state dict's _metadata
        state = self.stack.pop()
        if not isinstance(state, dict) or not all(type(k) is str for k in state):
            raise pickle.UnpicklingError("Can only set str-keyed state on %s" % kind.__name__)
        self.stack[-1].__dict__.update(state)
    elif self._user_types.get(id(kind)) is kind:
        pickle._Unpickler.load_build(self)
    else:
        raise pickle.UnpicklingError("Can only build OrderedDict, Counter or types allowlisted via "
                                     "`add_safe_globals`, but got %s" % kind)


def _target(self, kinds, what: str):
    obj = self.stack[-1]
    if type(obj) not in kinds:
        raise pickle.UnpicklingError("Can only %s %s, but got %s" % (what, " or ".join(k.__name__ for k in kinds),
                                                                   type(obj)))
    return obj


@_strict(pickle.APPEND)
def _load_append(self):
    value = self.stack.pop()
    _target(self, (list,), "append to").append(value)


@_strict(pickle.APPENDS)
def _load_appends(self):
    items = self.pop_mark()
    _target(self, (list,), "extend").extend(items)


_DICTS = (dict, collections.OrderedDict, collections.Counter)


@_strict(pickle.SETITEM)
def _load_setitem(self):
    value = self.stack.pop()
    key = self.stack.pop()
    _target(self, _DICTS, "SETITEM for")[key] = value


@_strict(pickle.SETITEMS)
def _load_setitems(self):
    items = self.pop_mark()
    d = _target(self, _DICTS, "SETITEMS for")
    for i in range(0, len(items), 2):
        d[items[i]] = items[i + 1]


@_strict(pickle.ADDITEMS)
def _load_additems(self):
    items = self.pop_mark()
    _target(self, (set,), "add items to").update(items)


@_strict(pickle.INST)
def _load_inst(self):
    raise pickle.UnpicklingError("Unsupported operand INST (protocol 0 object creation) in a weights-only load")


@_strict(pickle.OBJ)
def _load_obj(self):
    raise pickle.UnpicklingError("Unsupported operand OBJ (protocol 1 object creation) in a weights-only load")
