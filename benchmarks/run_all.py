"""Run every benchmark in this folder, pyengine and PyTorch side by side: `python benchmarks/run_all.py`.

Each bench_*.py runs as its own process (one warm-up, medians of repeats, ratios printed by the
script itself), so one benchmark's allocator caches and thread pools never colour the next one.
Extra arguments are passed to every script (e.g. `--threads 2` where a script takes it); `-k NAME`
runs only the scripts whose name contains NAME.
"""
from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-k", dest="only", default="", help="run only benchmarks whose file name contains this")
    args, rest = ap.parse_known_args()
    here = pathlib.Path(__file__).resolve().parent
    failed = []
    for script in sorted(here.glob("bench_*.py")):
        if args.only not in script.name:
            continue
        print("=" * 72 + "\n" + script.name + "\n" + "=" * 72, flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(script), *rest], cwd=here)
        print("(%s: %.0f s%s)\n" % (script.name, time.perf_counter() - t0, "" if rc == 0 else ", exit %d" % rc),
              flush=True)
        if rc != 0:
            failed.append(script.name)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
