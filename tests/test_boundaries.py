"""Every threshold comparison of the product, with a case exactly ON it, one metre inside and
one metre outside (issue 15, point 2).

The world is one straight street (tests/support/line_world.py): walking distance between
two points on it is |x1 - x2|, and at 4.5 km/h 75 m take exactly one minute, so 1,125 m is
exactly 15 minutes. Expected values are written out by hand or computed from positions in
plain Python (``Hand``), never by the code under test. An audit turned each ``<=`` into
``<`` and the suite still passed: these cases fail on that mutation.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from geo.access import AccessParams, analyse
from geo.siting import suggest_sites
from tests.support import line_world as world
from tests.support.line_world import BLOCKS, M_PER_MIN, VENUES, Hand
from webmap.reports import ReportData, council_venues


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return world.study(tmp_path_factory.mktemp("line"))


def by_block(frame, column):
    return dict(zip(frame["id"], frame[column], strict=True))


# --- the share of residents within each threshold ----------------------------------------


@pytest.mark.parametrize(("minutes", "inside", "on", "outside"), [
    (5, "B-0374", "B-0375", "B-0376"),
    (10, "B-0749", "B-0750", "B-0751"),
    (15, "B-1124", "B-1125", "B-1126"),
    (20, "B-1499", "B-1500", "B-1501"),
])
def test_a_resident_exactly_at_a_threshold_counts_as_within(study, minutes, inside, on, outside):
    demand = study.access.demand
    t = by_block(demand, "time_min")
    assert t[on] == pytest.approx(minutes, abs=1e-9)  # 375 m per 5 minutes, by hand
    assert t[inside] == pytest.approx(minutes - 1 / M_PER_MIN, abs=1e-9)
    assert t[outside] == pytest.approx(minutes + 1 / M_PER_MIN, abs=1e-9)
    # the area share: all blocks at most minutes * 75 m from the library (x = 0) or the
    # museum (x = 4,000), summed by hand from the table of blocks
    limit_m = minutes * 75
    offer = [0.0, 4000.0]
    within = sum(r for x, r in BLOCKS.values() if min(abs(x - v) for v in offer) <= limit_m)
    total = sum(r for _x, r in BLOCKS.values())
    assert study.access.area[f"share_within_{minutes}min"] == pytest.approx(within / total)
    # the "on" block is in that sum, the "outside" one is not
    assert BLOCKS[on][0] <= limit_m < BLOCKS[outside][0]


def test_main_threshold_flags_per_block(study):
    flags = by_block(study.access.demand, "within_threshold")
    assert (flags["B-1124"], flags["B-1125"], flags["B-1126"]) == (True, True, False)
    assert (flags["B-2874"], flags["B-2875"]) == (False, True)  # 1,126 / 1,125 m from the museum
    assert (flags["B-5125"], flags["B-5126"]) == (True, False)


def test_shares_per_council_at_every_threshold(study):
    hand = Hand()
    councils = study.access.councils.set_index("id")
    for cid in world.COUNCILS:
        for minutes in (5, 10, 15, 20):
            assert councils.loc[cid, f"share_within_{minutes}min"] == pytest.approx(
                hand.share_within(minutes, cid)), (cid, minutes)
    # written out for JV-A (blocks 374..751, library at 0): 5 min -> 11 + 13 of 112
    assert councils.loc["JV-A", "share_within_5min"] == pytest.approx(24 / 112)
    assert councils.loc["JV-A", "share_within_10min"] == pytest.approx(83 / 112)


# --- 2SFCA: the catchment is inclusive ----------------------------------------------------


def hand_sfca(catchment_min: float) -> dict[str, float]:
    """Luo & Wang's 2SFCA by hand: R_j = 1 / residents within reach of venue j, A_i = sum of
    R_j over the venues within reach of block i, times 10,000."""
    reach = catchment_min * M_PER_MIN
    offer = {v: x for v, (cat, x) in VENUES.items() if cat in ("library", "museum")}
    pop = {v: sum(r for x, r in BLOCKS.values() if abs(x - vx) <= reach)
           for v, vx in offer.items()}
    return {b: 10_000 * sum(1 / pop[v] for v, vx in offer.items()
                            if abs(x - vx) <= reach and pop[v] > 0)
            for b, (x, _r) in BLOCKS.items()}


@pytest.mark.parametrize("catchment", [10.0, 15.0])
def test_2sfca_catchment_includes_a_resident_exactly_at_its_edge(study, catchment):
    params = AccessParams(walking_speed_kmh=4.5, threshold_min=15, sfca_catchment_min=catchment)
    result = analyse(study.layers, params, study.travel)
    got = by_block(result.demand, "sfca_score")
    want = hand_sfca(catchment)
    for block, value in want.items():
        assert got[block] == pytest.approx(value), block
    if catchment == 10.0:  # library reached by 374..750: 11+13+17+19+23 = 83 residents
        assert got["B-0750"] == pytest.approx(10_000 / 83)
        assert got["B-0751"] == 0
    else:  # library: 374..1,125 = 180 residents; museum: 2,875 and 5,125 = 152
        assert got["B-1125"] == pytest.approx(10_000 / 180)
        assert got["B-1126"] == 0
        assert got["B-2875"] == pytest.approx(10_000 / 152)
        assert got["B-5125"] == pytest.approx(10_000 / 152)
        assert got["B-5126"] == 0


def test_travel_model_within_is_inclusive(study):
    travel = study.travel
    xy = np.array([[world.ORIGIN_X + x, world.ORIGIN_Y] for x in (0.0, 1124.0, 1125.0, 1126.0)])
    placed = travel.snap(xy)
    within = travel.within(placed.take(slice(0, 1)), placed.take(slice(1, 4)), 15.0)
    assert within.tolist() == [[True, True, False]]


# --- siting: a site covers a resident exactly a threshold away --------------------------

UNCOVERED = {  # beyond 1,125 m of both offerings, by hand from the table of blocks
    "B-1126": 41, "B-1399": 43, "B-1400": 47, "B-1401": 53, "B-1499": 59, "B-1500": 61,
    "B-1501": 67, "B-2874": 71, "B-5126": 83, "B-5900": 89,
}


def hand_cover(site_ids) -> int:
    """Uncovered residents within 1,125 m of any of the sites."""
    xs = [VENUES[s][1] for s in site_ids]
    return sum(r for b, r in UNCOVERED.items() if min(abs(BLOCKS[b][0] - x) for x in xs) <= 1125)


def test_the_uncovered_residents_exclude_those_exactly_at_the_threshold(study):
    sites = study.sites()
    assert sites.attrs["uncovered_residents"] == sum(UNCOVERED.values()) == 614


@pytest.mark.parametrize(("site", "covered"), [
    ("H-IN", 47 + 53 + 59 + 61 + 67 + 71),  # 1,400 is exactly 1,125 m away: covered
    ("H-OUT", 53 + 59 + 61 + 67 + 71),  # 1,400 is 1,126 m away: not
    ("H-NEAR", 43 + 47 + 53 + 59 + 61 + 67 + 71),  # 1,399 is exactly 1,125 m away
])
def test_a_site_covers_a_resident_exactly_at_the_threshold(study, site, covered):
    venues = study.layers.venues
    one = venues[venues["id"] == site]
    got = suggest_sites(study.siting_access, study.layers, study.travel, k=1, candidates=one)
    assert got["newly_covered"].tolist() == [covered]
    assert hand_cover([site]) == covered


@pytest.mark.parametrize("k", [1, 2, 3])
def test_sites_match_a_brute_force_search_over_every_subset(study, k):
    """Independent oracle: try every k-subset of the four candidate halls/schools."""
    candidates = [v for v, (cat, _x) in VENUES.items() if cat in ("community_hall", "school")]
    best = max(hand_cover(subset) for subset in combinations(candidates, k))
    got = study.sites(k)
    assert got["cumulative_covered"].iloc[-1] == best
    assert hand_cover(got["candidate_id"].tolist()) == best
    # each row's gain is what it adds to the rows above it
    chosen = got["candidate_id"].tolist()
    gains = [hand_cover(chosen[: i + 1]) - hand_cover(chosen[:i]) if i else hand_cover(chosen[:1])
             for i in range(len(chosen))]
    assert got["newly_covered"].tolist() == gains
    assert {1: 401, 2: 401 + 172, 3: 401 + 172}[k] == best  # written out by hand


# --- the council report lists the hosts within the threshold ----------------------------


def test_council_report_lists_a_host_exactly_at_the_threshold(study):
    """JV-B's point is x = 1,400: H-NEAR is 1,124 m away, H-IN exactly 1,125, H-OUT 1,126."""
    hosts = council_venues(ReportData(study), "JV-B", "es")["hosts"]
    assert [h["id"] for h in hosts] == ["H-NEAR", "H-IN"]
    assert hosts[1]["time_text"] == "15,0\u00a0min"


