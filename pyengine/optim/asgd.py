"""ASGD (averaged SGD; weight decay, maximize): PyTorch's single-tensor update, op for op.
state = {step, eta, mu (0-d tensors on the parameter's device), ax (the running average of the parameter)}."""
from __future__ import annotations

from typing import Any

import pyengine

from .._C import Tensor
from ._capturable import check_capturable, no_sparse, scalar_state, tensor_steps_setstate
from .optimizer import Optimizer, _get_value, _to_scalar

__all__ = ["ASGD"]


class ASGD(Optimizer):
    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75, t0: float = 1e6,
                 weight_decay: float = 0, foreach=None, maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)
        tensor_steps_setstate(self, ("step", "eta", "mu"), on_param_device=True)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            lambd, alpha, t0, weight_decay = group["lambd"], group["alpha"], group["t0"], group["weight_decay"]
            for param, grad in self._params_with_grad(group):
                no_sparse("ASGD", grad)
                state = self.state[param]
                if len(state) == 0:
                    state["step"] = scalar_state(0.0, group, param, on_param_device=True)
                    state["eta"] = scalar_state(lr, group, param, on_param_device=True)
                    state["mu"] = scalar_state(1.0, group, param, on_param_device=True)
                    state["ax"] = pyengine.zeros_like(param)
                if group["maximize"]:
                    grad = -grad
                mu, ax, eta, step_t = state["mu"], state["ax"], state["eta"], state["step"]
                check_capturable(group, param, "params, mus, etas, and state_steps")
                step_t.add_(1)
                if weight_decay != 0:
                    grad = grad.add(param, alpha=weight_decay)
                eta_value = _get_value(eta)
                param.mul_(1 - lambd * eta_value)  # decay term
                param.add_(grad, alpha=-eta_value)  # the SGD step
                if mu.item() != 1:
                    ax.add_(param.sub(ax).mul_(mu))
                else:
                    ax.copy_(param)
                step = _get_value(step_t)
                eta.copy_(pyengine.as_tensor(lr / ((1 + lambd * lr * step) ** alpha)))
                mu.copy_(pyengine.as_tensor(1 / max(1, step - t0)))
        return loss
