"""NAdam (Nesterov-momentum Adam with the momentum-decay schedule; L2 or decoupled weight decay, maximize):
PyTorch's single-tensor update, op for op. state = {step, mu_product (0-d tensors), exp_avg, exp_avg_sq}."""
from __future__ import annotations

from typing import Any

import pyengine

from ._capturable import check_capturable, no_sparse, scalar_state, tensor_steps_setstate
from .optimizer import check_adam_hyperparameters  # noqa: I001
from .optimizer import Optimizer, _get_value, _to_scalar, addcdiv_, addcmul_

__all__ = ["NAdam"]


class NAdam(Optimizer):
    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 momentum_decay: float = 4e-3, decoupled_weight_decay: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False) -> None:
        check_adam_hyperparameters(lr, eps, betas, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
        tensor_steps_setstate(self, ("step", "mu_product"))

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr = _to_scalar(group["lr"])
            eps, weight_decay, momentum_decay = group["eps"], group["weight_decay"], group["momentum_decay"]
            for param, grad in self._params_with_grad(group):
                no_sparse("NAdam", grad)
                state = self.state[param]
                if len(state) == 0:
                    state["step"] = scalar_state(0.0, group, param)
                    state["mu_product"] = scalar_state(1.0, group, param)
                    state["exp_avg"] = pyengine.zeros_like(param)
                    state["exp_avg_sq"] = pyengine.zeros_like(param)
                if group["maximize"]:
                    grad = -grad
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                mu_product, step_t = state["mu_product"], state["step"]
                check_capturable(group, param, "params, mu_products and state_steps")
                step_t.add_(1)
                step = _get_value(step_t)
                bias_correction2 = 1 - beta2 ** step
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        param.mul_(1 - lr * weight_decay)
                    else:
                        grad = grad.add(param, alpha=weight_decay)
                # the momentum schedule: mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * psi))
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                mu_product.mul_(mu)
                exp_avg.lerp_(grad, 1 - beta1)
                addcmul_(exp_avg_sq.mul_(beta2), grad, grad, value=1 - beta2)
                denom = exp_avg_sq.div(bias_correction2).sqrt()
                mu_product_value = _get_value(mu_product)
                mu_product_next = mu_product_value * mu_next
                denom.add_(eps)
                addcdiv_(param, grad, denom, value=-lr * (1.0 - mu) / (1.0 - mu_product_value))
                addcdiv_(param, exp_avg, denom, value=(-lr * mu_next) / (1.0 - mu_product_next))
        return loss
