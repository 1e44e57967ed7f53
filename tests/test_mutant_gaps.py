"""Gaps that surviving mutants showed (make mutation; README, "Pruebas de mutación"):
settings that must reach the analysis, and error messages that must name the input.
Expected values are written out by hand."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from geo.access import AccessParams
from geo.settings import Settings
from geo.siting import SitingError, suggest_sites
from tests.support import line_world as world


def test_every_analysis_setting_reaches_the_parameters(tmp_path):
    settings = Settings(data_dir=tmp_path, cache_dir=tmp_path, walking_speed_kmh=3.6,
                        threshold_min=12.5, thresholds_min=(7.0, 25.0),
                        sfca_catchment_min=9.0, categories=("museum",))
    params = AccessParams.from_settings(settings)
    assert params.walking_speed_kmh == 3.6
    assert params.threshold_min == 12.5
    assert params.thresholds_min == (7.0, 25.0)
    assert params.sfca_catchment_min == 9.0
    assert params.categories == ("museum",)
    assert params.all_thresholds == (7.0, 12.5, 25.0)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("walking_speed_kmh", 0, "walking speed must be a positive walking speed in km/h"),
    ("threshold_min", -5, "threshold must be a positive number of minutes"),
    ("sfca_catchment_min", 0, "catchment must be a positive number of minutes"),
    ("categories", ("cine",), "categories names unknown venue categories ['cine']"),
    ("thresholds_min", (10, 0), "thresholds must be a positive number of minutes"),
])
def test_each_bad_analysis_parameter_is_named_the_way_people_call_it(field, value, message):
    from geo.access import AccessError

    with pytest.raises(AccessError) as info:
        AccessParams(**{field: value})
    assert str(info.value).startswith(message), str(info.value)
    assert str(info.value).endswith(f", got {value!r}")


def test_venues_the_analysis_cannot_use_are_named():
    """An unknown category names the first such venue, its row and the known categories; a
    venue that is not a point is refused."""
    import geopandas as gpd
    from shapely.geometry import LineString

    from geo.access import AccessError, analyse
    from geo.schema import category_ids
    from tests.support.network import direct_network, make_layers, walking

    net = direct_network({1: (0.0, 0.0), 2: (750.0, 0.0)}, [(1, 2)])
    layers = make_layers(councils=[("JV-1", (-50.0, -50.0, 800.0, 50.0))],
                         venues=[("V-1", "library", 0.0, 0.0), ("V-2", "cine", 10.0, 0.0),
                                 ("V-3", "bar", 20.0, 0.0)],
                         blocks=[("B-1", 5, 300.0, 0.0)])
    with pytest.raises(AccessError) as info:
        analyse(layers, AccessParams(), walking(net))
    assert str(info.value) == (
        "venues: venue V-2 (row 2) has unknown category 'cine'; expected one of "
        f"{', '.join(category_ids())}")
    venues = layers.venues.iloc[:1].copy()
    line = gpd.GeoSeries([LineString([(0, 0), (1, 1)])], crs="EPSG:32719").to_crs(venues.crs)
    venues = gpd.GeoDataFrame(pd.concat([venues, venues.assign(id="V-L", geometry=line.values)],
                                        ignore_index=True), crs=venues.crs)
    with pytest.raises(AccessError) as info:
        analyse(dataclasses.replace(layers, venues=venues), AccessParams(), walking(net))
    assert str(info.value) == "venues: every venue must be a Point"


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return world.study(tmp_path_factory.mktemp("gaps"))


def test_no_default_candidates_says_which_categories_to_count(study):
    """Counting every category leaves no hall or school to suggest: the message lists the
    host categories and the offerings to count instead."""
    every = dataclasses.replace(study.access, params=dataclasses.replace(
        study.access.params, categories=None))
    with pytest.raises(SitingError) as info:
        suggest_sites(every, study.layers, study.travel, k=1)
    message = str(info.value)
    assert "(community_hall, school, other) already counts as a cultural offering" in message
    assert "for example library,cultural_centre,theatre,museum) or give candidate sites" in message


def test_a_default_candidate_outside_coquimbo_is_named_as_a_venue(study):
    layers = world.layers()
    venues = layers.venues.copy()
    far = venues["id"] == "H-FAR"
    venues.loc[far, "geometry"] = venues.loc[far, "geometry"].translate(xoff=5.0)  # degrees
    broken = dataclasses.replace(layers, venues=venues)
    with pytest.raises(SitingError, match=r"^venues: row 4 \(.*\) lies outside Coquimbo"):
        suggest_sites(study.access, broken, study.travel, k=1)


def test_2sfca_with_capacities_shares_each_venue_by_its_supply(study):
    """Supply S_j (e.g. seats): R_j = S_j / residents within reach. Library S = 3 reaches
    blocks 374..1,125 (180 residents); museum S = 2 reaches 2,875 and 5,125 (152)."""
    import numpy as np

    from geo.access import points_xy, sfca_scores

    travel = study.travel
    demand = study.access.demand
    offer = study.layers.venues[study.layers.venues["id"].isin(["V-LIB", "V-MUS"])]
    scores, ratio = sfca_scores(travel, travel.snap(points_xy(demand)),
                                demand["residents"].to_numpy(dtype=float),
                                travel.snap(points_xy(offer)), 15.0, supply=[3, 2])
    assert ratio.tolist() == pytest.approx([3 / 180, 2 / 152])
    got = dict(zip(demand["id"], scores, strict=True))
    assert got["B-1125"] == pytest.approx(10_000 * 3 / 180)
    assert got["B-5125"] == pytest.approx(10_000 * 2 / 152)
    assert got["B-1126"] == 0
    assert np.isclose(sum(got.values()), 10_000 * (8 * 3 / 180 + 2 * 2 / 152))


def test_sites_k_that_is_not_a_number_names_the_range(tmp_path):
    from tests.support.data import FIXTURE_DATA_DIR
    from tests.support.web import app_for

    client = app_for(FIXTURE_DATA_DIR, tmp_path / "cache").test_client()
    body = client.get("/api/sites?k=many&lang=en").get_json()
    assert body["error"] == "invalid_sites_k"
    assert "from 1 to 10 (got 'many')" in body["detail"]


@pytest.mark.parametrize("cells", [20_000_000, 20, 1])
def test_2sfca_in_blocks_of_venues_equals_the_hand_figures(study, monkeypatch, cells):
    """sfca_scores works through the venues in blocks (bounded memory on large data); with
    blocks of one venue (cells = 20 demand points) the scores are the same hand figures."""
    import geo.access
    from geo.access import points_xy, sfca_scores

    monkeypatch.setattr(geo.access, "SFCA_BLOCK_CELLS", cells)
    travel, demand = study.travel, study.access.demand
    offer = study.layers.venues[study.layers.venues["id"].isin(["V-LIB", "V-MUS"])]
    scores, ratio = sfca_scores(travel, travel.snap(points_xy(demand)),
                                demand["residents"].to_numpy(dtype=float),
                                travel.snap(points_xy(offer)), 15.0)
    assert ratio.tolist() == pytest.approx([1 / 180, 1 / 152])
    got = dict(zip(demand["id"], scores, strict=True))
    assert got["B-0374"] == pytest.approx(10_000 / 180)
    assert got["B-2875"] == pytest.approx(10_000 / 152)
    assert got["B-5900"] == 0


def test_2sfca_venue_reached_by_one_resident_or_by_nobody(study):
    """R_j = 1 / 1 for a venue that one resident reaches; R_j = 0 (not garbage) for one
    nobody reaches. Residents given as ones on B-0374 only; catchment 5 min (375 m)."""
    import numpy as np

    from geo.access import points_xy, sfca_scores

    travel, demand = study.travel, study.access.demand
    residents = np.where(demand["id"] == "B-0374", 1.0, 0.0)
    offer = study.layers.venues[study.layers.venues["id"].isin(["V-LIB", "V-MUS"])]
    scores, ratio = sfca_scores(travel, travel.snap(points_xy(demand)), residents,
                                travel.snap(points_xy(offer)), 5.0)
    assert ratio.tolist() == [1.0, 0.0]
    got = dict(zip(demand["id"], scores, strict=True))
    assert got["B-0374"] == got["B-0375"] == 10_000  # both within 375 m of the library
    assert got["B-0376"] == 0


def test_a_council_without_residents_has_no_shares_and_ranks_last(tmp_path):
    """A council with no block: 0 residents, shares and mean missing (not a crash on 0/0),
    nobody unreachable, and the last gap rank."""
    import math

    import pandas as pd

    from geo.access import analyse
    from tests.support.network import make_layers

    base = world.layers()
    empty = make_layers(councils=[("JV-D", (6100.0, -100.0, 7000.0, 100.0))], venues=[],
                        blocks=[])
    councils = pd.concat([base.councils, empty.councils], ignore_index=True)
    layers = dataclasses.replace(base, councils=councils)
    result = analyse(layers, AccessParams(), world.travel())
    row = result.councils.set_index("id").loc["JV-D"]
    assert row["residents"] == 0 and row["unreachable_residents"] == 0
    assert math.isnan(row["share_within_15min"]) and math.isnan(row["mean_time_min"])
    assert row["gap_rank"] == 4
    other = result.councils.set_index("id").loc["JV-B"]
    assert other["unreachable_residents"] == 0 and other["residents"] == 439


def test_one_resident_is_enough_for_figures_and_ranks_are_whole_numbers():
    """A council of a single resident 100 m from the library: share 1, mean 100/75 min."""
    from geo.access import analyse
    from tests.support.network import make_layers

    layers = make_layers(councils=[("JV-1", (-50.0, -50.0, 500.0, 50.0)),
                                   ("JV-2", (500.0, -50.0, 1000.0, 50.0))],
                         venues=[("V-1", "library", 0.0, 0.0)],
                         blocks=[("B-1", 1, 100.0, 0.0), ("B-2", 7, 600.0, 0.0)])
    result = analyse(layers, AccessParams(), world.travel())
    one = result.councils.set_index("id").loc["JV-1"]
    assert one["residents"] == 1 and one["share_within_15min"] == 1.0
    assert one["mean_time_min"] == pytest.approx(100 / 75)
    assert result.councils["gap_rank"].dtype.kind == "i"
    assert sorted(result.councils["gap_rank"]) == [1, 2]


def test_venue_counts_per_council_and_category(tmp_path):
    """Counted by hand from the line world, plus a hall outside every council that no
    council may count; venues per 10,000 residents; none for a council without residents."""
    import math

    import pandas as pd

    from geo.access import analyse
    from tests.support.network import make_layers

    base = world.layers()
    extra = make_layers(councils=[("JV-D", (6100.0, -100.0, 7000.0, 100.0))],
                        venues=[("H-OUTSIDE", "community_hall", -500.0, 0.0)], blocks=[])
    layers = dataclasses.replace(
        base, councils=pd.concat([base.councils, extra.councils], ignore_index=True),
        venues=pd.concat([base.venues, extra.venues], ignore_index=True))
    result = analyse(layers, AccessParams(), world.travel())
    c = result.councils.set_index("id")
    assert (c.loc["JV-A", "venues_library"], c.loc["JV-A", "venues_community_hall"]) == (1, 0)
    assert c.loc["JV-C", "venues_museum"] == 1 and c.loc["JV-C", "venues_school"] == 1
    assert c.loc["JV-C", "venues_community_hall"] == 3  # H-IN, H-OUT, H-NEAR; not H-OUTSIDE
    assert c["venues_community_hall"].sum() == 3
    assert c["venues_total"].tolist() == [1, 0, 1, 0]  # offerings only
    assert c.loc["JV-A", "venues_per_10k"] == pytest.approx(1 / 112 * 10_000)
    assert c.loc["JV-B", "venues_per_10k"] == 0
    assert math.isnan(c.loc["JV-D", "venues_per_10k"])
    assert result.area["venues_community_hall"] == 3


def test_a_council_cut_off_from_every_offering(tmp_path):
    """Two separate streets: JV-FAR's 9 residents can reach no library; they are all
    unreachable, never within reach, and out of the mean (None, not a crash)."""
    import math

    from geo.access import analyse
    from tests.support.network import direct_network, make_layers, walking

    net = direct_network({1: (0.0, 0.0), 2: (750.0, 0.0), 3: (3000.0, 0.0), 4: (3750.0, 0.0)},
                         [(1, 2), (3, 4)])
    layers = make_layers(councils=[("JV-NEAR", (-50.0, -50.0, 1000.0, 50.0)),
                                   ("JV-FAR", (2900.0, -50.0, 4000.0, 50.0))],
                         venues=[("V-1", "library", 0.0, 0.0)],
                         blocks=[("B-1", 5, 300.0, 0.0), ("B-2", 9, 3300.0, 0.0)])
    result = analyse(layers, AccessParams(), walking(net))
    far = result.councils.set_index("id").loc["JV-FAR"]
    assert far["residents"] == 9 and far["unreachable_residents"] == 9
    assert far["share_within_15min"] == 0 and math.isnan(far["mean_time_min"])
    assert result.area["unreachable_residents"] == 9
    assert result.area["mean_time_min"] == pytest.approx(300 / 75)
    # the area's own notes: default id, boxes of 1,050 m and 1,100 m by 100 m, nothing left out
    assert result.area["id"] == "parte_alta"
    assert result.area["area_km2"] == pytest.approx(0.105 + 0.110, rel=1e-9)
    assert result.councils.set_index("id")["area_km2"].tolist() == pytest.approx(
        [0.105, 0.110], rel=1e-9)  # square metres / 1,000,000, exactly
    # block counts are whole people: the area's figures are ints, not 14.0
    for key in ("residents", "unreachable_residents"):
        assert type(result.area[key]) is int, key
    assert (result.area["residents"], result.area["unreachable_residents"]) == (14, 9)
    assert result.area["venues_outside_councils"] == 0
    assert result.area["residents_without_sector"] == 0
    points = result.demand.set_index("id")
    assert points.loc["B-1", "nearest_venue_name"] == "Lugar V-1"  # the first venue: index 0
    assert points.loc["B-1", "dist_m"] == pytest.approx(300)
    assert math.isnan(points.loc["B-2", "dist_m"]) and math.isnan(points.loc["B-2", "time_min"])
    assert points["sector_id"].tolist() == ["test", "test"]


def test_the_demand_layer_marks_the_threshold_resident_within_and_keeps_its_columns(study):
    """The per-block layer people download: B-1125 walks exactly 15 min to the library and
    is within, B-1126 (1 m farther) is not; whole residents stay whole (int64) in the
    units' table; the units keep their municipal sector; the columns come in this order."""
    demand = study.access.demand.set_index("id")
    assert demand.loc["B-1125", "time_min"] == pytest.approx(15.0)
    assert bool(demand.loc["B-1125", "within_threshold"]) is True
    assert bool(demand.loc["B-1126", "within_threshold"]) is False
    assert bool(demand.loc["B-1124", "within_threshold"]) is True
    assert list(study.access.demand.columns[:11]) == [
        "id", "council_id", "sector_id", "residents", "nearest_venue_id",
        "nearest_venue_name", "dist_m", "time_min", "snap_m", "within_threshold",
        "time_min_library"]
    councils = study.access.councils
    assert councils["residents"].dtype == "int64"
    assert councils["unreachable_residents"].dtype == "int64"
    assert list(councils.columns[:3]) == ["id", "name", "sector"]
    assert councils["sector"].tolist() == ["test", "test", "test"]


