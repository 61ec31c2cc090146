"""nn.DataParallel over two (emulated) devices: scatter, replicate, replicas run concurrently with one host thread
per device (each with its device current), gather; outputs and gradients equal one device's. Runs on a machine with
two GPUs or the emulated device (two devices by default); skips with "CUDA not available" elsewhere."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import pyengine as pe
import pyengine.nn as nn
import pyengine.nn.functional as F
from pe_testing import cuda_required

pytestmark = cuda_required


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3)
        self.bn = nn.BatchNorm2d(3)
        self.fc = nn.Linear(3 * 6 * 6, 4)
        self.seen: list = []

    def forward(self, x):
        self.seen.append((threading.current_thread().name, pe.cuda.current_device(), x.device.index, x.shape[0]))
        return self.fc(F.relu(self.bn(self.conv(x))).flatten(1))


def _two_devices():
    if pe.cuda.device_count() < 2:
        pytest.skip("CUDA not available")  # one device only: nothing to spread over


def test_data_parallel_matches_one_device():
    _two_devices()
    pe.manual_seed(0)
    net = Net().to("cuda:0")
    ref = Net().to("cuda:0")
    ref.load_state_dict(net.state_dict())
    x = pe.randn(7, 1, 8, 8, device="cuda:0")
    y = pe.randint(0, 4, (7,), device="cuda:0")
    dp = nn.DataParallel(net, device_ids=[0, 1])
    out = dp(x)
    assert out.device == pe.device("cuda:0") and out.shape == (7, 4)
    # the scatter: 4 + 3 rows; replica 1 ran on cuda:1 with cuda:1 current, in another thread
    seen = sorted(net.seen, key=lambda s: s[2])
    assert [(s[1], s[2], s[3]) for s in seen] == [(0, 0, 4), (1, 1, 3)]
    assert [s[0] for s in seen] == ["DataParallel replica 0", "DataParallel replica 1"]  # a thread per device
    # one device: the same outputs (batch norm in eval mode: per-replica training statistics differ by design;
    # the running statistics replica 0 updated are copied over)
    ref.load_state_dict(net.state_dict())
    net.eval(), ref.eval()
    dp_out, ref_out = dp(x), ref(x)
    np.testing.assert_allclose(dp_out.detach().cpu().numpy(), ref_out.detach().cpu().numpy(), rtol=1e-6,
                               atol=1e-6)
    F.cross_entropy(dp_out, y).backward()
    F.cross_entropy(ref_out, y).backward()
    for (name, p), q in zip(net.named_parameters(), ref.parameters()):
        assert p.grad is not None and p.grad.device == pe.device("cuda:0"), name
        np.testing.assert_allclose(p.grad.cpu().numpy(), q.grad.cpu().numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


def test_data_parallel_trains_like_one_device():
    _two_devices()
    pe.manual_seed(1)
    a = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 2)).to("cuda:0")
    b = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 2)).to("cuda:0")
    b.load_state_dict(a.state_dict())
    dp = nn.DataParallel(a)
    oa = pe.optim.SGD(a.parameters(), lr=0.1, momentum=0.9)
    ob = pe.optim.SGD(b.parameters(), lr=0.1, momentum=0.9)
    x, t = pe.randn(10, 5, device="cuda:0"), pe.randn(10, 2, device="cuda:0")
    for _ in range(3):
        for model, opt in ((dp, oa), (b, ob)):
            opt.zero_grad()
            F.mse_loss(model(x), t).backward()
            opt.step()
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(p.detach().cpu().numpy(), q.detach().cpu().numpy(), rtol=1e-5, atol=1e-6)


def test_data_parallel_replica_error_is_raised():
    _two_devices()

    class Bad(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def forward(self, x):
            if pe.cuda.current_device() == 1:
                raise ValueError("replica failure")
            return self.lin(x)

    dp = nn.DataParallel(Bad().to("cuda:0"), device_ids=[0, 1])
    with pytest.raises(ValueError, match="replica failure"):
        dp(pe.randn(4, 2, device="cuda:0"))


def test_data_parallel_keeps_grad_mode_in_threads():
    _two_devices()
    dp = nn.DataParallel(nn.Linear(3, 1).to("cuda:0"), device_ids=[0, 1])
    with pe.no_grad():
        out = dp(pe.randn(4, 3, device="cuda:0"))
    assert not out.requires_grad
    assert dp(pe.randn(4, 3, device="cuda:0")).requires_grad
