"""save/load round trips: every dtype, 0-d / empty / non-contiguous tensors, views that keep
sharing one storage, containers and primitives, paths and file objects, requires_grad, Parameters."""
import collections
import io
import pathlib

import numpy as np
import pytest
from pe_testing import DTYPE_NAMES, make, pe_dtype, to_np

import pyengine as pe


def roundtrip(obj, **load_kw):
    buf = io.BytesIO()
    pe.save(obj, buf)
    buf.seek(0)
    return pe.load(buf, **load_kw)


def same_tensor(a, b):
    assert isinstance(b, pe.Tensor)
    assert a.dtype is b.dtype and tuple(a.shape) == tuple(b.shape), (a.dtype, b.dtype, a.shape, b.shape)
    assert tuple(a.stride()) == tuple(b.stride()) and a.storage_offset() == b.storage_offset()
    np.testing.assert_array_equal(to_np(a), to_np(b))
    assert a.requires_grad == b.requires_grad


@pytest.mark.parametrize("name", DTYPE_NAMES)
@pytest.mark.parametrize("shape", [(), (0,), (5,), (2, 3, 4), (3, 0, 2)])
def test_save_load_every_dtype(name, shape):
    t, _ = make(shape, name)
    same_tensor(t, roundtrip(t))


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_save_load_special_values(name):
    if name in ("float16", "bfloat16", "float32", "float64"):
        t = pe.tensor([float("inf"), float("-inf"), -0.0, 1e-3, 65504.0]).to(pe_dtype(name))
        back = roundtrip(t)
        np.testing.assert_array_equal(to_np(back), to_np(t))
        assert np.isnan(to_np(roundtrip(pe.tensor([float("nan")]).to(pe_dtype(name))))).all()
    elif name != "bool":
        info = np.iinfo(name)
        t = pe.tensor([info.min, info.max, 0], dtype=pe_dtype(name))
        assert roundtrip(t).tolist() == [info.min, info.max, 0]


@pytest.mark.parametrize("name", ["float32", "int64", "bfloat16", "bool"])
def test_save_load_non_contiguous(name):
    base, _ = make((4, 6), name)
    for t in (base.t(), base[:, 1::2], base[1:3, 2:], base.unsqueeze(1).expand(4, 3, 6), base[::2, ::3]):
        back = roundtrip(t)
        same_tensor(t, back)  # same strides and offset: the whole storage is saved, as PyTorch does
        assert back._storage_nbytes() == base._storage_nbytes()


def test_views_keep_sharing_one_storage():
    base = pe.arange(24.0).reshape(4, 6)
    a, b, c = base[1], base[:, 2], base.t()
    out = roundtrip({"a": a, "b": b, "c": c, "base": base})
    assert all(pe._C._same_storage(out["base"], out[k]) for k in "abc")
    assert out["a"].storage_offset() == 6 and tuple(out["b"].stride()) == (6,) and out["b"].storage_offset() == 2
    out["base"][1, 2] = -1.0  # writes through every view, as in the saved objects
    assert out["a"][2].item() == -1.0 and out["b"][1].item() == -1.0 and out["c"][2, 1].item() == -1.0
    # a tensor saved twice loads as one object
    d = roundtrip([a, a])
    assert d[0] is d[1]


def test_distinct_storages_stay_distinct():
    x, y = pe.zeros(3), pe.zeros(3)
    out = roundtrip((x, y, pe.empty(0), pe.empty(0, dtype=pe.int64)))
    assert not pe._C._same_storage(out[0], out[1])
    out[0][0] = 5.0
    assert out[1][0].item() == 0.0
    assert out[3].dtype is pe.int64 and out[3].numel() == 0


def test_loaded_tensor_is_independent_of_the_saved_one():
    t = pe.arange(4.0)
    back = roundtrip(t)
    back[0] = 100.0
    assert t[0].item() == 0.0


def test_two_dtypes_over_one_storage_refused_as_pytorch():
    a = pe.ones(4)
    with pytest.raises(RuntimeError, match="view the same data as different types"):
        pe.save([a, a.view(pe.int32)], io.BytesIO())


def test_requires_grad_round_trips():
    w = pe.randn(3, 2).requires_grad_(True)
    out = roundtrip({"w": w, "v": w.detach()[0], "n": pe.ones(2)})
    assert out["w"].requires_grad and out["w"].is_leaf if hasattr(out["w"], "is_leaf") else out["w"].requires_grad
    assert not out["v"].requires_grad and not out["n"].requires_grad
    np.testing.assert_array_equal(out["w"].detach().numpy(), w.detach().numpy())


def test_python_attributes_of_a_tensor_survive():
    t = pe.ones(2)
    t.note = "kept"
    back = roundtrip(t)
    assert back.note == "kept"


