"""vision.datasets on small files written here in the real formats; downloads from file:// URLs only."""
import gzip
import os
import pickle
import struct
import tarfile
import urllib.error

import numpy as np
import pytest
from PIL import Image

import pyengine
import pyengine.utils.data as D
from pyengine.vision import datasets, transforms
from pyengine.vision.datasets import utils as dutils


def _write_cifar(root, n_train=10, n_test=5, cifar100=False):
    rng = np.random.RandomState(0)
    folder = os.path.join(root, "cifar-100-python" if cifar100 else "cifar-10-batches-py")
    os.makedirs(folder, exist_ok=True)
    key = "fine_labels" if cifar100 else "labels"
    out = {}
    names = ["train"] if cifar100 else [f"data_batch_{i}" for i in range(1, 6)]
    train = rng.randint(0, 256, (n_train, 3072)).astype(np.uint8)
    labels = [int(v) for v in rng.randint(0, 10, n_train)]
    for name, idx in zip(names, np.array_split(np.arange(n_train), len(names))):
        with open(os.path.join(folder, name), "wb") as f:
            pickle.dump({"batch_label": name, key: [labels[j] for j in idx], "data": train[idx]}, f, protocol=2)
    test = rng.randint(0, 256, (n_test, 3072)).astype(np.uint8)
    tlabels = [int(v) for v in rng.randint(0, 10, n_test)]
    with open(os.path.join(folder, "test" if cifar100 else "test_batch"), "wb") as f:
        pickle.dump({key: tlabels, "data": test}, f, protocol=2)
    meta_name, meta_key = ("meta", "fine_label_names") if cifar100 else ("batches.meta", "label_names")
    with open(os.path.join(folder, meta_name), "wb") as f:
        pickle.dump({meta_key: [f"class{k}" for k in range(10)]}, f, protocol=2)
    out.update(train=train, labels=labels, test=test, tlabels=tlabels)
    return out


def test_cifar10_reads_python_pickles(tmp_path):
    ref = _write_cifar(str(tmp_path))
    ds = datasets.CIFAR10(str(tmp_path), train=True)
    assert len(ds) == 10 and ds.classes[3] == "class3" and ds.class_to_idx["class9"] == 9
    img, target = ds[7]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (32, 32)
    assert target == ref["labels"][7] and isinstance(target, int)
    np.testing.assert_array_equal(np.asarray(img), ref["train"][7].reshape(3, 32, 32).transpose(1, 2, 0))
    test = datasets.CIFAR10(str(tmp_path), train=False, transform=transforms.ToTensor(),
                            target_transform=lambda y: y + 100)
    x, y = test[2]
    np.testing.assert_allclose(x.numpy(), ref["test"][2].reshape(3, 32, 32) / 255.0, atol=1e-6)
    assert y == ref["tlabels"][2] + 100
    assert "Split: Test" in repr(test)
    batches = list(D.DataLoader(test, batch_size=2, num_workers=2))
    assert tuple(batches[0][0].shape) == (2, 3, 32, 32) and batches[-1][1].tolist() == [ref["tlabels"][4] + 100]


def test_cifar100_and_missing(tmp_path):
    ref = _write_cifar(str(tmp_path), cifar100=True)
    ds = datasets.CIFAR100(str(tmp_path))
    assert len(ds) == 10 and ds[0][1] == ref["labels"][0] and ds.classes[0] == "class0"
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted.*download=True"):
        datasets.CIFAR10(str(tmp_path / "nothing"))


