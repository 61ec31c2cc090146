"""Python-side pieces of the Tensor class: construction from Python data, the legacy constructors
(``Tensor(2, 3)``, ``FloatTensor([1, 2])``), printing, ``tolist``, ``type``, ``to`` and friends.

The class itself is ``pyengine._C.Tensor`` (C++); the functions here are attached to it at import,
so there is one Tensor type whose hot methods are C++ calls.
"""
from __future__ import annotations

import builtins
import warnings
from typing import Any

import numpy as np

from . import _C, _tensor_str
from ._size import Size
from .storage import TypedStorage

Tensor = _C.Tensor

_NP_FROM_DTYPE = {
    _C.bool: np.bool_, _C.uint8: np.uint8, _C.int8: np.int8, _C.int16: np.int16, _C.int32: np.int32,
    _C.int64: np.int64, _C.float16: np.float16, _C.float32: np.float32, _C.float64: np.float64,
    _C.complex64: np.complex64, _C.complex128: np.complex128,
}


def _dtype_name(dt) -> str:
    return str(dt)[len("torch."):]


def _is_sequence(x: Any) -> builtins.bool:
    """PySequence_Check as PyTorch uses it: range, deque, array.array, ... (not dict, str, bytes)."""
    if isinstance(x, (list, tuple)):
        return True
    if isinstance(x, (str, bytes, bytearray, dict, np.ndarray, np.generic, Tensor)):
        return False
    t = type(x)
    return hasattr(t, "__getitem__") and hasattr(t, "__len__") and not hasattr(t, "keys")


def _numpy_of(data: Any) -> np.ndarray:
    """Python data (nested sequences of numbers/tensors, numpy arrays, scalars) -> numpy array."""
    if isinstance(data, np.ndarray):
        return data
    if isinstance(data, (builtins.bool, builtins.int, builtins.float, builtins.complex)) or isinstance(data, np.generic):
        return np.asarray(data)
    if isinstance(data, (str, bytes, bytearray)):
        raise TypeError("new(): invalid data type '%s'" % type(data).__name__)
    if _is_sequence(data) and not isinstance(data, (list, tuple)):
        data = list(data)  # (numpy reads nested ranges, deques, arrays by itself)
    if not isinstance(data, (list, tuple)) and not hasattr(data, "__array__"):
        raise RuntimeError("Could not infer dtype of %s" % type(data).__name__)
    try:
        arr = np.array(data)
    except ValueError as e:
        raise ValueError("expected sequence of equal lengths (%s)" % e) from None
    if arr.dtype == object:
        raise TypeError("could not convert the given data to a tensor (mixed or unsupported element types)")
    if arr.dtype.kind in "US":
        raise TypeError("new(): invalid data type 'str'")
    return arr


_NP_TO_DTYPE = {np.dtype(v): k for k, v in _NP_FROM_DTYPE.items()}


def _infer_dtype(data: Any, arr: np.ndarray):
    """PyTorch's inference: each Python float counts as the default dtype, int as int64, bool as
    bool, a numpy scalar/array or a tensor as its own dtype; the results are promoted together."""
    if isinstance(data, np.ndarray):
        return None
    found = _scalar_dtype_of(data)
    return found if found is not None else _C.get_default_dtype()


def _scalar_dtype_of(x):
    if isinstance(x, (np.generic, np.ndarray)):  # before float: np.float64 subclasses float
        return _NP_TO_DTYPE.get(x.dtype, _C.float64)
    if isinstance(x, builtins.bool):
        return _C.bool
    if isinstance(x, builtins.int):
        return _C.int64
    if isinstance(x, builtins.float):
        return _C.get_default_dtype()
    if isinstance(x, builtins.complex):
        return _C.get_default_dtype().to_complex()
    if isinstance(x, Tensor):
        return x.dtype
    if isinstance(x, (list, tuple)) or _is_sequence(x):
        out = None
        for e in x:
            d = _scalar_dtype_of(e)
            out = d if out is None else (out if d is None else _C.promote_types(out, d))
        return out
    return None


def _contains_tensor(data: Any) -> builtins.bool:
    if isinstance(data, Tensor):
        return True
    if isinstance(data, (list, tuple)) and data:
        return _contains_tensor(data[0])
    return False


def _check_int64_range(data: Any) -> None:
    """c10 unpacks each Python int of the data into int64 when the target dtype is an integer type:
    a value beyond int64 raises ValueError there (before any dtype-specific overflow check)."""
    if isinstance(data, (list, tuple)):
        for e in data:
            _check_int64_range(e)
    elif isinstance(data, builtins.int) and not isinstance(data, builtins.bool) and not -2**63 <= data < 2**63:
        raise ValueError("Overflow when unpacking long long")


