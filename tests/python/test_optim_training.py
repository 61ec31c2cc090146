"""End-to-end training (needs the autograd core): LeNet's gradients equal torch's;
a small classifier's loss decreases with each optimizer; gradient accumulation and clipping after backward."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import nn, optim
import pyengine.nn.functional as F

torch = pytest.importorskip("torch")


N, D_in, H, D_out = 64, 1000, 100, 10


def _data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D_in)).astype(np.float32)
    y = rng.standard_normal((N, D_out)).astype(np.float32)
    w1 = (rng.uniform(-1, 1, (H, D_in)) / np.sqrt(D_in)).astype(np.float32)
    b1 = (rng.uniform(-1, 1, H) / np.sqrt(D_in)).astype(np.float32)
    w2 = (rng.uniform(-1, 1, (D_out, H)) / np.sqrt(H)).astype(np.float32)
    b2 = (rng.uniform(-1, 1, D_out) / np.sqrt(H)).astype(np.float32)
    return x, y, {"0.weight": w1, "0.bias": b1, "2.weight": w2, "2.bias": b2}


def _curve(engine, m, opt_name, opt_kw, steps, seed=0):
    x, y, weights = _data(seed)
    model = m.Sequential(m.Linear(D_in, H), m.ReLU(), m.Linear(H, D_out))
    model.load_state_dict({k: engine.tensor(v) for k, v in weights.items()})
    loss_fn = m.MSELoss(reduction="sum")
    opt = getattr(engine.optim, opt_name)(model.parameters(), **opt_kw)
    xt, yt = engine.tensor(x), engine.tensor(y)
    losses = []
    for _ in range(steps):
        loss = loss_fn(model(xt), yt)
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return np.array(losses)


def _lenet(m, Fm):
    class Net(m.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = m.Conv2d(1, 6, 5)
            self.conv2 = m.Conv2d(6, 16, 5)
            self.fc1 = m.Linear(16 * 5 * 5, 120)
            self.fc2 = m.Linear(120, 84)
            self.fc3 = m.Linear(84, 10)

        def forward(self, x):
            x = Fm.max_pool2d(Fm.relu(self.conv1(x)), (2, 2))
            x = Fm.max_pool2d(Fm.relu(self.conv2(x)), 2)
            x = x.view(-1, 400)
            return self.fc3(Fm.relu(self.fc2(Fm.relu(self.fc1(x)))))
    return Net()


def test_lenet_gradients_and_sgd_step_match_torch():
    import torch.nn.functional as TF
    ours, theirs = _lenet(nn, F), _lenet(torch.nn, TF)
    ours.load_state_dict({k: pe.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 1, 32, 32)).astype(np.float32)
    target = rng.standard_normal((4, 10)).astype(np.float32)
    for m, eng, net in ((nn, pe, ours), (torch.nn, torch, theirs)):
        opt = eng.optim.SGD(net.parameters(), lr=0.01)
        opt.zero_grad()
        loss = m.MSELoss()(net(eng.tensor(x)), eng.tensor(target))
        loss.backward()
        opt.step()
    for (n1, p1), (n2, p2) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert n1 == n2
        np.testing.assert_allclose(p1.grad.numpy(), p2.grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=n1)
        np.testing.assert_allclose(p1.detach().numpy(), p2.detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=n1)


@pytest.mark.parametrize("opt_name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_classifier_loss_decreases(opt_name):
    pe.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 2)).astype(np.float32)
    labels = ((x[:, 0] * x[:, 1]) > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.GELU(), nn.BatchNorm1d(16),
                          nn.Linear(16, 2))
    lr = {"SGD": 0.3, "Adagrad": 0.1}.get(opt_name, 0.02)
    opt = getattr(optim, opt_name)(model.parameters(), lr=lr)
    sched = optim.lr_scheduler.StepLR(opt, 50, gamma=0.5)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = pe.tensor(x), pe.tensor(labels)
    losses = []
    for _ in range(150):
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], (losses[0], losses[-1])
    model.eval()
    acc = (model(xt).argmax(1) == yt).float().mean().item()
    assert acc > 0.85


def test_gradient_accumulation_equals_big_batch():
    x, y, weights = _data(1)
    grads = []
    for chunks in (1, 4):
        model = nn.Sequential(nn.Linear(D_in, H), nn.ReLU(), nn.Linear(H, D_out))
        model.load_state_dict({k: pe.tensor(v) for k, v in weights.items()})
        opt = optim.Adam(model.parameters(), lr=1e-3)
        opt.zero_grad()
        for xc, yc in zip(np.split(x, chunks), np.split(y, chunks)):
            loss = F.mse_loss(model(pe.tensor(xc)), pe.tensor(yc), reduction="sum")
            loss.backward()
        grads.append([p.grad.numpy().copy() for p in model.parameters()])
        opt.step()
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_clip_after_backward_and_dropout_train_eval():
    model = nn.Sequential(nn.Linear(10, 10), nn.Dropout(0.5), nn.Linear(10, 1))
    x = pe.randn(8, 10)
    model(x).pow(2).sum().mul(100).backward()
    total = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    assert total.item() > 1.0
    after = np.sqrt(sum((p.grad.numpy().astype(np.float64) ** 2).sum() for p in model.parameters()))
    assert after == pytest.approx(1.0, rel=1e-4)
    model.eval()
    np.testing.assert_array_equal(model(x).detach().numpy(), model(x).detach().numpy())


def test_step_runs_without_recording():
    p = nn.Parameter(pe.ones(3))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    (p * 2).sum().backward()
    opt.step()
    assert p.grad_fn is None and p.is_leaf and opt.state[p]["momentum_buffer"].grad_fn is None
