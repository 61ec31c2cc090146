"""Lazy modules: LazyLinear, LazyConv*, LazyBatchNorm*, LazyInstanceNorm* infer their input size on the first call.

Until then their parameters are UninitializedParameter/UninitializedBuffer; the first forward (a forward pre-hook)
materialises and initialises them and turns the module into its ``cls_to_become`` (LazyLinear becomes Linear), as
PyTorch. Loading a state dict into a lazy module materialises the parameters with the checkpoint's shapes.
Lazy variants of Conv1d/Conv3d/ConvTranspose* are defined when those modules exist in pyengine.nn.
"""
from __future__ import annotations

import itertools
import warnings

import pyengine

from .._autograd_compat import no_grad
from .._uninitialized import UninitializedBuffer, UninitializedParameter, _MaterializedBuffer, is_lazy
from . import conv as _conv
from . import normalization as _norm
from . import shape_more as _shape_more
from ._hooks import RemovableHandle
from .linear import Linear

__all__ = ["LazyModuleMixin", "LazyLinear", "LazyConv2d", "LazyBatchNorm1d", "LazyBatchNorm2d",
           "LazyBatchNorm3d"]


class LazyModuleMixin:
    """Mixin for modules whose parameters' shapes come from the first input (``initialize_parameters``)."""

    cls_to_become = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        handle = RemovableHandle(self._load_state_dict_pre_hooks)
        self._load_state_dict_pre_hooks[handle.id] = self._lazy_load_hook
        self._load_hook = handle
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters, with_kwargs=True)
        warnings.warn("Lazy modules are a new feature under heavy development so changes to the API or "
                      "functionality can happen at any moment.", stacklevel=2)

    def _save_to_state_dict(self, destination, prefix, keep_vars) -> None:
        # Uninitialized tensors are saved as they are (detach would give them a shape they do not have).
        for name, param in self._parameters.items():
            if param is not None:
                if not (is_lazy(param) or keep_vars):
                    param = param.detach()
                destination[prefix + name] = param
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                if not (is_lazy(buf) or keep_vars):
                    buf = buf.detach()
                destination[prefix + name] = buf

    def _lazy_load_hook(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                        error_msgs) -> None:
        for name, param in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and param is not None:
                input_param = state_dict[key]
                if is_lazy(param) and not is_lazy(input_param):
                    with no_grad():
                        param.materialize(input_param.shape)
        self._plain_buffers()

    def _plain_buffers(self) -> None:
        """Materialised buffers become plain Tensors sharing the same storage (see _uninitialized)."""
        for name, buf in list(self._buffers.items()):
            if isinstance(buf, _MaterializedBuffer):
                self._buffers[name] = pyengine.Tensor.detach(buf)

    def initialize_parameters(self, *args, **kwargs) -> None:
        raise NotImplementedError(f"initialize_parameters is not implemented for {self.__class__.__name__}")

    def has_uninitialized_params(self) -> bool:
        params = self._parameters.values()
        buffers = self._buffers.values()
        return any(is_lazy(p) for p in itertools.chain(params, buffers))

    @staticmethod
    def _infer_parameters(module, args, kwargs=None) -> None:
        kwargs = kwargs if kwargs else {}
        module.initialize_parameters(*args, **kwargs)
        module._plain_buffers()
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        delattr(module, "_initialize_hook")
        delattr(module, "_load_hook")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _replicate_for_data_parallel(self):
        raise RuntimeError("Modules with uninitialized parameters can't be used with `DataParallel`. Run a "
                           "dummy forward pass to correctly initialize the modules")


class LazyLinear(LazyModuleMixin, Linear):
    """A Linear whose ``in_features`` is ``input.shape[-1]`` of the first input."""

    cls_to_become = Linear
    weight: UninitializedParameter
    bias: UninitializedParameter

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        # bias=False so that Linear.__init__ does not build a real bias; the uninitialized one replaces it.
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(**factory_kwargs)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(**factory_kwargs)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:  # type: ignore[override]
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
        if self.in_features == 0:  # shapes came from a checkpoint: take in_features from it
            if input.shape[-1] != self.weight.shape[-1]:
                raise AssertionError(f"The in_features inferred from input: {input.shape[-1]} is not equal to "
                                     f"in_features from self.weight: {self.weight.shape[-1]}")
            self.in_features = input.shape[-1]


class _LazyConvXdMixin(LazyModuleMixin):
    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs) -> None:  # type: ignore[override]
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            with no_grad():
                if getattr(self, "transposed", "Transpose" in type(self).__name__):
                    self.weight.materialize((self.in_channels, self.out_channels // self.groups,
                                             *self.kernel_size))
                else:
                    self.weight.materialize((self.out_channels, self.in_channels // self.groups,
                                             *self.kernel_size))
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()

    def _get_in_channels(self, input) -> int:
        num_spatial_dims = self._get_num_spatial_dims()
        num_dims_no_batch = num_spatial_dims + 1
        num_dims_batch = num_dims_no_batch + 1
        if input.dim() not in (num_dims_no_batch, num_dims_batch):
            raise RuntimeError(f"Expected {num_dims_no_batch}D (unbatched) or {num_dims_batch}D (batched) input "
                               f"to {self.__class__.__name__}, but got input of size: {input.shape}")
        return input.shape[1] if input.dim() == num_dims_batch else input.shape[0]

    def _get_num_spatial_dims(self) -> int:
        return len(self.kernel_size)


class LazyConv2d(_LazyConvXdMixin, _conv.Conv2d):
    """A Conv2d whose ``in_channels`` is ``input.size(1)`` of the first input."""

    cls_to_become = _conv.Conv2d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1, groups: int = 1,
                 bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        # in_channels=0, out_channels=0, bias=False: the base builds empty tensors, replaced right away.
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode)
        self.weight = UninitializedParameter(**factory_kwargs)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(**factory_kwargs)


