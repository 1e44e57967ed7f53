"""Downloads: every format round-trips, CSV formulas are neutralised, writes are atomic."""

from __future__ import annotations

import csv
import json

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from culturamap.cli import main as cli_main
from geo import METRIC_CRS, WEB_CRS
from geo.export import (
    ExportError,
    csv_frame,
    export_layers,
    layer_bytes,
    neutralise_cell,
    write_layer,
)
from geo.layers import load_all
from geo.settings import Settings
from geo.study import LAYER_NAMES, Study
from tests.support.data import FIXTURE_ARGS, FIXTURE_DATA_DIR

HOSTILE_NAMES = ['=HYPERLINK("http://x.example","clic")', "+1", "-x", "@SUM(A1:A2)", "\tTab",
                 "\rCR", "Plaza Peñuelas", "a=b"]


def fixture_study(cache_dir) -> Study:
    """The study pipeline on the synthetic fixture data."""
    return Study(Settings(data_dir=FIXTURE_DATA_DIR, cache_dir=cache_dir))


@pytest.fixture
def hostile_venues() -> gpd.GeoDataFrame:
    """Venues whose names a spreadsheet would run, with negative numbers kept as numbers."""
    n = len(HOSTILE_NAMES)
    return gpd.GeoDataFrame(
        {
            "id": [f"V-{i:03d}" for i in range(1, n + 1)],
            "name": HOSTILE_NAMES,
            "category": ["plaza"] * n,
            "score": [-1.5 + i for i in range(n)],
            "count": [-3 + i for i in range(n)],
        },
        geometry=[Point(-71.32 + i * 0.001, -29.98) for i in range(n)],
        crs=WEB_CRS,
    )


def test_neutralise_cell_only_touches_formula_text():
    assert neutralise_cell("=1+1") == "'=1+1"
    assert neutralise_cell("-x") == "'-x"
    assert neutralise_cell("\tx") == "'\tx"
    assert neutralise_cell("Peñuelas") == "Peñuelas"
    assert neutralise_cell(-2.5) == -2.5
    assert neutralise_cell(-3) == -3


def test_csv_neutralises_text_cells_and_keeps_negative_numbers(tmp_path, hostile_venues):
    path = write_layer(hostile_venues, tmp_path / "venues.csv", "csv")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["name"] for r in rows] == [
        "'" + n if n[0] in "=+-@\t\r" else n for n in HOSTILE_NAMES
    ]
    for row in rows:
        for column in ("name", "id", "category"):
            assert not row[column].startswith(("=", "+", "-", "@", "\t", "\r"))
    # numbers stay numbers a spreadsheet can add up
    assert [float(r["score"]) for r in rows] == list(hostile_venues["score"])
    assert [int(r["count"]) for r in rows] == list(hostile_venues["count"])
    assert rows[0]["lon"] == "-71.32" and rows[0]["lat"] == "-29.98"


def test_csv_uses_wkt_for_polygons():
    centre = gpd.GeoSeries([Point(-71.32, -29.98)], crs=WEB_CRS).to_crs(METRIC_CRS)[0]
    square = box(centre.x, centre.y, centre.x + 100, centre.y + 100)
    polys = gpd.GeoDataFrame({"id": ["A"]}, geometry=[square], crs=METRIC_CRS)
    frame = csv_frame(polys)
    assert list(frame.columns) == ["id", "wkt"]
    assert frame["wkt"][0].startswith("POLYGON ((-71.")  # reprojected to EPSG:4326


@pytest.mark.parametrize("fmt", ["geojson", "gpkg"])
def test_geo_formats_round_trip_in_wgs84(tmp_path, hostile_venues, fmt):
    metric = hostile_venues.to_crs(METRIC_CRS)  # exports always serve EPSG:4326
    path = write_layer(metric, tmp_path / f"venues.{fmt}", fmt, "venues")
    back = gpd.read_file(path)
    assert back.crs.to_epsg() == 4326
    assert len(back) == len(hostile_venues)
    assert list(back["name"]) == HOSTILE_NAMES  # GIS formats keep the true text
    assert back.geometry.x.round(6).tolist() == hostile_venues.geometry.x.round(6).tolist()