def _tensor_from_data(data: Any, dtype=None, device=None) -> Tensor:
    if isinstance(data, Tensor):
        t = data.detach()
    else:
        if _is_sequence(data) and not isinstance(data, (list, tuple)):
            data = list(data)
        inferred = _infer_dtype(data, None)
        target = dtype if dtype is not None else inferred
        is_dtype = isinstance(target, _C.dtype)
        int_target = is_dtype and not target.is_floating_point and not target.is_complex and target is not _C.bool
        if int_target:
            _check_int64_range(data)
        if _contains_tensor(data) and isinstance(data, (list, tuple)):
            data = _nested_tolist(data)
        try:
            arr = _numpy_of(data)
        except TypeError:
            # ints beyond int64 into a floating/bool dtype convert as Python floats (as c10 does)
            if int_target or not is_dtype or not isinstance(data, (list, tuple, builtins.int)):
                raise
            arr = np.array(data, dtype=np.float64)
        if arr.dtype.kind == "c" and is_dtype and not target.is_complex and not isinstance(data, np.ndarray):
            raise TypeError("can't convert complex to %s" % ("float" if target.is_floating_point else "int"))
        if arr.dtype == np.uint64:  # only ints in [2**63, 2**64) into a floating/bool dtype get here
            arr = arr.astype(np.float64)
        if arr.dtype.kind == "f" and arr.dtype.itemsize not in (2, 4, 8):
            arr = arr.astype(np.float64)
        t = _C.from_numpy(np.ascontiguousarray(arr) if arr.ndim else arr.reshape(()))
        if dtype is None and inferred is not None:
            dtype = inferred
        elif dtype is not None and arr.size and arr.dtype.kind in "iuf" and not isinstance(data, np.ndarray):
            # Python numbers converted into an explicit dtype must fit it (c10's overflow check).
            _C._check_scalar_fits(arr.min().item(), dtype)
            _C._check_scalar_fits(arr.max().item(), dtype)
    return t._to(dtype, device, True)


def _nested_tolist(data):
    if isinstance(data, Tensor):
        return data.tolist()
    if isinstance(data, (list, tuple)):
        return [_nested_tolist(x) for x in data]
    return data


def tensor(data: Any, dtype=None, device=None, requires_grad: builtins.bool = False,
           pin_memory: builtins.bool = False) -> Tensor:
    """Always copies ``data`` (like ``torch.tensor``); pin_memory=True puts a CPU result in pinned memory."""
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.clone().detach() "
                      "or sourceTensor.clone().detach().requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
    t = _tensor_from_data(data, dtype, device)
    if pin_memory:
        t = _C._pin_memory(t)
    if requires_grad:
        t.requires_grad_(True)
    return t


def as_tensor(data: Any, dtype=None, device=None) -> Tensor:
    if isinstance(data, Tensor):
        return data._to(dtype, device, False)
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf":
        return _C.from_numpy(data)._to(dtype, device, False)
    return _tensor_from_data(data, dtype, device)


def _legacy_new(*args, dtype=None, device=None, **kwargs) -> Tensor:
    """Tensor(*sizes) / Tensor(size) / Tensor(sequence) / Tensor(storage) / Tensor(tensor)."""
    if kwargs:
        raise TypeError("new() got an unexpected keyword argument '%s'" % next(iter(kwargs)))
    dtype = dtype or _C.get_default_dtype()
    if not args:
        return _C.empty(0, dtype=dtype, device=device)
    if len(args) == 1:
        a = args[0]
        if isinstance(a, TypedStorage):
            if a.dtype is not dtype:
                raise TypeError("expected %s (got %s)" % (_legacy_name(dtype), _legacy_name(a.dtype)))
            return a._tensor
        if isinstance(a, Tensor):
            if a.dtype is not dtype:
                raise TypeError("expected %s (got %s)" % (_legacy_name(dtype), _legacy_name(a.dtype)))
            return a.detach()
        if isinstance(a, Size):
            return _C.empty(a, dtype=dtype, device=device)
        if isinstance(a, builtins.int) and not isinstance(a, builtins.bool):
            return _C.empty(a, dtype=dtype, device=device)
        return _tensor_from_data(a, dtype, device)
    if all(isinstance(a, builtins.int) and not isinstance(a, builtins.bool) for a in args):
        return _C.empty(*args, dtype=dtype, device=device)
    raise TypeError("new() received an invalid combination of arguments - got (%s)"
                    % ", ".join(type(a).__name__ for a in args))


