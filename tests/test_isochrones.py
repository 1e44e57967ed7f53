"""Walking-time areas: checked against an independent brute force (networkx Dijkstra on the
same street segments), the residents inside each band against the model's own pairwise
times, the band limits exactly on their edges, and the /api/isochrone endpoint."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
import shapely

from geo.isochrones import (
    MAX_BANDS,
    MAX_SNAP_M,
    REACH_M,
    IsochroneError,
    IsochroneIndex,
    OffNetworkError,
    check_bands,
)
from geo.layers import load_all
from geo.network import load_network
from tests.support.data import FIXTURE_DATA_DIR, FIXTURE_OSM
from tests.support.network import ORIGIN as ORIGIN_XY
from tests.support.network import walking

WALK = 4.5 * 1000 / 60  # 75 m per minute
TOL_M = 1e-6


@pytest.fixture(scope="module")
def fixture_index(session_cache):
    layers = load_all(FIXTURE_DATA_DIR)
    net = load_network(FIXTURE_OSM, cache_dir=session_cache)
    travel = walking(net)
    return layers, net, travel, IsochroneIndex(travel, layers)


def brute_force_metres(net, snap) -> dict[int, float]:
    """Walk (m) from one snapped point to every node: networkx Dijkstra over the same
    segments, starting from a virtual node joined to both ends of the point's segment."""
    g = nx.Graph()
    for u, v, w in zip(net.edge_u, net.edge_v, net.edge_len, strict=True):
        g.add_edge(int(u), int(v), weight=float(w))
    start = -1
    for node, offset in zip(snap.ends[0], snap.end_offsets[0], strict=True):
        g.add_edge(start, int(node), weight=float(offset))
    dist = nx.single_source_dijkstra_path_length(g, start, weight="weight")
    dist.pop(start)
    return dist


