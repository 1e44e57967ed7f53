"""The second territory level (municipal sectors) and the focus area, on the fixture.

Oracles are independent of geo.access' aggregation: sector membership by a geopandas
spatial join of the blocks' representative points, figures by pandas group sums over the
per-block table.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest

from geo import METRIC_CRS
from geo.errors import ConfigError
from geo.layers import load_all, sector_id, sectors_from_councils
from geo.settings import Settings, load_settings
from geo.study import Study
from tests.support.data import FIXTURE_DATA_DIR


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Study:
    cache = tmp_path_factory.mktemp("cache")
    return Study(Settings(data_dir=FIXTURE_DATA_DIR, cache_dir=cache))


def test_fixture_loads_two_sectors_and_four_age_zones(fixture_layers):
    assert list(fixture_layers.sectors["name"]) == ["Parte Alta", "Sindempart"]
    assert list(fixture_layers.sectors["id"]) == ["parte-alta", "sindempart"]
    zones = fixture_layers.zones
    assert len(zones) == 4
    ages = zones["age_0_14"] + zones["age_15_64"] + zones["age_65_plus"]
    assert (ages == zones["population_2017"]).all()


def test_every_block_is_in_the_sector_that_contains_it(study):
    sectors = study.layers.sectors.to_crs(METRIC_CRS)
    blocks = study.layers.population.to_crs(METRIC_CRS)
    points = blocks.assign(geometry=blocks.representative_point())[["id", "geometry"]]
    joined = gpd.sjoin(points, sectors[["id", "geometry"]], predicate="within",
                       rsuffix="sector")
    expected = dict(zip(joined["id_left"], joined["id_sector"], strict=True))
    demand = study.access.demand
    assert len(expected) == len(demand)  # the two fixture sectors tile the councils
    assert dict(zip(demand["id"], demand["sector_id"], strict=True)) == expected


def test_sector_figures_are_the_residents_weighted_figures_of_their_blocks(study):
    demand = study.access.demand
    sectors = study.access.sectors.set_index("id")
    for sid, blocks in demand.groupby("sector_id"):
        residents = blocks["residents"].to_numpy(dtype=float)
        times = blocks["time_min"].to_numpy(dtype=float)
        assert sectors.loc[sid, "residents"] == int(residents.sum())
        within = residents[times <= 15.0].sum() / residents.sum()
        assert sectors.loc[sid, "share_within_15min"] == pytest.approx(within)
        reach = np.isfinite(times)
        mean = np.dot(times[reach], residents[reach]) / residents[reach].sum()
        assert sectors.loc[sid, "mean_time_min"] == pytest.approx(mean)
    assert sorted(sectors["gap_rank"]) == [1, 2]
    assert sectors["residents"].sum() + study.access.area["residents_without_sector"] == (
        study.access.area["residents"])


def test_sector_residents_match_the_sector_layer(study):
    """The fixture writes each sector's residents by its own point-in-polygon sum."""
    layer = study.layers.sectors.set_index("id")["residents"]
    computed = study.access.sectors.set_index("id")["residents"]
    assert computed.to_dict() == {k: int(v) for k, v in layer.items()}


def test_default_focus_is_parte_alta_and_equals_its_sector(study):
    focus = study.access.focus
    row = study.access.sectors.set_index("id").loc["parte-alta"]
    assert focus["sectors"] == ["parte-alta"]
    assert focus["name"] == "Parte Alta"
    for key in ("residents", "share_within_15min", "mean_time_min", "p90_time_min",
                "sfca_score", "venues_total"):
        assert focus[key] == pytest.approx(row[key]), key


def test_focus_of_every_sector_equals_the_whole_area(study):
    both = study.with_settings(focus_sectors=("sindempart", "PARTE ALTA")).access
    assert both.focus["name"] == "Sindempart y Parte Alta"
    area = both.area
    assert both.focus["residents"] == area["residents"]
    assert both.focus["share_within_15min"] == pytest.approx(area["share_within_15min"])
    assert both.focus["mean_time_min"] == pytest.approx(area["mean_time_min"])


def test_empty_focus_means_no_focus(study):
    assert study.with_settings(focus_sectors=()).access.focus is None


def test_an_unknown_focus_sector_is_refused_with_the_known_names(study):
    with pytest.raises(ConfigError, match=r"Parte Alto.*known sectors: Parte Alta, Sindempart"):
        study.with_settings(focus_sectors=("Parte Alto",)).access  # noqa: B018


def test_focus_setting_from_the_environment_splits_on_commas():
    settings = load_settings(environ={"CULTURAMAP_FOCUS_SECTORS": "Parte Alta, San Juan,,"})
    assert settings.focus_sectors == ("Parte Alta", "San Juan")
    assert load_settings(environ={"CULTURAMAP_FOCUS_SECTORS": ""}).focus_sectors == ()


def test_sector_ids_ignore_case_accents_and_spacing():
    assert sector_id("Peñuelas Oriente") == "penuelas-oriente"
    assert sector_id("  GUAYACÁN ") == "guayacan"


def test_without_a_sectors_file_sectors_are_the_councils_dissolved(fixture_copy):
    (fixture_copy / "boundaries" / "sectors.geojson").unlink()
    layers = load_all(fixture_copy)
    assert list(layers.sectors["name"]) == ["Parte Alta (demo)"]
    union = layers.councils.to_crs(METRIC_CRS).union_all()
    assert layers.sectors.to_crs(METRIC_CRS).geometry.iloc[0].symmetric_difference(
        union).area < 1.0
    no_column = sectors_from_councils(layers.councils.drop(columns="sector"))
    assert len(no_column) == 0