_LEGACY_NAMES = {
    _C.bool: "BoolTensor", _C.uint8: "ByteTensor", _C.int8: "CharTensor", _C.int16: "ShortTensor",
    _C.int32: "IntTensor", _C.int64: "LongTensor", _C.float16: "HalfTensor", _C.bfloat16: "BFloat16Tensor",
    _C.float32: "FloatTensor", _C.float64: "DoubleTensor", _C.complex64: "ComplexFloatTensor",
    _C.complex128: "ComplexDoubleTensor",
}


def _legacy_name(dtype) -> str:
    return _LEGACY_NAMES[dtype]


_LEGACY_TYPES = {}


class _LegacyTensorMeta(type):
    def __instancecheck__(cls, obj) -> builtins.bool:
        return isinstance(obj, Tensor) and obj.dtype is cls._dtype and obj.device.type == "cpu"


def _make_legacy_type(name: str, dtype):
    def __new__(cls, *args, **kwargs):
        if "dtype" in kwargs:
            raise TypeError("%s() got an unexpected keyword argument 'dtype'" % name)
        return _legacy_new(*args, dtype=dtype, **kwargs)
    cls = _LegacyTensorMeta(name, (), {"__new__": __new__, "_dtype": dtype, "__module__": "torch"})
    _LEGACY_TYPES["torch." + name] = dtype
    _LEGACY_TYPES["torch.cuda." + name] = dtype
    return cls


def _index_tensor(obj) -> Tensor:
    """A list or array used as an index becomes an int64 (or bool) tensor."""
    arr = _numpy_of(obj)
    if arr.dtype == np.bool_:
        return _C.from_numpy(np.ascontiguousarray(arr))._to(None, None, True)
    if arr.size == 0:
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return _C.from_numpy(np.ascontiguousarray(arr.astype(np.int64)))._to(None, None, True)


def _value_tensor(value, like: Tensor) -> Tensor:
    return _tensor_from_data(value, like.dtype, like.device)


# ---------------------------------------------------------------------------------------------
# Methods attached to Tensor
# ---------------------------------------------------------------------------------------------

def _repr(self, *, tensor_contents=None) -> str:
    if tensor_contents is not None:  # PyTorch's hook for subclasses: the given text in place of the values
        return "tensor(%s)" % tensor_contents
    grad_fn = getattr(self, "grad_fn", None)
    common = {"dtype": _dtype_name(self.dtype), "default_dtype": _dtype_name(_C.get_default_dtype()),
              "device": str(self.device), "requires_grad": self.requires_grad,
              "grad_fn": type(grad_fn).__name__ if grad_fn is not None else None,
              "is_parameter": getattr(type(self), "_is_parameter_class", False)}
    if self.is_meta:  # no values to show: PyTorch prints "..." and the size
        return _tensor_str.format_meta_tensor(tuple(self.shape), **common)
    values = self.detach()
    if values.dtype is _C.bfloat16:
        values = values.float()
    return _tensor_str.format_tensor(values.numpy(force=True), **common)


def _tolist(self):
    t = self.detach()
    if t.dtype is _C.bfloat16 or t.dtype is _C.float16:
        t = t.float()
    return t.numpy(force=True).tolist()


def _type(self, dtype=None, non_blocking: builtins.bool = False):
    if dtype is None:
        prefix = "torch.cuda." if self.is_cuda else "torch."
        return prefix + _LEGACY_NAMES[self.dtype]
    if isinstance(dtype, str):
        if dtype not in _LEGACY_TYPES:
            raise ValueError("invalid type: '%s'" % dtype)
        device = "cuda" if dtype.startswith("torch.cuda.") else "cpu"
        return self._to(_LEGACY_TYPES[dtype], device, False)
    if isinstance(dtype, _LegacyTensorMeta):
        return self._to(dtype._dtype, "cpu", False)
    return self._to(dtype, None, False)


def _parse_to(args, kwargs):
    """(dtype, device, copy) of a to() call; memory_format is taken out by the caller. non_blocking needs no
    handling: a copy to a CUDA device is always queued on the current stream (asynchronous from pinned
    memory), and a copy to the host waits for the stream, so its result is always ready to read."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError("to() got an unexpected keyword argument '%s'" % next(iter(kwargs)))
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, _C.dtype):
            dtype = a
        elif isinstance(a, (str, _C.device)) or (isinstance(a, builtins.int) and not isinstance(a, builtins.bool)):
            device = a
        elif isinstance(a, builtins.bool):
            pass  # non_blocking / copy positional flags
        else:
            raise TypeError("to() received an invalid combination of arguments - got %s" % type(a).__name__)
    return dtype, device, copy


def _to(self, *args, memory_format=None, **kwargs):
    dtype, device, copy = _parse_to(args, dict(kwargs))
    if device is not None:
        device = _C.device(device) if not isinstance(device, _C.device) else device
        if device.type == "cuda":
            from . import cuda
            cuda._check(device)
    return self._to(dtype, device, copy, memory_format)


def _check_pin_device(device) -> None:
    """pin_memory's deprecated device argument: pinned memory serves the CUDA devices only."""
    if device is not None:
        d = device if isinstance(device, _C.device) else _C.device(device)
        if d.type != "cuda":
            raise RuntimeError(f"pin_memory: expected a cuda device to pin memory for, got '{d}'")


