"""nn.Module: registration through attribute assignment, iteration order, state_dict keys and
load_state_dict errors (PyTorch's text), print(net) text equal to torch's, hooks, train/eval, apply,
to(dtype), zero_grad. Where torch is installed, the same model is built in both and compared."""
import math
import re
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import pyengine as pe
from pyengine import nn
import pyengine.nn.functional as F


def _torch():
    return pytest.importorskip("torch")


def _lenet(nn_mod, F_mod):
    class Net(nn_mod.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.conv1 = nn_mod.Conv2d(1, 6, 5)
            self.conv2 = nn_mod.Conv2d(6, 16, 5)
            self.fc1 = nn_mod.Linear(16 * 5 * 5, 120)
            self.fc2 = nn_mod.Linear(120, 84)
            self.fc3 = nn_mod.Linear(84, 10)

        def forward(self, x):
            x = F_mod.max_pool2d(F_mod.relu(self.conv1(x)), (2, 2))
            x = F_mod.max_pool2d(F_mod.relu(self.conv2(x)), 2)
            x = x.view(-1, 400)
            x = F_mod.relu(self.fc1(x))
            x = F_mod.relu(self.fc2(x))
            return self.fc3(x)
    return Net()


def _zoo(m):
    """The same nets built from module namespace `m` (torch.nn or pyengine.nn)."""
    return [
        m.Sequential(m.Linear(1000, 100), m.ReLU(), m.Linear(100, 10)),
        m.Sequential(m.Conv2d(3, 8, 3, padding=1, bias=False), m.BatchNorm2d(8), m.ReLU(inplace=True),
                     m.MaxPool2d(2), m.Conv2d(8, 4, (3, 5), stride=2, dilation=2, groups=4),
                     m.AvgPool2d(2), m.AdaptiveAvgPool2d((1, 1)), m.Flatten(), m.Dropout(0.25),
                     m.Linear(4, 3)),
        m.Sequential(OrderedDict([("emb", m.Embedding(10, 4, padding_idx=1)), ("ln", m.LayerNorm(4)),
                                  ("act", m.GELU()), ("lrelu", m.LeakyReLU(0.2)), ("sm", m.Softmax(dim=-1)),
                                  ("lsm", m.LogSoftmax(1)), ("tanh", m.Tanh()), ("sig", m.Sigmoid()),
                                  ("id", m.Identity()), ("unf", m.Unflatten(1, (2, 2))),
                                  ("bn1", m.BatchNorm1d(4, momentum=None, affine=False)),
                                  ("tanhgelu", m.GELU(approximate="tanh"))])),
        m.ModuleList([m.Linear(2, 2), m.Linear(2, 2), m.Linear(2, 2), m.ReLU(), m.Linear(2, 3)]),
        m.ModuleDict({"a": m.Linear(2, 2), "b": m.Sequential(m.ReLU(), m.Conv2d(1, 1, 1, padding="same"))}),
        m.Sequential(m.MSELoss(), m.L1Loss(), m.SmoothL1Loss(beta=0.5), m.CrossEntropyLoss(), m.NLLLoss(),
                     m.BCELoss(), m.BCEWithLogitsLoss(), m.Flatten(0, 2), m.Dropout(inplace=True),
                     m.Embedding(5, 2, max_norm=1.0, norm_type=1.0), m.LayerNorm([2, 3], elementwise_affine=False),
                     m.MaxPool2d(3, stride=1, padding=1, ceil_mode=True), m.Bilinear(2, 3, 4)),
        m.ModuleList(),
        m.Sequential(),
    ]


def test_print_lenet_matches_torch():
    torch = _torch()
    import torch.nn.functional as TF
    ours = repr(_lenet(nn, F))
    assert ours == repr(_lenet(torch.nn, TF))
    assert ours.splitlines()[1] == "  (conv1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))"


@pytest.mark.parametrize("i", range(8))
def test_print_nets_match_torch(i):
    torch = _torch()
    assert repr(_zoo(nn)[i]) == repr(_zoo(torch.nn)[i])


def test_state_dict_keys_match_torch():
    torch = _torch()
    for ours, theirs in zip(_zoo(nn), _zoo(torch.nn)):
        sd, tsd = ours.state_dict(), theirs.state_dict()
        assert list(sd.keys()) == list(tsd.keys())
        for k in sd:
            assert tuple(sd[k].shape) == tuple(tsd[k].shape), k
        assert dict(sd._metadata) == dict(tsd._metadata)


def test_registration_and_iteration():
    net = _lenet(nn, F)
    params = list(net.parameters())
    assert len(params) == 10 and params[0] is net.conv1.weight and params[1] is net.conv1.bias
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in params)
    assert [n for n, _ in net.named_parameters()][:3] == ["conv1.weight", "conv1.bias", "conv2.weight"]
    assert [n for n, _ in net.named_children()] == ["conv1", "conv2", "fc1", "fc2", "fc3"]
    assert [n for n, _ in net.named_modules()] == ["", "conv1", "conv2", "fc1", "fc2", "fc3"]
    assert len(list(net.modules())) == 6 and list(net.children())[0] is net.conv1
    # shared submodule / parameter counted once
    seq = nn.Sequential()
    lin = nn.Linear(2, 2)
    seq.append(lin).append(lin)
    assert len(list(seq.parameters())) == 2 and len(seq) == 2
    assert len(list(seq.named_parameters(remove_duplicate=False))) == 4
    # reassigning None / deleting
    net.fc3 = None
    assert "fc3" in net._modules and net.fc3 is None
    del net.fc3
    assert "fc3" not in dict(net.named_children())
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'fc3'"):
        _ = net.fc3