def test_failed_write_keeps_old_file_and_leaves_no_temp(tmp_path, hostile_venues):
    target = tmp_path / "venues.geojson"
    target.write_text("previous", encoding="utf-8")
    no_crs = hostile_venues.set_crs(None, allow_override=True)
    with pytest.raises(ExportError, match="no CRS"):
        write_layer(no_crs, target, "geojson")
    assert target.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["venues.geojson"]


def test_unknown_format_and_layer_are_refused(tmp_path, hostile_venues):
    with pytest.raises(ExportError, match="unknown format"):
        write_layer(hostile_venues, tmp_path / "x.xls", "xls")
    with pytest.raises(ExportError, match="unknown layer"):
        export_layers(["nope"], "csv", tmp_path, fixture_study(tmp_path / "cache").layer)


def test_layer_bytes_matches_written_file(hostile_venues):
    data = json.loads(layer_bytes(hostile_venues, "geojson", "venues"))
    assert [f["properties"]["name"] for f in data["features"]] == HOSTILE_NAMES


def test_cli_exports_fixture_data_layers(tmp_path):
    layers = load_all(FIXTURE_DATA_DIR)
    code = cli_main(["export", *FIXTURE_ARGS, "--layer", "venues", "--format", "csv",
                     "--out", str(tmp_path)])
    assert code == 0
    with (tmp_path / "venues.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == list(layers.venues["id"])
    for fmt in ("geojson", "gpkg"):
        assert cli_main(["export", *FIXTURE_ARGS, "--layer", "councils", "--format", fmt,
                         "--out", str(tmp_path)]) == 0
        back = gpd.read_file(tmp_path / f"councils.{fmt}")
        assert back.crs.to_epsg() == 4326
        assert sorted(back["id"]) == sorted(layers.councils["id"])


def test_every_result_layer_exports(tmp_path, session_cache):
    """The analysis layers (access per council and per block, suggested sites) too."""
    source = fixture_study(session_cache)
    done = export_layers(LAYER_NAMES, "gpkg", tmp_path, source.layer)
    assert [d.layer for d in done] == list(LAYER_NAMES)
    councils = gpd.read_file(tmp_path / "access-councils.gpkg")
    expected = source.access.councils.set_index("id")["share_within_15min"]
    got = councils.set_index("id")["share_within_15min"]
    assert got.sort_index().round(9).tolist() == expected.sort_index().round(9).tolist()
    demand = gpd.read_file(tmp_path / "access-demand.gpkg")
    assert len(demand) == len(source.access.demand)
    assert demand["residents"].sum() == source.access.demand["residents"].sum()
    sites = gpd.read_file(tmp_path / "sites.gpkg")
    assert list(sites["candidate_id"]) == list(source.sites()["candidate_id"])


def test_cli_exports_all_layers_as_csv(tmp_path):
    args = ["export", *FIXTURE_ARGS, "--layer", "all", "--format", "csv", "--out", str(tmp_path)]
    assert cli_main(args) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.csv" for n in LAYER_NAMES)
    with (tmp_path / "population.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    residents = load_all(FIXTURE_DATA_DIR).population["residents"].sum()
    assert sum(int(r["residents"]) for r in rows) == residents
    assert all(r["wkt"].startswith(("POLYGON", "MULTIPOLYGON")) for r in rows)


def test_cli_export_reports_bad_data_dir(tmp_path, capsys):
    code = cli_main(["export", "--layer", "venues", "--format", "csv", "--out", str(tmp_path),
                     "--data-dir", str(tmp_path / "missing")])
    assert code == 1
    assert "culturamap export:" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
