"""scaled_dot_product_attention, MultiheadAttention, the Transformer family, EmbeddingBag and one_hot against
PyTorch on the same weights: outputs, attention weights, gradients, masks, printing, state_dict keys, a
small Transformer classifier's loss curve, and PyTorch's errors."""
import numpy as np
import pytest

import pyengine as pe
from nn_testing import outcome as _err

torch = pytest.importorskip("torch")


def P(t):
    return pe.tensor(t.detach().numpy())


def conv(v):
    return P(v) if isinstance(v, torch.Tensor) else v


def close(a, b, tol=1e-9):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=tol, rtol=tol)


def twin(cls, *args, **kw):
    tm = getattr(torch.nn, cls)(*args, **kw).double()
    pm = getattr(pe.nn, cls)(*args, **kw).double()
    assert repr(tm) == repr(pm)
    assert list(tm.state_dict()) == list(pm.state_dict())
    pm.load_state_dict({k: P(v) for k, v in tm.state_dict().items()})
    return tm, pm


SDPA_CASES = [{}, {"is_causal": True}, {"attn_mask": "bool"}, {"attn_mask": "float"}, {"scale": 0.3},
              {"attn_mask": "bool_all_masked_row"}, {"attn_mask": "broadcast"}]


@pytest.mark.parametrize("kw", SDPA_CASES)
def test_sdpa_matches_torch(kw):
    torch.manual_seed(0)
    q = torch.randn(2, 3, 4, 5, dtype=torch.double, requires_grad=True)
    k = torch.randn(2, 3, 6, 5, dtype=torch.double, requires_grad=True)
    v = torch.randn(2, 3, 6, 7, dtype=torch.double, requires_grad=True)
    kw = dict(kw)
    mask = kw.get("attn_mask")
    if mask == "bool":
        kw["attn_mask"] = torch.rand(4, 6) > 0.3
    elif mask == "float":
        kw["attn_mask"] = torch.randn(4, 6, dtype=torch.double)
    elif mask == "bool_all_masked_row":
        m = torch.ones(4, 6, dtype=torch.bool)
        m[1] = False
        kw["attn_mask"] = m
    elif mask == "broadcast":
        kw["attn_mask"] = torch.randn(2, 1, 4, 6, dtype=torch.double)
    pq, pk, pv = (P(t).requires_grad_() for t in (q, k, v))
    out = torch.nn.functional.scaled_dot_product_attention(q, k, v, **kw)
    got = pe.nn.functional.scaled_dot_product_attention(pq, pk, pv, **{a: conv(b) for a, b in kw.items()})
    close(got, out)
    out.pow(2).sum().backward()
    got.pow(2).sum().backward()
    for a, b in ((pq, q), (pk, k), (pv, v)):
        close(a.grad, b.grad)


def test_sdpa_gqa_and_gradcheck():
    q = torch.randn(1, 4, 3, 2, dtype=torch.double)
    k = torch.randn(1, 2, 5, 2, dtype=torch.double)
    v = torch.randn(1, 2, 5, 3, dtype=torch.double)
    close(pe.nn.functional.scaled_dot_product_attention(P(q), P(k), P(v), enable_gqa=True),
          torch.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=True))
    args = tuple(P(t).requires_grad_() for t in (q[:, :2], k, v))
    assert pe.autograd.gradcheck(
        lambda a, b, c: pe.nn.functional.scaled_dot_product_attention(a, b, c, is_causal=True), args)


MHA_CASES = [dict(), dict(batch_first=True), dict(kdim=3, vdim=5), dict(add_bias_kv=True, add_zero_attn=True),
             dict(bias=False)]
MHA_CALLS = [dict(), dict(key_padding_mask="kpm"), dict(attn_mask="float", average_attn_weights=False),
             dict(need_weights=False, attn_mask="bool"), dict(attn_mask="3d")]


