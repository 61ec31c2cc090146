"""Downloading and unpacking data sets: fetch, MD5 check, extraction, with errors that say what to do.

``_urlopen`` is the one place that touches the network (tests replace it, or use file:// URLs).
A download is written to a temporary name and renamed only after its MD5 matched, so a broken
transfer never leaves a file that looks complete.
"""
from __future__ import annotations

import hashlib
import os
import tarfile
import urllib.error
import urllib.request
import zipfile
from typing import Any

USER_AGENT = "pyengine"


def _urlopen(url: str, timeout: float = 60.0) -> Any:
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    return urllib.request.urlopen(req, timeout=timeout)


def calculate_md5(fpath: str, chunk_size: int = 1024 * 1024) -> str:
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        while chunk := f.read(chunk_size):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath: str, md5: str) -> bool:
    return md5 == calculate_md5(fpath)


def check_integrity(fpath: str, md5: str | None = None) -> bool:
    if not os.path.isfile(fpath):
        return False
    return True if md5 is None else check_md5(fpath, md5)


def download_url(url: str, root: str, filename: str | None = None, md5: str | None = None) -> str:
    """Download ``url`` to ``root/filename`` unless a file with the right MD5 is there; return its path."""
    root = os.path.expanduser(root)
    filename = filename or os.path.basename(url)
    fpath = os.path.join(root, filename)
    os.makedirs(root, exist_ok=True)
    if check_integrity(fpath, md5):
        return fpath
    tmp = fpath + ".part"
    try:
        with _urlopen(url) as response, open(tmp, "wb") as out:
            while chunk := response.read(1024 * 1024):
                out.write(chunk)
    except (urllib.error.URLError, OSError, ValueError) as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        reason = getattr(e, "reason", e)
        raise RuntimeError(f"Failed to download {url}: {reason}. Check the network connection (or proxy), or "
                           f"download the file by hand and put it at {fpath}") from e
    if md5 is not None and not check_md5(tmp, md5):
        got = calculate_md5(tmp)
        os.remove(tmp)
        raise RuntimeError(f"The MD5 checksum of the download from {url} is {got}, expected {md5}: the file is "
                           "corrupted or not the expected one. Nothing was kept; try again.")
    os.replace(tmp, fpath)
    return fpath


def extract_archive(from_path: str, to_path: str | None = None, remove_finished: bool = False) -> str:
    """Unpack a .tar(.gz|.bz2|.xz)/.tgz or .zip archive into ``to_path`` (safely: no paths outside it)."""
    to_path = to_path or os.path.dirname(from_path)
    if zipfile.is_zipfile(from_path):
        with zipfile.ZipFile(from_path) as z:
            z.extractall(to_path)
    elif tarfile.is_tarfile(from_path):
        with tarfile.open(from_path, "r:*") as tar:
            try:
                tar.extractall(to_path, filter="data")
            except TypeError:  # Python without extraction filters
                tar.extractall(to_path)
    else:
        raise RuntimeError(f"Extraction of {from_path} not supported: not a tar or zip archive")
    if remove_finished:
        os.remove(from_path)
    return to_path


def download_and_extract_archive(url: str, download_root: str, extract_root: str | None = None,
                                 filename: str | None = None, md5: str | None = None,
                                 remove_finished: bool = False) -> None:
    archive = download_url(url, download_root, filename, md5)
    extract_archive(archive, extract_root or download_root, remove_finished)
