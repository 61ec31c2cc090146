"""The runtime APIs scripts use to choose a device and configure the run: torch.accelerator (following
pyengine.cuda, checked with and without a device), torch.backends (mps, cudnn, cuda.matmul, ...),
set_default_device/get_default_device honoured by factories and modules, set_float32_matmul_precision, and
torch.compile / torch.compiler (eager, identical results, PyTorch's argument checks)."""
import warnings

import numpy as np
import pytest

import pyengine as pe
from pyengine import nn

torch = pytest.importorskip("torch")


# ---- torch.accelerator ----

def test_accelerator_without_device_matches_torch():
    if pe.cuda.is_available():
        pytest.skip("a CUDA device is present (this checks the CPU-only answers)")
    for eng in (pe, torch):
        acc = eng.accelerator
        assert acc.is_available() is False
        assert acc.device_count() == 0
        assert acc.current_accelerator(check_available=True) is None
        for call in (acc.current_device_index, acc.synchronize, lambda: acc.set_device_index(0), acc.empty_cache):
            with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available."):
                call()
    assert pe.accelerator.current_accelerator() == (pe.device("cuda") if pe.cuda.is_compiled() else None)
    # the tutorial idiom
    device = pe.accelerator.current_accelerator().type if pe.accelerator.is_available() else "cpu"
    assert device == "cpu"


class _FakeCuda:
    """Stands in for pyengine.cuda with two devices, to check that torch.accelerator follows it."""

    def __init__(self):
        self.current, self.synced, self.calls = 0, [], []

    def is_available(self):
        return True

    def is_compiled(self):
        return True

    def device_count(self):
        return 2

    def current_device(self):
        return self.current

    def set_device(self, i):
        self.current = i

    def synchronize(self, i=None):
        self.synced.append(i)

    def memory_allocated(self, i=None):
        return 1234

    def empty_cache(self):
        self.calls.append("empty_cache")


def test_accelerator_follows_pyengine_cuda(monkeypatch):
    fake = _FakeCuda()
    monkeypatch.setattr(pe, "cuda", fake)
    acc = pe.accelerator
    assert acc.is_available() and acc.device_count() == 2
    assert acc.current_accelerator() == pe.device("cuda") and acc.current_accelerator().type == "cuda"
    assert acc.current_device_index() == 0
    acc.set_device_index(1)
    assert acc.current_device_index() == 1 and acc.current_device_idx() == 1
    acc.set_device_index("cuda:0")
    assert fake.current == 0
    with acc.device_index(1):
        assert fake.current == 1
    assert fake.current == 0
    acc.synchronize()
    acc.synchronize(pe.device("cuda:1"))
    assert fake.synced == [None, 1]
    assert acc.memory_allocated() == 1234
    acc.empty_cache()
    assert fake.calls == ["empty_cache"]
    with pytest.raises(ValueError, match="cpu doesn't match the current accelerator cuda"):
        acc.set_device_index("cpu")


# ---- torch.backends ----

def test_backends_match_torch_defaults():
    import pyengine.backends.cudnn as cudnn  # the import form scripts use
    assert pe.backends.mps.is_available() is False and pe.backends.mps.is_built() is False
    assert cudnn.is_available() is False and cudnn.version() is None
    for name in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(cudnn, name) == getattr(torch.backends.cudnn, name), name
    assert pe.backends.cuda.matmul.allow_tf32 == torch.backends.cuda.matmul.allow_tf32 is False
    assert pe.backends.cuda.is_built() == pe.cuda.is_compiled()
    assert pe.backends.openmp.is_available() is True