def test_an_analysis_without_people_or_counted_venues_says_which(tmp_path):
    """No blocks and no units: nothing to measure; venues but none of the counted
    categories: the message lists the categories counted."""
    from geo.access import AccessError, analyse
    from geo.demand import DemandError
    from tests.support.network import direct_network, make_layers, walking

    net = direct_network({1: (0.0, 0.0), 2: (750.0, 0.0)}, [(1, 2)])
    empty = make_layers(councils=[], venues=[("V-1", "library", 0.0, 0.0)], blocks=[])
    with pytest.raises(DemandError) as info:
        analyse(empty, AccessParams(), walking(net))
    assert str(info.value) == "councils: no council polygon to place demand points in"
    schools = make_layers(councils=[("JV-1", (-50.0, -50.0, 800.0, 50.0))],
                          venues=[("V-1", "school", 0.0, 0.0)],
                          blocks=[("B-1", 5, 300.0, 0.0)])
    with pytest.raises(AccessError) as info:
        analyse(schools, AccessParams(categories=("library", "museum")), walking(net))
    assert str(info.value) == "venues: no venue of the chosen categories (library, museum)"


def test_without_blocks_each_council_gets_a_grid_of_demand_points():
    """No census blocks: points every 250 m, starting half a step in from the council's
    south-west corner (1,000 x 500 m gives 4 x 2 points), each weighing the council's
    population shared among them, or 1 when it has none; a council with a single grid point
    keeps it; one too small for any gets its representative point."""
    import geopandas as gpd
    from shapely.geometry import box

    from geo import METRIC_CRS
    from geo.demand import grid_points

    x0, y0 = 275_000.0, 6_680_000.0
    councils = gpd.GeoDataFrame(
        {"id": ["JV-1", "JV-2", "JV-3"], "population": pd.array([800, None, 10], dtype="Int64")},
        geometry=[box(x0, y0, x0 + 1000, y0 + 500), box(x0 + 2000, y0, x0 + 2300, y0 + 200),
                  box(x0 + 3000, y0, x0 + 3100, y0 + 60)], crs=METRIC_CRS)
    grid = grid_points(councils, spacing_m=250.0)
    one = grid[grid["council_id"] == "JV-1"]
    assert one["id"].tolist() == [f"JV-1-G{k:04d}" for k in range(1, 9)]
    assert sorted(zip(one.geometry.x - x0, one.geometry.y - y0, strict=True)) == [
        (x, y) for x in (125.0, 375.0, 625.0, 875.0) for y in (125.0, 375.0)]
    assert one["residents"].tolist() == [100.0] * 8
    two = grid[grid["council_id"] == "JV-2"]
    assert two["id"].tolist() == ["JV-2-G0001"] and two["residents"].tolist() == [1.0]
    assert (two.geometry.x.iloc[0] - x0, two.geometry.y.iloc[0] - y0) == (2125.0, 125.0)
    three = grid[grid["council_id"] == "JV-3"]
    assert three["residents"].tolist() == [10.0]
    assert three.geometry.iloc[0].within(councils.geometry.iloc[2])
    assert grid.crs == METRIC_CRS


