"""Access analysis: network distances with known answers, hand-computed aggregates, the
fixture data's invariants, the nearest-venue index and the ``analyse`` command."""

from __future__ import annotations

import json
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from culturamap.cli import main as cli_main
from geo.access import (
    AccessError,
    AccessParams,
    NearestIndex,
    analyse,
    share_column,
    weighted_quantile,
)
from geo.layers import Layers, load_all
from geo.network import load_network
from geo.schema import CULTURAL_CATEGORIES
from tests.support.data import FIXTURE_ARGS, FIXTURE_DATA_DIR, FIXTURE_OSM
from tests.support.network import (
    direct_network,
    lonlat,
    make_layers,
    metric_xy,
    straight_street,
    walking,
)
from tests.support.network import load as load_net

WALK = 4.5 * 1000 / 60  # 75 m per minute

# A "U" street around a ravine: the two bottom ends are 200 m apart in a straight line but
# 1200 m apart on foot.
U_NODES = {1: (0.0, 0.0), 2: (0.0, 500.0), 3: (200.0, 500.0), 4: (200.0, 0.0)}
U_WAYS = [[1, 2, 3, 4]]


def test_walk_goes_round_the_ravine_never_straight_across(tmp_path):
    net = load_net(tmp_path, U_NODES, U_WAYS)
    layers = make_layers(
        [("JV-A", (-100, -100, 300, 600))],
        [("V-1", "library", 200.0, -10.0)],
        [("B-1", 100, 0.0, -10.0)],
    )
    res = analyse(layers, AccessParams(), walking(net))
    row = res.demand.iloc[0]
    straight = float(np.hypot(*(metric_xy(res.demand) - metric_xy(layers.venues))[0]))
    assert straight == pytest.approx(200.0, abs=0.05)
    # 10 m to the street + 1200 m round the U + 10 m from the street to the door
    assert row["dist_m"] == pytest.approx(1220.0, abs=0.1)
    assert row["snap_m"] == pytest.approx(10.0, abs=0.05)
    assert row["time_min"] == pytest.approx(1220.0 / WALK, abs=0.01)
    assert row["nearest_venue_id"] == "V-1"
    assert not row["within_threshold"]  # 16.3 min > 15 (straight line would say 2.9 min)
    assert res.councils.iloc[0]["share_within_15min"] == 0.0
    assert res.councils.iloc[0]["share_within_20min"] == 1.0
    faster = analyse(layers, AccessParams(walking_speed_kmh=6.0), walking(net))
    assert faster.demand.iloc[0]["time_min"] == pytest.approx(12.2, abs=0.01)
    # the point query answers the same
    index = NearestIndex(walking(net), layers.venues)
    hit = index.query(*lonlat(0.0, -10.0))
    assert hit.iloc[0]["dist_m"] == pytest.approx(1220.0, abs=0.1)


def test_snap_distances_are_added_at_both_ends_and_categories_are_separate(tmp_path):
    nodes, ways = straight_street(0, 2000)
    net = load_net(tmp_path, nodes, ways)
    layers = make_layers(
        [("JV-A", (-100, -100, 2100, 100))],
        [("V-L", "library", 1500.0, 20.0), ("V-S", "school", 300.0, 0.0)],
        [("B-1", 50, 0.0, -10.0)],
    )
    every = analyse(layers, AccessParams(categories=None), walking(net)).demand.iloc[0]
    assert every["nearest_venue_id"] == "V-S"
    assert every["dist_m"] == pytest.approx(10 + 300 + 0, abs=0.1)
    assert every["time_min_school"] == pytest.approx(310 / WALK, abs=0.01)
    assert every["time_min_library"] == pytest.approx((10 + 1500 + 20) / WALK, abs=0.01)
    assert np.isnan(every["time_min_museum"])  # no museum at all
    only = analyse(layers, AccessParams(categories=("library",)), walking(net))
    row = only.demand.iloc[0]
    assert row["nearest_venue_id"] == "V-L"
    assert row["dist_m"] == pytest.approx(1530.0, abs=0.1)
    assert row["time_min_school"] == pytest.approx(310 / WALK, abs=0.01)  # still reported
    council = only.councils.iloc[0]
    assert council["venues_total"] == 1 and council["venues_school"] == 1
    assert council["venues_library"] == 1


