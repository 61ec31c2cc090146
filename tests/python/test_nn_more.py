"""The modules over the added nn.functional ops (activations, losses, norms, distances, pixel/channel shuffles,
dropouts) against PyTorch: printing, state_dict keys, outputs and input gradients on the same parameters; and
the torch.* helpers op_db does not cover (finfo, iinfo, can_cast, broadcast_shapes, unique(dim), einsum
forms). The functions themselves are also checked sample by sample by tests/python/test_opinfo.py."""
import numpy as np
import pytest

import pyengine as pe
from nn_testing import outcome

torch = pytest.importorskip("torch")


def P(t):
    return pe.tensor(t.detach().numpy())


def close(a, b, tol=1e-9):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=tol, rtol=tol)


MODULES = [
    ("ELU", (), {"alpha": 0.7}, [(3, 4)]), ("CELU", (), {}, [(3, 4)]), ("SELU", (), {}, [(3, 4)]),
    ("GLU", (), {"dim": 1}, [(3, 4)]), ("Hardshrink", (0.3,), {}, [(3, 4)]), ("Hardsigmoid", (), {}, [(3, 4)]),
    ("Hardswish", (), {}, [(3, 4)]), ("Hardtanh", (-0.5, 0.5), {}, [(3, 4)]), ("ReLU6", (), {}, [(3, 4)]),
    ("LogSigmoid", (), {}, [(3, 4)]), ("Mish", (), {}, [(3, 4)]), ("SiLU", (), {}, [(3, 4)]),
    ("Softmin", (), {"dim": 1}, [(3, 4)]), ("Softplus", (), {"beta": 2.0}, [(3, 4)]),
    ("Softshrink", (), {}, [(3, 4)]), ("Softsign", (), {}, [(3, 4)]), ("Tanhshrink", (), {}, [(3, 4)]),
    ("Threshold", (0.1, 20.0), {}, [(3, 4)]), ("PReLU", (4,), {}, [(3, 4, 5)]),
    ("RMSNorm", (5,), {}, [(3, 4, 5)]), ("GroupNorm", (2, 4), {}, [(3, 4, 5)]),
    ("InstanceNorm1d", (4,), {"affine": True}, [(3, 4, 5)]), ("InstanceNorm2d", (4,), {}, [(2, 4, 3, 3)]),
    ("LocalResponseNorm", (3,), {}, [(2, 4, 3, 3)]), ("CosineSimilarity", (), {}, [(3, 4), (3, 4)]),
    ("PairwiseDistance", (), {}, [(3, 4), (3, 4)]), ("PixelShuffle", (2,), {}, [(2, 8, 3, 3)]),
    ("PixelUnshuffle", (2,), {}, [(2, 2, 4, 4)]), ("ChannelShuffle", (2,), {}, [(2, 4, 3, 3)]),
    ("HuberLoss", (), {"delta": 0.5}, [(3, 4), (3, 4)]), ("SoftMarginLoss", (), {}, [(3, 4), "sign"]),
    ("KLDivLoss", (), {"reduction": "batchmean"}, [(3, 4), "prob"]),
    ("MultiLabelSoftMarginLoss", (), {}, [(3, 4), "binary"]), ("PoissonNLLLoss", (), {}, [(3, 4), "prob"]),
    ("GaussianNLLLoss", (), {}, [(3, 4), (3, 4), "prob"]), ("HingeEmbeddingLoss", (), {}, [(3, 4), "sign"]),
    ("MarginRankingLoss", (), {"margin": 0.1}, [(5,), (5,), "sign"]),
    ("CosineEmbeddingLoss", (), {}, [(3, 4), (3, 4), "sign3"]),
    ("TripletMarginLoss", (), {}, [(3, 4), (3, 4), (3, 4)]),
]


def _inputs(specs):
    g = torch.Generator().manual_seed(0)
    out = []
    for s in specs:
        if s == "sign":
            out.append(torch.randint(0, 2, out[0].shape, generator=g).double() * 2 - 1)
        elif s == "sign3":
            out.append(torch.tensor([1.0, -1.0, 1.0], dtype=torch.double))
        elif s == "prob":
            out.append(torch.rand(out[0].shape, generator=g, dtype=torch.double) + 0.1)
        elif s == "binary":
            out.append(torch.randint(0, 2, out[0].shape, generator=g).double())
        else:
            out.append(torch.randn(s, generator=g, dtype=torch.double, requires_grad=True))
    return out


@pytest.mark.parametrize("name,args,kwargs,specs", MODULES, ids=[m[0] for m in MODULES])
def test_module_matches_torch(name, args, kwargs, specs):
    tm = getattr(torch.nn, name)(*args, **kwargs).double()
    pm = getattr(pe.nn, name)(*args, **kwargs).double()
    assert repr(pm) == repr(tm)
    assert list(pm.state_dict()) == list(tm.state_dict())
    pm.load_state_dict({k: P(v) for k, v in tm.state_dict().items()})
    t_in = _inputs(specs)
    p_in = [P(t).requires_grad_(t.requires_grad) for t in t_in]
    want, got = tm(*t_in), pm(*p_in)
    close(got, want)
    want.sum().backward()
    got.sum().backward()
    # PyTorch's hardsigmoid backward multiplies by a float32 1/6, also in double.
    tol = 1e-7 if name == "Hardsigmoid" else 1e-9
    for a, b in zip(p_in, t_in):
        if b.requires_grad:
            close(a.grad, b.grad, tol)


