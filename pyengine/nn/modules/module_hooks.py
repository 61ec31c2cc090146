"""Module hooks: forward pre-hooks, forward hooks and full backward (pre-)hooks, and ``__call__`` running
them around ``forward`` exactly in PyTorch's order.

Full backward hooks need the gradients with respect to the module's inputs and outputs together. As in
PyTorch (torch/utils/hooks.py BackwardHook), the inputs and outputs are passed through identity autograd
Functions; here the Functions' backward methods themselves collect the output gradients and call the
hooks, so nothing beyond ``pyengine.autograd.Function`` is needed from the engine.
"""
from __future__ import annotations

import warnings
from collections import OrderedDict
from typing import Any, Callable

from ..._C import Tensor
from ._hooks import RemovableHandle


class _HooksMixin:
    """The hook dictionaries of a Module and the call machinery (mixed into Module)."""

    def _init_hook_dicts(self) -> None:
        d = self.__dict__
        for name in ("_backward_pre_hooks", "_backward_hooks", "_forward_hooks", "_forward_hooks_with_kwargs",
                     "_forward_hooks_always_called", "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs",
                     "_state_dict_hooks", "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
                     "_load_state_dict_post_hooks"):
            d[name] = OrderedDict()
        d["_is_full_backward_hook"] = None

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        handle = RemovableHandle(self._forward_pre_hooks, extra_dict=self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        handle = RemovableHandle(self._forward_hooks, extra_dict=[self._forward_hooks_with_kwargs,
                                                                  self._forward_hooks_always_called])
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        handle = RemovableHandle(self._backward_pre_hooks)
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_backward_hook(self, hook: Callable) -> RemovableHandle:
        """The deprecated non-full hook: hook(module, grad_input, grad_output) on the grad_fn of the output."""
        if self._is_full_backward_hook is True:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks on a single "
                               "Module. Please use only one of them.")
        self._is_full_backward_hook = False
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        return handle

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        if self._is_full_backward_hook is False:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks on a single "
                               "Module. Please use only one of them.")
        self._is_full_backward_hook = True
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    def _call_impl(self, *args, **kwargs):
        forward_call = self.forward
        if not (self._backward_hooks or self._backward_pre_hooks or self._forward_hooks
                or self._forward_pre_hooks):
            return forward_call(*args, **kwargs)
        result = None
        called_always = set()
        try:
            for hook_id, hook in list(self._forward_pre_hooks.items()):
                if hook_id in self._forward_pre_hooks_with_kwargs:
                    res = hook(self, args, kwargs)
                    if res is not None:
                        if isinstance(res, tuple) and len(res) == 2:
                            args, kwargs = res
                        else:
                            raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, "
                                               f"new_kwargs), but got {res}.")
                else:
                    res = hook(self, args)
                    if res is not None:
                        args = res if isinstance(res, tuple) else (res,)
            full = self._is_full_backward_hook is not False
            bw_hook = None
            if (self._backward_hooks and full) or self._backward_pre_hooks:
                bw_hook = _BackwardHook(self, list(self._backward_hooks.values()) if full else [],
                                        list(self._backward_pre_hooks.values()))
                args = bw_hook.setup_input_hook(args)
            result = forward_call(*args, **kwargs)
            for hook_id, hook in list(self._forward_hooks.items()):
                if hook_id in self._forward_hooks_always_called:
                    called_always.add(hook_id)
                if hook_id in self._forward_hooks_with_kwargs:
                    res = hook(self, args, kwargs, result)
                else:
                    res = hook(self, args, result)
                if res is not None:
                    result = res
            if bw_hook is not None:
                if not isinstance(result, (Tensor, tuple)):
                    warnings.warn("For backward hooks to be called, module output should be a Tensor or a tuple "
                                  f"of Tensors but received {type(result)}", stacklevel=2)
                result = bw_hook.setup_output_hook(result)
            if self._backward_hooks and not full:
                _register_non_full_hooks(self, args, result)
            return result
        except Exception:
            for hook_id, hook in self._forward_hooks.items():
                if hook_id in self._forward_hooks_always_called and hook_id not in called_always:
                    try:
                        res = (hook(self, args, kwargs, result) if hook_id in self._forward_hooks_with_kwargs
                               else hook(self, args, result))
                        if res is not None:
                            result = res
                    except Exception as e:
                        warnings.warn("module forward hook with ``always_call=True`` raised an exception that was "
                                      f"silenced as another error was raised in forward: {str(e)}", stacklevel=2)
            raise

    __call__: Callable[..., Any] = _call_impl