# --- other limits: the candidates' snap distance, the area's bounds, counts of people -----


@pytest.mark.parametrize(("off_street", "accepted"), [(499.0, True), (500.0, True),
                                                      (501.0, False)])
def test_a_planner_site_at_most_500_m_from_a_street_is_accepted(study, off_street, accepted):
    """MAX_CANDIDATE_SNAP_M = 500: a site 500 m north of the street (x = 1,400) is usable."""
    import geopandas as gpd
    from shapely.geometry import Point

    from geo import METRIC_CRS
    from geo.siting import SitingError

    site = gpd.GeoDataFrame({"id": ["P-1"], "name": ["plaza"], "category": ["other"]},
                            geometry=[Point(world.ORIGIN_X + 1400.0, world.ORIGIN_Y + off_street)],
                            crs=METRIC_CRS)
    if accepted:
        got = suggest_sites(study.siting_access, study.layers, study.travel, k=1, candidates=site)
        assert got["snap_m"].round(6).tolist() in ([off_street], [])
    else:
        with pytest.raises(SitingError, match="P-1 lies 501 m from the nearest street"):
            suggest_sites(study.siting_access, study.layers, study.travel, k=1, candidates=site)


@pytest.mark.parametrize(("residents", "ok"), [(0, True), (-1, False)])
def test_zero_residents_is_a_count_and_minus_one_is_not(tmp_path, residents, ok):
    from geo.layer_errors import LayerError
    from geo.layers import load_layer
    from geo.schema import POPULATION
    from tests.support.layers import block, feature, square, write_geojson

    path = write_geojson(tmp_path / "b.geojson", [feature(block(1, residents=residents),
                                                          square())])
    if ok:
        assert load_layer(POPULATION, path)["residents"].tolist() == [0]
    else:
        with pytest.raises(LayerError, match="-1 is negative"):
            load_layer(POPULATION, path)