@pytest.mark.parametrize("name", ["Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"])
def test_dropout_modules(name):
    dims = {"Dropout1d": 3, "Dropout2d": 4, "Dropout3d": 5}.get(name, 4)
    m = getattr(pe.nn, name)(p=0.5)
    assert repr(m) == repr(getattr(torch.nn, name)(p=0.5))
    x = pe.ones(*([8] * dims))
    m.eval()
    assert np.array_equal(m(x).numpy(), x.numpy())
    m.train()
    y = m(x).numpy()
    if name.startswith("Dropout"):
        # whole channels are zeroed or scaled by 1 / (1 - p)
        per_channel = y.reshape(8, 8, -1)
        assert set(np.unique(per_channel)) <= {0.0, 2.0}
        assert all(len(np.unique(c)) == 1 for c in per_channel.reshape(64, -1))
    assert outcome(lambda: getattr(pe.nn, name)(p=1.5))[0] is ValueError


def test_finfo_iinfo_can_cast():
    for name in ("float16", "bfloat16", "float32", "float64"):
        a, b = pe.finfo(getattr(pe, name)), torch.finfo(getattr(torch, name))
        for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
            assert getattr(a, attr) == getattr(b, attr), (name, attr)
    assert pe.finfo().eps == torch.finfo().eps
    for name in ("uint8", "int8", "int16", "int32", "int64"):
        a, b = pe.iinfo(getattr(pe, name)), torch.iinfo(getattr(torch, name))
        assert (a.bits, a.min, a.max) == (b.bits, b.min, b.max)
    assert outcome(lambda: pe.finfo(pe.int32))[0] is outcome(lambda: torch.finfo(torch.int32))[0]
    names = ["bool", "uint8", "int64", "float16", "float32", "float64"]
    for x in names:
        for y in names:
            assert pe.can_cast(getattr(pe, x), getattr(pe, y)) == torch.can_cast(getattr(torch, x), getattr(torch, y))


def test_broadcast_shapes_and_tensors():
    assert tuple(pe.broadcast_shapes((3, 1), (1, 4), (4,))) == tuple(torch.broadcast_shapes((3, 1), (1, 4), (4,)))
    assert outcome(lambda: pe.broadcast_shapes((3,), (4,)))[0] is RuntimeError
    a, b = pe.broadcast_tensors(pe.ones(3, 1), pe.zeros(4))
    assert tuple(a.shape) == tuple(b.shape) == (3, 4)


def test_unique_variants():
    t = torch.tensor([[1, 2], [1, 2], [0, 5], [1, 2]])
    for kw in ({}, {"return_inverse": True}, {"return_counts": True}, {"return_inverse": True, "return_counts": True}):
        want = torch.unique(t, **kw)
        got = pe.unique(P(t), **kw)
        for g, w in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
            assert g.tolist() == w.tolist()
        want = torch.unique(t, dim=0, **kw)
        got = pe.unique(P(t), dim=0, **kw)
        for g, w in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
            assert g.tolist() == w.tolist()
    c = torch.tensor([1, 1, 2, 2, 3, 1, 1])
    for g, w in zip(pe.unique_consecutive(P(c), return_inverse=True, return_counts=True),
                    torch.unique_consecutive(c, return_inverse=True, return_counts=True)):
        assert g.tolist() == w.tolist()


@pytest.mark.parametrize("eq,shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]), ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]), ("i,j->ij", [(3,), (4,)]), ("...ij,...jk", [(2, 2, 3), (3, 4)]), ("ijk->kji", [(2, 3, 4)]),
    ("ij,ij->", [(2, 3), (2, 3)]), ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]), ("i,i", [(4,), (4,)]),
])
def test_einsum_forms(eq, shapes):
    g = torch.Generator().manual_seed(1)
    ts = [torch.randn(s, generator=g, dtype=torch.double, requires_grad=True) for s in shapes]
    ps = [P(t).requires_grad_() for t in ts]
    want, got = torch.einsum(eq, *ts), pe.einsum(eq, *ps)
    close(got, want)
    want.sum().backward()
    got.sum().backward()
    for a, b in zip(ps, ts):
        close(a.grad, b.grad)


def test_inplace_rules_like_torch():
    for fn in (lambda m, x: x.deg2rad_(), lambda m, x: x.logit_(), lambda m, x: x.xlogy_(m.ones(3))):
        want = outcome(lambda: fn(torch, torch.arange(3)))
        got = outcome(lambda: fn(pe, pe.arange(3)))
        assert want[0] is RuntimeError and got[0] is RuntimeError, (want, got)
