"""RMSprop (momentum, centered, weight decay, maximize): PyTorch's single-tensor update, op for op.
state = {step, square_avg [, momentum_buffer] [, grad_avg]}."""
from __future__ import annotations

from typing import Any

import pyengine

from .._C import Tensor
from . import _multi_tensor
from .optimizer import Optimizer, _scalar_dtype, _to_scalar, addcdiv_, addcmul_

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0,
                 momentum: float = 0, centered: bool = False, capturable: bool = False, foreach=None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            alpha, eps, momentum = group["alpha"], group["eps"], group["momentum"]
            pairs = self._params_with_grad(group)
            if _multi_tensor.usable(group, pairs):  # foreach on CUDA: a few launches for the group
                _multi_tensor.rmsprop(self, group, pairs, lr)
                continue
            for param, grad in pairs:
                state = self.state[param]
                if len(state) == 0:
                    state["step"] = pyengine.zeros((), dtype=_scalar_dtype())
                    state["square_avg"] = pyengine.zeros_like(param)
                    if momentum > 0:
                        state["momentum_buffer"] = pyengine.zeros_like(param)
                    if group["centered"]:
                        state["grad_avg"] = pyengine.zeros_like(param)
                if group["maximize"]:
                    grad = -grad
                square_avg = state["square_avg"]
                state["step"].add_(1)
                if group["weight_decay"] != 0:
                    grad = grad.add(param, alpha=group["weight_decay"])
                addcmul_(square_avg.mul_(alpha), grad, grad, value=1 - alpha)
                if group["centered"]:
                    grad_avg = state["grad_avg"]
                    grad_avg.lerp_(grad, 1 - alpha)
                    avg = (square_avg - grad_avg * grad_avg).sqrt_()
                else:
                    avg = square_avg.sqrt()
                avg = avg.add_(eps)
                if momentum > 0:
                    buf = state["momentum_buffer"]
                    addcdiv_(buf.mul_(momentum), grad, avg)
                    param.add_(buf, alpha=-lr)
                else:
                    addcdiv_(param, grad, avg, value=-lr)
        return loss
