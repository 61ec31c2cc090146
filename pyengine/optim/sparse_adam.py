"""SparseAdam: Adam restricted to the entries a sparse gradient touches. pyengine has no sparse tensors (and
``nn.Embedding(sparse=True)`` refuses), so no gradient can be sparse: construction is accepted with PyTorch's
checks and defaults, and ``step`` raises PyTorch's error for the dense gradient it meets."""
from __future__ import annotations

from .._C import Tensor
from .optimizer import Optimizer

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 maximize: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize})

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            for _param, _grad in self._params_with_grad(group):
                raise RuntimeError("SparseAdam does not support dense gradients, please consider Adam instead")
        return loss
