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


@pytest.mark.parametrize("prefix", ["/ogc", "/", "/collections", "/ogc/collections"])
def test_gdal_lists_the_collections(base, prefix):
    names = {name for name, _ in pyogrio.list_layers(f"OAPIF:{base}{prefix}")}
    assert names == {"councils", "sectors", "venues", "workshops", "population", "sites",
                     "isochrones", "activities", "proposals"}


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


ALL = ("councils", "sectors", "venues", "workshops", "population", "sites", "isochrones")


@pytest.mark.parametrize("name", ALL)
def test_gdal_reads_every_collection_with_a_datetime(base, layers, name):
    """GDAL repeats the address's query on every request (landing page, API, collections,
    items): 11 April 2026 from 12:00 Chile time keeps the workshop of that day only and,
    in collections without days, every feature."""
    url = f"OAPIF:{base}/collections?datetime=2026-04-11T12:00:00-04:00/2026-04-11T23:00:00-04:00"
    served = pyogrio.read_dataframe(url, layer=name)
    if name == "workshops":
        assert list(served["id"]) == ["T-1"]  # its day, 2026-04-11, in the fixture file
    elif name in ("sites", "isochrones"):  # computed layers: as many as the API serves
        every = json.load(urllib.request.urlopen(f"{base}/collections/{name}/items?limit=1000"))
        assert len(served) == every["numberMatched"] > 0
    else:
        assert set(served["id"]) == set(getattr(layers, name)["id"])


def test_gdal_sends_a_date_range_that_the_server_applies(base, layers):
    """GDAL turns a range on a date column into datetime=...T/...T and keeps what the server
    answers: both ends are whole days, included."""
    served = pyogrio.read_dataframe(f"OAPIF:{base}/ogc", layer="workshops",
                                    where="date >= '2026-04-25' AND date <= '2026-05-09'")
    dates = layers.workshops["date"].astype(str).str[:10]
    expected = layers.workshops[(dates >= "2026-04-25") & (dates <= "2026-05-09")]
    assert set(served["id"]) == set(expected["id"]) == {"T-2", "T-3"}


@pytest.mark.parametrize("name,where,column,value", [
    ("venues", "category = 'library'", "category", "library"),
    ("councils", "code = 'DEMO-UV-07'", "code", "DEMO-UV-07"),
])
def test_gdal_filters_on_a_queryable(base, layers, name, where, column, value):
    served = pyogrio.read_dataframe(f"OAPIF:{base}/collections", layer=name, where=where)
    source = getattr(layers, name)
    assert set(served["id"]) == set(source.loc[source[column] == value, "id"])
    assert 0 < len(served) < len(source)


@pytest.mark.parametrize("rank", [1, 3, 4])  # the first, the last, and past the last site
def test_gdal_filters_the_sites_by_rank(base, rank):
    served = pyogrio.read_dataframe(f"OAPIF:{base}/ogc", layer="sites", where=f"rank = {rank}")
    assert list(served["rank"]) == ([rank] if rank <= 3 else [])
