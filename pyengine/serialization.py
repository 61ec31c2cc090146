"""save / load: PyTorch's checkpoint format and API (``torch.save`` / ``torch.load`` 2.13).

A checkpoint is a zip archive: ``data.pkl`` holds the structure (a pickle naming PyTorch's rebuild
functions), ``data/<key>`` the raw little-endian bytes of each storage; docs/serialization.md
describes every record. Files move both ways between pyengine and PyTorch. Loading is safe by
default (weights_only=True: tensors, containers and primitives only; see
_serialization_unpickler.py); saving to a path is atomic (_serialization_zip.atomic_write).
"""
from __future__ import annotations

import io
import os
import pickle
import struct
import warnings
from contextlib import contextmanager
from typing import IO, Any, Callable, Union

import numpy as np

from . import _C
from . import _serialization_safe as _safe
from . import _serialization_unpickler as _up
from ._serialization_pickler import STORAGE_NAMES, Pickler
from ._serialization_zip import RecordReader, RecordWriter, atomic_write, file_name, is_zipfile
from .storage import TypedStorage

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals",
           "DEFAULT_PROTOCOL"]

DEFAULT_PROTOCOL = 2
FILE_FORMAT_VERSION = "3\n"  # the value PyTorch writes in the `version` record
FileLike = Union[str, os.PathLike, IO[bytes]]
MapLocation = Union[Callable, _C.device, str, dict, None]

UNSAFE_MESSAGE = (
    "Re-running `pyengine.load` with `weights_only` set to `False` will likely succeed, but it can result in "
    "arbitrary code execution. Do it only if you got the file from a trusted source.")


def _is_path(f) -> bool:
    return isinstance(f, (str, os.PathLike))


def save(obj: object, f: FileLike, pickle_module: Any = pickle, pickle_protocol: int = DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False) -> None:
    """Save ``obj`` (tensors, containers, primitives, or any picklable object) to ``f``."""
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("pyengine.save writes only the zip format "
                                  "(_use_new_zipfile_serialization=True); the legacy format is not supported")
    if not _is_path(f) and not callable(getattr(f, "write", None)):
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a 'write' attribute")
    # Pickle first: an unpicklable object fails before the destination is touched.
    buf = io.BytesIO()
    pickler = _pickler_class(pickle_module)(buf, pickle_protocol)
    pickler.dump(obj)
    if _is_path(f):
        with atomic_write(f) as out:
            _write_archive(out, buf.getbuffer(), pickler.storages, _disable_byteorder_record)
    else:
        _write_archive(f, buf.getbuffer(), pickler.storages, _disable_byteorder_record)
        if callable(getattr(f, "flush", None)):
            f.flush()


def _pickler_class(pickle_module):
    if pickle_module is pickle:
        return Pickler
    base = getattr(pickle_module, "Pickler", None)
    if isinstance(base, type) and issubclass(base, pickle._Pickler):  # e.g. dill: a pure-Python pickler
        return type("Pickler", (Pickler, base), {"dispatch": {**base.dispatch, **Pickler.dispatch}})
    raise ValueError("pyengine.save: pickle_module must be pickle or a module whose Pickler subclasses "
                     "pickle._Pickler, got %r" % (pickle_module,))


def _write_archive(out, pickled, storages: dict, no_byteorder: bool) -> None:
    writer = RecordWriter(out)
    writer.write("data.pkl", pickled)
    writer.write(".storage_alignment", b"64")
    if not no_byteorder:
        writer.write("byteorder", b"little")
    for key, ref in storages.items():
        writer.write("data/" + key, _little_endian_bytes(ref.data), align=True)
    writer.write("version", FILE_FORMAT_VERSION.encode())
    writer.close()


def _little_endian_bytes(t) -> np.ndarray:
    """The bytes of a 1-d tensor as a uint8 numpy array (a view when the tensor is on the CPU)."""
    t = t.detach()
    if t.device.type != "cpu":
        t = t.cpu()
    if t.dtype is _C.bfloat16:  # no numpy bfloat16: the same bytes as int16
        t = t.view(_C.int16)
    arr = t.numpy()
    if arr.dtype.byteorder == ">" or (arr.dtype.byteorder == "=" and np.little_endian is False):
        arr = arr.byteswap()
    return arr.view(np.uint8)


# ---------------------------------------------------------------------------------------------
# load
# ---------------------------------------------------------------------------------------------

