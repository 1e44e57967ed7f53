"""Walking-time areas in Chromium: the map control, then a tap, draws the nested bands with
the residents the API gives; a venue popup's link draws the venue's bands."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.browser.test_map_page import click_at, zoom_to

pytestmark = pytest.mark.browser
LAT, LON = -29.978, -71.322  # near the synthetic Parte Alta's streets


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url) as response:
        return json.load(response)


def es_number(value: int) -> str:
    return f"{value:,}".replace(",", ".")  # es-CL thousands separator


def test_tap_draws_the_walking_areas(make_page, base_url):
    w = make_page(base_url)
    w.goto("/")
    page = w.page
    button = page.locator(".isochrone-button")
    assert button.inner_text() == "Áreas a pie"
    button.click()
    assert button.get_attribute("aria-pressed") == "true"
    zoom_to(page, LAT, LON, 15)
    with page.expect_response(lambda r: "/api/isochrone?" in r.url) as asked:
        click_at(page, LAT, LON)
    page.locator(".isochrone-legend li").first.wait_for()
    assert page.locator(".leaflet-popup").count() == 0  # the tap did not open a popup
    paths = page.locator("path.isochrone-band")
    assert paths.count() == 4
    for minutes in (5, 10, 15, 20):
        assert page.locator(f"path.isochrone-band-{minutes}").count() == 1
    # the legend lists the residents the API gives for the tapped point (asked again here)
    answer = get_json(asked.value.url)
    lat, lon = answer["origin"]["lat"], answer["origin"]["lon"]
    assert abs(lat - LAT) < 1e-3 and abs(lon - LON) < 1e-3
    legend = page.locator(".isochrone-legend").inner_text()
    for feature in answer["features"]:
        p = feature["properties"]
        assert f"{p['minutes']} min: {es_number(p['residents'])} residentes" in legend
    w.shot("map_isochrones")
    page.locator(".isochrone-clear").click()
    assert page.locator("path.isochrone-band").count() == 0
    w.assert_clean()


def test_venue_popup_link_draws_its_walking_areas(make_page, base_url):
    venue = get_json(f"{base_url}/collections/venues/items?limit=1")["features"][0]
    lon, lat = venue["geometry"]["coordinates"]
    w = make_page(base_url, locale="en-GB")
    w.goto("/?lang=en")
    page = w.page
    zoom_to(page, lat, lon, 19)
    page.evaluate(
        "(id) => culturamap.layers.venues.eachLayer(l => {"
        " if (l.feature && l.feature.properties.id === id) { l.openPopup(); } })",
        venue["id"],
    )
    link = page.locator(".leaflet-popup-content .isochrone-venue-link")
    assert link.inner_text() == "Walking areas from here"
    link.click()
    page.locator(".isochrone-legend li").first.wait_for()
    assert page.locator("path.isochrone-band").count() == 4
    assert page.locator(".isochrone-origin").inner_text() == venue["properties"]["name"]
    assert "residents" in page.locator(".isochrone-legend").inner_text()
    w.assert_clean()


def test_council_popup_shows_the_equity_figures(make_page, tmp_path):
    """On data with income quintiles, a council's popup gives quintile 1 / 5 and the CI."""
    from tests.support.web import app_for, serve
    from tests.test_equity import write_equity_data

    data = write_equity_data(tmp_path)
    with serve(app_for(data, tmp_path / "cache")) as base:
        council = get_json(f"{base}/api/councils")["councils"][0]
        head = get_json(f"{base}/api/councils/{council['id']}/equity")["headline"]
        w = make_page(base)
        w.goto("/")
        page = w.page
        for label in ("Espacios culturales", "Talleres micro-barriales"):
            page.locator(".leaflet-control-layers-overlays label",
                         has_text=label).locator("input").uncheck()
        zoom_to(page, council["lat"], council["lon"], 15)
        click_at(page, council["lat"], council["lon"])
        figures = page.locator(".leaflet-popup-content .equity-figures")
        figures.wait_for()
        text = figures.inner_text()
        assert "quintil 1 / quintil 5" in text
        q1, q5 = (f"{round(v * 100)} %" for v in (head["share_q1"], head["share_q5"]))
        assert f"{q1} / {q5}" in text
        ci = head["concentration_index_time_nse"]
        assert f"{ci:+.2f}".replace(".", ",").replace("-", "−") in text.replace("-", "−")
        w.shot("map_council_equity")
        w.assert_clean()
