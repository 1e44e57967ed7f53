"""Site suggestion: the exact covering optimum (where greedy is wrong), validation of k and
of planner-given sites, and an end-to-end check on the fixture data."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from culturamap.cli import main as cli_main
from geo import METRIC_CRS, WEB_CRS
from geo.access import AccessParams, analyse
from geo.layers import Layers, load_all
from geo.network import load_network
from geo.schema import CULTURAL_CATEGORIES
from geo.siting import SitingError, greedy_order, suggest_sites
from tests.support.data import FIXTURE_ARGS, FIXTURE_DATA_DIR, FIXTURE_OSM
from tests.support.network import load as load_net
from tests.support.network import make_layers, shift, straight_street, walking

# Six groups of 100 residents at x = 0, 100, ..., 500 m on one street. Walking at 6 km/h
# (100 m/min) with a 1.6 min threshold, a site reaches 160 m each way:
#   S1 at 250 covers 100..400 (4 groups), S2 at 100 covers 0..200, S3 at 400 covers 300..500.
# Greedy takes S1 (400) and then one more group (500); the best pair is S2 + S3 (600).
GROUPS = [(f"D-{i}", 100, 100.0 * i, 0.0) for i in range(6)]
SITES = {"S1": 250.0, "S2": 100.0, "S3": 400.0}
PARAMS = AccessParams(walking_speed_kmh=6.0, threshold_min=1.6)


def candidates_at(positions: dict[str, float], y: float = 0.0) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": list(positions), "name": [f"Sede {k}" for k in positions]},
        geometry=[shift(Point(x, y)) for x in positions.values()],
        crs=METRIC_CRS,
    )


@pytest.fixture
def line_case(tmp_path):
    nodes, ways = straight_street(-2000, 600)
    net = load_net(tmp_path, nodes, ways)
    # the only existing venue is 2 km away: nobody is covered yet
    layers = make_layers(
        [("JV-A", (-2100, -100, 700, 100))], [("V-1", "library", -2000.0, 0.0)], GROUPS
    )
    return layers, net, analyse(layers, PARAMS, walking(net))


def test_exact_optimum_beats_greedy(line_case):
    layers, net, res = line_case
    assert res.demand["within_threshold"].sum() == 0
    two = suggest_sites(res, layers, walking(net), 2, candidates_at(SITES))
    assert sorted(two["candidate_id"]) == ["S2", "S3"]  # greedy would start with S1
    assert two["newly_covered"].tolist() == [300, 300]
    assert two["cumulative_covered"].tolist() == [300, 600]
    assert two.attrs["uncovered_residents"] == 600 and two.attrs["newly_covered"] == 600
    assert two.attrs["newly_covered_by_group"]["without_group"] == 600  # both sites' people
    one = suggest_sites(res, layers, walking(net), 1, candidates_at(SITES))
    assert one["candidate_id"].tolist() == ["S1"] and one["newly_covered"].tolist() == [400]
    assert one.crs.to_string() == WEB_CRS
    assert one.iloc[0]["councils"] == "JV-A"


def test_rows_are_ordered_by_marginal_gain_and_idle_sites_dropped(line_case):
    layers, net, res = line_case
    three = suggest_sites(res, layers, walking(net), 3, candidates_at(SITES))
    # all three chosen; by marginal gain: S1 400, then S2 adds D-0, S3 adds D-5
    assert three["candidate_id"].tolist() == ["S1", "S2", "S3"]
    assert three["newly_covered"].tolist() == [400, 100, 100]
    assert three["rank"].tolist() == [1, 2, 3]
    # a fourth site far from everyone adds nobody and is left out
    four = suggest_sites(res, layers, walking(net), 4, candidates_at({**SITES, "S4": -1500.0}))
    assert four["candidate_id"].tolist() == ["S1", "S2", "S3"]


def test_residents_already_covered_carry_no_weight(tmp_path):
    nodes, ways = straight_street(-2000, 600)
    net = load_net(tmp_path, nodes, ways)
    layers = make_layers(  # an existing library right at x = 100 covers D-0..D-2
        [("JV-A", (-2100, -100, 700, 100))], [("V-1", "library", 100.0, 0.0)], GROUPS
    )
    res = analyse(layers, PARAMS, walking(net))
    assert res.demand["within_threshold"].sum() == 3
    one = suggest_sites(res, layers, walking(net), 1, candidates_at(SITES))
    assert one["candidate_id"].tolist() == ["S3"] and one["newly_covered"].tolist() == [300]


def test_a_block_of_one_resident_is_worth_a_site(tmp_path):
    """The smallest demand there is: two blocks of exactly one resident each, one near S2
    and one near S3; two sites cover both, one each (a weight of 1 counts)."""
    nodes, ways = straight_street(-2000, 600)
    net = load_net(tmp_path, nodes, ways)
    layers = make_layers([("JV-A", (-2100, -100, 700, 100))], [("V-1", "library", -2000.0, 0.0)],
                         [("D-0", 1, 0.0, 0.0), ("D-5", 1, 500.0, 0.0)])
    res = analyse(layers, PARAMS, walking(net))
    two = suggest_sites(res, layers, walking(net), 2, candidates_at(SITES))
    assert sorted(two["candidate_id"]) == ["S2", "S3"]
    assert two["newly_covered"].tolist() == [1, 1]
    assert two["councils"].tolist() == ["JV-A", "JV-A"]  # one resident is enough to list it
    assert two.attrs["reachable_uncovered"] == 2


def three_councils_case(tmp_path):
    """The six groups of 100 split in three councils: JV-A holds D-0, D-1 (x < 150), JV-B
    D-2..D-4, JV-C D-5 (x > 450). Nobody is covered yet (the library is 2 km away)."""
    nodes, ways = straight_street(-2000, 600)
    net = load_net(tmp_path, nodes, ways)
    layers = make_layers([("JV-A", (-2100, -100, 150, 100)), ("JV-B", (150, -100, 450, 100)),
                          ("JV-C", (450, -100, 700, 100))],
                         [("V-1", "library", -2000.0, 0.0)], GROUPS)
    return layers, net, analyse(layers, PARAMS, walking(net))


def test_a_site_lists_the_councils_it_adds_residents_to_most_first(tmp_path):
    """S1 (x = 250) reaches D-1 (JV-A) and D-2..D-4 (JV-B): "JV-B;JV-A", 300 before 100;
    JV-C, whose D-5 other candidates reach, is not named (S1 adds nobody there). Without
    social groups in the data the group totals are empty, not five zero quintiles."""
    layers, net, res = three_councils_case(tmp_path)
    one = suggest_sites(res, layers, walking(net), 1, candidates_at(SITES))
    assert one["candidate_id"].tolist() == ["S1"] and one["newly_covered"].tolist() == [400]
    assert one["councils"].tolist() == ["JV-B;JV-A"]
    assert one.attrs["reachable_uncovered"] == 600
    assert one.attrs["newly_covered_by_group"] == {"quintile": {}, "gse": {},
                                                   "without_group": 400}


def test_residents_no_candidate_reaches_are_uncovered_but_not_reachable(tmp_path):
    """Only S2 (x = 100, reaching D-0..D-2) is offered: 600 residents are uncovered, 300 of
    them within reach of a candidate; the site covers those 300."""
    layers, net, res = three_councils_case(tmp_path)
    one = suggest_sites(res, layers, walking(net), 1, candidates_at({"S2": 100.0}))
    assert one.attrs["uncovered_residents"] == 600
    assert one.attrs["reachable_uncovered"] == 300
    assert one["newly_covered"].tolist() == [300]
    assert one["councils"].tolist() == ["JV-A;JV-B"]  # D-0, D-1 (200) before D-2 (100)


def test_greedy_order_helper_reports_marginal_gains():
    covers = np.array([[1, 1], [1, 0], [0, 1], [0, 1]], dtype=bool)
    order = greedy_order(covers, np.array([5.0, 1.0, 1.0, 1.0]), np.array([0, 1]))
    assert [(j, gain) for j, gain, _ in order] == [(1, 7.0), (0, 1.0)]


@pytest.mark.parametrize("k", [0, 11, 2.5, True, "3"])
def test_k_must_be_one_to_ten(line_case, k):
    layers, net, res = line_case
    with pytest.raises(SitingError, match="k must be"):
        suggest_sites(res, layers, walking(net), k, candidates_at(SITES))


def test_more_sites_than_candidates_is_refused(line_case):
    layers, net, res = line_case
    with pytest.raises(SitingError, match="only 3 candidate"):
        suggest_sites(res, layers, walking(net), 4, candidates_at(SITES))


def test_planner_sites_are_checked(line_case):
    layers, net, res = line_case
    swapped = gpd.GeoDataFrame({"id": ["X"]}, geometry=[Point(-29.97, -71.33)], crs=WEB_CRS)
    with pytest.raises(SitingError, match="row 1 .* outside Coquimbo"):
        suggest_sites(res, layers, walking(net), 1, swapped)
    no_crs = candidates_at(SITES).set_crs(None, allow_override=True)
    with pytest.raises(SitingError, match="no CRS"):
        suggest_sites(res, layers, walking(net), 1, no_crs)
    line = gpd.GeoDataFrame(
        geometry=[shift(Point(0, 0)), shift(LineString([(0, 0), (1, 1)]))], crs=METRIC_CRS
    )
    with pytest.raises(SitingError, match="row 2 is LineString"):
        suggest_sites(res, layers, walking(net), 1, line)
    far = candidates_at({"FAR": 0.0}, y=3000.0)
    with pytest.raises(SitingError, match="FAR lies 3000 m from the nearest street"):
        suggest_sites(res, layers, walking(net), 1, far)
    dup = candidates_at(SITES)
    dup["id"] = ["A", "A", "B"]
    with pytest.raises(SitingError, match="'A' repeats"):
        suggest_sites(res, layers, walking(net), 1, dup)


# --- the fixture (synthetic) data ----------------------------------------------------------


@pytest.fixture(scope="module")
def fixture_set(session_cache):
    layers = load_all(FIXTURE_DATA_DIR)
    net = load_network(FIXTURE_OSM, cache_dir=session_cache)
    params = AccessParams(categories=CULTURAL_CATEGORIES)
    return layers, net, analyse(layers, params, walking(net))


def test_fixture_suggestions_really_cover_that_many_more_residents(fixture_set):
    layers, net, res = fixture_set
    sites = suggest_sites(res, layers, walking(net), 3)
    assert len(sites) == 3 and sites["candidate_id"].is_unique
    hosts = layers.venues.set_index("id").loc[sites["candidate_id"], "category"]
    assert set(hosts) <= {"community_hall", "school", "other"}
    gains = sites["newly_covered"].to_numpy()
    assert (gains > 0).all() and (np.diff(gains) <= 0).all()
    assert sites["cumulative_covered"].tolist() == np.cumsum(gains).tolist()
    # re-run the analysis with the chosen sites as libraries: the gain is exactly as stated
    chosen = layers.venues[layers.venues["id"].isin(sites["candidate_id"])].copy()
    chosen["category"] = "library"
    others = layers.venues[~layers.venues["id"].isin(sites["candidate_id"])]
    more = Layers(
        layers.councils,
        pd.concat([others, chosen], ignore_index=True),
        layers.workshops,
        layers.population,
    )
    after = analyse(more, res.params, walking(net))
    before_cov = res.demand.loc[res.demand["within_threshold"], "residents"].sum()
    after_cov = after.demand.loc[after.demand["within_threshold"], "residents"].sum()
    assert after_cov - before_cov == sites["cumulative_covered"].iloc[-1]
    # and more sites never cover fewer
    five = suggest_sites(res, layers, walking(net), 5)
    assert five["cumulative_covered"].iloc[-1] >= sites["cumulative_covered"].iloc[-1]


def test_fixture_default_candidates_need_hosts_that_are_not_offerings(fixture_set):
    layers, net, _res = fixture_set
    every = analyse(layers, AccessParams(categories=None), walking(net))
    with pytest.raises(SitingError, match="already counts as a cultural offering"):
        suggest_sites(every, layers, walking(net), 2)


def test_suggest_command_reads_a_csv_of_sites(fixture_set, tmp_path, capsys):
    layers, _net, res = fixture_set
    far = res.demand.sort_values("time_min", ascending=False).head(4)
    sites_csv = tmp_path / "sitios.csv"
    pd.DataFrame(
        {
            "id": [f"P-{i}" for i in range(4)],
            "name": ["=HYPERLINK(1)", "Sede B", "Sede C", "Sede D"],
            "lon": far.geometry.x.round(6),
            "lat": far.geometry.y.round(6),
        }
    ).to_csv(sites_csv, index=False)
    out = tmp_path / "out"
    code = cli_main(["suggest", *FIXTURE_ARGS, "-k", "2", "--candidates", str(sites_csv),
                     "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    got = gpd.read_file(out / "suggestions.geojson")
    assert 1 <= len(got) <= 2 and set(got["candidate_id"]) <= {"P-0", "P-1", "P-2", "P-3"}
    table = pd.read_csv(out / "suggestions.csv")
    assert list(table["candidate_id"]) == list(got["candidate_id"])
    assert not table["name"].astype(str).str.startswith("=").any()  # formula neutralised
    meta = json.loads((out / "suggestions.json").read_text("utf-8"))
    assert meta["k"] == 2 and meta["data"]["synthetic"] is True
    assert meta["counted_categories"] == list(CULTURAL_CATEGORIES)
    bad = tmp_path / "bad.csv"
    bad.write_text("id,lon,lat\nA,-71.33,\n", encoding="utf-8")
    args = ["suggest", *FIXTURE_ARGS, "-k", "1", "--candidates", str(bad), "--out", str(out)]
    assert cli_main(args) == 1
    assert "row 1 has no numeric lon/lat" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli_main(["suggest", *FIXTURE_ARGS, "-k", "0"])


def test_candidate_sites_checked_row_by_row():
    """clean_candidates, the gate for a planner's sites: an empty layer or a table without
    geometry, an empty or missing point, a multipoint; the Coquimbo box is inclusive on
    all four sides (a site exactly on the edge is in)."""
    from shapely.geometry import MultiPoint

    from geo.schema import COQUIMBO_BOUNDS
    from geo.siting import clean_candidates

    for nothing in (gpd.GeoDataFrame(geometry=[], crs=WEB_CRS),
                    pd.DataFrame({"id": ["A"]})):
        with pytest.raises(SitingError) as info:
            clean_candidates(nothing)
        assert str(info.value) == "candidates: no candidate sites given"
    x0, y0, x1, y1 = COQUIMBO_BOUNDS
    inside = Point((x0 + x1) / 2, (y0 + y1) / 2)
    for geom, kind in ((None, "empty"), (Point(), "empty"),
                       (MultiPoint([(x0, y0), (x1, y1)]), "MultiPoint")):
        bad = gpd.GeoDataFrame({"id": ["A", "B"]}, geometry=[inside, geom], crs=WEB_CRS)
        with pytest.raises(SitingError) as info:
            clean_candidates(bad, "sitios.csv")
        assert str(info.value) == f"sitios.csv: row 2 is {kind}, not a point"
    corners = gpd.GeoDataFrame(geometry=[Point(x0, y0), Point(x1, y1), Point(x0, y1),
                                         Point(x1, y0)], crs=WEB_CRS)
    out = clean_candidates(corners)
    assert out["candidate_id"].tolist() == ["C-001", "C-002", "C-003", "C-004"]
    assert out["name"].tolist() == [""] * 4  # no names given: empty, never "None"
    named = clean_candidates(corners.assign(name=["Sede Norte", None, "", "Escuela"]))
    assert named["name"].tolist() == ["Sede Norte", "", "", "Escuela"]
    assert out["category"].tolist() == ["candidate"] * 4
    assert out["capacity"].dtype == "float64" and out["capacity"].isna().all()
    for lon, lat in ((x1 + 1e-6, y0), (x0, y1 + 1e-6)):
        outside = gpd.GeoDataFrame(geometry=[Point(lon, lat)], crs=WEB_CRS)
        with pytest.raises(SitingError, match=r"^candidates: row 1 \(.*\) lies outside"):
            clean_candidates(outside)


def test_candidate_capacity_zero_is_a_number_and_blank_is_no_limit():
    """Capacity: 0 is a valid figure (a hall that can take nobody more), a blank or spaces
    mean "unknown, no limit", whole numbers come back as floats; -1 is refused by row."""
    from geo.siting import clean_candidates

    sites = candidates_at({"A": 0.0, "B": 100.0, "C": 200.0, "D": 300.0}).to_crs(WEB_CRS)
    sites["capacity"] = [0, "", "  ", 25]
    out = clean_candidates(sites)
    assert out["capacity"].dtype == "float64"
    assert out["capacity"].tolist()[0] == 0.0 and out["capacity"].tolist()[3] == 25.0
    assert np.isnan(out["capacity"].tolist()[1]) and np.isnan(out["capacity"].tolist()[2])
    whole = candidates_at({"A": 0.0}).to_crs(WEB_CRS)
    whole["capacity"] = [7]
    assert clean_candidates(whole)["capacity"].dtype == "float64"
    sites["capacity"] = [0, 5, -1, 25]
    with pytest.raises(SitingError) as info:
        clean_candidates(sites, "sitios.csv")
    assert str(info.value) == ("sitios.csv: row 3 has capacity -1; give a number of residents "
                               "(0 or more) or leave it empty")
