"""Every validation error of issue 2, each on a small bad file written here.

Each test checks that loading FAILS WHOLE (LayerError, no frame) and that the message names
the file, the feature and the problem, or that a repair is reported as a warning.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Point, box

from geo import METRIC_CRS, WEB_CRS
from geo.layer_errors import MAX_PROBLEMS, LayerError
from geo.layers import layer_warnings, load_layer, load_manifest
from geo.schema import CATEGORIES, COQUIMBO_BOUNDS, COUNCILS, POPULATION, VENUES, WORKSHOPS
from tests.support.layers import (
    LAT,
    LON,
    block,
    council,
    feature,
    point,
    square,
    venue,
    workshop,
    write_geojson,
)


def fails(spec, path: Path) -> LayerError:
    with pytest.raises(LayerError) as info:
        load_layer(spec, path)
    err = info.value
    assert err.path == path
    assert str(path) in str(err)
    return err


# --- whole-file problems -------------------------------------------------------------


def test_missing_file(tmp_path):
    err = fails(VENUES, tmp_path / "nope.geojson")
    assert "does not exist" in str(err) and "no existe" in str(err)
    assert err.row is None


def test_unreadable_file(tmp_path):
    path = tmp_path / "venues.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [ {,] }', "utf-8")
    err = fails(VENUES, path)
    assert "cannot be read" in err.problem
    assert "QGIS" in err.hint


def test_binary_garbage_is_unreadable(tmp_path):
    path = tmp_path / "venues.gpkg"
    path.write_bytes(b"\x00\x01not a geopackage" * 20)
    err = fails(VENUES, path)
    assert "cannot be read" in str(err)


def test_empty_layer(tmp_path):
    err = fails(VENUES, write_geojson(tmp_path / "v.geojson", []))
    assert "no features" in str(err)


def test_latin1_file_is_refused_with_line_and_fix(tmp_path):
    text = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [feature(venue(1, name="Sede Peñuelas"), point())],
        },
        ensure_ascii=False,
        indent=1,
    )
    path = tmp_path / "venues.geojson"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # the file really is not UTF-8
    err = fails(VENUES, path)
    bad_line = text[: text.index("ñ")].count("\n") + 1
    assert "Latin-1" in err.problem
    assert f"line {bad_line}" in err.problem
    assert "0xf1" in err.problem  # the byte of "ñ" in Latin-1
    assert "Peñuelas" in err.problem  # the line shown, decoded as Windows-1252
    assert "iconv -f WINDOWS-1252 -t UTF-8" in err.hint


def test_utf8_accents_are_fine(tmp_path):
    path = write_geojson(tmp_path / "v.geojson", [feature(venue(1, name="Sede Peñuelas"), point())])
    gdf = load_layer(VENUES, path)
    assert gdf.loc[0, "name"] == "Sede Peñuelas"


def write_venue_shapefile(path: Path, encoding: str | None) -> Path:
    gdf = gpd.GeoDataFrame(
        [venue(1, name="Sede Peñuelas")], geometry=[Point(LON, LAT)], crs=WEB_CRS
    )
    gdf.to_file(path, engine="pyogrio", **({"encoding": encoding} if encoding else {}))
    return path


def test_shapefile_utf8_loads(tmp_path):
    path = write_venue_shapefile(tmp_path / "venues.shp", None)
    assert load_layer(VENUES, path).loc[0, "name"] == "Sede Peñuelas"
    path.with_suffix(".cpg").unlink()  # no .cpg: read as UTF-8, not GDAL's Latin-1 guess
    assert load_layer(VENUES, path).loc[0, "name"] == "Sede Peñuelas"


def test_shapefile_latin1_with_declared_encoding_loads(tmp_path):
    path = write_venue_shapefile(tmp_path / "venues.shp", "latin1")
    assert "Peñuelas".encode("latin-1") in path.with_suffix(".dbf").read_bytes()
    assert load_layer(VENUES, path).loc[0, "name"] == "Sede Peñuelas"


def test_shapefile_latin1_without_cpg_is_refused(tmp_path):
    path = write_venue_shapefile(tmp_path / "venues.shp", "latin1")
    path.with_suffix(".cpg").unlink()
    err = fails(VENUES, path)
    assert "Latin-1" in err.problem and "Peñuelas" in err.problem
    assert ".cpg" in err.hint


def test_gpkg_without_crs(tmp_path):
    path = tmp_path / "venues.gpkg"
    gdf = gpd.GeoDataFrame([venue(1)], geometry=[Point(LON, LAT)], crs=None)
    with pytest.warns(UserWarning):
        gdf.to_file(path, engine="pyogrio")
    err = fails(VENUES, path)
    assert "CRS" in err.problem and "no coordinate reference system" in err.problem
    assert "EPSG:4326" in err.hint


def test_shapefile_without_prj(tmp_path):
    path = tmp_path / "venues.shp"
    gpd.GeoDataFrame([venue(1)], geometry=[Point(LON, LAT)], crs=WEB_CRS).to_file(
        path, engine="pyogrio"
    )
    path.with_suffix(".prj").unlink()
    err = fails(VENUES, path)
    assert ".prj" in err.problem


def test_metres_declared_as_degrees_is_wrong_crs(tmp_path):
    metric = gpd.GeoSeries([Point(LON, LAT)], crs=WEB_CRS).to_crs(METRIC_CRS)[0]
    path = write_geojson(tmp_path / "v.geojson", [feature(venue(1), point(metric.x, metric.y))])
    err = fails(VENUES, path)
    assert "wrong CRS" in err.problem and "metres" in err.problem
    assert "EPSG:32719" in err.hint


def test_degrees_declared_as_metres_is_wrong_crs(tmp_path):
    path = write_geojson(
        tmp_path / "v.geojson",
        [feature(venue(1), point())],
        crs="urn:ogc:def:crs:EPSG::32719",
    )
    err = fails(VENUES, path)
    assert "wrong CRS" in err.problem and "degrees" in err.problem


def test_valid_other_crs_is_reprojected(tmp_path):
    metric = gpd.GeoSeries([Point(LON, LAT)], crs=WEB_CRS).to_crs(METRIC_CRS)[0]
    path = tmp_path / "venues.gpkg"
    gpd.GeoDataFrame([venue(1)], geometry=[metric], crs=METRIC_CRS).to_file(path)
    gdf = load_layer(VENUES, path)
    assert gdf.crs == WEB_CRS
    assert gdf.attrs["source_crs"] == METRIC_CRS
    assert gdf.geometry[0].x == pytest.approx(LON, abs=1e-7)
    assert gdf.geometry[0].y == pytest.approx(LAT, abs=1e-7)


def test_gpkg_with_several_layers_picks_the_named_one(tmp_path):
    path = tmp_path / "all.gpkg"
    gpd.GeoDataFrame([venue(1)], geometry=[Point(LON, LAT)], crs=WEB_CRS).to_file(
        path, layer="venues"
    )
    gpd.GeoDataFrame(
        [council(1)], geometry=[box(LON, LAT, LON + 0.01, LAT + 0.01)], crs=WEB_CRS
    ).to_file(path, layer="councils")
    assert load_layer(VENUES, path)["id"].tolist() == ["V-001"]
    assert load_layer(COUNCILS, path)["id"].tolist() == ["JV-01"]
    err = fails(POPULATION, path)
    assert "several layers" in err.problem


def test_invalid_manifest_json(tmp_path):
    (tmp_path / "manifest.json").write_text('{"synthetic": true,,}', "utf-8")
    with pytest.raises(LayerError) as info:
        load_manifest(tmp_path)
    assert "line 1" in str(info.value)


# --- coordinates -----------------------------------------------------------------------


def test_swapped_latitude_longitude(tmp_path):
    path = write_geojson(
        tmp_path / "v.geojson",
        [feature(venue(1), point()), feature(venue(2), point(LAT, LON))],
    )
    err = fails(VENUES, path)
    assert err.row == 2 and err.feature_id == "V-002"
    assert "latitude and longitude look swapped" in err.problem
    assert len(err.problems) == 1


def test_one_feature_in_metres_among_degrees(tmp_path):
    metric = gpd.GeoSeries([Point(LON, LAT)], crs=WEB_CRS).to_crs(METRIC_CRS)[0]
    path = write_geojson(
        tmp_path / "v.geojson",
        [feature(venue(1), point()), feature(venue(2), point(metric.x, metric.y))],
    )
    err = fails(VENUES, path)
    assert err.row == 2 and "coordinates in metres" in err.problem


def test_outside_coquimbo(tmp_path):
    lon_max = COQUIMBO_BOUNDS[2]
    path = write_geojson(tmp_path / "v.geojson", [feature(venue(1), point(lon_max + 0.2, LAT))])
    err = fails(VENUES, path)
    assert "outside the Coquimbo area" in err.problem
    assert "swapped" not in err.problem


def test_polygon_partly_outside_is_an_error(tmp_path):
    lat_max = COQUIMBO_BOUNDS[3]
    path = write_geojson(
        tmp_path / "c.geojson", [feature(council(1), square(LON, lat_max - 0.001, 0.01))]
    )
    err = fails(COUNCILS, path)
    assert "outside the Coquimbo area" in err.problem


# --- geometry --------------------------------------------------------------------------


def test_bowtie_polygon_is_repaired_and_reported(tmp_path, caplog):
    x, y, d = LON + 0.01, LAT, 0.004  # away from the first council: no overlap
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + d, y + d], [x + d, y], [x, y + d], [x, y]]],
    }
    path = write_geojson(
        tmp_path / "c.geojson", [feature(council(1), square()), feature(council(2), bowtie)]
    )
    assert not shapely.from_geojson(json.dumps(bowtie)).is_valid
    with caplog.at_level(logging.WARNING, logger="geo.layers"):
        gdf = load_layer(COUNCILS, path)
    repaired = gdf.geometry[1]
    assert repaired.is_valid and repaired.geom_type == "MultiPolygon"
    assert len(repaired.geoms) == 2
    assert repaired.area == pytest.approx(d * d / 2)  # two triangles of a quarter each
    warnings = layer_warnings(gdf)
    assert len(warnings) == 1
    assert "JV-02" in warnings[0] and "make_valid" in warnings[0]
    assert "Self-intersection" in warnings[0]
    assert any("make_valid" in r.getMessage() for r in caplog.records)
    assert gdf.geometry[0].equals(shapely.from_geojson(json.dumps(square())))


def test_overlapping_councils_are_reported_as_warning(tmp_path):
    path = write_geojson(
        tmp_path / "c.geojson",
        [
            feature(council(1), square(size=0.004)),
            feature(council(2), square(LON + 0.002, size=0.004)),  # half overlaps JV-01
            feature(council(3), square(LON + 0.006, size=0.004)),  # shares only an edge
        ],
    )
    gdf = load_layer(COUNCILS, path)
    warnings = layer_warnings(gdf)
    assert len(warnings) == 1
    assert "JV-01" in warnings[0] and "JV-02" in warnings[0] and "overlap" in warnings[0]


def test_zero_area_polygon_cannot_be_repaired(tmp_path):
    flat = {
        "type": "Polygon",
        "coordinates": [[[LON, LAT], [LON + 0.01, LAT], [LON + 0.02, LAT], [LON, LAT]]],
    }
    err = fails(COUNCILS, write_geojson(tmp_path / "c.geojson", [feature(council(1), flat)]))
    assert "cannot be repaired" in err.problem


def test_null_and_empty_geometries(tmp_path):
    path = write_geojson(
        tmp_path / "v.geojson",
        [
            feature(venue(1), point()),
            feature(venue(2), None),
            feature(venue(3), {"type": "Point", "coordinates": []}),
        ],
    )
    err = fails(VENUES, path)
    assert [(p.row, p.feature_id) for p in err.problems] == [(2, "V-002"), (3, "V-003")]
    assert all("empty or null geometry" in p.problem_en for p in err.problems)


def test_point_in_councils_layer(tmp_path):
    path = write_geojson(
        tmp_path / "c.geojson", [feature(council(1), square()), feature(council(2), point())]
    )
    err = fails(COUNCILS, path)
    assert err.row == 2
    assert "geometry type Point" in err.problem and "Polygon" in err.problem


def test_polygon_in_venues_layer(tmp_path):
    err = fails(VENUES, write_geojson(tmp_path / "v.geojson", [feature(venue(1), square())]))
    assert "geometry type Polygon" in err.problem


# --- attributes ------------------------------------------------------------------------


def test_duplicate_ids_name_both_features(tmp_path):
    path = write_geojson(
        tmp_path / "v.geojson",
        [
            feature(venue(1), point()),
            feature(venue(2), point()),
            feature(venue(1, name="Otra"), point()),
        ],
    )
    err = fails(VENUES, path)
    assert err.row == 3 and err.feature_id == "V-001"
    assert "duplicate id 'V-001'" in err.problem and "feature 1" in err.problem


def test_missing_column_suggests_the_close_name(tmp_path):
    props = venue(1)
    props["categoria"] = props.pop("category")
    err = fails(VENUES, write_geojson(tmp_path / "v.geojson", [feature(props, point())]))
    assert "'category' is missing" in err.problem
    assert "categoria" in err.problem


def test_null_in_required_column_but_not_in_nullable_one(tmp_path):
    path = write_geojson(
        tmp_path / "v.geojson",
        [feature(venue(1, address=None), point()), feature(venue(2, name="  "), point())],
    )
    err = fails(VENUES, path)
    assert len(err.problems) == 1  # address may be empty, name may not
    assert err.row == 2 and "'name' is empty" in err.problem


def test_population_not_a_number(tmp_path):
    path = write_geojson(
        tmp_path / "c.geojson",
        [
            feature(council(1, population="abc"), square()),
            feature(council(2, population="2.980"), square(LON + 0.01)),
            feature(council(3, population=2.5), square(LON + 0.02)),
            feature(council(4, population=None), square(LON + 0.03)),  # nullable: fine
        ],
    )
    err = fails(COUNCILS, path)
    assert [p.row for p in err.problems] == [1, 2, 3]
    assert "'abc' is not a whole number" in err.problems[0].problem_en
    assert "thousands" in err.problems[1].hint_en
    assert "2.5" in err.problems[2].problem_en


def test_negative_residents(tmp_path):
    path = write_geojson(tmp_path / "b.geojson", [feature(block(1, residents=-4), square())])
    err = fails(POPULATION, path)
    assert "-4 is negative" in err.problem


def test_types_are_the_documented_ones(tmp_path):
    path = write_geojson(
        tmp_path / "c.geojson",
        [
            feature(council(1, population="1200"), square()),
            feature(council(2, population=None), square(LON + 0.01)),
        ],
    )
    gdf = load_layer(COUNCILS, path)
    assert str(gdf["population"].dtype) == "Int64"
    assert gdf["population"].tolist()[0] == 1200 and gdf["population"].isna().tolist()[1]
    blocks = load_layer(
        POPULATION, write_geojson(tmp_path / "b.geojson", [feature(block(1), square())])
    )
    assert str(blocks["residents"].dtype) == "int64"
    assert list(blocks.columns) == [*POPULATION.columns, "geometry"]


def test_unknown_category_lists_the_allowed_ones(tmp_path):
    path = write_geojson(
        tmp_path / "v.geojson",
        [
            feature(venue(1, category="Biblioteca"), point()),
            feature(venue(2, category="cine"), point()),
        ],
    )
    err = fails(VENUES, path)
    assert len(err.problems) == 2
    assert "unknown category 'Biblioteca'" in err.problems[0].problem_en
    assert "did you mean 'library'" in err.problems[0].problem_en
    for category in CATEGORIES:
        assert category in err.problems[1].hint_en


def test_bad_workshop_date_and_council_list(tmp_path):
    path = write_geojson(
        tmp_path / "w.geojson",
        [
            feature(workshop(1, date="11/04/2026"), point()),
            feature(workshop(2, date="2026-02-30"), point()),
            feature(workshop(3, councils="JV-01;;JV-02"), point()),
        ],
    )
    err = fails(WORKSHOPS, path)
    assert [p.row for p in err.problems] == [1, 2, 3]
    assert "not a valid date" in err.problems[0].problem_en
    assert "YYYY-MM-DD" in err.problems[0].hint_en
    assert "malformed list" in err.problems[2].problem_en


def test_workshop_dates_are_datetimes(tmp_path):
    path = write_geojson(tmp_path / "w.geojson", [feature(workshop(1), point())])
    gdf = load_layer(WORKSHOPS, path)
    assert str(gdf["date"].dtype).startswith("datetime64")
    assert gdf.loc[0, "date"].strftime("%Y-%m-%d") == "2026-04-11"


# --- reporting -------------------------------------------------------------------------


def test_all_problems_of_a_file_come_together_in_file_order(tmp_path):
    path = write_geojson(
        tmp_path / "v.geojson",
        [
            feature(venue(1, category="cine"), point()),
            feature(venue(2), point(LAT, LON)),
            feature(venue(3), None),
            feature(venue(4), point()),
        ],
    )
    err = fails(VENUES, path)
    assert [p.row for p in err.problems] == [1, 2, 3]
    text = str(err)
    assert "3 problem(s)" in text
    for fid in ("V-001", "V-002", "V-003"):
        assert fid in text
    assert "V-004" not in text
    assert "Qué hacer" in text and "What to do" in text


def test_problem_list_is_capped(tmp_path):
    n = MAX_PROBLEMS + 7
    path = write_geojson(
        tmp_path / "v.geojson",
        [feature(venue(i, category="cine"), point()) for i in range(1, n + 1)],
    )
    err = fails(VENUES, path)
    assert len(err.problems) == MAX_PROBLEMS
    assert err.omitted == 7
    assert "and 7 more" in str(err)
