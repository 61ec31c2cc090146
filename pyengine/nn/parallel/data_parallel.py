"""nn.DataParallel: with no CUDA device the wrapped module runs directly (as PyTorch does); with one device the
inputs are moved to it and the module runs there; with several, the batch is scattered along ``dim``, the
module replicated (replica parameters are differentiable copies of the originals, so gradients flow back to
them), the replicas run concurrently, one host thread per device (PyTorch's parallel_apply: each thread makes its
device current and inherits the caller's grad mode and cuda autocast state), and their outputs are gathered on
``output_device``.
"""
from __future__ import annotations

import threading
from typing import Any, Optional, Sequence

import pyengine

from ..._C import Tensor
from ..modules.module import Module

__all__ = ["DataParallel"]


def _device_index(d) -> int:
    if isinstance(d, int):
        return d
    d = pyengine.device(d)
    return 0 if d.index is None else d.index


def _to_device(obj: Any, device) -> Any:
    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, tuple):
        return tuple(_to_device(o, device) for o in obj)
    if isinstance(obj, list):
        return [_to_device(o, device) for o in obj]
    if isinstance(obj, dict):
        return {k: _to_device(v, device) for k, v in obj.items()}
    return obj


def _scatter(obj: Any, devices: Sequence[int], dim: int) -> list:
    """Splits every tensor in obj along dim into len(devices) chunks (PyTorch's chunk sizes)."""
    if isinstance(obj, Tensor):
        return [c.to(f"cuda:{d}") for c, d in zip(obj.chunk(len(devices), dim), devices)]
    if isinstance(obj, (tuple, list)) and obj:
        parts = list(zip(*[_scatter(o, devices, dim) for o in obj]))
        return [type(obj)(p) for p in parts]
    if isinstance(obj, dict) and obj:
        keys = list(obj)
        parts = list(zip(*[_scatter(obj[k], devices, dim) for k in keys]))
        return [dict(zip(keys, p)) for p in parts]
    return [obj for _ in devices]


def _gather(outputs: list, device, dim: int) -> Any:
    first = outputs[0]
    if isinstance(first, Tensor):
        return pyengine.cat([o.to(device) for o in outputs], dim)
    if isinstance(first, dict):
        return type(first)((k, _gather([o[k] for o in outputs], device, dim)) for k in first)
    if isinstance(first, (tuple, list)):
        return type(first)(_gather(list(parts), device, dim) for parts in zip(*outputs))
    return first


def _replicate(module: Module, device: str) -> Module:
    """A shallow replica whose parameters and buffers are copies on `device` (differentiable: non-leaf views
    of the originals in the graph, placed in _parameters directly as PyTorch's replicate does)."""
    replica = object.__new__(type(module))
    replica.__dict__ = module.__dict__.copy()
    replica._parameters = {k: (None if p is None else p.to(device)) for k, p in module._parameters.items()}
    replica._buffers = {k: (None if b is None else b.to(device)) for k, b in module._buffers.items()}
    replica._modules = {k: (None if m is None else _replicate(m, device)) for k, m in module._modules.items()}
    return replica


def _parallel_apply(replicas: list, inputs: list, kwargs: list, devices: list) -> list:
    """replicas[i](*inputs[i], **kwargs[i]) on cuda:devices[i], each in its own thread; the first failure is
    raised in the caller, naming the replica."""
    grad_enabled = pyengine.is_grad_enabled()
    autocast_on = pyengine.is_autocast_enabled("cuda")
    autocast_dtype = pyengine.get_autocast_dtype("cuda")
    results: list = [None] * len(replicas)
    errors: list = [None] * len(replicas)

    def work(i: int) -> None:
        try:
            with pyengine.cuda.device(devices[i]), pyengine.set_grad_enabled(grad_enabled), \
                    pyengine.autocast("cuda", dtype=autocast_dtype, enabled=autocast_on):
                results[i] = replicas[i](*inputs[i], **kwargs[i])
        except BaseException as e:  # re-raised in the caller  # noqa: BLE001
            errors[i] = e

    threads = [threading.Thread(target=work, args=(i,), name=f"DataParallel replica {i}")
               for i in range(len(replicas))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, e in enumerate(errors):
        if e is not None:
            if hasattr(e, "add_note"):
                e.add_note(f"(raised in DataParallel replica {i} on cuda:{devices[i]})")
            raise e
    return results


class DataParallel(Module):
    def __init__(self, module: Module, device_ids: Optional[Sequence] = None, output_device=None,
                 dim: int = 0) -> None:
        super().__init__()
        self.module = module
        self.dim = dim
        if not pyengine.cuda.is_available():
            self.device_ids = []
            return
        if device_ids is None:
            device_ids = list(range(pyengine.cuda.device_count()))
        if output_device is None:
            output_device = device_ids[0]
        self.device_ids = [_device_index(x) for x in device_ids]
        self.output_device = _device_index(output_device)
        self.src_device_obj = pyengine.device("cuda", self.device_ids[0])
        if len(self.device_ids) == 1:
            self.module.to(self.src_device_obj)

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        for t in list(self.module.parameters()) + list(self.module.buffers()):
            if t.device != self.src_device_obj:
                raise RuntimeError("module must have its parameters and buffers on device "
                                   f"{self.src_device_obj} (device_ids[0]) but found one of them on device: "
                                   f"{t.device}")
        if not inputs and not kwargs:
            inputs = ((),)
        if len(self.device_ids) == 1:
            return self.module(*_to_device(inputs, self.src_device_obj), **_to_device(kwargs, self.src_device_obj))
        in_parts = _scatter(list(inputs), self.device_ids, self.dim)
        kw_parts = _scatter(kwargs, self.device_ids, self.dim) if kwargs else [{} for _ in in_parts]
        n = min(len(in_parts), len(self.device_ids))
        replicas = [self.module if i == 0 else _replicate(self.module, f"cuda:{self.device_ids[i]}")
                    for i in range(n)]
        outputs = _parallel_apply(replicas, in_parts[:n], kw_parts[:n], self.device_ids[:n])
        return _gather(outputs, pyengine.device("cuda", self.output_device), self.dim)