def test_blocks_need_a_count_of_zero_or_more_and_a_council_within_250_m():
    """Residents: 0 is a count, -1 or text are refused naming the block and its row
    (counted from 1); a block point 250 m outside every council joins the nearest, one
    farther out is refused, naming how many and which."""
    import dataclasses

    from geo.demand import COUNCIL_SNAP_M, DemandError, demand_points
    from tests.support.network import make_layers

    assert COUNCIL_SNAP_M == 250.0
    layers = make_layers(councils=[("JV-1", (0.0, -50.0, 800.0, 50.0))], venues=[],
                         blocks=[("B-1", 0, 300.0, 0.0), ("B-2", 9, 600.0, 0.0),
                                 ("B-3", 4, -250.0, 0.0)])
    points = demand_points(layers)
    assert points["residents"].tolist() == [0, 9, 4]
    assert points["council_id"].tolist() == ["JV-1"] * 3
    assert list(points.columns) == ["id", "council_id", "residents", "geometry"]
    for bad in (-1, "muchos"):
        population = layers.population.copy()
        population["residents"] = population["residents"].astype(object)
        population.loc[1, "residents"] = bad
        with pytest.raises(DemandError) as info:
            demand_points(dataclasses.replace(layers, population=population))
        assert str(info.value) == ("population: block B-2 (row 2) has no valid non-negative "
                                   "residents count")
    far = make_layers(councils=[("JV-1", (0.0, -50.0, 800.0, 50.0))], venues=[],
                      blocks=[("B-1", 5, 300.0, 0.0), ("B-8", 1, -260.0, 0.0),
                              ("B-9", 2, 1100.0, 0.0)])
    with pytest.raises(DemandError) as info:
        demand_points(far)
    assert str(info.value) == ("population: 2 block(s) lie more than 250 m outside every "
                               "council: B-8, B-9")


