"""Loaders on the fixture data, load_all as a whole (cross-layer checks, nothing half-loaded)
and the ``culturamap validate`` / ``culturamap layers`` commands."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest
import shapely
from pandas.api.types import is_integer_dtype

from culturamap.cli import main as cli_main
from geo import METRIC_CRS, WEB_CRS
from geo.layer_errors import LayerError
from geo.layers import Layers, layer_path, layer_warnings, load_all, load_layer
from geo.schema import ALL_LAYERS, CATEGORIES, COQUIMBO_BOUNDS, COUNCILS, POPULATION, WORKSHOPS
from geo.validation import split_councils
from tests.support.data import FIXTURE_ARGS, FIXTURE_DATA_DIR
from tests.support.layers import copy_fixture_data, edit_geojson


def raw_features(spec) -> list[dict]:
    return json.loads(layer_path(spec, FIXTURE_DATA_DIR).read_text("utf-8"))["features"]


@pytest.fixture(scope="module")
def layers() -> Layers:
    return load_all(FIXTURE_DATA_DIR)


@pytest.mark.parametrize("spec", ALL_LAYERS, ids=lambda s: s.name)
def test_each_fixture_layer_loads_whole_and_clean(spec):
    gdf = load_layer(spec, layer_path(spec, FIXTURE_DATA_DIR))
    raw = raw_features(spec)
    assert len(gdf) == len(raw) > 0
    assert gdf.crs == WEB_CRS
    assert list(gdf.columns[: len(spec.columns)]) == list(spec.columns)
    assert gdf["id"].tolist() == [f["properties"]["id"] for f in raw]  # file order kept
    assert gdf["id"].is_unique
    assert set(gdf.geom_type) <= set(spec.geometry_types)
    assert gdf.geometry.is_valid.all() and not gdf.geometry.is_empty.any()
    lon0, lat0, lon1, lat1 = COQUIMBO_BOUNDS
    minx, miny, maxx, maxy = gdf.total_bounds
    assert lon0 <= minx and maxx <= lon1 and lat0 <= miny and maxy <= lat1
    assert layer_warnings(gdf) == []
    for col, kind in spec.columns.items():
        if kind.startswith("int"):
            assert is_integer_dtype(gdf[col].dtype), col


def test_fixture_councils_tile_without_overlaps(layers):
    metric = layers.councils.to_crs(METRIC_CRS).geometry.to_numpy()
    overlap = sum(
        shapely.intersection(a, b).area for i, a in enumerate(metric) for b in metric[i + 1 :]
    )
    assert overlap < 100.0  # m²: only digitising slivers
    assert len(layers.councils) == len(raw_features(COUNCILS))


def test_fixture_population_adds_up(layers):
    blocks_total = sum(f["properties"]["residents"] for f in raw_features(POPULATION))
    assert int(layers.population["residents"].sum()) == blocks_total
    assert (layers.population["residents"] >= 0).all()
    assert int(layers.councils["population"].sum()) == blocks_total


def test_fixture_venues_use_known_categories(layers):
    assert set(layers.venues["category"]) <= set(CATEGORIES)


def test_fixture_workshops_point_at_real_councils_and_venues(layers):
    council_ids = set(layers.councils["id"])
    venue_ids = set(layers.venues["id"])
    for row in layers.workshops.itertuples():
        assert split_councils(row.councils)
        assert set(split_councils(row.councils)) <= council_ids
        assert row.venue_id in venue_ids
    assert layers.manifest.get("synthetic") is True
    assert layers.warnings == []


def test_load_all_reads_another_folder(tmp_path, layers):
    data = copy_fixture_data(tmp_path / "data")
    edit_geojson(data / "venues" / "venues.geojson", 0, name="Biblioteca Peñuelas")
    copied = load_all(data)
    assert copied.councils.attrs["source_path"].startswith(str(data))
    assert copied.venues.loc[0, "name"] == "Biblioteca Peñuelas"
    assert copied.venues["id"].tolist() == layers.venues["id"].tolist()
    assert copied.manifest == layers.manifest


def test_workshop_naming_unknown_council_fails_load_all(tmp_path):
    data = copy_fixture_data(tmp_path / "data")
    path = data / "workshops" / "workshops.geojson"
    edit_geojson(path, 1, councils="JV-01;JV-99")
    # The file alone is fine: the problem needs the councils layer to be seen.
    assert len(load_layer(WORKSHOPS, path)) == len(raw_features(WORKSHOPS))
    with pytest.raises(LayerError) as info:
        load_all(data)
    err = info.value
    assert err.path == path and err.row == 2
    assert "unknown councils: JV-99" in err.problem


def test_workshop_venue_not_in_venues_fails_load_all(tmp_path):
    data = copy_fixture_data(tmp_path / "data")
    path = data / "workshops" / "workshops.geojson"
    edit_geojson(path, 0, venue_id="V-999")
    with pytest.raises(LayerError) as info:
        load_all(data)
    assert info.value.row == 1 and "'V-999' is not in the venues layer" in info.value.problem


def test_load_all_reports_every_failing_file_and_returns_nothing(tmp_path):
    data = copy_fixture_data(tmp_path / "data")
    edit_geojson(data / "venues" / "venues.geojson", 2, category="cine")
    edit_geojson(data / "population" / "blocks.geojson", 4, residents="abc")
    result = None
    with pytest.raises(LayerError) as info:
        result = load_all(data)
    assert result is None
    text = str(info.value)
    assert "venues.geojson" in text and "blocks.geojson" in text
    assert "unknown category 'cine'" in text and "'abc' is not a whole number" in text
    assert {p.path.name for p in info.value.problems} == {"venues.geojson", "blocks.geojson"}


def test_missing_layer_file_fails_load_all(tmp_path):
    data = copy_fixture_data(tmp_path / "data")
    shutil.rmtree(data / "population")
    with pytest.raises(LayerError) as info:
        load_all(data)
    assert "does not exist" in str(info.value)


def test_venue_outside_every_council_is_a_load_warning(tmp_path):
    data = copy_fixture_data(tmp_path / "data")
    path = data / "venues" / "venues.geojson"
    fc = json.loads(path.read_text("utf-8"))
    fc["features"][0]["geometry"]["coordinates"] = [-71.5, -30.3]  # in Coquimbo, far away
    path.write_text(json.dumps(fc, ensure_ascii=False), "utf-8")
    layers = load_all(data)
    assert len(layers.warnings) == 1
    assert fc["features"][0]["properties"]["id"] in layers.warnings[0]


# --- command line ------------------------------------------------------------------------


def test_cli_validate_on_fixture_data(capsys):
    assert cli_main(["validate", *FIXTURE_ARGS]) == 0
    out = capsys.readouterr().out
    for spec in ALL_LAYERS:
        n = len(raw_features(spec))
        assert any(spec.name in line and f" {n} " in line for line in out.splitlines())
    assert "all layers are valid" in out
    assert "SYNTHETIC" in out


def test_cli_validate_reports_errors_with_nonzero_exit(tmp_path, capsys):
    data = copy_fixture_data(tmp_path / "data")
    edit_geojson(data / "venues" / "venues.geojson", 2, category="cine")
    edit_geojson(data / "workshops" / "workshops.geojson", 0, councils="JV-77")
    assert cli_main(["validate", "--data-dir", str(data)]) == 1
    captured = capsys.readouterr()
    assert "ERROR venues" in captured.out
    assert "OK    councils" in captured.out
    assert "unknown category 'cine'" in captured.err
    assert "elemento/feature 3" in captured.err
    assert "1 file(s) with errors" in captured.err  # workshops cannot be cross-checked yet


def test_cli_layers_prints_the_council_table(capsys, layers):
    assert cli_main(["layers", *FIXTURE_ARGS]) == 0
    out = capsys.readouterr().out
    for cid in layers.councils["id"]:
        assert cid in out
    total = int(layers.population["residents"].sum())
    assert f"{total} hab./residents" in out


def test_cli_layers_csv(capsys, layers):
    assert cli_main(["layers", *FIXTURE_ARGS, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {"id", "population", "area_km2", "venues_total"} <= set(rows[0])
    assert [r["id"] for r in rows] == layers.councils["id"].tolist()
    assert sum(int(r["venues_total"]) for r in rows) == len(layers.venues)
    assert all(float(r["area_km2"]) > 0 for r in rows)