def load(f: FileLike, map_location: MapLocation = None, pickle_module: Any = None, *,
         weights_only: bool | None = None, mmap: bool | None = None, **pickle_load_args: Any) -> Any:
    """Load an object saved with ``save`` (or ``torch.save``) from ``f``."""
    weights_only = _resolve_weights_only(weights_only, pickle_module)
    if weights_only:
        if pickle_module is not None:
            raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
        if pickle_load_args:
            warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=2)
            pickle_load_args = {}
    elif pickle_module is None:
        pickle_module = pickle
    pickle_load_args.setdefault("encoding", "utf-8")
    _check_map_location(map_location)
    name = file_name(f)
    if mmap and not _is_path(f):
        raise ValueError("f must be a file path in order to use the mmap argument")
    if _is_path(f):
        with open(f, "rb") as opened:
            return _load_file(opened, name, map_location, pickle_module, weights_only,
                              os.fspath(f) if mmap else None, pickle_load_args)
    if not callable(getattr(f, "read", None)):
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a 'read' attribute, "
                             "got %s" % type(f).__name__)
    if not (callable(getattr(f, "seekable", None)) and f.seekable()):
        f = io.BytesIO(f.read())  # zip needs random access
    return _load_file(f, name, map_location, pickle_module, weights_only, None, pickle_load_args)


def _resolve_weights_only(weights_only, pickle_module) -> bool:
    """PyTorch 2.6+: None means True unless a pickle_module is given; the TORCH_FORCE_* variables win."""
    true_values = ("1", "y", "yes", "true")
    force_on = os.getenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "0").lower() in true_values
    force_off = os.getenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0").lower() in true_values
    if force_on and force_off:
        raise RuntimeError("Only one of `TORCH_FORCE_WEIGHTS_ONLY_LOAD` or `TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD` "
                           "should be set, but both were set.")
    if force_on:
        return True
    if weights_only is None:
        return not (force_off or pickle_module is not None)
    return bool(weights_only)


def _check_map_location(map_location) -> None:
    if map_location is None or callable(map_location) or isinstance(map_location, (str, bytes, _C.device)):
        return
    if isinstance(map_location, dict):
        for k, v in map_location.items():
            if not isinstance(k, str) or not isinstance(v, (str, _C.device)):
                raise TypeError("map_location dict must map location strings to strings or devices, got %r: %r"
                                % (k, v))
        return
    raise TypeError("map_location must be None, a string, a device, a dict or a callable, got %s"
                    % type(map_location).__name__)


def _load_file(opened, name, map_location, pickle_module, weights_only, mmap_path, load_args):
    if not is_zipfile(opened):
        head = opened.read(2)
        if not head:
            raise EOFError("Ran out of input: %s is empty" % name)
        if head[:1] == b"\x80":
            raise RuntimeError("%s is in PyTorch's legacy (pre-1.6, non-zip) format, which pyengine cannot read; "
                               "re-save it with torch.save(obj, f) from a recent PyTorch" % name)
        raise RuntimeError("Invalid magic number; corrupt file? %s is not a checkpoint (not a zip archive)" % name)
    reader = RecordReader(opened, name)
    try:
        if weights_only:
            try:
                return _unpickle(reader, map_location, pickle, True, mmap_path, load_args)
            except pickle.UnpicklingError as e:
                raise pickle.UnpicklingError(_weights_only_message(str(e))) from None
        return _unpickle(reader, map_location, pickle_module, False, mmap_path, load_args)
    finally:
        reader.close()


def _weights_only_message(message: str) -> str:
    if "was not an allowed global" in message:
        return ("Weights only load failed. This file can still be loaded, to do so you have two options, do those "
                "steps only if you trust the source of the checkpoint. \n\t(1) %s\n\t(2) Alternatively, to load "
                "with `weights_only=True` please check the recommended steps in the following error message."
                "\n\tWeightsUnpickler error: %s" % (UNSAFE_MESSAGE, message))
    if "is blocked" in message:
        return "Weights only load failed. %s\n\n%s" % (UNSAFE_MESSAGE, message)
    return "Weights only load failed. %s\n\nWeightsUnpickler error: %s" % (UNSAFE_MESSAGE, message)


def _unpickle(reader: RecordReader, map_location, pickle_module, weights_only, mmap_path, load_args):
    byteorder = "little"
    if reader.has_record("byteorder"):
        byteorder = reader.read("byteorder").decode("ascii", "replace")
        if byteorder not in ("little", "big"):
            raise ValueError("Unknown endianness type: " + byteorder)
    if not reader.has_record("data.pkl"):
        raise RuntimeError("%s is not a checkpoint: it has no data.pkl record (is it a TorchScript archive?)"
                           % reader.name)
    loader = _StorageLoader(reader, map_location, byteorder, mmap_path)
    cls = _safe.WeightsOnlyUnpickler if weights_only else _safe.make_unpickler_class(pickle_module.Unpickler)
    unpickler = cls(io.BytesIO(reader.read("data.pkl")), **load_args)
    unpickler.storage_loader = loader
    if not weights_only:
        return unpickler.load()
    try:
        return unpickler.load()
    except (IndexError, KeyError, EOFError, struct.error, UnicodeDecodeError) as e:
        # a malformed structure pickle: report it as one (the pure-Python unpickler raises these)
        raise pickle.UnpicklingError("%s: data.pkl is malformed (%s: %s)"
                                     % (reader.name, type(e).__name__, e)) from None


