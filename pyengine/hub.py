"""torch.hub's checkpoint cache: ``load_state_dict_from_url``, ``download_url_to_file``, ``get_dir``/``set_dir``,
and ``load``/``list``/``help`` for a local hub repository (``source='local'``).

As PyTorch's, ``load_state_dict_from_url`` looks in ``<hub dir>/checkpoints`` first and downloads only when the
file is not there, so weights already in the cache (``$TORCH_HOME/hub/checkpoints``, by default
``~/.cache/torch/hub/checkpoints``: the files torchvision's ``weights=`` use) load without a network; this is how
``models.vgg16(weights='IMAGENET1K_V1')`` in the public tutorials runs on a machine that has the file. A download
goes to a temporary name, is checked against the SHA-256 prefix in the file name when ``check_hash`` is set, and is
renamed only when complete. Loading GitHub hub repositories (``source='github'``) needs git archives from the
network and is refused with a clear error.
"""
from __future__ import annotations

import builtins
import hashlib
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from typing import Any, Callable, Optional
from urllib.parse import urlparse

__all__ = ["download_url_to_file", "get_dir", "help", "list", "load", "load_state_dict_from_url", "set_dir"]

# The hash prefix torchvision puts in its file names: resnet18-f37072fd.pth -> f37072fd.
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
_hub_dir: Optional[str] = None
_READ_DATA_CHUNK = 128 * 1024


def _get_torch_home() -> str:
    return os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"),
                                                                   "torch")))


def get_dir() -> str:
    """The hub directory: set_dir's, else $TORCH_HOME/hub (TORCH_HOME defaults to $XDG_CACHE_HOME/torch, and that
    to ~/.cache/torch)."""
    if os.getenv("TORCH_HUB"):
        import warnings
        warnings.warn("TORCH_HUB is deprecated, please use env TORCH_HOME instead")
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_get_torch_home(), "hub")


def set_dir(d: str | os.PathLike) -> None:
    global _hub_dir
    _hub_dir = os.path.expanduser(d)


def _urlopen(url: str, timeout: float = 60.0) -> Any:
    req = urllib.request.Request(url, headers={"User-Agent": "torch.hub"})
    return urllib.request.urlopen(req, timeout=timeout)


def download_url_to_file(url: str, dst: str, hash_prefix: Optional[str] = None, progress: bool = True) -> None:
    """Download ``url`` to ``dst`` (through a temporary file beside it); with ``hash_prefix``, the SHA-256 of the
    download must start with it, or RuntimeError('invalid hash value ...') and nothing is kept."""
    dst = os.path.expanduser(dst)
    dst_dir = os.path.dirname(dst) or "."
    f = tempfile.NamedTemporaryFile(delete=False, dir=dst_dir, prefix=os.path.basename(dst) + ".", suffix=".partial")
    try:
        sha256 = hashlib.sha256() if hash_prefix is not None else None
        with _urlopen(url) as u:
            total = u.headers.get("Content-Length") if hasattr(u, "headers") else None
            done = 0
            while chunk := u.read(_READ_DATA_CHUNK):
                f.write(chunk)
                done += len(chunk)
                if sha256 is not None:
                    sha256.update(chunk)
                if progress and total:
                    sys.stderr.write(f"\r{100 * done // int(total):3d}% of {int(total)} bytes")
        if progress and total:
            sys.stderr.write("\n")
        f.close()
        if sha256 is not None:
            digest = sha256.hexdigest()
            if digest[:len(hash_prefix)] != hash_prefix:
                raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got "{digest}")')
        shutil.move(f.name, dst)
    finally:
        f.close()
        if os.path.exists(f.name):
            os.remove(f.name)


def load_state_dict_from_url(url: str, model_dir: Optional[str] = None, map_location=None, progress: bool = True,
                             check_hash: bool = False, file_name: Optional[str] = None,
                             weights_only: bool = False) -> dict[str, Any]:
    """The object saved at ``url``, from ``model_dir`` (default ``<hub dir>/checkpoints``) when the file is there,
    else downloaded into it first."""
    if os.getenv("TORCH_MODEL_ZOO"):
        import warnings
        warnings.warn("TORCH_MODEL_ZOO is deprecated, please use env TORCH_HOME instead")
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name or os.path.basename(urlparse(url).path)
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        sys.stderr.write(f'Downloading: "{url}" to {cached_file}\n')
        hash_prefix = None
        if check_hash:
            r = HASH_REGEX.search(filename)
            hash_prefix = r.group(1) if r else None
        try:
            download_url_to_file(url, cached_file, hash_prefix, progress=progress)
        except urllib.error.URLError as e:
            # PyTorch lets the URLError through; say also where a copy of the file would be found.
            raise urllib.error.URLError(f"{e.reason} (while downloading {url}; put the file at {cached_file} to "
                                        "use it without a network)") from e
    import pyengine
    return pyengine.load(cached_file, map_location=map_location, weights_only=weights_only)


def _load_local_hubconf(repo_dir: str):
    path = os.path.join(repo_dir, "hubconf.py")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"[Errno 2] No such file or directory: '{path}'")
    sys.path.insert(0, repo_dir)
    try:
        spec = importlib.util.spec_from_file_location("hubconf", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(repo_dir)
    return module


def _check_source(source: str) -> None:
    if source not in ("github", "local"):
        raise ValueError(f'Unknown source: "{source}". Allowed values: "github" | "local".')
    if source == "github":
        raise RuntimeError("pyengine.hub loads hub repositories from a local directory only (source='local'): "
                           "fetching a GitHub repository's archive is not implemented. Clone the repository and "
                           "call hub.load(path, model, source='local').")


def _entrypoint(module, model: str) -> Callable:
    fn = getattr(module, model, None)
    if fn is None or not callable(fn):
        raise RuntimeError(f"Cannot find callable {model} in hubconf")
    return fn


def list(repo_or_dir: str, force_reload: bool = False, skip_validation: bool = False, trust_repo=None,
         verbose: bool = True, source: str = "github") -> builtins.list[str]:
    _check_source(source)
    module = _load_local_hubconf(repo_or_dir)
    return [f for f in dir(module) if callable(getattr(module, f)) and not f.startswith("_")]


def help(repo_or_dir: str, model: str, force_reload: bool = False, skip_validation: bool = False, trust_repo=None,
         source: str = "github") -> Optional[str]:
    _check_source(source)
    return _entrypoint(_load_local_hubconf(repo_or_dir), model).__doc__


def load(repo_or_dir: str, model: str, *args: Any, source: str = "github", trust_repo=None, force_reload: bool = False,
         verbose: bool = True, skip_validation: bool = False, **kwargs: Any) -> Any:
    source = source.lower()
    _check_source(source)
    return _entrypoint(_load_local_hubconf(repo_or_dir), model)(*args, **kwargs)
