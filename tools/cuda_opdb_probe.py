"""Which op_db ops run on the CPU but not on `cuda` (or disagree there): every OpInfo's first samples, converted
to pyengine on the CPU, then the same arguments moved to cuda. Needs a CUDA build (the emulated device will do)
and PyTorch for op_db. Usage: python tools/cuda_opdb_probe.py [-k substring] [--samples N]"""
from __future__ import annotations

import argparse
import os
import sys
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "python"))

import numpy as np  # noqa: E402

import pyengine as pe  # noqa: E402


def to_cuda(v):
    if isinstance(v, pe.Tensor):
        return v.detach().cuda().requires_grad_(v.requires_grad) if v.is_floating_point() else v.cuda()
    if isinstance(v, (list, tuple)):
        items = [to_cuda(x) for x in v]
        return type(v)(items) if not hasattr(v, "_fields") else type(v)(*items)
    if isinstance(v, dict):
        return {k: to_cuda(x) for k, x in v.items()}
    return v


def leaves(v, out):
    if isinstance(v, pe.Tensor):
        out.append(v)
    elif isinstance(v, (list, tuple)):
        for x in v:
            leaves(x, out)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", default=None)
    ap.add_argument("--samples", type=int, default=3)
    args = ap.parse_args()
    import torch
    from torch.testing._internal.common_methods_invocations import op_db
    import opinfo_harness as h
    if not pe.cuda.is_available():
        print("no CUDA device")
        return 2
    failures, mismatches, ok = {}, {}, 0
    for op in op_db:
        key = h.op_key(op)
        if args.k and args.k not in key:
            continue
        fn = h.pe_counterpart(op.op, op.name) if op.op is not None else None
        if fn is None:
            continue
        for dtype in (torch.float32, torch.int64):
            if dtype not in op.supported_dtypes("cpu"):
                continue
            try:
                samples = list(op.sample_inputs("cpu", dtype, requires_grad=False))[:args.samples]
            except Exception:  # noqa: BLE001
                continue
            for s in samples:
                try:
                    a = h.to_pe(s.input, torch)
                    rest = h.to_pe(list(s.args), torch)
                    kw = h.to_pe(dict(s.kwargs), torch)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        want = fn(a, *rest, **kw)
                except Exception:  # noqa: BLE001  (CPU fails too: not this probe's business)
                    continue
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        got = fn(to_cuda(a), *to_cuda(rest), **to_cuda(kw))
                    gl, wl = leaves(got, []), leaves(want, [])
                    for g, w in zip(gl, wl):
                        if g.device.type != "cuda" and w.device.type == "cpu" and a.device.type == "cpu":
                            pass
                        if g.shape != w.shape or (h._random_sample(op, s) is False and g.numel() and not np.allclose(
                                g.detach().cpu().double().numpy(), w.detach().double().numpy(), rtol=1e-3,
                                atol=1e-4, equal_nan=True)):
                            mismatches.setdefault(key, str(dtype))
                    ok += 1
                except Exception as e:  # noqa: BLE001
                    failures.setdefault(key, f"{type(e).__name__}: {str(e).splitlines()[0][:120]}")
    for k, v in sorted(failures.items()):
        print(f"FAIL  {k}: {v}")
    for k, v in sorted(mismatches.items()):
        print(f"DIFF  {k}: {v}")
    print(f"{ok} samples ran on cuda; {len(failures)} ops fail there, {len(mismatches)} disagree with the CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
