"""Rprop (resilient backpropagation; maximize): PyTorch's single-tensor update, op for op.
state = {step (0-d tensor), prev (the previous gradient, zeroed where its sign flipped), step_size}."""
from __future__ import annotations

from typing import Any

import pyengine

from .._C import Tensor
from ._capturable import check_capturable, no_sparse, scalar_state, tensor_steps_setstate
from .optimizer import Optimizer, _to_scalar, addcmul_

__all__ = ["Rprop"]


class Rprop(Optimizer):
    def __init__(self, params, lr: float = 1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
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
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            for param, grad in self._params_with_grad(group):
                no_sparse("Rprop", grad)
                state = self.state[param]
                if len(state) == 0:
                    state["step"] = scalar_state(0.0, group, param)
                    state["prev"] = pyengine.zeros_like(param)
                    state["step_size"] = pyengine.full_like(grad, _to_scalar(group["lr"]))
                if group["maximize"]:
                    grad = -grad
                prev, step_size = state["prev"], state["step_size"]
                check_capturable(group, param)
                state["step"].add_(1)
                # the factor per element: etaplus where the gradient kept its sign, etaminus where it flipped,
                # 1 where either is zero
                sign = grad.mul(prev).sign()
                factor = pyengine.where(sign.gt(0), pyengine.full_like(sign, etaplus), sign)
                factor = pyengine.where(factor.lt(0), pyengine.full_like(sign, etaminus), factor)
                factor = pyengine.where(factor.eq(0), pyengine.ones_like(sign), factor)
                step_size.mul_(factor).clamp_(step_size_min, step_size_max)
                # where the sign flipped the step is skipped and the remembered gradient zeroed
                grad = pyengine.where(factor.eq(etaminus), pyengine.zeros_like(grad), grad)
                addcmul_(param, grad.sign(), step_size, value=-1)
                prev.copy_(grad)
        return loss
