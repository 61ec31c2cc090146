"""F.embedding / nn.Embedding honour max_norm (rows of the weight renormalised in place, with norm_type),
scale_grad_by_freq (each row's gradient divided by its index's count) and refuse sparse=True;
compared with PyTorch."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import nn
import pyengine.nn.functional as F

torch = pytest.importorskip("torch")

IDX = [[0, 2, 2, 5], [5, 5, 1, 2]]


def _weight(seed=0, rows=7, dim=4):
    return (np.random.default_rng(seed).standard_normal((rows, dim)) * 3).astype(np.float32)


def _run(m, fn_name, w, idx, proj, **kw):
    weight = m.tensor(w, requires_grad=True)
    index = m.tensor(idx)
    if fn_name == "functional":
        out = m.nn.functional.embedding(index, weight, **kw)
    else:
        emb = m.nn.Embedding.from_pretrained(weight.detach().clone(), freeze=False, **kw)
        weight = emb.weight
        out = emb(index)
    (out * m.tensor(proj)).sum().backward()
    return out.detach().numpy(), weight.detach().numpy(), weight.grad.numpy()


@pytest.mark.parametrize("where", ["functional", "module"])
@pytest.mark.parametrize("kw", [
    dict(scale_grad_by_freq=True),
    dict(scale_grad_by_freq=True, padding_idx=2),
    dict(max_norm=1.0),
    dict(max_norm=2.5, norm_type=1.0),
    dict(max_norm=0.5, norm_type=float("inf")),
    dict(max_norm=1.0, scale_grad_by_freq=True, padding_idx=5),
], ids=["freq", "freq_pad", "max_norm", "max_norm_l1", "max_norm_inf", "all"])
def test_embedding_options_match_torch(where, kw):
    w = _weight()
    proj = np.random.default_rng(1).standard_normal((2, 4, 4)).astype(np.float32)
    ours = _run(pe, where, w, IDX, proj, **kw)
    theirs = _run(torch, where, w, IDX, proj, **kw)
    for a, b, what in zip(ours, theirs, ("output", "weight after the call", "weight gradient")):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=what)


def test_max_norm_renormalises_only_looked_up_rows_in_place():
    w = _weight()
    weight = pe.tensor(w)
    F.embedding(pe.tensor([1, 3]), weight, max_norm=1.0)
    norms = np.linalg.norm(weight.numpy(), axis=1)
    assert norms[1] <= 1.0 + 1e-5 and norms[3] <= 1.0 + 1e-5
    untouched = [0, 2, 4, 5, 6]
    np.testing.assert_array_equal(weight.numpy()[untouched], w[untouched])


def test_scale_grad_by_freq_differs_from_plain_gradient():
    w = _weight()
    plain = _run(pe, "functional", w, IDX, np.ones((2, 4, 4), np.float32))[2]
    scaled = _run(pe, "functional", w, IDX, np.ones((2, 4, 4), np.float32), scale_grad_by_freq=True)[2]
    np.testing.assert_allclose(plain[5], 3 * np.ones(4))  # index 5 occurs three times
    np.testing.assert_allclose(scaled[5], np.ones(4))


def test_sparse_true_is_refused():
    w = pe.ones(5, 3, requires_grad=True)
    with pytest.raises(NotImplementedError, match="sparse"):
        F.embedding(pe.tensor([0, 1]), w, sparse=True)
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding(5, 3, sparse=True)
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding.from_pretrained(pe.ones(5, 3), sparse=True)
