"""torch.utils.checkpoint: activation checkpointing. ``checkpoint(fn, *args)`` runs fn without keeping its
intermediate activations and runs it again during backward to get them (with the RNG state of the first run, so
dropout draws the same masks).

Both variants are one custom autograd Function around the segment: forward keeps only the inputs; backward
recomputes the segment with grad enabled and back-propagates through it. ``use_reentrant=True`` (PyTorch's
current default, with its warning when not given) needs an input that requires grad and takes no keyword
arguments, as in PyTorch. ``use_reentrant=False`` also takes keyword arguments and inputs that do not require
grad; since what the segment uses without receiving it cannot be known before backward, its output requires
grad whenever grad mode is on (in PyTorch only when something inside requires grad). In both, the gradients of
tensors the segment uses without receiving them as arguments (a module's parameters) are accumulated into their
``.grad`` during backward, so ``torch.autograd.grad`` with respect to such tensors is not supported through a
checkpoint (PyTorch supports it only with use_reentrant=False); pass them as arguments for that.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable

import pyengine

from .. import _C
from .._C import Tensor
from ..autograd import backward as _backward
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad, is_grad_enabled, no_grad

__all__ = ["checkpoint", "checkpoint_sequential"]

_REENTRANT_WARNING = ("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in "
                      "PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
                      "use_reentrant=False is recommended, but if you need to preserve the current default "
                      "behavior, you can pass use_reentrant=True. Refer to docs for more details on the differences "
                      "between the two variants.")


class _Checkpoint(Function):
    @staticmethod
    def forward(ctx, run, preserve_rng_state, reentrant, n_tensors, *flat):
        # flat = the segment's tensor inputs, then a guard tensor that makes backward run when only captured
        # tensors (parameters) need gradients
        ctx.run = run
        ctx.reentrant = reentrant
        ctx.rng_state = pyengine.get_rng_state() if preserve_rng_state else None
        ctx.n = n_tensors
        ctx.save_for_backward(*flat[:n_tensors])
        with no_grad():
            out = run(*flat[:n_tensors])
        ctx.tuple_out = isinstance(out, tuple)
        return out if ctx.tuple_out else (out,)

    @staticmethod
    def backward(ctx, *grads):
        inputs = ctx.saved_tensors
        detached = [x.detach().requires_grad_(x.requires_grad) for x in inputs]
        after = pyengine.get_rng_state()
        if ctx.rng_state is not None:
            pyengine.set_rng_state(ctx.rng_state)
        try:
            with enable_grad():
                out = ctx.run(*detached)
        finally:
            if ctx.rng_state is not None:
                pyengine.set_rng_state(after)
        outs = out if isinstance(out, tuple) else (out,)
        pairs = [(o, g) for o, g in zip(outs, grads) if isinstance(o, Tensor) and o.requires_grad and g is not None]
        if not pairs:
            if ctx.reentrant:
                raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
            return (None, None, None, None) + (None,) * len(inputs) + (None,)
        _backward([o for o, _ in pairs], [g for _, g in pairs])
        in_grads = tuple(d.grad if d.requires_grad else None for d in detached)
        return (None, None, None, None) + in_grads + (None,)


def checkpoint(function: Callable, *args, use_reentrant: bool | None = None, context_fn: Callable | None = None,
               determinism_check: str = "default", debug: bool = False, preserve_rng_state: bool = True,
               **kwargs) -> Any:
    if use_reentrant is None:
        warnings.warn(_REENTRANT_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    if determinism_check not in ("default", "none"):
        raise ValueError(f"determinism_check should be one of ['default', 'none'], but got {determinism_check}")
    if use_reentrant:
        if context_fn is not None or debug:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    elif context_fn is not None:
        raise NotImplementedError("checkpoint(context_fn=...): pyengine has no TorchDispatchMode to run the "
                                  "forward and the recomputation under")
    positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    tensors = [args[i] for i in positions]
    shape = {}

    def run(*ts):
        full = list(args)
        for i, t in zip(positions, ts):
            full[i] = t
        out = function(*full, **kwargs)
        shape["tuple"] = isinstance(out, tuple)
        return out

    if not is_grad_enabled():
        return function(*args, **kwargs)
    if use_reentrant:
        if not any(t.requires_grad for t in tensors):
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", UserWarning,
                          stacklevel=2)
        needs_graph = any(t.requires_grad for t in tensors)
    else:
        # The segment may use tensors that require grad without receiving them (parameters): without running it
        # (which would update BatchNorm statistics once more) that cannot be known, so the output is made to
        # require grad whenever grad mode is on; backward then finds out, and a segment with nothing to
        # differentiate simply passes no gradient.
        needs_graph = True
    guard = pyengine.zeros((), requires_grad=needs_graph)
    out = _Checkpoint.apply(run, preserve_rng_state, use_reentrant, len(tensors), *tensors, guard)
    if not isinstance(out, tuple):
        out = (out,)
    return out if shape["tuple"] else out[0]


def checkpoint_sequential(functions, segments: int, input, use_reentrant: bool | None = None, **kwargs):
    """Runs a Sequential (or list of modules) in `segments` checkpointed chunks; the last chunk runs normally."""
    if use_reentrant is None:
        warnings.warn(_REENTRANT_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    if isinstance(functions, pyengine.nn.Sequential):
        functions = list(functions.children())
    functions = list(functions)

    def run_function(start: int, end: int):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        return forward

    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run_function(start, end), input, use_reentrant=use_reentrant, **kwargs)
    return run_function(end + 1, len(functions) - 1)(input)
