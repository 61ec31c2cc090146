"""Files: atomic saves (an interrupted save leaves the old checkpoint intact and no temp file),
permissions and symlinks, truncated / corrupted / foreign files raising errors that name the file,
and bad arguments raising PyTorch's exception classes."""
import io
import os
import pickle
import zipfile

import pytest

import pyengine as pe
import pyengine._serialization_zip as pz


def saved_bytes(obj) -> bytes:
    buf = io.BytesIO()
    pe.save(obj, buf)
    return buf.getvalue()


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def old_checkpoint(tmp_path):
    path = tmp_path / "model.pt"
    pe.save({"w": pe.arange(4.0)}, path)
    return path, path.read_bytes()


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_exception_mid_write_leaves_the_old_file(monkeypatch, old_checkpoint, error):
    path, before = old_checkpoint
    real_write = pz.RecordWriter.write
    calls = []

    def failing_write(self, name, data, align=False):
        calls.append(name)
        if name.startswith("data/"):  # after data.pkl and a few records are already in the temp file
            real_write(self, name, bytes(memoryview(data).cast("B"))[:3])
            raise error
        real_write(self, name, data, align)
    monkeypatch.setattr(pz.RecordWriter, "write", failing_write)
    with pytest.raises(type(error)):
        pe.save({"w": pe.ones(1000)}, path)
    assert "data.pkl" in calls
    assert path.read_bytes() == before and leftovers(path.parent) == []
    monkeypatch.undo()
    assert pe.load(path)["w"].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_failed_rename_leaves_the_old_file(monkeypatch, old_checkpoint):
    path, before = old_checkpoint

    def no_replace(src, dst):
        raise OSError("simulated crash before rename")
    monkeypatch.setattr(pz.os, "replace", no_replace)
    with pytest.raises(OSError, match="simulated"):
        pe.save(pe.zeros(3), path)
    assert path.read_bytes() == before and leftovers(path.parent) == []


def test_unpicklable_object_never_touches_the_file(old_checkpoint):
    path, before = old_checkpoint
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        pe.save({"f": lambda x: x, "w": pe.ones(2)}, path)
    assert path.read_bytes() == before and leftovers(path.parent) == []


def test_data_is_fsynced_before_the_rename(monkeypatch, tmp_path):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(pz.os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(pz.os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1])
    pe.save(pe.ones(3), tmp_path / "x.pt")
    assert events[:2] == ["fsync", "replace"]


def test_mode_is_kept_and_new_files_follow_the_umask(tmp_path):
    path = tmp_path / "a.pt"
    pe.save(pe.ones(1), path)
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    os.chmod(path, 0o640)
    pe.save(pe.zeros(1), path)
    assert path.stat().st_mode & 0o777 == 0o640


def test_symlink_is_followed(tmp_path):
    target = tmp_path / "real.pt"
    link = tmp_path / "link.pt"
    pe.save(pe.ones(1), target)
    link.symlink_to(target)
    pe.save(pe.full((2,), 7.0), link)
    assert link.is_symlink() and pe.load(target).tolist() == [7.0, 7.0]


def test_overwrite_replaces_content(tmp_path):
    path = tmp_path / "c.pt"
    pe.save(pe.ones(100), path)
    pe.save(pe.zeros(2), path)
    assert pe.load(path).tolist() == [0.0, 0.0]


def test_save_to_a_folder_or_a_missing_folder(tmp_path):
    with pytest.raises(RuntimeError, match="Is a directory"):
        pe.save(pe.ones(1), tmp_path)
    with pytest.raises(RuntimeError, match="Parent directory .*nodir does not exist"):
        pe.save(pe.ones(1), tmp_path / "nodir" / "x.pt")


@pytest.mark.parametrize("cut", [0.2, 0.5, 0.9, 0.99])
def test_truncated_file_names_the_file(tmp_path, cut):
    data = saved_bytes({"w": pe.randn(64), "b": pe.ones(3)})
    path = tmp_path / "trunc.pt"
    path.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(RuntimeError, match="trunc.pt"):
        pe.load(path)