class _StorageLoader:
    """Reads ``data/<key>`` once per key, places it where map_location says, wraps it typed."""

    def __init__(self, reader: RecordReader, map_location, byteorder: str, mmap_path) -> None:
        self.reader, self.map_location, self.byteorder = reader, map_location, byteorder
        self.loaded: dict = {}
        self.mapped = np.memmap(mmap_path, dtype=np.uint8, mode="c") if mmap_path else None

    def __call__(self, key: str, storage_type, location: str, numel: int) -> TypedStorage:
        done = self.loaded.get(key)
        if done is not None:
            return done
        dtype = storage_type.dtype
        if dtype is None:
            raise RuntimeError("%s: storage %s has type torch.%s, a dtype pyengine does not support (supported: %s)"
                               % (self.reader.name, key, storage_type.name, ", ".join(STORAGE_NAMES.values())))
        record = "data/" + key
        itemsize = _C.empty(0, dtype=dtype).element_size()
        nbytes = numel * itemsize
        if self.reader.record_size(record) != nbytes:
            raise RuntimeError("%s: record %s holds %d bytes but its storage needs %d (%d x %s): file corrupted"
                               % (self.reader.name, record, self.reader.record_size(record), nbytes, numel, dtype))
        if self.mapped is not None and self.reader.is_stored(record):
            start = self.reader.data_offset(record)
            arr = self.mapped[start:start + nbytes].view(np.ndarray)
            raw = _C.from_numpy(arr)
        else:
            raw = _C.empty(nbytes, dtype=_C.uint8)
            arr = raw.numpy()
            self.reader.read_into(record, arr)
        _up.fix_bytes(arr, dtype, self.byteorder)
        placed = self._restore(_up.UntypedStorage(_tensor=raw), location)
        src = placed._tensor
        if src._storage_nbytes() < nbytes:
            raise RuntimeError("map_location returned a storage of %d bytes for a storage of %d bytes"
                               % (src._storage_nbytes(), nbytes))
        typed = _C.empty(0, dtype=dtype, device=src.device)
        _C._set_storage(typed, src, 0, [numel], [1])
        storage = TypedStorage(_tensor=typed)
        storage.checkpoint_record = record  # named by the rebuild functions' errors
        self.loaded[key] = storage
        return storage

    def _restore(self, storage, location: str):
        ml = self.map_location
        if ml is None:
            return _default_restore(storage, location)
        if isinstance(ml, dict):
            return _default_restore(storage, ml.get(location, location))
        if isinstance(ml, (str, bytes, _C.device)):
            return _default_restore(storage, ml)
        result = ml(storage, location)
        if result is None:
            return _default_restore(storage, location)
        if not isinstance(result, TypedStorage):
            raise TypeError("map_location callable must return a storage or None, got %s" % type(result).__name__)
        return result


def _default_restore(storage, location):
    """PyTorch's default_restore_location for the cpu and cuda tags."""
    if isinstance(location, bytes):
        location = location.decode("ascii")
    location = str(location)
    if location == "cpu":
        return storage
    if location.startswith("cuda"):
        return storage.to(_C.device("cuda", _validate_cuda_device(location)))
    raise RuntimeError("don't know how to restore data location of torch.storage.UntypedStorage (tagged with %s)"
                       % location)


def _validate_cuda_device(location: str) -> int:
    from . import cuda
    index = _C.device(location).index
    index = 0 if index is None else index
    if not cuda.is_available():
        raise RuntimeError("Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. "
                           "If you are running on a CPU-only machine, please use torch.load with "
                           "map_location=torch.device('cpu') to map your storages to the CPU.")
    count = cuda.device_count()
    if index >= count:
        raise RuntimeError("Attempting to deserialize object on CUDA device %d but torch.cuda.device_count() is %d. "
                           "Please use torch.load with map_location to map your storages to an existing device."
                           % (index, count))
    return index


# ---------------------------------------------------------------------------------------------
# The weights_only allowlist, extended by the user (torch.serialization's API)
# ---------------------------------------------------------------------------------------------

def add_safe_globals(safe_globals: list) -> None:
    """Allow these classes/functions in weights_only loads: objects, or (object, "module.name") pairs."""
    for entry in safe_globals:
        if isinstance(entry, tuple):
            if len(entry) != 2 or not isinstance(entry[1], str):
                raise ValueError("Expected tuple of length 2 with a string as its second element, got %r" % (entry,))
            obj, full = entry
        else:
            obj, full = entry, "%s.%s" % (entry.__module__, entry.__qualname__)
        _safe.USER_SAFE_GLOBALS[full] = obj


def get_safe_globals() -> list:
    return [obj if full == "%s.%s" % (getattr(obj, "__module__", ""), getattr(obj, "__qualname__", ""))
            else (obj, full) for full, obj in _safe.USER_SAFE_GLOBALS.items()]


def clear_safe_globals() -> None:
    _safe.USER_SAFE_GLOBALS.clear()


@contextmanager
def safe_globals(safe_globals: list):
    """Context manager: ``add_safe_globals`` for the duration of the block only."""
    saved = dict(_safe.USER_SAFE_GLOBALS)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _safe.USER_SAFE_GLOBALS.clear()
        _safe.USER_SAFE_GLOBALS.update(saved)
