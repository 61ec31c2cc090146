"""nn.RNN/LSTM/GRU, their cells and nn.utils.rnn against PyTorch on the same weights: outputs, final states,
input and parameter gradients for each configuration (layers, directions, batch_first, packed, proj_size,
unbatched), gradcheck in float64, a small training loop, and PyTorch's errors for bad input."""
import numpy as np
import pytest

import pyengine as pe
from nn_testing import outcome as _err

torch = pytest.importorskip("torch")


@pytest.fixture(params=[True, False], ids=["fused", "composite"], autouse=True)
def rnn_form(request):
    """Every test runs on both forms of the recurrence: the fused C++ layer and the composite graph."""
    from pyengine.nn import _rnn_impl
    _rnn_impl.set_fused(request.param)
    yield request.param
    _rnn_impl.set_fused(True)


def P(t):
    return pe.tensor(t.detach().numpy())


def close(a, b, tol=1e-9):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=tol, rtol=tol)


def twin(cls, *args, **kw):
    tm = getattr(torch.nn, cls)(*args, **kw).double()
    pm = getattr(pe.nn, cls)(*args, **kw).double()
    pm.load_state_dict({k: P(v) for k, v in tm.state_dict().items()})
    return tm, pm


CONFIGS = [
    ("LSTM", {}), ("LSTM", dict(num_layers=2, bidirectional=True)), ("LSTM", dict(batch_first=True, num_layers=2)),
    ("LSTM", dict(proj_size=3)), ("LSTM", dict(proj_size=3, bidirectional=True, num_layers=2)),
    ("LSTM", dict(bias=False)), ("GRU", {}), ("GRU", dict(num_layers=2, bidirectional=True)),
    ("GRU", dict(batch_first=True, bias=False)), ("RNN", {}), ("RNN", dict(nonlinearity="relu", num_layers=2)),
    ("RNN", dict(bidirectional=True, batch_first=True)),
]


def _states(h):
    return list(h) if isinstance(h, tuple) else [h]


@pytest.mark.parametrize("cls,kw", CONFIGS)
def test_rnn_matches_torch(cls, kw):
    torch.manual_seed(0)
    tm, pm = twin(cls, 5, 7, **kw)
    assert [n for n, _ in tm.named_parameters()] == [n for n, _ in pm.named_parameters()]
    assert repr(tm) == repr(pm)
    x = torch.randn(4, 3, 5, dtype=torch.double, requires_grad=True)
    xp = P(x).requires_grad_()
    d = (2 if kw.get("bidirectional") else 1) * kw.get("num_layers", 1)
    h_size = kw.get("proj_size") or 7
    nb = 4 if kw.get("batch_first") else 3
    h0 = torch.randn(d, nb, h_size, dtype=torch.double)
    hx = (h0, torch.randn(d, nb, 7, dtype=torch.double)) if cls == "LSTM" else h0
    phx = tuple(P(h) for h in hx) if cls == "LSTM" else P(hx)
    for args_t, args_p in (((x,), (xp,)), ((x, hx), (xp, phx))):
        to, th = tm(*args_t)
        po, ph = pm(*args_p)
        close(po, to)
        for a, b in zip(_states(ph), _states(th)):
            close(a, b)
        loss_t = to.pow(2).sum() + sum(s.sum() * (i + 2) for i, s in enumerate(_states(th)))
        loss_p = po.pow(2).sum() + sum(s.sum() * (i + 2) for i, s in enumerate(_states(ph)))
        loss_t.backward()
        loss_p.backward()
        close(xp.grad, x.grad)
        for (name, a), (_, b) in zip(pm.named_parameters(), tm.named_parameters()):
            close(a.grad, b.grad)
        x.grad = None
        xp.grad = None
        tm.zero_grad()
        pm.zero_grad()


