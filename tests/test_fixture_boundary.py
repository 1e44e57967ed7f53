"""Tests read the synthetic fixture data, never the shipped data/ folder.

data/ holds the real public data of Coquimbo, which changes with each release; the tests'
figures are computed on tests/fixtures/demo_data (see tests/support/data.py). This guard
scans the test sources so nobody slips back to ``geo.schema.DATA_DIR`` / ``NETWORK_OSM``.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.source_scan import offending_lines

TESTS = Path(__file__).resolve().parent
ALLOWED = {
    TESTS / "support" / "data.py",
    TESTS / "test_real_data.py",  # invariants of the shipped data (issue 9, item 8)
    TESTS / "browser" / "test_real_data_map.py",  # the real network over the real blocks
    Path(__file__).resolve(),
}
SHIPPED = re.compile(r"(?<![\w\"'])(?:DATA_DIR|NETWORK_OSM|SHIPPED_DATA)\b")


def _offenders() -> list[str]:
    return offending_lines(SHIPPED, ALLOWED)


def test_no_test_reads_the_shipped_data_folder():
    offenders = _offenders()
    assert offenders == [], (
        "use tests.support.data.FIXTURE_DATA_DIR / FIXTURE_OSM instead of the shipped data:\n"
        + "\n".join(offenders)
    )


def test_the_guard_catches_the_shipped_constants():
    assert SHIPPED.search("from geo.schema import DATA_DIR")
    assert SHIPPED.search("load_network(NETWORK_OSM)")
    assert SHIPPED.search("geo.schema.DATA_DIR / 'x'")
    # the fixture names, the app's config key and the environment variable are fine
    assert not SHIPPED.search("load_all(FIXTURE_DATA_DIR)")
    assert not SHIPPED.search('create_app({"DATA_DIR": FIXTURE_DATA_DIR})')
    assert not SHIPPED.search('monkeypatch.setenv("CULTURAMAP_DATA_DIR", str(data))')
