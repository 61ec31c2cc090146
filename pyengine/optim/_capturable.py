"""Shared by the optimizers added for PyTorch parity (Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop).

``capturable=True`` in PyTorch keeps ``state['step']`` (and the other scalar state) on the parameter's device so
that a CUDA graph can capture the step without a host sync; it is refused for CPU parameters. pyengine has no CUDA
graphs, so on a CUDA parameter capturable=True is honoured as far as it is observable: the scalar state lives on
the parameter's device (the update itself is the same arithmetic). On a CPU parameter it raises as PyTorch does.
"""
from __future__ import annotations

from typing import Any

import pyengine

from .._C import Tensor
from .optimizer import _scalar_dtype

#: The devices on which pyengine accepts capturable=True.
CAPTURABLE_DEVICES = ["cuda"]


def check_capturable(group: dict[str, Any], param: Tensor, what: str = "params and state_steps") -> None:
    """AssertionError (PyTorch's class and wording) when capturable=True meets a parameter on another device."""
    if group.get("capturable", False) and param.device.type not in CAPTURABLE_DEVICES:
        raise AssertionError(f"If capturable=True, {what} must be on supported devices: {CAPTURABLE_DEVICES}.")


def scalar_state(value: float, group: dict[str, Any], param: Tensor, *, on_param_device: bool = False) -> Tensor:
    """A 0-d state tensor (step, mu_product, eta, ...) of the optimizer scalar dtype; on the parameter's device when
    capturable (or when PyTorch always puts it there: on_param_device), else on the CPU."""
    device = param.device if (on_param_device or group.get("capturable", False)) else None
    return pyengine.tensor(float(value), dtype=_scalar_dtype(), device=device)


def tensor_steps_setstate(optimizer, keys: tuple[str, ...] = ("step",), on_param_device: bool = False) -> None:
    """__setstate__ for state saved by old versions with Python-number scalars: make them 0-d tensors."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            p_state = optimizer.state.get(p, [])
            if len(p_state) == 0:
                continue
            for key in keys:
                if key in p_state and not isinstance(p_state[key], Tensor):
                    p_state[key] = scalar_state(float(p_state[key]), group, p, on_param_device=on_param_device)


def no_sparse(name: str, grad: Tensor) -> None:
    if getattr(grad, "is_sparse", False):
        raise RuntimeError(f"{name} does not support sparse gradients")
