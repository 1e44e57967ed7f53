"""Spatial join: hand-made councils (two rectangles in EPSG:32719 inside Coquimbo) and the
synthetic fixture data."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon, box

from geo import METRIC_CRS, WEB_CRS
from geo.join import NEAREST, WITHIN, assign_councils, council_summary
from geo.layers import Layers, load_all
from geo.schema import CATEGORIES
from tests.support.data import FIXTURE_DATA_DIR

# South-west corner of the hand-made councils, in UTM 19S metres (Parte Alta, Coquimbo).
X0, Y0 = 275_000.0, 6_680_000.0
A = box(X0, Y0, X0 + 1000, Y0 + 1000)  # 1000 m x 1000 m = 1.0 km²
B = box(X0 + 1000, Y0, X0 + 2000, Y0 + 1500)  # 1000 m x 1500 m = 1.5 km², shares A's east edge


def councils_gdf(population=(1234, None), crs: str = WEB_CRS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["JV-A", "JV-B"],
            "name": ["A", "B"],
            "code": ["UV-A", "UV-B"],
            "sector": ["test", "test"],
            "population": pd.array(list(population), dtype="Int64"),
            "source": ["test", "test"],
        },
        geometry=[A, B],
        crs=METRIC_CRS,
    ).to_crs(crs)


def points_gdf(points: dict[str, Point], crs: str = METRIC_CRS, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": list(points), **cols}, geometry=list(points.values()), crs=crs)


CASES = {
    "in_a": Point(X0 + 500, Y0 + 500),
    "in_b": Point(X0 + 1500, Y0 + 1200),
    "border": Point(X0 + 1000, Y0 + 500),  # on the edge shared by A and B
    "near_a": Point(X0 - 20, Y0 + 500),  # 20 m west of A
    "near_b": Point(X0 + 1500, Y0 + 1530),  # 30 m north of B
    "far": Point(X0 - 5000, Y0),  # 5 km away
}


def test_assign_councils_within_nearest_and_none():
    metric_councils = councils_gdf(crs=METRIC_CRS)  # exact edges: the border point is on both
    out = assign_councils(points_gdf(CASES), metric_councils, tolerance_m=50)
    got = out.set_index("id")
    assert got.loc["in_a", "council_id"] == "JV-A" and got.loc["in_a", "council_match"] == WITHIN
    assert got.loc["in_b", "council_id"] == "JV-B" and got.loc["in_b", "council_match"] == WITHIN
    assert all(shape.touches(CASES["border"]) for shape in (A, B))
    assert got.loc["border", "council_match"] == WITHIN
    assert got.loc["border", "council_id"] == "JV-A"  # first council in file order
    assert (
        got.loc["near_a", "council_id"] == "JV-A" and got.loc["near_a", "council_match"] == NEAREST
    )
    assert got.loc["near_a", "council_dist_m"] == pytest.approx(20, abs=0.01)
    assert (
        got.loc["near_b", "council_id"] == "JV-B" and got.loc["near_b", "council_match"] == NEAREST
    )
    assert got.loc["near_b", "council_dist_m"] == pytest.approx(30, abs=0.01)
    assert got.loc["far", "council_id"] is None and got.loc["far", "council_match"] is None
    assert got.loc["far", "council_dist_m"] == pytest.approx(5000, abs=0.01)
    assert (got.loc[["in_a", "in_b", "border"], "council_dist_m"] == 0).all()
    # The input is not changed and keeps its CRS and index.
    assert out.crs == METRIC_CRS and list(out.index) == list(range(len(CASES)))


def test_border_point_follows_file_order():
    reversed_councils = councils_gdf(crs=METRIC_CRS).iloc[::-1]
    out = assign_councils(points_gdf({"border": CASES["border"]}), reversed_councils)
    assert out["council_id"].tolist() == ["JV-B"]


def test_tolerance_controls_nearest():
    pts = points_gdf(CASES)
    strict = assign_councils(pts, councils_gdf(), tolerance_m=0).set_index("id")
    assert strict.loc["near_a", "council_id"] is None
    assert strict.loc["near_a", "council_match"] is None
    assert strict.loc["in_a", "council_match"] == WITHIN
    wide = assign_councils(pts, councils_gdf(), tolerance_m=25).set_index("id")
    assert wide.loc["near_a", "council_match"] == NEAREST
    assert wide.loc["near_b", "council_match"] is None  # 30 m > 25 m


def test_points_in_degrees_give_the_same_answer():
    metric = assign_councils(points_gdf(CASES), councils_gdf())
    degrees = assign_councils(points_gdf(CASES).to_crs(WEB_CRS), councils_gdf())
    assert metric["council_id"].tolist() == degrees["council_id"].tolist()
    assert metric["council_match"].tolist()[:2] == degrees["council_match"].tolist()[:2]


def test_empty_geometry_gets_no_council():
    pts = points_gdf({"ok": CASES["in_a"], "empty": Point()})
    out = assign_councils(pts, councils_gdf()).set_index("id")
    assert out.loc["ok", "council_id"] == "JV-A"
    assert out.loc["empty", "council_id"] is None


def test_needs_a_crs():
    pts = gpd.GeoDataFrame({"id": ["x"]}, geometry=[CASES["in_a"]])
    with pytest.raises(ValueError):
        assign_councils(pts, councils_gdf())


def hand_layers() -> Layers:
    venues = points_gdf(
        {
            "V-1": Point(X0 + 100, Y0 + 100),
            "V-2": Point(X0 + 900, Y0 + 900),
            "V-3": Point(X0 + 1500, Y0 + 500),
            "V-4": Point(X0 - 20, Y0 + 500),  # flagged nearest -> JV-A
            "V-5": Point(X0 - 5000, Y0),  # no council
        },
        category=["library", "library", "plaza", "school", "museum"],
    ).to_crs(WEB_CRS)
    blocks = gpd.GeoDataFrame(
        {"id": ["MZ-1", "MZ-2", "MZ-3", "MZ-4"], "residents": [100, 200, 300, 400]},
        geometry=[
            box(X0 + 10, Y0 + 10, X0 + 150, Y0 + 150),
            box(X0 + 1100, Y0 + 100, X0 + 1250, Y0 + 250),
            box(X0 + 1300, Y0 + 1300, X0 + 1450, Y0 + 1450),
            box(X0 + 950, Y0 + 600, X0 + 1250, Y0 + 700),  # straddles: most of it in B
        ],
        crs=METRIC_CRS,
    ).to_crs(WEB_CRS)
    workshops = points_gdf({"T-1": Point(X0 + 1400, Y0 + 800)}).to_crs(WEB_CRS)
    return Layers(
        councils=councils_gdf(population=(1234, None)),
        venues=venues,
        workshops=workshops,
        population=blocks,
    )


def test_council_summary_on_hand_made_layers():
    summary = council_summary(hand_layers(), tolerance_m=50).set_index("id")
    assert summary.crs == WEB_CRS
    assert summary.loc["JV-A", "venues_library"] == 2
    assert summary.loc["JV-A", "venues_school"] == 1
    assert summary.loc["JV-A", "venues_flagged_nearest"] == 1
    assert summary.loc["JV-B", "venues_plaza"] == 1
    assert summary.loc["JV-A", "venues_total"] == 3 and summary.loc["JV-B", "venues_total"] == 1
    assert summary["venues_museum"].sum() == 0  # the only museum is 5 km away
    for category in CATEGORIES:
        assert f"venues_{category}" in summary.columns
    assert summary.attrs["unassigned_venues"] == ["V-5"]
    # Population: A has its own figure; B has none, so its blocks are summed.
    assert summary.loc["JV-A", "population"] == 1234
    assert summary.loc["JV-A", "population_source"] == "council"
    assert summary.loc["JV-A", "residents_blocks"] == 100
    assert summary.loc["JV-B", "population"] == 200 + 300 + 400
    assert summary.loc["JV-B", "population_source"] == "blocks"
    assert summary.loc["JV-B", "workshops_hosted"] == 1
    # Area by hand: 1000 m x 1000 m and 1000 m x 1500 m.
    assert summary.loc["JV-A", "area_km2"] == pytest.approx(1.0, rel=1e-6)
    assert summary.loc["JV-B", "area_km2"] == pytest.approx(1.5, rel=1e-6)


@pytest.fixture(scope="module")
def fixture_set() -> Layers:
    return load_all(FIXTURE_DATA_DIR)


def test_council_summary_on_fixture_data(fixture_set):
    summary = council_summary(fixture_set)
    assert summary["id"].tolist() == fixture_set.councils["id"].tolist()
    assert int(summary["venues_total"].sum()) == len(fixture_set.venues)
    assert summary.attrs["unassigned_venues"] == []
    by_category = fixture_set.venues["category"].value_counts()
    for category in CATEGORIES:
        assert int(summary[f"venues_{category}"].sum()) == int(by_category.get(category, 0))
    residents = int(fixture_set.population["residents"].sum())
    assert int(summary["residents_blocks"].sum()) == residents
    assert int(summary["population"].sum()) == int(fixture_set.councils["population"].sum())
    union_km2 = fixture_set.councils.to_crs(METRIC_CRS).union_all().area / 1e6
    assert summary["area_km2"].sum() == pytest.approx(union_km2, rel=1e-4)
    assert (summary["area_km2"] > 0).all()
    assert int(summary["workshops_hosted"].sum()) == len(fixture_set.workshops)


def test_council_summary_uses_the_given_tolerance_for_venues_and_none_for_blocks():
    """With 10 m instead of 50 m, V-4 and a workshop 20 m west of A belong to no council;
    a block whose point lies 0.5 m outside A is A's under no tolerance (blocks never snap).
    Counts are whole numbers (int64); the notes say what was left out and with which
    tolerance; areas are exact to the square metre."""
    layers = hand_layers()
    workshops = points_gdf({"T-1": Point(X0 + 1400, Y0 + 800),
                            "T-2": Point(X0 - 20, Y0 + 300)}).to_crs(WEB_CRS)
    sliver = gpd.GeoDataFrame({"id": ["MZ-5"], "residents": [7]},
                              geometry=[box(X0 - 1.0, Y0 + 400, X0, Y0 + 420)],
                              crs=METRIC_CRS).to_crs(WEB_CRS)
    layers = Layers(councils=layers.councils, venues=layers.venues, workshops=workshops,
                    population=pd.concat([layers.population, sliver], ignore_index=True))
    summary = council_summary(layers, tolerance_m=10).set_index("id")
    assert summary.attrs["unassigned_venues"] == ["V-4", "V-5"]
    assert summary.attrs["unassigned_blocks"] == ["MZ-5"]
    assert summary.attrs["tolerance_m"] == 10
    assert summary.loc["JV-A", "venues_school"] == 0
    assert summary["venues_flagged_nearest"].tolist() == [0, 0]
    assert summary["workshops_hosted"].tolist() == [0, 1]
    assert summary["residents_blocks"].tolist() == [100, 900]
    for column in ("venues_total", "venues_library", "venues_flagged_nearest",
                   "workshops_hosted", "population", "residents_blocks"):
        assert summary[column].dtype == "int64", column
    assert summary["area_km2"].tolist() == pytest.approx([1.0, 1.5], rel=1e-9)


def test_assign_councils_limits_messages_and_the_callers_index():
    """A point exactly `tolerance_m` from A is A's (flagged nearest, 50 m); 50 m is the
    limit, so 0 m is a valid tolerance and -1 m is refused; a layer without a CRS on
    either side is refused by name. The answer keeps the caller's row labels and the
    distance to the nearest council even beyond the tolerance (an empty point has none)."""
    import math

    metric = councils_gdf(crs=METRIC_CRS)
    pts = points_gdf({"edge": Point(X0 - 50, Y0 + 500), "beyond": Point(X0 - 50.5, Y0 + 500),
                      "inside": Point(X0 + 500, Y0 + 500), "empty": Point()})
    pts.index = ["p", "q", "r", "s"]
    out = assign_councils(pts, metric, tolerance_m=50)
    assert out.index.tolist() == ["p", "q", "r", "s"]
    assert out["council_id"].tolist() == ["JV-A", None, "JV-A", None]
    assert out["council_match"].tolist() == [NEAREST, None, WITHIN, None]
    assert out.loc["p", "council_dist_m"] == pytest.approx(50)
    assert out.loc["q", "council_dist_m"] == pytest.approx(50.5)
    assert math.isnan(out.loc["s", "council_dist_m"])
    assert assign_councils(pts, metric, tolerance_m=0)["council_id"].tolist() == [
        None, None, "JV-A", None]
    with pytest.raises(ValueError, match=r"^tolerance_m must be >= 0$"):
        assign_councils(pts, metric, tolerance_m=-1)
    naive = gpd.GeoDataFrame({"id": ["x"]}, geometry=[CASES["in_a"]])
    for points, councils in ((naive, metric), (pts, metric.set_crs(None, allow_override=True))):
        with pytest.raises(ValueError, match=r"^assign_councils needs layers with a CRS"):
            assign_councils(points, councils)


def test_a_point_inside_a_councils_bounding_box_but_outside_it_is_not_its():
    """Units are not rectangles: a triangle listed first whose bounding box covers a point
    that lies in the next unit must not take it (the polygon decides, not its box)."""
    triangle = Polygon([(X0, Y0), (X0 + 1000, Y0), (X0, Y0 + 1000)])  # the south-west half
    north_east = Polygon([(X0 + 1000, Y0), (X0 + 1000, Y0 + 1000), (X0, Y0 + 1000)])
    councils = gpd.GeoDataFrame({"id": ["JV-T", "JV-N"]}, geometry=[triangle, north_east],
                                crs=METRIC_CRS)
    pts = points_gdf({"ne": Point(X0 + 800, Y0 + 800), "sw": Point(X0 + 200, Y0 + 200)})
    out = assign_councils(pts, councils).set_index("id")
    assert out.loc["ne", "council_id"] == "JV-N" and out.loc["sw", "council_id"] == "JV-T"
    assert out["council_match"].tolist() == [WITHIN, WITHIN]


def test_a_point_equally_near_two_councils_goes_to_the_first_in_file_order():
    """20 m south of the corner A and B share, both are exactly 20 m away: the tie goes to
    the first council in the file, as on a border, whatever order the councils' file has."""
    corner = points_gdf({"tie": Point(X0 + 1000, Y0 - 20)})
    metric = councils_gdf(crs=METRIC_CRS)
    out = assign_councils(corner, metric, tolerance_m=50)
    assert out["council_id"].tolist() == ["JV-A"]
    assert out["council_match"].tolist() == [NEAREST]
    assert out["council_dist_m"].tolist() == pytest.approx([20.0])
    reversed_file = metric.iloc[::-1].reset_index(drop=True)
    assert assign_councils(corner, reversed_file, tolerance_m=50)["council_id"].tolist() == [
        "JV-B"]


