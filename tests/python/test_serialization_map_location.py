"""map_location as PyTorch: None, a string, a device, a dict of location tags, a callable; CUDA
checkpoints on a machine without CUDA (saved here with a simulated cuda:1 location tag)."""
import io

import pytest

import pyengine as pe
import pyengine._serialization_pickler as pp
from pyengine._serialization_unpickler import UntypedStorage

NO_CUDA = not pe.cuda.is_available()


def checkpoint(obj, monkeypatch=None, location=None) -> io.BytesIO:
    if location is not None:
        monkeypatch.setattr(pp, "location_tag", lambda device: location)
    buf = io.BytesIO()
    pe.save(obj, buf)
    if location is not None:
        monkeypatch.undo()
    buf.seek(0)
    return buf


def load(buf, **kw):
    buf.seek(0)
    return pe.load(buf, **kw)


@pytest.mark.parametrize("ml", [None, "cpu", b"cpu", pe.device("cpu"), {"cpu": "cpu"}, {"cuda:0": "cuda:1"},
                                {"cpu": pe.device("cpu")}, lambda s, loc: s, lambda s, loc: None,
                                lambda s, loc: s.cpu(), lambda s, loc: s.to("cpu")])
def test_cpu_checkpoint_every_form(ml):
    base = pe.arange(6.0).reshape(2, 3)
    out = load(checkpoint({"a": base, "row": base[1]}), map_location=ml)
    assert out["a"].device.type == "cpu" and out["a"].tolist() == base.tolist()
    assert pe._C._same_storage(out["a"], out["row"]) and out["row"].storage_offset() == 3


def test_callable_sees_each_storage_once_with_its_location(monkeypatch):
    seen = []

    def ml(storage, location):
        seen.append((type(storage), storage.nbytes(), storage.device.type, location))
        return storage
    base = pe.ones(4, dtype=pe.float64)
    load(checkpoint([base, base[1:], pe.ones(3, dtype=pe.int8)]), map_location=ml)
    assert seen == [(UntypedStorage, 32, "cpu", "cpu"), (UntypedStorage, 3, "cpu", "cpu")]


def test_callable_returning_a_non_storage():
    with pytest.raises(TypeError, match="map_location callable must return a storage or None"):
        load(checkpoint(pe.ones(1)), map_location=lambda s, loc: "cpu")


def test_unknown_location():
    with pytest.raises(RuntimeError, match=r"don't know how to restore data location .*tagged with foo"):
        load(checkpoint(pe.ones(1)), map_location="foo")


@pytest.mark.skipif(not NO_CUDA, reason="checks the no-CUDA errors")
def test_cuda_checkpoint_without_cuda(monkeypatch):
    base = pe.arange(4.0)
    buf = checkpoint({"w": base, "v": base[2:]}, monkeypatch, location="cuda:1")
    for ml in (None, "cuda", "cuda:0", pe.device("cuda", 1), {"cuda:1": "cuda:0"}, {"cpu": "cpu"},
               lambda s, loc: None):
        with pytest.raises(RuntimeError, match=r"Attempting to deserialize object on a CUDA device but "
                                               r"torch.cuda.is_available\(\) is False.*map_location=torch.device"):
            load(buf, map_location=ml)
    locations = []
    for ml in ("cpu", pe.device("cpu"), {"cuda:1": "cpu"}, {"cuda:1": pe.device("cpu")},
               lambda s, loc: (locations.append(loc), s)[1]):
        out = load(buf, map_location=ml)
        assert out["w"].device.type == "cpu" and out["w"].tolist() == [0.0, 1.0, 2.0, 3.0]
        assert pe._C._same_storage(out["w"], out["v"]) and out["v"].storage_offset() == 2
    assert locations == ["cuda:1"]
    with pytest.raises(RuntimeError, match="Torch not compiled with CUDA|no NVIDIA driver|CUDA"):
        load(buf, map_location=lambda s, loc: s.cuda(1))


@pytest.mark.skipif(NO_CUDA, reason="needs a CUDA device")
def test_cuda_round_trip():
    w = pe.arange(6.0).reshape(2, 3).cuda()
    buf = checkpoint({"w": w, "row": w[1], "cpu": pe.ones(2)})
    out = load(buf)
    assert out["w"].device == w.device and out["cpu"].device.type == "cpu"
    assert pe._C._same_storage(out["w"], out["row"]) and out["row"].cpu().tolist() == [3.0, 4.0, 5.0]
    on_cpu = load(buf, map_location="cpu")
    assert on_cpu["w"].device.type == "cpu" and on_cpu["w"].tolist() == w.cpu().tolist()
    moved = load(checkpoint(pe.ones(2)), map_location=lambda s, loc: s.cuda())
    assert moved.device.type == "cuda"
    n = pe.cuda.device_count()
    with pytest.raises(RuntimeError, match="Attempting to deserialize object on CUDA device %d" % n):
        load(buf, map_location="cuda:%d" % n)
