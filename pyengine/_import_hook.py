"""The alias import hook behind ``python -m pyengine.run``: ``torch.X`` -> ``pyengine.X``.

Why a meta-path finder and not a fake ``torch`` package: a package on sys.path would shadow a real PyTorch for
every program in the environment; the finder exists only while :func:`aliased` is active, and what it leaves in
``sys.modules`` is removed (and any real ``torch`` modules put back) when it ends.

Why the loader hands back the target module object itself instead of a copy: ``torch.nn is pyengine.nn`` keeps
one set of module globals (one default dtype, one grad mode, ``isinstance`` checks against one ``Tensor`` class).
The import system sets ``module.__spec__`` to the alias spec while loading; :meth:`_AliasLoader.exec_module`
puts the target's own spec back so pyengine's relative imports and pickling keep seeing ``pyengine.*`` names.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import multiprocessing.spawn as _mp_spawn
import sys
import types
from collections.abc import Iterator, Mapping, Sequence

#: The default aliases: the name a PyTorch script imports -> the pyengine module that answers it.
DEFAULT_ALIASES: dict[str, str] = {"torch": "pyengine", "torchvision": "pyengine.vision"}


def _missing_error(fullname: str, alias: str, target_root: str, target: str) -> ModuleNotFoundError:
    """The error for ``import torch.X`` when pyengine has no X; it names both sides of the mapping."""
    if target == target_root:  # the mapped root itself is absent (e.g. pyengine.vision not built)
        owner, _, rest = target_root.rpartition(".")
        what = f"and {owner or target_root} has no {rest!r}"
    else:
        what = f"which has no {target[len(target_root) + 1:]!r}"
    return ModuleNotFoundError(f"No module named {fullname!r} (pyengine.run maps {alias} to {target_root}, {what})",
                               name=fullname)


class _AliasLoader(importlib.abc.Loader):
    """Loads an alias by importing its target and returning that very module object."""

    def __init__(self, alias: str, target: str, target_spec: importlib.machinery.ModuleSpec | None) -> None:
        self.alias = alias
        self.target = target
        self.target_spec = target_spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: types.ModuleType) -> None:
        # The import system just set __spec__ to the alias spec; the module is the target's, give its spec back.
        if self.target_spec is not None:
            module.__spec__ = self.target_spec
        # Mirror the target's already-loaded submodules under the alias, as `import torch` leaves torch.nn,
        # torch.autograd, ... in sys.modules: `from torchvision import datasets` then finds the attribute and
        # never imports "torchvision.datasets", yet code may look it up in sys.modules.
        alias = self.alias
        prefix = self.target + "."
        for name, sub in list(sys.modules.items()):
            if name.startswith(prefix) and sub is not None:
                sys.modules.setdefault(alias + name[len(self.target):], sub)


class AliasFinder(importlib.abc.MetaPathFinder):
    """Resolves ``alias`` and ``alias.sub.mod`` to ``target`` and ``target.sub.mod`` (same module objects)."""

    def __init__(self, aliases: Mapping[str, str]) -> None:
        self.aliases = dict(aliases)

    def _split(self, fullname: str) -> tuple | None:
        for alias, target_root in self.aliases.items():
            if fullname == alias or fullname.startswith(alias + "."):
                return alias, target_root, target_root + fullname[len(alias):]
        return None

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        hit = self._split(fullname)
        if hit is None:
            return None
        alias, target_root, target_name = hit
        module = sys.modules.get(target_name)
        if module is None:
            try:
                module = importlib.import_module(target_name)
            except ModuleNotFoundError as e:
                # Only "the target itself (or one of its parents) does not exist" becomes the two-name error;
                # a missing dependency inside pyengine (e.name is something else) propagates untouched.
                if e.name is not None and (target_name == e.name or target_name.startswith(e.name + ".")):
                    if e.name == target_root or target_root.startswith(e.name + "."):
                        raise _missing_error(fullname, alias, target_root, target_root) from None
                    raise _missing_error(fullname, alias, target_root, target_name) from None
                raise
        own_spec = getattr(module, "__spec__", None)
        if own_spec is not None and getattr(own_spec, "name", None) != target_name:
            own_spec = None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(fullname, target_name, own_spec),
                                              is_package=hasattr(module, "__path__"))


def _is_aliased_name(name: str, aliases: Mapping[str, str]) -> bool:
    return any(name == a or name.startswith(a + ".") for a in aliases)


def install(aliases: Mapping[str, str] | None = None) -> AliasFinder:
    """Put an alias finder on ``sys.meta_path`` for the rest of this process (a spawned child of an aliased run)."""
    for f in sys.meta_path:
        if isinstance(f, AliasFinder):
            return f
    finder = AliasFinder(DEFAULT_ALIASES if aliases is None else aliases)
    sys.meta_path.insert(0, finder)
    return finder


_CHILD_PREFIX = "from pyengine._import_hook import install; install({!r}); "


@contextlib.contextmanager
def _spawned_children_aliased(aliases: Mapping[str, str]) -> Iterator[None]:
    """Children started by multiprocessing's "spawn" start a fresh interpreter that re-imports
    the script as ``__mp_main__``; without the finder there, its ``import torch`` would give a real PyTorch (or
    fail), and a Hogwild-style program would train a copy nobody reads. The child's command line therefore
    installs the same aliases before ``spawn_main`` runs."""
    original = _mp_spawn.get_command_line
    prefix = _CHILD_PREFIX.format(dict(aliases))

    def get_command_line(**kwds):
        cmd = original(**kwds)
        if "-c" in cmd:  # not a frozen executable
            i = cmd.index("-c") + 1
            if not cmd[i].startswith(_CHILD_PREFIX[:30]):
                cmd[i] = prefix + cmd[i]
        return cmd

    _mp_spawn.get_command_line = get_command_line
    try:
        yield
    finally:
        _mp_spawn.get_command_line = original


@contextlib.contextmanager
def aliased(aliases: Mapping[str, str] | None = None) -> Iterator[AliasFinder]:
    """Within the block, ``import torch...`` / ``import torchvision...`` give pyengine's modules.

    On entry, ``sys.modules`` entries under the alias names (a real PyTorch imported before) are set aside; on
    exit the finder is removed, every alias entry made during the block is dropped and the set-aside entries are
    put back, so nothing outside the block sees ``torch`` change.
    """
    aliases = dict(DEFAULT_ALIASES if aliases is None else aliases)
    saved = {k: v for k, v in sys.modules.items() if _is_aliased_name(k, aliases)}
    for k in saved:
        del sys.modules[k]
    finder = AliasFinder(aliases)
    sys.meta_path.insert(0, finder)
    try:
        with _spawned_children_aliased(aliases):
            yield finder
    finally:
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(finder)
        for k in [k for k in sys.modules if _is_aliased_name(k, aliases)]:
            del sys.modules[k]
        sys.modules.update(saved)
