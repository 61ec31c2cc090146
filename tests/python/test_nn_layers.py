"""nn layers: forward values against torch with the same (copied) weights, PyTorch's default initialisation
(bounds and statistics), constructor errors, and the functional forms added for the layers."""
import math
import re

import numpy as np
import pytest

import pyengine as pe
from pyengine import nn
import pyengine.nn.functional as F


def _torch():
    return pytest.importorskip("torch")


def _copy_from_torch(ours, theirs):
    """Loads torch module `theirs`' state into `ours` (same key names)."""
    sd = {k: pe.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    ours.load_state_dict(sd)


def _check(ours, theirs, *inputs, rtol=1e-5, atol=1e-6, train=False):
    torch = _torch()
    _copy_from_torch(ours, theirs)
    ours.train(train)
    theirs.train(train)
    got = ours(*[pe.tensor(x) for x in inputs])
    want = theirs(*[torch.from_numpy(np.array(x)) for x in inputs])
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=rtol, atol=atol)
    for k, v in theirs.state_dict().items():   # running statistics updated the same way
        np.testing.assert_allclose(ours.state_dict()[k].numpy(), v.numpy(), rtol=rtol, atol=atol, err_msg=k)


rng = np.random.default_rng(0)


def _x(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


CASES = [
    ("Linear(5, 3)", lambda m: m.Linear(5, 3), [(4, 5)]),
    ("Linear no bias 3-d", lambda m: m.Linear(5, 3, bias=False), [(2, 4, 5)]),
    ("Bilinear", lambda m: m.Bilinear(3, 4, 2), [(5, 3), (5, 4)]),
    ("Conv2d", lambda m: m.Conv2d(3, 4, 3), [(2, 3, 8, 8)]),
    ("Conv2d strided padded", lambda m: m.Conv2d(2, 4, (3, 2), stride=2, padding=1, dilation=(1, 2), groups=2),
     [(2, 2, 9, 7)]),
    ("Conv2d same", lambda m: m.Conv2d(1, 2, 4, padding="same", bias=False), [(1, 1, 6, 6)]),
    ("MaxPool2d", lambda m: m.MaxPool2d(2), [(2, 3, 6, 6)]),
    ("MaxPool2d ceil", lambda m: m.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), [(1, 2, 7, 7)]),
    ("AvgPool2d", lambda m: m.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), [(1, 2, 7, 7)]),
    ("AdaptiveAvgPool2d", lambda m: m.AdaptiveAvgPool2d((3, None)), [(2, 2, 7, 5)]),
    ("ReLU", lambda m: m.ReLU(), [(3, 4)]),
    ("LeakyReLU", lambda m: m.LeakyReLU(0.2), [(3, 4)]),
    ("Sigmoid", lambda m: m.Sigmoid(), [(3, 4)]),
    ("Tanh", lambda m: m.Tanh(), [(3, 4)]),
    ("GELU", lambda m: m.GELU(), [(3, 4)]),
    ("GELU tanh", lambda m: m.GELU(approximate="tanh"), [(3, 4)]),
    ("Softmax", lambda m: m.Softmax(dim=1), [(3, 4)]),
    ("LogSoftmax", lambda m: m.LogSoftmax(dim=0), [(3, 4)]),
    ("Flatten", lambda m: m.Flatten(), [(2, 3, 4)]),
    ("Flatten 0", lambda m: m.Flatten(0, 1), [(2, 3, 4)]),
    ("Unflatten", lambda m: m.Unflatten(1, (2, 3)), [(4, 6)]),
    ("Identity", lambda m: m.Identity(54, unused="x"), [(2, 2)]),
    ("LayerNorm", lambda m: m.LayerNorm(4), [(3, 4)]),
    ("LayerNorm 2d no bias", lambda m: m.LayerNorm([3, 4], bias=False), [(2, 3, 4)]),
    ("Sequential", lambda m: m.Sequential(m.Linear(4, 8), m.ReLU(), m.Linear(8, 2)), [(5, 4)]),
]