def _pin_memory(self, device=None) -> Tensor:
    """A copy of this CPU tensor in pinned (page-locked) host memory (self when already pinned)."""
    _check_pin_device(device)
    return _C._pin_memory(self)


def _is_pinned(self, device=None) -> builtins.bool:
    _check_pin_device(device)
    return _C._is_pinned(self)


def _record_stream(self, stream) -> None:
    """Marks this CUDA tensor's memory as used by work on `stream`: when the tensor is freed, its block
    is not reused before that work is done."""
    from .cuda import Stream
    if not isinstance(stream, Stream):
        raise TypeError(f"record_stream(): argument 'stream' must be torch.cuda.Stream, not {type(stream).__name__}")
    _C._cuda_record_stream(self, stream.cuda_stream)


def _cuda(self, device=None, non_blocking: builtins.bool = False, memory_format=None):
    from . import cuda
    idx = cuda._check(device)
    return self._to(None, _C.device("cuda", idx), False, memory_format)


def _cpu(self, memory_format=None):
    return self._to(None, "cpu", False, memory_format)


def _iter(self):
    if self.dim() == 0:
        raise TypeError("iteration over a 0-d tensor")
    return iter(self.unbind(0))


def _storage(self) -> TypedStorage:
    return TypedStorage(_tensor=self)


def _new_tensor(self, data, dtype=None, device=None, requires_grad: builtins.bool = False):
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


def _make_new(fn_name):
    def new(self, *size, dtype=None, device=None, requires_grad: builtins.bool = False, **kw):
        if "size" in kw:
            if size:
                raise TypeError("new_%s() got multiple values for argument 'size'" % fn_name)
            size = (kw.pop("size"),)
        if kw:
            raise TypeError("new_%s() got an unexpected keyword argument '%s'" % (fn_name, next(iter(kw))))
        fn = getattr(_C, fn_name)
        return fn(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)
    new.__name__ = "new_" + fn_name
    return new


def _new_full(self, size, fill_value, dtype=None, device=None, requires_grad: builtins.bool = False):
    return _C.full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                   requires_grad=requires_grad)


def _share_memory_(self):
    """Moves the storage into shared memory in place (Note [Tensors through shared memory])."""
    _C._share_memory_(self)
    return self


def _is_shared(self) -> builtins.bool:
    return self.device.type == "cuda" or _C._is_shared(self)


def _layout(self):
    from . import strided
    return strided


def _install() -> None:
    T = Tensor
    T.__repr__ = _repr
    T.__str__ = _repr
    # As PyTorch: a 0-d tensor formats as its Python number (f"{loss}" gives 0.25), others as str().
    T.__format__ = lambda self, spec: format(self.item(), spec) if self.dim() == 0 else object.__format__(self, spec)
    T.__iter__ = _iter
    T.__hash__ = object.__hash__
    T.tolist = _tolist
    T.type = _type
    T.to = _to
    T.cuda = _cuda
    T.cpu = _cpu
    T.storage = _storage
    T.untyped_storage = _storage
    T.new_tensor = _new_tensor
    T.new_empty = _make_new("empty")
    T.new_zeros = _make_new("zeros")
    T.new_ones = _make_new("ones")
    T.new_full = _new_full
    T.layout = property(_layout)
    T.share_memory_ = _share_memory_
    T.pin_memory = _pin_memory
    T.is_pinned = _is_pinned
    T.record_stream = _record_stream
    T.is_shared = _is_shared
    for name, dt in (("float", _C.float32), ("double", _C.float64), ("half", _C.float16),
                     ("bfloat16", _C.bfloat16), ("long", _C.int64), ("int", _C.int32),
                     ("short", _C.int16), ("char", _C.int8), ("byte", _C.uint8), ("bool", _C.bool),
                     ("cfloat", _C.complex64), ("cdouble", _C.complex128)):
        def conv(self, memory_format=None, _dt=dt):
            return self._to(_dt, None, False, memory_format)
        conv.__name__ = name
        setattr(T, name, conv)


_install()
