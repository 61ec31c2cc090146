"""GradScaler: dynamic loss scaling for mixed-precision training, as torch.amp.GradScaler.

scale(loss) multiplies by the current scale; unscale_(opt) divides the optimizer's gradients by it and records
whether any is inf/nan; step(opt) skips the optimizer step when one was; update() halves the scale after an
overflow and doubles it after ``growth_interval`` clean steps. The scale lives in a 1-element float32 tensor on
the device of the first scaled output, as PyTorch's does.
"""
from __future__ import annotations

import warnings
from collections import defaultdict
from enum import Enum
from typing import Any, Optional

__all__ = ["GradScaler", "OptState"]


class OptState(Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _refresh_per_optimizer_state() -> dict:
    return {"stage": OptState.READY, "found_inf_per_device": {}}


class GradScaler:
    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True) -> None:
        import pyengine
        self._device = device
        self._enabled = enabled
        if self._device == "cuda" and enabled and not pyengine.cuda.is_available():
            warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.")
            self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
            self._init_scale = init_scale
            self._scale = None
            self._growth_factor = growth_factor
            self._backoff_factor = backoff_factor
            self._growth_interval = growth_interval
            self._init_growth_tracker = 0
            self._growth_tracker = None
            self._per_optimizer_states = defaultdict(_refresh_per_optimizer_state)

    # ---- scaling ----
    def _lazy_init_scale_growth_tracker(self, dev) -> None:
        import pyengine
        self._scale = pyengine.full((), self._init_scale, dtype=pyengine.float32, device=dev)
        self._growth_tracker = pyengine.full((), self._init_growth_tracker, dtype=pyengine.int32, device=dev)

    def scale(self, outputs):
        """outputs * scale (a tensor or an iterable of tensors); unchanged when disabled."""
        import pyengine
        if not self._enabled:
            return outputs
        if isinstance(outputs, pyengine.Tensor):
            if self._scale is None:
                self._lazy_init_scale_growth_tracker(outputs.device)
            return outputs * self._scale.to(device=outputs.device, non_blocking=True)

        def apply_scale(val):
            if isinstance(val, pyengine.Tensor):
                if self._scale is None:
                    self._lazy_init_scale_growth_tracker(val.device)
                return val * self._scale.to(device=val.device)
            if isinstance(val, (list, tuple)):
                iterable = map(apply_scale, val)
                return type(val)(iterable) if isinstance(val, list) or not hasattr(val, "_fields") \
                    else type(val)(*iterable)
            if hasattr(val, "__iter__"):
                return map(apply_scale, val)
            raise ValueError("outputs must be a Tensor or an iterable of Tensors")
        return apply_scale(outputs)

    def _unscale_grads_(self, optimizer, inv_scale, found_inf, allow_fp16: bool) -> dict:
        import pyengine
        per_device = {}
        with pyengine.no_grad():
            for group in optimizer.param_groups:
                for param in group["params"]:
                    if param.grad is None:
                        continue
                    if (not allow_fp16) and param.grad.dtype == pyengine.float16:
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    grad = param.grad
                    dev = grad.device
                    if dev not in per_device:
                        per_device[dev] = found_inf.to(dev).clone()
                    per_device[dev] += (~pyengine.isfinite(grad)).any().to(pyengine.float32)
                    if inv_scale is not None:  # None: only look for infs (a fused step unscales itself)
                        grad.mul_(inv_scale.to(dev).to(grad.dtype))
        return per_device

    def unscale_(self, optimizer) -> None:
        """Divides optimizer's gradients by the scale (in place), once per step."""
        import pyengine
        if not self._enabled:
            return
        self._check_scale_growth_tracker("unscale_")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv_scale = self._scale.double().reciprocal().float()
        found_inf = pyengine.full((), 0.0, dtype=pyengine.float32, device=self._scale.device)
        state["found_inf_per_device"] = self._unscale_grads_(optimizer, inv_scale, found_inf, False)
        state["stage"] = OptState.UNSCALED

    def step(self, optimizer, *args: Any, **kwargs: Any) -> Optional[float]:
        """optimizer.step(*args, **kwargs) unless the unscaled gradients hold an inf or nan."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale_growth_tracker("step")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if getattr(optimizer, "_step_supports_amp_scaling", False):
            return self._fused_step(optimizer, state, args, kwargs)
        if state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        if len(state["found_inf_per_device"]) == 0:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        retval = None
        if not sum(float(v) for v in state["found_inf_per_device"].values()):
            retval = optimizer.step(*args, **kwargs)
        state["stage"] = OptState.STEPPED
        return retval

    def _fused_step(self, optimizer, state: dict, args, kwargs) -> Any:
        """PyTorch's path for optimizers with ``_step_supports_amp_scaling`` (fused=True): no host read of
        found_inf; the optimizer gets ``grad_scale`` (unless already unscaled) and ``found_inf`` and skips an
        overflowing step on the device."""
        import pyengine
        if state["stage"] is OptState.READY:
            found_inf = pyengine.full((), 0.0, dtype=pyengine.float32, device=self._scale.device)
            state["found_inf_per_device"] = self._unscale_grads_(optimizer, None, found_inf, True)
        if len(state["found_inf_per_device"]) == 0:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        found_inf = sum(t.to(self._scale.device, non_blocking=True) for t in state["found_inf_per_device"].values())
        optimizer.grad_scale = None if state["stage"] is OptState.UNSCALED else self._scale
        optimizer.found_inf = found_inf
        try:
            retval = optimizer.step(*args, **kwargs)
        finally:
            del optimizer.grad_scale
            del optimizer.found_inf
        state["stage"] = OptState.STEPPED
        return retval

    def update(self, new_scale=None) -> None:
        """The next scale: ``new_scale`` if given, else backed off after an overflow or grown after
        ``growth_interval`` clean steps."""
        import pyengine
        if not self._enabled:
            return
        self._check_scale_growth_tracker("update")
        if new_scale is not None:
            if isinstance(new_scale, float):
                self._scale.fill_(new_scale)
            else:
                if not (isinstance(new_scale, pyengine.Tensor) and new_scale.numel() == 1
                        and new_scale.dtype == pyengine.float32 and not new_scale.requires_grad):
                    raise AssertionError("new_scale should be a float or a 1-element torch.FloatTensor or "
                                         "torch.cuda.FloatTensor with requires_grad=False.")
                self._scale.copy_(new_scale.reshape(()))
        else:
            found_infs = [f for state in self._per_optimizer_states.values()
                          for f in state["found_inf_per_device"].values()]
            if len(found_infs) == 0:
                raise AssertionError("No inf checks were recorded prior to update.")
            # On the device, as PyTorch's _amp_update_scale_: no host read of found_inf.
            found = found_infs[0]
            for f in found_infs[1:]:
                found = found + f.to(found.device)
            self._amp_update_scale_(found.to(self._scale.device))
        self._per_optimizer_states = defaultdict(_refresh_per_optimizer_state)

    def _amp_update_scale_(self, found_inf) -> None:
        """PyTorch's _amp_update_scale_, in tensor ops: after an overflow scale *= backoff and tracker = 0; else
        tracker += 1 and, when it reaches growth_interval, scale *= growth (kept only if finite) and tracker = 0."""
        import pyengine
        scale, tracker = self._scale, self._growth_tracker
        overflow = found_inf > 0
        successful = tracker + 1
        grow = successful == self._growth_interval
        grown = scale * self._growth_factor
        grown = pyengine.where(pyengine.isfinite(grown), grown, scale)
        new_scale = pyengine.where(overflow, scale * self._backoff_factor, pyengine.where(grow, grown, scale))
        new_tracker = pyengine.where(overflow | grow, pyengine.zeros_like(tracker), successful)
        scale.copy_(new_scale)
        tracker.copy_(new_tracker)

    def _check_scale_growth_tracker(self, funcname: str) -> None:
        fix = "This may indicate your script did not use scaler.scale(loss or outputs) earlier in the iteration."
        if self._scale is None:
            raise AssertionError(f"Attempted {funcname} but _scale is None.  " + fix)
        if self._growth_tracker is None:
            raise AssertionError(f"Attempted {funcname} but _growth_tracker is None.  " + fix)

    # ---- accessors and state ----
    def _get_scale_async(self):
        return self._scale

    def get_scale(self) -> float:
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else float(self._scale)

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def _get_growth_tracker(self) -> int:
        if not self._enabled:
            return 0
        return self._init_growth_tracker if self._growth_tracker is None else int(self._growth_tracker)

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict:
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._get_growth_tracker()}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved from a disabled "
                               "instance of GradScaler.")
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale.fill_(state_dict["scale"])
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._init_growth_tracker = state_dict["_growth_tracker"]
        if self._growth_tracker is not None:
            self._growth_tracker.fill_(state_dict["_growth_tracker"])

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        if self._enabled:
            if len(self._per_optimizer_states) != 0:
                raise AssertionError("A GradScaler instance may only be pickled at the beginning of an iteration, "
                                     "or at the end after scaler.update().")
            state["_init_scale"] = self.get_scale()
            state["_init_growth_tracker"] = self._get_growth_tracker()
            state["_scale"] = None
            state["_growth_tracker"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
