"""Module dtype/device conversion: _apply, to(), cuda(), cpu(), float(), double(), half(), bfloat16(), type(),
share_memory().

Parameters (and their .grad tensors) keep their identity across every conversion, dtype changes included:
their data is swapped in place (``param.data = fn(param.data)``, PyTorch's default), so an optimizer
built before ``.to()`` / ``.double()`` keeps working. Buffers are replaced, as in PyTorch."""
from __future__ import annotations

from typing import Callable

from ..._C import Tensor
from .._autograd_compat import grad_of, no_grad


class _ConvertMixin:
    def _apply(self, fn: Callable[[Tensor], Tensor], recurse: bool = True):
        if recurse:
            for module in self.children():
                module._apply(fn)
        for param in self._parameters.values():
            if param is None:
                continue
            with no_grad():
                applied = fn(param)
            if applied is not param:
                param.data = applied
            grad = grad_of(param)
            if grad is not None:
                with no_grad():
                    grad_applied = fn(grad)
                if grad_applied is not grad:
                    grad.data = grad_applied
        for key, buf in self._buffers.items():
            if buf is not None:
                self._buffers[key] = fn(buf)
        return self

    def to(self, *args, memory_format=None, **kwargs):
        from ..._tensor import _parse_to
        dtype, device, _ = _parse_to(args, dict(kwargs))
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but got desired "
                            f"dtype={dtype}")

        def convert(t: Tensor) -> Tensor:
            # As PyTorch: memory_format applies to the 4-d and 5-d tensors only (conv weights, images).
            fmt = memory_format if t.dim() in (4, 5) else None
            try:
                return t.to(device=device, dtype=dtype if t.is_floating_point() else None, memory_format=fmt)
            except NotImplementedError as e:
                if str(e) == "Cannot copy out of meta tensor; no data!":  # PyTorch's hint for modules
                    raise NotImplementedError(
                        f"{e} Please use torch.nn.Module.to_empty() instead of torch.nn.Module.to() "
                        "when moving module from meta to a different device.") from None
                raise
        return self._apply(convert)

    def to_empty(self, *, device, recurse: bool = True):
        """Moves the parameters and buffers to ``device`` without copying their values (they are
        uninitialized): the way out of the meta device, where there are no values to copy."""
        import pyengine
        return self._apply(lambda t: pyengine.empty_like(t, device=device), recurse=recurse)

    def cuda(self, device=None):
        return self._apply(lambda t: t.cuda(device))

    def cpu(self):
        return self._apply(lambda t: t.cpu())

    def share_memory(self):
        """Moves parameters and buffers into shared memory in place (pyengine.multiprocessing)."""
        return self._apply(lambda t: t.share_memory_())

    def type(self, dst_type):
        return self._apply(lambda t: t.type(dst_type))

    def float(self):
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self):
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self):
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)

    def bfloat16(self):
        return self._apply(lambda t: t.bfloat16() if t.is_floating_point() else t)