@pytest.mark.parametrize("name,make,shapes", CASES, ids=[c[0] for c in CASES])
def test_layer_forward_matches_torch(name, make, shapes):
    torch = _torch()
    torch.manual_seed(0)
    _check(make(nn), make(torch.nn), *[_x(*s) for s in shapes])


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("name,make,shape", [
    ("BatchNorm1d", lambda m: m.BatchNorm1d(3), (8, 3)),
    ("BatchNorm1d 3d", lambda m: m.BatchNorm1d(3, momentum=None), (4, 3, 5)),
    ("BatchNorm2d", lambda m: m.BatchNorm2d(2, eps=1e-3, momentum=0.3), (4, 2, 3, 3)),
    ("BatchNorm2d no stats", lambda m: m.BatchNorm2d(2, track_running_stats=False, affine=False), (4, 2, 3, 3)),
])
def test_batchnorm_matches_torch(name, make, shape, train):
    torch = _torch()
    ours, theirs = make(nn), make(torch.nn)
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(0.5, 1.5)
    x = _x(*shape)
    for _ in range(3):   # several steps: running statistics and num_batches_tracked evolve alike
        _check(ours, theirs, x, train=train)
        x = x * 1.5 + 0.25


def test_batchnorm_input_dim_errors():
    with pytest.raises(ValueError, match=re.escape("expected 2D or 3D input (got 4D input)")):
        nn.BatchNorm1d(3)(pe.ones(2, 3, 1, 1))
    with pytest.raises(ValueError, match=re.escape("expected 4D input (got 2D input)")):
        nn.BatchNorm2d(3)(pe.ones(2, 3))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(pe.ones(1, 3))


def test_dropout_module():
    pe.manual_seed(0)
    d = nn.Dropout(0.5)
    x = pe.ones(1000)
    y = d(x).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and 350 < (y == 0).sum() < 650
    d.eval()
    assert np.array_equal(d(x).numpy(), x.numpy())
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    x = pe.ones(10)
    out = nn.Dropout(0.3, inplace=True)(x)
    assert out._is_view_of(x)


def test_relu_inplace():
    x = pe.tensor([-1.0, 2.0])
    y = nn.ReLU(inplace=True)(x)
    assert y.tolist() == [0.0, 2.0] and x.tolist() == [0.0, 2.0]
    x = pe.tensor([-1.0, 2.0])
    F.leaky_relu_(x, 0.5)
    assert x.tolist() == [-0.5, 2.0]


def test_embedding_matches_torch():
    torch = _torch()
    ours, theirs = nn.Embedding(10, 3, padding_idx=2), torch.nn.Embedding(10, 3, padding_idx=2)
    idx = np.array([[1, 2, 9], [0, 0, 4]])
    _copy_from_torch(ours, theirs)
    np.testing.assert_array_equal(ours(pe.tensor(idx)).detach().numpy(),
                                  theirs(torch.from_numpy(idx)).detach().numpy())
    assert not ours.weight[2].detach().numpy().any()        # the padding row starts at zero
    e = nn.Embedding.from_pretrained(pe.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert not e.weight.requires_grad and e(pe.tensor([1])).tolist() == [[3.0, 4.0]]
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices' to have one of the "
                                           "following scalar types: Long, Int; but got torch.FloatTensor"):
        ours(pe.ones(2))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(3, 2, padding_idx=3)
    assert nn.Embedding(3, 2, padding_idx=-1).padding_idx == 2


