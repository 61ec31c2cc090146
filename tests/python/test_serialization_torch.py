"""One format with PyTorch 2.13: torch.load reads pyengine checkpoints (weights_only and mmap too)
and pyengine.load reads torch.save's; errors match PyTorch's classes and wording."""
import collections
import io
import os
import pickle

import numpy as np
import pytest
from pe_testing import DTYPE_NAMES, make, to_np

import pyengine as pe

torch = pytest.importorskip("torch")


def torch_np(t):
    t = t.detach()
    return (t.float() if t.dtype == torch.bfloat16 else t).numpy()


def pe_to_torch_file(obj) -> io.BytesIO:
    buf = io.BytesIO()
    pe.save(obj, buf)
    buf.seek(0)
    return buf


def torch_to_pe_file(obj, **kw) -> io.BytesIO:
    buf = io.BytesIO()
    torch.save(obj, buf, **kw)
    buf.seek(0)
    return buf


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_torch_reads_every_dtype(name):
    t, _ = make((3, 4), name)
    views = {"t": t, "col": t[:, 1], "tt": t.t(), "scalar": t[2, 3], "empty": t[:0]}
    out = torch.load(pe_to_torch_file(views))  # PyTorch's default: weights_only=True
    for k, v in views.items():
        assert str(out[k].dtype) == str(v.dtype) and tuple(out[k].shape) == tuple(v.shape), k
        assert tuple(out[k].stride()) == tuple(v.stride()) and out[k].storage_offset() == v.storage_offset(), k
        np.testing.assert_array_equal(torch_np(out[k]), to_np(v))
    ptr = out["t"].untyped_storage().data_ptr()
    assert all(out[k].untyped_storage().data_ptr() == ptr for k in ("col", "tt", "scalar"))


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_pyengine_reads_every_dtype(name):
    base = torch.arange(12).reshape(3, 4) % 5
    t = (base > 2) if name == "bool" else base.to(getattr(torch, name))
    views = {"t": t, "col": t[:, 1], "tt": t.t(), "scalar": t[2, 3], "step": t[::2, ::3]}
    out = pe.load(torch_to_pe_file(views))
    for k, v in views.items():
        assert str(out[k].dtype) == str(v.dtype) and tuple(out[k].shape) == tuple(v.shape), k
        assert tuple(out[k].stride()) == tuple(v.stride()) and out[k].storage_offset() == v.storage_offset(), k
        np.testing.assert_array_equal(to_np(out[k]), torch_np(v))
    assert all(pe._C._same_storage(out["t"], out[k]) for k in views)


def test_torch_module_and_optimizer_checkpoint_loads():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for _ in range(2):
        opt.zero_grad()
        net(torch.randn(5, 3)).sum().backward()
        opt.step()
    ckpt = {"model": net.state_dict(), "optimizer": opt.state_dict(), "epoch": 2, "params": list(net.parameters())}
    out = pe.load(torch_to_pe_file(ckpt))
    assert list(out["model"]) == list(net.state_dict()) and type(out["model"]) is collections.OrderedDict
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(to_np(out["model"][k]), torch_np(v))
    assert out["model"]["1.num_batches_tracked"].dtype is pe.int64
    ref = opt.state_dict()
    assert out["optimizer"]["param_groups"] == ref["param_groups"]
    for i, st in ref["state"].items():
        for k, v in st.items():
            np.testing.assert_array_equal(to_np(out["optimizer"]["state"][i][k]), torch_np(v))
    assert all(p.requires_grad for p in out["params"])
    P = getattr(pe.nn, "Parameter", None)
    if P is not None:
        assert all(type(p) is P for p in out["params"])


def test_torch_reads_pyengine_parameters_and_objects(monkeypatch):
    from test_serialization_roundtrip import _parameter_class
    Parameter = _parameter_class(monkeypatch)
    obj = {"p": Parameter(pe.ones(2, 3)), "g": pe.ones(2).requires_grad_(True), "dtype": pe.float16,
           "device": pe.device("cpu"), "size": pe.Size([4, 5]), "bytes": b"ab", "set": {3}, "c": 2j,
           "od": collections.OrderedDict(a=1)}
    out = torch.load(pe_to_torch_file(obj))
    assert isinstance(out["p"], torch.nn.Parameter) and out["p"].requires_grad and out["p"].shape == (2, 3)
    assert out["g"].requires_grad and not isinstance(out["g"], torch.nn.Parameter)
    assert out["dtype"] is torch.float16 and out["device"] == torch.device("cpu")
    assert out["size"] == torch.Size([4, 5]) and isinstance(out["size"], torch.Size)
    assert out["bytes"] == b"ab" and out["set"] == {3} and out["c"] == 2j and out["od"] == obj["od"]


