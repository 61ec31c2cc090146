"""Adagrad (lr_decay, weight decay, initial_accumulator_value, maximize): PyTorch's single-tensor update.
As in PyTorch the state (step, sum) is created for every parameter in the constructor."""
from __future__ import annotations

from typing import Any

import pyengine

from .._C import Tensor
from . import _multi_tensor
from .optimizer import Optimizer, _get_value, _scalar_dtype, _to_scalar, addcdiv_, addcmul_

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach=None, *, maximize: bool = False,
                 differentiable: bool = False, fused=None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = pyengine.tensor(0.0, dtype=_scalar_dtype())
                state["sum"] = pyengine.full_like(p, initial_accumulator_value)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)
        for s in self.state.values():
            if isinstance(s, dict) and "step" in s and not isinstance(s["step"], Tensor):
                s["step"] = pyengine.tensor(float(s["step"]), dtype=_scalar_dtype())

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            pairs = self._params_with_grad(group)
            if _multi_tensor.usable(group, pairs) and not group.get("fused"):  # foreach on CUDA
                _multi_tensor.adagrad(self, group, pairs, lr)
                continue
            for param, grad in pairs:
                state = self.state[param]
                step_t, state_sum = state["step"], state["sum"]
                step_t.add_(1)
                step = _get_value(step_t)
                if group["maximize"]:
                    grad = -grad
                if group["weight_decay"] != 0:
                    grad = grad.add(param, alpha=group["weight_decay"])
                clr = lr / (1 + (step - 1) * group["lr_decay"])
                addcmul_(state_sum, grad, grad, value=1)
                std = state_sum.sqrt().add_(group["eps"])
                addcdiv_(param, grad, std, value=-clr)
        return loss