def origins(layers, net) -> list[np.ndarray]:
    """Three venues and a block point, spread over the fixture (EPSG:32719)."""
    venues = layers.venues.to_crs(net_crs()).geometry
    blocks = layers.population.to_crs(net_crs()).representative_point()
    pts = [venues.iloc[0], venues.iloc[len(venues) // 2], venues.iloc[-1], blocks.iloc[17]]
    return [np.array([p.x, p.y]) for p in pts]


def net_crs() -> str:
    from geo import METRIC_CRS

    return METRIC_CRS


@pytest.mark.parametrize("which", [0, 1, 2, 3])
def test_ten_minute_area_against_brute_force(fixture_index, which):
    layers, net, travel, index = fixture_index
    xy = origins(layers, net)[which]
    iso = index.from_point(xy, [10])
    area = iso.polygons[0]
    budget = 10 * WALK
    snap = travel.snap(xy[None, :])
    dist = brute_force_metres(net, snap)
    nodes = np.array(sorted(dist))
    d = np.array([dist[n] for n in nodes])
    pts = shapely.points(net.xy[nodes])
    inside = shapely.intersects(area.buffer(TOL_M), pts)
    reached = d <= budget
    assert reached.sum() > 20 and (~inside).sum() > 20  # neither check is vacuous
    # every node the brute force reaches within 10 minutes is inside the area
    assert inside[reached].all(), nodes[reached & ~inside][:10]
    # nothing far outside: a node inside the area is within REACH_M of a walk that fits
    # in 10 minutes, i.e. near a reached node m by at most REACH_M + the budget left at m
    # (or near the point's own short walk onto the street)
    left = budget - d[reached]
    near_xy = net.xy[nodes[reached]]
    foot, origin = snap.xy[0], xy
    for k in np.flatnonzero(inside):
        p = net.xy[nodes[k]]
        ok = (np.hypot(*(near_xy - p).T) <= REACH_M + left + 1e-6).any()
        ok |= np.hypot(*(foot - p)) <= REACH_M + budget - snap.snap_m[0] + 1e-6
        ok |= np.hypot(*(origin - p)) <= REACH_M + snap.snap_m[0] + 1e-6
        assert ok, (nodes[k], d[k])
    # and a node reached only well after 10 minutes, far from everything reached, is out
    far = (d > budget + 2 * REACH_M) & ~inside
    assert far.any()


def test_bands_are_nested_and_residents_follow_each_block_time(fixture_index):
    layers, net, travel, index = fixture_index
    xy = origins(layers, net)[1]
    bands = [5, 10, 15, 20]
    iso = index.from_point(xy, bands)
    for small, large in zip(iso.polygons, iso.polygons[1:], strict=False):
        assert small.difference(large).area < 1.0  # m²: nested up to rounding
        assert large.area > small.area
    # the independent count: the model's pairwise times from this point to every block
    minutes = travel.minutes(travel.snap(xy[None, :]), index.demand)[0]
    for band, counts in zip(bands, iso.residents, strict=True):
        expected = index.residents[minutes <= band + 1e-9].sum()
        assert counts["residents"] == pytest.approx(expected)
    totals = [r["residents"] for r in iso.residents]
    assert totals == sorted(totals) and totals[-1] > totals[0] > 0
    # the fixture has no socio-economic columns: no group counts, no error
    assert set(iso.residents[0]) == {"residents"}


def test_groups_of_blocks_are_counted_when_the_census_columns_exist(fixture_index):
    layers, net, travel, _ = fixture_index
    pop = layers.population.copy()
    pop["quintil"] = ["Q1" if i % 3 == 0 else "Q5" for i in range(len(pop))]
    pop["gse"] = [None if i % 4 == 0 else "C2" for i in range(len(pop))]  # some unknown
    from dataclasses import replace

    index = IsochroneIndex(travel, replace(layers, population=pop))
    xy = origins(layers, net)[0]
    iso = index.from_point(xy, [15])
    counts = iso.residents[0]
    minutes = travel.minutes(travel.snap(xy[None, :]), index.demand)[0]
    inside = minutes <= 15 + 1e-9
    q1 = np.array([i % 3 == 0 for i in range(len(pop))])
    assert counts["residents_q1"] == index.residents[inside & q1].sum()
    assert counts["residents_q5"] == index.residents[inside & ~q1].sum()
    assert counts["residents_q1"] + counts["residents_q5"] == counts["residents"]
    known = np.array([i % 4 != 0 for i in range(len(pop))])
    assert counts["residents_gse_c2"] == index.residents[inside & known].sum()


def test_a_point_far_from_every_street_is_refused(fixture_index):
    _layers, net, _travel, index = fixture_index
    minx, miny = net.xy.min(axis=0)
    with pytest.raises(OffNetworkError, match="from the nearest street"):
        index.from_point(np.array([minx - MAX_SNAP_M - 50, miny - MAX_SNAP_M - 50]), [10])


def test_band_limits_exactly_on_the_edges():
    assert check_bands([1]) == (1.0,)
    assert check_bands(["60"]) == (60.0,)
    assert check_bands([20, 5, 10, 5]) == (5.0, 10.0, 20.0)  # sorted, duplicates once
    assert len(check_bands(range(1, MAX_BANDS + 1))) == MAX_BANDS
    for bad, message in [([0.99], "outside"), ([60.01], "outside"), (["diez"], "not a number"),
                         (range(1, MAX_BANDS + 2), "at most"), ([], "at least one"),
                         (["nan"], "outside")]:
        with pytest.raises(IsochroneError, match=message):
            check_bands(bad)


def test_a_band_shorter_than_the_walk_onto_the_street_is_empty(fixture_index):
    layers, net, travel, index = fixture_index
    # a point ~100 m off its street: 1 minute (75 m) does not even reach the street
    foot = net.xy[net.edge_u[0]]
    for dx, dy in [(100, 0), (0, 100), (-100, 0), (0, -100)]:
        xy = foot + np.array([dx, dy])
        if 80 < travel.snap(xy[None, :]).snap_m[0] < MAX_SNAP_M:
            break
    else:
        pytest.fail("the fixture has no point ~100 m off the street near the first node")
    iso = index.from_point(xy, [1, 10])
    assert iso.polygons[0].is_empty and iso.residents[0]["residents"] == 0
    assert not iso.polygons[1].is_empty
    assert json.dumps(iso.frame().to_json())  # serialisable with the empty band


# --- the web API -------------------------------------------------------------------------

LAT, LON = -29.978, -71.322  # inside the synthetic Parte Alta, near its streets


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from tests.support.web import app_for

    app = app_for(FIXTURE_DATA_DIR, tmp_path_factory.mktemp("cache"))
    return app.test_client()


def error_of(response, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["detail"] and body["detail"] != f"error.{body['error']}"  # translated
    return body["error"]


def test_api_isochrone_from_a_point(client, fixture_index):
    _layers, _net, _travel, index = fixture_index
    response = client.get(f"/api/isochrone?lat={LAT}&lon={LON}&minutes=15,5,10")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    body = response.get_json()
    assert body["type"] == "FeatureCollection" and body["bands"] == "nested"
    assert body["minutes"] == [5, 10, 15]
    assert [f["properties"]["minutes"] for f in body["features"]] == [15, 10, 5]
    expected = index.from_lonlat(LON, LAT, [5, 10, 15])
    got = [f["properties"]["residents"] for f in body["features"]][::-1]
    assert got == [r["residents"] for r in expected.residents]
    assert body["origin"]["snap_m"] == pytest.approx(expected.snap_m, abs=0.06)
    for feature in body["features"]:  # served in EPSG:4326 (lon, lat), near the point
        minx, miny, maxx, maxy = shapely.geometry.shape(feature["geometry"]).bounds
        assert -71.5 < minx < LON < maxx < -71.1 and -30.1 < miny < LAT < maxy < -29.8


def test_api_isochrone_from_a_venue(client, fixture_index):
    layers = fixture_index[0]
    venue = layers.venues.iloc[3]
    body = client.get(f"/api/isochrone?venue={venue['id']}&minutes=10").get_json()
    assert body["origin"]["venue_id"] == venue["id"]
    assert body["origin"]["lon"] == pytest.approx(venue.geometry.x, abs=1e-6)
    assert len(body["features"]) == 1 and body["features"][0]["properties"]["minutes"] == 10
    assert error_of(client.get("/api/isochrone?venue=V-999"), 404) == "unknown_venue"


@pytest.mark.parametrize("minutes", ["1", "60", "1,2,3,4,5,6", "60,1", "7.5"])
def test_api_isochrone_band_limits_accepted(client, minutes):
    response = client.get(f"/api/isochrone?lat={LAT}&lon={LON}&minutes={minutes}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(response.get_json()["features"]) == len(minutes.split(","))


@pytest.mark.parametrize("query, status, code", [
    ("minutes=0.99", 400, "invalid_minutes"),
    ("minutes=0", 400, "invalid_minutes"),
    ("minutes=60.01", 400, "invalid_minutes"),
    ("minutes=-5", 400, "invalid_minutes"),
    ("minutes=diez", 400, "invalid_minutes"),
    ("minutes=nan", 400, "invalid_minutes"),
    ("minutes=1,2,3,4,5,6,7", 400, "too_many_bands"),
    ("lat=abc", 400, "invalid_lat"),
    ("lat=95", 400, "invalid_lat"),
    ("lon=xyz", 400, "invalid_lon"),
])
def test_api_isochrone_refuses_each_bad_parameter(client, query, status, code):
    args = {"lat": str(LAT), "lon": str(LON), "minutes": "5,10"}
    key, value = query.split("=")
    args[key] = value
    url = "/api/isochrone?" + "&".join(f"{k}={v}" for k, v in args.items())
    assert error_of(client.get(url), status) == code


def test_api_isochrone_refuses_missing_or_double_origins(client):
    assert error_of(client.get("/api/isochrone"), 400) == "isochrone_origin"
    assert error_of(client.get("/api/isochrone?venue=V-001&lat=-29.97&lon=-71.32"),
                    400) == "isochrone_origin"
    assert error_of(client.get(f"/api/isochrone?lat={LAT}"), 400) == "missing_lon"
    assert error_of(client.get("/api/isochrone?lat=-33.45&lon=-70.66"), 400) == "outside_area"


def test_api_isochrone_off_the_network_is_422(client, fixture_index):
    _layers, _net, travel, _index = fixture_index
    from geo.network import to_metric

    store = client.application.extensions["culturamap"]
    minx, miny, maxx, maxy = store.extent
    for lon, lat in [(minx + 1e-4, miny + 1e-4), (maxx - 1e-4, maxy - 1e-4),
                     (minx + 1e-4, maxy - 1e-4), (maxx - 1e-4, miny + 1e-4)]:
        if travel.snap(to_metric([lon], [lat])).snap_m[0] > MAX_SNAP_M + 10:
            break
    else:
        pytest.fail("every corner of the fixture's served extent is near a street")
    response = client.get(f"/api/isochrone?lat={lat}&lon={lon}")
    assert error_of(response, 422) == "off_network"
    assert "m" in response.get_json()["detail"]


def test_ogc_collection_of_every_cultural_venue(client, fixture_index):
    layers = fixture_index[0]
    store = client.application.extensions["culturamap"]
    counted = layers.venues[layers.venues["category"].isin(store.counted_categories)]
    ids = {c["id"] for c in client.get("/collections").get_json()["collections"]}
    assert "isochrones" in ids
    items = client.get("/collections/isochrones/items?limit=1000").get_json()
    bands = store.settings.thresholds_min
    assert items["numberMatched"] == len(counted) * len(bands)
    assert {f["properties"]["venue_id"] for f in items["features"]} == set(counted["id"])
    first = counted["id"].iloc[0]
    one = client.get(f"/ogc/collections/isochrones/items/{first}-10").get_json()
    assert one["properties"]["minutes"] == 10 and one["properties"]["venue_id"] == first
    direct = client.get(f"/api/isochrone?venue={first}&minutes=10").get_json()
    assert one["properties"]["residents"] == direct["features"][0]["properties"]["residents"]


def test_group_columns_are_named_for_the_census_fields_and_any_other():
    """residents_q1 and residents_gse_abc1 for the census fields; any other grouping column
    keeps its own name as prefix; values are trimmed and lower-cased."""
    from geo.isochrones import group_column_name

    assert group_column_name("quintil", "Q1") == "residents_q1"
    assert group_column_name("gse", " ABC1 ") == "residents_gse_abc1"
    assert group_column_name("tramo", "Alto") == "tramo_alto"


def test_a_travel_model_without_streets_cannot_draw_walking_areas():
    """Walking areas follow the street graph: a model without one is refused by its name."""
    from types import SimpleNamespace

    from geo.isochrones import IsochroneError, IsochroneIndex

    straight = SimpleNamespace(name="straight lines", walking_speed_kmh=4.5)
    with pytest.raises(IsochroneError) as info:
        IsochroneIndex(straight, load_all(FIXTURE_DATA_DIR))
    assert str(info.value) == ("travel model 'straight lines' has no street graph to draw "
                               "walking areas from")
    with pytest.raises(IsochroneError) as info:  # a model without a name still gets a message
        IsochroneIndex(SimpleNamespace(walking_speed_kmh=4.5), load_all(FIXTURE_DATA_DIR))
    assert str(info.value).startswith("travel model '?' has no street graph")


def test_default_bands_take_the_thresholds_within_one_to_sixty_minutes():
    """The settings' thresholds become the bands when they fit: 1 and 60 min exactly are
    in, 0.5 and 61 out, at most six, sorted without repeats; none fitting gives 5-20."""
    from geo.isochrones import DEFAULT_BANDS, MAX_MINUTES, MIN_MINUTES, default_bands

    assert (MIN_MINUTES, MAX_MINUTES, MAX_BANDS) == (1.0, 60.0, 6)
    assert default_bands([60, 1, 0.5, 61, 15, 15]) == (1.0, 15.0, 60.0)
    assert default_bands([1, 2, 3, 4, 5, 6, 7]) == (1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
    assert default_bands([0.5, 90]) == DEFAULT_BANDS == (5.0, 10.0, 15.0, 20.0)
    assert default_bands([12]) == (12.0,)


def test_block_groups_read_each_census_column_present():
    """Each demand point gets its block's group per census column the layer has ("" where
    the block has none, trimmed otherwise); a layer with only the second column still
    gives it; no layer or no ids gives nothing."""
    import geopandas as gpd
    import pandas as pd

    from geo.isochrones import block_groups

    only_quintile = pd.DataFrame({"id": ["B-1", "B-2", "B-3"], "quintil": [" Q1", None, "Q5"]})
    got = block_groups(only_quintile, np.array(["B-3", "B-1", "B-2", "B-9"]))
    assert list(got) == ["quintil"]
    assert got["quintil"].tolist() == ["Q5", "Q1", "", ""]
    both = only_quintile.assign(gse=["E", float("nan"), "ABC1"])
    got = block_groups(both, np.array(["B-2", "B-3"]))
    assert got["gse"].tolist() == ["", "ABC1"] and got["quintil"].tolist() == ["", "Q5"]
    assert block_groups(None, np.array(["B-1"])) == {}
    assert block_groups(gpd.GeoDataFrame({"quintil": ["Q1"]}), np.array(["B-1"])) == {}


def test_a_point_exactly_300_m_from_the_street_still_gets_its_walking_areas():
    """The straight street of tests/support/line_world.py: 300 m off it is the limit and is
    accepted (the walk starts 4 min in: the 5-min area reaches 75 m either way), 301 m is
    refused naming the distance; bands must be given."""
    from geo.isochrones import IsochroneError, IsochroneIndex, OffNetworkError
    from tests.support import line_world as world

    index = IsochroneIndex(world.travel(), world.layers())
    at_limit = index.from_point(np.array([world.ORIGIN_X + 1000.0, world.ORIGIN_Y + 300.0]),
                                [5])
    assert at_limit.snap_m == 300.0 and at_limit.bands == (5.0,)
    with pytest.raises(OffNetworkError) as info:
        index.from_point(np.array([world.ORIGIN_X + 1000.0, world.ORIGIN_Y + 301.0]), [5])
    assert info.value.snap_m == 301.0
    with pytest.raises(IsochroneError) as info:
        check_bands([])
    assert str(info.value) == "minutes: give at least one band (e.g. 5,10,15,20)"


def test_reached_streets_of_a_t_junction_by_hand():
    """A T: 1 (0, 0) - 2 (400, 0) - 3 (800, 0), and 2 - 4 (400, 300). From (100, 0) with
    500 m: the whole of 1-2 (its far end 100 m away, the junction 300 m), then 200 m on
    towards 3 and 200 m up towards 4: the street (0, 0)-(600, 0) and (400, 0)-(400, 200),
    800 m in all. The walking area is that, 50 m wide; the origin is kept as asked."""
    import shapely.affinity
    from shapely.geometry import MultiLineString

    from tests.support.network import ORIGIN, direct_network, make_layers
    from tests.support.network import walking as walking_model

    net = direct_network({1: (0.0, 0.0), 2: (400.0, 0.0), 3: (800.0, 0.0), 4: (400.0, 300.0)},
                         [(1, 2), (2, 3), (2, 4)])
    layers = make_layers([("JV-T", (-100.0, -100.0, 900.0, 400.0))], [],
                         [("B-1", 10, 100.0, 0.0), ("B-2", 20, 700.0, 0.0)])
    layers.population["quintil"] = ["Q1", "Q5"]
    index = IsochroneIndex(walking_model(net, 6.0), layers)  # 100 m a minute
    origin = np.array([ORIGIN[0] + 100.0, ORIGIN[1]])
    snap = index.travel.snap(origin.reshape(1, 2))
    node_dist = index.network.distances_from(snap.ends, snap.end_offsets, limit=500.0)[0]
    pieces, _edge, whole = index.reached_pieces(node_dist, snap, 500.0)
    reached = shapely.line_merge(shapely.union_all(shapely.linestrings(pieces - ORIGIN)))
    expected = MultiLineString([[(0, 0), (400, 0)], [(400, 0), (600, 0)],
                                [(400, 0), (400, 200)]])
    assert reached.length == pytest.approx(800.0)
    assert reached.hausdorff_distance(expected) == pytest.approx(0.0, abs=1e-6)
    assert whole.tolist() == [True, False, False]
    iso = index.from_point(origin, [5])
    assert iso.origin_xy.tolist() == origin.tolist() and iso.snap_m == 0.0
    drawn = shapely.affinity.translate(iso.polygons[0], -ORIGIN[0], -ORIGIN[1])
    by_hand = expected.buffer(REACH_M, quad_segs=2)  # round ends of 8 segments, as drawn
    assert drawn.symmetric_difference(by_hand).area < 0.001 * by_hand.area
    assert iso.residents[0] == {"residents": 10, "residents_q1": 10, "residents_q5": 0}
    assert all(type(v) is int for v in iso.residents[0].values())  # whole people
    # 200 m off the street at x = 100: the area takes in the walk onto the street too
    off = index.from_point(origin + [0.0, 200.0], [5])
    assert off.snap_m == pytest.approx(200.0)
    assert off.polygons[0].contains(shapely.Point(origin + [0.0, 200.0]))
    assert off.residents[0]["residents"] == 10  # B-1 is 200 + 0 m away; B-2 is 800 m
    # a band exactly as long as the walk onto the street: that walk is the area, not nothing
    edge = index.from_point(origin + [0.0, 200.0], [2])
    assert not edge.polygons[0].is_empty
    assert edge.polygons[0].contains(shapely.Point(origin + [0.0, 200.0]))
    assert edge.residents[0]["residents"] == 10  # B-1 exactly 2 min away


def test_resident_counts_stay_whole_only_when_they_are():
    """Whole blocks give whole people (10, an int); grid weights can be fractions (2.5
    stays 2.5); float noise below a billionth is rounded away, a millionth is not; numpy
    numbers come out plain, NaN as None."""
    import numpy as np

    from geo.access import whole_people

    assert whole_people(10.0) == 10 and type(whole_people(10.0)) is int
    assert whole_people(2.5) == 2.5 and type(whole_people(2.5)) is float
    assert whole_people(0.1 + 0.2 + 2.7) == 3 and type(whole_people(0.1 + 0.2 + 2.7)) is int
    assert whole_people(3.000001) == 3.000001
    assert whole_people(-0.0) == 0 and whole_people(0.4) == 0.4
    assert type(whole_people(np.float64(7.0))) is int and whole_people(np.nan) is None
    assert whole_people(None) is None and whole_people(12) == 12


# --- the reached street pieces against an independent oracle ---------------------------------
#
# A loop with a tail, drawn so that streets are reached from either end (the network orders
# each segment's ends by node number): 1 (0, 0) - 2 (400, 0) - 3 (800, 0), 2 - 4 (400, 300),
# 4 - 5 (0, 300), 5 - 1. The oracle is networkx on the same segments with the origin's street
# split at the foot of its snap; a point x metres along a segment is min(d(u) + x,
# d(v) + w - x), and on the origin's own street also snap + |x - foot|.
LOOP_NODES = {1: (0.0, 0.0), 2: (400.0, 0.0), 3: (800.0, 0.0), 4: (400.0, 300.0),
              5: (0.0, 300.0)}
LOOP_EDGES = [(1, 2), (2, 3), (2, 4), (4, 5), (5, 1)]
# origin (offset from ORIGIN) -> (its street, metres along it from the first node, snap m)
ON_THE_WEST_STREET = ((0.0, 100.0), ((1, 5), 100.0, 0.0))
BELOW_THE_SOUTH_STREET = ((100.0, -50.0), ((1, 2), 100.0, 50.0))


def loop_index(quintile: str | None = "Q2"):
    """The loop at 6 km/h (100 m a minute) with one block of 10 on street 2-4."""
    from tests.support.network import direct_network, make_layers
    from tests.support.network import walking as walking_model

    net = direct_network(LOOP_NODES, LOOP_EDGES)
    layers = make_layers([("JV-L", (-100.0, -100.0, 900.0, 400.0))], [],
                         [("B-1", 10, 400.0, 150.0)])
    layers.population["quintil"] = [quintile]
    return IsochroneIndex(walking_model(net, 6.0), layers)


def oracle_distances(street: tuple[int, int], foot: float, snap: float) -> dict:
    graph = nx.Graph()
    for a, b in LOOP_EDGES:
        if {a, b} != set(street):
            graph.add_edge(a, b, weight=float(np.hypot(*np.subtract(LOOP_NODES[a],
                                                                   LOOP_NODES[b]))))
    a, b = street
    w = float(np.hypot(*np.subtract(LOOP_NODES[a], LOOP_NODES[b])))
    graph.add_edge(a, "foot", weight=foot)
    graph.add_edge("foot", b, weight=w - foot)
    graph.add_edge("foot", "origin", weight=snap)
    return nx.single_source_dijkstra_path_length(graph, "origin")


@pytest.mark.parametrize("origin", [ON_THE_WEST_STREET, BELOW_THE_SOUTH_STREET],
                         ids=["on-the-street", "50-m-off"])
def test_reached_pieces_match_an_oracle_at_every_budget_edge(origin):
    """For budgets that end exactly on a node (100, 200, 500, 600 m, ...), a metre either
    side, half a metre past the snap or a node, and where two partial reaches meet exactly:
    every piece lies on its street, every point of it is within the budget, the pieces
    together are exactly as long as the oracle's reached length, and a street is marked
    reached whole exactly when the oracle reaches all of it."""
    (ox, oy), (street, foot, snap) = origin
    index = loop_index()
    net = index.network
    ids = [int(i) for i in net.node_ids]  # node number of each network node
    placed = index.travel.snap(np.array([[ORIGIN_XY[0] + ox, ORIGIN_XY[1] + oy]]))
    assert float(placed.snap_m[0]) == pytest.approx(snap)
    d = oracle_distances(street, foot, snap)
    node_dist = net.distances_from(placed.ends, placed.end_offsets)[0]
    assert [node_dist[k] for k in range(len(ids))] == pytest.approx([d[i] for i in ids])
    meet_2_4 = (d[2] + d[4] + 300.0) / 2  # the partial reaches of 2-4 meet exactly
    budgets = sorted({*(d[i] + delta for i in LOOP_NODES for delta in (-1.0, 0.0, 1.0, 0.5)),
                      snap + 0.5, snap + foot - 0.5, meet_2_4, 2000.0} - {0.0})
    for budget in budgets:
        pieces, edge, whole = index.reached_pieces(node_dist, placed, budget)
        expected_total = 0.0
        for k in range(len(net.edge_u)):
            a, b = ids[net.edge_u[k]], ids[net.edge_v[k]]
            w = float(net.edge_len[k])
            if {a, b} == set(street):  # two halves meeting at the foot
                reached = (min(foot, _reach(budget, d[a], snap))
                           + min(w - foot, _reach(budget, snap, d[b])))
            else:
                reached = min(w, _reach(budget, d[a], d[b]))
                assert bool(whole[k]) == (reached == w), (budget, a, b)
            expected_total += reached
        drawn = shapely.union_all(shapely.linestrings(pieces))
        assert drawn.length == pytest.approx(expected_total, abs=1e-6), budget
        for piece, k in zip(pieces, edge, strict=True):
            a, b = ids[net.edge_u[k]], ids[net.edge_v[k]]
            start, w = net.xy[net.edge_u[k]], float(net.edge_len[k])
            for point in piece:
                x = float(np.hypot(*(point - start)))
                assert x <= w + 1e-9, (budget, a, b, x)  # on its street, not beyond it
                assert shapely.Point(point).distance(shapely.LineString(
                    [start, net.xy[net.edge_v[k]]])) < 1e-6
                walk = min(d[a] + x, d[b] + w - x)
                if {a, b} == set(street):
                    walk = min(walk, snap + abs(x - foot))
                assert walk <= budget + 1e-6, (budget, a, b, x, walk)


def _reach(budget: float, d_start: float, d_end: float) -> float:
    """Metres of a street reached from both of its ends (before capping at its length)."""
    return max(0.0, budget - d_start) + max(0.0, budget - d_end)


def test_a_block_without_a_group_is_counted_but_makes_no_group():
    """A block whose census quintile is missing counts among the residents but adds no
    ``residents_`` column of its own (an empty label is no group)."""
    origin = np.array([ORIGIN_XY[0], ORIGIN_XY[1] + 150.0])  # on street 1-5
    # B-1 is 150 + 400 + 150 m away either way round: 7 min
    assert loop_index().from_point(origin, [7]).residents[0] == {"residents": 10,
                                                                 "residents_q2": 10}
    assert loop_index(None).from_point(origin, [7]).residents[0] == {"residents": 10}
    assert loop_index(None).from_point(origin, [6.99]).residents[0] == {"residents": 0}