def test_nearest_order_follows_the_streets_not_the_nearest_node():
    """The reviewer's case: a home 5 m off the middle of a 400 m street whose nearest NODE
    is on the next street (35 m away, round a long block). Streets kept as single segments.

    P(0,0) -- Q(400,0) -- E(400,40) -- N(200,40) -- W(0,40); no street P--W. Venue B at P,
    venue A at W, home at (200, 5).
    Along the streets: to B 5 + 200 = 205 m; to A 5 + 200 (to Q) + 40 + 200 + 200 = 645 m.
    Node snapping would have said A 35 + 200 = 235 m before B 35 + 200 + 40 + 400 = 675 m.
    """
    net = direct_network(
        {1: (0.0, 0.0), 2: (400.0, 0.0), 3: (400.0, 40.0), 4: (200.0, 40.0), 5: (0.0, 40.0)},
        [(1, 2), (2, 3), (3, 4), (4, 5)],
    )
    layers = make_layers(
        [("JV-A", (-50, -50, 450, 90))],
        [("V-A", "library", 0.0, 40.0), ("V-B", "library", 0.0, 0.0)],
        [("B-1", 100, 200.0, 5.0)],
    )
    hits = NearestIndex(walking(net), layers.venues).query(*lonlat(200.0, 5.0))
    assert hits["id"].tolist() == ["V-B", "V-A"]
    assert hits["dist_m"].tolist() == pytest.approx([205.0, 645.0], abs=0.01)
    row = analyse(layers, AccessParams(), walking(net)).demand.iloc[0]
    assert row["nearest_venue_id"] == "V-B"
    assert row["dist_m"] == pytest.approx(205.0, abs=0.01) and row["snap_m"] == pytest.approx(5.0)


def test_home_and_venue_on_the_same_long_segment(tmp_path):
    """One 400 m segment P(0,0)--Q(400,0) and a side street Q--R(400,300). Venue 10 m north
    of x=100, home 5 m south of x=300: 10 + 200 + 5 = 215 m straight along the street (via
    either end it would be 415 m). A second home up the side street at (410, 250):
    10 + 300 + 250 + 10 = 570 m. 2SFCA with a 15-minute (1125 m) catchment: the venue serves
    both homes' 100 + 300 residents -> 10,000 / 400 = 25 for each."""
    net = direct_network({1: (0.0, 0.0), 2: (400.0, 0.0), 3: (400.0, 300.0)}, [(1, 2), (2, 3)])
    layers = make_layers(
        [("JV-A", (-50, -50, 450, 350))],
        [("V-1", "library", 100.0, 10.0)],
        [("B-1", 100, 300.0, -5.0), ("B-2", 300, 410.0, 250.0)],
    )
    res = analyse(layers, AccessParams(), walking(net)).demand.set_index("id")
    assert res.loc["B-1", "dist_m"] == pytest.approx(215.0, abs=0.01)
    assert res.loc["B-2", "dist_m"] == pytest.approx(570.0, abs=0.01)
    assert res["sfca_score"].tolist() == pytest.approx([25.0, 25.0])
    hit = NearestIndex(walking(net), layers.venues).query(*lonlat(300.0, -5.0))
    assert hit.iloc[0]["dist_m"] == pytest.approx(215.0, abs=0.01)


def hand_case(tmp_path):
    """A 2 km street, one venue at its west end, two councils (see the hand computation)."""
    nodes, ways = straight_street(-100, 2000)
    net = load_net(tmp_path, nodes, ways)
    layers = make_layers(
        [("JV-A", (-100, -100, 1000, 100)), ("JV-B", (1000, -100, 2100, 100))],
        [("V-1", "library", 0.0, 0.0)],
        [
            ("A-1", 100, 150.0, 0.0),  # 2 min
            ("A-2", 200, 450.0, 0.0),  # 6 min
            ("A-3", 300, 900.0, 0.0),  # 12 min
            ("B-1", 400, 1200.0, 0.0),  # 16 min
            ("B-2", 100, 1650.0, 0.0),  # 22 min
        ],
    )
    return layers, net


