"""weights_only=True (the default) refuses any pickle that reaches for code, and runs nothing;
crafted geometry or storage records cannot make a tensor that reads outside its memory."""
import io
import os
import pickle
import subprocess

import numpy as np
import pytest

import pyengine as pe
from pyengine._serialization_zip import RecordWriter


def archive(pickled: bytes, records: dict | None = None) -> io.BytesIO:
    """A checkpoint whose data.pkl is ``pickled`` (hand-made), with extra records."""
    buf = io.BytesIO()
    w = RecordWriter(buf)
    w.write("data.pkl", pickled)
    w.write("byteorder", b"little")
    for name, data in (records or {}).items():
        w.write(name, data, align=True)
    w.write("version", b"3\n")
    w.close()
    buf.seek(0)
    return buf


class _Shell:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, ("touch %s" % self.marker,))


class _Eval:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (eval, ("open(%r, 'w').close()" % str(self.marker),))


class _Popen:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (subprocess.Popen, (["touch", str(self.marker)],))


RAN = []


def _record(x):
    RAN.append(x)
    return x


class _Harmless:
    def __reduce__(self):
        return (_record, ("ran",))


@pytest.mark.parametrize("payload", [_Shell, _Eval, _Popen])
def test_malicious_reduce_is_refused_and_does_not_run(tmp_path, payload):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    pe.save({"weights": pe.ones(2), "nested": [{"x": payload(marker)}]}, path)  # saving any object is allowed
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed") as info:
        pe.load(path)
    assert not marker.exists()
    msg = str(info.value)
    assert "weights_only" in msg and "False" in msg
    if payload is _Shell:
        assert "posix.system" in msg and "is blocked" in msg
    else:
        assert "was not an allowed global by default" in msg and "add_safe_globals" in msg
    with pytest.raises(pickle.UnpicklingError):
        pe.load(path, weights_only=True, map_location="cpu")
    assert not marker.exists()


def test_blocked_module_stays_blocked_even_if_allowlisted(tmp_path):
    path = tmp_path / "evil.pt"
    pe.save(_Shell(tmp_path / "m"), path)
    with pe.serialization.safe_globals([os.system]):
        with pytest.raises(pickle.UnpicklingError, match="is blocked"):
            pe.load(path)
    assert not (tmp_path / "m").exists()


def test_weights_only_false_is_the_explicit_opt_in():
    buf = io.BytesIO()
    pe.save([_Harmless(), pe.ones(1)], buf)
    RAN.clear()
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        pe.load(buf)
    assert RAN == []
    buf.seek(0)
    out = pe.load(buf, weights_only=False)
    assert RAN == ["ran"] and out[0] == "ran"


def test_default_is_weights_only_unless_a_pickle_module_is_given(monkeypatch):
    buf = io.BytesIO()
    pe.save(_Harmless(), buf)
    RAN.clear()
    buf.seek(0)
    assert pe.load(buf, pickle_module=pickle) == "ran"  # PyTorch: a pickle_module means weights_only=False
    buf.seek(0)
    with pytest.raises(RuntimeError, match="Can not safely load weights when explicit pickle_module"):
        pe.load(buf, pickle_module=pickle, weights_only=True)
    monkeypatch.setenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "1")
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError):
        pe.load(buf, weights_only=False)


# Hand-written pickles: every opcode path that can name a callable goes through find_class.
EVIL_PICKLES = {
    "GLOBAL": b"\x80\x02cbuiltins\nexec\nX\x0c\x00\x00\x00RAN.append(1)\x85R.",
    "STACK_GLOBAL": b"\x80\x04\x8c\x08builtins\x8c\x04exec\x93X\x0c\x00\x00\x00RAN.append(1)\x85R.",
    "INST": b"(S'touch /tmp/pe_never'\nisubprocess\ncall\n.",
    "OBJ": b"(csubprocess\ncall\nS'true'\no.",
    "getattr": b"\x80\x02c__builtin__\ngetattr\nc__builtin__\nobject\nX\x08\x00\x00\x00__init__\x86R.",
    "NEWOBJ": b"\x80\x02csubprocess\nPopen\nX\x04\x00\x00\x00true\x85\x81.",
}


@pytest.mark.parametrize("kind", sorted(EVIL_PICKLES))
def test_hand_written_pickles_are_refused(kind):
    RAN.clear()
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        pe.load(archive(EVIL_PICKLES[kind]))
    assert RAN == [] and not os.path.exists("/tmp/pe_never")


def test_persistent_ids_other_than_storages_are_refused():
    bad = b"\x80\x02X\x04\x00\x00\x00evilQ."
    with pytest.raises(pickle.UnpicklingError, match="Only persistent_load of storage"):
        pe.load(archive(bad))


def test_codecs_encode_is_limited_to_bytes_making():
    ok = b"\x80\x02c_codecs\nencode\nX\x02\x00\x00\x00abX\x06\x00\x00\x00latin1\x86R."
    assert pe.load(archive(ok)) == b"ab"
    bad = b"\x80\x02c_codecs\nencode\nX\x02\x00\x00\x00abX\x05\x00\x00\x00rot13\x86R."
    with pytest.raises(pickle.UnpicklingError):
        pe.load(archive(bad))