def test_a_block_snaps_to_a_sector_up_to_250_m_away():
    """Sectors are drawn more coarsely than units: a block point outside every sector joins
    the nearest within 250 m (exactly 250 m included), never one farther out."""
    import geopandas as gpd
    from shapely.geometry import Point, box

    from geo import METRIC_CRS
    from geo.access import SECTOR_SNAP_M, sector_of

    assert SECTOR_SNAP_M == 250.0
    x0, y0 = 275_000.0, 6_680_000.0
    sectors = gpd.GeoDataFrame({"id": ["S-1"]}, geometry=[box(x0, y0, x0 + 500, y0 + 500)],
                               crs=METRIC_CRS)
    points = gpd.GeoDataFrame(geometry=[Point(x0 + 100, y0 + 100), Point(x0 - 100, y0 + 100),
                                        Point(x0 - 250, y0 + 100), Point(x0 - 251, y0 + 100)],
                              crs=METRIC_CRS)
    assert sector_of(points, sectors).tolist() == ["S-1", "S-1", "S-1", None]


def test_an_area_without_sectors_counts_everyone_in_no_sector(tmp_path):
    """Councils with no sector column value and no sectors file: no sector level at all;
    the 14 residents and the venue still count in the area and their councils, none in a
    sector (said in the notes, never dropped)."""
    import dataclasses

    from geo.access import analyse, sector_of
    from tests.support.network import direct_network, make_layers, walking

    net = direct_network({1: (0.0, 0.0), 2: (750.0, 0.0)}, [(1, 2)])
    base = make_layers(councils=[("JV-1", (-50.0, -50.0, 800.0, 50.0))],
                       venues=[("V-1", "library", 0.0, 0.0)],
                       blocks=[("B-1", 5, 300.0, 0.0), ("B-2", 9, 600.0, 0.0)])
    councils = base.councils.assign(sector=None)
    layers = dataclasses.replace(base, councils=councils, sectors=None)
    assert len(layers.sectors) == 0
    result = analyse(layers, AccessParams(), walking(net))
    assert len(result.sectors) == 0
    assert result.demand["sector_id"].tolist() == [None, None]
    assert result.area["residents"] == 14 and result.area["residents_without_sector"] == 14
    assert result.councils.set_index("id").loc["JV-1", "residents"] == 14
    assert sector_of(result.demand, layers.sectors).tolist() == [None, None]


