"""A real OGC API – Features client (GDAL's OAPIF driver, as used by QGIS and ogr2ogr) reads
every layer from the production server, following the paging links and the bbox filter."""

from __future__ import annotations

import json
import urllib.request

import pyogrio
import pytest
import shapely

from geo.layers import load_all
from tests.support.data import FIXTURE_DATA_DIR
from tests.support.needs import require
from tests.support.web import serve_process

require("OAPIF" in pyogrio.list_drivers(), "GDAL's OGC API - Features driver (OAPIF)",
        "install a pyogrio/GDAL build with it: `.venv/bin/pip install -U pyogrio`", module=True)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    with serve_process(tmp_path_factory.mktemp("cache")) as url:
        yield url


@pytest.fixture(scope="module")
def layers():
    return load_all(FIXTURE_DATA_DIR)


@pytest.mark.parametrize("prefix", ["/ogc", "/"])
def test_gdal_lists_the_collections(base, prefix):
    names = {name for name, _ in pyogrio.list_layers(f"OAPIF:{base}{prefix}")}
    assert names == {"councils", "sectors", "venues", "workshops", "population", "sites",
                     "isochrones", "activities"}


@pytest.mark.parametrize("name", ["councils", "sectors", "venues", "workshops", "population"])
def test_gdal_reads_every_feature_through_the_paging_links(base, layers, name):
    served = pyogrio.read_dataframe(f"OAPIF:{base}/ogc", layer=name)
    source = getattr(layers, name)
    assert len(served) == len(source)  # population: 634 rows over several pages
    assert list(served["id"]) == list(source["id"])
    assert served.crs.to_epsg() == 4326
    # same places, to the served precision (6 decimals, ~0.1 m)
    assert served.geometry.reset_index(drop=True).geom_equals_exact(
        source.geometry.reset_index(drop=True), tolerance=2e-6
    ).all()


def test_gdal_bbox_filter_matches_an_intersection(base, layers):
    box = (-71.33, -29.99, -71.32, -29.98)
    served = pyogrio.read_dataframe(f"OAPIF:{base}/", layer="councils", bbox=box)
    expected = layers.councils[layers.councils.intersects(shapely.box(*box))]
    assert set(served["id"]) == set(expected["id"]) and 0 < len(served) < 20
    assert "share_within_15min" in served.columns and "gap_rank" in served.columns


def test_gdal_reads_the_suggested_sites_in_rank_order(base):
    served = pyogrio.read_dataframe(f"OAPIF:{base}/ogc", layer="sites")
    api = json.load(urllib.request.urlopen(f"{base}/api/sites"))
    assert list(served["rank"]) == [s["rank"] for s in api["sites"]] == [1, 2, 3]
    assert list(served["newly_covered"]) == [s["newly_covered"] for s in api["sites"]]
