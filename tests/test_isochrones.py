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
        pytest.skip("no point ~100 m off the street near the first node")
    iso = index.from_point(xy, [1, 10])
    assert iso.polygons[0].is_empty and iso.residents[0]["residents"] == 0
    assert not iso.polygons[1].is_empty
    assert json.dumps(iso.frame().to_json())  # serialisable with the empty band