def test_an_unknown_territory_level_names_the_levels(study):
    """The figures of a level the analysis does not have: refused, naming both levels."""
    from geo.access import AccessError

    assert study.access.territories("sectors") is study.access.sectors
    with pytest.raises(AccessError) as info:
        study.access.territories("comunas")
    assert str(info.value) == "unknown territory level 'comunas'; choose councils, sectors"


# --- direct cases on the pure figures: a few numbers, expectations worked out by hand -------


def test_venues_per_10k_of_one_resident_and_a_venue_whose_place_is_unknown():
    """One resident is the smallest population that has a rate: 2 offerings / 1 resident
    = 20,000 per 10,000; none for 0 residents. A venue whose place is unknown (missing, not
    False) is not counted in the place."""
    import math

    import numpy as np
    import pandas as pd

    from geo.access import _venue_counts

    venues = pd.DataFrame({"category": ["library", "museum", "school", "library"]})
    in_place = pd.Series([True, True, None, None], dtype=object)
    counted = np.array([True, True, False, True])
    one = _venue_counts(venues, in_place, counted, 1.0)
    assert one["venues_total"] == 2
    assert (one["venues_library"], one["venues_museum"], one["venues_school"]) == (1, 1, 0)
    assert one["venues_per_10k"] == 20_000
    assert math.isnan(_venue_counts(venues, in_place, counted, 0.0)["venues_per_10k"])


