"""The fused sequence kernels on `cuda` (cuda/nn_rnn.cu, cuda/nn_attention.cu): nn.RNN/LSTM/GRU and
F.scaled_dot_product_attention give PyTorch's (CPU) outputs, final states and every gradient, and the
pyengine CPU results, for each configuration (layers, directions, batch_first, packed, proj_size; masks
bool/float with broadcasting, is_causal, scale, GQA, fully masked rows, several key tiles), and the fused
autograd node is really the one used on cuda. Runs on a real GPU or on the emulated device
(docs/cuda-emulator.md); skips with "CUDA not available" elsewhere."""
from __future__ import annotations

import numpy as np
import pytest

import pyengine as pe
from pe_testing import cuda_required

torch = pytest.importorskip("torch")
pytestmark = cuda_required


def node_names(t, limit: int = 5000) -> set:
    """The names of the autograd nodes behind t (a walk of at most `limit` nodes: the Python node objects are
    made afresh on each access, so there is no identity to deduplicate on; these graphs are small)."""
    todo, names, visited = [t.grad_fn], set(), 0
    while todo and visited < limit:
        n = todo.pop()
        if n is None:
            continue
        visited += 1
        names.add(type(n).__name__)
        todo.extend(f for f, _ in n.next_functions)
    return names


def from_torch(t, device: str, grad: bool = False):
    x = pe.tensor(t.detach().numpy(), device=device)
    return x.requires_grad_() if grad else x


def close(got, want, tol):
    got = got.detach().cpu().numpy() if hasattr(got, "cpu") else got
    np.testing.assert_allclose(got, want.detach().numpy(), rtol=tol, atol=tol)


# ---------------------------------------------------------------- RNN / LSTM / GRU

RNN_CONFIGS = [
    ("LSTM", dict(num_layers=2, bidirectional=True)), ("LSTM", dict(batch_first=True)),
    ("LSTM", dict(proj_size=3, num_layers=2)), ("LSTM", dict(proj_size=3, bidirectional=True, bias=False)),
    ("GRU", dict(num_layers=2, bidirectional=True)), ("GRU", dict(batch_first=True, bias=False)),
    ("RNN", dict(bidirectional=True)), ("RNN", dict(nonlinearity="relu", num_layers=2, batch_first=True)),
]
FUSED_NODE = {"LSTM": "LstmBackward0", "GRU": "GruBackward0", "RNN": "RnnTanhBackward0"}


def rnn_twins(cls: str, kw: dict, dtype):
    tm = getattr(torch.nn, cls)(5, 6, **kw).to(dtype)
    sd = {k: pe.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()}
    mods = {}
    for dev in ("cpu", "cuda"):
        m = getattr(pe.nn, cls)(5, 6, **kw).to(pe.float64 if dtype == torch.float64 else pe.float32)
        m.load_state_dict(sd)
        mods[dev] = m.to(dev)
    return tm, mods


def run_rnn(m, x, h0, packed_lengths, batch_first):
    if packed_lengths is not None:
        x = (torch if isinstance(m, torch.nn.Module) else pe).nn.utils.rnn.pack_padded_sequence(
            x, packed_lengths, batch_first=batch_first, enforce_sorted=False)
    out, h = m(x, h0)
    if packed_lengths is not None:
        out = (torch if isinstance(m, torch.nn.Module) else pe).nn.utils.rnn.pad_packed_sequence(
            out, batch_first=batch_first, total_length=5)[0]
    return out, list(h) if isinstance(h, tuple) else [h]


