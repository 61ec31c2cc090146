"""Adam (with L2 weight_decay folded into the gradient, amsgrad, maximize, and the decoupled weight decay that
AdamW sets): PyTorch's single-tensor update, op for op. state = {step (0-d float tensor), exp_avg, exp_avg_sq
[, max_exp_avg_sq]}."""
from __future__ import annotations

from typing import Any

import pyengine

from .._C import Tensor
from . import _multi_tensor
from .optimizer import check_adam_hyperparameters  # noqa: I001
from .optimizer import Optimizer, _get_value, _scalar_dtype, _to_scalar, addcdiv_, addcmul_

__all__ = ["Adam"]


class Adam(Optimizer):
    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 amsgrad: bool = False, *, foreach=None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused=None, decoupled_weight_decay: bool = False) -> None:
        check_adam_hyperparameters(lr, eps, betas, weight_decay)
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        betas = tuple(map(_to_scalar, betas))
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        if _multi_tensor.check_fused_args(fused, foreach, differentiable):
            self._step_supports_amp_scaling = True
            _multi_tensor.check_fused_params(self.param_groups)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            group.setdefault("fused", None)
            for p in group["params"]:
                p_state = self.state.get(p, [])
                if len(p_state) != 0 and not isinstance(p_state["step"], Tensor):
                    p_state["step"] = pyengine.tensor(float(p_state["step"]), dtype=_scalar_dtype())

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = self.state[p]
        if len(state) == 0:
            # fused: float32 on the parameter's device, as PyTorch's (GradScaler skips it there).
            state["step"] = (pyengine.zeros((), dtype=pyengine.float32, device=p.device) if group.get("fused")
                             else pyengine.tensor(0.0, dtype=_scalar_dtype()))
            state["exp_avg"] = pyengine.zeros_like(p)
            state["exp_avg_sq"] = pyengine.zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = pyengine.zeros_like(p)
        return state

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr = _to_scalar(group["lr"])
            weight_decay, eps = group["weight_decay"], group["eps"]
            pairs = self._params_with_grad(group)
            if _multi_tensor.usable(group, pairs):  # foreach/fused on CUDA: a few launches for the group
                _multi_tensor.adam(self, group, pairs, lr)
                continue
            if _multi_tensor.loop_skips_step(self, pairs):
                continue
            for param, grad in pairs:
                state = self._init_state(param, group)
                if group["maximize"]:
                    grad = -grad
                exp_avg, exp_avg_sq, step_t = state["exp_avg"], state["exp_avg_sq"], state["step"]
                step_t.add_(1)
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        param.mul_(1 - lr * weight_decay)
                    else:
                        grad = grad.add(param, alpha=weight_decay)
                exp_avg.lerp_(grad, 1 - beta1)
                addcmul_(exp_avg_sq.mul_(beta2), grad, grad, value=1 - beta2)
                step = _get_value(step_t)
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                step_size = lr / bias_correction1
                bias_correction2_sqrt = bias_correction2 ** 0.5
                if group["amsgrad"]:
                    max_sq = state["max_exp_avg_sq"]
                    max_sq.copy_(pyengine.maximum(max_sq, exp_avg_sq))
                    denom = (max_sq.sqrt() / bias_correction2_sqrt).add_(eps)
                else:
                    denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
                addcdiv_(param, exp_avg, denom, value=-step_size)
        return loss
