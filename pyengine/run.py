"""``python -m pyengine.run script.py [args]``: run an unmodified PyTorch script on pyengine.

For the duration of the run, ``import torch`` / ``torch.X`` resolve to ``pyengine`` / ``pyengine.X`` and
``import torchvision`` / ``torchvision.X`` to ``pyengine.vision`` / ``pyengine.vision.X`` (see _import_hook.py).
Everything else is what ``python script.py [args]`` does: ``sys.argv == [script, *args]``, ``__name__ ==
"__main__"``, ``__file__`` set, the script's directory first on ``sys.path``, the same exit status, and an
uncaught exception printed as a traceback of the script's own frames (the runner's frames are cut out, as the
interpreter cuts out its import machinery) with status 1. ``run(script, args)`` does the same in-process.

``python -m pyengine.run -m package.module [args]`` runs a module the way ``python -m`` does.
"""
from __future__ import annotations

import builtins
import importlib.machinery
import io
import os
import runpy
import sys
import types
import zipfile
from collections.abc import Sequence

from ._import_hook import aliased

USAGE = """usage: python -m pyengine.run script.py [args...]
       python -m pyengine.run -m module [args...]

Runs a PyTorch program unmodified on pyengine: for this run only, `import torch` gives pyengine and
`import torchvision` gives pyengine.vision (an import hook; nothing is installed). The rest of the command
line is passed to the program as sys.argv[1:]."""

# Frames of these files are runner plumbing, not the user's program: left out of uncaught-exception tracebacks.
_PLUMBING = {os.path.abspath(__file__), os.path.abspath(runpy.__file__),
             os.path.join(os.path.dirname(os.path.abspath(__file__)), "_import_hook.py")}


def _is_plumbing(frame: types.FrameType) -> bool:
    name = frame.f_code.co_filename
    # runpy and importlib are frozen modules in 3.11 ("<frozen runpy>"); contextlib is the aliased() block.
    return (name in _PLUMBING or name.startswith(("<frozen runpy", "<frozen importlib.")) or
            os.path.basename(name) == "contextlib.py")


def _user_traceback(tb: types.TracebackType | None) -> types.TracebackType | None:
    """The traceback without runner/runpy/import-hook frames (rebuilt: traceback objects are immutable links)."""
    frames = []
    while tb is not None:
        if not _is_plumbing(tb.tb_frame):
            frames.append((tb.tb_frame, tb.tb_lasti, tb.tb_lineno))
        tb = tb.tb_next
    out = None
    for frame, lasti, lineno in reversed(frames):
        out = types.TracebackType(out, frame, lasti, lineno)
    return out


def _run(target: str, args: Sequence[str], as_module: bool) -> None:
    if as_module:
        sys.argv = [target, *args]  # run_module(alter_sys=True) replaces argv[0] with the module's file
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        sys.argv = [target, *args]
        # `python script.py` puts the script's directory, not the current one, first on sys.path.
        script_dir = os.path.dirname(os.path.abspath(target))
        if sys.path and sys.path[0] in ("", os.getcwd(), os.path.abspath(os.curdir)):
            sys.path[0] = script_dir
        else:
            sys.path.insert(0, script_dir)
        _exec_script(target)


def _exec_script(target: str) -> None:
    """Execute a script file as ``__main__`` exactly as ``python target`` would.

    Not ``runpy.run_path`` for a plain file: it sets ``sys.argv[0]`` to the path it is given, so it cannot give
    both an absolute ``__file__`` (what python >= 3.9 sets, and what tracebacks show) and ``sys.argv[0]`` as typed.
    """
    path = os.path.abspath(target)
    if os.path.isdir(path) or zipfile.is_zipfile(path):  # `python dir/` and `python app.zip` run __main__.py
        runpy.run_path(path, run_name="__main__")
        return
    with io.open_code(path) as f:
        source = f.read()
    code = compile(source, path, "exec", dont_inherit=True)
    main = types.ModuleType("__main__")
    main.__dict__.update(__file__=path, __cached__=None, __package__=None, __spec__=None,
                         __loader__=importlib.machinery.SourceFileLoader("__main__", path),
                         __builtins__=builtins)
    # Classes defined by the script are pickled (torch.save, DataLoader workers) as __main__.X: the script's
    # namespace must be sys.modules["__main__"] while it runs.
    saved_main = sys.modules.get("__main__")
    sys.modules["__main__"] = main
    try:
        exec(code, main.__dict__)  # noqa: S102 - running the user's program is the point
    finally:
        if saved_main is not None:
            sys.modules["__main__"] = saved_main


def run(target: str, args: Sequence[str] = (), *, as_module: bool = False) -> None:
    """Run a script (or, with ``as_module``, a module) with torch/torchvision aliased to pyengine.

    Exceptions, including ``SystemExit``, propagate; ``sys.argv`` and ``sys.path`` are restored afterwards.
    """
    saved_argv, saved_path = list(sys.argv), list(sys.path)
    try:
        with aliased():
            _run(target, args, as_module)
    finally:
        sys.argv[:] = saved_argv
        sys.path[:] = saved_path


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    as_module = argv[0] == "-m"
    if as_module:
        if len(argv) < 2:
            print("pyengine.run: -m needs a module name\n" + USAGE, file=sys.stderr)
            return 2
        target, args = argv[1], argv[2:]
    else:
        target, args = argv[0], argv[1:]
        if not os.path.exists(target):
            # python's own wording and status for a missing script
            print(f"{sys.executable}: can't open file {os.path.abspath(target)!r}: "
                  f"[Errno 2] No such file or directory", file=sys.stderr)
            return 2
    try:
        with aliased():
            _run(target, args, as_module)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001 - printed like the interpreter's own handler, then status 1
        # The interpreter's handler prints e.__traceback__ (not its tb argument) when e has one: trim it in place.
        tb = _user_traceback(e.__traceback__)
        sys.excepthook(type(e), e.with_traceback(tb), tb)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