def test_a_time_exactly_at_the_matching_tolerance_is_within_the_threshold():
    """Times equal up to MATCH_TOLERANCE_MIN count as equal (a walk of exactly 15 min read
    back from floats): 15 + tolerance is within 15 min, 15 + 3 x tolerance is not.
    Residents 10 and 30: share 10 / 40."""
    import numpy as np

    from geo.access import summarise
    from geo.travel import MATCH_TOLERANCE_MIN

    times = np.array([15.0 + MATCH_TOLERANCE_MIN, 15.0 + 3 * MATCH_TOLERANCE_MIN])
    out = summarise(times, np.array([10.0, 30.0]), np.zeros(2), AccessParams())
    assert out["share_within_15min"] == 0.25
    assert out["share_within_20min"] == 1.0


def test_a_territory_without_residents_has_missing_figures_and_divides_nothing_by_zero():
    """Blocks with 0 residents: every figure is missing (NaN), none is 0/0 (a numpy
    warning is an error here)."""
    import math
    import warnings

    import numpy as np

    from geo.access import summarise

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = summarise(np.array([5.0, np.inf]), np.array([0.0, 0.0]), np.zeros(2),
                        AccessParams())
    assert out["residents"] == 0 and out["unreachable_residents"] == 0
    for key in ("share_within_15min", "mean_time_min", "p90_time_min", "sfca_score"):
        assert math.isnan(out[key]), key


