"""torch.linalg on our own kernels against PyTorch (LAPACK/MKL) and numpy.linalg (OpenBLAS):
median times of cholesky, qr, eigh, lu_factor, solve_triangular, solve, inv, svd and matrix_exp on
float64 n x n matrices, with the ratios torch/pyengine and numpy/pyengine (> 1: pyengine faster).
``python benchmarks/bench_linalg.py [--sizes 64 256 512] [--threads N]``"""
from __future__ import annotations

import argparse

import numpy as np

from _common import fmt_time, import_torch, median_time  # noqa: I001 (sets the path first)

import pyengine as pe


def workloads(n: int, rng):
    a = rng.standard_normal((n, n))
    s = a @ a.T + n * np.eye(n)
    t = np.tril(a) + n * np.eye(n)
    b = rng.standard_normal((n, n))
    return a, s, t, b


def cases(m, a, s, t, b):
    """(name, callable) for one module (pyengine or torch) on tensors of its own."""
    A, S, T, B = (m.tensor(x) for x in (a, s, t, b))
    return [
        ("cholesky", lambda: m.linalg.cholesky(S)),
        ("qr (reduced)", lambda: m.linalg.qr(A)),
        ("eigh", lambda: m.linalg.eigh(S)),
        ("lu_factor", lambda: m.linalg.lu_factor(A)),
        ("solve_triangular", lambda: m.linalg.solve_triangular(T, B, upper=False)),
        ("solve", lambda: m.linalg.solve(S, B)),
        ("inv", lambda: m.linalg.inv(S)),
        ("svd", lambda: m.linalg.svd(A)),
        ("matrix_exp", lambda: m.linalg.matrix_exp(A / A.shape[-1])),
    ]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[64, 256, 512])
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args()
    torch = import_torch()
    if args.threads:
        pe.set_num_threads(args.threads)
        if torch is not None:
            torch.set_num_threads(args.threads)
        try:  # numpy's BLAS/LAPACK threads too, when threadpoolctl is installed
            from threadpoolctl import threadpool_limits
            threadpool_limits(args.threads)
        except ImportError:
            print("(threadpoolctl not installed: numpy uses its default thread count)")
    rng = np.random.default_rng(0)
    npl = {
        "cholesky": lambda a, s, t, b: np.linalg.cholesky(s),
        "qr (reduced)": lambda a, s, t, b: np.linalg.qr(a),
        "eigh": lambda a, s, t, b: np.linalg.eigh(s),
        "solve": lambda a, s, t, b: np.linalg.solve(s, b),
        "inv": lambda a, s, t, b: np.linalg.inv(s),
        "svd": lambda a, s, t, b: np.linalg.svd(a),
    }
    print(f"{'n':>5} {'op':18s} {'pyengine':>10s} {'torch':>10s} {'numpy':>10s} {'torch/pe':>9s} {'numpy/pe':>9s}")
    for n in args.sizes:
        a, s, t, b = workloads(n, rng)
        ours = dict(cases(pe, a, s, t, b))
        theirs = dict(cases(torch, a, s, t, b)) if torch is not None else {}
        for name, fn in ours.items():
            repeat = 3 if n >= 512 else 5
            t_pe = median_time(fn, repeat=repeat)
            t_th = median_time(theirs[name], repeat=repeat) if name in theirs else None
            t_np = median_time(lambda: npl[name](a, s, t, b), repeat=repeat) if name in npl else None
            print(f"{n:>5} {name:18s} {fmt_time(t_pe):>10s} {fmt_time(t_th) if t_th else '-':>10s} "
                  f"{fmt_time(t_np) if t_np else '-':>10s} {('%.2f' % (t_th / t_pe)) if t_th else '-':>9s} "
                  f"{('%.2f' % (t_np / t_pe)) if t_np else '-':>9s}")
    print("(float64; ratios > 1 mean pyengine is faster)")


if __name__ == "__main__":
    main()
