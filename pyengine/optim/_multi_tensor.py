"""The multi-tensor (foreach / fused) steps of SGD, Adam and AdamW on CUDA: one kernel launch per chunk of up to
24 parameters of a group instead of ~10 elementwise launches per parameter, and no host synchronisation (Note
[Multi-tensor optimizer step] in cuda/optim_fused.cu). Same arithmetic as the single-tensor loops, so the results
are the same bits.

As PyTorch: ``foreach=None`` picks this path when every parameter of the group is on one CUDA device; ``foreach=False``
keeps the loop. ``fused=True`` also takes it and lets GradScaler skip an overflowing step on the device
(``_step_supports_amp_scaling``: the optimizer receives ``grad_scale`` and ``found_inf``; its ``state['step']`` lives on
the parameters' device, float32). On the CPU (and for float16/bfloat16, sparse or non-contiguous tensors) the loop runs:
fused there is the same arithmetic.
"""
from __future__ import annotations

from typing import Any, Optional

import pyengine

from .. import _C


def check_fused_args(fused: Optional[bool], foreach: Optional[bool], differentiable: bool) -> bool:
    """PyTorch's constructor checks for fused=True; returns whether the step supports AMP scaling."""
    if not fused:
        return False
    if differentiable:
        raise RuntimeError("`fused` does not support `differentiable`")
    if foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    return True


def check_fused_params(param_groups: list) -> None:
    for group in param_groups:
        for p in group["params"]:
            if not (p.is_floating_point() and p.device.type in ("cuda", "cpu")):
                raise RuntimeError("`fused=True` requires all the params to be floating point Tensors of "
                                   "supported devices: ['cuda', 'cpu'].")


def usable(group: dict[str, Any], pairs: list) -> bool:
    """Whether the group's (param, grad) pairs can take the multi-tensor kernels."""
    if not pairs or group.get("foreach") is False and not group.get("fused"):
        return False
    if group.get("differentiable"):
        return False
    p0 = pairs[0][0]
    if p0.device.type != "cuda" or p0.dtype not in (pyengine.float32, pyengine.float64):
        return False
    for p, g in pairs:
        if (p.device != p0.device or g.device != p0.device or p.dtype != p0.dtype or g.dtype != p0.dtype
                or getattr(g, "is_sparse", False) or not p.is_contiguous() or not g.is_contiguous()
                or p.shape != g.shape):
            return False
    return True


def _amp_args(optimizer) -> tuple:
    """The grad_scale / found_inf GradScaler hands a fused optimizer (attributes set around step())."""
    return getattr(optimizer, "grad_scale", None), getattr(optimizer, "found_inf", None)


def sgd(optimizer, group: dict[str, Any], pairs: list, lr: float) -> None:
    params = [p for p, _ in pairs]
    grads = [g for _, g in pairs]
    momentum = group["momentum"]
    bufs, first = [], []
    if momentum != 0:
        for p in params:
            state = optimizer.state[p]
            buf = state.get("momentum_buffer")
            if buf is None or not buf.is_contiguous():
                # Zeros, not empty: a first step GradScaler skips must not leave garbage behind.
                first.append(buf is None)
                buf = pyengine.zeros_like(p) if buf is None else buf.contiguous()
                state["momentum_buffer"] = buf
            else:
                first.append(False)
            bufs.append(buf)
    grad_scale, found_inf = _amp_args(optimizer)
    with pyengine.no_grad():
        _C._fused_sgd_(params, grads, bufs, first, lr=lr, momentum=momentum, dampening=group["dampening"],
                       weight_decay=group["weight_decay"], nesterov=group["nesterov"], maximize=group["maximize"],
                       grad_scale=grad_scale, found_inf=found_inf)


