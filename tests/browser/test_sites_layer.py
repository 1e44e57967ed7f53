"""The "where a new workshop would help most" layer in Chromium: off at first, switched on it
shows numbered sites in rank order, and site 1's popup gives its figures and councils."""

from __future__ import annotations

import json
import urllib.request

import pytest

pytestmark = pytest.mark.browser
LAYER_ES = "Dónde un nuevo taller ayudaría más"


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url) as response:
        return json.load(response)


def es_number(value: int) -> str:
    return f"{value:,}".replace(",", ".")  # es-CL thousands separator


def test_switching_on_the_sites_layer_and_opening_site_1(make_page, base_url):
    answer = get_json(f"{base_url}/api/sites")
    sites = answer["sites"]
    assert len(sites) == answer["k"] == 3
    first = sites[0]
    w = make_page(base_url)
    w.goto("/")
    page = w.page
    legend = page.locator('.legend-section[data-layer="sites"]')
    assert page.locator(".site-icon").count() == 0 and not legend.is_visible()

    page.locator(".leaflet-control-layers-overlays label", has_text=LAYER_ES).locator(
        "input"
    ).check()
    assert page.locator(".site-icon").count() == len(sites)
    assert legend.is_visible()
    assert es_number(answer["newly_covered"]) in legend.inner_text()
    ranks = sorted(page.locator(".site-icon .site-rank").all_inner_texts())
    assert ranks == [str(s["rank"]) for s in sites]
    w.shot("map_sites_layer")

    page.locator(f'.site-icon[title="Lugar sugerido 1: {first["name"]}"]').click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "Lugar sugerido n.º 1" in text and first["name"] in text
    assert "Escuela" in text or "Sede vecinal" in text or "Otro" in text  # a host category
    assert es_number(first["newly_covered"]) in text
    assert es_number(first["cumulative_covered"]) in text
    assert all(c["name"] in text for c in first["councils"])
    w.shot("map_sites_popup")
    w.assert_clean()


def test_sites_layer_in_english(make_page, base_url):
    w = make_page(base_url, locale="en-GB")
    w.goto("/?lang=en")
    page = w.page
    label = page.locator(".leaflet-control-layers-overlays label",
                         has_text="Where a new workshop would help most")
    label.locator("input").check()
    page.locator(".site-icon").first.wait_for()
    assert "Suggested site" in page.locator(".site-icon").first.get_attribute("title")
    w.assert_clean()


def test_a_site_named_with_html_shows_literally(make_page, base_url, tmp_path):
    """Site names come from the venues file: HTML in them is text, never markup or code."""
    from tests.support.web import NASTY_NAME, app_for, copy_data, serve

    first_id = get_json(f"{base_url}/api/sites")["sites"][0]["id"]
    data = copy_data(tmp_path)
    venues_path = data / "venues" / "venues.geojson"
    venues = json.loads(venues_path.read_text("utf-8"))
    for feature in venues["features"]:
        if feature["properties"]["id"] == first_id:
            feature["properties"]["name"] = NASTY_NAME
    venues_path.write_text(json.dumps(venues, ensure_ascii=False), "utf-8")
    with serve(app_for(data, tmp_path / "cache")) as url:
        w = make_page(url)
        w.goto("/")
        page = w.page
        page.locator(".leaflet-control-layers-overlays label", has_text=LAYER_ES).locator(
            "input"
        ).check()
        page.locator(".site-icon").first.wait_for()
        page.locator(".site-icon", has_text="1").click()
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        assert NASTY_NAME in popup.inner_text()
        assert page.locator(".leaflet-popup-content script").count() == 0
        w.assert_clean()
