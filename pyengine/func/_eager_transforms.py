"""torch.func's autodiff transforms over pyengine's tape-based autograd: grad, grad_and_value, vjp, jvp, jacrev,
jacfwd, hessian.

Each transform runs the function on fresh leaves (or, when an outer transform or the caller's own autograd is
tracking the inputs, on views that stay connected to it) and differentiates with autograd.grad; ``create_graph``
is on exactly when something outside will differentiate the result again, so transforms compose
(``jacrev(grad(f))``, ``hessian``). pyengine has no forward-mode AD: ``jvp`` uses the double-backward trick and
``jacfwd`` computes the same Jacobian as ``jacrev`` (row by row), so values match PyTorch's.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import pyengine

from .._C import Tensor
from ..autograd import grad as _autograd_grad
from ..autograd.grad_mode import enable_grad
from ._pytree import tree_flatten

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian"]

_depth = 0  # how many transforms are running (an inner one must keep its graph for the outer)


class _Level:
    def __enter__(self) -> bool:
        global _depth
        _depth += 1
        return _depth > 1

    def __exit__(self, *exc) -> None:
        global _depth
        _depth -= 1


def _prepare(leaves: list) -> tuple[list, bool]:
    """Leaves the function sees and whether the result must stay differentiable (an outer tracker exists)."""
    tracked = _depth > 1 or any(isinstance(x, Tensor) and x.requires_grad for x in leaves)
    out = []
    for x in leaves:
        if not isinstance(x, Tensor):
            out.append(x)
        elif x.requires_grad:
            out.append(x.view_as(x))
        else:
            out.append(x.detach().requires_grad_(True))
    return out, tracked


def _argnums_tuple(argnums, nargs: int, api: str) -> tuple[int, ...]:
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    if isinstance(argnums, tuple) and len(argnums) == 0:
        raise RuntimeError(f"{api}: argnums must be non-empty")
    for a in nums:
        if not isinstance(a, int):
            raise RuntimeError(f"{api}: argnums must be int or Tuple[int, ...], got: {type(a)}")
        if not -nargs <= a < nargs:
            raise RuntimeError(f"Got argnums={a}, but only {nargs} positional inputs")
    return tuple(a % nargs for a in nums)


def _grads(outputs: list, inputs: list, grad_outputs: list | None, create_graph: bool) -> list:
    """d outputs / d inputs with zeros for unused inputs."""
    outs = [o for o in outputs if o.requires_grad]
    gos = None if grad_outputs is None else [g for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not outs:
        return [pyengine.zeros_like(x) for x in inputs]
    res = _autograd_grad(outs, inputs, gos, retain_graph=True, create_graph=create_graph, allow_unused=True)
    return [pyengine.zeros_like(x) if g is None else g for g, x in zip(res, inputs)]


def _finish(tree: Any, keep: bool) -> Any:
    leaves, unflatten = tree_flatten(tree)
    return unflatten([x.detach() if isinstance(x, Tensor) and not keep else x for x in leaves])


def grad_and_value(func: Callable, argnums=0, has_aux: bool = False) -> Callable:
    """f -> (gradient of f's scalar output with respect to args[argnums], f's output [, aux])."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _argnums_tuple(argnums, len(args), "grad_and_value(f)(*args)")
        with _Level(), enable_grad():
            trees = [tree_flatten(args[i]) for i in nums]
            prepared, tracked = [], False
            for leaves, _ in trees:
                p, t = _prepare(leaves)
                prepared.append(p)
                tracked = tracked or t
            new_args = list(args)
            for i, (leaves, unflatten), p in zip(nums, trees, prepared):
                new_args[i] = unflatten(p)
            out = func(*new_args, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("grad_and_value(f)(*args): output of function f should be a tuple: "
                                       "(output, aux) if has_aux is True")
                out, aux = out
            if not isinstance(out, Tensor):
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "
                                   f"{type(out)}")
            if out.dim() != 0:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                                   f"tensor with {out.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs "
                                   "instead?")
            flat = [x for p in prepared for x in p if isinstance(x, Tensor)]
            gs = iter(_grads([out], flat, None, create_graph=tracked))
            per_arg = [unflatten([next(gs) if isinstance(x, Tensor) else None for x in p])
                       for (leaves, unflatten), p in zip(trees, prepared)]
        g = tuple(per_arg) if isinstance(argnums, tuple) else per_arg[0]
        g, out = _finish(g, tracked), _finish(out, tracked)
        if has_aux:
            return g, (out, _finish(aux, tracked))
        return g, out
    return wrapper


def grad(func: Callable, argnums=0, has_aux: bool = False) -> Callable:
    """f -> the gradient of f's scalar output with respect to args[argnums] (and aux when has_aux)."""
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


