"""autocast: a region where PyTorch's autocast op lists run in lower precision (Note [Autocast]).

The lower-precision list (mm, bmm, matmul, addmm, baddbmm, addbmm, linear, conv2d) is cast in C++ at the ops'
autograd entries. The float32 list — ops that are unsafe in 16 bits (the losses; on cuda also softmax,
log_softmax, layer_norm, group_norm, softplus, cosine_similarity) — is applied here, by wrapping those
``nn.functional`` entries once at import (:func:`_install_float32_policy`): inside an autocast region, their
16-bit floating tensor arguments are cast to float32, as PyTorch's ``fp32`` cast policy does. Not cast on cuda,
unlike PyTorch: the Tensor-method forms of exp/log/pow/sum/prod/cumsum (docs/design-notes.md, "Autocast").
"""
from __future__ import annotations

import functools
import warnings
from typing import Any, Callable, Optional

from .. import _C
from .._C import _autograd as _A

__all__ = ["autocast", "custom_fwd", "custom_bwd", "is_autocast_available"]

_DEVICE_TYPES = ("cpu", "cuda")
_DEFAULT_DTYPE = {"cpu": "bfloat16", "cuda": "float16"}
# How many autocast regions are open in any thread: a zero here lets the float32 wrappers skip the state query.
_open_regions = [0]


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast supports ``device_type`` (cpu and cuda here)."""
    return device_type in _DEVICE_TYPES


def _dtype(name_or_dtype):
    import pyengine
    return getattr(pyengine, name_or_dtype) if isinstance(name_or_dtype, str) else name_or_dtype


class autocast:
    """``with torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None):`` (also a decorator).

    ``cache_enabled`` is accepted with PyTorch's meaning — whether casts of leaf weights are reused within the
    region — and has no effect on values; pyengine keeps no cast cache, so every region behaves as
    ``cache_enabled=False`` does in PyTorch.
    """

    def __init__(self, device_type: str, dtype=None, enabled: bool = True, cache_enabled: Optional[bool] = None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type not in _DEVICE_TYPES:
            raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")
        self.device = device_type
        self.fast_dtype = _dtype(_DEFAULT_DTYPE[device_type]) if dtype is None else dtype
        self._cache_enabled = True if cache_enabled is None else bool(cache_enabled)
        enabled = bool(enabled)
        import pyengine
        if enabled and device_type == "cpu" and self.fast_dtype not in (pyengine.bfloat16, pyengine.float16):
            warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                          "CPU Autocast only supports dtypes of torch.bfloat16, torch.float16 currently.")
            enabled = False
        if enabled and device_type == "cuda":
            if not pyengine.cuda.is_available():
                warnings.warn("User provided device_type of 'cuda', but CUDA is not available. Disabling")
                enabled = False
            elif self.fast_dtype not in (pyengine.bfloat16, pyengine.float16):
                warnings.warn("In CUDA autocast, but the target dtype is not supported. Disabling autocast.\n"
                              "CUDA Autocast only supports dtypes of torch.float16 and torch.bfloat16 currently.")
                enabled = False
        self._enabled = enabled

    def __enter__(self):
        self.prev, self.prev_dtype = _A._get_autocast(self.device)
        _A._set_autocast(self.device, self._enabled, self.fast_dtype)
        _open_regions[0] += 1
        return self

    def __exit__(self, *exc: Any) -> bool:
        _A._set_autocast(self.device, self.prev, self.prev_dtype)
        _open_regions[0] -= 1
        return False

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with autocast(self.device, dtype=self.fast_dtype, enabled=self._enabled,
                          cache_enabled=self._cache_enabled):
                return func(*args, **kwargs)
        return wrapper


def is_autocast_enabled(device_type: Optional[str] = None) -> bool:
    """torch.is_autocast_enabled([device_type]); without an argument, cuda's state (as PyTorch)."""
    return bool(_A._get_autocast("cuda" if device_type is None else device_type)[0])


def get_autocast_dtype(device_type: str):
    return _A._get_autocast(device_type)[1]


def set_autocast_enabled(device_type: str, enabled: Optional[bool] = None) -> None:
    """torch.set_autocast_enabled(device_type, enabled) (or the old one-argument cuda form)."""
    if enabled is None:
        device_type, enabled = "cuda", bool(device_type)
    _A._set_autocast(device_type, bool(enabled), _A._get_autocast(device_type)[1])