def test_corrupted_storage_bytes_fail_the_crc(tmp_path):
    data = bytearray(saved_bytes({"w": pe.arange(64.0)}))
    info = next(i for i in zipfile.ZipFile(io.BytesIO(bytes(data))).infolist() if i.filename.endswith("data/0"))
    data[info.header_offset + 200] ^= 0xFF  # inside the record's bytes (64 floats = 256 bytes)
    path = tmp_path / "flipped.pt"
    path.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="flipped.pt.*data/0.*corrupted"):
        pe.load(path)
    # mmap=True maps the bytes lazily and (as PyTorch) does not read them to check the CRC
    assert pe.load(path, mmap=True)["w"].numel() == 64


def test_corrupted_structure_is_reported(tmp_path):
    data = bytearray(saved_bytes({"w": pe.arange(4.0), "name": "x" * 40}))
    data[60] ^= 0xFF  # inside data.pkl
    path = tmp_path / "badpkl.pt"
    path.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="badpkl.pt.*data.pkl"):
        pe.load(path)


def test_empty_and_foreign_files(tmp_path):
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.raises(EOFError, match="empty.pt"):
        pe.load(empty)
    text = tmp_path / "notes.txt"
    text.write_text("hello, not a checkpoint")
    with pytest.raises(RuntimeError, match="Invalid magic number.*notes.txt"):
        pe.load(text)
    legacy = tmp_path / "legacy.pt"
    legacy.write_bytes(pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2))  # how the legacy format begins
    with pytest.raises(RuntimeError, match="legacy.pt.*legacy"):
        pe.load(legacy)
    other_zip = tmp_path / "other.zip"
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("folder/readme.txt", "hi")
    with pytest.raises(RuntimeError, match="other.zip.*data.pkl"):
        pe.load(other_zip)
    with pytest.raises(FileNotFoundError):
        pe.load(tmp_path / "missing.pt")


def test_bad_arguments():
    with pytest.raises(AttributeError, match="expected 'f' to be string, path, or a file-like object"):
        pe.save(pe.ones(1), 123)
    with pytest.raises(AttributeError, match="expected 'f' to be string, path, or a file-like object"):
        pe.load(123)
    buf = io.BytesIO(saved_bytes(pe.ones(1)))
    with pytest.raises(TypeError, match="map_location"):
        pe.load(buf, map_location=123)
    with pytest.raises(TypeError, match="map_location"):
        pe.load(buf, map_location={"cpu": 5})
    with pytest.raises(NotImplementedError, match="zip format"):
        pe.save(pe.ones(1), io.BytesIO(), _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError, match="pickle_module"):
        pe.save(pe.ones(1), io.BytesIO(), pickle_module=os)
    with pytest.warns(UserWarning, match="pickle_load_args only works"):
        buf.seek(0)
        pe.load(buf, encoding="latin1")


def test_byteorder_record_can_be_left_out():
    buf = io.BytesIO()
    pe.save(pe.arange(3), buf, _disable_byteorder_record=True)
    names = zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist()
    assert "archive/byteorder" not in names and "archive/data.pkl" in names
    buf.seek(0)
    assert pe.load(buf).tolist() == [0, 1, 2]


def test_archive_records():
    names = zipfile.ZipFile(io.BytesIO(saved_bytes([pe.ones(2), pe.ones(2, dtype=pe.int8)]))).namelist()
    assert names == ["archive/data.pkl", "archive/.storage_alignment", "archive/byteorder", "archive/data/0",
                     "archive/data/1", "archive/version"]


def test_zip64_records_stay_aligned_and_load(monkeypatch, tmp_path):
    # Records over ~2 GiB use Zip64; a lowered limit exercises that path with small tensors.
    monkeypatch.setattr(pz, "ZIP64_LIMIT", 1000)
    path = tmp_path / "z64.pt"
    pe.save({"a": pe.arange(500.0), "b": pe.ones(3, dtype=pe.int8), "c": pe.arange(400)}, path)
    monkeypatch.undo()
    assert b"PK\x06\x06" in path.read_bytes()  # the Zip64 end record was written
    with open(path, "rb") as f:
        for info in zipfile.ZipFile(f).infolist():
            if "/data/" in info.filename:
                f.seek(info.header_offset + 26)
                n, m = int.from_bytes(f.read(2), "little"), int.from_bytes(f.read(2), "little")
                assert (info.header_offset + 30 + n + m) % 64 == 0
    for mmap in (False, True):
        out = pe.load(path, mmap=mmap)
        assert out["a"][-1].item() == 499.0 and out["c"][-1].item() == 399 and out["b"].tolist() == [1, 1, 1]
