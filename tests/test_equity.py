"""Equity figures: hand-computed on a five-block table, the concentration index against the
textbook formulas, the 2017 zones' age shares, and the /api/.../equity endpoints."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo import METRIC_CRS
from geo.access import AccessParams
from geo.equity import (
    AGE_GROUPS,
    concentration_index,
    fractional_rank,
    place_equity,
    zone_age_shares,
)

PARAMS = AccessParams(threshold_min=15, thresholds_min=(5, 10, 15, 20))

# block: council, residents, minutes (nan = no offering reachable), 2SFCA, gse, quintile,
# nse_score, 2017 zone (Z1: ages 20/70/10 %, Z2: 40/50/10 %, None: outside every zone)
BLOCKS = [
    ("A", "C1", 100, 5.0, 2.0, "ABC1", "Q5", 900.0, "Z1"),
    ("B", "C1", 300, 12.0, 1.0, "C3", "Q3", 700.0, "Z1"),
    ("C", "C1", 200, 20.0, 0.0, "E", "Q1", 500.0, "Z2"),
    ("D", "C2", 400, np.nan, 0.0, "E", "Q1", 480.0, "Z2"),
    ("E", "C2", 100, 16.0, 0.5, "D", "Q2", 560.0, None),
]
ZONE_SHARES = {"Z1": (0.2, 0.7, 0.1), "Z2": (0.4, 0.5, 0.1), None: (np.nan,) * 3}


def table() -> pd.DataFrame:
    rows = []
    for bid, council, res, minutes, sfca, gse, q, nse, zone in BLOCKS:
        row = {"id": bid, "council_id": council, "residents": float(res), "time_min": minutes,
               "sfca_score": sfca, "gse": gse, "quintil": q, "nse_score": nse}
        row.update({f"share_{a}": s for a, s in zip(AGE_GROUPS, ZONE_SHARES[zone],
                                                    strict=True)})
        rows.append(row)
    return pd.DataFrame(rows)


def test_area_figures_by_hand():
    out = place_equity(table(), PARAMS)
    assert out["residents"] == 1100 and out["unreachable_residents"] == 400
    assert out["share_within_5min"] == pytest.approx(100 / 1100)  # exactly 5 min counts
    assert out["share_within_10min"] == pytest.approx(100 / 1100)
    assert out["share_within_15min"] == pytest.approx(400 / 1100)  # A and B
    assert out["share_within_20min"] == pytest.approx(700 / 1100)  # + C (exactly 20) and E
    # mean over those who can reach an offering: (100*5 + 300*12 + 200*20 + 100*16) / 700
    assert out["mean_time_min"] == pytest.approx(9700 / 700)
    # 400 of 1100 cannot reach any offering (> 10 %): the 90th percentile is unknown
    assert out["p90_time_min"] is None
    assert out["sfca_score"] == pytest.approx((100 * 2 + 300 * 1 + 100 * 0.5) / 1100)


def test_groups_by_hand():
    out = place_equity(table(), PARAMS)
    q1 = out["by_quintile"]["Q1"]  # C and D
    assert q1["residents"] == 600 and q1["unreachable_residents"] == 400
    assert q1["share_within_15min"] == 0 and q1["share_within_20min"] == pytest.approx(200 / 600)
    assert q1["mean_time_min"] == pytest.approx(20.0)
    assert list(out["by_quintile"]) == ["Q1", "Q2", "Q3", "Q5"]  # Q4 absent, order kept
    assert out["by_quintile"]["Q5"]["share_within_15min"] == 1.0
    assert list(out["by_gse"]) == ["ABC1", "C3", "D", "E"]
    # p90 of C3 alone (one block): its time
    assert out["by_gse"]["C3"]["p90_time_min"] == 12.0
    head = out["headline"]
    assert head["share_q1"] == 0 and head["share_q5"] == 1.0
    assert head["share_gap_q5_minus_q1"] == 1.0
    assert (head["gse_most_advantaged"], head["gse_least_advantaged"]) == ("ABC1", "E")
    assert head["share_gap_gse"] == 1.0


def test_whole_people_are_ints_and_a_single_class_has_no_gap():
    """Block counts are whole people: 1,100 not 1100.0. A place of one GSE class has no gap
    between classes; Q5 without Q1 has no Q5-Q1 gap; residents without a quintile are
    counted (B's 300)."""
    out = place_equity(table(), PARAMS)
    for figures in (out, out["by_gse"]["E"], out["by_quintile"]["Q1"]):
        assert type(figures["residents"]) is int, figures
        assert type(figures["unreachable_residents"]) is int, figures
    assert out["residents_without_quintile"] == 0 and out["residents_without_gse"] == 0
    one_class = table().iloc[:2].assign(gse="C3", quintil=["Q5", None])  # A and B
    alone = place_equity(one_class, PARAMS)
    assert alone["headline"]["gse_most_advantaged"] == alone["headline"][
        "gse_least_advantaged"] == "C3"
    assert alone["headline"]["share_gap_gse"] is None
    assert alone["headline"]["share_q5"] == 1.0 and alone["headline"]["share_q1"] is None
    assert alone["headline"]["share_gap_q5_minus_q1"] is None
    assert alone["residents_without_quintile"] == 300  # B


def test_age_groups_by_hand():
    out = place_equity(table(), PARAMS)
    assert out["residents_without_zone"] == 100  # block E
    young = out["by_age"]["age_0_14"]  # A 20, B 60, C 80, D 160 residents
    assert young["residents"] == pytest.approx(320)
    assert young["unreachable_residents"] == pytest.approx(160)
    assert young["share_within_15min"] == pytest.approx(80 / 320)
    assert young["mean_time_min"] == pytest.approx((20 * 5 + 60 * 12 + 80 * 20) / 160)
    old = out["by_age"]["age_65_plus"]  # A 10, B 30, C 20, D 40
    assert old["residents"] == pytest.approx(100)
    assert old["share_within_15min"] == pytest.approx(40 / 100)
    total = sum(out["by_age"][a]["residents"] for a in AGE_GROUPS)
    assert total == pytest.approx(1100 - 100)


def test_concentration_index_by_hand():
    # weighted: D (unreachable) is left out; ranks by nse C, E, B, A over 700 residents are
    # 1/7, 5/14, 9/14, 13/14; mean time 97/7; cov = -65/49; CI = 2 cov / mean = -130/679
    out = place_equity(table(), PARAMS)
    assert out["headline"]["concentration_index_time_nse"] == pytest.approx(-130 / 679)
    assert out["headline"]["concentration_index_residents"] == 700


def test_concentration_index_against_the_kakwani_rank_formula():
    h = np.array([20.0, 15.0, 10.0, 5.0])  # the poorest walk longest
    nse = np.array([1.0, 2.0, 3.0, 4.0])
    n, mu = len(h), h.mean()
    kakwani = 2 / (n * mu) * np.sum(h * np.arange(1, n + 1) / n) - 1 - 1 / n
    assert kakwani == pytest.approx(-0.25)
    assert concentration_index(h, nse) == pytest.approx(kakwani)
    assert concentration_index(h[::-1], nse) == pytest.approx(0.25)  # the richest walk longest
    assert concentration_index(np.full(4, 7.0), nse) == pytest.approx(0.0)  # equal walks
    # integer weights are the same as repeating the unit
    w = np.array([3.0, 1.0, 2.0, 1.0])
    rep = np.repeat(np.arange(4), w.astype(int))
    assert concentration_index(h, nse, w) == pytest.approx(concentration_index(h[rep], nse[rep]))
    assert np.isnan(concentration_index(h[:1], nse[:1]))
    # two units are enough: ranks 1/4 and 3/4, mean 7.5, cov = -0.625, CI = -1/6
    assert concentration_index(np.array([10.0, 5.0]), np.array([1.0, 2.0])) == pytest.approx(
        -1 / 6)
    # everyone walking 1 minute: no inequality (0), not "no figure"; nobody walking: no mean
    assert concentration_index(np.array([1.0, 1.0, 1.0]), nse[:3]) == 0.0
    assert np.isnan(concentration_index(np.zeros(3), nse[:3]))


def test_fractional_rank_shares_ties():
    assert fractional_rank(np.array([3.0, 1.0, 2.0])) == pytest.approx([5 / 6, 1 / 6, 3 / 6])
    # two tied units of weight 1 share the interval [0, 2] of 4: both at 1/4
    r = fractional_rank(np.array([1.0, 1.0, 2.0]), np.array([1.0, 1.0, 2.0]))
    assert r == pytest.approx([0.25, 0.25, 0.75])


def test_fractional_rank_of_a_tie_between_two_other_values():
    """1, 2, 2, 3 of equal weight: the two 2s share [1/4, 3/4] of the population, so both
    sit at 1/2 (a tie is found against its neighbour, not against the first value)."""
    r = fractional_rank(np.array([2.0, 3.0, 1.0, 2.0]))
    assert r == pytest.approx([0.5, 7 / 8, 1 / 8, 0.5])


def test_council_table_flattens_every_group_into_fixed_columns():
    """The downloadable equity layer from figures written by hand: each council's own
    figures, every quintile, GSE class and age group in its own columns (empty where the
    council has none), the headline gaps, numbers as floats and labels as text; a council
    with no figures keeps its row, empty."""
    from geo.equity import EquityResult, council_table

    figures = {
        "id": "JV-1", "name": "Villa Las Rosas", "residents": 500,
        "share_within_15min": 0.4, "mean_time_min": 12.5, "p90_time_min": 21.0,
        "sfca_score": 1.5,
        "by_quintile": {"Q1": {"residents": 200, "share_within_15min": 0.25,
                               "mean_time_min": 16.0}},
        "by_gse": {"ABC1": {"residents": 50, "share_within_15min": 1.0, "mean_time_min": 4.0},
                   "E": {"residents": 150, "share_within_15min": 0.2, "mean_time_min": 18.0}},
        "by_age": {"age_65_plus": {"residents": 60.5, "share_within_15min": 0.3,
                                   "mean_time_min": 14.0}},
        "headline": {"share_gap_q5_minus_q1": 0.5, "gse_most_advantaged": "ABC1",
                     "gse_least_advantaged": "E", "share_gap_gse": 0.8,
                     "concentration_index_time_nse": -0.12},
    }
    councils = gpd.GeoDataFrame({"id": ["JV-1", "JV-2"]},
                                geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=METRIC_CRS)
    table = council_table(EquityResult(area={}, councils={"JV-1": figures}), councils,
                          PARAMS).set_index("id")
    one = table.loc["JV-1"]
    assert one["name"] == "Villa Las Rosas"
    assert (one["residents"], one["share_within_15min"], one["mean_time_min"],
            one["p90_time_min"], one["sfca_score"]) == (500, 0.4, 12.5, 21.0, 1.5)
    assert (one["residents_q1"], one["share_q1"], one["mean_time_q1"]) == (200, 0.25, 16.0)
    assert (one["residents_gse_abc1"], one["share_gse_abc1"], one["mean_time_gse_abc1"]) == (
        50, 1.0, 4.0)
    assert (one["residents_gse_e"], one["share_gse_e"], one["mean_time_gse_e"]) == (
        150, 0.2, 18.0)
    assert (one["residents_age_65_plus"], one["share_age_65_plus"],
            one["mean_time_age_65_plus"]) == (60.5, 0.3, 14.0)
    assert np.isnan(one["residents_q5"]) and np.isnan(one["share_gse_c1"])
    assert np.isnan(one["mean_time_age_0_14"])
    assert (one["share_gap_q5_minus_q1"], one["share_gap_gse"],
            one["concentration_index_time_nse"]) == (0.5, 0.8, -0.12)
    assert (one["gse_most_advantaged"], one["gse_least_advantaged"]) == ("ABC1", "E")
    assert table["residents_q1"].dtype == "float64"
    assert not pd.api.types.is_numeric_dtype(table["name"])  # names stay text
    empty = table.loc["JV-2"]
    assert pd.isna(empty["name"]) and np.isnan(empty["residents"])
    assert np.isnan(empty["share_gap_gse"]) and pd.isna(empty["gse_most_advantaged"])
    assert table.crs == METRIC_CRS and len(table.columns) == 6 + 3 * 14 + 5 + 1  # and the id


def test_the_method_block_states_the_threshold_and_the_group_orders():
    """What the API and downloads say about how the figures were made."""
    from geo.equity import AGE_METHOD, CI_METHOD, method

    got = method(AccessParams(threshold_min=20, thresholds_min=(10, 20)))
    assert set(got) == {"threshold_min", "share_column", "gse_order", "quintiles", "groups",
                        "share_gap", "age_method", "concentration_index"}
    assert got["threshold_min"] == 20 and got["share_column"] == "share_within_20min"
    assert got["gse_order"] == ["ABC1", "C1", "C2", "C3", "D", "E"]
    assert got["quintiles"] == ["Q1", "Q2", "Q3", "Q4", "Q5"]
    assert got["age_method"] == AGE_METHOD and got["concentration_index"] == CI_METHOD
    assert "Q5 minus Q1" in got["share_gap"] and "nse_score" in got["groups"]


def test_area_equity_carries_the_areas_name_and_a_single_zone_is_used(tmp_path):
    """On the straight street: the area's equity figures name the area like the access
    figures do; one 2017 zone (not only two or more) gives every block its age shares,
    none gives none."""
    import dataclasses

    from geo.equity import analyse_equity, load_zones
    from tests.support import line_world as world

    study = world.study(tmp_path)
    result = analyse_equity(study.access, study.layers)
    assert (result.area["id"], result.area["name"]) == ("parte_alta", "Parte Alta")
    assert set(result.councils) == {"JV-A", "JV-B", "JV-C"}
    assert (result.councils["JV-B"]["id"], result.councils["JV-B"]["name"]) == (
        "JV-B", "Junta JV-B")
    assert [result.councils[c]["residents"] for c in ("JV-A", "JV-B", "JV-C")] == [
        world.Hand().residents(c) for c in ("JV-A", "JV-B", "JV-C")]
    assert load_zones(study.layers) is None
    one_zone = gpd.GeoDataFrame(
        {"id": ["Z1"], "age_0_14": [20], "age_15_64": [70], "age_65_plus": [10]},
        geometry=[box(world.ORIGIN_X - 200, world.ORIGIN_Y - 200, world.ORIGIN_X + 7000,
                      world.ORIGIN_Y + 200)], crs=METRIC_CRS)
    with_zone = dataclasses.replace(study.layers, zones=one_zone)
    assert load_zones(with_zone) is one_zone
    assert load_zones(dataclasses.replace(study.layers, zones=one_zone.iloc[:0])) is None


def test_zone_age_shares_by_containing_zone():
    zones = gpd.GeoDataFrame(
        {"id": ["Z1", "Z2"], "age_0_14": [20, 40], "age_15_64": [70, 50],
         "age_65_plus": [10, 10]},
        geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs=METRIC_CRS)
    points = gpd.GeoSeries([Point(50, 50), Point(150, 10), Point(500, 500)], crs=METRIC_CRS)
    shares = zone_age_shares(points, zones)
    assert shares.iloc[0].tolist() == pytest.approx([0.2, 0.7, 0.1])
    assert shares.iloc[1].tolist() == pytest.approx([0.4, 0.5, 0.1])
    assert shares.iloc[2].isna().all()  # outside every zone
    assert zone_age_shares(points, None).isna().all().all()  # no zones layer: no ages


def test_zone_age_shares_of_one_triangular_zone_of_one_person():
    """The zone decides, not its box: a point in the triangle's box but outside it has no
    ages; a single zone is used; a zone of one person (65+) gives shares 0, 0, 1; a zone
    with nobody gives none; a zones layer without an age column is refused by name."""
    from shapely.geometry import Polygon

    from geo.equity import EquityError

    zones = gpd.GeoDataFrame({"id": ["Z1"], "age_0_14": [0], "age_15_64": [0],
                              "age_65_plus": [1]},
                             geometry=[Polygon([(0, 0), (100, 0), (0, 100)])], crs=METRIC_CRS)
    points = gpd.GeoSeries([Point(10, 10), Point(90, 90)], crs=METRIC_CRS)
    shares = zone_age_shares(points, zones)
    assert shares.iloc[0].tolist() == [0.0, 0.0, 1.0]
    assert shares.iloc[1].isna().all()  # in the box, not in the triangle
    empty = zones.assign(age_65_plus=[0])
    assert zone_age_shares(points, empty).isna().all().all()  # nobody: no shares
    with pytest.raises(EquityError) as info:
        zone_age_shares(points, zones.drop(columns="age_15_64"))
    assert str(info.value) == "zones: missing age columns ['age_15_64']"


def test_a_place_without_residents_or_groups_gives_empty_breakdowns():
    rows = table().iloc[0:0]
    out = place_equity(rows, PARAMS)
    assert out["residents"] == 0 and out["by_gse"] == {} and out["by_age"] == {}
    assert out["headline"]["concentration_index_time_nse"] is None
    no_groups = table().assign(gse=None, quintil=None, nse_score=np.nan)
    head = place_equity(no_groups, PARAMS)["headline"]
    assert head["share_gap_q5_minus_q1"] is None and head["share_gap_gse"] is None
    assert head["concentration_index_time_nse"] is None


# --- the web API on the fixture, with groups and zones added to a copy -------------------


def write_equity_data(root) -> object:
    """A copy of the fixture data whose blocks carry gse/quintil/nse_score (by position)
    and with two 2017 zones splitting the area west/east at the median longitude."""
    from tests.support.web import copy_data

    data = copy_data(root)
    path = data / "population" / "blocks.geojson"
    fc = json.loads(path.read_text("utf-8"))
    for i, feature in enumerate(fc["features"]):
        feature["properties"].update(quintil=f"Q{i % 5 + 1}", gse=["ABC1", "C2", "E"][i % 3],
                                     nse_score=500.0 + (i % 5) * 80)
    path.write_text(json.dumps(fc), "utf-8")
    blocks = gpd.read_file(path)
    minx, miny, maxx, maxy = blocks.total_bounds
    mid = float(np.median(blocks.geometry.representative_point().x))
    zones = gpd.GeoDataFrame(
        {"id": ["W", "E"], "population_2017": [100, 100], "age_0_14": [30, 10],
         "age_15_64": [60, 60], "age_65_plus": [10, 30], "source": ["test", "test"]},
        geometry=[box(minx - 0.01, miny - 0.01, mid, maxy + 0.01),
                  box(mid, miny - 0.01, maxx + 0.01, maxy + 0.01)], crs="EPSG:4326")
    zones.to_file(data / "population" / "zones_2017.geojson", driver="GeoJSON")
    return data


@pytest.fixture(scope="module")
def equity_data(tmp_path_factory):
    from tests.support.web import app_for

    root = tmp_path_factory.mktemp("equity")
    data = write_equity_data(root)
    blocks = gpd.read_file(data / "population" / "blocks.geojson")
    return app_for(data, root / "cache").test_client(), blocks


def test_api_area_equity(equity_data):
    client, blocks = equity_data
    body = client.get("/api/area/equity").get_json()
    assert body["residents"] == int(blocks["residents"].sum())
    for q in ("Q1", "Q5"):  # the group totals are the blocks' own sums
        expected = int(blocks.loc[blocks["quintil"] == q, "residents"].sum())
        assert body["by_quintile"][q]["residents"] == expected
    assert set(body["by_gse"]) == {"ABC1", "C2", "E"}
    assert body["residents_without_zone"] == 0
    ages = sum(body["by_age"][a]["residents"] for a in AGE_GROUPS)
    assert ages == pytest.approx(body["residents"])
    head = body["headline"]
    assert head["share_gap_q5_minus_q1"] == pytest.approx(
        body["by_quintile"]["Q5"]["share_within_15min"]
        - body["by_quintile"]["Q1"]["share_within_15min"])
    assert -1 <= head["concentration_index_time_nse"] <= 1
    assert "2017" in body["method"]["age_method"]


def test_api_council_equity(equity_data):
    client, _blocks = equity_data
    councils = client.get("/api/councils").get_json()["councils"]
    first = councils[0]
    body = client.get(f"/api/councils/{first['id']}/equity").get_json()
    assert body["id"] == first["id"] and body["residents"] == first["residents"]
    assert body["share_within_15min"] == pytest.approx(first["share_within_threshold"])
    assert body["mean_time_min"] == pytest.approx(first["mean_time_min"])
    assert "concentration_index" in body["method"]
    response = client.get("/api/councils/JV-99/equity")
    assert response.status_code == 404 and response.get_json()["error"] == "unknown_council"


def test_api_equity_without_socio_economic_columns(tmp_path):
    """The plain fixture has no socio-economic columns (but has 2017 zones): empty GSE and
    quintile breakdowns, age groups still there."""
    from tests.support.data import FIXTURE_DATA_DIR
    from tests.support.web import app_for

    client = app_for(FIXTURE_DATA_DIR, tmp_path / "cache").test_client()
    body = client.get("/api/area/equity").get_json()
    assert body["by_gse"] == {} and body["by_quintile"] == {}
    assert body["residents_without_gse"] == body["residents"]
    ages = sum(body["by_age"][a]["residents"] for a in AGE_GROUPS)
    assert ages == pytest.approx(body["residents"] - body["residents_without_zone"])
    assert body["headline"]["share_gap_q5_minus_q1"] is None


def test_council_popup_data_carry_the_equity_figures(equity_data):
    client, _blocks = equity_data
    page = client.get("/").get_data(as_text=True)
    council = client.get("/api/councils").get_json()["councils"][0]
    body = client.get(f"/api/councils/{council['id']}/equity").get_json()
    head = body["headline"]
    expected = {"share_q1": head["share_q1"], "share_q5": head["share_q5"],
                "ci": head["concentration_index_time_nse"]}
    assert '"equity": ' + json.dumps(expected, sort_keys=True) in page


def test_equity_download_has_a_fixed_column_set(equity_data):
    client, blocks = equity_data
    response = client.get("/descargas/equity-councils.csv")
    assert response.status_code == 200
    import io

    table = pd.read_csv(io.StringIO(response.get_data(as_text=True)))
    for column in ("residents_q1", "share_q5", "share_gse_abc1", "mean_time_age_65_plus",
                   "share_gap_q5_minus_q1", "concentration_index_time_nse"):
        assert column in table.columns
    first = table.iloc[0]
    api = client.get(f"/api/councils/{first['id']}/equity").get_json()
    assert first["share_q1"] == pytest.approx(api["by_quintile"]["Q1"]["share_within_15min"])
    assert first["residents_q1"] == api["by_quintile"]["Q1"]["residents"]
    assert np.isnan(first["residents_q4"]) or "Q4" in api["by_quintile"]


def test_council_report_has_the_equity_chart(equity_data, tmp_path):
    """The report's bars carry the same shares as the API; the PDF renders with them."""
    import re

    client, _blocks = equity_data
    council = client.get("/api/councils").get_json()["councils"][0]
    api = client.get(f"/api/councils/{council['id']}/equity").get_json()
    html = client.get(f"/reportes/{council['id']}.html?lang=es").get_data(as_text=True)
    section = html.split('<section id="equity"', 1)[1].split("</section>", 1)[0]
    bars = dict(re.findall(r'data-group="([^"]+)" data-value="([^"]+)"', section))
    for q, figures in api["by_quintile"].items():
        assert float(bars[q]) == pytest.approx(figures["share_within_15min"])
    for age, figures in api["by_age"].items():
        assert float(bars[age]) == pytest.approx(figures["share_within_15min"])
    assert "Quintil 1" in section and "65 años o más" in section
    gap = api["headline"]["share_gap_q5_minus_q1"]
    assert f"{gap * 100:.1f}".replace(".", ",").replace("-", "") in section
    from webmap.area import area_report_id

    manifest = client.application.extensions["culturamap"].layers.manifest
    area = client.get(f"/reportes/{area_report_id(manifest)}.html?lang=en")
    assert area.status_code == 200
    area_section = area.get_data(as_text=True).split('<section id="equity"', 1)[1]
    assert "By income quintile" in area_section.split("</section>", 1)[0]
    pdf = client.get(f"/reportes/{council['id']}.pdf?lang=es")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
