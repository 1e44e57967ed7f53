"""Adding a venue category is one registry entry: everything that shows or checks
categories picks it up (issue 8, point 4). The extra category is a TEST FIXTURE."""

from __future__ import annotations

import csv
import io
import json

import pytest
from matplotlib import rc_context

from geo.export import layer_bytes
from geo.layer_errors import LayerError
from geo.layers import load_layer
from geo.schema import DEFAULT_CATEGORIES, OFFERING, VENUES, Category, use_categories
from geo.settings import Settings
from geo.study import Study
from tests.support.layers import feature, point, venue, write_geojson
from tests.support.web import app_for, copy_data
from webmap.reports import ReportData, render_html

CINEMA = Category("cinema", "Cine de barrio", "Neighbourhood cinema", "cin", OFFERING,
                  "#117733", "P", "theatre.svg", ("cine",))


@pytest.fixture
def with_cinema():
    with use_categories((*DEFAULT_CATEGORIES, CINEMA)):
        yield


@pytest.fixture
def cinema_data(tmp_path, with_cinema):
    """The fixture data with its first venue turned into a cinema."""
    data = copy_data(tmp_path)
    path = data / "venues" / "venues.geojson"
    venues = json.loads(path.read_text("utf-8"))
    venues["features"][0]["properties"]["category"] = "cinema"
    path.write_text(json.dumps(venues, ensure_ascii=False), "utf-8")
    return data


def test_validation_accepts_the_new_category_and_suggests_it(tmp_path, with_cinema):
    ok = write_geojson(tmp_path / "ok.geojson", [feature(venue(1, category="cinema"), point())])
    assert load_layer(VENUES, ok)["category"].tolist() == ["cinema"]
    bad = write_geojson(tmp_path / "bad.geojson",
                        [feature(venue(1, category="sala de cine"), point())])
    with pytest.raises(LayerError) as info:
        load_layer(VENUES, bad)
    assert "did you mean 'cinema'" in str(info.value)
    assert "cinema" in str(info.value).split("use one of:")[1]


def test_without_the_entry_the_category_is_refused(tmp_path):
    path = write_geojson(tmp_path / "v.geojson", [feature(venue(1, category="cinema"), point())])
    with pytest.raises(LayerError, match="unknown category 'cinema'"):
        load_layer(VENUES, path)


def test_map_legend_lists_it_with_its_icon_and_label(cinema_data, tmp_path):
    client = app_for(cinema_data, tmp_path / "cache").test_client()
    es = client.get("/?lang=es").get_data(as_text=True)
    en = client.get("/?lang=en").get_data(as_text=True)
    assert "Cine de barrio" in es and "Neighbourhood cinema" in en
    assert '"cinema": "theatre.svg"' in es  # the icon the browser scripts use
    assert "icons/theatre.svg" in es


def test_static_map_and_report_show_it(cinema_data, tmp_path):
    study = Study(Settings(data_dir=cinema_data, cache_dir=tmp_path / "cache"))
    data = ReportData(study)
    with rc_context({"svg.fonttype": "none"}):
        from webmap.static_map import MapInput, render_map

        frame = MapInput(councils=study.access.councils, venues=study.layers.venues,
                         workshops=study.layers.workshops, demand=study.access.demand,
                         sites=study.sites(), threshold_min=data.threshold,
                         streets=study.travel.lines(),
                         counted=study.access.params.counted_categories)
        svg = render_map(frame, None, "es", fmt="svg").decode("utf-8")
    assert "Cine de barrio" in svg and "#117733" in svg
    assert "Cine de barrio" in render_html(data, None, "es")


def test_csv_export_has_a_column_for_it(cinema_data, tmp_path):
    study = Study(Settings(data_dir=cinema_data, cache_dir=tmp_path / "cache"))
    councils = layer_bytes(study.layer("access-councils"), "csv", "access-councils")
    rows = list(csv.DictReader(io.StringIO(councils.decode("utf-8"))))
    assert sum(int(r["venues_cinema"]) for r in rows) == 1
    venues = layer_bytes(study.layer("venues"), "csv", "venues").decode("utf-8")
    assert "cinema" in venues