def _parameter_class(monkeypatch):
    """pyengine.nn.Parameter when it exists; otherwise a stand-in with the same contract."""
    cls = getattr(pe.nn, "Parameter", None)
    if cls is None:
        class Parameter(pe.Tensor):
            _is_parameter_class = True

            def __init__(self, data=None, requires_grad=True):
                pe.Tensor.__init__(self, _alias_of=pe.empty(0) if data is None else data)
                self.requires_grad_(requires_grad)
        monkeypatch.setattr(pe.nn, "Parameter", Parameter, raising=False)
        cls = Parameter
    return cls


def test_parameter_round_trips_as_parameter(monkeypatch):
    Parameter = _parameter_class(monkeypatch)
    p = Parameter(pe.arange(6.0).reshape(2, 3))
    frozen = Parameter(pe.ones(2), requires_grad=False)
    out = roundtrip(collections.OrderedDict(weight=p, frozen=frozen, view=p.detach()[1]))
    assert type(out["weight"]) is Parameter and out["weight"].requires_grad
    assert type(out["frozen"]) is Parameter and not out["frozen"].requires_grad
    np.testing.assert_array_equal(out["weight"].detach().numpy(), np.arange(6.0).reshape(2, 3))
    assert pe._C._same_storage(out["weight"], out["view"])


def test_parameter_without_nn_parameter_loads_as_leaf(monkeypatch):
    Parameter = _parameter_class(monkeypatch)
    buf = io.BytesIO()
    pe.save(Parameter(pe.ones(2)), buf)
    monkeypatch.delattr(pe.nn, "Parameter")
    buf.seek(0)
    back = pe.load(buf)
    assert type(back) is pe.Tensor and back.requires_grad


def test_nested_containers_and_primitives():
    obj = {
        "ints": [0, -1, 2**70, True, False], "floats": (1.5, float("inf"), -0.0), "none": None,
        "str": "héllo", "bytes": b"\x00\xff", "bytearray": bytearray(b"ab"), "complex": 1 - 2j,
        "set": {1, 2}, "frozenset": frozenset({"a"}), "od": collections.OrderedDict([("b", 1), ("a", 2)]),
        "counter": collections.Counter("aab"), "nested": [{"t": pe.ones(2)}, ((pe.zeros(1),),)],
        "dtype": pe.bfloat16, "device": pe.device("cpu"), "size": pe.Size([2, 3]), "empty": ([], {}, ()),
    }
    out = roundtrip(obj)
    for k in ("ints", "floats", "none", "str", "bytes", "bytearray", "complex", "set", "frozenset", "empty"):
        assert out[k] == obj[k] and type(out[k]) is type(obj[k]), k
    assert type(out["od"]) is collections.OrderedDict and list(out["od"]) == ["b", "a"]
    assert out["counter"] == collections.Counter("aab")
    assert out["dtype"] is pe.bfloat16 and out["device"] == pe.device("cpu")
    assert isinstance(out["size"], pe.Size) and tuple(out["size"]) == (2, 3)
    same_tensor(obj["nested"][0]["t"], out["nested"][0]["t"])
    assert isinstance(out["nested"][1][0], tuple)
    # a namedtuple is a user class: weights_only refuses it (PyTorch too), the opt-in loads it
    buf = io.BytesIO()
    pe.save(Point(1, pe.ones(1)), buf)
    buf.seek(0)
    with pytest.raises(Exception, match="Weights only load failed"):
        pe.load(buf)
    buf.seek(0)
    p = pe.load(buf, weights_only=False)
    assert type(p) is Point and p.x == 1 and p.y.tolist() == [1.0]
    with pe.serialization.safe_globals([Point]):
        buf.seek(0)
        assert type(pe.load(buf)) is Point


Point = collections.namedtuple("Point", "x y")  # noqa: PYI024


def test_state_dict_and_optimizer_state_dict():
    sd = collections.OrderedDict([("fc1.weight", pe.randn(4, 3)), ("fc1.bias", pe.zeros(4)),
                                  ("bn.num_batches_tracked", pe.tensor(7))])
    opt = {"state": {0: {"step": pe.tensor(3.0), "exp_avg": pe.randn(4, 3), "exp_avg_sq": pe.rand(4, 3)},
                     1: {"momentum_buffer": None}},
           "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0, "amsgrad": False,
                             "maximize": False, "foreach": None, "params": [0, 1]}]}
    out = roundtrip({"model": sd, "optimizer": opt, "epoch": 5})
    assert type(out["model"]) is collections.OrderedDict and list(out["model"]) == list(sd)
    for k, v in sd.items():
        same_tensor(v, out["model"][k])
    assert out["optimizer"]["param_groups"] == opt["param_groups"]
    same_tensor(opt["state"][0]["exp_avg_sq"], out["optimizer"]["state"][0]["exp_avg_sq"])
    assert out["optimizer"]["state"][1] == {"momentum_buffer": None} and out["epoch"] == 5