def test_council_figures_match_a_hand_computation(tmp_path):
    layers, net = hand_case(tmp_path)
    res = analyse(layers, AccessParams(), walking(net))
    times = res.demand.set_index("id")["time_min"]
    assert times.to_dict() == pytest.approx(
        {"A-1": 2.0, "A-2": 6.0, "A-3": 12.0, "B-1": 16.0, "B-2": 22.0}, abs=1e-3
    )
    c = res.councils.set_index("id")
    a, b = c.loc["JV-A"], c.loc["JV-B"]
    assert a["residents"] == 600 and b["residents"] == 500
    assert a["venues_total"] == 1 and b["venues_total"] == 0
    assert a["venues_per_10k"] == pytest.approx(1 / 600 * 10_000)
    assert b["venues_per_10k"] == 0.0
    assert [a[share_column(t)] for t in (5, 10, 15, 20)] == pytest.approx([1 / 6, 3 / 6, 1, 1])
    assert [b[share_column(t)] for t in (5, 10, 15, 20)] == pytest.approx([0, 0, 0, 0.8])
    assert a["mean_time_min"] == pytest.approx((2 * 100 + 6 * 200 + 12 * 300) / 600, abs=1e-3)
    assert b["mean_time_min"] == pytest.approx((16 * 400 + 22 * 100) / 500, abs=1e-3)
    # 90% of 600 = 540 residents: cumulative 100, 300, 600 -> the 12-minute block
    assert a["p90_time_min"] == pytest.approx(12.0, abs=1e-3)
    assert b["p90_time_min"] == pytest.approx(22.0, abs=1e-3)  # 400 < 450 <= 500
    assert a["area_km2"] == pytest.approx(1100 * 200 / 1e6)
    assert (b["gap_rank"], a["gap_rank"]) == (1, 2)  # B: nobody within 15 min
    # 2SFCA, catchment 15 min = 1125 m: the venue serves A's 600 residents -> 1/600 each
    assert a["sfca_score"] == pytest.approx(10_000 / 600)
    assert b["sfca_score"] == 0.0
    area = res.area
    assert area["residents"] == 1100 and area["venues_total"] == 1
    assert area["share_within_15min"] == pytest.approx(600 / 1100)
    assert area["mean_time_min"] == pytest.approx((5000 + 8600) / 1100, abs=1e-3)
    assert area["sfca_score"] == pytest.approx(600 * (10_000 / 600) / 1100)
    # a threshold not in the list gets its own column, and ranks follow it
    res7 = analyse(layers, AccessParams(threshold_min=7.5), walking(net))
    assert res7.councils.set_index("id").loc["JV-A", "share_within_7.5min"] == pytest.approx(0.5)


def test_gap_rank_breaks_ties_by_longer_mean_time(tmp_path):
    layers, net = hand_case(tmp_path)
    res = analyse(layers, AccessParams(threshold_min=1.0), walking(net))  # nobody within 1 minute
    c = res.councils.set_index("id")
    assert c["share_within_1min"].tolist() == [0.0, 0.0]
    assert c.loc["JV-B", "gap_rank"] == 1  # longer mean walk
    assert c.loc["JV-A", "gap_rank"] == 2


def test_two_step_floating_catchment_by_hand(tmp_path):
    nodes, ways = straight_street(-1000, 2000)
    net = load_net(tmp_path, nodes, ways)
    layers = make_layers(
        [("JV-A", (-1100, -100, 2100, 100))],
        [("V-1", "library", 0.0, 0.0), ("V-2", "museum", 1000.0, 0.0)],
        [("D-1", 100, 200.0, 0.0), ("D-2", 300, 1500.0, 0.0), ("D-3", 200, -600.0, 0.0)],
    )
    # 6 km/h = 100 m/min, catchment 10 min = 1000 m
    params = AccessParams(walking_speed_kmh=6.0, sfca_catchment_min=10.0)
    res = analyse(layers, params, walking(net))
    # V-1 reaches D-1, D-3 (300 residents): R1 = 1/300; V-2 reaches D-1, D-2: R2 = 1/400
    a = res.demand.set_index("id")["sfca_score"]
    assert a["D-1"] == pytest.approx(10_000 * (1 / 300 + 1 / 400))
    assert a["D-2"] == pytest.approx(10_000 / 400)
    assert a["D-3"] == pytest.approx(10_000 / 300)
    expected = (100 * a["D-1"] + 300 * a["D-2"] + 200 * a["D-3"]) / 600
    assert res.councils.iloc[0]["sfca_score"] == pytest.approx(expected)


def test_weighted_quantile_is_the_lower_residents_quantile():
    assert weighted_quantile(np.array([5.0, 1.0, 3.0]), np.array([1, 1, 8]), 0.9) == 3.0
    assert weighted_quantile(np.array([5.0, 1.0, 3.0]), np.array([1, 1, 7]), 0.9) == 5.0
    assert np.isnan(weighted_quantile(np.array([1.0]), np.array([0]), 0.9))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"walking_speed_kmh": 0}, "walking speed"),
        ({"walking_speed_kmh": float("nan")}, "walking speed"),
        ({"threshold_min": -5}, "threshold"),
        ({"thresholds_min": (5, 0)}, "thresholds"),
        ({"categories": ("library", "opera")}, "opera"),
        ({"categories": ()}, "none given"),
    ],
)
def test_bad_parameters_are_refused_clearly(kwargs, message):
    with pytest.raises(AccessError, match=message):
        AccessParams(**kwargs)