def test_embedding_max_norm_matches_torch():
    torch = _torch()
    ours, theirs = nn.Embedding(6, 4, max_norm=1.0), torch.nn.Embedding(6, 4, max_norm=1.0)
    _copy_from_torch(ours, theirs)
    idx = np.array([0, 3, 3, 5])
    with torch.no_grad():
        want = theirs(torch.from_numpy(idx))
    got = ours(pe.tensor(idx))
    np.testing.assert_allclose(got.detach().numpy(), want.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_losses_match_torch():
    torch = _torch()
    x, y = _x(4, 3), _x(4, 3)
    p = 1 / (1 + np.exp(-x))
    t01 = (rng.random((4, 3)) > 0.5).astype(np.float32)
    cls = np.array([0, 2, 1, 2])
    w = np.array([0.2, 1.0, 3.0], np.float32)
    cases = [
        (lambda m: m.MSELoss(), x, y), (lambda m: m.MSELoss(reduction="sum"), x, y),
        (lambda m: m.L1Loss(reduction="none"), x, y), (lambda m: m.SmoothL1Loss(beta=0.5), x, y),
        (lambda m: m.CrossEntropyLoss(), x, cls),
        (lambda m: m.CrossEntropyLoss(weight=m_t(m, w), label_smoothing=0.1, reduction="sum"), x, cls),
        (lambda m: m.CrossEntropyLoss(ignore_index=2), x, cls),
        (lambda m: m.NLLLoss(weight=m_t(m, w)), np.log(p / p.sum(1, keepdims=True)), cls),
        (lambda m: m.BCELoss(), p, t01), (lambda m: m.BCELoss(weight=m_t(m, w), reduction="none"), p, t01),
        (lambda m: m.BCEWithLogitsLoss(pos_weight=m_t(m, w)), x, t01),
    ]
    for make, a, b in cases:
        ours, theirs = make(nn), make(torch.nn)
        got = ours(pe.tensor(a), pe.tensor(b))
        want = theirs(torch.from_numpy(a), torch.from_numpy(b))
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)
        assert list(ours.state_dict()) == list(theirs.state_dict())


def m_t(m, arr):
    """A tensor of the engine that module namespace m belongs to."""
    return pe.tensor(arr) if m is nn else __import__("torch").from_numpy(arr)


def test_loss_legacy_arguments():
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated, please use "
                                         "reduction='sum' instead."):
        loss = nn.MSELoss(size_average=False)
    assert loss.reduction == "sum"


# ---- default initialisation ----

def test_linear_conv_default_init_bounds():
    pe.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)      # kaiming_uniform_(a=sqrt(5)): gain sqrt(2/6), bound gain*sqrt(3/fan_in)
    w = lin.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    b = lin.bias.detach().numpy()
    assert np.abs(b).max() <= bound and abs(b.mean()) < 0.1 * bound
    conv = nn.Conv2d(6, 16, 5)
    bound = 1 / math.sqrt(6 * 25)
    assert np.abs(conv.weight.detach().numpy()).max() <= bound
    assert np.abs(conv.bias.detach().numpy()).max() <= bound
    bil = nn.Bilinear(20, 3, 2)
    assert np.abs(bil.weight.detach().numpy()).max() <= 1 / math.sqrt(20)


def test_norm_embedding_default_init():
    bn = nn.BatchNorm2d(5)
    assert bn.weight.tolist() == [1.0] * 5 and bn.bias.tolist() == [0.0] * 5
    assert bn.running_var.tolist() == [1.0] * 5 and bn.num_batches_tracked.item() == 0
    ln = nn.LayerNorm((2, 3))
    assert ln.weight.shape == (2, 3) and ln.weight.detach().numpy().min() == 1.0
    pe.manual_seed(1)
    emb = nn.Embedding(500, 100)
    w = emb.weight.detach().numpy()
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1.0) < 0.02


