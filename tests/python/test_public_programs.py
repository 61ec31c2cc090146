"""What the public PyTorch examples needed (docs/public-programs.md): PyTorch's nn module paths, RReLU and
Softmax2d, the Tensor.is_* predicates, and a program in the style of word_language_model's whole-model checkpoint
(fixtures/programs/lm_full_checkpoint.py) run through ``python -m pyengine.run`` and with PyTorch itself."""
from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import subprocess
import sys

import numpy as np
import pytest

import pyengine as pe

torch = pytest.importorskip("torch")

def _close(ours, ref) -> None:
    np.testing.assert_allclose(ours.detach().numpy(), ref.detach().numpy(), rtol=1e-7, atol=1e-12)


PROGRAMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "programs")

# nn classes PyTorch has that pyengine does not have at all yet (so not at PyTorch's path either).
NOT_IN_PYENGINE = {
                   "Container", "LinearCrossEntropyLoss", "LinearCrossEntropyOptions"}


def _torch_families():
    import torch.nn.modules as tm
    for info in pkgutil.iter_modules(tm.__path__):
        if info.name.startswith("_"):
            continue  # private helpers (torch.nn.modules._functions holds autograd Functions, not modules)
        mod = importlib.import_module("torch.nn.modules." + info.name)
        names = [n for n, v in vars(mod).items()
                 if inspect.isclass(v) and v.__module__ == mod.__name__ and not n.startswith("_")]
        yield info.name, names


def test_every_nn_class_at_pytorchs_module_path():
    absent = set()
    for family, names in _torch_families():
        absent.update(n for n in names if n in NOT_IN_PYENGINE)
        wanted = [n for n in names if n not in NOT_IN_PYENGINE]
        if not wanted:
            continue
        mod = importlib.import_module("pyengine.nn.modules." + family)
        for name in wanted:
            assert hasattr(mod, name), f"pyengine.nn.modules.{family}.{name}"
            cls = getattr(mod, name)
            if hasattr(pe.nn, name):
                assert cls is getattr(pe.nn, name), name  # the same class, re-exported, not a copy
    # the gap list stays honest: each entry is a class PyTorch has and pyengine.nn really lacks
    assert absent == NOT_IN_PYENGINE
    for name in absent:
        assert not hasattr(pe.nn, name), f"{name} exists now: drop it from NOT_IN_PYENGINE"


def test_mha_out_proj_is_non_dynamically_quantizable_linear():
    m = pe.nn.MultiheadAttention(8, 2)
    assert type(m.out_proj) is pe.nn.modules.linear.NonDynamicallyQuantizableLinear
    assert isinstance(m.out_proj, pe.nn.Linear)
    assert repr(m.out_proj) == repr(torch.nn.MultiheadAttention(8, 2).out_proj)


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 4, 5), (3, 0, 2)])
def test_softmax2d_matches_torch(shape):
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    xp = pe.tensor(x.detach().numpy(), requires_grad=True)
    ours = pe.nn.Softmax2d()(xp)
    ref = torch.nn.Softmax2d()(x)
    assert ours.shape == tuple(ref.shape)
    _close(ours, pe.tensor(ref.detach().numpy()))
    if x.numel():
        w = torch.randn(shape, dtype=torch.float64)
        ref.backward(w)
        ours.backward(pe.tensor(w.numpy()))
        _close(xp.grad, pe.tensor(x.grad.numpy()))


def test_softmax2d_rejects_other_ranks():
    for shape in [(3,), (2, 3), (1, 2, 3, 4, 5)]:
        with pytest.raises(ValueError, match=f"expected input to be 3D or 4D, got {len(shape)}D instead"):
            pe.nn.Softmax2d()(pe.zeros(shape))
        with pytest.raises(ValueError, match=f"got {len(shape)}D instead"):
            torch.nn.Softmax2d()(torch.zeros(shape))


