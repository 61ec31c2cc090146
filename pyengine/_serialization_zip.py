"""The container of a checkpoint: a ZIP archive of uncompressed records, written and read here.

The layout is PyTorch's (see docs/serialization.md): one top-level folder, ``data.pkl`` for the
structure, ``data/<key>`` for the raw bytes of each storage. Storage records are padded so that
their bytes start at a multiple of 64 in the file, as PyTorch's writer does, so the file can be
memory-mapped and a storage used in place. Writing to a path is atomic (temp file in the same
folder, fsync, ``os.replace``): an interrupted save never leaves a half-written checkpoint.
"""
from __future__ import annotations

import io
import os
import struct
import tempfile
import zipfile
import zlib
from contextlib import contextmanager
from typing import IO, Iterator

STORAGE_ALIGNMENT = 64
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # zip local file header, 30 bytes
_CENTRAL_HEADER = struct.Struct("<4s6H3L5H2L")  # zip central directory header, 46 bytes
_FLAGS = 0x800  # names are UTF-8
_UNIX = 3 << 8  # "made by" a Unix system: the external attributes hold the file mode (0644)
_DATE_1980 = (0 << 9) | (1 << 5) | 1  # 1980-01-01, time 00:00: the same object gives the same bytes
ZIP64_LIMIT = (1 << 31) - 1  # records, offsets and folders past this use Zip64 fields (as zipfile)
_PAD_ID = b"FB"  # the extra-field id PyTorch's writer uses for its alignment padding


def file_name(f) -> str:
    """How errors name the file: its path, or the ``name`` of a file object when it has one."""
    if isinstance(f, (str, os.PathLike)):
        return os.fspath(f)
    name = getattr(f, "name", None)
    return name if isinstance(name, str) else "<%s object>" % type(f).__name__


class RecordWriter:
    """Writes the records of one archive into a binary file object, front to back.

    Our own few lines of zip rather than ``zipfile``: the CRC and size of a record are known before
    it is written, so each local header is final when written (no seeking back, no data
    descriptors, unseekable outputs work), the alignment padding is exact, and the per-record cost
    is a fraction of zipfile's (it dominated saving a state dict of many small tensors).
    """

    def __init__(self, fileobj: IO[bytes], archive: str = "archive") -> None:
        self._out = fileobj
        try:
            self._pos = fileobj.tell()  # offsets are absolute in the file, as zipfile writes them
        except (OSError, AttributeError, ValueError):
            self._pos = 0
        self._prefix = archive + "/"
        self._central: list = []

    def _emit(self, data) -> None:
        view = memoryview(data).cast("B")
        done = 0
        while done < view.nbytes:  # raw (unbuffered) files may write less than asked
            n = self._out.write(view[done:])
            done += view.nbytes - done if n is None else n
        self._pos += view.nbytes

    def write(self, name: str, data, align: bool = False) -> None:
        """``data``: bytes or a 1-d uint8 buffer (memoryview / numpy array), written without a copy."""
        view = memoryview(data).cast("B")
        raw_name = (self._prefix + name).encode("utf-8")
        size, crc, offset = view.nbytes, zlib.crc32(view), self._pos
        zip64 = size >= ZIP64_LIMIT
        extra = struct.pack("<HHQQ", 1, 16, size, size) if zip64 else b""
        if align:
            start = offset + _LOCAL_HEADER.size + len(raw_name) + len(extra) + 4
            pad = -start % STORAGE_ALIGNMENT
            extra += _PAD_ID + struct.pack("<H", pad) + b"Z" * pad
        small = 0xFFFFFFFF if zip64 else size
        self._emit(_LOCAL_HEADER.pack(b"PK\x03\x04", 45 if zip64 else 20, _FLAGS, 0, 0, _DATE_1980,
                                      crc, small, small, len(raw_name), len(extra)) + raw_name + extra)
        self._emit(view)
        self._central.append((raw_name, crc, size, offset))

    def close(self) -> None:
        cd_start = self._pos
        for raw_name, crc, size, offset in self._central:
            big = size >= ZIP64_LIMIT or offset >= ZIP64_LIMIT
            extra = b""
            if big:  # zip64 field: the sizes and the offset, always all three (our headers say 0xFFFFFFFF)
                extra = struct.pack("<HHQQQ", 1, 24, size, size, offset)
            small, small_off = (0xFFFFFFFF, 0xFFFFFFFF) if big else (size, offset)
            self._emit(_CENTRAL_HEADER.pack(b"PK\x01\x02", _UNIX | (45 if big else 20), 45 if big else 20, _FLAGS, 0, 0,
                                            _DATE_1980, crc, small, small, len(raw_name), len(extra), 0, 0, 0,
                                            0o644 << 16, small_off) + raw_name + extra)
        cd_size, count = self._pos - cd_start, len(self._central)
        if count >= 0xFFFF or cd_start >= ZIP64_LIMIT or cd_size >= ZIP64_LIMIT:
            eocd64 = self._pos
            self._emit(struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, cd_size, cd_start))
            self._emit(struct.pack("<4sIQI", b"PK\x06\x07", 0, eocd64, 1))
            count16, cd_size32, cd_start32 = 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF
        else:
            count16, cd_size32, cd_start32 = count, cd_size, cd_start
        self._emit(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count16, count16, cd_size32, cd_start32, 0))


