"""Optimizers cross-checked with torch.optim on the same gradients: updates (float32, several steps), state_dict
layout and values, repr. Kept apart from test_optim.py because the first torch.optim step imports torch._dynamo
(~15 s here)."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import nn

from test_optim import CASES, _grads, _init_params, _run


def test_state_dict_matches_torch_layout():
    torch = pytest.importorskip("torch")
    for name, cls, _, kw in CASES:
        tcls = getattr(torch.optim, cls.__name__)
        ours = cls([nn.Parameter(pe.ones(2))], **kw)
        theirs = tcls([torch.nn.Parameter(torch.ones(2))], **kw)
        ours.param_groups[0]["params"][0].grad = pe.ones(2)
        theirs.param_groups[0]["params"][0].grad = torch.ones(2)
        ours.step()
        theirs.step()
        a, b = ours.state_dict(), theirs.state_dict()
        assert a["param_groups"] == b["param_groups"], name
        assert list(a["state"]) == list(b["state"]), name
        for i in b["state"]:
            assert list(a["state"][i]) == list(b["state"][i]), name
            for k, v in b["state"][i].items():
                np.testing.assert_allclose(a["state"][i][k].numpy(), v.numpy(), rtol=1e-6, err_msg=name)
        assert repr(ours) == repr(theirs), name


@pytest.mark.parametrize("name,cls,ref,kw", CASES, ids=[c[0] for c in CASES])
def test_matches_torch_float32(name, cls, ref, kw):
    torch = pytest.importorskip("torch")
    tcls = getattr(torch.optim, cls.__name__)
    grads = _grads(5, seed=7)
    _, _, history = _run(cls, kw, grads, pe.float32)
    tparams = [torch.nn.Parameter(torch.tensor(a, dtype=torch.float32)) for a in _init_params()]
    topt = tcls(tparams, **kw)
    for step, gs in enumerate(grads):
        for p, g in zip(tparams, gs):
            p.grad = torch.tensor(g, dtype=torch.float32)
        topt.step()
        for got, p in zip(history[step], tparams):
            np.testing.assert_allclose(got, p.detach().numpy(), rtol=1e-5, atol=1e-6)