def _register_non_full_hooks(module, args, result) -> None:
    """PyTorch's legacy behaviour: the hooks go on the grad_fn of the first tensor of the output."""
    var = result
    while not isinstance(var, Tensor):
        var = next(v for v in var.values() if isinstance(v, Tensor)) if isinstance(var, dict) else var[0]
    grad_fn = var.grad_fn
    if grad_fn is None:
        return
    for hook in module._backward_hooks.values():
        grad_fn.register_hook(lambda gi, go, _h=hook: _h(module, gi, go))
    outs = result if isinstance(result, tuple) else (result,)
    if not all(isinstance(r, Tensor) for r in outs):
        warnings.warn("Using non-full backward hooks on a Module that does not return a single Tensor or a tuple "
                      "of Tensors is deprecated and will be removed in future versions. This hook will be missing "
                      "some of the grad_output. Please use register_full_backward_hook to get the documented "
                      "behavior.", FutureWarning, stacklevel=3)
        return
    if not all(isinstance(a, Tensor) for a in args):
        warnings.warn("Using non-full backward hooks on a Module that does not take as input a single Tensor or a "
                      "tuple of Tensors is deprecated and will be removed in future versions. This hook will be "
                      "missing some of the grad_input. Please use register_full_backward_hook to get the "
                      "documented behavior.", FutureWarning, stacklevel=3)
        return
    out_fns = {r.grad_fn for r in outs if r.grad_fn is not None}
    if len(out_fns) == 0 or (len(out_fns) == 1 and grad_fn not in out_fns):
        warnings.warn("Using a non-full backward hook when outputs are nested in python data structure is "
                      "deprecated and will be removed in future versions. This hook will be missing some "
                      "grad_output.", FutureWarning, stacklevel=3)
    elif len(out_fns) > 1:
        warnings.warn("Using a non-full backward hook when outputs are generated by different autograd Nodes is "
                      "deprecated and will be removed in future versions. This hook will be missing some "
                      "grad_output. Please use register_full_backward_hook to get the documented behavior.",
                      FutureWarning, stacklevel=3)
    else:
        in_fns = {i.grad_fn for i in args if i.grad_fn is not None}
        if in_fns != {n[0] for n in grad_fn.next_functions}:
            warnings.warn("Using a non-full backward hook when the forward contains multiple autograd Nodes is "
                          "deprecated and will be removed in future versions. This hook will be missing some "
                          "grad_input. Please use register_full_backward_hook to get the documented behavior.",
                          FutureWarning, stacklevel=3)


def _function_class():
    import pyengine
    autograd = getattr(pyengine, "autograd", None)
    fn = getattr(autograd, "Function", None)
    if fn is None:
        raise RuntimeError("full backward hooks need pyengine.autograd.Function, which this build lacks")
    return fn


class _BackwardHook:
    """One forward call's backward-hook state: output gradients arrive first (the output identity's backward),
    then the input gradients (the input identity's backward), where the user hooks run."""

    def __init__(self, module, user_hooks: list, user_pre_hooks: list) -> None:
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs = None
        self.n_inputs = 0
        self.input_requires_grad = False

    def _run_pre_hooks(self, grad_outputs: tuple) -> tuple:
        for hook in self.user_pre_hooks:
            res = hook(self.module, grad_outputs)
            if res is not None:
                res = res if isinstance(res, tuple) else (res,)
                if len(res) != len(grad_outputs):
                    raise RuntimeError(f"Backward pre hook returned an invalid number of grad_output, got "
                                       f"{len(res)}, but expected {len(grad_outputs)}")
                grad_outputs = res
        return grad_outputs

    def _run_hooks(self, grad_inputs: tuple) -> tuple:
        for hook in self.user_hooks:
            res = hook(self.module, grad_inputs, self.grad_outputs)
            if res is not None:
                res = res if isinstance(res, tuple) else (res,)
                if len(res) != len(grad_inputs):
                    raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got {len(res)}, "
                                       f"but expected {len(grad_inputs)}")
                grad_inputs = res
        return grad_inputs

    def _apply_identity(self, values, on_backward):
        flat = values if isinstance(values, tuple) else (values,)
        idx = [i for i, v in enumerate(flat) if isinstance(v, Tensor) and v.requires_grad]
        if not idx:
            return values, 0
        Function = _function_class()

        class _Identity(Function):
            @staticmethod
            def forward(ctx, *ts):
                ctx.set_materialize_grads(False)   # an unused output's gradient reaches the hooks as None
                return tuple(t.view_as(t) for t in ts)

            @staticmethod
            def backward(ctx, *grads):
                return tuple(on_backward(idx, len(flat), tuple(grads)))

        outs = _Identity.apply(*[flat[i] for i in idx])
        outs = outs if isinstance(outs, tuple) else (outs,)
        new = list(flat)
        for i, o in zip(idx, outs):
            new[i] = o
        return (tuple(new) if isinstance(values, tuple) else new[0]), len(idx)

    def setup_input_hook(self, args):
        def on_input_grads(idx: list, n_all: int, grads: tuple) -> tuple:
            if not self.user_hooks:
                return grads
            full = [None] * n_all
            for i, g in zip(idx, grads):
                full[i] = g
            full = self._run_hooks(tuple(full))
            return tuple(full[i] for i in idx)
        self.n_inputs = len(args)
        new_args, n = self._apply_identity(args, on_input_grads)
        self.input_requires_grad = n > 0
        return new_args

    def setup_output_hook(self, result):
        def on_output_grads(idx: list, n_all: int, grads: tuple) -> tuple:
            full = [None] * n_all
            for i, g in zip(idx, grads):
                full[i] = g
            full = self._run_pre_hooks(tuple(full))
            self.grad_outputs = full
            grads = tuple(full[i] for i in idx)
            if not self.input_requires_grad and self.user_hooks:
                # No input needs a gradient: PyTorch still calls the hooks, with grad_input all None.
                warnings.warn("Full backward hook is firing when gradients are computed with respect to module "
                              "outputs since no inputs require gradients. See https://docs.pytorch.org/docs/main/"
                              "generated/torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more "
                              "details.", stacklevel=3)
                self._run_hooks((None,) * max(self.n_inputs, 1))
            return grads
        if isinstance(result, (Tensor, tuple)):
            result, _ = self._apply_identity(result, on_output_grads)
        return result