def vjp(func: Callable, *primals, has_aux: bool = False):
    """(func(*primals), vjp_fn[, aux]); vjp_fn(cotangents) is a tuple with one gradient per primal."""
    with _Level(), enable_grad():
        trees = [tree_flatten(p) for p in primals]
        prepared, tracked = [], False
        for leaves, _ in trees:
            p, t = _prepare(leaves)
            prepared.append(p)
            tracked = tracked or t
        out = func(*[un(p) for (_, un), p in zip(trees, prepared)])
        aux = None
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise RuntimeError("vjp(f, *primals): output of function f should be a tuple: (output, aux) if "
                                   "has_aux is True")
            out, aux = out
        out_leaves, _ = tree_flatten(out)
        for o in out_leaves:
            if not isinstance(o, Tensor):
                raise RuntimeError(f"vjp(f, *primals): Expected f(*primals) to return only tensors, got unsupported "
                                   f"type {type(o)}")
    flat_in = [x for p in prepared for x in p]
    keep = tracked

    def vjp_fn(cotangents):
        ct_leaves, _ = tree_flatten(cotangents)
        if len(ct_leaves) != len(out_leaves):
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree structure of "
                               "outputs to the function.")
        for c, o in zip(ct_leaves, out_leaves):
            if tuple(c.shape) != tuple(o.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {c.shape} and output[0] has a "
                                   f"shape of {o.shape}.")
        with _Level(), enable_grad():
            gs = iter(_grads(out_leaves, flat_in, ct_leaves, create_graph=keep or _depth > 1))
            res = tuple(un([next(gs) for _ in p]) for (_, un), p in zip(trees, prepared))
        return _finish(res, keep or _depth > 0)

    result = (_finish(out, keep), vjp_fn)
    return result + (_finish(aux, keep),) if has_aux else result


def jvp(func: Callable, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """(func(*primals), J tangents) by the double-backward trick."""
    if not isinstance(primals, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid to "
                           "call f(*primals).")
    if not isinstance(tangents, tuple) or len(tangents) != len(primals):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same python "
                           "structure. For example, if primals is a tuple of 3 tensors, tangents also must be.")
    if strict:
        raise RuntimeError("jvp(f, primals, tangents, strict=True): strict=True is not implemented in PyTorch "
                           "either")
    with _Level(), enable_grad():
        flat_p, unflatten = tree_flatten(list(primals))
        flat_t, _ = tree_flatten(list(tangents))
        for p, t in zip(flat_p, flat_t):
            if tuple(p.shape) != tuple(t.shape):
                raise RuntimeError(f"jvp(f, primals, tangents): Expected primals and tangents to have the same shape, "
                                   f"got {tuple(p.shape)} and {tuple(t.shape)}")
        prepared, tracked = _prepare(flat_p)
        out = func(*unflatten(prepared))
        aux = None
        if has_aux:
            out, aux = out
        out_leaves, out_unflatten = tree_flatten(out)
        # u -> J^T u is linear; its derivative with respect to u, against the tangents, is J t
        us = [pyengine.zeros_like(o).requires_grad_(True) for o in out_leaves]
        back = _grads(out_leaves, prepared, us, create_graph=True)
        pairs = [(b, t) for b, t in zip(back, flat_t) if b.requires_grad]
        if pairs:
            jv = _autograd_grad([b for b, _ in pairs], us, [t for _, t in pairs], retain_graph=True,
                                create_graph=tracked, allow_unused=True)
            jv = [pyengine.zeros_like(o) if g is None else g for g, o in zip(jv, out_leaves)]
        else:
            jv = [pyengine.zeros_like(o) for o in out_leaves]
    result = (_finish(out, tracked), _finish(out_unflatten(jv), tracked))
    return result + (_finish(aux, tracked),) if has_aux else result


def jacrev(func: Callable, argnums=0, *, has_aux: bool = False, chunk_size: int | None = None,
           _preallocate_and_copy: bool = False) -> Callable:
    """f -> the Jacobian of f with respect to args[argnums] (one backward pass per output element)."""
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _argnums_tuple(argnums, len(args), "jacrev(f, ...)(*args)")
        with _Level(), enable_grad():
            trees = [tree_flatten(args[i]) for i in nums]
            prepared, tracked = [], False
            for leaves, _ in trees:
                p, t = _prepare(leaves)
                prepared.append(p)
                tracked = tracked or t
            new_args = list(args)
            for i, (_, un), p in zip(nums, trees, prepared):
                new_args[i] = un(p)
            out = func(*new_args, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("jacrev(f, ...)(*args): output of function f should be a tuple: (output, aux) "
                                       "if has_aux is True")
                out, aux = out
            out_leaves, out_unflatten = tree_flatten(out)
            flat_in = [x for p in prepared for x in p]
            per_out = []
            for o in out_leaves:
                if not isinstance(o, Tensor):
                    raise RuntimeError(f"jacrev(f, ...)(*args): Expected f to return only tensors, got {type(o)}")
                flat_o = o.reshape(-1)
                rows = [_grads([flat_o[k]], flat_in, None, create_graph=tracked) for k in range(flat_o.numel())]
                jacs = []
                for j, x in enumerate(flat_in):
                    shape = tuple(o.shape) + tuple(x.shape)
                    if rows:
                        jacs.append(pyengine.stack([r[j] for r in rows], 0).reshape(shape))
                    else:
                        jacs.append(pyengine.zeros(shape, dtype=x.dtype, device=x.device))
                it = iter(jacs)
                per_arg = [un([next(it) for _ in p]) for (_, un), p in zip(trees, prepared)]
                per_out.append(tuple(per_arg) if isinstance(argnums, tuple) else per_arg[0])
        result = _finish(out_unflatten(per_out), tracked)
        return (result, _finish(aux, tracked)) if has_aux else result
    return wrapper


def jacfwd(func: Callable, argnums=0, has_aux: bool = False, *, randomness: str = "error") -> Callable:
    """The Jacobian as torch.func.jacfwd gives it; pyengine has no forward-mode AD, so it is computed by reverse
    mode (the same values). randomness is checked as vmap checks it."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got "
                           f"{randomness}")
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func: Callable, argnums=0) -> Callable:
    """The Hessian: jacfwd(jacrev(func, argnums), argnums)."""
    return jacfwd(jacrev(func, argnums), argnums)
