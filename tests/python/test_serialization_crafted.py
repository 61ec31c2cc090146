"""Crafted checkpoints (pyengine issue 19): each gives a clean exception of PyTorch's class where
PyTorch has one, with bounded memory and nothing written anywhere: oversized claims, ints that do
not fit in int64, negative or overflowing geometry, offsets beyond the storage, traversal names,
wrong-arity allowlisted globals, compression bombs, deep nesting, truncated files, duplicate
records. Memory is measured as peak RSS in a fresh subprocess."""
from __future__ import annotations

import io
import os
import pickle
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest

import pyengine as pe
from pyengine._serialization_pickler import TorchGlobal, _save_torch_global
from pyengine._serialization_zip import RecordWriter

MiB = 1 << 20
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REBUILD = TorchGlobal("torch._utils", "_rebuild_tensor_v2")
ORDERED_DICT = TorchGlobal("collections", "OrderedDict")


# ---------------------------------------------------------------------------------------------
# Making crafted files
# ---------------------------------------------------------------------------------------------

class Storage:
    """Pickles as the persistent id of a storage, with whatever fields a test wants."""

    def __init__(self, name="FloatStorage", key="0", location="cpu", numel=6):
        self.pid = ("storage", TorchGlobal("torch", name), key, location, numel)


class Call:
    """Pickles as ``fn(*args)`` (REDUCE), any fn and any args."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


class CraftPickler(pickle._Pickler):
    dispatch = dict(pickle._Pickler.dispatch)
    dispatch[TorchGlobal] = _save_torch_global

    def persistent_id(self, obj):
        return obj.pid if type(obj) is Storage else None


def dumps(obj) -> bytes:
    buf = io.BytesIO()
    CraftPickler(buf, 2).dump(obj)
    return buf.getvalue()


def tensor(storage, offset, size, stride):
    return Call(REBUILD, storage, offset, size, stride, False, Call(ORDERED_DICT))


def archive(pickled: bytes, records: dict | None = None) -> bytes:
    """A well-formed (stored) archive around a crafted pickle."""
    buf = io.BytesIO()
    w = RecordWriter(buf)
    w.write("data.pkl", pickled)
    w.write("byteorder", b"little")
    for name, data in (records or {}).items():
        w.write(name, data, align=True)
    w.write("version", b"3\n")
    w.close()
    return buf.getvalue()


_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")


class Entry:
    """One zip entry written by hand: its sizes and CRC are whatever the test claims."""

    def __init__(self, name: str, data: bytes, method: int = 0, size: int | None = None, crc: int | None = None):
        self.name, self.data, self.method = name, data, method
        self.size = len(data) if size is None else size
        self.crc = zlib.crc32(data) if crc is None else crc


def raw_zip(entries) -> bytes:
    out, central = bytearray(), []
    for e in entries:
        name = e.name.encode()
        central.append(_CENTRAL.pack(b"PK\x01\x02", 20, 20, 0x800, e.method, 0, 33, e.crc, len(e.data), e.size,
                                     len(name), 0, 0, 0, 0, 0, len(out)) + name)
        out += _LOCAL.pack(b"PK\x03\x04", 20, 0x800, e.method, 0, 33, e.crc, len(e.data), e.size, len(name), 0)
        out += name + e.data
    start = len(out)
    out += b"".join(central)
    out += struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(out) - start, start, 0)
    return bytes(out)


def deflate(chunk: bytes, times: int = 1) -> bytes:
    """Raw deflate of ``chunk`` repeated ``times`` times, made without ever holding the whole."""
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return b"".join([c.compress(chunk) for _ in range(times)] + [c.flush()])


def checkpoint(pickled: bytes, data_entries=(), prefix="archive/") -> bytes:
    return raw_zip([Entry(prefix + "data.pkl", pickled), Entry(prefix + "byteorder", b"little"), *data_entries,
                    Entry(prefix + "version", b"3\n")])


FLOATS = np.arange(6, dtype=np.float32).tobytes()


def load_bytes(raw: bytes, **kwargs):
    return pe.load(io.BytesIO(raw), **kwargs)


def torch_error(raw: bytes):
    """The exception class torch.load raises on the same bytes (None: it loads them)."""
    torch = pytest.importorskip("torch")
    try:
        torch.load(io.BytesIO(raw))
    except Exception as e:  # the class is what the caller compares
        return type(e)
    return None


# Peak RSS of one load in a fresh process, from just before the load to its end. The peak is the
# kernel's high-water mark (VmHWM), reset before the load; resource.getrusage's ru_maxrss cannot be
# used here: on Linux a process started by fork + exec inherits its parent's (pytest's) maximum.
LOAD_IN_SUBPROCESS = """
import sys
import pyengine as pe
def vm(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key + ":"))
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # VmHWM := VmRSS
base = vm("VmHWM")
try:
    out = pe.load(sys.argv[1], mmap=sys.argv[2] == "mmap")
    if isinstance(out, pe.Tensor):
        result = "loaded %d %d" % (out.numel(), int(out.numpy().view("u1").sum(dtype="u8")))
    else:
        result = "loaded %r" % (out,)