def test_registration_errors():
    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(pe.ones(1))
    with pytest.raises(AttributeError, match=re.escape("cannot assign parameters before Module.__init__() call")):
        Early()
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=re.escape("cannot assign 'torch.FloatTensor' as parameter 'weight' "
                                                  "(torch.nn.Parameter or None expected)")):
        m.weight = pe.ones(2, 2)
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        m.register_buffer("weight", pe.ones(1))
    with pytest.raises(KeyError) as info:
        m.register_buffer("a.b", pe.ones(1))
    assert info.value.args[0] == 'buffer name can\'t contain "."'
    with pytest.raises(TypeError, match="buffer name should be a string. Got int"):
        m.register_buffer(1, pe.ones(1))
    with pytest.raises(TypeError, match="cannot assign 'int' object to buffer 'b'"):
        m.register_buffer("b", 3)
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        m.add_module("x", 3)
    with pytest.raises(TypeError, match=re.escape("Linear.__init__() takes 1 positional argument")):
        nn.Module.__init__(m, 3)
    with pytest.raises(NotImplementedError, match=re.escape('Module [Module] is missing the required "forward"')):
        nn.Module()(pe.ones(1))


def test_buffers_and_persistence():
    m = nn.Module()
    m.register_buffer("a", pe.ones(2))
    m.register_buffer("b", pe.zeros(1), persistent=False)
    m.c = nn.Buffer(pe.ones(3), persistent=False)
    assert [n for n, _ in m.named_buffers()] == ["a", "b", "c"]
    assert list(m.state_dict().keys()) == ["a"]
    m.a = pe.full((2,), 5.0)       # assignment to a registered buffer keeps it a buffer
    assert m.state_dict()["a"].tolist() == [5.0, 5.0]
    assert m.get_buffer("a") is m.a
    with pytest.raises(AttributeError, match="`b2` is not a buffer|has no attribute"):
        m.get_buffer("b2")