@pytest.mark.parametrize(("nudge", "ok"), [(0.0, True), (1e-6, False)])
def test_a_venue_exactly_on_the_coquimbo_bounds_is_inside(tmp_path, nudge, ok):
    """COQUIMBO_BOUNDS is inclusive: its corners are in, a micro-degree outside is not."""
    from geo.layer_errors import LayerError
    from geo.layers import load_layer
    from geo.schema import COQUIMBO_BOUNDS, VENUES
    from tests.support.layers import feature, point, venue, write_geojson

    lon0, lat0, lon1, lat1 = COQUIMBO_BOUNDS
    for n, (x, y) in enumerate([(lon0 - nudge, lat0), (lon1, lat1 + nudge)], start=1):
        path = write_geojson(tmp_path / f"v{n}.geojson", [feature(venue(n), point(x, y))])
        if ok:
            assert len(load_layer(VENUES, path)) == 1
        else:
            with pytest.raises(LayerError):
                load_layer(VENUES, path)


def test_nearest_accepts_a_point_exactly_on_the_served_extent(tmp_path):
    """/api/nearest refuses points outside the served box; its edge is inside."""
    from webmap.app import create_app

    app = create_app({"TESTING": True, "DATA_DIR": tmp_path / "data",
                      "CACHE_DIR": tmp_path / "cache"}, study=world.study(tmp_path))
    minx, miny, maxx, maxy = app.extensions["culturamap"].extent
    client = app.test_client()
    for lon, lat in ((minx, miny), (maxx, maxy)):
        assert client.get("/api/nearest", query_string={"lon": lon, "lat": lat}).status_code == 200
    for lon, lat in ((minx - 1e-6, miny), (maxx, maxy + 1e-6)):
        response = client.get("/api/nearest", query_string={"lon": lon, "lat": lat})
        assert response.status_code == 400
        assert response.get_json()["error"] == "outside_area"
