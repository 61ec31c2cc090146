"""inference_mode: its own thread-local state (not grad mode's, not shared between threads),
is_inference_mode_enabled, Tensor.is_inference and inference_mode(False), compared with PyTorch."""
from __future__ import annotations

import threading

import pytest

import pyengine as pe


def _flags(M):
    """The mode flags and inference-ness of tensors made in each situation, for module M."""
    out = {"outside": (M.is_inference_mode_enabled(), M.is_grad_enabled())}
    base = M.ones(3)
    with M.inference_mode():
        a = M.ones(3)
        out["inside"] = (M.is_inference_mode_enabled(), M.is_grad_enabled(), a.is_inference(),
                         base[1:].is_inference(), (base + 1).is_inference(), a[1:].is_inference())
        with M.inference_mode(False):
            b = M.ones(2)
            out["nested_false"] = (M.is_inference_mode_enabled(), M.is_grad_enabled(), b.is_inference(),
                                   a[:1].is_inference())
        out["back"] = (M.is_inference_mode_enabled(), M.is_grad_enabled())
    out["after"] = (M.is_inference_mode_enabled(), M.is_grad_enabled(), a.is_inference(), a[0:2].is_inference(),
                    (a * 2).is_inference(), a.detach().is_inference(), base.is_inference())
    with M.no_grad():
        with M.inference_mode(False):
            out["no_grad_false"] = (M.is_inference_mode_enabled(), M.is_grad_enabled())
        c = M.ones(1)
        out["no_grad"] = (M.is_inference_mode_enabled(), c.is_inference())

    @M.inference_mode()
    def f():
        return M.is_inference_mode_enabled(), M.zeros(1).is_inference()
    out["decorator"] = f() + (M.is_inference_mode_enabled(),)
    return out


def test_flags_match_torch():
    torch = pytest.importorskip("torch")
    assert _flags(pe) == _flags(torch)


def test_inference_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with pe.inference_mode():
            raise ValueError("x")
    assert not pe.is_inference_mode_enabled() and pe.is_grad_enabled()


def test_inference_mode_is_thread_local():
    entered, checked = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with pe.inference_mode():
            seen["worker_inside"] = pe.is_inference_mode_enabled(), pe.ones(1).is_inference()
            entered.set()
            checked.wait(10)
        seen["worker_after"] = pe.is_inference_mode_enabled()

    t = threading.Thread(target=worker)
    t.start()
    assert entered.wait(10)
    # the main thread is not in inference mode while the worker is
    main = pe.is_inference_mode_enabled(), pe.is_grad_enabled(), pe.ones(1).is_inference()
    with pe.inference_mode():
        main_inside = pe.is_inference_mode_enabled()
    checked.set()
    t.join(10)
    assert main == (False, True, False) and main_inside
    assert seen == {"worker_inside": (True, True), "worker_after": False}
    assert not pe.is_inference_mode_enabled()


def test_new_threads_start_outside_inference_mode():
    seen = []
    with pe.inference_mode():
        t = threading.Thread(target=lambda: seen.append((pe.is_inference_mode_enabled(), pe.ones(1).is_inference())))
        t.start()
        t.join(10)
    assert seen == [(False, False)]


def test_inference_tensors_outside_inference_mode_like_torch():
    torch = pytest.importorskip("torch")
    for M in (torch, pe):
        with M.inference_mode():
            a = M.ones(3)
            a.add_(1)  # in-place inside inference mode is fine
        with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside InferenceMode"):
            a.add_(1)
        with M.no_grad():
            with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside InferenceMode"):
                a.mul_(2)
        w = M.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="Inference tensors cannot be saved for backward"):
            w * a
        b = a.clone()  # a clone is a normal tensor
        assert not b.is_inference()
        (w * b).sum().backward()
        assert w.grad.tolist() == b.tolist()