def test_load_state_dict_round_trip_and_errors():
    a, b = _lenet(nn, F), _lenet(nn, F)
    res = b.load_state_dict(a.state_dict())
    assert repr(res) == "<All keys matched successfully>"
    for (n1, p1), (n2, p2) in zip(a.named_parameters(), b.named_parameters()):
        assert n1 == n2 and np.array_equal(p1.detach().numpy(), p2.detach().numpy())
    sd = a.state_dict()
    del sd["fc1.bias"]
    sd["fc9.weight"] = pe.ones(1)
    sd["conv1.weight"] = pe.ones(6, 1, 3, 3)
    with pytest.raises(RuntimeError) as info:
        b.load_state_dict(sd)
    msg = str(info.value)
    assert msg.startswith("Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: "
                          '"fc1.bias". \n\tUnexpected key(s) in state_dict: "fc9.weight". \n\tsize mismatch for '
                          "conv1.weight: copying a param with shape torch.Size([6, 1, 3, 3]) from checkpoint, the "
                          "shape in current model is torch.Size([6, 1, 5, 5]).")
    del sd["conv1.weight"]
    res = b.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["conv1.weight", "fc1.bias"] and res.unexpected_keys == ["fc9.weight"]
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like, got <class 'list'>."):
        b.load_state_dict([])


def test_load_state_dict_error_text_matches_torch():
    torch = _torch()

    def attempt(m, nnmod, tensor):
        model = nnmod.Sequential(nnmod.Linear(3, 2), nnmod.BatchNorm1d(2))
        sd = {"0.weight": tensor(np.ones((2, 4), np.float32)), "1.bias": tensor(np.ones(2, np.float32)),
              "2.extra": tensor(np.ones(1, np.float32))}
        with pytest.raises(RuntimeError) as info:
            model.load_state_dict(sd)
        return str(info.value)
    assert attempt(nn, nn, pe.tensor) == attempt(torch.nn, torch.nn, torch.tensor)


def test_batchnorm_old_state_dict_gets_num_batches_tracked():
    bn = nn.BatchNorm2d(3)
    sd = bn.state_dict()
    del sd["num_batches_tracked"]
    sd._metadata[""]["version"] = 1
    assert repr(bn.load_state_dict(sd)) == "<All keys matched successfully>"


def test_forward_hooks_order_and_results():
    calls = []
    lin = nn.Linear(3, 2)
    h1 = lin.register_forward_pre_hook(lambda m, args: calls.append("pre") or (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append("post") or out + 1)
    h3 = lin.register_forward_hook(lambda m, args, kw, out: calls.append(("kw", kw)), with_kwargs=True,
                                   prepend=True)
    out = lin(pe.ones(4, 3))
    assert calls == ["pre", ("kw", {}), "post"]
    expect = lin.bias.detach().numpy() + 1
    np.testing.assert_allclose(out.detach().numpy(), np.broadcast_to(expect, (4, 2)), rtol=1e-6)
    for h in (h1, h2, h3):
        h.remove()
    calls.clear()
    lin(pe.ones(1, 3))
    assert calls == []
    with lin.register_forward_pre_hook(lambda m, a, k: (a, k), with_kwargs=True):
        lin(pe.ones(1, 3))
    assert not lin._forward_pre_hooks
    lin.register_forward_pre_hook(lambda m, a, k: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
        lin(pe.ones(1, 3))


def test_always_call_hook_runs_on_error():
    calls = []

    class Bad(nn.Module):
        def forward(self, x):
            raise ValueError("boom")
    m = Bad()
    m.register_forward_hook(lambda mod, a, out: calls.append(out), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        m(pe.ones(1))
    assert calls == [None]


def test_train_eval_apply_requires_grad():
    net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(), nn.Sequential(nn.BatchNorm1d(2)))
    assert net.training and net[2][0].training
    assert net.eval() is net and not net[1].training and not net[2][0].training
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train(1)
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Dropout", "BatchNorm1d", "Sequential", "Sequential"]
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_apply_init():
    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)
            nn.init.zeros_(m.bias)
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).apply(init_weights)
    assert net[0].weight.detach().numpy().tolist() == [[0.5, 0.5]] * 3
    assert net[2].bias.detach().numpy().tolist() == [0.0]


