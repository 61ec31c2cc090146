"""Runs PyTorch's operator database (op_db) on the meta device, pyengine beside PyTorch: the oracle of
tests/python/test_meta.py.

Every sample of an OpInfo is rebuilt as meta tensors of the same sizes, strides and dtypes (``as_strided``
views of a meta buffer on both engines), the op runs on both, and the outputs must agree in being meta, shape and dtype. Strides:
a meta output must have the strides pyengine gives the same op on the CPU (Note [Meta device]: meta runs the
op's own metadata code), and PyTorch's meta strides wherever pyengine's CPU strides already match PyTorch's.
Where PyTorch raises on meta, pyengine must raise the same exception class, except NotImplementedError for an
op PyTorch merely lacks a meta kernel for (pyengine computes the metadata anyway; recorded, not failed).
"""
from __future__ import annotations

import warnings
from typing import Any

import opinfo_harness as h

import pyengine as pe


def to_meta(value, engine, torch):
    """The value with every tensor replaced by an empty meta tensor of its sizes, strides and dtype."""
    tensor_type = torch.Tensor if engine is torch else pe.Tensor
    if isinstance(value, tensor_type):
        span = 1 + sum((n - 1) * st for n, st in zip(value.shape, value.stride())) if value.numel() else 0
        base = engine.empty(span, dtype=value.dtype, device="meta")
        out = base.as_strided(tuple(value.shape), tuple(value.stride()), 0)
        if value.requires_grad:
            out.requires_grad_(True)
        return out
    if isinstance(value, torch.device if engine is torch else pe.device):
        return engine.device("meta")  # factories' device= argument
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(to_meta(v, engine, torch) for v in value)
    if isinstance(value, dict):
        return {k: "meta" if k == "device" and isinstance(v, str) else to_meta(v, engine, torch)
                for k, v in value.items()}
    return value


def tensors(value, out: list | None = None) -> list[Any]:
    out = [] if out is None else out
    if hasattr(value, "shape") and hasattr(value, "stride"):
        out.append(value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            tensors(v, out)
    return out


def _call(fn, args, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(*args, **kwargs), None
        except Exception as e:  # noqa: BLE001 -- compared by class below
            return None, e


def run_sample(torch_fn, pe_fn, sample, torch) -> str | None:
    """None when the meta runs agree, else what differs."""
    try:
        pe_input = h.to_pe(sample.input, torch)
        pe_args = h.to_pe(tuple(sample.args), torch)
        pe_kwargs = h.to_pe(dict(sample.kwargs), torch)
    except h.Unsupported:
        return None  # a sample pyengine cannot express at all (its CPU conformance test counts it)
    pe_cpu, pe_cpu_exc = _call(pe_fn, (pe_input,) + tuple(pe_args), pe_kwargs)
    t_cpu, _ = _call(torch_fn, (sample.input,) + tuple(sample.args), dict(sample.kwargs))
    t_meta, t_exc = _call(torch_fn, to_meta((sample.input,) + tuple(sample.args), torch, torch),
                          to_meta(dict(sample.kwargs), torch, torch))
    p_meta, p_exc = _call(pe_fn, to_meta((pe_input,) + tuple(pe_args), pe, torch), to_meta(pe_kwargs, pe, torch))
    if t_exc is not None:
        if p_exc is None and isinstance(t_exc, NotImplementedError):
            return None  # PyTorch has no meta kernel for it; pyengine's metadata is checked by the CPU run below
        if p_exc is None:
            return f"torch raised {type(t_exc).__name__} ({str(t_exc)[:80]}), pyengine did not"
        if type(p_exc).__name__ != type(t_exc).__name__:
            return f"raised {type(p_exc).__name__} ({str(p_exc)[:120]}), torch {type(t_exc).__name__}"
        return None
    if p_exc is not None:
        if pe_cpu_exc is not None:
            return None  # pyengine refuses the sample on the CPU too: the CPU conformance test counts it
        return f"raised {type(p_exc).__name__}: {str(p_exc)[:160]}"
    got, want = tensors(p_meta), tensors(t_meta)
    if len(got) != len(want):
        return f"{len(got)} tensor outputs, torch {len(want)}"
    cpu_got, cpu_want = tensors(pe_cpu), tensors(t_cpu)
    for i, (g, w) in enumerate(zip(got, want)):
        if str(g.device) != str(w.device):  # meta, or where a factory sample names no device, the CPU
            return f"output {i} is on {g.device}, torch {w.device}"
        torch_meta_own = len(cpu_got) == len(cpu_want) == len(got) and \
            tuple(cpu_want[i].shape) != tuple(w.shape) and tuple(cpu_got[i].shape) == tuple(cpu_want[i].shape)
        if torch_meta_own and tuple(g.shape) == tuple(cpu_got[i].shape):
            continue  # PyTorch's meta kernel disagrees with its own CPU kernel here; pyengine follows the CPU
        if tuple(g.shape) != tuple(w.shape) or str(g.dtype) != str(w.dtype):
            return f"output {i}: {tuple(g.shape)} {g.dtype}, torch {tuple(w.shape)} {w.dtype}"
        if g.numel() <= 1:
            continue  # strides of 0- and 1-element tensors are not significant
        if len(cpu_got) == len(got) and tuple(g.stride()) != tuple(cpu_got[i].stride()):
            return f"output {i}: meta strides {g.stride()}, pyengine cpu {cpu_got[i].stride()}"
        cpu_agrees = len(cpu_got) == len(cpu_want) == len(got) and \
            tuple(cpu_got[i].stride()) == tuple(cpu_want[i].stride())
        if cpu_agrees and tuple(g.stride()) != tuple(w.stride()):
            return f"output {i}: strides {g.stride()}, torch {w.stride()}"
    return None


def run_op(op, torch, limit: int = 3) -> list[str]:
    """The differences of op's first float32 samples (function variant) on meta, empty when it agrees."""
    torch.manual_seed(0)
    if op.op is None or "float32" not in {str(d).replace("torch.", "") for d in op.supported_dtypes("cpu")}:
        return []
    pe_fn = h.pe_counterpart(op.op, op.name)
    if pe_fn is None:
        return []
    try:
        samples = list(op.sample_inputs("cpu", torch.float32, requires_grad=False))[:limit]
    except Exception:  # noqa: BLE001 -- the database itself failing
        return []
    failures = []
    for i, sample in enumerate(samples):
        diff = run_sample(op.op, pe_fn, sample, torch)
        if diff:
            failures.append(f"#{i}: {diff}")
    return failures
