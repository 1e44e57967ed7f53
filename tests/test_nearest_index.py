"""geo.access.NearestIndex, the point query behind /api/nearest, /cerca and the council
reports: its own limits and orders, against the straight-street world where the answer is
|x1 - x2| (tests/support/line_world.py). Written to kill surviving mutants of the query."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geo import METRIC_CRS
from geo.access import NearestIndex
from geo.schema import COQUIMBO_BOUNDS
from tests.support import line_world as world
from tests.support.line_world import VENUES
from tests.support.network import lonlat


@pytest.fixture(scope="module")
def index():
    return NearestIndex(world.travel(), world.layers().venues)


def by_distance(x: float) -> list[str]:
    return sorted(VENUES, key=lambda v: (abs(VENUES[v][1] - x), list(VENUES).index(v)))


@pytest.mark.parametrize("x", [0.0, 1400.0, 2525.0, 5900.0])
def test_every_limit_returns_the_nearest_in_order(index, x):
    want = by_distance(x)
    for limit in range(1, len(VENUES) + 2):
        got = index.query(*lonlat(x, 0.0), limit=limit)
        assert list(got["id"]) == want[:limit], limit
        assert got["dist_m"].tolist() == pytest.approx(
            [abs(VENUES[v][1] - x) for v in want[:limit]], abs=1e-6)


def test_the_default_limit_is_ten(tmp_path):
    venues = gpd.GeoDataFrame(
        {"id": [f"V-{i:02d}" for i in range(12)], "name": "x", "category": "library",
         "address": ""},
        geometry=[Point(world.ORIGIN_X + 100.0 * i, world.ORIGIN_Y) for i in range(12)],
        crs=METRIC_CRS)
    index = NearestIndex(world.travel(), venues)
    got = index.query(*lonlat(0.0, 0.0))
    assert list(got["id"]) == [f"V-{i:02d}" for i in range(10)]


def test_ties_keep_the_venues_order(tmp_path):
    """Forty venues on one spot: equally near, listed in the layer's order."""
    n = 40
    venues = gpd.GeoDataFrame(
        {"id": [f"V-{i:02d}" for i in range(n)][::-1], "name": "x", "category": "museum",
         "address": ""},
        geometry=[Point(world.ORIGIN_X + 750.0, world.ORIGIN_Y)] * n, crs=METRIC_CRS)
    index = NearestIndex(world.travel(), venues)
    got = index.query(*lonlat(0.0, 0.0), limit=n)
    assert list(got["id"]) == list(venues["id"])
    assert got["time_min"].tolist() == pytest.approx([10.0] * n)


def test_the_coquimbo_bounds_are_inclusive_and_both_checked(index):
    x0, y0, x1, y1 = COQUIMBO_BOUNDS
    for lon, lat in ((x0, y0), (x1, y1), (x0, y1), (x1, y0)):
        assert len(index.query(lon, lat, limit=1)) == 1
    lon, lat = lonlat(1400.0, 0.0)
    for bad in ((lon, y0 - 1e-6), (lon, y1 + 1e-6), (x0 - 1e-6, lat), (x1 + 1e-6, lat),
                (float("nan"), lat), (lon, float("inf"))):
        with pytest.raises(ValueError, match="not a longitude/latitude inside Coquimbo"):
            index.query(*bad)


def test_venues_without_an_address_column_still_answer():
    venues = world.layers().venues.drop(columns="address")
    got = NearestIndex(world.travel(), venues).query(*lonlat(0.0, 0.0), limit=2)
    assert list(got["id"]) == ["V-LIB", "H-NEAR"]  # 0 m and 2,524 m along the street
    assert got["address"].isna().all()


def test_many_venues_in_shuffled_order_every_limit():
    """Five hundred venues at distinct distances, listed in a scrambled order: each limit
    returns exactly the nearest ones, nearest first (argpartition's k must be limit - 1)."""
    n = 500
    order = [(i * 211 + 7) % n for i in range(n)]  # a fixed permutation of 0..499
    xs = [100.0 + 10.0 * i for i in order]
    venues = gpd.GeoDataFrame(
        {"id": [f"V-{i:02d}" for i in order], "name": "x", "category": "library",
         "address": ""},
        geometry=[Point(world.ORIGIN_X + x, world.ORIGIN_Y) for x in xs], crs=METRIC_CRS)
    index = NearestIndex(world.travel(), venues)
    want = [f"V-{i:02d}" for i in range(n)]  # nearest to x = 0 first
    for limit in [*range(1, 41), 499, 500]:
        assert list(index.query(*lonlat(0.0, 0.0), limit=limit)["id"]) == want[:limit], limit


def test_records_give_none_for_a_missing_address_never_nan():
    """The web API's path: a venue without an address answers None (JSON null), the way the
    docstring promises; NaN would not even be valid JSON."""
    import json

    venues = world.layers().venues.copy()
    venues["address"] = [None if v == "V-LIB" else f"Calle {v}" for v in venues["id"]]
    records = NearestIndex(world.travel(), venues).records(*lonlat(0.0, 0.0), limit=2)
    assert [r["id"] for r in records] == ["V-LIB", "H-NEAR"]
    assert records[0]["address"] is None and records[1]["address"] == "Calle H-NEAR"
    assert json.loads(json.dumps(records, allow_nan=False))[0]["address"] is None