def test_init_functions():
    pe.manual_seed(0)
    w = pe.empty(200, 300)
    nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain("relu"))
    a = math.sqrt(2) * math.sqrt(6 / 500)
    assert np.abs(w.numpy()).max() <= a and abs(w.numpy().std() - a / math.sqrt(3)) < 0.02 * a
    nn.init.xavier_normal_(w)
    assert abs(w.numpy().std() - math.sqrt(2 / 500)) < 0.02 * math.sqrt(2 / 500)
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.numpy().std() - math.sqrt(2 / 200)) < 0.02 * math.sqrt(2 / 200)
    nn.init.kaiming_uniform_(w, nonlinearity="relu")
    assert np.abs(w.numpy()).max() <= math.sqrt(6 / 300)
    nn.init.uniform_(w, -2, -1)
    assert w.numpy().max() <= -1 and w.numpy().min() >= -2
    nn.init.normal_(w, 3, 0.5)
    assert abs(w.numpy().mean() - 3) < 0.01
    nn.init.trunc_normal_(w, std=2.0, a=-1.0, b=1.5)
    assert w.numpy().min() >= -1 and w.numpy().max() <= 1.5
    nn.init.trunc_normal_(w, mean=0.0, std=10.0, a=0.0, b=0.1)
    assert w.numpy().min() >= 0 and w.numpy().max() <= 0.1
    nn.init.constant_(w, 0.3)
    assert np.all(w.numpy() == np.float32(0.3))
    nn.init.ones_(w)
    nn.init.zeros_(w)
    assert not w.numpy().any()
    e = nn.init.eye_(pe.empty(3, 4))
    assert np.array_equal(e.numpy(), np.eye(3, 4))
    d = nn.init.dirac_(pe.empty(2, 2, 3, 3))
    assert d.numpy()[0, 0, 1, 1] == 1 and d.numpy().sum() == 2
    q = nn.init.orthogonal_(pe.empty(3, 5)).numpy()
    np.testing.assert_allclose(q @ q.T, np.eye(3), atol=1e-5)
    s = nn.init.sparse_(pe.empty(10, 4), sparsity=0.3).numpy()
    assert ((s == 0).sum(0) >= 3).all()


def test_init_gains_and_errors():
    torch = _torch()
    for nl, param in [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                      ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)]:
        assert nn.init.calculate_gain(nl, param) == torch.nn.init.calculate_gain(nl, param)
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        nn.init.calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        nn.init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with fewer than 2 "
                                         "dimensions"):
        nn.init.xavier_uniform_(pe.empty(3))
    with pytest.raises(ValueError, match=re.escape("Mode fan_x not supported, please use one of ['fan_in', "
                                                   "'fan_out']")):
        nn.init.kaiming_uniform_(pe.empty(3, 3), mode="fan_x")
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        nn.init.eye_(pe.empty(3))
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        nn.init.kaiming_uniform_(pe.empty(0, 3))
    with pytest.warns(FutureWarning, match="`nn.init.normal` is now deprecated in favor of `nn.init.normal_`."):
        nn.init.normal(pe.empty(2))


def test_init_fans_match_torch():
    torch = _torch()
    for shape in [(3, 4), (6, 1, 5, 5), (2, 3, 4)]:
        assert nn.init._calculate_fan_in_and_fan_out(pe.empty(*shape)) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


def test_conv_constructor_errors():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        nn.Conv2d(4, 4, 3, groups=0)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="Invalid padding string 'full'"):
        nn.Conv2d(1, 1, 3, padding="full")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(1, 1, 3, padding_mode="wrap")
    assert nn.Conv2d(1, 1, 3, padding=1, padding_mode="reflect")(pe.zeros(1, 1, 4, 4)).shape == (1, 1, 4, 4)


def test_factory_kwargs_dtype():
    lin = nn.Linear(3, 2, dtype=pe.float64)
    assert lin.weight.dtype == pe.float64 and lin(pe.ones(1, 3, dtype=pe.float64)).dtype == pe.float64
    bn = nn.BatchNorm1d(2, dtype=pe.float64)
    assert bn.running_mean.dtype == pe.float64 and bn.num_batches_tracked.dtype == pe.int64