def _make_lazy_conv(base: type, doc: str) -> type:
    """A Lazy variant of a convolution module class of pyengine.nn (same constructor as LazyConv2d's, or as
    ConvTranspose's with output_padding)."""
    transposed = "Transpose" in base.__name__

    if transposed:
        def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                     dilation=1, padding_mode="zeros", device=None, dtype=None) -> None:
            factory_kwargs = {"device": device, "dtype": dtype}
            super(cls, self).__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation,
                                      padding_mode)
            self.weight = UninitializedParameter(**factory_kwargs)
            self.out_channels = out_channels
            if bias:
                self.bias = UninitializedParameter(**factory_kwargs)
    else:
        def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                     padding_mode="zeros", device=None, dtype=None) -> None:
            factory_kwargs = {"device": device, "dtype": dtype}
            super(cls, self).__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode)
            self.weight = UninitializedParameter(**factory_kwargs)
            self.out_channels = out_channels
            if bias:
                self.bias = UninitializedParameter(**factory_kwargs)

    cls = type(f"Lazy{base.__name__}", (_LazyConvXdMixin, base),
               {"cls_to_become": base, "__init__": __init__, "__doc__": doc, "__module__": __name__})
    return cls


for _name in ("Conv1d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"):
    if hasattr(_conv, _name):
        globals()["Lazy" + _name] = _make_lazy_conv(
            getattr(_conv, _name), f"A {_name} whose ``in_channels`` is inferred from the first input.")
        __all__.append("Lazy" + _name)


class _LazyNormBase(LazyModuleMixin, _norm._NormBase):
    weight: UninitializedParameter
    bias: UninitializedParameter

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        # affine/track_running_stats False so the base creates nothing; the placeholders are set below.
        super().__init__(0, eps, momentum, False, False, **factory_kwargs)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if self.affine:
            self.weight = UninitializedParameter(**factory_kwargs)
            self.bias = UninitializedParameter(**factory_kwargs)
        if self.track_running_stats:
            self.running_mean = UninitializedBuffer(**factory_kwargs)
            self.running_var = UninitializedBuffer(**factory_kwargs)
            self.num_batches_tracked = pyengine.tensor(
                0, dtype=pyengine.int64, **{k: v for k, v in factory_kwargs.items() if k != "dtype"})

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:  # type: ignore[override]
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            if self.affine:
                self.weight.materialize((self.num_features,))
                self.bias.materialize((self.num_features,))
            if self.track_running_stats:
                self.running_mean.materialize((self.num_features,))
                self.running_var.materialize((self.num_features,))
            self._plain_buffers()
            self.reset_parameters()


class LazyBatchNorm1d(_LazyNormBase, _norm._BatchNorm):
    """A BatchNorm1d whose ``num_features`` is ``input.size(1)`` of the first input."""

    cls_to_become = _norm.BatchNorm1d
    _check_input_dim = _norm.BatchNorm1d._check_input_dim


class LazyBatchNorm2d(_LazyNormBase, _norm._BatchNorm):
    """A BatchNorm2d whose ``num_features`` is ``input.size(1)`` of the first input."""

    cls_to_become = _norm.BatchNorm2d
    _check_input_dim = _norm.BatchNorm2d._check_input_dim


class LazyBatchNorm3d(_LazyNormBase, _norm._BatchNorm):
    """A BatchNorm3d whose ``num_features`` is ``input.size(1)`` of the first input."""

    cls_to_become = _norm.BatchNorm3d
    _check_input_dim = _norm.BatchNorm3d._check_input_dim


class _LazyInstanceNorm(LazyModuleMixin, _shape_more._InstanceNorm):
    """Lazy InstanceNorm: ``num_features`` from ``input.size(1)``."""

    weight: UninitializedParameter
    bias: UninitializedParameter

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__(0, eps, momentum, False, False, **factory_kwargs)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if self.affine:
            self.weight = UninitializedParameter(**factory_kwargs)
            self.bias = UninitializedParameter(**factory_kwargs)
        if self.track_running_stats:
            self.running_mean = UninitializedBuffer(**factory_kwargs)
            self.running_var = UninitializedBuffer(**factory_kwargs)
            self.num_batches_tracked = pyengine.tensor(0, dtype=pyengine.int64, device=device)

    def initialize_parameters(self, input) -> None:  # type: ignore[override]
        if self.has_uninitialized_params():
            # input.shape[1] even for unbatched input, as PyTorch (whose forward then rejects the mismatch)
            self.num_features = input.shape[1]
            with no_grad():
                if self.affine:
                    self.weight.materialize((self.num_features,))
                    self.bias.materialize((self.num_features,))
                    self.weight.fill_(1)
                    self.bias.zero_()
                if self.track_running_stats:
                    self.running_mean.materialize((self.num_features,))
                    self.running_var.materialize((self.num_features,))
                    self._plain_buffers()
                    self.running_mean.zero_()
                    self.running_var.fill_(1)
                    self.num_batches_tracked.zero_()


class LazyInstanceNorm1d(_LazyInstanceNorm):
    cls_to_become = _shape_more.InstanceNorm1d
    _dims = 3


class LazyInstanceNorm2d(_LazyInstanceNorm):
    cls_to_become = _shape_more.InstanceNorm2d
    _dims = 4


class LazyInstanceNorm3d(_LazyInstanceNorm):
    cls_to_become = _shape_more.InstanceNorm3d
    _dims = 5


__all__ += ["LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"]