# Reading is bounded: a compressed record is inflated in chunks of this many bytes straight into
# its destination, and never past the size the central directory declares for it.
READ_CHUNK = 1 << 20
# Deflate's best ratio is 1032:1 (a 258-byte match in about 2 bits): a record that claims more than
# this many bytes per compressed byte cannot be honest, and is refused before anything is allocated.
MAX_DEFLATE_RATIO = 1032
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}  # what PyTorch's miniz reads


class RecordReader:
    """Reads records of an archive: the first record's folder is the archive prefix.

    A checkpoint may come from anyone, so the directory is checked when the archive is opened
    (PyTorch's rules: every entry inside the first entry's folder; ours in addition: no duplicate,
    absolute or ``..`` names), and each record's claims (method, sizes, where its bytes lie) are
    checked against the file before a byte of it is read; see docs/serialization.md, "Loading".
    """

    def __init__(self, fileobj: IO[bytes], name: str) -> None:
        self.name = name
        self._file = fileobj
        try:
            self._zip = zipfile.ZipFile(fileobj, mode="r")
            infos = self._zip.infolist()
            fileobj.seek(0, io.SEEK_END)
            self._file_end = fileobj.tell()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, struct.error) as e:
            raise RuntimeError("PytorchStreamReader failed reading zip archive: failed finding central "
                               "directory: %s is truncated or is not a checkpoint (%s)" % (name, e)) from None
        if not infos or "/" not in infos[0].filename.lstrip("/"):
            raise RuntimeError("%s is not a checkpoint: the archive has no top-level folder" % name)
        self.prefix = infos[0].filename.split("/", 1)[0] + "/"
        self._infos: dict = {}
        for info in infos:
            self._check_name(info.filename)
            key = info.filename[len(self.prefix):]
            if key in self._infos:
                raise RuntimeError("%s: the archive holds the record %s twice (file corrupted or crafted)"
                                   % (name, info.filename))
            self._infos[key] = info

    def _check_name(self, entry: str) -> None:
        if not entry.startswith(self.prefix) or self.prefix == "/":
            raise RuntimeError("%s: file in archive is not in a subdirectory %s: %s" % (self.name, self.prefix, entry))
        parts = entry.split("/")
        if "\\" in entry or "\0" in entry or any(p in ("..", ".") for p in parts):
            raise RuntimeError("%s: unsafe record name %r in the archive (file corrupted or crafted)"
                               % (self.name, entry))

    def has_record(self, name: str) -> bool:
        return name in self._infos

    def record_size(self, name: str) -> int:
        """The record's declared size, once its claims are checked against the file (else RuntimeError)."""
        return self._checked_size(name)

    def is_stored(self, name: str) -> bool:
        """Whether the record's bytes lie in the file as they are (not compressed): mmap can use them."""
        return self._info(name).compress_type == zipfile.ZIP_STORED

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = self._infos.get(name)
        if info is None:
            raise RuntimeError("PytorchStreamReader failed locating file %s: file not found in %s "
                               "(truncated or not a checkpoint)" % (name, self.name))
        return info

    def read(self, name: str) -> bytes:
        """The whole record (CRC-32 checked); for the small records (data.pkl, byteorder, version)."""
        out = bytearray(self._checked_size(name))
        self.read_into(name, out)
        return bytes(out)

    def data_offset(self, name: str) -> int:
        """Where the bytes of a stored record start in the file (after its local header)."""
        info = self._info(name)
        try:
            self._file.seek(info.header_offset)  # zipfile already made it absolute (prepended data)
            header = self._file.read(_LOCAL_HEADER.size)
        except (OSError, ValueError) as e:
            raise RuntimeError("%s: record %s is truncated or corrupted (%s)" % (self.name, name, e)) from None
        if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
            raise RuntimeError("%s: bad local header for record %s (file corrupted)" % (self.name, name))
        fields = _LOCAL_HEADER.unpack(header)
        return info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1]

    def _checked_size(self, name: str) -> int:
        """The record's declared size, once its claims are possible for this file (else RuntimeError)."""
        info = self._info(name)
        method = _METHODS.get(info.compress_type)
        if method is None:
            raise RuntimeError("%s: record %s uses zip compression method %d; checkpoints are read with "
                               "method 0 (stored) or 8 (deflate) only" % (self.name, name, info.compress_type))
        if info.flag_bits & 0x1:
            raise RuntimeError("%s: record %s is encrypted" % (self.name, name))
        end = self.data_offset(name) + info.compress_size
        if end > self._file_end:
            raise RuntimeError("%s: record %s claims %d bytes, but the file ends %d bytes before them "
                               "(truncated or corrupted)" % (self.name, name, info.compress_size, end - self._file_end))
        limit = info.compress_size if method == "stored" else info.compress_size * MAX_DEFLATE_RATIO + 64
        if info.file_size > limit or (method == "stored" and info.file_size != info.compress_size):
            raise RuntimeError("%s: record %s claims %d bytes from %d %s bytes, which is impossible "
                               "(file corrupted or crafted)" % (self.name, name, info.file_size,
                                                                info.compress_size, method))
        return info.file_size

    def read_into(self, name: str, out) -> None:
        """Fill ``out`` (a writable uint8 buffer of the record's size) and check the CRC.

        Compressed records are inflated a chunk at a time straight into ``out``, and inflating stops
        at the declared size: a record whose stream goes on (a compression bomb) costs no more memory
        or time than its claim, and PyTorch, which stops there too, reads the same bytes.
        """
        info = self._info(name)
        view = memoryview(out).cast("B")
        size = self._checked_size(name)
        if view.nbytes != size:
            raise RuntimeError("%s: record %s holds %d bytes, expected %d (file corrupted)"
                               % (self.name, name, size, view.nbytes))
        try:
            self._file.seek(self.data_offset(name))
            if info.compress_type == zipfile.ZIP_STORED:
                got = self._read_stored(view)
            else:
                got = self._inflate(view, info.compress_size)
        except (EOFError, OSError, zlib.error, ValueError) as e:
            raise RuntimeError("%s: record %s is truncated or corrupted (%s)" % (self.name, name, e)) from None
        if got != view.nbytes:
            raise RuntimeError("%s: record %s is truncated or corrupted (%d of its %d bytes are there)"
                               % (self.name, name, got, view.nbytes))
        if zlib.crc32(view) != info.CRC:
            raise RuntimeError("%s: record %s is corrupted (CRC-32 mismatch)" % (self.name, name))

    def _read_stored(self, view: memoryview) -> int:
        done = 0
        while done < view.nbytes:
            part = view[done:]  # into the destination: reading allocates nothing
            if hasattr(self._file, "readinto"):
                n = self._file.readinto(part)
            else:
                data = self._file.read(part.nbytes)
                n = len(data)
                part[:n] = data
            if not n:
                break
            done += n
        return done

    def _inflate(self, view: memoryview, compressed: int) -> int:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as zip stores it
        done, left = 0, compressed
        while done < view.nbytes and not inflater.eof:
            data = inflater.unconsumed_tail
            if not data:
                if left <= 0:
                    break
                data = self._file.read(min(READ_CHUNK, left))
                if not data:
                    break
                left -= len(data)
            # max_length bounds the output of this call: never more than a chunk, nor past the claim.
            chunk = inflater.decompress(data, min(READ_CHUNK, view.nbytes - done))
            view[done:done + len(chunk)] = chunk
            done += len(chunk)
        return done

    def close(self) -> None:
        self._zip.close()