def _cifar_archive(tmp_path):
    src = tmp_path / "src"
    _write_cifar(str(src))
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(src / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    return archive


def test_cifar10_download_checks_md5_and_extracts(tmp_path, monkeypatch):
    archive = _cifar_archive(tmp_path)
    md5 = dutils.calculate_md5(str(archive))
    monkeypatch.setattr(datasets.CIFAR10, "url", archive.as_uri())
    monkeypatch.setattr(datasets.CIFAR10, "tgz_md5", md5)
    root = tmp_path / "root"
    ds = datasets.CIFAR10(str(root), download=True)
    assert len(ds) == 10 and (root / "cifar-10-python.tar.gz").is_file()
    datasets.CIFAR10(str(root), download=True)  # present: no second download


def test_cifar10_download_bad_md5(tmp_path, monkeypatch):
    archive = _cifar_archive(tmp_path)
    monkeypatch.setattr(datasets.CIFAR10, "url", archive.as_uri())
    root = tmp_path / "root"
    with pytest.raises(RuntimeError, match="MD5 checksum"):
        datasets.CIFAR10(str(root), download=True)  # the real MD5 cannot match our archive
    assert not any(root.iterdir())  # nothing half-written is kept


def test_download_network_error(tmp_path, monkeypatch):
    def offline(url, timeout=60.0):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(dutils, "_urlopen", offline)
    with pytest.raises(RuntimeError, match="Failed to download .*Temporary failure.*network"):
        datasets.CIFAR10(str(tmp_path), download=True)
    with pytest.raises(RuntimeError, match="Error downloading train-images-idx3-ubyte.gz from every mirror"):
        datasets.MNIST(str(tmp_path), download=True)
    with pytest.raises(RuntimeError, match="Failed to download"):
        dutils.download_url((tmp_path / "missing.bin").as_uri(), str(tmp_path))


def _idx_bytes(arr, code):
    header = struct.pack(">BBBB", 0, 0, code, arr.ndim) + b"".join(struct.pack(">I", d) for d in arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def _write_mnist(raw, n, prefix, gz):
    rng = np.random.RandomState(1)
    images = rng.randint(0, 256, (n, 28, 28)).astype(np.uint8)
    labels = rng.randint(0, 10, n).astype(np.uint8)
    for name, data in ((f"{prefix}-images-idx3-ubyte", _idx_bytes(images, 0x08)),
                       (f"{prefix}-labels-idx1-ubyte", _idx_bytes(labels, 0x08))):
        if gz:
            with gzip.open(os.path.join(raw, name + ".gz"), "wb") as f:
                f.write(data)
        else:
            with open(os.path.join(raw, name), "wb") as f:
                f.write(data)
    return images, labels


@pytest.mark.parametrize("cls,gz", [(datasets.MNIST, True), (datasets.FashionMNIST, False)])
def test_mnist_idx(tmp_path, cls, gz):
    raw = tmp_path / cls.__name__ / "raw"
    raw.mkdir(parents=True)
    images, labels = _write_mnist(str(raw), 12, "train", gz)
    _write_mnist(str(raw), 4, "t10k", gz)
    ds = cls(str(tmp_path), train=True)
    assert len(ds) == 12 and ds.data.dtype == pyengine.uint8 and ds.targets.dtype == pyengine.int64
    img, y = ds[5]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
    np.testing.assert_array_equal(np.asarray(img), images[5])
    assert y == int(labels[5])
    assert len(cls(str(tmp_path), train=False)) == 4
    assert len(ds.classes) == 10


def test_mnist_download_from_file_mirror_and_bad_files(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    _write_mnist(str(mirror), 6, "train", True)
    _write_mnist(str(mirror), 3, "t10k", True)
    resources = [(n, dutils.calculate_md5(str(mirror / n))) for n, _ in datasets.MNIST.resources]
    monkeypatch.setattr(datasets.MNIST, "mirrors", ["file:///nonexistent/", mirror.as_uri() + "/"])
    monkeypatch.setattr(datasets.MNIST, "resources", resources)
    ds = datasets.MNIST(str(tmp_path / "root"), train=False, download=True)
    assert len(ds) == 3
    with pytest.raises(RuntimeError, match="Dataset not found"):
        datasets.MNIST(str(tmp_path / "elsewhere"))
    bad = tmp_path / "bad.idx"
    bad.write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(RuntimeError, match="not an IDX file"):
        datasets.mnist.read_idx(str(bad))


def test_image_folder(tmp_path):
    for cls, color in (("cat", (255, 0, 0)), ("dog", (0, 0, 255))):
        (tmp_path / cls).mkdir()
        for i in range(2):
            Image.new("RGB", (5, 4), color).save(tmp_path / cls / f"{i}.png")
    (tmp_path / "dog" / "notes.txt").write_text("not an image")
    ds = datasets.ImageFolder(str(tmp_path), transform=transforms.ToTensor())
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    assert len(ds) == 4 and ds.targets == [0, 0, 1, 1] and ds.imgs == ds.samples
    x, y = ds[3]
    assert y == 1 and tuple(x.shape) == (3, 4, 5) and x[2].tolist()[0][0] == 1.0
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes empty"):
        datasets.ImageFolder(str(tmp_path))
    assert len(datasets.ImageFolder(str(tmp_path), allow_empty=True).classes) == 3


def test_fake_data():
    ds = datasets.FakeData(size=5, image_size=(3, 8, 6), num_classes=3)
    img, y = ds[2]
    assert isinstance(img, Image.Image) and img.size == (6, 8) and 0 <= y < 3
    img2, y2 = ds[2]
    assert np.array_equal(np.asarray(img), np.asarray(img2)) and y == y2
    with pytest.raises(IndexError):
        ds[5]
    gray = datasets.FakeData(size=2, image_size=(1, 4, 4), transform=transforms.ToTensor())
    assert tuple(gray[0][0].shape) == (1, 4, 4)