@pytest.mark.parametrize("packed", [False, True], ids=["padded", "packed"])
@pytest.mark.parametrize("cls,kw", RNN_CONFIGS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_rnn_cuda_matches_torch_and_cpu(cls, kw, packed, dtype):
    tdt = getattr(torch, dtype)
    tol = 1e-9 if dtype == "float64" else 2e-4
    torch.manual_seed(1)
    tm, mods = rnn_twins(cls, kw, tdt)
    bf = kw.get("batch_first", False)
    x = torch.randn(3, 5, 5, dtype=tdt) if bf else torch.randn(5, 3, 5, dtype=tdt)
    d = (2 if kw.get("bidirectional") else 1) * kw.get("num_layers", 1)
    h0 = [torch.randn(d, 3, kw.get("proj_size") or 6, dtype=tdt)]
    if cls == "LSTM":
        h0.append(torch.randn(d, 3, 6, dtype=tdt))
    lengths = [3, 5, 1] if packed else None
    xt = x.clone().requires_grad_()
    h0t = [h.clone().requires_grad_() for h in h0]
    out_t, hn_t = run_rnn(tm, xt, tuple(h0t) if cls == "LSTM" else h0t[0], lengths, bf)
    go = torch.randn_like(out_t)
    gh = [torch.randn_like(h) for h in hn_t]
    torch.autograd.backward([out_t] + hn_t, [go] + gh)
    results = {}
    for dev, m in mods.items():
        xp = from_torch(x, dev, True)
        h0p = [from_torch(h, dev, True) for h in h0]
        out, hn = run_rnn(m, xp, tuple(h0p) if cls == "LSTM" else h0p[0], lengths, bf)
        if dev == "cuda":
            assert out.device.type == "cuda"
            assert FUSED_NODE[cls] in node_names(out) or "RnnReluBackward0" in node_names(out)
        pe.autograd.backward([out] + hn, [from_torch(go, dev)] + [from_torch(g, dev) for g in gh])
        close(out, out_t, tol)
        for a, b in zip(hn, hn_t):
            close(a, b, tol)
        close(xp.grad, xt.grad, tol)
        for a, b in zip(h0p, h0t):
            close(a.grad, b.grad, tol)
        params = dict(tm.named_parameters())
        for name, p in m.named_parameters():
            close(p.grad, params[name].grad, tol)
        results[dev] = [out.detach().cpu().numpy(), xp.grad.cpu().numpy()] + [
            p.grad.cpu().numpy() for _, p in m.named_parameters()]
    for a, b in zip(results["cuda"], results["cpu"]):  # the two devices agree more tightly than with PyTorch
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_rnn_cuda_unbatched_and_default_state():
    torch.manual_seed(2)
    tm, mods = rnn_twins("GRU", dict(num_layers=2), torch.float64)
    x = torch.randn(4, 5, dtype=torch.float64)
    out_t, h_t = tm(x)
    out, h = mods["cuda"](from_torch(x, "cuda"))
    close(out, out_t, 1e-9)
    close(h, h_t, 1e-9)
    assert h.device.type == "cuda"


def test_rnn_cuda_bad_state_raises_like_torch():
    tm, mods = rnn_twins("LSTM", {}, torch.float64)
    x = torch.randn(4, 3, 5, dtype=torch.float64)
    bad = (torch.zeros(1, 2, 6, dtype=torch.float64), torch.zeros(1, 2, 6, dtype=torch.float64))
    with pytest.raises(RuntimeError):
        tm(x, bad)
    with pytest.raises(RuntimeError):
        mods["cuda"](from_torch(x, "cuda"), tuple(from_torch(b, "cuda") for b in bad))


# ---------------------------------------------------------------- scaled_dot_product_attention

def sdpa_inputs(b, hq, hk, l, s, e, ev, dtype, seed=0):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(b, hq, l, e, dtype=dtype, generator=g)
    k = torch.randn(b, hk, s, e, dtype=dtype, generator=g)
    v = torch.randn(b, hk, s, ev, dtype=dtype, generator=g)
    return q, k, v


def make_mask(kind, b, h, l, s, dtype):
    g = torch.Generator().manual_seed(7)
    if kind is None:
        return None
    if kind == "bool_ls":
        m = torch.rand(l, s, generator=g) > 0.3
        m[1] = False  # a fully masked row: zeros, as PyTorch's safe softmax
        return m
    if kind == "bool_keypad":
        m = torch.ones(b, 1, 1, s, dtype=torch.bool)
        m[0, ..., s // 2:] = False
        return m
    if kind == "float_full":
        return torch.randn(b, h, l, s, dtype=dtype, generator=g)
    if kind == "float_heads":
        return torch.randn(1, h, l, s, dtype=dtype, generator=g)
    raise AssertionError(kind)


SDPA_CASES = [
    # (b, hq, hk, l, s, e, ev, mask, causal, scale, gqa)
    (2, 3, 3, 70, 90, 16, 8, None, False, None, False),  # several query blocks, a partial one, E != Ev
    (2, 2, 2, 70, 70, 8, 8, None, True, None, False),
    (1, 2, 2, 40, 130, 8, 12, None, True, 0.3, False),  # causal with L != S (top-left diagonal), two key tiles
    (2, 2, 2, 33, 45, 8, 8, "bool_ls", False, None, False),
    (2, 2, 2, 33, 45, 8, 8, "bool_keypad", False, None, False),
    (2, 2, 2, 33, 45, 8, 8, "float_full", False, 0.5, False),
    (2, 2, 2, 33, 45, 8, 8, "float_heads", False, None, False),
    (2, 4, 2, 20, 30, 8, 8, None, False, None, True),  # GQA
    (1, 4, 1, 20, 20, 8, 8, None, True, None, True),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", SDPA_CASES, ids=[str(i) for i in range(len(SDPA_CASES))])
def test_sdpa_cuda_matches_torch_and_cpu(case, dtype):
    b, hq, hk, l, s, e, ev, mask_kind, causal, scale, gqa = case
    tdt = getattr(torch, dtype)
    tol = 1e-9 if dtype == "float64" else 2e-5
    q, k, v = sdpa_inputs(b, hq, hk, l, s, e, ev, tdt)
    mask = make_mask(mask_kind, b, hq, l, s, tdt)
    qt, kt, vt = (t.clone().requires_grad_() for t in (q, k, v))
    out_t = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, attn_mask=mask, is_causal=causal,
                                                             scale=scale, enable_gqa=gqa)
    go = torch.randn_like(out_t)
    out_t.backward(go)
    results = {}
    for dev in ("cpu", "cuda"):
        qp, kp, vp = (from_torch(t, dev, True) for t in (q, k, v))
        mp = None if mask is None else from_torch(mask, dev)
        out = pe.nn.functional.scaled_dot_product_attention(qp, kp, vp, attn_mask=mp, is_causal=causal, scale=scale,
                                                            enable_gqa=gqa)
        if dev == "cuda":
            assert out.device.type == "cuda"
            assert "ScaledDotProductFlashAttentionBackward0" in node_names(out)
        out.backward(from_torch(go, dev))
        close(out, out_t, tol)
        for a, t in zip((qp, kp, vp), (qt, kt, vt)):
            close(a.grad, t.grad, tol)
        results[dev] = [out.detach().cpu().numpy()] + [a.grad.cpu().numpy() for a in (qp, kp, vp)]
    for a, c in zip(results["cuda"], results["cpu"]):
        np.testing.assert_allclose(a, c, rtol=tol, atol=tol)


def test_sdpa_cuda_non_contiguous_inputs():
    q, k, v = sdpa_inputs(2, 2, 2, 24, 24, 8, 8, torch.float64)
    # (B, L, H, E) storage seen as (B, H, L, E): the usual head split of MultiheadAttention.
    qs, ks, vs = (t.transpose(1, 2).contiguous().transpose(1, 2) for t in (q, k, v))
    want = torch.nn.functional.scaled_dot_product_attention(q, k, v)
    got = pe.nn.functional.scaled_dot_product_attention(
        *(pe.tensor(t.transpose(1, 2).contiguous().numpy(), device="cuda").transpose(1, 2) for t in (qs, ks, vs)))
    close(got, want, 1e-9)


def test_sdpa_cuda_empty_and_unbatched():
    q, k, v = sdpa_inputs(1, 1, 1, 5, 6, 4, 4, torch.float64)
    want = torch.nn.functional.scaled_dot_product_attention(q[0, 0], k[0, 0], v[0, 0])
    close(pe.nn.functional.scaled_dot_product_attention(*(from_torch(t[0, 0], "cuda") for t in (q, k, v))), want,
          1e-9)
    qp, kp, vp = (pe.zeros(0, 2, 5, 4, dtype=pe.float64, device="cuda", requires_grad=True) for _ in range(3))
    out = pe.nn.functional.scaled_dot_product_attention(qp, kp, vp)
    assert tuple(out.shape) == (0, 2, 5, 4)
    out.sum().backward()
    assert tuple(qp.grad.shape) == (0, 2, 5, 4)


def test_sdpa_cuda_mask_of_wrong_shape_raises():
    q, k, v = sdpa_inputs(1, 2, 2, 5, 6, 4, 4, torch.float64)
    bad = torch.ones(5, 5, dtype=torch.bool)
    with pytest.raises(RuntimeError):
        torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=bad)
    with pytest.raises(RuntimeError):
        pe.nn.functional.scaled_dot_product_attention(*(from_torch(t, "cuda") for t in (q, k, v)),
                                                      attn_mask=from_torch(bad, "cuda"))


def test_transformer_encoder_layer_cuda_matches_torch():
    torch.manual_seed(3)
    tm = torch.nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0, batch_first=True).double()
    pm = pe.nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0, batch_first=True).double()
    pm.load_state_dict({k: pe.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    pm = pm.cuda()
    x = torch.randn(3, 7, 16, dtype=torch.float64)
    want = tm(x)
    got = pm(from_torch(x, "cuda"))
    close(got, want, 1e-9)