def test_backend_flags_are_settable_and_restored():
    cudnn = pe.backends.cudnn
    cudnn.benchmark = True
    cudnn.deterministic = True
    try:
        assert pe.backends.cudnn.benchmark and pe.backends.cudnn.deterministic
        with cudnn.flags(enabled=False, benchmark=False, deterministic=False):
            assert not cudnn.enabled and not cudnn.benchmark
        assert cudnn.enabled and cudnn.benchmark and cudnn.deterministic
    finally:
        cudnn.benchmark = False
        cudnn.deterministic = False
    # allow_tf32 and the float32 matmul precision are one setting, as in PyTorch
    try:
        pe.backends.cuda.matmul.allow_tf32 = True
        assert pe.get_float32_matmul_precision() == "high"
        pe.set_float32_matmul_precision("highest")
        assert pe.backends.cuda.matmul.allow_tf32 is False
        pe.set_float32_matmul_precision("medium")
        assert pe.backends.cuda.matmul.allow_tf32 is True
        with pytest.warns(UserWarning, match="is not one of 'highest', 'high', or 'medium'"):
            pe.set_float32_matmul_precision("low")
        assert pe.get_float32_matmul_precision() == "medium"
    finally:
        pe.set_float32_matmul_precision("highest")
    # the matmul itself is full float32 either way
    a, b = np.random.default_rng(0).standard_normal((2, 8, 8)).astype(np.float32)
    pe.backends.cuda.matmul.allow_tf32 = True
    try:
        got = (pe.tensor(a) @ pe.tensor(b)).numpy()
    finally:
        pe.backends.cuda.matmul.allow_tf32 = False
    np.testing.assert_allclose(got, a.astype(np.float64) @ b, rtol=1e-5, atol=1e-5)


# ---- default device / dtype ----

def test_default_device_is_honoured_by_factories():
    assert pe.get_default_device() == pe.device("cpu")
    assert str(pe.get_default_device()) == str(torch.get_default_device())
    original = pe.zeros
    pe.set_default_device("cpu")
    assert pe.zeros is original  # the CPU default costs nothing
    if pe.cuda.is_compiled() and not pe.cuda.is_available():
        pytest.skip("CUDA not available")  # compiled in, but no device: the cuda half cannot run
    pe.set_default_device("cuda")
    try:
        assert pe.get_default_device() == pe.device("cuda")
        if pe.cuda.is_available():
            for t in (pe.zeros(2), pe.ones(2), pe.empty(1), pe.full((2,), 3.0), pe.arange(3), pe.rand(2),
                      pe.randn(2), pe.tensor([1.0]), pe.as_tensor([1.0]), nn.Linear(2, 2).weight):
                assert t.device.type == "cuda"
            assert pe.as_tensor(pe.ones(1, device="cpu")).device.type == "cpu"
        else:  # the device is checked when a factory runs, as in PyTorch
            for make in (lambda: pe.zeros(2), lambda: pe.tensor([1.0]), lambda: pe.randn(3),
                         lambda: nn.Linear(2, 2)):
                with pytest.raises(RuntimeError, match="not compiled with CUDA"):
                    make()
        assert pe.zeros(2, device="cpu").device.type == "cpu"  # an explicit device wins
    finally:
        pe.set_default_device(None)
    assert pe.zeros is original and pe.get_default_device() == pe.device("cpu")


def test_default_dtype_round_trip():
    assert pe.get_default_dtype() == pe.float32
    pe.set_default_dtype(pe.float64)
    try:
        assert pe.zeros(1).dtype == pe.float64 and pe.tensor([1.5]).dtype == pe.float64
    finally:
        pe.set_default_dtype(pe.float32)


# ---- torch.compile / torch.compiler ----

def test_compile_module_runs_eagerly_with_torch_structure():
    pe.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    compiled = pe.compile(model)
    tmodel = torch.compile(torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)))
    assert type(compiled).__name__ == type(tmodel).__name__ == "OptimizedModule"
    assert list(compiled.state_dict()) == list(tmodel.state_dict())
    assert repr(compiled).splitlines()[:2] == repr(tmodel).splitlines()[:2]
    assert compiled._orig_mod is model and getattr(compiled, "0") is model[0]  # falls back to the original
    x = pe.randn(5, 4)
    assert pe.equal(compiled(x), model(x))
    out = compiled(x).sum()
    out.backward()
    assert model[0].weight.grad is not None
    assert list(compiled.parameters()) == list(model.parameters())


