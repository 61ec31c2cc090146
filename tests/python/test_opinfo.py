"""Conformance with PyTorch's own operator database (op_db), one test per OpInfo entry.

Each test runs the entry's sample inputs on pyengine beside PyTorch (tests/python/opinfo_harness.py: function,
method and in-place variants; float32/int64/bool forward, float64 forward and backward) and holds the engine
to the status recorded in opinfo_baseline.json: an op that passed every sample must keep passing, and an op
that passed some samples must not pass fewer kinds of sample than "partial" (it may not fall back to failing
or missing). Ops the baseline lists as missing or failing are reported with their first failures, not hidden:
`python tools/opinfo_report.py -v` prints the whole table (the figures quoted in the session notes). When an op
improves, re-record the baseline with `python tools/opinfo_report.py --write-baseline`; the test fails until
then, so the ratchet only moves forward.
"""
import json
import os

import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference of the op_db conformance suite")
pytest.importorskip("expecttest", reason="op_db needs expecttest (installed by .ci/run)")

import opinfo_harness as h  # noqa: E402

BASELINE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "opinfo_baseline.json")
with open(BASELINE_FILE) as f:
    BASELINE = json.load(f)
RANK = {"missing": 0, "fail": 1, "partial": 2, "pass": 3}
OPS = {h.op_key(op): op for op in h.all_ops(torch)}


@pytest.mark.parametrize("key", sorted(OPS))
def test_opinfo(key):
    result = h.run_op(OPS[key], torch)
    want, want_passed, want_err = (BASELINE.get(key, ["missing", 0]) + [0])[:3]
    got = result.status
    detail = "; ".join(result.failures[:3])
    assert RANK[got] >= RANK[want] and result.passed >= want_passed, (
        f"{key}: was {want} ({want_passed} samples), now {got} ({result.passed}/{result.samples}): {detail}")
    assert result.errors_agree >= want_err, (
        f"{key}: {want_err} of PyTorch's error_inputs raised PyTorch's exception class, now {result.errors_agree}: "
        + "; ".join(result.error_failures))
    assert (got, result.passed, result.errors_agree) == (want, want_passed, want_err), (
        f"{key} improved from {want} ({want_passed}, errors {want_err}) to {got} ({result.passed}, errors "
        f"{result.errors_agree}): record it with "
        f"`python tools/opinfo_report.py --write-baseline`")