@pytest.mark.parametrize("kw", MHA_CASES)
@pytest.mark.parametrize("call", MHA_CALLS)
def test_multihead_attention_matches_torch(kw, call):
    torch.manual_seed(0)
    tm, pm = twin("MultiheadAttention", 8, 2, **kw)
    bf = kw.get("batch_first", False)
    x = torch.randn(4, 3, 8, dtype=torch.double)
    kv = torch.randn(5, 3, kw.get("kdim", 8), dtype=torch.double)
    vv = torch.randn(5, 3, kw.get("vdim", 8), dtype=torch.double)
    if bf:
        x, kv, vv = (t.transpose(0, 1).contiguous() for t in (x, kv, vv))
    extra = dict(call)
    src = 5 + (2 if kw.get("add_bias_kv") else 0)
    if extra.get("key_padding_mask") == "kpm":
        kpm = torch.zeros(3, 5, dtype=torch.bool)
        kpm[1, 2] = True
        extra["key_padding_mask"] = kpm
    if extra.get("attn_mask") == "float":
        extra["attn_mask"] = torch.randn(4, 5, dtype=torch.double)
    elif extra.get("attn_mask") == "bool":
        extra["attn_mask"] = torch.rand(4, 5) > 0.7
    elif extra.get("attn_mask") == "3d":
        extra["attn_mask"] = torch.randn(6, 4, 5, dtype=torch.double)
    del src
    xt, kt, vt = (t.clone().requires_grad_() for t in (x, kv, vv))
    xp, kp, vp = (P(t).requires_grad_() for t in (x, kv, vv))
    to, tw = tm(xt, kt, vt, **extra)
    po, pw = pm(xp, kp, vp, **{a: conv(b) for a, b in extra.items()})
    close(po, to)
    assert (pw is None) == (tw is None)
    if tw is not None:
        close(pw, tw)
    to.pow(2).sum().backward()
    po.pow(2).sum().backward()
    for a, b in ((xp, xt), (kp, kt), (vp, vt)):
        close(a.grad, b.grad)
    for (name, a), (_, b) in zip(pm.named_parameters(), tm.named_parameters()):
        close(a.grad, b.grad)


def test_multihead_self_attention_unbatched():
    tm, pm = twin("MultiheadAttention", 6, 3)
    x = torch.randn(4, 6, dtype=torch.double)
    to, tw = tm(x, x, x)
    po, pw = pm(P(x), P(x), P(x))
    close(po, to)
    close(pw, tw)


@pytest.mark.parametrize("cls,kw", [
    ("TransformerEncoderLayer", dict(d_model=8, nhead=2, dim_feedforward=16)),
    ("TransformerEncoderLayer", dict(d_model=8, nhead=2, dim_feedforward=16, norm_first=True, activation="gelu",
                                     batch_first=True)),
    ("TransformerDecoderLayer", dict(d_model=8, nhead=2, dim_feedforward=16)),
    ("TransformerDecoderLayer", dict(d_model=8, nhead=2, dim_feedforward=16, norm_first=True, bias=False)),
])
def test_transformer_layers_match_torch(cls, kw):
    torch.manual_seed(0)
    tm, pm = twin(cls, **kw)
    tm.eval()
    pm.eval()
    bf = kw.get("batch_first", False)
    x = torch.randn(*((3, 4, 8) if bf else (4, 3, 8)), dtype=torch.double)
    mem = torch.randn(*((3, 5, 8) if bf else (5, 3, 8)), dtype=torch.double)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.double)
    pmask = pe.nn.Transformer.generate_square_subsequent_mask(4, dtype=pe.float64)
    close(pmask, mask)
    kpm = torch.zeros(3, 4, dtype=torch.bool)
    kpm[0, 3] = True
    if "Encoder" in cls:
        to = tm(x, src_mask=mask, src_key_padding_mask=kpm)
        po = pm(P(x), src_mask=pmask, src_key_padding_mask=P(kpm))
    else:
        to = tm(x, mem, tgt_mask=mask, tgt_key_padding_mask=kpm)
        po = pm(P(x), P(mem), tgt_mask=pmask, tgt_key_padding_mask=P(kpm))
    close(po, to)


