"""torch.compile for pyengine: pyengine does not compile. ``torch.compile(model_or_fn, ...)`` validates PyTorch's
arguments as PyTorch does and returns a callable that runs the model or function eagerly, so results are
identical to the uncompiled call (and no faster). An ``nn.Module`` comes back wrapped in ``OptimizedModule``, as
in PyTorch, so ``state_dict`` keys carry the ``_orig_mod.`` prefix scripts expect of a compiled model.

Arguments: ``fullgraph`` and ``dynamic`` are accepted (eager execution has no graph breaks and no shape
specialisation); ``backend`` must name one of PyTorch's backends (a string) and every backend runs eagerly here;
a callable backend, which expects an FX graph to compile, is refused; ``mode``/``options`` are checked as
PyTorch checks them; ``disable=True`` returns the model itself.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from .nn.modules.module import Module

__all__ = ["compile", "OptimizedModule", "InvalidBackend"]

#: The backends ``torch.compiler.list_backends(exclude_tags=())`` names in PyTorch; all run eagerly here.
KNOWN_BACKENDS = ("aot_eager", "aot_eager_decomp_partition", "aot_eager_default_partitioner", "aot_ts",
                  "cudagraphs", "eager", "eager_debug", "eager_noexcept", "inductor", "openxla", "openxla_eval",
                  "pre_dispatch_eager", "ts", "tvm")
#: The backends listed without exclude_tags (PyTorch hides the debug ones).
LISTED_BACKENDS = ("cudagraphs", "inductor", "openxla", "tvm")
MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")

_default_backend = "inductor"


class InvalidBackend(RuntimeError):
    def __init__(self, name: str) -> None:
        super().__init__(f"Invalid backend: {name!r}, see `torch._dynamo.list_backends()` for available backends.")


class OptimizedModule(Module):
    """The module torch.compile returns for an nn.Module: calls the original (``_orig_mod``) eagerly; attributes
    it does not have are looked up on the original, as in PyTorch."""

    def __init__(self, mod: Module, compile_options: dict[str, Any]) -> None:
        super().__init__()
        self._orig_mod = mod
        self.__dict__["_compile_options"] = compile_options

    def forward(self, *args, **kwargs):
        return self._orig_mod(*args, **kwargs)

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self._modules["_orig_mod"], name)

    @property
    def _orig_mod_callable(self) -> Module:
        return self._modules["_orig_mod"]


def _check(fullgraph, dynamic, backend, mode, options) -> None:
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if mode is not None and mode not in MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(MODES)}")
    if options is not None and not isinstance(options, dict):
        raise TypeError(f"options must be a dict, got {type(options).__name__}")
    if dynamic not in (None, True, False):
        raise TypeError(f"dynamic must be True, False or None, got {dynamic!r}")
    if backend is None:
        backend = _default_backend
    if isinstance(backend, str):
        if backend not in KNOWN_BACKENDS:
            raise InvalidBackend(backend)
    else:
        raise NotImplementedError("torch.compile(backend=<callable>): pyengine does not compile, so there is no FX "
                                  "graph to hand to a custom backend; use a backend name (all run eagerly)")


def compile(model: Callable | None = None, *, fullgraph: bool = False, dynamic: bool | None = None,
            backend: str | Callable | None = None, mode: str | None = None, options: dict | None = None,
            name: str | None = None, disable: bool = False, recompile_limit: int | None = None,
            isolate_recompiles: bool = False, shapes_spec: Any = None) -> Any:
    """Returns ``model`` wrapped to run eagerly (pyengine does not compile); usable as ``@torch.compile`` and
    ``@torch.compile(...)``."""
    if model is None:
        def decorator(fn: Callable) -> Any:
            return compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode, options=options,
                           name=name, disable=disable, recompile_limit=recompile_limit,
                           isolate_recompiles=isolate_recompiles, shapes_spec=shapes_spec)
        return decorator
    if not callable(model):
        raise RuntimeError("model must be a callable, got " + type(model).__name__)
    _check(fullgraph, dynamic, backend, mode, options)
    if disable:
        return model
    opts = {"fullgraph": fullgraph, "dynamic": dynamic, "backend": backend or _default_backend, "mode": mode,
            "options": options}
    if isinstance(model, Module):
        return OptimizedModule(model, opts)

    @functools.wraps(model)
    def compiled(*args, **kwargs):
        return model(*args, **kwargs)
    compiled._torchdynamo_orig_callable = model
    return compiled


def _module_compile(self: Module, *args, **kwargs) -> None:
    """Module.compile(): compiles forward in place in PyTorch; here it checks the arguments and runs eagerly."""
    compile(self.forward, *args, **kwargs)


Module.compile = _module_compile