def test_no_venue_of_the_chosen_categories_is_a_clear_error(tmp_path):
    layers, net = hand_case(tmp_path)
    with pytest.raises(AccessError, match="no venue of the chosen categories"):
        analyse(layers, AccessParams(categories=("theatre",)), walking(net))


# --- the fixture (synthetic) data ----------------------------------------------------------


@pytest.fixture(scope="module")
def fixture_set(session_cache):
    layers = load_all(FIXTURE_DATA_DIR)
    net = load_network(FIXTURE_OSM, cache_dir=session_cache)
    return layers, net, analyse(layers, AccessParams(), walking(net))


def test_fixture_every_resident_has_a_finite_network_time(fixture_set):
    layers, _net, res = fixture_set
    d = res.demand
    assert len(d) == len(layers.population) == 634
    assert np.isfinite(d["time_min"]).all() and (d["dist_m"] > 0).all()
    assert d["residents"].sum() == 70_000
    counted = [f"time_min_{c}" for c in res.params.counted_categories]
    assert res.params.counted_categories == CULTURAL_CATEGORIES  # the product default
    assert np.allclose(d["time_min"], d[counted].min(axis=1))


def test_fixture_network_distance_is_never_shorter_than_the_straight_line(fixture_set):
    layers, _net, res = fixture_set
    venues = layers.venues.set_index("id").to_crs("EPSG:32719")
    home = res.demand.to_crs("EPSG:32719").geometry
    door = gpd.GeoSeries(venues.geometry.loc[res.demand["nearest_venue_id"]].to_numpy())
    straight = home.distance(door.set_crs("EPSG:32719"), align=False).to_numpy()
    assert (res.demand["dist_m"].to_numpy() >= straight - 1e-6).all()
    # and it really follows streets: typically well longer than the crow flies
    assert np.median(res.demand["dist_m"].to_numpy() / straight) > 1.1


def test_fixture_council_table_invariants(fixture_set):
    layers, _net, res = fixture_set
    offerings = int(layers.venues["category"].isin(res.params.counted_categories).sum())
    assert 0 < offerings < len(layers.venues)
    c = res.councils
    assert len(c) == 20 and sorted(c["gap_rank"]) == list(range(1, 21))
    assert c["residents"].sum() == 70_000 == res.area["residents"]
    assert c["venues_total"].sum() == offerings == res.area["venues_total"]
    shares = c[[share_column(t) for t in (5, 10, 15, 20)]].to_numpy()
    assert (np.diff(shares, axis=1) >= 0).all() and ((shares >= 0) & (shares <= 1)).all()
    worst = c.sort_values("gap_rank").iloc[0]
    assert worst["share_within_15min"] == c["share_within_15min"].min()
    assert (c["p90_time_min"] >= c["mean_time_min"] * 0.5).all()
    assert c.crs.to_string() == "EPSG:4326" and res.demand.crs.to_string() == "EPSG:4326"
    # 2SFCA conserves supply: residents x score adds up to every venue anyone can reach
    total = float((res.demand["residents"] * res.demand["sfca_score"]).sum())
    assert total == pytest.approx(10_000 * offerings, rel=1e-9)
    json.dumps(res.area, allow_nan=False)  # plain JSON, no NaN


def test_fixture_counting_every_venue_means_shorter_walks(fixture_set):
    layers, net, res = fixture_set
    every = analyse(layers, AccessParams(categories=None), walking(net))
    assert every.area["venues_total"] == len(layers.venues)
    assert (every.demand["time_min"].to_numpy() <= res.demand["time_min"].to_numpy() + 1e-9).all()
    assert every.area["share_within_15min"] > res.area["share_within_15min"]


def test_fixture_fewer_categories_means_longer_walks(fixture_set):
    layers, net, res = fixture_set
    few = analyse(layers, AccessParams(categories=("library", "cultural_centre")), walking(net))
    assert (few.demand["time_min"].to_numpy() >= res.demand["time_min"].to_numpy() - 1e-9).all()
    expected = res.demand[["time_min_library", "time_min_cultural_centre"]].min(axis=1)
    assert np.allclose(few.demand["time_min"], expected)
    assert few.area["venues_total"] == 7
    assert few.area["share_within_15min"] < res.area["share_within_15min"]
    slow = analyse(layers, replace(AccessParams(), walking_speed_kmh=3.0), walking(net))
    assert np.allclose(slow.demand["time_min"], res.demand["time_min"] * 1.5)


