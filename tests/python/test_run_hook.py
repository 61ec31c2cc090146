"""The import hook and the runner of ``python -m pyengine.run``: aliasing, isolation, and ``python script.py`` parity.

Subprocess tests compare the runner with plain ``python`` on the same small scripts (argv, __file__, sys.path,
exit codes, tracebacks); in-process tests check that the alias block leaves ``sys.modules`` and
``sys.meta_path`` as it found them, including a real ``torch`` imported before it.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import pyengine
from pyengine import _import_hook
from pyengine import run as pe_run

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _write(tmp_path, name, code):
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(code), encoding="utf-8")
    return p


def _runner(args, cwd, timeout=120):
    return subprocess.run([sys.executable, "-m", "pyengine.run", *args], cwd=cwd, env=_env(),
                          capture_output=True, text=True, timeout=timeout, check=False)


def _python(args, cwd, timeout=120):
    return subprocess.run([sys.executable, *args], cwd=cwd, env=_env(), capture_output=True, text=True,
                          timeout=timeout, check=False)


# ---------------------------------------------------------------------------------------------------------
# aliasing (subprocess: what a tutorial script sees)
# ---------------------------------------------------------------------------------------------------------
def test_aliases_are_the_pyengine_modules(tmp_path):
    _write(tmp_path, "s.py", """
        import sys
        import pyengine
        import torch
        # like `import torch`, the alias leaves the loaded submodules in sys.modules under torch.*
        assert sys.modules["torch.autograd"] is pyengine.autograd
        import torch.nn as nn
        import torch.nn.functional as F
        import torch.autograd
        from torch.autograd import Variable, Function
        import torch.linalg, torch.cuda
        assert torch is pyengine and nn is pyengine.nn and F is pyengine.nn.functional
        assert torch.autograd is pyengine.autograd and Variable is pyengine.autograd.Variable
        assert Function is pyengine.autograd.Function
        assert torch.linalg is pyengine.linalg and torch.cuda is pyengine.cuda
        import sys
        assert sys.modules["torch.nn"] is pyengine.nn and sys.modules["torch"] is pyengine
        # the target modules keep their own identity (specs, names) for pickling and relative imports
        assert pyengine.nn.__name__ == "pyengine.nn" and pyengine.nn.__spec__.name == "pyengine.nn"
        assert torch.nn.functional.__spec__.name == "pyengine.nn.functional"
        x = torch.ones(2, requires_grad=True)
        assert isinstance(x, pyengine.Tensor) and type(x) is torch.Tensor
        import importlib
        assert importlib.import_module("torch.nn") is pyengine.nn
        print("ALIASED")
    """)
    proc = _runner(["s.py"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ALIASED"


SUBMODULE_ALIASES = [
    ("from torch.utils.data import Dataset, DataLoader", "torch.utils.data", "pyengine.utils.data"),
    ("import torch.optim as optim", "torch.optim", "pyengine.optim"),
    ("import torch.nn.init", "torch.nn.init", "pyengine.nn.init"),
    ("import torch.optim.lr_scheduler", "torch.optim.lr_scheduler", "pyengine.optim.lr_scheduler"),
    ("import torchvision", "torchvision", "pyengine.vision"),
    ("import torchvision.transforms as transforms", "torchvision.transforms", "pyengine.vision.transforms"),
    ("from torchvision import datasets", "torchvision.datasets", "pyengine.vision.datasets"),
    ("import torchvision.utils", "torchvision.utils", "pyengine.vision.utils"),
]


@pytest.fixture(scope="module")
def submodule_results(tmp_path_factory):
    # One subprocess tries every tutorial import and reports each outcome (one pyengine start-up, not eight).
    tmp = tmp_path_factory.mktemp("aliases")
    _write(tmp, "s.py", f"""
        import importlib, sys, traceback
        for stmt, name, target in {SUBMODULE_ALIASES!r}:
            try:
                exec(stmt, {{}})
                same = sys.modules[name] is importlib.import_module(target)
                print(stmt, "|", "OK" if same else "NOT THE SAME MODULE")
            except Exception as e:
                print(stmt, "|", type(e).__name__ + ": " + str(e))
    """)
    proc = _runner(["s.py"], tmp)
    assert proc.returncode == 0, proc.stderr
    return dict(line.split(" | ", 1) for line in proc.stdout.splitlines())


@pytest.mark.parametrize("stmt", [s for s, _, _ in SUBMODULE_ALIASES])
def test_submodule_aliases(submodule_results, stmt):
    # Several of these pyengine modules are being merged; the import runs for real either way, so the test
    # tells exactly which tutorial imports resolve today.
    assert submodule_results[stmt] == "OK"


def test_missing_submodule_names_both_sides(tmp_path):
    _write(tmp_path, "s.py", "import torch.fx\n")
    proc = _runner(["s.py"], tmp_path)
    assert proc.returncode == 1
    assert ("ModuleNotFoundError: No module named 'torch.fx' (pyengine.run maps torch to pyengine, "
            "which has no 'fx')") in proc.stderr
    # the traceback points at the script's line, not at the runner's machinery
    assert f'File "{tmp_path / "s.py"}", line 1, in <module>' in proc.stderr
    assert "_import_hook.py" not in proc.stderr and "run.py" not in proc.stderr


def test_missing_nested_submodule_and_catchable(tmp_path):
    _write(tmp_path, "s.py", """
        try:
            import torch.nn.no_such_thing
        except ModuleNotFoundError as e:
            print(e.name)
            print(e)
        try:
            from torch import no_such_thing
        except ImportError as e:
            print(type(e).__name__)
    """)
    proc = _runner(["s.py"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "torch.nn.no_such_thing"
    assert lines[1] == ("No module named 'torch.nn.no_such_thing' (pyengine.run maps torch to pyengine, "
                        "which has no 'nn.no_such_thing')")
    assert lines[2] == "ImportError"


def test_missing_mapped_root_error():
    finder = _import_hook.AliasFinder({"torchvision": "pyengine.no_such_vision"})
    with pytest.raises(ModuleNotFoundError) as info:
        finder.find_spec("torchvision")
    assert str(info.value) == ("No module named 'torchvision' (pyengine.run maps torchvision to "
                               "pyengine.no_such_vision, and pyengine has no 'no_such_vision')")
    assert info.value.name == "torchvision"


def test_missing_dependency_inside_pyengine_is_not_renamed(tmp_path, monkeypatch):
    # A module pyengine has, failing because *it* imports something absent, keeps its own error.
    pkg = tmp_path / "fakepkg"
    _write(tmp_path, "fakepkg/__init__.py", "")
    _write(tmp_path, "fakepkg/sub.py", "import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert pkg.is_dir()
    with _import_hook.aliased({"fk": "fakepkg"}), pytest.raises(ModuleNotFoundError) as info:
        import fk.sub  # noqa: F401
    assert info.value.name == "no_such_dependency_xyz"
    for name in ("fakepkg", "fakepkg.sub"):
        sys.modules.pop(name, None)


def test_other_imports_untouched(tmp_path):
    _write(tmp_path, "s.py", """
        import json, numpy, sys
        import torchaudio_not_a_real_module_either
    """)
    proc = _runner(["s.py"], tmp_path)
    assert proc.returncode == 1
    assert "ModuleNotFoundError: No module named 'torchaudio_not_a_real_module_either'" in proc.stderr
    assert "pyengine.run maps" not in proc.stderr


# ---------------------------------------------------------------------------------------------------------
# isolation (in-process): nothing leaks, a real torch is not shadowed outside the block
# ---------------------------------------------------------------------------------------------------------
def test_no_leak_after_block():
    had_torch = "torch" in sys.modules
    before_meta = list(sys.meta_path)
    before = {k for k in sys.modules if k == "torch" or k.startswith(("torch.", "torchvision"))}
    with _import_hook.aliased():
        import torch
        import torch.nn.functional  # noqa: F401
        assert sys.modules["torch"] is pyengine
        assert sys.modules["torch.nn.functional"] is pyengine.nn.functional
    assert sys.meta_path == before_meta
    after = {k for k in sys.modules if k == "torch" or k.startswith(("torch.", "torchvision"))}
    assert after == before
    assert ("torch" in sys.modules) == had_torch
    if not had_torch:
        assert "torch" not in sys.modules
    # the targets keep their own specs after the alias spec was applied during the import
    assert pyengine.nn.functional.__spec__.name == "pyengine.nn.functional"
    assert pyengine.__spec__.name == "pyengine"


def test_real_torch_not_shadowed():
    real = pytest.importorskip("torch")
    assert real is not pyengine
    real_nn = sys.modules["torch.nn"]
    with _import_hook.aliased():
        import torch as inside
        import torch.nn as inside_nn
        assert inside is pyengine and inside_nn is pyengine.nn
    import torch as outside
    import torch.nn as outside_nn
    assert outside is real and outside_nn is real_nn
    assert sys.modules["torch"] is real


def test_cleanup_on_exception():
    before_meta = list(sys.meta_path)
    with pytest.raises(RuntimeError, match="inside"), _import_hook.aliased():
        import torch  # noqa: F401
        raise RuntimeError("inside")
    assert sys.meta_path == before_meta
    assert sys.modules.get("torch") is not pyengine


def test_run_in_process_restores_argv_and_path(tmp_path):
    script = _write(tmp_path, "inproc.py", """
        import sys, torch
        import pyengine
        assert torch is pyengine and __name__ == "__main__"
        RESULT.append((list(sys.argv), sys.path[0], __file__))
    """)
    import builtins
    builtins.RESULT = []
    argv, path = list(sys.argv), list(sys.path)
    try:
        pe_run.run(str(script), ["a", "--b"])
        assert builtins.RESULT == [([str(script), "a", "--b"], str(tmp_path), str(script))]
    finally:
        del builtins.RESULT
    assert sys.argv == argv and sys.path == path
    assert sys.modules.get("torch") is not pyengine
    with pytest.raises(SystemExit) as info:
        pe_run.run(str(_write(tmp_path, "exit.py", "raise SystemExit(4)\n")))
    assert info.value.code == 4 and sys.argv == argv


# ---------------------------------------------------------------------------------------------------------
# `python -m pyengine.run script.py` behaves like `python script.py`
# ---------------------------------------------------------------------------------------------------------
PROBE = """
    import os, sys
    print(repr(sys.argv))
    print(__name__)
    print(__file__)
    print(sys.path[0])
    print(__package__, __spec__)
    print(os.getcwd())
    import helper_mod
    print(helper_mod.VALUE)