def test_transformer_matches_torch():
    torch.manual_seed(0)
    tm, pm = twin("Transformer", d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1,
                  dim_feedforward=16)
    tm.eval()
    pm.eval()
    src = torch.randn(6, 2, 8, dtype=torch.double)
    tgt = torch.randn(4, 2, 8, dtype=torch.double)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.double)
    close(pm(P(src), P(tgt), tgt_mask=P(mask)), tm(src, tgt, tgt_mask=mask))
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        pm(P(src), P(tgt[:, :1]))


def test_transformer_encoder_classifier_loop_matches_torch():
    """A small Transformer-encoder classifier (Embedding, 2 encoder layers, mean pooling, Linear, Adam) follows
    PyTorch's loss curve on the same weights and data (dropout off)."""
    vocab, d, classes = 16, 8, 3

    def build(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = lib.nn.Embedding(vocab, d)
                layer = lib.nn.TransformerEncoderLayer(d, 2, 16, dropout=0.0, batch_first=True)
                self.enc = lib.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
                self.out = lib.nn.Linear(d, classes)

            def forward(self, x, pad):
                return self.out(self.enc(self.emb(x), src_key_padding_mask=pad).mean(1))
        return Net().double()

    tnet, pnet = build(torch), build(pe)
    pnet.load_state_dict({k: P(v) for k, v in tnet.state_dict().items()})
    torch.manual_seed(5)
    xs = torch.randint(0, vocab, (5, 4, 6))
    ys = torch.randint(0, classes, (5, 4))
    pad = torch.zeros(4, 6, dtype=torch.bool)
    pad[:, 5] = True
    curves = []
    for lib, net, mk in ((torch, tnet, lambda t: t), (pe, pnet, P)):
        opt = lib.optim.Adam(net.parameters(), lr=0.01)
        losses = []
        for x, y in zip(xs, ys):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(net(mk(x), mk(pad)), mk(y))
            loss.backward()
            opt.step()
            losses.append(loss.item())
        curves.append(losses)
    np.testing.assert_allclose(curves[1], curves[0], rtol=1e-8)




@pytest.mark.parametrize("case", ["attn_mask_shape", "kpm_shape", "embed_dim", "causal_without_mask",
                                  "heads_divide"])
def test_attention_bad_input_like_torch(case):
    def run(lib):
        mk = (lambda t: t) if lib is torch else P
        x = torch.randn(4, 3, 8)
        if case == "heads_divide":
            return lib.nn.MultiheadAttention(8, 3)
        m = lib.nn.MultiheadAttention(8, 2)
        if case == "attn_mask_shape":
            return m(mk(x), mk(x), mk(x), attn_mask=mk(torch.zeros(3, 3)))
        if case == "kpm_shape":
            return m(mk(x), mk(x), mk(x), key_padding_mask=mk(torch.zeros(3, 5, dtype=torch.bool)))
        if case == "embed_dim":
            y = torch.randn(4, 3, 6)
            return m(mk(y), mk(y), mk(y))
        if case == "causal_without_mask":
            return m(mk(x), mk(x), mk(x), is_causal=True)
    want, got = _err(lambda: run(torch)), _err(lambda: run(pe))
    assert want[0] is not None and got[0] is want[0], (want, got)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("pad", [None, 2])
def test_embedding_bag_matches_torch(mode, pad):
    ix = torch.tensor([1, 2, 4, 5, 4, 3, 2, 9])
    off = torch.tensor([0, 3, 3, 6])
    w = torch.randn(10, 3, dtype=torch.double, requires_grad=True)
    pw = P(w).requires_grad_()
    out = torch.nn.functional.embedding_bag(ix, w, off, mode=mode, padding_idx=pad)
    got = pe.nn.functional.embedding_bag(P(ix), pw, P(off), mode=mode, padding_idx=pad)
    close(got, out)
    out.pow(2).sum().backward()
    got.pow(2).sum().backward()
    close(pw.grad, w.grad)
    # 2-D input, include_last_offset, per_sample_weights
    ix2 = torch.tensor([[1, 2], [3, 2]])
    close(pe.nn.functional.embedding_bag(P(ix2), P(w), mode=mode),
          torch.nn.functional.embedding_bag(ix2, w, mode=mode))
    close(pe.nn.functional.embedding_bag(P(ix), P(w), P(torch.tensor([0, 3, 8])), mode=mode,
                                         include_last_offset=True),
          torch.nn.functional.embedding_bag(ix, w, torch.tensor([0, 3, 8]), mode=mode, include_last_offset=True))
    if mode == "sum":
        psw = torch.rand(8, dtype=torch.double)
        close(pe.nn.functional.embedding_bag(P(ix), P(w), P(off), mode="sum", per_sample_weights=P(psw)),
              torch.nn.functional.embedding_bag(ix, w, off, mode="sum", per_sample_weights=psw))
    else:
        with pytest.raises(NotImplementedError):
            pe.nn.functional.embedding_bag(P(ix), P(w), P(off), mode=mode, per_sample_weights=P(w[:8, 0]))


def test_embedding_bag_module():
    tm, pm = twin("EmbeddingBag", 10, 3, mode="max", padding_idx=0)
    ix = torch.tensor([[0, 2, 3], [4, 0, 0]])
    close(pm(P(ix)), tm(ix))


def test_one_hot():
    t = torch.tensor([[0, 2], [1, 4]])
    assert pe.nn.functional.one_hot(P(t)).tolist() == torch.nn.functional.one_hot(t).tolist()
    assert pe.nn.functional.one_hot(P(t), 6).tolist() == torch.nn.functional.one_hot(t, 6).tolist()
    for bad in (lambda lib, mk: lib.nn.functional.one_hot(mk(t), 3),
                lambda lib, mk: lib.nn.functional.one_hot(mk(t.float())),
                lambda lib, mk: lib.nn.functional.one_hot(mk(torch.tensor([-1])))):
        want = _err(lambda: bad(torch, lambda x: x))
        got = _err(lambda: bad(pe, P))
        assert got[0] is want[0] and want[0] is not None, (want, got)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mask_kind", [None, "causal", "bool", "float"])
def test_sdpa_fused_several_key_blocks_matches_torch(dtype, mask_kind):
    """Sequences longer than one key block (512) and one query block (128), with partial last blocks, a
    length that is no multiple of the 16-float vector width, and fully masked rows: the CPU kernel's block
    loop and its vectorized row loops (float32 takes the AVX-512 ones where the CPU has them)."""
    tdt = getattr(torch, dtype)
    tol = 1e-9 if dtype == "float64" else 3e-5
    g = torch.Generator().manual_seed(5)
    q = torch.randn(1, 2, 150, 16, dtype=tdt, generator=g)
    k = torch.randn(1, 2, 1037, 16, dtype=tdt, generator=g)
    v = torch.randn(1, 2, 1037, 8, dtype=tdt, generator=g)
    mask = None
    if mask_kind == "bool":
        mask = torch.rand(150, 1037, generator=g) > 0.5
        mask[3] = False
    elif mask_kind == "float":
        mask = torch.randn(1, 2, 150, 1037, dtype=tdt, generator=g)
    qt, kt, vt = (t.clone().requires_grad_() for t in (q, k, v))
    want = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, attn_mask=mask,
                                                            is_causal=mask_kind == "causal")
    go = torch.randn_like(want)
    want.backward(go)
    qp, kp, vp = (P(t).requires_grad_() for t in (q, k, v))
    got = pe.nn.functional.scaled_dot_product_attention(qp, kp, vp, attn_mask=None if mask is None else P(mask),
                                                        is_causal=mask_kind == "causal")
    assert type(got.grad_fn).__name__ == "ScaledDotProductFlashAttentionForCpuBackward0"
    got.backward(P(go))
    close(got, want, tol)
    for a, b in zip((qp, kp, vp), (qt, kt, vt)):
        close(a.grad, b.grad, tol)
