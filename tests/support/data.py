"""Where the tests find their data: the SYNTHETIC fixture data set, never the shipped data/.

``tests/fixtures/demo_data`` is a synthetic, clearly-labelled data set (its manifest says
``"synthetic": true``) written by ``tests/fixtures/make_demo_data.py`` with seed 2026. The
product ships real public data of Coquimbo in ``data/`` (``geo.schema.DATA_DIR``), which
tests must not read: its content changes with each data release. ``FIXTURE_DATA_DIR`` has
the same layout as ``data/``, including an OpenStreetMap walking network, so the default
travel model ("auto") uses ``FIXTURE_OSM``. tests/test_fixture_boundary.py enforces this.
"""

from __future__ import annotations

from pathlib import Path

FIXTURE_DATA_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "demo_data"
FIXTURE_OSM = FIXTURE_DATA_DIR / "network" / "parte_alta.osm"

# Command-line arguments that point a culturamap subcommand at the fixture data.
FIXTURE_ARGS: tuple[str, ...] = ("--data-dir", str(FIXTURE_DATA_DIR))

# The shipped real data, for tests/test_real_data.py ONLY: it checks invariants that must
# hold on every data release (loaders accept the files, totals add up, the network is
# connected), never figures that change between releases.
SHIPPED_DATA = Path(__file__).resolve().parents[2] / "data"