def test_fixture_without_population_uses_a_grid_weighted_by_council_population(fixture_set):
    layers, net, _res = fixture_set
    no_pop = Layers(
        layers.councils, layers.venues, layers.workshops, layers.population.iloc[0:0]
    )
    res = analyse(no_pop, AccessParams(), walking(net))
    assert len(res.demand) > 500 and res.demand["id"].str.contains("-G").all()
    assert res.demand["residents"].sum() == pytest.approx(70_000)
    by_council = res.councils.set_index("id")["residents"]
    own = layers.councils.set_index("id")["population"]
    assert np.allclose(by_council.loc[own.index], own)


def test_nearest_index_agrees_with_the_analysis(fixture_set):
    layers, net, res = fixture_set
    index = NearestIndex(walking(net), layers.venues)
    for _, row in res.demand.sample(25, random_state=1).iterrows():
        hit = index.query(
            row.geometry.x, row.geometry.y, categories=res.params.counted_categories, limit=3
        )
        assert list(hit.columns) == [
            "id", "name", "category", "address", "dist_m", "time_min", "lon", "lat"
        ]
        assert hit.iloc[0]["id"] == row["nearest_venue_id"]
        assert hit.iloc[0]["dist_m"] == pytest.approx(row["dist_m"], abs=0.01)
        assert hit["dist_m"].is_monotonic_increasing and len(hit) == 3
    lib = index.query(row.geometry.x, row.geometry.y, categories=["library"], limit=10)
    assert len(lib) == 3 and (lib["category"] == "library").all()
    assert lib.iloc[0]["time_min"] == pytest.approx(row["time_min_library"], abs=1e-3)
    with pytest.raises(ValueError, match="inside Coquimbo"):
        index.query(-29.97, -71.33)  # swapped
    with pytest.raises(ValueError, match="unknown venue categories"):
        index.query(row.geometry.x, row.geometry.y, categories=["opera"])
    with pytest.raises(ValueError, match="limit"):
        index.query(row.geometry.x, row.geometry.y, limit=0)


# --- the command ---------------------------------------------------------------------------


def test_analyse_command_writes_valid_geojson_csv_and_summary(tmp_path, capsys):
    out = tmp_path / "out"
    code = cli_main(
        ["analyse", *FIXTURE_ARGS, "--speed", "4", "--threshold", "10", "--categories",
         "library,cultural_centre", "--out", str(out)]
    )
    assert code == 0
    assert "JV-" in capsys.readouterr().out
    councils = gpd.read_file(out / "councils.geojson")
    demand = gpd.read_file(out / "demand.geojson")
    assert len(councils) == 20 and len(demand) == 634
    assert councils.crs.to_epsg() == 4326
    assert sorted(councils["gap_rank"]) == list(range(1, 21))
    table = pd.read_csv(out / "councils.csv")
    assert list(table["id"]) == list(councils["id"])
    assert "share_within_10min" in table and "wkt" not in table
    points = pd.read_csv(out / "demand.csv")
    assert {"lon", "lat", "time_min", "nearest_venue_id"} <= set(points.columns)
    assert points["residents"].sum() == 70_000
    summary = json.loads((out / "area.json").read_text("utf-8"))
    assert summary["data"]["synthetic"] is True
    assert summary["params"]["walking_speed_kmh"] == 4.0
    assert summary["params"]["categories"] == ["library", "cultural_centre"]
    assert summary["area"]["venues_total"] == 7
    # 4 km/h = 66.7 m/min: the times are the network distances at that speed
    assert np.allclose(points["time_min"], points["dist_m"] / (4000 / 60))
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging left


def test_analyse_command_refuses_bad_input_and_writes_nothing(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["analyse", *FIXTURE_ARGS, "--categories", "opera", "--out", str(tmp_path / "a")])
    assert exit_info.value.code == 2
    assert "opera" in capsys.readouterr().err
    assert cli_main(["analyse", *FIXTURE_ARGS, "--speed", "-1", "--out", str(tmp_path / "b")]) == 1
    assert "walking speed" in capsys.readouterr().err
    assert not (tmp_path / "b").exists() or not list((tmp_path / "b").iterdir())
