"""The tutorials' own code, verbatim, through ``python -m pyengine.run`` (issue 7's acceptance of the runner).

Each fixture in fixtures/tutorials/ (generated from ../shared/seeds by fixtures/make_tutorial_fixtures.py; the
blocks that cannot run anywhere are listed with reasons in fixtures/tutorials/README.md) runs as a subprocess
in a temporary working directory and must exit 0 and print the lines the tutorial shows. Blocks that only
evaluate expressions (notebook style) are also run through fixtures/run_probe.py, which asserts the values
the tutorial shows in its ``# output`` comments on the fixture's final globals.
"""
from __future__ import annotations

import glob
import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from typing import NamedTuple

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(HERE, "fixtures")
TUTORIALS = os.path.join(FIXTURES, "tutorials")
sys.path.insert(0, FIXTURES)

import make_tutorial_fixtures
from fake_cifar10 import make_fake_cifar10


class Case(NamedTuple):
    lines: Sequence[str] = ()      # stdout must contain each as a whole line (after rstrip)
    contains: Sequence[str] = ()   # ... or as a substring of some line (values that vary run to run)
    checks: str | None = None      # asserts run on the fixture's globals by run_probe.py
    cifar: bool = False            # generate the fake CIFAR-10 under ./data and ./.data first
    timeout: float = 120.0


CASES: dict[str, Case] = {
    "t000_tensors_operations_numpy": Case(
        lines=["tensor([1., 1., 1., 1., 1.])", "[1. 1. 1. 1. 1.]", "tensor([2., 2., 2., 2., 2.])",
               "[2. 2. 2. 2. 2.]", "tensor([2., 2., 2., 2., 2.], dtype=torch.float64)"],
        checks="""
            assert tuple(size) == (5, 3) and type(size).__name__ == "Size"
            assert b.tolist() == [2.0] * 5 and b.dtype == torch.float64
        """),
    "t000_autograd_variable": Case(
        lines=["tensor([[1., 1.],", "        [1., 1.]], requires_grad=True)",
               "tensor([[3., 3.],", "        [3., 3.]], grad_fn=<AddBackward0>)",
               "tensor([[27., 27.],", "        [27., 27.]], grad_fn=<MulBackward0>) tensor(27., grad_fn=<MeanBackward0>)",
               "tensor([[4.5000, 4.5000],", "        [4.5000, 4.5000]])"],
        contains=["<AddBackward0 object at 0x", "grad_fn=<MulBackward0>)"],
        checks="""
            import math
            r = (x.grad / gradients).tolist()
            assert all(abs(v - r[1]) <= 1e-3 * r[1] for v in r), r
            assert math.log2(r[1]) == int(math.log2(r[1])) and y.data.norm().item() >= 1000
        """),
    "t001_view_squeeze_resize": Case(checks="""
            assert a.tolist() == [0, 100, 2, 3, 4, 5]
            assert tuple(b.shape) == (3, 3) and b[:2].tolist() == [[0, 100, 2], [3, 4, 5]]
            assert tuple(c.shape) == (1, 1, 2, 3) and tuple(c.squeeze().shape) == (2, 3)
            assert tuple(b.unsqueeze(1).shape) == (3, 1, 3) and tuple(b[:, None].shape) == (3, 1, 3)
            assert tuple(b.unsqueeze(-2).shape) == (3, 1, 3)
        """),
    "t001_elementwise": Case(checks="""
            expect = [[1.0, 0.5403022766, -0.4161468446], [-0.9899924994, -0.6536436081, 0.2836622000]]
            assert all(abs(u - v) < 1e-6 for ru, rv in zip(t.cos(a).tolist(), expect) for u, v in zip(ru, rv))
            assert (a % 3).tolist() == [[0, 1, 2], [0, 1, 2]] and t.fmod(a, 3).tolist() == [[0, 1, 2], [0, 1, 2]]
            assert t.clamp(a, min=3).tolist() == [[3, 3, 3], [3, 4, 5]]
        """),
    "t001_reduction": Case(checks="""
            assert b.sum(dim=0, keepdim=True).tolist() == [[2.0, 2.0, 2.0]]
            assert b.sum(dim=0, keepdim=False).tolist() == [2.0, 2.0, 2.0]
        """),
    "t001_comparison": Case(checks="""
            assert a.tolist() == [[0.0, 3.0, 6.0], [9.0, 12.0, 15.0]]
            assert b.tolist() == [[15.0, 12.0, 9.0], [6.0, 3.0, 0.0]]
            assert a[a > b].tolist() == [9.0, 12.0, 15.0]
            values, indices = t.max(b, dim=1)
            assert values.tolist() == [15.0, 6.0] and indices.tolist() == [0, 0]
        """),
    "t001_broadcasting": Case(checks="""
            ones = [[[1.0, 1.0]] * 3] * 2
            assert (a + b).tolist() == ones
            assert (a[None].expand(2, 3, 2) + b.expand(2, 3, 2)).tolist() == ones
            assert tuple(e.shape) == (10000000000000, 3, 2) and e.stride() == (0, 2, 1)
        """),
    "t001_autograd_x2_exp": Case(checks="""
            assert tuple(x.grad.shape) == (3, 4)
            assert (x.grad - gradf(x)).abs().max().item() < 1e-4
        """),
    "t001_autograd_grad_accumulation": Case(checks="""
            assert y.item() == 4.0 and type(y.grad_fn).__name__ == "SumBackward0"
            assert x.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]
        """),
    "t001_computational_graph": Case(checks="""
            assert t.is_grad_enabled()
            assert (x.requires_grad, w.requires_grad, y.requires_grad) == (False, True, False)
            assert type(z.grad_fn).__name__ == "AddBackward0"
            names = [None if f is None else type(f).__name__ for f, _ in z.grad_fn.next_functions]
            assert names == ["MulBackward0", "AccumulateGrad"], names
            mul = z.grad_fn.next_functions[0][0]
            names = [None if f is None else type(f).__name__ for f, _ in mul.next_functions]
            assert names == ["AccumulateGrad", None], names
            assert b.is_leaf and b.grad_fn is None and not z.is_leaf
        """),
    "t001_autograd_grad_and_hook": Case(lines=["y的梯度： tensor([1., 1., 1.])"]),
    "t003_hynet_loss_backprop_sgd": Case(
        lines=["HyNet(", "  (conv1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))",
               "  (conv2): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))",
               "  (fc1): Linear(in_features=400, out_features=120, bias=True)",
               "  (fc2): Linear(in_features=120, out_features=84, bias=True)",
               "  (fc3): Linear(in_features=84, out_features=10, bias=True)", ")", "10",
               "torch.Size([6, 1, 5, 5])"],
        contains=["grad_fn=<AddmmBackward0>)", "grad_fn=<MseLossBackward0>)"]),
    "t003_cifar10_loading": Case(cifar=True, checks="""
            assert len(trainset) == 40 and len(testset) == 20 and len(trainloader) == 10 and len(testloader) == 5
            assert classes[0] == "plane" and len(classes) == 10
            images, labels = next(iter(trainloader))  # two worker processes, as the tutorial asks
            assert tuple(images.shape) == (4, 3, 32, 32) and tuple(labels.shape) == (4,)
            assert -1.0 <= images.min().item() and images.max().item() <= 1.0
            img, label = testset[3]
            assert tuple(img.shape) == (3, 32, 32) and label == 3
        """),
    "t004_custom_nn_module": Case(timeout=300.0),
}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("MPLBACKEND", "Agg")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _run(args: list[str], cwd: str, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pyengine.run", *args], cwd=cwd, env=_env(),
                          capture_output=True, text=True, timeout=timeout, check=False)