@pytest.mark.parametrize("cls,kw", CONFIGS)
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_rnn_packed_matches_torch(cls, kw, enforce_sorted):
    torch.manual_seed(1)
    tm, pm = twin(cls, 5, 7, **kw)
    bf = kw.get("batch_first", False)
    lengths = [4, 2, 1] if enforce_sorted else [2, 4, 1]
    x = torch.randn(4, 3, 5, dtype=torch.double)
    if bf:
        x = x.transpose(0, 1).contiguous()
    x.requires_grad_()
    xp = P(x).requires_grad_()
    tp = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=bf, enforce_sorted=enforce_sorted)
    pp = pe.nn.utils.rnn.pack_padded_sequence(xp, lengths, batch_first=bf, enforce_sorted=enforce_sorted)
    close(pp.data, tp.data)
    assert pp.batch_sizes.tolist() == tp.batch_sizes.tolist()
    to, th = tm(tp)
    po, ph = pm(pp)
    assert isinstance(po, pe.nn.utils.rnn.PackedSequence)
    close(po.data, to.data)
    for a, b in zip(_states(ph), _states(th)):
        close(a, b)
    a, la = torch.nn.utils.rnn.pad_packed_sequence(to, batch_first=bf, total_length=5)
    b, lb = pe.nn.utils.rnn.pad_packed_sequence(po, batch_first=bf, total_length=5)
    close(b, a)
    assert la.tolist() == lb.tolist()
    (a.pow(2).sum() + _states(th)[0].sum()).backward()
    (b.pow(2).sum() + _states(ph)[0].sum()).backward()
    close(xp.grad, x.grad)
    for (_, p1), (_, p2) in zip(pm.named_parameters(), tm.named_parameters()):
        close(p1.grad, p2.grad)


@pytest.mark.parametrize("cls", ["LSTM", "GRU", "RNN"])
def test_rnn_unbatched(cls):
    tm, pm = twin(cls, 3, 4, num_layers=2)
    x = torch.randn(5, 3, dtype=torch.double)
    to, th = tm(x)
    po, ph = pm(P(x))
    assert tuple(po.shape) == (5, 4)
    close(po, to)
    for a, b in zip(_states(ph), _states(th)):
        close(a, b)


@pytest.mark.parametrize("cls", ["LSTMCell", "GRUCell", "RNNCell"])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_torch(cls, batched):
    tm, pm = twin(cls, 3, 4)
    assert repr(tm) == repr(pm)
    x = torch.randn(*((2, 3) if batched else (3,)), dtype=torch.double, requires_grad=True)
    xp = P(x).requires_grad_()
    for with_state in (False, True):
        if with_state:
            shape = (2, 4) if batched else (4,)
            h = torch.randn(*shape, dtype=torch.double)
            hx = (h, torch.randn(*shape, dtype=torch.double)) if cls == "LSTMCell" else h
            out_t = tm(x, hx)
            out_p = pm(xp, tuple(P(s) for s in hx) if cls == "LSTMCell" else P(hx))
        else:
            out_t, out_p = tm(x), pm(xp)
        for a, b in zip(_states(out_p), _states(out_t)):
            close(a, b)
        sum(s.sum() for s in _states(out_t)).backward()
        sum(s.sum() for s in _states(out_p)).backward()
        close(xp.grad, x.grad)
        for (_, p1), (_, p2) in zip(pm.named_parameters(), tm.named_parameters()):
            close(p1.grad, p2.grad)


def test_lstm_gradcheck():
    pe.manual_seed(0)
    m = pe.nn.LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=2).double()
    x = pe.randn(3, 2, 2, dtype=pe.float64, requires_grad=True)
    assert pe.autograd.gradcheck(lambda inp: m(inp)[0], (x,))


def test_gru_gradcheck_packed():
    pe.manual_seed(0)
    m = pe.nn.GRU(2, 3).double()
    x = pe.randn(3, 2, 2, dtype=pe.float64, requires_grad=True)

    def run(inp):
        packed = pe.nn.utils.rnn.pack_padded_sequence(inp, [3, 2])
        return m(packed)[1]
    assert pe.autograd.gradcheck(run, (x,))


