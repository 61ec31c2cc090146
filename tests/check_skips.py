"""Reads a pytest log written with ``-rs`` and fails when a test skipped for a reason not listed in
tests/allowed_skips.txt. Prints pytest's summary line and the skipped tests counted by reason.

Usage: python tests/check_skips.py PYTEST_LOG
"""
from __future__ import annotations

import os
import re
import sys

ALLOWLIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "allowed_skips.txt")
# "SKIPPED [3] tests/python/test_x.py:12: reason" (pytest's -rs short summary, counts grouped)
SKIP_LINE = re.compile(r"^SKIPPED \[(\d+)\] ([^:]+(?::\d+)?): (.*)$")
# "===== 3 passed, 1 skipped in 2.1s =====", or "3 passed, 1 skipped in 2.1s" under -q (the project's addopts)
SUMMARY_LINE = re.compile(r"^(=+ )?[\d, a-z]*\b(passed|failed|skipped|errors?|no tests ran)\b.* in [\d.]+s.*$")


def load_allowlist(path: str = ALLOWLIST) -> list[tuple[re.Pattern, str]]:
    entries = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            pattern, sep, why = line.partition(" # ")
            if not sep or not why.strip():
                raise SystemExit(f"{path}:{n}: an entry needs ' # ' and the reason the skip is allowed")
            entries.append((re.compile(pattern.strip()), why.strip()))
    return entries


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8", errors="replace") as f:
        lines = [line.rstrip("\n") for line in f]
    allowed = load_allowlist()
    summary = [line for line in lines if SUMMARY_LINE.match(line)]
    if not summary:
        print("check_skips: no pytest summary line in the log (did pytest run?)")
        return 1
    print("pytest summary:", summary[-1].strip("= "))
    total, bad = 0, []
    for line in lines:
        m = SKIP_LINE.match(line)
        if not m:
            continue
        count, where, reason = int(m.group(1)), m.group(2), m.group(3)
        total += count
        why = next((w for p, w in allowed if p.search(reason)), None)
        print(f"  skipped {count:4d}  {where}: {reason}" + (f"  [allowed: {why}]" if why else "  [NOT ALLOWED]"))
        if why is None:
            bad.append(f"{where}: {reason}")
    print(f"skipped tests: {total}")
    if bad:
        print(f"check_skips: {len(bad)} skip reason(s) not in {os.path.relpath(ALLOWLIST)}:")
        for b in bad:
            print("  " + b)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