def test_rrelu_eval_matches_torch_and_training_draws_slopes_in_range():
    base = torch.randn(4, 7, dtype=torch.float64)
    x = base.t()  # non-contiguous
    for lower, upper in [(1 / 8, 1 / 3), (0.2, 0.5)]:
        ref = torch.nn.functional.rrelu(x, lower, upper, training=False)
        ours = pe.nn.functional.rrelu(pe.tensor(base.numpy()).t(), lower, upper, training=False)
        _close(ours, pe.tensor(ref.numpy()))
    m = pe.nn.RReLU(0.1, 0.3)
    assert repr(m) == repr(torch.nn.RReLU(0.1, 0.3)) == "RReLU(lower=0.1, upper=0.3)"
    assert repr(pe.nn.RReLU(inplace=True)) == repr(torch.nn.RReLU(inplace=True))
    xp = pe.randn(1000, dtype=pe.float64, requires_grad=True)
    y = m(xp)  # training mode: each negative element gets its own slope in [0.1, 0.3]
    neg = xp.detach() < 0
    slopes = (y.detach() / xp.detach())[neg]
    assert slopes.min().item() >= 0.1 and slopes.max().item() <= 0.3 and slopes.std().item() > 0.01
    assert pe.equal(y.detach()[~neg], xp.detach()[~neg])
    y.sum().backward()
    _close(xp.grad[neg], slopes)  # the gradient is the drawn slope
    assert pe.equal(xp.grad[~neg], pe.ones_like(xp.grad[~neg]))
    m.eval()
    _close(m(pe.tensor([-1.0, 2.0])), pe.tensor([-0.2, 2.0]))
    t = pe.tensor([-2.0, 3.0])
    assert pe.nn.functional.rrelu_(t) is t and t[0].item() == pytest.approx(-2 * (1 / 8 + 1 / 3) / 2)


def test_tensor_predicates_match_torch():
    cases = [([1.0, -1.0], "float32"), ([1], "uint8"), ([True], "bool"), ([3], "int16"), ([], "float64"),
             ([[0.0]], "float64")]
    for data, dt in cases:
        a = torch.tensor(data, dtype=getattr(torch, dt))
        b = pe.tensor(data, dtype=getattr(pe, dt))
        for name in ("is_xpu", "is_mps", "is_ipu", "is_xla", "is_maia", "is_mtia", "is_vulkan",
                     "is_mkldnn", "is_sparse", "is_sparse_csr", "is_quantized", "is_nested", "is_cuda", "is_cpu"):
            assert getattr(b, name) == getattr(a, name), (name, dt)
        assert b.is_signed() == a.is_signed() == pe.is_signed(b), dt
        assert b.is_conj() == a.is_conj() and b.is_neg() == a.is_neg() and pe.is_complex(b) == torch.is_complex(a)
        assert b.is_same_size(b.reshape(-1)) == a.is_same_size(a.reshape(-1))
        if a.numel() == 1:
            assert b.is_nonzero() == a.is_nonzero() == pe.is_nonzero(b)
        else:
            with pytest.raises(RuntimeError) as ours:
                b.is_nonzero()
            with pytest.raises(RuntimeError) as ref:
                a.is_nonzero()
            assert str(ours.value) == str(ref.value)
    with pytest.raises(AttributeError):
        pe.zeros(1).is_xpu = True  # read-only, as PyTorch's


def _run(args, cwd):
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


EXPECTED = ["out_proj class: NonDynamicallyQuantizableLinear", "same output: True",
            "is_xpu/is_mps/is_sparse: False False False"]