def set_autocast_dtype(device_type: str, dtype) -> None:
    _A._set_autocast(device_type, _A._get_autocast(device_type)[0], dtype)


# ---- the float32 list ----
_FLOAT32_BOTH = ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy", "kl_div",
                 "binary_cross_entropy_with_logits", "poisson_nll_loss", "gaussian_nll_loss",
                 "cosine_embedding_loss", "hinge_embedding_loss", "margin_ranking_loss", "soft_margin_loss",
                 "triplet_margin_loss", "multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss",
                 "ctc_loss")
_FLOAT32_CPU = ("binary_cross_entropy", "grid_sample", "max_pool3d", "adaptive_avg_pool3d", "adaptive_max_pool3d",
                "fractional_max_pool2d", "fractional_max_pool3d", "max_unpool2d", "max_unpool3d")
_FLOAT32_CUDA = ("softmax", "log_softmax", "layer_norm", "group_norm", "softplus", "cosine_similarity",
                 "pdist")


def _region_devices() -> tuple:
    return tuple(d for d in _DEVICE_TYPES if _A._get_autocast(d)[0])


def _to_float32(x, devices):
    if isinstance(x, _C.Tensor) and x.device.type in devices and x.is_floating_point() and x.element_size() == 2:
        return x.float()
    return x


def _float32_policy(fn: Callable, devices: tuple) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _open_regions[0]:
            on = tuple(d for d in _region_devices() if d in devices)
            if on:
                args = tuple(_to_float32(a, on) for a in args)
                kwargs = {k: _to_float32(v, on) for k, v in kwargs.items()}
        return fn(*args, **kwargs)
    wrapper._autocast_float32 = True
    return wrapper


def _bce_banned(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _open_regions[0] and _A._get_autocast("cuda")[0]:
            tensors = [a for a in list(args) + list(kwargs.values()) if isinstance(a, _C.Tensor)]
            if any(t.device.type == "cuda" for t in tensors):
                raise RuntimeError(
                    "torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast.\n"
                    "Many models use a sigmoid layer right before the binary cross entropy layer.\n"
                    "In this case, combine the two layers using torch.nn.functional.binary_cross_entropy_with_logits\n"
                    "or torch.nn.BCEWithLogitsLoss.  binary_cross_entropy_with_logits and BCEWithLogits are\n"
                    "safe to autocast.")
        return fn(*args, **kwargs)
    return wrapper


def _install_float32_policy(namespace: dict) -> None:
    """Wraps the float32-list entries of ``namespace`` (nn.functional's globals) once."""
    lists = {}
    for name in _FLOAT32_BOTH:
        lists[name] = ("cpu", "cuda")
    for name in _FLOAT32_CPU:
        lists[name] = lists.get(name, ()) + ("cpu",)
    for name in _FLOAT32_CUDA:
        lists[name] = lists.get(name, ()) + ("cuda",)
    for name, devices in lists.items():
        fn = namespace.get(name)
        if callable(fn) and not getattr(fn, "_autocast_float32", False):
            wrapped = _float32_policy(fn, devices)
            if name == "binary_cross_entropy":
                wrapped = _bce_banned(wrapped)
                wrapped._autocast_float32 = True
            namespace[name] = wrapped


def custom_fwd(fwd: Optional[Callable] = None, *, device_type: str = "cuda", cast_inputs=None):
    """Decorator for a custom Function's forward: runs it with autocast as it was at the call, or with
    ``cast_inputs`` (autocast off inside, floating tensor inputs cast to ``cast_inputs``)."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        args[0]._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None:
            args[0]._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        autocast_context = is_autocast_enabled(device_type)
        args[0]._fwd_used_autocast = False
        if autocast_context:
            def cast(x):
                if isinstance(x, _C.Tensor) and x.is_floating_point() and x.device.type == device_type:
                    return x.to(cast_inputs)
                return x
            with autocast(device_type=device_type, enabled=False):
                return fwd(*[cast(a) for a in args], **{k: cast(v) for k, v in kwargs.items()})
        return fwd(*args, **kwargs)
    return decorate_fwd


def custom_bwd(bwd: Optional[Callable] = None, *, device_type: str = "cuda"):
    """Decorator for a custom Function's backward: runs it with the autocast state its forward ran with."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        with autocast(device_type=device_type, enabled=args[0]._fwd_used_autocast, dtype=args[0]._dtype):
            return bwd(*args, **kwargs)
    return decorate_bwd