def tensor_pickle(storage_name: bytes, numel: int, offset: int, size: tuple, stride: tuple) -> bytes:
    """A protocol-2 pickle of _rebuild_tensor_v2 over storage key 0, as PyTorch writes it."""
    def tup(xs):
        return b"(" + b"".join(b"J" + int(x).to_bytes(4, "little", signed=True) for x in xs) + b"t"
    return (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\n" + storage_name
            + b"\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuJ" + numel.to_bytes(4, "little") + b"tQJ"
            + offset.to_bytes(4, "little", signed=True) + tup(size) + tup(stride)
            + b"\x89ccollections\nOrderedDict\n)Rtq\x00R.")


def test_hand_written_tensor_pickle_loads():
    data = np.arange(6, dtype=np.float32).tobytes()
    t = pe.load(archive(tensor_pickle(b"FloatStorage", 6, 1, (2, 2), (2, 1)), {"data/0": data}))
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]


@pytest.mark.parametrize("offset,size,stride", [(0, (7,), (1,)), (5, (2,), (1,)), (0, (2, 3), (3, 2)),
                                                (-1, (2,), (1,)), (0, (2,), (-1,)), (0, (-2,), (1,))])
def test_geometry_outside_the_storage_is_refused(offset, size, stride):
    data = np.arange(6, dtype=np.float32).tobytes()
    with pytest.raises(RuntimeError, match="out of bounds|non-negative"):
        pe.load(archive(tensor_pickle(b"FloatStorage", 6, offset, size, stride), {"data/0": data}))


def test_record_size_must_match_the_storage(tmp_path):
    data = np.arange(6, dtype=np.float32).tobytes()
    path = tmp_path / "short.pt"
    path.write_bytes(archive(tensor_pickle(b"FloatStorage", 1000, 0, (6,), (1,)), {"data/0": data}).getvalue())
    with pytest.raises(RuntimeError, match="short.pt.*data/0.*file corrupted"):
        pe.load(path)
    missing = archive(tensor_pickle(b"FloatStorage", 6, 0, (6,), (1,)))
    with pytest.raises(RuntimeError, match="data/0"):
        pe.load(missing)


def test_unsupported_storage_dtype_is_named():
    data = np.zeros(4, dtype=np.float32).tobytes()  # complex32's bytes: two float16 per element
    with pytest.raises(RuntimeError, match="ComplexHalfStorage"):
        pe.load(archive(tensor_pickle(b"ComplexHalfStorage", 4, 0, (4,), (1,)), {"data/0": data}))


def test_bool_bytes_are_made_valid():
    data = bytes([0, 1, 2, 255])
    t = pe.load(archive(tensor_pickle(b"BoolStorage", 4, 0, (4,), (1,)), {"data/0": data}))
    assert t.tolist() == [False, True, True, True]
    assert t.view(pe.uint8).tolist() == [0, 1, 1, 1]


def test_big_endian_records_are_swapped():
    data = np.arange(3, dtype=">i4").tobytes()
    buf = io.BytesIO()
    w = RecordWriter(buf)
    w.write("data.pkl", tensor_pickle(b"IntStorage", 3, 0, (3,), (1,)))
    w.write("byteorder", b"big")
    w.write("data/0", data, align=True)
    w.close()
    buf.seek(0)
    assert pe.load(buf).tolist() == [0, 1, 2]


def test_build_cannot_patch_allowed_classes_or_functions():
    import collections

    from pyengine import _serialization_unpickler as up
    patch_class = b"\x80\x02ccollections\nCounter\n}X\x01\x00\x00\x00xK\x01sb."
    with pytest.raises(pickle.UnpicklingError, match="Can only build"):
        pe.load(archive(patch_class))
    assert not hasattr(collections.Counter, "x")
    patch_defaults = (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\nN}X\x0c\x00\x00\x00__defaults__K\x01\x85s"
                      b"\x86b.")
    with pytest.raises(pickle.UnpicklingError, match="Can only build"):
        pe.load(archive(patch_defaults))
    assert up._rebuild_tensor_v2.__defaults__ == (None,)
    with pytest.raises(AttributeError):
        up.STORAGE_TYPES["FloatStorage"].dtype = pe.int8  # the shared markers are read-only too


@pytest.mark.parametrize("raw,match", [
    (b"\x80\x02c__builtin__\nbytearray\n)RK\x00K\x01s.", "Can only SETITEM for dict"),
    (b"\x80\x02c__builtin__\nset\n)RK\x01a.", "Can only append to list"),
    (b"\x80\x02X\x01\x00\x00\x00a)R.", "unrecognized function"),
    (b"\x80\x02c_codecs\nencode\n)\x81.", "Can only create new object"),
    (b"\x80\x02h\x05.", "Memo|malformed"),
    (b"\x80\x02t.", "malformed|mark"),
])
def test_strict_opcodes(raw, match):
    with pytest.raises(pickle.UnpicklingError, match=match):
        pe.load(archive(raw))


def test_state_dict_metadata_is_kept():
    import collections
    sd = collections.OrderedDict(w=pe.ones(1))
    sd._metadata = {"": {"version": 1}}
    buf = io.BytesIO()
    pe.save(sd, buf)
    buf.seek(0)
    assert pe.load(buf)._metadata == {"": {"version": 1}}