def test_to_dtype_and_float_double():
    net = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    w = net[0].weight
    net.double()
    assert all(p.dtype == pe.float64 for p in net.parameters())
    assert net[1].running_mean.dtype == pe.float64 and net[1].num_batches_tracked.dtype == pe.int64
    assert isinstance(net[0].weight, nn.Parameter) and net[0].weight.requires_grad
    np.testing.assert_allclose(net[0].weight.detach().numpy(), w.detach().numpy().astype(np.float64))
    net.to(pe.float32)
    assert net[0].weight.dtype == pe.float32
    w = net[0].weight
    assert net.to("cpu") is net and net[0].weight is w     # a no-op move keeps the Parameter object
    net.float()
    assert net[0].weight is w
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex dtypes, but got "
                                        "desired dtype=torch.int64"):
        net.to(pe.int64)
    out = net(pe.ones(4, 2))
    assert out.dtype == pe.float32


def test_to_keeps_grad():
    lin = nn.Linear(2, 2)
    lin.weight.grad = pe.ones(2, 2)
    lin.double()
    assert lin.weight.grad is not None and lin.weight.grad.dtype == pe.float64


def test_zero_grad():
    net = nn.Linear(3, 2)
    for p in net.parameters():
        p.grad = pe.ones(p.shape)
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_get_submodule_and_parameter():
    net = nn.Sequential(OrderedDict(a=nn.Sequential(OrderedDict(b=nn.Linear(2, 2)))))
    assert net.get_submodule("a.b") is net.a.b
    assert net.get_parameter("a.b.weight") is net.a.b.weight
    with pytest.raises(AttributeError, match="Sequential has no attribute `c`"):
        net.get_submodule("a.c")
    with pytest.raises(AttributeError, match="`b` is not an nn.Parameter"):
        net.get_parameter("a.b")


def test_parameter_basics():
    t = pe.ones(2, 2)
    p = nn.Parameter(t)
    assert p.requires_grad and p._is_view_of(t) and isinstance(p, pe.Tensor)
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)
    assert type(p * 2) is pe.Tensor


def test_custom_module_two_layer_net():
    class TwoLayerNet(nn.Module):
        def __init__(self, D_in, H, D_out):
            super().__init__()
            self.linear1 = nn.Linear(D_in, H)
            self.linear2 = nn.Linear(H, D_out)

        def forward(self, x):
            return self.linear2(self.linear1(x).clamp(min=0))
    m = TwoLayerNet(10, 5, 2)
    x = pe.randn(3, 10)
    ref = np.maximum(x.numpy() @ m.linear1.weight.detach().numpy().T + m.linear1.bias.detach().numpy(), 0)
    ref = ref @ m.linear2.weight.detach().numpy().T + m.linear2.bias.detach().numpy()
    np.testing.assert_allclose(m(x).detach().numpy(), ref, rtol=1e-5, atol=1e-6)
    assert math.isclose(sum(p.numel() for p in m.parameters()), 10 * 5 + 5 + 5 * 2 + 2)


def test_state_dict_keep_vars_and_prefix():
    lin = nn.Linear(2, 2)
    sd = lin.state_dict(keep_vars=True)
    assert sd["weight"] is lin.weight
    sd = lin.state_dict(prefix="enc.")
    assert list(sd) == ["enc.weight", "enc.bias"] and not isinstance(sd["enc.weight"], nn.Parameter)
    assert sd["enc.weight"]._is_view_of(lin.weight)


def test_load_state_dict_assign():
    lin = nn.Linear(2, 2)
    new_w = pe.zeros(2, 2)
    lin.load_state_dict({"weight": new_w, "bias": pe.zeros(2)}, assign=True)
    assert isinstance(lin.weight, nn.Parameter) and lin.weight._is_view_of(new_w) and lin.weight.requires_grad