def test_residents_who_reach_no_offering_are_never_averaged():
    """4 + 6 residents, none can reach an offering: all unreachable, share 0, no mean
    (NaN, not 0/0), the 90th percentile infinitely far, 2SFCA 0."""
    import math
    import warnings

    import numpy as np

    from geo.access import summarise

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = summarise(np.array([np.inf, np.nan]), np.array([4.0, 6.0]), np.zeros(2),
                        AccessParams())
    assert out["residents"] == 10 and out["unreachable_residents"] == 10
    assert out["share_within_15min"] == 0
    assert math.isnan(out["mean_time_min"])
    assert out["p90_time_min"] == math.inf
    assert out["sfca_score"] == 0


def test_gap_rank_nobody_reaching_an_offering_is_worse_than_a_long_walk():
    """Same share (0): the council whose residents reach nothing (mean missing) ranks
    before the one with a 30-minute mean; a council without residents (share missing)
    comes last."""
    import pandas as pd

    from geo.access import gap_ranks

    councils = pd.DataFrame({
        "id": ["JV-A", "JV-B", "JV-C", "JV-D"],
        "share_within_15min": [0.0, 0.0, 0.5, float("nan")],
        "mean_time_min": [30.0, float("nan"), 10.0, float("nan")],
    })
    assert gap_ranks(councils, 15.0).tolist() == [2, 1, 3, 4]


