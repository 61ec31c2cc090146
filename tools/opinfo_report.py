"""Conformance report against PyTorch's operator database: ``python tools/opinfo_report.py [-k NAME] [--json F]``.

Runs every OpInfo of ``op_db`` on pyengine beside PyTorch (tests/python/opinfo_harness.py) and prints, by
family, how many ops pass every sample (forward and, in float64, backward), pass some, fail all, or are
missing; ``-v`` lists the failures of each op. ``PE_OPINFO_SAMPLES`` caps the samples per op and dtype
(default 8). ``--write-baseline`` records the statuses that tests/python/test_opinfo.py holds the engine to.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "python"))
BASELINE = os.path.join(HERE, "..", "tests", "python", "opinfo_baseline.json")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-k", dest="only", default=None, help="only ops whose name contains this")
    ap.add_argument("-v", dest="verbose", action="store_true", help="list the failures of each op")
    ap.add_argument("--json", default=None, help="write the per-op results to this file")
    ap.add_argument("--write-baseline", action="store_true", help="record the statuses as the new baseline")
    ap.add_argument("--dtypes", default=None,
                    help="comma-separated sample dtypes instead of the suite's (e.g. complex64: how far complex "
                         "support reaches; forward only, not a baseline)")
    args = ap.parse_args()
    import torch

    import opinfo_harness as h

    t0 = time.perf_counter()
    if args.dtypes and args.write_baseline:
        print("--write-baseline records the suite's dtypes only")
        return 2
    results = h.run_all(torch, args.only, tuple(args.dtypes.split(",")) if args.dtypes else None)
    if args.dtypes:  # ops with no samples of those dtypes do not take part
        results = {k: r for k, r in results.items() if r.samples or r.missing}
    by_family = collections.defaultdict(collections.Counter)
    for r in results.values():
        by_family[r.family][r.status] += 1
        by_family["all"][r.status] += 1
    print(f"{'family':16s} {'ops':>5s} {'pass':>5s} {'partial':>8s} {'fail':>5s} {'missing':>8s} {'pass %':>7s}")
    for fam in sorted(by_family, key=lambda f: (f == "all", f)):
        c = by_family[fam]
        n = sum(c.values())
        print(f"{fam:16s} {n:5d} {c['pass']:5d} {c['partial']:8d} {c['fail']:5d} {c['missing']:8d} "
              f"{100.0 * c['pass'] / n:6.1f}%")
    samples = sum(r.samples for r in results.values())
    passed = sum(r.passed for r in results.values())
    print(f"samples run: {samples}, agreeing: {passed} ({100.0 * passed / max(samples, 1):.1f}%), "
          f"{time.perf_counter() - t0:.0f} s")
    e_run = sum(r.errors_run for r in results.values())
    e_ok = sum(r.errors_agree for r in results.values())
    e_ops = [r for r in results.values() if r.errors_run]
    print(f"error_inputs run: {e_run} (of {len(e_ops)} ops), raising PyTorch's class: {e_ok} "
          f"({100.0 * e_ok / max(e_run, 1):.1f}%); ops with every error input right: "
          f"{sum(1 for r in e_ops if r.errors_agree == r.errors_run)}/{len(e_ops)}")
    if args.verbose:
        for key in sorted(results):
            r = results[key]
            if r.status in ("partial", "fail") or r.errors_agree < r.errors_run:
                print(f"\n{key} [{r.status} {r.passed}/{r.samples}, error_inputs {r.errors_agree}/{r.errors_run}]")
                for f in r.failures + r.error_failures:
                    print("   " + f)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({k: {"status": r.status, "family": r.family, "samples": r.samples, "passed": r.passed,
                           "failures": r.failures, "errors_run": r.errors_run, "errors_agree": r.errors_agree,
                           "error_failures": r.error_failures} for k, r in results.items()}, f, indent=1,
                      sort_keys=True)
    if args.write_baseline:
        if args.only:
            print("--write-baseline needs the whole database (no -k)")
            return 2
        with open(BASELINE, "w") as f:
            json.dump({k: [r.status, r.passed, r.errors_agree] for k, r in sorted(results.items())}, f, indent=0,
                      sort_keys=True)
            f.write("\n")
        print(f"baseline written: {BASELINE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