"""


def test_argv_name_file_path_match_python(tmp_path):
    _write(tmp_path, "sub/probe.py", PROBE)
    _write(tmp_path, "sub/helper_mod.py", "VALUE = 'helper from the script dir'\n")
    args = ["sub/probe.py", "x", "--flag", "-m", "--", "y z"]
    ours = _runner(args, tmp_path)
    ref = _python(args, tmp_path)
    assert ref.returncode == 0, ref.stderr
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == ref.stdout
    assert ours.stdout.splitlines()[0] == repr(args)


@pytest.mark.parametrize("code,status", [
    ("import sys\nsys.exit(3)\n", 3),
    ("raise SystemExit(0)\n", 0),
    ("raise SystemExit('bye')\n", 1),
    ("import sys\nsys.exit()\n", 0),
    ("import os\nos._exit(7)\n", 7),
    ("print('fine')\n", 0),
])
def test_exit_status_matches_python(tmp_path, code, status):
    _write(tmp_path, "e.py", code)
    ours, ref = _runner(["e.py"], tmp_path), _python(["e.py"], tmp_path)
    assert ref.returncode == status
    assert ours.returncode == status
    assert ours.stdout == ref.stdout and ours.stderr == ref.stderr


def test_uncaught_exception_traceback_matches_python(tmp_path):
    _write(tmp_path, "boom.py", """
        def inner():
            raise ValueError("boom")

        def outer():
            inner()

        print("before")
        outer()
    """)
    ours, ref = _runner(["boom.py"], tmp_path), _python(["boom.py"], tmp_path)
    assert ref.returncode == 1 and ours.returncode == 1
    assert ours.stdout == ref.stdout == "before\n"
    assert ours.stderr == ref.stderr
    assert ours.stderr.startswith("Traceback (most recent call last):\n")


def test_chained_exception_and_syntax_error_match_python(tmp_path):
    _write(tmp_path, "chain.py", """
        try:
            {}["k"]
        except KeyError as e:
            raise RuntimeError("wrapped") from e
    """)
    _write(tmp_path, "syntax.py", "x = (\n")
    for name in ("chain.py", "syntax.py"):
        ours, ref = _runner([name], tmp_path), _python([name], tmp_path)
        assert ours.returncode == ref.returncode == 1
        assert ours.stderr == ref.stderr


def test_exception_from_pyengine_keeps_pyengine_frames(tmp_path):
    _write(tmp_path, "bad.py", """
        import torch
        torch.ones(2, 3) @ torch.ones(2, 3)
    """)
    proc = _runner(["bad.py"], tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith("Traceback (most recent call last):\n")
    assert f'File "{tmp_path / "bad.py"}", line 3, in <module>' in proc.stderr
    assert proc.stderr.rstrip().splitlines()[-1].startswith("RuntimeError")


def test_missing_script_and_usage(tmp_path):
    ours, ref = _runner(["nope.py"], tmp_path), _python(["nope.py"], tmp_path)
    assert ours.returncode == ref.returncode == 2
    assert ours.stderr == ref.stderr
    usage = _runner([], tmp_path)
    assert usage.returncode == 2 and "usage: python -m pyengine.run script.py" in usage.stderr
    helped = _runner(["--help"], tmp_path)
    assert helped.returncode == 0 and "usage:" in helped.stdout


def test_run_module_mode(tmp_path):
    _write(tmp_path, "mypkg/__init__.py", "")
    _write(tmp_path, "mypkg/tool.py", """
        import sys, torch, pyengine
        assert torch is pyengine and __name__ == "__main__"
        print(sys.argv[1:], __spec__.name)
    """)
    proc = _runner(["-m", "mypkg.tool", "a", "b"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['a', 'b'] mypkg.tool"


def test_classes_defined_in_script_pickle_as_main(tmp_path):
    _write(tmp_path, "p.py", """
        import pickle, sys
        import torch
        class Point:
            def __init__(self, v):
                self.v = v
        assert sys.modules["__main__"].Point is Point
        back = pickle.loads(pickle.dumps(Point([1.0, 2.0])))
        print(type(back).__module__, back.v)
    """)
    proc = _runner(["p.py"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "__main__ [1.0, 2.0]"


# ---------------------------------------------------------------------------------------------------------
# multiprocessing "spawn" children of an aliased run
# ---------------------------------------------------------------------------------------------------------
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def test_spawn_children_see_the_aliases():
    """mp.Process children under set_start_method("spawn") re-import the script in a fresh interpreter: they
    must get pyengine for `import torch` and train the parent's shared-memory model (Hogwild)."""
    proc = _runner([os.path.join(FIXTURES, "spawn_workers.py")], cwd=FIXTURES, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "children: [(0, 'pyengine', 'pyengine.nn.parameter'), (1, 'pyengine', 'pyengine.nn.parameter')]" \
        in proc.stdout, proc.stdout
    assert "moved: True" in proc.stdout, proc.stdout


def test_spawn_command_line_is_restored():
    import multiprocessing.spawn as mp_spawn
    before = mp_spawn.get_command_line
    with _import_hook.aliased():
        cmd = mp_spawn.get_command_line(tracker_fd=3, pipe_handle=4)
        assert cmd[cmd.index("-c") + 1].startswith("from pyengine._import_hook import install")
        with _import_hook.aliased():  # nested blocks add the prefix once
            cmd = mp_spawn.get_command_line(tracker_fd=3, pipe_handle=4)
            assert cmd[cmd.index("-c") + 1].count("install(") == 1
    assert mp_spawn.get_command_line is before