def test_torch_objects_translate():
    out = pe.load(torch_to_pe_file({"d": torch.bfloat16, "dev": torch.device("cpu"), "s": torch.Size([2])}))
    assert out["d"] is pe.bfloat16 and out["dev"] == pe.device("cpu") and isinstance(out["s"], pe.Size)


def test_torch_mmap_and_pyengine_mmap_agree(tmp_path):
    path = tmp_path / "x.pt"
    pe.save({"a": pe.arange(10, dtype=pe.int16), "b": pe.randn(17)}, path)
    mapped = torch.load(path, mmap=True)
    ours = pe.load(path, mmap=True)
    for k in "ab":
        np.testing.assert_array_equal(torch_np(mapped[k]), to_np(ours[k]))
    tpath = tmp_path / "t.pt"
    torch.save({"a": torch.arange(10, dtype=torch.int16)}, tpath)
    assert pe.load(tpath, mmap=True)["a"].tolist() == list(range(10))


def test_torch_map_location_forms_agree():
    buf = torch_to_pe_file(torch.arange(3.0))
    for ml in ("cpu", {"cpu": "cpu"}, lambda s, loc: s):
        buf.seek(0)
        ref = torch.load(buf, map_location=ml)
        buf.seek(0)
        assert pe.load(buf, map_location=ml).tolist() == ref.tolist()
    # The reference PyTorch has no CUDA: "cuda" is compared only where pyengine has none either.
    for ml in ("foo",) if pe.cuda.is_available() else ("cuda", "foo"):
        errors = []
        for lib in (torch, pe):
            buf.seek(0)
            with pytest.raises(RuntimeError) as info:
                lib.load(buf, map_location=ml)
            errors.append(str(info.value).split(".")[0])
        assert errors[0] == errors[1]


class _Evil:
    def __reduce__(self):
        return (os.system, ("true",))


class _Plain:
    pass


@pytest.mark.parametrize("obj", [_Evil(), _Plain()])
def test_weights_only_refusals_match_torch(obj):
    b1 = torch_to_pe_file([obj])
    b2 = pe_to_torch_file([obj])
    msgs = []
    for lib, buf in ((torch, b1), (pe, b2)):
        with pytest.raises(pickle.UnpicklingError) as info:
            lib.load(buf)
        msgs.append(str(info.value))
    assert all(m.startswith("Weights only load failed.") for m in msgs)
    key = "is blocked" if isinstance(obj, _Evil) else "was not an allowed global by default"
    assert all(key in m for m in msgs)


def test_torch_only_dtypes_and_legacy_files_are_named(tmp_path):
    z = pe.load(torch_to_pe_file(torch.tensor([1 + 2j, -3j], dtype=torch.complex64)))  # complex64 loads
    assert z.dtype is pe.complex64 and z.tolist() == [1 + 2j, -3j]
    legacy = tmp_path / "legacy.pt"
    torch.save(torch.ones(2), legacy, _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="legacy.pt.*legacy"):
        pe.load(legacy)


def test_bad_input_exception_classes_match_torch(tmp_path):
    for call in (lambda lib: lib.save(lib.ones(1), 123), lambda lib: lib.save(lib.ones(1), tmp_path),
                 lambda lib: lib.save(lib.ones(1), tmp_path / "no" / "x.pt"),
                 lambda lib: lib.load(tmp_path / "missing.pt")):
        classes = []
        for lib in (torch, pe):
            with pytest.raises(Exception) as info:
                call(lib)
            classes.append(type(info.value))
        assert classes[0] is classes[1]
    a = pe.ones(4)
    with pytest.raises(RuntimeError) as ours:
        pe.save([a, a.view(pe.int32)], io.BytesIO())
    ta = torch.ones(4)
    with pytest.raises(RuntimeError) as theirs:
        torch.save([ta, ta.view(torch.int32)], io.BytesIO())
    assert str(ours.value) == str(theirs.value)
