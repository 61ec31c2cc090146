"""torch.optim.swa_utils: Stochastic Weight Averaging and exponential moving averages of a model's weights.

AveragedModel keeps a deep copy of a model whose parameters (and, with ``use_buffers``, buffers) are a running
average of the model's: the equal-weight SWA average by default, or any ``avg_fn`` / ``multi_avg_fn`` (e.g. the
EMA of :func:`get_ema_multi_avg_fn`). SWALR anneals each group's learning rate to its ``swa_lr``; update_bn
recomputes BatchNorm statistics for the averaged weights with one pass over a loader.
"""
from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Iterable
from typing import Any, Optional

from .. import _C
from ..autograd.grad_mode import no_grad
from ..nn.modules.module import Module
from ..nn.modules.normalization import _BatchNorm
from ._lr_schedulers_more import _format_param
from .lr_scheduler import LRScheduler, _warn_get_lr_called_within_step
from .optimizer import Optimizer

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn",
           "get_ema_avg_fn", "get_swa_avg_fn"]


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable:
    """In place, for lists of tensors: ema <- decay * ema + (1 - decay) * current."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")

    @no_grad()
    def ema_update(ema_param_list, current_param_list, _num_averaged) -> None:
        if ema_param_list[0].is_floating_point():
            for ema, cur in zip(ema_param_list, current_param_list):
                ema.lerp_(cur, 1 - decay)
        else:  # integer buffers (num_batches_tracked): the float result truncated back
            for ema, cur in zip(ema_param_list, current_param_list):
                ema.copy_(ema * decay + cur * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn() -> Callable:
    """In place, for lists of tensors: avg <- avg + (current - avg) / (n + 1) (the equal-weight running mean)."""
    @no_grad()
    def swa_update(averaged_param_list, current_param_list, num_averaged) -> None:
        if averaged_param_list[0].is_floating_point():
            for avg, cur in zip(averaged_param_list, current_param_list):
                avg.lerp_(cur, 1 / (num_averaged + 1))
        else:
            for avg, cur in zip(averaged_param_list, current_param_list):
                avg.copy_(avg + (cur - avg) / (num_averaged + 1))
    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable:
    """For one tensor, returning the new average: decay * ema + (1 - decay) * current."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")

    @no_grad()
    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn() -> Callable:
    """For one tensor, returning the new average: avg + (current - avg) / (n + 1)."""
    @no_grad()
    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose weights are the running average of ``model``'s at each update_parameters."""

    def __init__(self, model: Module, device=None, avg_fn: Optional[Callable] = None,
                 multi_avg_fn: Optional[Callable] = None, use_buffers: bool = False) -> None:
        super().__init__()
        import pyengine
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", pyengine.tensor(0, dtype=pyengine.long, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args: Any, **kwargs: Any):
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        if self.use_buffers:
            own = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            theirs = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            own, theirs = list(self.parameters()), list(model.parameters())
        own_d, theirs_d = [], []
        first = int(self.n_averaged) == 0
        for p_avg, p_model in zip(own, theirs):
            cur = p_model.detach().to(p_avg.device)
            own_d.append(p_avg.detach())
            theirs_d.append(cur)
            if first:
                p_avg.detach().copy_(cur)
        if not first:
            if self.avg_fn is None:
                # one call per (device, dtype) group, as PyTorch groups its foreach updates; without a
                # multi_avg_fn, cuda takes the in-place list form and the CPU the one-tensor form, as PyTorch
                # (whose CPU has no foreach kernels), so the rounding is the same
                groups: dict = {}
                for a, c in zip(own_d, theirs_d):
                    pair = groups.setdefault((str(a.device), a.dtype), ([], []))
                    pair[0].append(a)
                    pair[1].append(c)
                for (dev, _), (avgs, curs) in groups.items():
                    n = self.n_averaged.to(dev)
                    if self.multi_avg_fn is not None:
                        self.multi_avg_fn(avgs, curs, n)
                    elif dev.startswith("cuda"):
                        get_swa_multi_avg_fn()(avgs, curs, n)
                    else:
                        fn = get_swa_avg_fn()
                        for a, c in zip(avgs, curs):
                            a.copy_(fn(a, c, n))
            else:
                for a, c in zip(own_d, theirs_d):
                    a.copy_(self.avg_fn(a, c, self.n_averaged.to(a.device)))
        if not self.use_buffers:
            # Buffers are not averaged: keep them equal to the source model's.
            for b_swa, b_model in zip(self.module.buffers(), model.buffers()):
                b_swa.detach().copy_(b_model.detach().to(b_swa.device))
        self.n_averaged += 1


@no_grad()
def update_bn(loader: Iterable, model: Module, device=None) -> None:
    """Recompute the BatchNorm running statistics of ``model`` with one pass over ``loader`` (cumulative average)."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for batch in loader:
        if isinstance(batch, (list, tuple)):
            batch = batch[0]
        if device is not None:
            batch = batch.to(device)
        model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each param group's lr from its value to ``swa_lr`` over ``anneal_epochs`` steps, then holds it."""

    def __init__(self, optimizer: Optimizer, swa_lr, anneal_epochs: int = 10, anneal_strategy: str = "cos",
                 last_epoch: int = -1) -> None:
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must by one of 'cos' or 'linear', instead got {anneal_strategy}")
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list:
        _warn_get_lr_called_within_step(self)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(self.optimizer.param_groups, prev_lrs)]
