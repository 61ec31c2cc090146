"""Memory-bound and transcendental elementwise kernels: pyengine, PyTorch and numpy on the same
inputs in one process, beside this machine's STREAM-like copy/triad bandwidth measured in the same
run (the limit column).

    python benchmarks/bench_elementwise.py [--n 16777216] [--threads N]

Each figure is the median of repeated runs (runs alternate between the libraries so that all see the
same load). GB/s counts the bytes read and written (STREAM's convention); "of limit" is pyengine's
share of the copy (unary, copies) or triad (binary) figure.
"""
from __future__ import annotations

import argparse

import numpy as np

from _common import load_average, report_bw, setup_threads, stream_limit  # noqa: I001 (sets the path)

import pyengine as pe
import statistics
import time


def bench(fns, repeat: int = 9) -> list:
    """Median seconds of each function (None stays None); runs alternate between them."""
    live = [f for f in fns if f is not None]
    for f in live:
        f()
    times = {id(f): [] for f in live}
    for _ in range(repeat):
        for f in live:
            t0 = time.perf_counter()
            f()
            times[id(f)].append(time.perf_counter() - t0)
    return [statistics.median(times[id(f)]) if f is not None else None for f in fns]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=16 * 1024 * 1024, help="elements per tensor")
    ap.add_argument("--threads", type=int, default=None, help="threads for both (default: pyengine's default)")
    args = ap.parse_args()
    torch, threads = setup_threads(args.threads)
    n = args.n
    side = int(round(n ** 0.5))
    print("elementwise, float32, n=%d, %d thread(s); %s" % (n, threads, load_average()))
    lim = stream_limit(n)
    print("STREAM-like limit (same run): copy %.1f GB/s, triad %.1f GB/s" % (lim["copy"], lim["triad"]))

    rng = np.random.default_rng(0)
    a_np = rng.standard_normal(n, dtype=np.float32)
    b_np = rng.standard_normal(n, dtype=np.float32)
    c_np = np.empty(n, dtype=np.float32)
    m_np = a_np[: side * side].reshape(side, side)
    mo_np = np.empty((side, side), dtype=np.float32)
    P = {"a": pe.from_numpy(a_np), "b": pe.from_numpy(b_np), "c": pe.empty(n), "m": pe.from_numpy(m_np),
         "mo": pe.empty(side, side)}
    T = None
    if torch is not None:
        T = {"a": torch.from_numpy(a_np), "b": torch.from_numpy(b_np), "c": torch.empty(n),
             "m": torch.from_numpy(m_np), "mo": torch.empty(side, side)}
    B = 4 * n  # bytes of one tensor
    BM = 4 * side * side
    # (name, bytes, fn(lib, tensors), numpy fn or None, limit key)
    cases = [
        ("add(a, b, out=c)", 3 * B, lambda L, t: L.add(t["a"], t["b"], out=t["c"]),
         lambda: np.add(a_np, b_np, out=c_np), "triad"),
        ("c.add_(b) (in place)", 3 * B, lambda L, t: t["c"].add_(t["b"]), lambda: np.add(c_np, b_np, out=c_np),
         "triad"),
        ("a + b (new result)", 3 * B, lambda L, t: t["a"] + t["b"], lambda: a_np + b_np, "triad"),
        ("mul(a, b, out=c)", 3 * B, lambda L, t: L.mul(t["a"], t["b"], out=t["c"]),
         lambda: np.multiply(a_np, b_np, out=c_np), "triad"),
        ("clamp(a, min=0, out=c)", 2 * B, lambda L, t: L.clamp(t["a"], min=0, out=t["c"]),
         lambda: np.maximum(a_np, 0, out=c_np), "copy"),
        ("c.copy_(a)", 2 * B, lambda L, t: t["c"].copy_(t["a"]), lambda: np.copyto(c_np, a_np), "copy"),
        ("a.double() (cast)", 3 * B, lambda L, t: t["a"].double(), lambda: a_np.astype(np.float64), "copy"),
        ("m.t().contiguous() %dx%d" % (side, side), 2 * BM, lambda L, t: t["m"].t().contiguous(),
         lambda: np.ascontiguousarray(m_np.T), "copy"),
        ("mo.copy_(m.t())", 2 * BM, lambda L, t: t["mo"].copy_(t["m"].t()), lambda: np.copyto(mo_np, m_np.T),
         "copy"),
        ("m + m.t()", 3 * BM, lambda L, t: t["m"] + t["m"].t(), lambda: m_np + m_np.T, "triad"),
    ]
    for op in ["exp", "log", "tanh", "sigmoid", "erf", "erfc"]:
        npf = {"exp": lambda: np.exp(a_np, out=c_np), "log": lambda: np.log(np.abs(a_np), out=c_np),
               "tanh": lambda: np.tanh(a_np, out=c_np)}.get(op)
        src = "a"
        if op == "log":
            P["pos"] = P["a"].abs()
            if T is not None:
                T["pos"] = T["a"].abs()
            src = "pos"
        cases.append(("%s(a, out=c)" % op, 2 * B,
                      lambda L, t, op=op, src=src: getattr(L, op)(t[src], out=t["c"]), npf, "copy"))
    # gelu (exact, erf-based: nn.functional's default) and a broadcast operand: no out= in PyTorch's API.
    cases.append(("gelu(a) (new result)", 2 * B, lambda L, t: L.nn.functional.gelu(t["a"]), None, "copy"))
    P["row"] = P["m"][:1]
    if T is not None:
        T["row"] = T["m"][:1]
    cases.append(("m + m[:1] (broadcast row)", 2 * BM, lambda L, t: t["m"] + t["row"], lambda: m_np + m_np[:1],
                  "copy"))
    rows = []
    for name, nbytes, fn, npf, key in cases:
        f_pe = lambda fn=fn: fn(pe, P)  # noqa: E731
        f_th = (lambda fn=fn: fn(torch, T)) if T is not None else None  # noqa: E731
        tp, tt, tn = bench([f_pe, f_th, npf])
        rows.append((name, nbytes, tp, tt, tn, lim[key]))
    report_bw(rows, "elementwise (%d threads; numpy is single-threaded)" % threads, "limit")
    print(load_average())


if __name__ == "__main__":
    main()