def test_compile_function_forms_and_arguments():
    def f(x, y=1.0):
        return (x * y).sin() + x

    x = pe.randn(3)
    for kw in (dict(), dict(fullgraph=True), dict(dynamic=True), dict(dynamic=False), dict(backend="eager"),
               dict(backend="aot_eager"), dict(mode="reduce-overhead"), dict(mode="max-autotune"),
               dict(options={"trace.enabled": False})):
        g = pe.compile(f, **kw)
        assert pe.equal(g(x, y=2.0), f(x, y=2.0)), kw
        assert g.__name__ == "f" and g.__wrapped__ is f

    @pe.compile
    def h(x):
        return x + 1

    @pe.compile(mode="default", fullgraph=True)
    def k(x):
        return x * 2
    assert pe.equal(h(x), x + 1) and pe.equal(k(x), x * 2)
    assert pe.compile(f, disable=True) is f


@pytest.mark.parametrize("kw,exc,msg", [
    (dict(mode="fastest"), RuntimeError, "Unrecognized mode=fastest, should be one of"),
    (dict(mode="default", options={}), RuntimeError, "Either mode or options can be specified"),
    (dict(backend="nope"), RuntimeError, "Invalid backend: 'nope'"),
])
def test_compile_errors_match_torch(kw, exc, msg):
    def f(x):
        return x
    with pytest.raises(exc, match=msg):
        torch.compile(f, **kw)
    with pytest.raises(exc, match=msg):
        pe.compile(f, **kw)


def test_compile_callable_backend_refused():
    with pytest.raises(NotImplementedError, match="pyengine does not compile"):
        pe.compile(lambda x: x, backend=lambda gm, inputs: gm)


def test_compiler_namespace():
    assert pe.compiler.is_compiling() is False and pe.compiler.is_dynamo_compiling() is False

    def f(x):
        return x
    assert pe.compiler.disable(f) is f
    assert pe.compiler.disable(recursive=False)(f) is f
    assert pe.compiler.list_backends() == torch.compiler.list_backends()
    pe.compiler.reset()
    with pe.compiler.set_stance("force_eager"):
        pass
    m = nn.Linear(2, 2)
    m.compile()  # Module.compile(): in place in PyTorch; eager here
    x = pe.randn(1, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert m(x).shape == (1, 2)


# ---- python -m pyengine.run reaches every new module ----

NEW_MODULES = ["torch.accelerator", "torch.backends", "torch.backends.cudnn", "torch.backends.mps",
               "torch.backends.cuda", "torch.compiler", "torch.func", "torch.profiler", "torch.autograd.profiler",
               "torch.autograd.functional", "torch.utils.checkpoint", "torch.optim.lr_scheduler",
               "torchvision.models", "torchvision.io", "torchvision.ops", "torchvision.transforms.functional"]


def test_import_hook_covers_new_modules():
    import importlib
    import sys

    from pyengine._import_hook import aliased
    with aliased():
        for name in NEW_MODULES:
            mod = importlib.import_module(name)
            target = name.replace("torchvision", "pyengine.vision", 1) if name.startswith("torchvision") \
                else name.replace("torch", "pyengine", 1)
            assert mod is sys.modules[target], name
        torch = importlib.import_module("torch")
        assert torch.vmap is pe.func.vmap and torch.compile is pe.compile
        assert torch.optim.LBFGS is pe.optim.LBFGS and torch.nn.Dropout2d is pe.nn.Dropout2d
        from torchvision.models import resnet18  # noqa: F401
        from torch.utils.tensorboard import SummaryWriter  # noqa: F401
