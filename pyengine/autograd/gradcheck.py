"""gradcheck / gradgradcheck: analytical gradients (the engine) against central finite differences,
as torch.autograd.gradcheck. Use float64 inputs."""
from __future__ import annotations

import warnings
from typing import Any, Callable, Sequence

import numpy as np

from .. import _C

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck/gradgradcheck when the gradients disagree."""


def _as_tuple(x: Any) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _is_diff(t: Any) -> bool:
    return isinstance(t, _C.Tensor) and t.requires_grad


def _to_np(t: Any) -> np.ndarray:
    return np.array(t.detach().tolist(), dtype=np.float64).reshape(tuple(t.shape))


def _outputs(func: Callable, inputs: tuple) -> list:
    return [o for o in _as_tuple(func(*inputs)) if isinstance(o, _C.Tensor) and o.is_floating_point()]


def _numerical(func: Callable, inputs: tuple, eps: float) -> list:
    """jac[i][o]: d output o / d input i, shape (input numel, output numel)."""
    outs0 = _outputs(func, inputs)
    jacs = []
    for x in inputs:
        if not _is_diff(x):
            continue
        per_out = [np.zeros((x.numel(), o.numel())) for o in outs0]
        data = x.data
        for k, idx in enumerate(np.ndindex(*tuple(x.shape))):
            elem = data[idx] if idx else data
            orig = float(elem.item())
            elem.fill_(orig - eps)  # .data: invisible to autograd
            minus = [_to_np(o) for o in _outputs(func, inputs)]
            elem.fill_(orig + eps)
            plus = [_to_np(o) for o in _outputs(func, inputs)]
            elem.fill_(orig)
            for j in range(len(outs0)):
                per_out[j][k] = ((plus[j] - minus[j]) / (2 * eps)).reshape(-1)
        jacs.append(per_out)
    return jacs


def _analytical(func: Callable, inputs: tuple) -> list:
    import pyengine
    diff_inputs = [x for x in inputs if _is_diff(x)]
    outs = _outputs(func, inputs)
    jacs = [[np.zeros((x.numel(), o.numel())) for o in outs] for x in diff_inputs]
    for j, o in enumerate(outs):
        if not o.requires_grad:
            continue
        for k in range(o.numel()):
            go = pyengine.zeros(tuple(o.shape), dtype=o.dtype)
            go.view(-1)[k] = 1.0
            grads = _C._autograd.grad([o], diff_inputs, [go], True, False, True)
            for i, g in enumerate(grads):
                if g is not None:
                    jacs[i][j][:, k] = _to_np(g).reshape(-1)
    return jacs


def _grad_dtype_mismatch(func: Callable, inputs: tuple) -> str | None:
    """PyTorch's check_grad_dtypes: each gradient has its input's dtype and device."""
    import pyengine
    diff_inputs = [x for x in inputs if _is_diff(x)]
    outs = [o for o in _outputs(func, inputs) if o.requires_grad]
    grads = _C._autograd.grad(outs, diff_inputs, [pyengine.ones_like(o) for o in outs], True, False, True)
    for x, g in zip(diff_inputs, grads):
        if g is not None and g.dtype != x.dtype:
            return "Gradient has dtype mismatch"
        if g is not None and g.device != x.device:
            return "Gradient has device mismatch"
    return None


def gradcheck(func: Callable, inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad: bool = True,
              check_grad_dtypes: bool = False, check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True, fast_mode: bool = False,
              masked: Any = None) -> bool:
    """True when the engine's gradients of func at inputs match finite differences.

    Also, as PyTorch: the backward is reentrant (two runs agree within nondet_tol) and, with check_grad_dtypes,
    each gradient has its input's dtype. fast_mode runs the full (slow-mode) check, a superset of fast mode's.
    Forward-mode AD, batched (vmap) gradients and masked (sparse) inputs do not exist here: asking for their
    checks raises NotImplementedError."""
    for flag, name in ((check_batched_grad, "check_batched_grad"), (check_batched_forward_grad,
                       "check_batched_forward_grad"), (check_forward_ad, "check_forward_ad"), (masked, "masked")):
        if flag:
            raise NotImplementedError(f"gradcheck({name}=True): pyengine has no forward-mode AD, vmap or sparse "
                                      "tensors to check")
    inputs = _as_tuple(inputs)
    if not any(_is_diff(x) for x in inputs):
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of the them "
                         "have requires_grad=True.")
    for i, x in enumerate(inputs):
        if _is_diff(x) and any(st == 0 and n > 1 for st, n in zip(x.stride(), x.shape)):
            raise RuntimeError("The %dth input has a dimension with stride 0. gradcheck only supports inputs that are "
                               "non-overlapping to be able to compute the numerical gradients correctly. You should "
                               "call .contiguous on the input before passing it to gradcheck." % i)
        if _is_diff(x) and str(x.dtype) != "torch.float64":
            warnings.warn("Input #%d requires gradient and is not a double precision floating point. This check "
                          "will likely fail if all the inputs are not of double precision floating point. " % i)
    if not check_backward_ad:
        return True
    analytical = _analytical(func, inputs)
    again = _analytical(func, inputs)
    for a_in, b_in in zip(analytical, again):
        for a, b in zip(a_in, b_in):
            if not np.allclose(a, b, rtol=0, atol=nondet_tol, equal_nan=True):
                if not raise_exception:
                    return False
                raise GradcheckError("Backward is not reentrant, i.e., running backward with same input and "
                                     "grad_output multiple times gives different values, although analytical "
                                     f"gradient matches numerical gradient. The tolerance for nondeterminism was "
                                     f"{nondet_tol}.")
    mismatch = _grad_dtype_mismatch(func, inputs) if check_grad_dtypes else None
    if mismatch:
        if not raise_exception:
            return False
        raise GradcheckError(mismatch)
    numerical = _numerical(func, inputs, eps)
    for i, (a_in, n_in) in enumerate(zip(analytical, numerical)):
        for j, (a, n) in enumerate(zip(a_in, n_in)):
            if not np.allclose(a, n, rtol=rtol, atol=atol, equal_nan=True):
                if not raise_exception:
                    return False
                raise GradcheckError("Jacobian mismatch for output %d with respect to input %d,\nnumerical:%s\n"
                                     "analytical:%s\n" % (j, i, n, a))
    return True


def gradgradcheck(func: Callable, inputs: Any, grad_outputs: Sequence | None = None, *, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad: bool = True,
                  check_grad_dtypes: bool = False, check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False, masked: bool = False) -> bool:
    """gradcheck of the first derivatives (computed with create_graph=True): second derivatives.
    gen_non_contig_grad_outputs makes the generated grad_outputs non-contiguous (every other element of a
    larger tensor); check_rev_over_rev=False leaves nothing to check. The other flags as in gradcheck."""
    import pyengine
    if check_fwd_over_rev:
        raise NotImplementedError("gradgradcheck(check_fwd_over_rev=True): pyengine has no forward-mode AD")
    if not check_rev_over_rev:
        return True
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        outs = _outputs(func, inputs)
        grad_outputs = tuple(_grad_output(pyengine, rng, o, gen_non_contig_grad_outputs)
                             for o in outs if o.requires_grad)
    grad_outputs = _as_tuple(grad_outputs)
    n_go = len(grad_outputs)

    def first_derivatives(*args):
        ins, gos = args[:len(args) - n_go], args[len(args) - n_go:]
        outs = [o for o in _outputs(func, ins) if o.requires_grad]
        diff_ins = [x for x in ins if _is_diff(x)]
        grads = _C._autograd.grad(outs, diff_ins, list(gos), True, True, True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad, check_grad_dtypes=check_grad_dtypes,
                     check_batched_grad=check_batched_grad, fast_mode=fast_mode, masked=masked)


def _grad_output(pyengine, rng, o, non_contiguous: bool):
    shape = tuple(o.shape)
    if not non_contiguous or not shape:
        return pyengine.tensor(rng.standard_normal(shape), dtype=o.dtype, requires_grad=True)
    wide = pyengine.tensor(rng.standard_normal(shape[:-1] + (2 * shape[-1],)), dtype=o.dtype)
    return wide[..., ::2].detach().requires_grad_(True)
