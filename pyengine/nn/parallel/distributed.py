"""nn.parallel.DistributedDataParallel over pyengine.distributed.

Note [DDP gradient buckets]: at construction the parameters (those that require grad) are broadcast
from rank 0, with the buffers, and laid into buckets in reverse registration order (the order
backward produces their gradients): the first bucket holds about 1 MB (or bucket_cap_mb if smaller),
the others ``bucket_cap_mb`` (25 MB) each, one dtype per bucket. A post-hook on each parameter's
AccumulateGrad node (the same node for the module's lifetime: DDP holds it) marks the parameter
ready once its .grad is final for this backward; a bucket whose parameters are all ready is copied
into one flat buffer and all-reduced nonblocking (MPI_Iallreduce), so communication runs while
backward goes on (MPI moves a nonblocking collective along inside MPI calls, so every hook also
tests the buckets in flight). Buckets are started in
bucket order on every rank (MPI needs the same collective order everywhere). The hook of the last
parameter waits for all buckets, divides by the world size and writes the averages into .grad: that
is the end of backward for the parameters (the engine has no later per-pass callback to hang it on).
With ``find_unused_parameters=True`` the forward walks the autograd graph from the outputs and marks
the parameters it does not reach ready at once; their local contribution is zero (or the gradient
accumulated under no_sync) and a parameter that no rank used keeps ``.grad`` as it was.
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pyengine
import pyengine.distributed as dist

from ..._C import Tensor
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]

_FIRST_BUCKET_BYTES = 1024 * 1024


class _Bucket:
    __slots__ = ("buffer", "index", "offsets", "params", "pending", "used", "work")

    def __init__(self, index: int, params: list) -> None:
        self.index = index
        self.params = params
        self.offsets = []
        off = 0
        for _, p in params:
            self.offsets.append(off)
            off += p.numel()
        self.buffer = pyengine.empty(off, dtype=params[0][1].dtype)
        self.pending = len(params)
        self.work = None


def _tensors_in(obj: Any) -> Iterator[Tensor]:
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors_in(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors_in(o)


class DistributedDataParallel(Module):
    def __init__(self, module: Module, device_ids: list | None = None, output_device: Any = None, dim: int = 0,
                 broadcast_buffers: bool = True, process_group: Any = None, bucket_cap_mb: float | None = None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False, **kwargs: Any) -> None:
        super().__init__()
        params = []
        seen = set()
        for p in module.parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                params.append(p)
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter that "
                               "requires a gradient.")
        devices = {p.device.type for p in params}
        if len(devices) > 1:
            raise ValueError(f"DistributedDataParallel's input module must be on the same type of devices, but input "
                             f"module parameters locate in {devices}.")
        if "cpu" in devices and (device_ids is not None or output_device is not None):
            raise ValueError("DistributedDataParallel device_ids and output_device arguments only work with "
                             "single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                             f"{device_ids}, output_device {output_device}, and module parameters {{device(type='cpu')}}.")
        self.module = module
        self.process_group = process_group if process_group is not None else dist.GroupMember.WORLD
        if self.process_group is None:
            dist.get_world_size()  # raises PyTorch's "Default process group has not been initialized"
        self.device_ids = device_ids
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self._world = dist.get_world_size(self.process_group)
        self._params = params
        self._sync_states(list(module.parameters()) + list(module.buffers()))
        cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        self.bucket_bytes_cap = cap
        self._buckets = self._make_buckets(params, cap)
        self._where = {}  # param index -> (bucket, slot)
        for b in self._buckets:
            for slot, (i, _) in enumerate(b.params):
                self._where[i] = (b, slot)
        self._grad_accs = []
        self._hook_handles = []
        with pyengine.enable_grad():
            for i, p in enumerate(params):
                acc = p.expand_as(p).grad_fn.next_functions[0][0]
                self._grad_accs.append(acc)
                self._hook_handles.append(acc.register_hook(self._make_hook(i)))
        self._active = False       # this backward's gradients are to be reduced
        self._fired = 0            # hooks fired in this iteration
        self._next_launch = 0
        self._used = None          # find_unused_parameters: locally used flags
        self._ready = [False] * len(params)
        self._comm_wait_seconds = 0.0  # time backward waited for communication (benchmarks read it)

    # -- construction -----------------------------------------------------------------------------

    def _sync_states(self, tensors: list) -> None:
        """Broadcast from rank 0, one flat buffer per dtype."""
        if self._world == 1 or not tensors:
            return
        by_dtype: dict = {}
        for t in tensors:
            by_dtype.setdefault(t.dtype, []).append(t)
        src = dist.get_global_rank(dist.distributed_c10d._resolve(self.process_group), 0)
        for ts in by_dtype.values():
            flat = pyengine.cat([t.detach().reshape(-1) for t in ts])
            dist.broadcast(flat, src=src, group=self.process_group)
            off = 0
            for t in ts:
                t.detach().copy_(flat[off:off + t.numel()].view_as(t))
                off += t.numel()

    @staticmethod
    def _make_buckets(params: list, cap: int) -> list:
        buckets: list = []
        open_: dict = {}  # dtype -> (entries, bytes)
        limit = min(_FIRST_BUCKET_BYTES, cap)
        for i in reversed(range(len(params))):
            p = params[i]
            entries, nbytes = open_.get(p.dtype, ([], 0))
            entries.append((i, p))
            nbytes += p.numel() * p.element_size()
            if nbytes >= limit:
                buckets.append(_Bucket(len(buckets), entries))
                entries, nbytes = [], 0
                limit = cap
            open_[p.dtype] = (entries, nbytes)
        for entries, _ in open_.values():
            if entries:
                buckets.append(_Bucket(len(buckets), entries))
        return buckets

    # -- forward ----------------------------------------------------------------------------------

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if self._fired and self._active:
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a new one. This error "
                "indicates that your module has parameters that were not used in producing loss. You can enable "
                "unused parameter detection by passing the keyword argument `find_unused_parameters=True` to "
                "`torch.nn.parallel.DistributedDataParallel`, and by making sure all `forward` function outputs "
                "participate in calculating loss.")
        if self.broadcast_buffers and self.require_forward_param_sync:
            self._sync_states(list(self.module.buffers()))
        out = self.module(*inputs, **kwargs)
        if pyengine.is_grad_enabled() and self.require_backward_grad_sync:
            self._prepare_for_backward(out)
        else:
            self._active = False
        return out

    def _prepare_for_backward(self, out: Any) -> None:
        self._active = True
        self._fired = 0
        self._next_launch = 0
        for b in self._buckets:
            b.pending = len(b.params)
            b.work = None
        self._used = None
        self._ready = [False] * len(self._params)
        if self.find_unused_parameters:
            reached = self._reached_accumulators(out)
            self._used = [id(acc) in reached for acc in self._grad_accs]
            for i, used in enumerate(self._used):
                if not used:
                    self._mark_ready(i)

    def _reached_accumulators(self, out: Any) -> set:
        seen: dict = {}  # id -> node: holding the node keeps its id from being reused during the walk
        reached: set = set()
        stack = [t.grad_fn for t in _tensors_in(out) if t.grad_fn is not None]
        while stack:
            n = stack.pop()
            if id(n) in seen:
                continue
            seen[id(n)] = n
            if type(n).__name__ == "AccumulateGrad":
                reached.add(id(n))
            for nxt, _ in n.next_functions:
                if nxt is not None:
                    stack.append(nxt)
        return reached

    # -- backward ---------------------------------------------------------------------------------

    def _make_hook(self, i: int) -> Any:
        def hook(grad_inputs: Any, grad_outputs: Any) -> None:
            if self._active:
                self._fired += 1
                for b in self._buckets[:self._next_launch]:  # progress for the reductions in flight
                    b.work.is_completed()
                self._mark_ready(i)
        return hook

    def _mark_ready(self, i: int) -> None:
        if self._ready[i]:  # a parameter's gradient counts once per iteration
            return
        self._ready[i] = True
        b, _ = self._where[i]
        b.pending -= 1
        if b.pending:
            return
        while self._next_launch < len(self._buckets) and self._buckets[self._next_launch].pending == 0:
            self._launch(self._buckets[self._next_launch])
            self._next_launch += 1
        if self._next_launch == len(self._buckets):
            self._finalize()

    def _launch(self, b: _Bucket) -> None:
        with pyengine.no_grad():
            for (_, p), off in zip(b.params, b.offsets):
                dst = b.buffer[off:off + p.numel()]
                if p.grad is None:
                    dst.zero_()
                else:
                    dst.copy_(p.grad.reshape(-1))
        b.work = dist.all_reduce(b.buffer, group=self.process_group, async_op=True)

    def _finalize(self) -> None:
        self._active = False
        self._fired = 0
        used_anywhere = None
        if self._used is not None:
            flags = pyengine.tensor([1 if u else 0 for u in self._used], dtype=pyengine.int32)
            dist.all_reduce(flags, group=self.process_group)
            used_anywhere = [bool(f) for f in flags.tolist()]
        start = time.perf_counter()
        for b in self._buckets:
            b.work.wait()
        self._comm_wait_seconds += time.perf_counter() - start
        with pyengine.no_grad():
            for b in self._buckets:
                b.buffer.div_(self._world)
                for (i, p), off in zip(b.params, b.offsets):
                    if used_anywhere is not None and not used_anywhere[i]:
                        continue
                    avg = b.buffer[off:off + p.numel()].view_as(p)
                    if p.grad is None:
                        p.grad = avg.clone()
                    else:
                        p.grad.copy_(avg)

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Gradients accumulate locally inside; the first backward outside reduces them all."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def __getstate__(self) -> dict:
        raise RuntimeError("DistributedDataParallel cannot be pickled: pickle its .module (or its state_dict)")
