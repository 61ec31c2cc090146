"""tests/check_skips.py (run by .ci/run through tests/run.sh with PE_STRICT=1): a skip whose reason is not in
tests/allowed_skips.txt fails CI; allowed skips and no skips pass; a log without pytest's summary fails."""
import os
import subprocess
import sys
import textwrap

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECK = os.path.join(REPO, "tests", "check_skips.py")


def _pytest_log(tmp_path, body):
    (tmp_path / "test_probe.py").write_text(textwrap.dedent(body))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-rs", "-p", "no:cacheprovider", str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path)
    log = tmp_path / "pytest.log"
    log.write_text(proc.stdout + proc.stderr)
    return log


def _check(log):
    return subprocess.run([sys.executable, CHECK, str(log)], capture_output=True, text=True)


@pytest.mark.parametrize("body,ok", [
    ("def test_a():\n    pass\n", True),
    ("import pytest\n@pytest.mark.skipif(True, reason='CUDA not available')\ndef test_a():\n    pass\n", True),
    ("import pytest\ndef test_a():\n    pytest.skip('conv2d is broken')\n", False),
    ("import pytest\npytest.importorskip('no_such_module_for_pe')\ndef test_a():\n    pass\n", False),
], ids=["no_skip", "allowed_cuda", "unexplained", "module_importorskip"])
def test_skip_reasons_checked_against_allowlist(tmp_path, body, ok):
    res = _check(_pytest_log(tmp_path, body))
    assert (res.returncode == 0) == ok, res.stdout + res.stderr
    assert "pytest summary:" in res.stdout and "skipped tests:" in res.stdout


def test_quiet_summary_line_is_found(tmp_path):
    log = tmp_path / "q.log"
    log.write_text("....s                 [100%]\nSKIPPED [1] tests/python/t.py:3: CUDA not available\n"
                   "4 passed, 1 skipped in 2.50s\n")
    res = _check(log)
    assert res.returncode == 0 and "4 passed, 1 skipped" in res.stdout and "skipped tests: 1" in res.stdout


def test_log_without_summary_fails(tmp_path):
    log = tmp_path / "empty.log"
    log.write_text("ImportError while loading conftest\n")
    assert _check(log).returncode == 1


def test_every_allowlist_entry_has_a_reason():
    sys.path.insert(0, os.path.join(REPO, "tests"))
    try:
        import check_skips
    finally:
        sys.path.pop(0)
    entries = check_skips.load_allowlist()
    assert entries and all(why for _, why in entries)