def test_typed_storage_round_trips():
    t = pe.arange(5, dtype=pe.int32)
    s = roundtrip(t.storage())
    assert isinstance(s, pe.TypedStorage) and s.dtype is pe.int32 and s.tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("kind", ["str", "pathlib", "open_file", "bytesio", "unseekable_read"])
def test_paths_and_file_objects(tmp_path, kind):
    t = pe.arange(10, dtype=pe.int16)
    path = tmp_path / "ckpt.pt"
    if kind == "str":
        pe.save(t, str(path))
        back = pe.load(str(path))
    elif kind == "pathlib":
        pe.save(t, path)
        back = pe.load(pathlib.Path(path))
    elif kind == "open_file":
        with open(path, "wb") as f:
            pe.save(t, f)
        with open(path, "rb") as f:
            back = pe.load(f)
    elif kind == "bytesio":
        buf = io.BytesIO(b"prefix")  # writing at an offset: the archive starts mid-file
        buf.seek(0, io.SEEK_END)
        pe.save(t, buf)
        buf.seek(len(b"prefix"))
        back = pe.load(buf)
    else:
        buf = io.BytesIO()
        pe.save(t, buf)

        class Stream(io.RawIOBase):  # readable, not seekable (a pipe)
            def __init__(self, data):
                self.inner = io.BytesIO(data)

            def readable(self):
                return True

            def readinto(self, b):
                return self.inner.readinto(b)
        back = pe.load(io.BufferedReader(Stream(buf.getvalue())))
    same_tensor(t, back)


def test_unseekable_writer(tmp_path):
    class Sink(io.RawIOBase):
        def __init__(self):
            self.chunks = []

        def writable(self):
            return True

        def write(self, b):
            self.chunks.append(bytes(b))
            return len(b)
    sink = Sink()
    pe.save({"a": pe.arange(3.0)}, sink)
    back = pe.load(io.BytesIO(b"".join(sink.chunks)))
    assert back["a"].tolist() == [0.0, 1.0, 2.0]


def test_storage_records_are_64_byte_aligned_and_mmap_loads(tmp_path):
    import zipfile
    path = tmp_path / "m.pt"
    pe.save({"a": pe.arange(7, dtype=pe.int8), "b": pe.randn(33), "c": pe.ones(3, dtype=pe.float64)}, path)
    with open(path, "rb") as f:
        z = zipfile.ZipFile(f)
        for info in z.infolist():
            if "/data/" in info.filename:
                f.seek(info.header_offset + 26)
                n, m = np.frombuffer(f.read(4), dtype="<u2")
                assert (info.header_offset + 30 + n + m) % 64 == 0, info.filename
    eager, mapped = pe.load(path), pe.load(path, mmap=True)
    for k in "abc":
        same_tensor(eager[k], mapped[k])
    mapped["c"][0] = 9.0  # copy-on-write: the file is unchanged
    assert pe.load(path)["c"][0].item() == 1.0
    with pytest.raises(ValueError, match="f must be a file path"):
        pe.load(io.BytesIO(path.read_bytes()), mmap=True)


def test_same_object_gives_the_same_bytes():
    def dump():
        buf = io.BytesIO()
        pe.save({"w": pe.arange(6.0).reshape(2, 3), "n": 1}, buf)
        return buf.getvalue()
    assert dump() == dump()


def test_weights_only_false_loads_general_objects():
    out = roundtrip({"obj": _Config(3), "t": pe.ones(1)}, weights_only=False)
    assert isinstance(out["obj"], _Config) and out["obj"].depth == 3
    with pytest.raises(Exception, match="Weights only load failed"):
        roundtrip({"obj": _Config(3)})


def test_safe_globals_allow_a_class():
    buf = io.BytesIO()
    pe.save(_Config(4), buf)
    with pe.serialization.safe_globals([_Config]):
        buf.seek(0)
        assert pe.load(buf).depth == 4
        assert _Config in pe.serialization.get_safe_globals()
    assert _Config not in pe.serialization.get_safe_globals()
    pe.serialization.add_safe_globals([(_Config, __name__ + "._Config")])
    try:
        buf.seek(0)
        assert pe.load(buf).depth == 4
    finally:
        pe.serialization.clear_safe_globals()
    buf.seek(0)
    with pytest.raises(Exception, match="add_safe_globals"):
        pe.load(buf)


class _Config:
    def __init__(self, depth):
        self.depth = depth


def test_pickle_protocols():
    for proto in (2, 3, 4, 5):
        buf = io.BytesIO()
        pe.save({"t": pe.arange(3), "b": b"x"}, buf, pickle_protocol=proto)
        buf.seek(0)
        out = pe.load(buf)
        assert out["t"].tolist() == [0, 1, 2] and out["b"] == b"x"