def is_zipfile(fileobj: IO[bytes]) -> bool:
    """Whether the file (from its current position) starts with a zip local header."""
    start = fileobj.tell()
    magic = fileobj.read(4)
    fileobj.seek(start)
    return magic == b"PK\x03\x04"


def _umask() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    old = os.umask(0o022)  # fallback: read by setting (not thread-safe, only off Linux)
    os.umask(old)
    return old


@contextmanager
def atomic_write(path) -> Iterator[IO[bytes]]:
    """Yield a temp file next to ``path``; on success fsync it and rename it over ``path``.

    On any exception (KeyboardInterrupt included) the temp file is removed and ``path`` is left
    exactly as it was. A symlink at ``path`` is followed, so the link stays and its target changes.
    """
    target = os.path.realpath(os.fspath(path))
    folder = os.path.dirname(target) or "."
    # PyTorch's errors (RuntimeError from its C++ writer) for the two common mistakes.
    if os.path.isdir(target):
        raise RuntimeError("cannot save to '%s': open file failed with strerror: Is a directory" % os.fspath(path))
    if not os.path.isdir(folder):
        raise RuntimeError("Parent directory %s does not exist." % folder)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(target) + ".", suffix=".tmp", dir=folder)
    try:
        try:
            mode = os.stat(target).st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o666 & ~_umask()  # what open(path, "wb") would have given
        os.fchmod(fd, mode)
        with io.open(fd, "wb", closefd=True) as f:
            fd = -1
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
        tmp = None
        _fsync_dir(folder)
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _fsync_dir(folder: str) -> None:
    """Make the rename durable; not every file system lets a folder be opened, so best effort."""
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)
