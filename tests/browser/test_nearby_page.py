"""The leader's view on a phone-sized screen: council list, map tap, location, category filter."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest

from geo.schema import CULTURAL_CATEGORIES
from tests.support.web import NASTY_NAME

pytestmark = pytest.mark.browser
OFFERINGS = ",".join(CULTURAL_CATEGORIES)  # the default filter: what the analysis counts
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}


def nearest(base: str, **params) -> list[dict]:
    url = f"{base}/api/nearest?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url) as response:
        return json.load(response)["results"]


def result_names(page) -> list[str]:
    names = page.locator("#nearby-results .result-name").all_inner_texts()
    return [name.split(". ", 1)[1] for name in names]


def wait_results(page, status_text: str) -> None:
    page.wait_for_function(
        "(text) => document.getElementById('nearby-status').textContent.includes(text)",
        arg=status_text,
    )


def test_choosing_a_council_lists_nearest_offerings(make_page, base_url):
    w = make_page(base_url, **PHONE)
    w.goto("/cerca")
    page = w.page
    option = page.locator("#council-select option[value='JV-12']")
    lat, lon = option.get_attribute("data-lat"), option.get_attribute("data-lon")
    page.select_option("#council-select", "JV-12")
    wait_results(page, "resultados")
    expected = nearest(base_url, lat=lat, lon=lon, limit=10, category=OFFERINGS)
    assert result_names(page) == [r["name"] for r in expected]  # nearest first
    assert {r["category"] for r in expected} <= set(CULTURAL_CATEGORIES)
    first = page.locator("#nearby-results .result-walk").first.inner_text()
    assert "a pie" in first and "min" in first and (" m " in first or " km " in first)
    assert page.locator("#nearby-map .leaflet-marker-icon").count() == 10
    w.shot("nearby_council_phone")
    # the category filter narrows the list to that category
    page.select_option("#category-select", "school")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#nearby-results .result-cat')]"
        ".every(n => n.textContent === 'Escuela')"
    )
    schools = nearest(base_url, lat=lat, lon=lon, limit=10, category="school")
    assert result_names(page) == [r["name"] for r in schools]
    w.shot("nearby_council_school_phone")
    w.assert_clean()


def test_tapping_the_map_searches_from_that_point(make_page, base_url):
    w = make_page(base_url, **PHONE)
    w.goto("/cerca")
    page = w.page
    box = page.locator("#nearby-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_results(page, "resultados")
    assert page.locator("#nearby-results li").count() == 10
    assert page.locator("#council-select").input_value() == ""
    w.assert_clean()


def test_using_the_browser_location(make_page, base_url):
    inside = {"latitude": -29.9805, "longitude": -71.3240}
    w = make_page(base_url, geolocation=inside, permissions=["geolocation"], **PHONE)
    w.goto("/cerca")
    page = w.page
    page.select_option("#category-select", "")  # every category, halls and schools too
    page.click("#locate-btn")
    wait_results(page, "resultados")
    expected = nearest(base_url, lat=inside["latitude"], lon=inside["longitude"], limit=10)
    assert result_names(page) == [r["name"] for r in expected]
    w.shot("nearby_location_phone")
    w.assert_clean()


def test_location_outside_parte_alta_or_denied_gives_a_translated_message(make_page, base_url):
    santiago = {"latitude": -33.45, "longitude": -70.66}
    w = make_page(base_url, geolocation=santiago, permissions=["geolocation"], **PHONE)
    w.goto("/cerca")
    w.page.click("#locate-btn")
    wait_results(w.page, "fuera de la Parte Alta")
    assert w.page.locator("#nearby-status.error").is_visible()
    w.shot("nearby_outside_phone")
    denied = make_page(base_url, **PHONE)  # no permission granted
    denied.goto("/cerca?lang=en")
    denied.page.click("#locate-btn")
    wait_results(denied.page, "did not allow")
    denied.shot("nearby_denied_phone_en")
    w.assert_clean()
    denied.assert_clean()


def test_nearby_in_english(make_page, base_url):
    w = make_page(base_url, **PHONE)
    w.goto("/cerca?lang=en")
    page = w.page
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#locate-btn").inner_text() == "Use my location"
    page.select_option("#council-select", "JV-03")
    wait_results(page, "nearest first")
    assert "on foot" in page.locator("#nearby-results .result-walk").first.inner_text()
    w.shot("nearby_en_phone")
    w.assert_clean()


def test_nearby_shows_html_names_as_text(make_page, nasty):
    base, _ = nasty
    w = make_page(base, **PHONE)
    w.goto("/cerca")
    page = w.page
    assert page.locator("#council-select option[value='JV-01']").inner_text() == NASTY_NAME
    page.select_option("#council-select", "JV-01")
    wait_results(page, "resultados")
    page.select_option("#category-select", "library")
    page.wait_for_function(
        "(name) => [...document.querySelectorAll('#nearby-results .result-name')]"
        ".some(n => n.textContent.endsWith(name))",
        arg=NASTY_NAME,
    )
    injected = page.locator("#nearby-results script, #nearby-results img:not(.result-icon)")
    assert injected.count() == 0
    w.shot("nearby_escaped_phone")
    w.assert_clean()


def test_shareable_link_opens_a_council_and_category(make_page, base_url):
    w = make_page(base_url, **PHONE)
    w.goto("/cerca?junta=JV-07&categoria=plaza")
    page = w.page
    wait_results(page, "resultados")
    assert page.locator("#council-select").input_value() == "JV-07"
    assert page.locator("#category-select").input_value() == "plaza"
    cats = page.locator("#nearby-results .result-cat").all_inner_texts()
    assert cats and set(cats) == {"Plaza"}
    # the chosen council is outlined on the map
    weights = page.evaluate(
        "() => [...document.querySelectorAll('#nearby-map path.leaflet-interactive')]"
        ".map(p => p.getAttribute('stroke-width'))"
    )
    assert weights.count("4") == 1
    # tapping a result shows that venue's popup on the map
    page.locator("#nearby-results .result-button").first.click()
    page.locator("#nearby-map .leaflet-popup-content").wait_for()
    assert page.evaluate("() => culturamapNearby.map.getZoom()") >= 16  # zoomed to the venue
    first = page.locator("#nearby-results .result-name").first.inner_text().split(". ", 1)[1]
    assert first in page.locator("#nearby-map .leaflet-popup-content").inner_text()
    w.shot("nearby_shared_link_phone")
    w.assert_clean()


def test_default_shows_offerings_and_all_venues_marks_the_workshop_places(make_page, base_url):
    w = make_page(base_url, **PHONE)
    w.goto("/cerca?junta=JV-12")
    page = w.page
    assert page.locator("#category-select").input_value() == "offerings"
    hint = page.locator(".nearby-panel .hint").last.inner_text()
    assert "biblioteca" in hint and "«Todos» añade las sedes vecinales, escuelas" in hint
    wait_results(page, "resultados")
    assert page.locator("#nearby-results .result-kind").count() == 0  # all are offerings
    option = page.locator("#council-select option[value='JV-12']")
    lat, lon = option.get_attribute("data-lat"), option.get_attribute("data-lon")
    page.select_option("#category-select", "")
    page.wait_for_function("() => document.querySelectorAll('#nearby-results li').length === 10"
                           " && !document.getElementById('nearby-status').textContent"
                           ".includes('Buscando')")
    everything = nearest(base_url, lat=lat, lon=lon, limit=10)
    assert result_names(page) == [r["name"] for r in everything]
    hosts = [r for r in everything if r["category"] not in CULTURAL_CATEGORIES]
    assert hosts  # the fixture data have halls and schools among the ten nearest
    kinds = page.locator("#nearby-results .result-kind")
    assert kinds.count() == len(hosts)
    assert "talleres" in kinds.first.inner_text()
    w.shot("nearby_all_venues_phone")
    w.assert_clean()
