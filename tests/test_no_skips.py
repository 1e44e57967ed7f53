"""No test skips silently (issue 15, point 6).

A CI machine without Chromium used to pass with the browser tests skipped. Every skip now
goes through ``tests.support.needs.require``: it names what is missing and how to install
it, skips on a developer's machine and FAILS when ``CI=true``. This guard scans the test
sources for any other way to skip (as tests/test_fixture_boundary.py does for the
shipped data folder).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support import needs
from tests.support.source_scan import offending_lines

TESTS = Path(__file__).resolve().parent
ALLOWED = {TESTS / "support" / "needs.py", Path(__file__).resolve()}
SKIPS = re.compile(r"\bpytest\.skip\b|\bimportorskip\b|\bmark\.skip(?:if)?\b|\bmark\.xfail\b"
                   r"|\bpytest\.xfail\b|\bunittest\.skip")


def _offenders() -> list[str]:
    return offending_lines(SKIPS, ALLOWED)


def test_no_test_skips_except_through_require():
    offenders = _offenders()
    assert offenders == [], (
        "skip only through tests.support.needs.require(available, what, how), which fails "
        "in CI:\n" + "\n".join(offenders))


def test_the_guard_catches_every_way_to_skip():
    for line in ('pytest.skip("no chromium")', "@pytest.mark.skipif(x, reason='y')",
                 'pytest.importorskip("weasyprint")', "pytestmark = pytest.mark.skip",
                 "@pytest.mark.xfail", "pytest.xfail('later')", "@unittest.skipIf(True, '')"):
        assert SKIPS.search(line), line
    assert not SKIPS.search("require(CHROMIUM.exists(), 'Chromium', 'run make browser')")
    assert not SKIPS.search("def test_skipped_rows_are_reported():")


def test_a_missing_requirement_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="run `make browser`.*CI=true"):
        needs.require(False, "Debian Chromium", "run `make browser`")
    needs.require(True, "Debian Chromium", "run `make browser`")  # present: nothing happens


def test_a_missing_requirement_skips_with_its_reason_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="poppler's pdftoppm is missing; apt"):
        needs.require(False, "poppler's pdftoppm", "apt-get install poppler-utils")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        needs.require(False, "x", "y")
