"""Small programs written as the public PyTorch examples and tutorials write them (fixtures/programs/: an MNIST
CNN with torch.accelerator device selection and Adadelta, a VAE, an LBFGS fit, the profiler recipe, a
TensorBoard log read back, torch.func per-sample gradients with compile/checkpoint/jacobian, a torchvision
transfer-learning script) run unmodified through ``python -m pyengine.run``; the ones that need no torchvision
are also run with the real PyTorch, which shows they are faithful PyTorch programs."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

PROGRAMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "programs")

# program -> (lines its output must contain, needs torchvision, needs tensorboard)
EXPECTED = {
    "mnist_cnn": (["final accuracy above 0.8: True"], False, False),
    "vae": (["sample shape: (64, 1, 28, 28)", "loss decreased: True"], False, False),
    "lbfgs_fit": (["fit converged: True"], False, False),
    "profiler_table": (["trace has model_inference: True", "trace has aten::linear: True",
                        "legacy profiler saw aten::conv2d: True"], False, False),
    "tensorboard_log": (["scalar steps: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]", "histograms: 10", "images: 1",
                         "loss went down: True"], False, True),
    "per_sample_grads": (["per-sample grads match the loop: True", "compiled output identical: True",
                          "checkpoint gradient shape: (6, 5)", "jacobian shape: (3, 5)"], False, False),
    "resnet_transfer": (["pretrained weights: True", "decoded: (3, 5, 5)", "nms keeps: [0, 2]", "iou: 0.3913",
                         "torchvision models: True"], True, False),
}


def _run(args, cwd):
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=600, env=env)


def _check(proc, lines):
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = [ln.rstrip() for ln in proc.stdout.splitlines()]
    for line in lines:
        assert line in out, (line, proc.stdout[-3000:])


def waiting_for_cuda_part2() -> set:
    from test_seed_examples import waiting_for_cuda_part2 as names
    return names()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_program_runs_on_pyengine(name, tmp_path):
    lines, _, needs_tb = EXPECTED[name]
    if needs_tb and importlib.util.find_spec("tensorboard") is None:
        pytest.skip("optional dependency tensorboard not installed")
    if "programs/" + name + ".py" in waiting_for_cuda_part2():
        import pyengine
        if pyengine.cuda.is_available():
            pytest.skip("waits for CUDA part 2: its cuda branch needs GEMM/conv kernels on the GPU "
                        "(tests/cuda_part2_waiting.txt)")
    proc = _run(["-m", "pyengine.run", os.path.join(PROGRAMS, name + ".py")], tmp_path)
    _check(proc, lines)
    if name == "profiler_table":  # PyTorch's table layout, with real op names
        assert "Name    Self CPU %      Self CPU   CPU total %     CPU total  CPU time avg    # of Calls" \
            in proc.stdout
        assert "aten::conv2d" in proc.stdout and "Self CPU time total:" in proc.stdout


@pytest.mark.parametrize("name", sorted(n for n, (_, tv, _) in EXPECTED.items() if not tv))
def test_program_is_real_pytorch(name, tmp_path):
    pytest.importorskip("torch")
    lines, _, needs_tb = EXPECTED[name]
    if needs_tb and importlib.util.find_spec("tensorboard") is None:
        pytest.skip("optional dependency tensorboard not installed")
    _check(_run([os.path.join(PROGRAMS, name + ".py")], tmp_path), lines)