except Exception as e:
    result = "%s: %s" % (type(e).__name__, e)
print(vm("VmHWM") - base)
print(result)
"""


def load_in_subprocess(path, mmap: bool = False):
    """(bytes the peak RSS grew by while loading, 'loaded <numel> <byte sum>' or '<Error>: <message>')."""
    out = subprocess.run([sys.executable, "-c", LOAD_IN_SUBPROCESS, str(path), "mmap" if mmap else "read"],
                         capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": ROOT})
    assert out.returncode == 0, out.stderr  # never a crash
    grown, result = out.stdout.split("\n", 1)
    return int(grown), result.strip()


# ---------------------------------------------------------------------------------------------
# Compression bombs and oversized claims (item 5)
# ---------------------------------------------------------------------------------------------

def bomb(declared: int, inflated_mib: int, crc_of_declared: bool = True) -> bytes:
    """A storage record that claims ``declared`` bytes and inflates to ``inflated_mib`` MiB of 0x01."""
    chunk = b"\x01" * MiB
    crc = zlib.crc32(b"\x01" * declared) if crc_of_declared else zlib.crc32(chunk * inflated_mib)
    numel = declared // 4
    return checkpoint(dumps(tensor(Storage(numel=numel), 0, (numel,), (1,))),
                      [Entry("archive/data/0", deflate(chunk, inflated_mib), 8, declared, crc)])


def test_bomb_reads_only_the_declared_bytes(tmp_path):
    # 64 MiB behind a 64-byte claim: PyTorch reads the 64 bytes and so do we, without inflating the
    # rest (it used to inflate the whole stream first: 2 GB and 8 s for a 1 GiB bomb).
    path = tmp_path / "bomb.pt"
    path.write_bytes(bomb(64, 64))
    grown, result = load_in_subprocess(path)
    assert result == "loaded 16 64"
    assert grown < 16 * MiB, "peak RSS grew by %.1f MiB" % (grown / MiB)
    t = pe.load(path)
    assert t.view(pe.int32).tolist() == [0x01010101] * 16


def test_bomb_whose_crc_covers_the_stream_is_refused(tmp_path):
    path = tmp_path / "bomb.pt"
    path.write_bytes(bomb(64, 64, crc_of_declared=False))
    grown, result = load_in_subprocess(path)
    assert result.startswith("RuntimeError") and "data/0 is corrupted (CRC-32 mismatch)" in result
    assert grown < 16 * MiB


def test_data_pkl_bomb(tmp_path):
    # data.pkl claims its real length, and its stream goes on with 64 MiB of zeros
    pickled = dumps({"a": [1, 2, 3]})
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    stream = c.compress(pickled) + b"".join(c.compress(b"\x00" * MiB) for _ in range(64)) + c.flush()
    path = tmp_path / "pkl_bomb.pt"
    path.write_bytes(raw_zip([Entry("archive/data.pkl", stream, 8, len(pickled), zlib.crc32(pickled)),
                              Entry("archive/version", b"3\n")]))
    assert pe.load(path) == {"a": [1, 2, 3]}  # PyTorch too reads the declared bytes only
    grown, result = load_in_subprocess(path)
    assert result == "loaded {'a': [1, 2, 3]}"
    assert grown < 16 * MiB, "peak RSS grew by %.1f MiB" % (grown / MiB)


@pytest.mark.parametrize("mmap", [False, True])
def test_honest_compressed_storage_is_inflated_in_place(tmp_path, mmap):
    # A 64 MiB storage, deflated (e.g. an archive re-packed by a zip tool): inflated a chunk at a
    # time straight into the tensor, so the peak is the tensor plus a chunk, not twice the tensor.
    chunk = bytes(range(256)) * 4096
    path = tmp_path / "deflated.pt"
    path.write_bytes(checkpoint(dumps(tensor(Storage("ByteStorage", numel=64 * MiB), 0, (64 * MiB,), (1,))),
                                [Entry("archive/data/0", deflate(chunk, 64), 8, 64 * MiB,
                                       zlib.crc32(chunk * 64))]))
    grown, result = load_in_subprocess(path, mmap=mmap)
    assert result == "loaded %d %d" % (64 * MiB, 64 * 4096 * sum(range(256)))
    assert grown < 64 * MiB + 24 * MiB, "peak RSS grew by %.1f MiB" % (grown / MiB)


def test_compressed_record_loads_with_mmap(tmp_path):
    path = tmp_path / "deflated.pt"
    path.write_bytes(checkpoint(dumps(tensor(Storage(), 1, (2, 2), (2, 1))),
                                [Entry("archive/data/0", deflate(FLOATS), 8, len(FLOATS), zlib.crc32(FLOATS))]))
    assert pe.load(path, mmap=True).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert pe.load(path).tolist() == [[1.0, 2.0], [3.0, 4.0]]


@pytest.mark.parametrize("entry,match", [
    # a stored record that claims 4 GiB in a file of a few hundred bytes
    (Entry("archive/data/0", FLOATS, 0, 0xFFFFFFF0), "impossible"),
    # a deflated record that claims more than deflate's best ratio (1032:1) allows
    (Entry("archive/data/0", deflate(FLOATS), 8, 0xFFFFFFF0), "impossible"),
    # a plausible claim whose stream ends early
    (Entry("archive/data/0", deflate(b"\x01" * 1000), 8, 4000), "truncated or corrupted"),
    # compression methods PyTorch does not read (bzip2, lzma)
    (Entry("archive/data/0", FLOATS, 12), "compression method 12"),
    (Entry("archive/data/0", FLOATS, 14), "compression method 14"),
])
def test_impossible_record_claims_fail_before_allocating(entry, match):
    numel = entry.size // 4
    raw = checkpoint(dumps(tensor(Storage(numel=numel), 0, (1,), (1,))), [entry])
    with pytest.raises(RuntimeError, match="data/0.*" + match):
        load_bytes(raw)


def test_record_that_claims_bytes_past_the_end_of_the_file():
    raw = bytearray(archive(dumps(tensor(Storage(), 0, (6,), (1,))), {"data/0": FLOATS}))
    # grow the compressed and uncompressed sizes of data/0 in its central directory entry
    at = raw.find(b"PK\x01\x02")
    while raw[at + 46:at + 46 + 14] != b"archive/data/0":
        at = raw.find(b"PK\x01\x02", at + 1)
    struct.pack_into("<LL", raw, at + 20, 1 << 30, 1 << 30)
    with pytest.raises(RuntimeError, match="data/0 claims 1073741824 bytes, but the file ends"):
        load_bytes(bytes(raw))


def test_storage_numel_claim_beyond_the_record():
    with pytest.raises(RuntimeError, match="data/0 holds 24 bytes but its storage needs 4398046511104"):
        load_bytes(archive(dumps(tensor(Storage(numel=1 << 40), 0, (1,), (1,))), {"data/0": FLOATS}))


# ---------------------------------------------------------------------------------------------
# Geometry: ints beyond int64, negative and overflowing sizes, strides, offsets (item 11)
# ---------------------------------------------------------------------------------------------

BIG = 1 << 70
GEOMETRY = [
    # (offset, size, stride, class, message): the class is torch.load's on the same file
    (0, (0, BIG), (1, 1), TypeError, r"storage data/0: size\[1\] = %d does not fit in int64" % BIG),
    (0, (1,), (BIG,), TypeError, r"storage data/0: stride\[0\] = %d does not fit in int64" % BIG),
    (0, (-BIG,), (1,), TypeError, r"size\[0\] = -%d does not fit in int64" % BIG),
    (BIG, (0,), (1,), ValueError, r"storage data/0: storage_offset = %d does not fit in int64" % BIG),
    (1 << 64, (1,), (1,), ValueError, r"storage_offset = 18446744073709551616 does not fit in int64"),
    ((1 << 31), (1 << 31, 1 << 31, 1 << 31), (0, 0, 0), RuntimeError, r"numel: integer multiplication overflow"),
    (0, (1 << 31, 1 << 31, 1 << 31), (0, 0, 0), RuntimeError, r"data/0: numel: integer multiplication overflow"),
    (0, (-2,), (1,), RuntimeError, r"size\[0\] = -2 must be non-negative"),
    (0, (2,), (-1,), RuntimeError, r"stride\[0\] = -1 must be non-negative"),
    (-1, (2,), (1,), RuntimeError, r"storage_offset = -1 must be non-negative"),
    (0, (3,), (1 << 62,), RuntimeError, r"out of bounds for storage of size 24"),
    (5, (2,), (1,), RuntimeError, r"storage offset 5, and itemsize 4 requiring a storage size of 28 are out of bounds"),
    (0, (7,), (1,), RuntimeError, r"out of bounds"),
]


@pytest.mark.parametrize("offset,size,stride,error,match", GEOMETRY)
def test_geometry_is_checked_and_named(offset, size, stride, error, match):
    raw = archive(dumps(tensor(Storage(), offset, size, stride)), {"data/0": FLOATS})
    with pytest.raises(error, match=match):
        load_bytes(raw)


@pytest.mark.parametrize("offset,size,stride,error,match", GEOMETRY)
def test_geometry_errors_have_torchs_class(offset, size, stride, error, match):
    raw = archive(dumps(tensor(Storage(), offset, size, stride)), {"data/0": FLOATS})
    assert torch_error(raw) is error


def test_offset_beyond_the_storage_of_an_empty_tensor():
    # PyTorch accepts any offset for a tensor with no elements; we accept offsets up to the end of
    # the storage (what slicing makes) and refuse those past it: nothing ever points outside.
    raw = archive(dumps([tensor(Storage(), 6, (0,), (1,)), tensor(Storage(), 2, (0, 3), (3, 1))]),
                  {"data/0": FLOATS})
    a, b = load_bytes(raw)
    assert a.shape == (0,) and a.storage_offset() == 6 and b.shape == (0, 3)
    with pytest.raises(RuntimeError, match="storage data/0: storage_offset 7 is beyond the storage of 6 elements"):
        load_bytes(archive(dumps(tensor(Storage(), 7, (0,), (1,))), {"data/0": FLOATS}))


def test_stride_zero_views_that_fit_in_int64_load_as_in_torch():
    t = load_bytes(archive(dumps(tensor(Storage(), 1, (1 << 20, 3), (0, 1))), {"data/0": FLOATS}))
    assert t.shape == (1 << 20, 3) and t.stride() == (0, 1) and t[12345].tolist() == [1.0, 2.0, 3.0]


def test_huge_crafted_ints_and_shapes_are_quick_clean_errors():
    huge = 1 << (8 * 200000)  # a 200 kB int: str() of it raises, multiplying many of them takes long
    cases = [(0, (huge,), (1,), TypeError, r"size\[0\] = <an int of 1600001 bits> does not fit"),
             (huge, (1,), (1,), ValueError, "storage_offset = <an int of 1600001 bits>"),
             (0, ((1 << 63) - 1,) * 20000, (0,) * 20000, RuntimeError, r"numel: integer multiplication"),
             (0, (2,) * 20000 + (0,), (0,) * 20001, None, None)]
    for offset, size, stride, error, match in cases:
        raw = archive(dumps(tensor(Storage(), offset, size, stride)), {"data/0": FLOATS})
        if error is None:
            assert load_bytes(raw).numel() == 0
        else:
            with pytest.raises(error, match=match):
                load_bytes(raw)


@pytest.mark.parametrize("numel,error", [(BIG, TypeError), (1 << 63, TypeError)])
def test_storage_numel_beyond_int64(numel, error):
    raw = archive(dumps(tensor(Storage(numel=numel), 0, (1,), (1,))), {"data/0": FLOATS})
    with pytest.raises(error, match="storage data/0: numel = %d does not fit in int64" % numel):
        load_bytes(raw)
    assert torch_error(raw) is error


@pytest.mark.parametrize("size", [(1.5,), (True,), ("3",), 7, ((1, 2),)])
def test_non_int_geometry(size):
    raw = archive(dumps(tensor(Storage(), 0, size, (1,))), {"data/0": FLOATS})
    with pytest.raises(RuntimeError, match="data/0"):
        load_bytes(raw)


# ---------------------------------------------------------------------------------------------
# Names in the archive, duplicates, truncation
# ---------------------------------------------------------------------------------------------

def files_under(folder) -> set:
    return {os.path.join(d, f) for d, _, fs in os.walk(folder) for f in fs}


@pytest.mark.parametrize("names,match", [
    (["../x/data.pkl", "../x/version"], "unsafe record name"),
    (["archive/data.pkl", "archive/../../evil", "archive/version"], "unsafe record name '"),
    (["archive/data.pkl", "archive/data/../data.pkl", "archive/version"], "unsafe record name"),
    (["archive/data.pkl", "/abs/evil", "archive/version"], "not in a subdirectory archive/: /abs/evil"),
    (["/archive/data.pkl", "/archive/version"], "not in a subdirectory|no top-level folder"),
    (["archive/data.pkl", "other/evil", "archive/version"], "not in a subdirectory archive/: other/evil"),
    (["archive/data.pkl", "archive\\..\\evil", "archive/version"], "unsafe record name|not in a subdirectory"),
])
def test_traversal_names_are_refused_and_nothing_is_written(tmp_path, monkeypatch, names, match):
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    path = work / "crafted.pt"
    path.write_bytes(raw_zip([Entry(n, dumps([1]) if n.endswith("data.pkl") else b"x") for n in names]))
    before = files_under(tmp_path)
    for mmap in (False, True):
        with pytest.raises(RuntimeError, match=match):
            pe.load(path, mmap=mmap)
    assert files_under(tmp_path) == before


def test_storage_key_cannot_name_another_record():
    raw = archive(dumps(tensor(Storage(key="../data.pkl"), 0, (1,), (1,))), {"data/0": FLOATS})
    with pytest.raises(RuntimeError, match="file not found"):
        load_bytes(raw)


@pytest.mark.parametrize("twice", ["data.pkl", "data/0"])
def test_duplicate_records_are_refused(twice):
    # Two readers could see two different files in one archive (zipfile keeps the last entry of a
    # name, PyTorch's reader the first): refused rather than picking one.
    entries = [Entry("archive/data.pkl", dumps(tensor(Storage(), 0, (6,), (1,)))),
               Entry("archive/data/0", FLOATS), Entry("archive/version", b"3\n")]
    first = next(e for e in entries if e.name == "archive/" + twice)
    raw = raw_zip(entries + [Entry(first.name, dumps([2]) if twice == "data.pkl" else FLOATS[::-1])])
    with pytest.raises(RuntimeError, match="holds the record archive/%s twice" % twice):
        load_bytes(raw)


def test_every_truncation_is_a_clean_error(tmp_path):
    path = tmp_path / "whole.pt"
    pe.save({"w": pe.arange(40.0).reshape(4, 10), "b": pe.ones(3, dtype=pe.int64), "n": 3}, path)
    whole = path.read_bytes()
    cut_path = tmp_path / "cut.pt"
    for cut in range(0, len(whole), 7):
        cut_path.write_bytes(whole[:cut])
        with pytest.raises((RuntimeError, EOFError)):
            pe.load(cut_path)


def test_flipped_bytes_are_a_clean_error():
    buf = io.BytesIO()
    pe.save({"w": pe.arange(40.0)}, buf)
    whole = buf.getvalue()
    rng = np.random.default_rng(0)
    for at in rng.integers(0, len(whole), 200):
        bad = bytearray(whole)
        bad[at] ^= 0xFF
        try:
            load_bytes(bytes(bad))
        except (RuntimeError, EOFError, pickle.UnpicklingError, ValueError, TypeError):
            pass


# ---------------------------------------------------------------------------------------------
# Allowlisted globals called wrongly, deep nesting
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("obj", [
    Call(REBUILD, Storage(), 0),
    Call(REBUILD, Storage(), 0, (6,), (1,), False, Call(ORDERED_DICT), None, 1, 2),
    Call(ORDERED_DICT, 1, 2, 3),
    Call(TorchGlobal("torch", "Size"), (1,), (2,)),
    Call(TorchGlobal("torch", "device")),
    Call(TorchGlobal("torch._utils", "_rebuild_parameter"), 1),
    Call(TorchGlobal("torch._tensor", "_rebuild_from_type_v2"), REBUILD),
])
def test_wrong_arity_allowlisted_globals(obj):
    raw = archive(dumps(obj), {"data/0": FLOATS})
    with pytest.raises(TypeError):
        load_bytes(raw)
    assert torch_error(raw) is TypeError


@pytest.mark.parametrize("body", [
    b"]" * 100000 + b"a" * 99999,  # a list in a list in ... 100k deep
    b"(" * 100000 + b"t" * 100000,  # tuples
    b"}" + b"K\x00}" * 50000 + b"s" * 50000,  # dicts
])
def test_deeply_nested_pickles_load(body):
    out = load_bytes(archive(b"\x80\x02" + body + b"."))
    depth = 0
    while isinstance(out, (list, tuple, dict)) and len(out):
        out = out[0] if not isinstance(out, dict) else out[0]
        depth += 1
    assert depth >= 50000


def test_deeply_nested_geometry_is_a_clean_error():
    nested = b"K\x01" + b"\x85" * 100000  # ((((1,),),),...)
    pickled = (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nFloatStorage\n"
               b"X\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x06tQK\x00" + nested + b"K\x01\x85\x89"
               b"ccollections\nOrderedDict\n)RtR.")
    with pytest.raises(RuntimeError, match=r"data/0: size\[0\] must be an int, got \(\(\(\(\(\(\(\.\.\."):
        load_bytes(archive(pickled, {"data/0": FLOATS}))