def test_missing_values_in_other_columns_do_not_drop_venues_or_blocks():
    """A venue without an address, a workshop without its attendance and a block without a
    socio-economic group still count: only a missing council leaves a row out of the sums."""
    layers = hand_layers()
    venues = layers.venues.assign(address=[None, "Calle 1", None, None, None])
    blocks = layers.population.assign(gse=["C2", None, None, "D"])
    workshops = layers.workshops.assign(attendance=[None])
    summary = council_summary(Layers(councils=layers.councils, venues=venues,
                                     workshops=workshops, population=blocks),
                              tolerance_m=50).set_index("id")
    assert summary["workshops_hosted"].tolist() == [0, 1]  # T-1 has no attendance figure
    assert summary.loc["JV-A", "venues_library"] == 2  # V-1 has no address
    assert summary.loc["JV-B", "venues_plaza"] == 1  # V-3 has no address
    assert summary["venues_total"].tolist() == [3, 1]
    assert summary["residents_blocks"].tolist() == [100, 900]  # MZ-2, MZ-3 have no group


def test_a_unit_without_blocks_or_its_own_population_has_zero_residents():
    """A third unit, far from every block and venue, with no population figure: 0 residents
    counted from blocks (said so), no venues, its own area."""
    layers = hand_layers()
    far = gpd.GeoDataFrame({"id": ["JV-C"], "name": ["C"], "code": ["UV-C"],
                            "sector": ["test"], "population": pd.array([None], dtype="Int64"),
                            "source": ["test"]},
                           geometry=[box(X0 + 3000, Y0, X0 + 3500, Y0 + 400)],
                           crs=METRIC_CRS).to_crs(WEB_CRS)
    councils = pd.concat([layers.councils, far], ignore_index=True)
    summary = council_summary(Layers(councils=councils, venues=layers.venues,
                                     workshops=layers.workshops, population=layers.population),
                              tolerance_m=50).set_index("id")
    assert summary.loc["JV-C", "population"] == 0
    assert summary.loc["JV-C", "population_source"] == "blocks"
    assert summary.loc["JV-C", "residents_blocks"] == 0
    assert summary.loc["JV-C", "venues_total"] == 0 and summary.loc["JV-C",
                                                                      "workshops_hosted"] == 0
    assert summary.loc["JV-C", "area_km2"] == pytest.approx(0.2, rel=1e-6)
    assert summary["population"].tolist() == [1234, 900, 0]