@pytest.mark.parametrize("engine", ["pyengine", "torch"])
def test_whole_model_checkpoint_with_pytorch_paths(engine, tmp_path):
    script = os.path.join(PROGRAMS, "lm_full_checkpoint.py")
    proc = _run(["-m", "pyengine.run", script] if engine == "pyengine" else [script], tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = [ln.rstrip() for ln in proc.stdout.splitlines()]
    for line in EXPECTED:
        assert line in lines, (line, proc.stdout)


def test_hub_load_state_dict_from_url_cache_download_and_hash(tmp_path, monkeypatch):
    """torch.hub's cache: the file under <hub dir>/checkpoints is used as it is; a missing one is downloaded (a
    file:// URL here), checked against the SHA-256 prefix in its name with check_hash, and kept."""
    import hashlib
    import urllib.error
    from pyengine import hub
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))
    assert hub.get_dir() == str(tmp_path / "home" / "hub")
    monkeypatch.delenv("TORCH_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub.get_dir() == str(tmp_path / "xdg" / "torch" / "hub")
    hub.set_dir(str(tmp_path / "hubdir"))
    try:
        assert hub.get_dir() == str(tmp_path / "hubdir")
        state = {"w": pe.arange(6.0).reshape(2, 3), "n": pe.tensor(3)}
        src = tmp_path / "src.pth"
        pe.save(state, str(src))
        digest = hashlib.sha256(src.read_bytes()).hexdigest()
        served = tmp_path / "served"
        served.mkdir()
        good = served / f"model-{digest[:8]}.pth"
        good.write_bytes(src.read_bytes())
        got = hub.load_state_dict_from_url(good.as_uri(), check_hash=True, weights_only=True)
        assert pe.equal(got["w"], state["w"]) and got["n"].item() == 3
        assert (tmp_path / "hubdir" / "checkpoints" / good.name).read_bytes() == src.read_bytes()
        # a wrong hash prefix: PyTorch's error, nothing left in the cache
        bad = served / "model-deadbeef.pth"
        bad.write_bytes(src.read_bytes())
        with pytest.raises(RuntimeError, match=f'invalid hash value \\(expected "deadbeef", got "{digest}"\\)'):
            hub.load_state_dict_from_url(bad.as_uri(), check_hash=True)
        assert sorted(p.name for p in (tmp_path / "hubdir" / "checkpoints").iterdir()) == [good.name]
        # without check_hash the name is not checked; file_name and model_dir are honoured
        got = hub.load_state_dict_from_url(bad.as_uri(), model_dir=str(tmp_path / "md"), file_name="x.pth",
                                           map_location="cpu")
        assert (tmp_path / "md" / "x.pth").exists() and pe.equal(got["w"], state["w"])
        # an existing cache file is used without touching the network
        monkeypatch.setattr(hub, "_urlopen", lambda *a, **k: (_ for _ in ()).throw(urllib.error.URLError("x")))
        got = hub.load_state_dict_from_url("https://example.invalid/models/" + good.name)
        assert pe.equal(got["w"], state["w"])
        with pytest.raises(urllib.error.URLError, match="put the file at"):
            hub.load_state_dict_from_url("https://example.invalid/models/other.pth")
    finally:
        hub._hub_dir = None


def test_hub_load_local_repository(tmp_path):
    from pyengine import hub
    (tmp_path / "hubconf.py").write_text(
        "dependencies = ['pyengine']\n"
        "import pyengine\n"
        "def tiny(width=3):\n"
        "    '''A tiny linear model.'''\n"
        "    return pyengine.nn.Linear(2, width)\n")
    m = hub.load(str(tmp_path), "tiny", width=5, source="local")
    assert isinstance(m, pe.nn.Linear) and m.out_features == 5
    assert hub.list(str(tmp_path), source="local") == ["tiny"]
    assert hub.help(str(tmp_path), "tiny", source="local") == "A tiny linear model."
    with pytest.raises(RuntimeError, match="Cannot find callable nope in hubconf"):
        hub.load(str(tmp_path), "nope", source="local")
    with pytest.raises(ValueError, match='Unknown source: "svn"'):
        hub.load(str(tmp_path), "tiny", source="svn")
    with pytest.raises(RuntimeError, match="local directory only"):
        hub.load("pytorch/vision", "resnet18")


def test_zero_dim_index_errors_match_torch():
    """Old tutorials index a 0-dim loss as ``loss.data[0]``; PyTorch's IndexError tells the user to call item()."""
    import numpy as np
    for idx in [0, -1, 5, np.int64(0), np.int64(2), slice(0, 1), (0,), [0]]:
        for setting in (False, True):
            errors = []
            for lib in (torch, pe):
                t = lib.tensor(1.0)
                with pytest.raises(IndexError) as e:
                    if setting:
                        t[idx] = 2.0
                    else:
                        t[idx]
                errors.append(str(e.value))
            assert errors[0] == errors[1], (idx, setting, errors)
    for idx in [None, Ellipsis, True]:
        a, b = torch.tensor(1.0)[idx], pe.tensor(1.0)[idx]
        assert tuple(a.shape) == tuple(b.shape)


def test_device_as_context_manager_sets_the_default_device():
    """``with torch.device(...)`` (the changing_default_device recipe): factories inside the block use the
    device; the previous default comes back after it, also after an exception, and blocks nest."""
    for lib in (torch, pe):
        assert str(lib.get_default_device()) == "cpu"
        with lib.device("cpu:0") as d:
            assert str(d) == "cpu:0" and str(lib.get_default_device()) == "cpu:0"
            with lib.device("cpu"):
                assert str(lib.get_default_device()) == "cpu"
            assert str(lib.get_default_device()) == "cpu:0"
            assert lib.nn.Linear(2, 3).weight.device.type == "cpu"
        assert str(lib.get_default_device()) == "cpu"
        with pytest.raises(KeyError):
            with lib.device("cpu:0"):
                raise KeyError("x")
        assert str(lib.get_default_device()) == "cpu"
    if not pe.cuda.is_available():
        # the device is checked when a factory runs inside the block, as in PyTorch
        with pytest.raises((AssertionError, RuntimeError)):
            with pe.device("cuda"):
                pe.nn.Linear(2, 3)
        assert str(pe.get_default_device()) == "cpu"


def test_is_conj_is_neg_reject_non_tensors_as_torch():
    for name in ("is_conj", "is_neg"):
        with pytest.raises(TypeError, match=f"{name}\\(\\): argument 'input' \\(position 1\\) must be Tensor, not int"):
            getattr(torch, name)(1)
        with pytest.raises(TypeError, match=f"{name}\\(\\): argument 'input' \\(position 1\\) must be Tensor, not int"):
            getattr(pe, name)(1)