def test_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert isinstance(seq[0], nn.Linear) and isinstance(seq[-1], nn.Linear) and len(seq) == 3
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2 and sub[0] is seq[1]
    with pytest.raises(IndexError, match="index 3 is out of range"):
        seq[3]
    del seq[1]
    assert list(seq._modules) == ["0", "1"]
    seq.insert(1, nn.Tanh())
    assert isinstance(seq[1], nn.Tanh) and len(seq) == 3
    seq[1] = nn.Sigmoid()
    assert isinstance(seq[1], nn.Sigmoid)
    assert len(seq + nn.Sequential(nn.ReLU())) == 4 and len(seq * 2) == 6
    assert isinstance(seq.pop(1), nn.Sigmoid) and len(seq) == 2
    seq.extend([nn.ReLU()])
    assert len(seq) == 3
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential class"):
        seq + 1
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    assert len(list(ml.parameters())) == 6 and len(ml[:2]) == 2
    ml.append(nn.ReLU())
    ml.insert(0, nn.Tanh())
    assert isinstance(ml[0], nn.Tanh) and len(ml) == 5
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2", "3"]
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable, but got Linear"):
        ml.extend(nn.Linear(1, 1))
    md = nn.ModuleDict({"a": nn.ReLU()})
    md["b"] = nn.Linear(1, 1)
    md.update([("c", nn.Tanh())])
    assert list(md.keys()) == ["a", "b", "c"] and "b" in md and len(md) == 3
    assert isinstance(md.pop("a"), nn.ReLU) and list(md) == ["b", "c"]
    pl = nn.ParameterList([pe.ones(2), nn.Parameter(pe.zeros(3))])
    assert all(isinstance(p, nn.Parameter) for p in pl) and len(list(pl.parameters())) == 2
    pl.append(pe.ones(1))
    assert len(pl) == 3 and [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        pl(1)
    pd = nn.ParameterDict({"w": pe.ones(2)})
    assert isinstance(pd["w"], nn.Parameter) and list(pd.keys()) == ["w"]


def test_module_list_in_module_registers():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
            self.scale = nn.ParameterList([nn.Parameter(pe.ones(1))])
    assert [n for n, _ in Net().named_parameters()] == ["layers.0.weight", "layers.0.bias", "layers.1.weight",
                                                        "layers.1.bias", "scale.0"]


def test_data_parallel_cpu():
    lin = nn.Linear(5, 2)
    dp = nn.DataParallel(lin)
    assert dp.module is lin
    if not pe.cuda.is_available():
        assert dp.device_ids == []
    x = pe.randn(7, 5)
    if pe.cuda.is_available():  # as PyTorch: with GPUs, the module must be on device_ids[0]
        with pytest.raises(RuntimeError, match="module must have its parameters and buffers on device cuda:0"):
            dp(x)
    else:
        np.testing.assert_allclose(dp(x).detach().numpy(), lin(x).detach().numpy())
    assert [n for n, _ in dp.named_parameters()] == ["module.weight", "module.bias"]
    assert repr(dp).startswith("DataParallel(\n  (module): Linear(")
    assert pe.cuda.device_count() >= 0


def test_functional_activations_match_torch():
    torch = _torch()
    import torch.nn.functional as TF
    x = _x(5, 7)
    for ours, theirs in [(F.relu, TF.relu), (F.gelu, TF.gelu), (F.tanh, torch.tanh), (F.sigmoid, torch.sigmoid),
                         (lambda t: F.gelu(t, approximate="tanh"), lambda t: TF.gelu(t, approximate="tanh")),
                         (lambda t: F.leaky_relu(t, 0.3), lambda t: TF.leaky_relu(t, 0.3))]:
        np.testing.assert_allclose(ours(pe.tensor(x)).numpy(), theirs(torch.from_numpy(x)).numpy(), rtol=1e-5,
                                   atol=1e-6)
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh."):
        F.gelu(pe.tensor(x), approximate="fast")
