"""The tutorials' two-layer nets (N=64, D_in=1000, H=100, D_out=10, MSELoss(reduction='sum')) trained from the
same numpy-made weights in pyengine and torch follow the same loss curve: 500 iterations for SGD and Adam, as in
the tutorials, 100 for the other optimizers. (Apart from test_optim_training.py to keep each file short.)"""
import numpy as np
import pytest

import pyengine as pe
from pyengine import nn

from test_optim_training import _curve

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("opt_name,opt_kw", [("SGD", dict(lr=1e-4)), ("Adam", dict(lr=1e-4)),
                                             ("SGD", dict(lr=1e-4, momentum=0.9)),
                                             ("RMSprop", dict(lr=1e-4)), ("AdamW", dict(lr=1e-3)),
                                             ("Adagrad", dict(lr=1e-2))])
def test_two_layer_net_loss_curve_matches_torch(opt_name, opt_kw):
    steps = 500 if opt_name in ("SGD", "Adam") and "momentum" not in opt_kw else 100
    ours = _curve(pe, nn, opt_name, opt_kw, steps)
    theirs = _curve(torch, torch.nn, opt_name, opt_kw, steps)
    assert ours[-1] < 0.5 * ours[0]
    np.testing.assert_allclose(ours, theirs, rtol=2e-3, atol=1e-4)
