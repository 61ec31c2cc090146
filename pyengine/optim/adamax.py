"""Adamax (the infinity-norm Adam; weight decay, maximize): PyTorch's single-tensor update, op for op.
state = {step (0-d tensor), exp_avg, exp_inf}."""
from __future__ import annotations

from typing import Any

import pyengine

from ._capturable import check_capturable, no_sparse, scalar_state, tensor_steps_setstate
from .optimizer import check_adam_hyperparameters  # noqa: I001
from .optimizer import Optimizer, _get_value, _to_scalar, addcdiv_

__all__ = ["Adamax"]


class Adamax(Optimizer):
    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 foreach=None, *, maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        check_adam_hyperparameters(lr, eps, betas, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)
        tensor_steps_setstate(self)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr = _to_scalar(group["lr"])
            eps, weight_decay = group["eps"], group["weight_decay"]
            for param, grad in self._params_with_grad(group):
                no_sparse("Adamax", grad)
                state = self.state[param]
                if len(state) == 0:
                    state["step"] = scalar_state(0.0, group, param)
                    state["exp_avg"] = pyengine.zeros_like(param)
                    state["exp_inf"] = pyengine.zeros_like(param)
                if group["maximize"]:
                    grad = -grad
                exp_avg, exp_inf, step_t = state["exp_avg"], state["exp_inf"], state["step"]
                check_capturable(group, param)
                step_t.add_(1)
                if weight_decay != 0:
                    grad = grad.add(param, alpha=weight_decay)
                exp_avg.lerp_(grad, 1 - beta1)
                # exp_inf = max(beta2 * exp_inf, |grad| + eps), in place
                exp_inf.copy_(pyengine.maximum(exp_inf.mul_(beta2), grad.abs().add_(eps)))
                clr = lr / (1 - beta1 ** _get_value(step_t))
                addcdiv_(param, exp_avg, exp_inf, value=-clr)
        return loss