def _prepare(name: str, tmp: str) -> Case:
    case = CASES[name]
    if case.cifar:
        for root in ("data", ".data"):  # 003's block reads the train set from '.data' and the test set from 'data'
            make_fake_cifar10(os.path.join(tmp, root))
    return case


FIXTURE_NAMES = sorted(os.path.splitext(os.path.basename(p))[0]
                       for p in glob.glob(os.path.join(TUTORIALS, "t*.py")))


def test_every_fixture_has_expectations():
    assert FIXTURE_NAMES, "no fixtures found"
    assert sorted(CASES) == FIXTURE_NAMES
    assert sorted(s.name for s in make_tutorial_fixtures.SPECS) == FIXTURE_NAMES


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_tutorial_runs(name, tmp_path):
    case = _prepare(name, str(tmp_path))
    proc = _run([os.path.join(TUTORIALS, name + ".py")], str(tmp_path), case.timeout)
    assert proc.returncode == 0, f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-6000:]}"
    out = [line.rstrip() for line in proc.stdout.splitlines()]
    for line in case.lines:
        assert line in out, f"missing line {line!r} in:\n{proc.stdout[-3000:]}"
    for part in case.contains:
        assert any(part in line for line in out), f"no line contains {part!r} in:\n{proc.stdout[-3000:]}"
    if name == "t004_custom_nn_module":  # prints "n loss" 500 times; SGD must drive the loss down
        losses = [float(line.split()[1]) for line in out if line.split() and line.split()[0].isdigit()]
        assert len(losses) == 500 and losses[-1] < 0.01 * losses[0], (losses[:3], losses[-3:])


@pytest.mark.parametrize("name", [n for n in FIXTURE_NAMES if CASES.get(n, Case()).checks])
def test_tutorial_shown_values(name, tmp_path):
    case = _prepare(name, str(tmp_path))
    checks = tmp_path / "checks.py"
    checks.write_text(textwrap.dedent(case.checks), encoding="utf-8")
    proc = _run([os.path.join(FIXTURES, "run_probe.py"), os.path.join(TUTORIALS, name + ".py"), str(checks)],
                str(tmp_path), case.timeout)
    assert proc.returncode == 0 and proc.stdout.rstrip().endswith("PROBE OK"), \
        f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-2000:]}\n--- stderr\n{proc.stderr[-6000:]}"


SEEDS = make_tutorial_fixtures.DEFAULT_SEEDS


@pytest.mark.skipif(not os.path.isdir(SEEDS), reason=f"tutorial sources absent ({SEEDS}; a user's clone "
                    "has no ../shared): the fixtures cannot be compared with them")
@pytest.mark.parametrize("spec", make_tutorial_fixtures.SPECS, ids=lambda s: s.name)
def test_fixture_is_verbatim(spec):
    with open(os.path.join(TUTORIALS, spec.name + ".py"), encoding="utf-8") as f:
        assert f.read() == make_tutorial_fixtures.render(spec, SEEDS)
