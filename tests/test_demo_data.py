"""The fixture data is exactly what tests/fixtures/make_demo_data.py makes, and is synthetic.

Guards against hand edits that would make the synthetic test fixture look like (or drift
from) data with a real source.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import geopandas as gpd
import pytest

from tests.support.data import FIXTURE_DATA_DIR

GEOJSON_LAYERS = (
    "boundaries/councils.geojson",
    "population/blocks.geojson",
    "venues/venues.geojson",
    "workshops/workshops.geojson",
)


def _generator():
    path = Path(__file__).resolve().parent / "fixtures" / "make_demo_data.py"
    spec = importlib.util.spec_from_file_location("make_demo_data", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    _generator().main(["--out", str(out)])
    return out


@pytest.mark.parametrize("relative", GEOJSON_LAYERS)
def test_fixture_layer_matches_generator(regenerated: Path, relative: str) -> None:
    fixture = gpd.read_file(FIXTURE_DATA_DIR / relative)
    fresh = gpd.read_file(regenerated / relative)
    assert list(fixture.columns) == list(fresh.columns)
    assert fixture.drop(columns="geometry").equals(fresh.drop(columns="geometry"))
    assert fixture.geometry.geom_equals_exact(fresh.geometry, tolerance=1e-5).all()


def test_fixture_network_matches_generator(regenerated: Path) -> None:
    fixture = (FIXTURE_DATA_DIR / "network/parte_alta.osm").read_text("utf-8")
    fresh = (regenerated / "network/parte_alta.osm").read_text("utf-8")
    assert fixture.count("<way ") == fresh.count("<way ") > 1000
    assert fixture.count("<node ") == fresh.count("<node ")


def test_every_feature_and_the_manifest_say_synthetic() -> None:
    manifest = json.loads((FIXTURE_DATA_DIR / "manifest.json").read_text("utf-8"))
    assert manifest["synthetic"] is True
    assert "SINTÉTICO" in manifest["notice_es"] and "SYNTHETIC" in manifest["notice_en"]
    for relative in GEOJSON_LAYERS:
        sources = set(gpd.read_file(FIXTURE_DATA_DIR / relative)["source"])
        assert sources == {"SINTÉTICO (demo)"}, relative