def test_site_record_names_an_unknown_council_by_its_id_and_rounds_to_6_decimals():
    """/api/sites rows: a council id without a name shows the id; no councils is an empty
    list (not a council called ''); coordinates to 6 decimals (~0.1 m)."""
    from types import SimpleNamespace

    from shapely.geometry import Point

    from webmap.api_access import site_record

    row = SimpleNamespace(rank=1, candidate_id="H-1", name="Sede", category="community_hall",
                          newly_covered=12, cumulative_covered=12, councils="JV-A;JV-X",
                          geometry=Point(-71.123456789, -29.987654321))
    record = site_record(row, {"JV-A": "Junta A"})
    assert record["councils"] == [{"id": "JV-A", "name": "Junta A"},
                                  {"id": "JV-X", "name": "JV-X"}]
    assert (record["lon"], record["lat"]) == (-71.123457, -29.987654)
    for empty in (None, ""):
        assert site_record(SimpleNamespace(**{**vars(row), "councils": empty}), {})[
            "councils"] == []


def test_focus_and_area_names_in_spanish():
    """'A', 'A y B', 'A, B y C'; a focus name matching no sector is reported as given."""
    import geopandas as gpd

    from geo.access import join_names, resolve_focus

    assert join_names(["Centro"]) == "Centro"
    assert join_names(["Centro", "Norte"]) == "Centro y Norte"
    assert join_names(["Centro", "Norte", "Sur"]) == "Centro, Norte y Sur"
    sectors = gpd.GeoDataFrame({"id": ["S-1", "S-2"], "name": ["Parte Alta", "Centro"]})
    assert resolve_focus(sectors, ["parte alta", "Nowhere", "S-2", "Centro"]) == (
        ["S-1", "S-2"], ["Nowhere"])


def test_plain_values_for_json():
    import numpy as np

    from geo.access import plain_value

    assert plain_value(np.int64(3)) == 3 and type(plain_value(np.int64(3))) is int
    assert plain_value(np.float64(2.5)) == 2.5 and type(plain_value(np.float64(2.5))) is float
    assert plain_value(np.float64("nan")) is None and plain_value(float("inf")) is None
    assert plain_value("JV-A") == "JV-A"


def test_counts_are_whole_people_only_when_they_are():
    from geo.siting import _as_count

    assert _as_count(12.0000004) == 12 and type(_as_count(12.0000004)) is int
    assert _as_count(12.4) == 12.4 and type(_as_count(12.4)) is float


def test_planner_sites_without_ids_get_numbered_and_the_southern_edge_is_inside():
    """No id column: C-001, C-002; a site exactly on the area's southern latitude is in
    Coquimbo; a missing category reads as empty."""
    import geopandas as gpd
    from shapely.geometry import Point

    from geo.schema import COQUIMBO_BOUNDS
    from geo.siting import clean_candidates

    x0, y0, _x1, _y1 = COQUIMBO_BOUNDS
    sites = gpd.GeoDataFrame({"name": ["Sede sur", "Sede"], "category": [None, "school"]},
                             geometry=[Point(-71.3, y0), Point(x0, -29.95)], crs="EPSG:4326")
    out = clean_candidates(sites)
    assert out["candidate_id"].tolist() == ["C-001", "C-002"]
    assert out["category"].tolist() == ["", "school"]
    assert out["name"].tolist() == ["Sede sur", "Sede"]


def test_siting_notes_say_how_many_default_sites_were_off_the_streets(study):
    import math

    from geo.siting import suggest_sites

    sites = suggest_sites(study.access, study.layers, study.travel, k=1)
    assert sites.attrs["candidates_off_network"] == 0
    assert sites.attrs["candidates"] == 4  # H-IN, H-OUT, H-NEAR, H-FAR
    assert (sites.attrs["threshold_min"], sites.attrs["walking_speed_kmh"]) == (15, 4.5)
    assert math.isnan(sites.iloc[0]["capacity"])  # no capacity known: no limit
    # the line world's blocks carry no quintile or GSE class: all newly covered are "without"
    assert sites.attrs["newly_covered"] > 0
    assert (sites.attrs["newly_covered_by_group"]["without_group"]
            == sites.attrs["newly_covered"])