def test_rnn_init_and_names():
    m = pe.nn.LSTM(10, 20, num_layers=2, bidirectional=True, proj_size=5)
    names = [n for n, _ in m.named_parameters()]
    t = torch.nn.LSTM(10, 20, num_layers=2, bidirectional=True, proj_size=5)
    assert names == [n for n, _ in t.named_parameters()]
    for (n, p), (_, q) in zip(m.named_parameters(), t.named_parameters()):
        assert tuple(p.shape) == tuple(q.shape), n
        assert float(p.abs().max()) <= 1 / np.sqrt(20) + 1e-7
    assert len(m.all_weights) == 4
    m.flatten_parameters()


def test_rnn_dropout_between_layers():
    m = pe.nn.GRU(3, 4, num_layers=2, dropout=0.5)
    x = pe.randn(6, 2, 3)
    m.eval()
    a, b = m(x)[0], m(x)[0]
    assert np.array_equal(a.detach().numpy(), b.detach().numpy())
    m.train()
    pe.manual_seed(3)
    c = m(x)[0]
    pe.manual_seed(4)
    d = m(x)[0]
    assert not np.array_equal(c.detach().numpy(), d.detach().numpy())




@pytest.mark.parametrize("case", ["input_size", "hidden_shape", "cell_shape", "ndim", "unbatched_h", "dtype",
                                  "unsorted", "lengths_zero", "proj_gru", "dropout"])
def test_rnn_bad_input_like_torch(case):
    def run(lib):
        nn = lib.nn
        mk = (lambda t: t) if lib is torch else P
        x = torch.randn(4, 3, 5)
        if case == "input_size":
            return nn.LSTM(6, 7)(mk(x))
        if case == "hidden_shape":
            return nn.GRU(5, 7)(mk(x), mk(torch.zeros(1, 2, 7)))
        if case == "cell_shape":
            return nn.LSTM(5, 7)(mk(x), (mk(torch.zeros(1, 3, 7)), mk(torch.zeros(1, 3, 6))))
        if case == "ndim":
            return nn.LSTM(5, 7)(mk(torch.randn(2, 4, 3, 5)))
        if case == "unbatched_h":
            return nn.RNN(5, 7)(mk(torch.randn(4, 5)), mk(torch.zeros(1, 1, 7)))
        if case == "dtype":
            return nn.LSTM(5, 7)(mk(x.double()))
        if case == "unsorted":
            return nn.utils.rnn.pack_padded_sequence(mk(x), [2, 4, 1])
        if case == "lengths_zero":
            return nn.utils.rnn.pack_padded_sequence(mk(x), [4, 2, 0])
        if case == "proj_gru":
            return nn.GRU(5, 7, proj_size=2)
        if case == "dropout":
            return nn.LSTM(5, 7, dropout=1.5)
    want, got = _err(lambda: run(torch)), _err(lambda: run(pe))
    assert want[0] is not None and got[0] is want[0], (want, got)
    assert got[1] == want[1]


def test_pad_sequence_and_pack_sequence():
    seqs = [torch.randn(n, 2) for n in (3, 1, 2)]
    for bf in (False, True):
        for side in ("right", "left"):
            a = torch.nn.utils.rnn.pad_sequence(seqs, batch_first=bf, padding_value=-1.0, padding_side=side)
            b = pe.nn.utils.rnn.pad_sequence([P(s) for s in seqs], batch_first=bf, padding_value=-1.0,
                                             padding_side=side)
            close(b, a)
    tp = torch.nn.utils.rnn.pack_sequence(seqs, enforce_sorted=False)
    pp = pe.nn.utils.rnn.pack_sequence([P(s) for s in seqs], enforce_sorted=False)
    close(pp.data, tp.data)
    assert pp.sorted_indices.tolist() == tp.sorted_indices.tolist()
    assert pp.unsorted_indices.tolist() == tp.unsorted_indices.tolist()
    for a, b in zip(pe.nn.utils.rnn.unpack_sequence(pp), seqs):
        close(a, b)