def _bw_hook_run(eng, m, inputs_require_grad):
    """A module built from core differentiable ops (mm, mul, add, sum), with full backward (pre-)hooks; the hook
    scales grad_input[0] by 10 when the inputs require grad."""
    class MM(m.Module):
        def __init__(self):
            super().__init__()
            self.w = m.Parameter(eng.tensor(np.arange(6.0, dtype=np.float32).reshape(3, 2)))

        def forward(self, x, y):
            return x.mm(self.w) * 2 + y

    mod, seen = MM(), {}

    def hook(module, grad_input, grad_output):
        seen["gi"] = [None if g is None else g.numpy().copy() for g in grad_input]
        seen["go"] = [None if g is None else g.numpy().copy() for g in grad_output]
        return (grad_input[0] * 10, grad_input[1]) if inputs_require_grad else None

    def pre_hook(module, grad_output):
        seen["pre"] = len(grad_output)
    mod.register_full_backward_hook(hook)
    mod.register_full_backward_pre_hook(pre_hook)
    x = eng.ones(2, 3, requires_grad=inputs_require_grad)
    y = eng.ones(2, 2, requires_grad=inputs_require_grad)
    out = mod(x, y)
    (out * out).sum().backward()
    grads = [None if t.grad is None else t.grad.numpy() for t in (x, y, mod.w)]
    return seen, grads


@pytest.mark.parametrize("inputs_require_grad", [True, False])
def test_full_backward_hooks_match_torch(inputs_require_grad):
    torch = _torch()
    with warnings.catch_warnings(record=True) as w_ours:
        warnings.simplefilter("always")
        ours = _bw_hook_run(pe, nn, inputs_require_grad)
    with warnings.catch_warnings(record=True) as w_torch:
        warnings.simplefilter("always")
        theirs = _bw_hook_run(torch, torch.nn, inputs_require_grad)
    (s1, g1), (s2, g2) = ours, theirs
    assert s1["pre"] == s2["pre"] == 1
    for key in ("gi", "go"):
        assert len(s1[key]) == len(s2[key])
        for a, b in zip(s1[key], s2[key]):
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_allclose(a, b)
    for a, b in zip(g1, g2):           # x.grad was scaled by the hook's returned grad_input
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b)
    assert [str(x.message) for x in w_ours] == [str(x.message) for x in w_torch]


def test_full_backward_hook_removal():
    lin = nn.Linear(2, 2)
    h = lin.register_full_backward_hook(lambda m, gi, go: None)
    h2 = lin.register_full_backward_pre_hook(lambda m, go: None)
    assert len(lin._backward_hooks) == 1 and len(lin._backward_pre_hooks) == 1
    h.remove()
    h2.remove()
    assert not lin._backward_hooks and not lin._backward_pre_hooks


def _legacy_hook_run(eng, m):
    class MM(m.Module):
        def __init__(self):
            super().__init__()
            self.w = m.Parameter(eng.tensor(np.arange(6.0, dtype=np.float32).reshape(3, 2)))

        def forward(self, x):
            return x.mm(self.w) * 2
    mod, seen = MM(), []
    mod.register_backward_hook(lambda mo, gi, go: seen.append(
        ([None if g is None else g.numpy().tolist() for g in gi], [g.numpy().tolist() for g in go])))
    x = eng.ones(2, 3, requires_grad=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        mod(x * 1).sum().backward()
    return seen, [str(a.message) for a in w]


def test_legacy_backward_hook_matches_torch():
    torch = _torch()
    assert _legacy_hook_run(pe, nn) == _legacy_hook_run(torch, torch.nn)
    lin = nn.Linear(2, 2)
    lin.register_full_backward_hook(lambda *a: None)
    with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full backward hooks"):
        lin.register_backward_hook(lambda *a: None)


def test_state_dict_and_whole_module_through_save_load(tmp_path):
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 3))
    net(pe.randn(2, 1, 4, 4))                  # moves the batch-norm statistics
    pe.save(net.state_dict(), tmp_path / "sd.pt")
    other = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 3))
    assert repr(other.load_state_dict(pe.load(tmp_path / "sd.pt"))) == "<All keys matched successfully>"
    for (k, a), (_, b) in zip(net.state_dict().items(), other.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    pe.save(net, tmp_path / "net.pt")
    loaded = pe.load(tmp_path / "net.pt", weights_only=False)
    assert repr(loaded) == repr(net) and isinstance(loaded[0].weight, nn.Parameter)
    x = pe.randn(3, 1, 4, 4)
    net.eval()
    loaded.eval()
    np.testing.assert_array_equal(loaded(x).detach().numpy(), net(x).detach().numpy())