def adam(optimizer, group: dict[str, Any], pairs: list, lr: float) -> None:
    params = [p for p, _ in pairs]
    grads = [g for _, g in pairs]
    exp_avgs, exp_avg_sqs, max_sqs, steps = [], [], [], []
    device_steps = bool(group.get("fused"))
    for p in params:
        state = optimizer._init_state(p, group)
        step = state["step"]
        if device_steps and step.device != p.device:
            state["step"] = step = step.to(device=p.device, dtype=pyengine.float32)
        elif not device_steps and step.device.type != "cpu":
            state["step"] = step = step.cpu()  # a device step from a fused run: read back once, here
        exp_avgs.append(state["exp_avg"])
        exp_avg_sqs.append(state["exp_avg_sq"])
        if group["amsgrad"]:
            max_sqs.append(state["max_exp_avg_sq"])
        steps.append(step)
    beta1, beta2 = group["betas"]
    grad_scale, found_inf = _amp_args(optimizer)
    with pyengine.no_grad():
        _C._fused_adam_(params, grads, exp_avgs, exp_avg_sqs, max_sqs, steps, lr=lr, beta1=float(beta1),
                        beta2=float(beta2), weight_decay=group["weight_decay"], eps=group["eps"],
                        amsgrad=group["amsgrad"], maximize=group["maximize"],
                        decoupled_weight_decay=group["decoupled_weight_decay"], grad_scale=grad_scale,
                        found_inf=found_inf)


def loop_skips_step(optimizer, pairs: list) -> bool:
    """For the single-tensor loop of a fused optimizer that GradScaler drives (a group the kernels cannot take:
    CPU, other dtypes): unscale the gradients by grad_scale, and tell whether found_inf says to skip (read on the
    host, as PyTorch's non-fused GradScaler path)."""
    grad_scale, found_inf = _amp_args(optimizer)
    if found_inf is not None and bool(found_inf.item() != 0):
        return True
    if grad_scale is not None:
        with pyengine.no_grad():
            for _, g in pairs:
                g.div_(grad_scale.to(g.device))
    return False


def rmsprop(optimizer, group: dict[str, Any], pairs: list, lr: float) -> None:
    """RMSprop's foreach step: the state as the loop makes it, then one launch per table of parameters."""
    params = [p for p, _ in pairs]
    grads = [g for _, g in pairs]
    square_avgs, grad_avgs, bufs = [], [], []
    momentum, centered = group["momentum"], group["centered"]
    for p in params:
        state = optimizer.state[p]
        if len(state) == 0:
            from .optimizer import _scalar_dtype
            state["step"] = pyengine.zeros((), dtype=_scalar_dtype())
            state["square_avg"] = pyengine.zeros_like(p)
            if momentum > 0:
                state["momentum_buffer"] = pyengine.zeros_like(p)
            if centered:
                state["grad_avg"] = pyengine.zeros_like(p)
        state["step"].add_(1)  # a CPU tensor: no device work
        square_avgs.append(state["square_avg"])
        if momentum > 0:
            bufs.append(state["momentum_buffer"])
        if centered:
            grad_avgs.append(state["grad_avg"])
    with pyengine.no_grad():
        _C._fused_rmsprop_(params, grads, square_avgs, grad_avgs, bufs, lr=lr, alpha=group["alpha"], eps=group["eps"],
                           weight_decay=group["weight_decay"], momentum=momentum, centered=centered,
                           maximize=group["maximize"])


def adagrad(optimizer, group: dict[str, Any], pairs: list, lr: float) -> None:
    """Adagrad's foreach step: each parameter's learning rate from its (CPU) step on the host, as the loop."""
    params = [p for p, _ in pairs]
    grads = [g for _, g in pairs]
    sums, clrs = [], []
    for p in params:
        state = optimizer.state[p]
        state["step"].add_(1)
        step = state["step"].item()
        clrs.append(lr / (1 + (step - 1) * group["lr_decay"]))
        sums.append(state["sum"])
    with pyengine.no_grad():
        _C._fused_adagrad_(params, grads, sums, clrs, eps=group["eps"], weight_decay=group["weight_decay"],
                           maximize=group["maximize"])