def test_word_language_model_loop_matches_torch():
    """A word-language-model-style loop (Embedding -> 2-layer LSTM -> Linear, SGD, clipping, truncated BPTT
    with detached hidden states) follows PyTorch's loss curve on the same weights and data."""
    vocab, emb, hid, bptt, batch = 20, 8, 12, 5, 4

    def build(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = lib.nn.Embedding(vocab, emb)
                self.rnn = lib.nn.LSTM(emb, hid, 2, dropout=0.0)
                self.decoder = lib.nn.Linear(hid, vocab)

            def forward(self, x, h):
                out, h = self.rnn(self.encoder(x), h)
                return self.decoder(out).view(-1, vocab), h
        return Net().double()

    tnet, pnet = build(torch), build(pe)
    pnet.load_state_dict({k: P(v) for k, v in tnet.state_dict().items()})
    data = torch.randint(0, vocab, (6 * bptt + 1, batch))
    curves = []
    for lib, net, mk in ((torch, tnet, lambda t: t), (pe, pnet, P)):
        opt = lib.optim.SGD(net.parameters(), lr=0.5)
        h = (lib.zeros(2, batch, hid, dtype=lib.float64), lib.zeros(2, batch, hid, dtype=lib.float64))
        losses = []
        for i in range(0, 6 * bptt, bptt):
            x, y = mk(data[i:i + bptt]), mk(data[i + 1:i + 1 + bptt].reshape(-1))
            h = tuple(s.detach() for s in h)
            opt.zero_grad()
            out, h = net(x, h)
            loss = lib.nn.functional.cross_entropy(out, y)
            loss.backward()
            lib.nn.utils.clip_grad_norm_(net.parameters(), 0.25)
            opt.step()
            losses.append(loss.item())
        curves.append(losses)
    np.testing.assert_allclose(curves[1], curves[0], rtol=1e-9)


def test_double_backward(rnn_form):
    """The composite form differentiates twice; the fused layer refuses clearly (as PyTorch's fused RNNs)."""
    m = pe.nn.GRU(2, 3).double()
    x = pe.randn(4, 1, 2, dtype=pe.float64, requires_grad=True)
    out, _ = m(x)
    (g,) = pe.autograd.grad(out.pow(2).sum(), x, create_graph=True) if not rnn_form else (None,)
    if rnn_form:
        with pytest.raises(RuntimeError, match="double backward"):
            pe.autograd.grad(out.pow(2).sum(), x, create_graph=True)
    else:
        g.sum().backward()
        assert x.grad is not None


@pytest.mark.parametrize("cls,kw", [("LSTM", dict(num_layers=2, bidirectional=True)), ("LSTM", dict(proj_size=5)),
                                    ("LSTM", dict(bias=False)), ("GRU", dict(num_layers=2, bidirectional=True)),
                                    ("GRU", dict(bias=False)), ("RNN", dict(nonlinearity="relu"))])
def test_rnn_float32_odd_hidden_matches_torch(cls, kw):
    """float32 with a hidden size (37) that is no multiple of the 16-float vector width: the vectorized gate
    loops of the fused layer (AVX-512 where the CPU has it), their masked tails and the scalar ones."""
    torch.manual_seed(4)
    tm = getattr(torch.nn, cls)(5, 37, **kw)
    pm = getattr(pe.nn, cls)(5, 37, **kw)
    pm.load_state_dict({k: P(v) for k, v in tm.state_dict().items()})
    x = torch.randn(6, 3, 5)
    out, h = tm(x)
    pout, ph = pm(P(x))
    h, ph = _states(h), _states(ph)
    (out.sum() + sum((s * s).sum() for s in h)).backward()
    (pout.sum() + sum((s * s).sum() for s in ph)).backward()
    close(pout, out, 2e-5)
    for a, b in zip(ph, h):
        close(a, b, 2e-5)
    params = dict(tm.named_parameters())
    for name, p in pm.named_parameters():
        close(p.grad, params[name].grad, 1e-4)
