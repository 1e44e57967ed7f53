"""The main map in headless Chromium: loads offline, layers switch, popups, language, escaping."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.support.data import FIXTURE_DATA_DIR
from tests.support.web import NASTY_ADDRESS, NASTY_NAME

pytestmark = pytest.mark.browser
MANIFEST = json.loads((FIXTURE_DATA_DIR / "manifest.json").read_text("utf-8"))
INTERACTIVE_PATHS = ".leaflet-overlay-pane path.leaflet-interactive"


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url) as response:
        return json.load(response)


def layer_checkbox(page, label: str):
    return page.locator(".leaflet-control-layers-overlays label", has_text=label).locator("input")


def click_at(page, lat: float, lon: float) -> None:
    """Bring (lat, lon) to the middle of the map and click it, as a person would (the map
    opens on the focus area, and the layer list may cover a corner)."""
    x, y = page.evaluate(
        "([lat, lon]) => { culturamap.map.panTo([lat, lon], {animate: false});"
        " const p = culturamap.map.latLngToContainerPoint([lat, lon]);"
        " const r = culturamap.map.getContainer().getBoundingClientRect();"
        " return [r.left + p.x, r.top + p.y]; }",
        [lat, lon],
    )
    page.mouse.click(x, y)


def zoom_to(page, lat: float, lon: float, zoom: int) -> None:
    """Jump there and wait until MarkerCluster has finished moving its markers."""
    page.evaluate(
        "([lat, lon, zoom]) => { culturamap.map.setView([lat, lon], zoom, {animate: false}); }",
        [lat, lon, zoom],
    )
    page.wait_for_function("() => !document.querySelector('.leaflet-cluster-anim')")
    page.wait_for_timeout(400)  # the cluster's CSS transitions last 0.3 s


def show_blocks(page, label: str = "Densidad de población") -> None:
    """Switch the census blocks on and wait until map.js has fetched and drawn them."""
    layer_checkbox(page, label).check()
    page.wait_for_selector("body[data-population-loaded]", state="attached")


def hide_point_layers(page, labels=("Espacios culturales", "Talleres micro-barriales")) -> None:
    for label in labels:
        layer_checkbox(page, label).uncheck()


def test_map_loads_offline_in_spanish(make_page, base_url):
    w = make_page(base_url)
    w.goto("/")
    page = w.page
    assert page.locator("html").get_attribute("lang") == "es-CL"
    banner = page.locator("#synthetic-banner")
    assert banner.is_visible() and MANIFEST["notice_es"] in banner.inner_text()
    assert page.locator(INTERACTIVE_PATHS).count() == 20  # council polygons
    assert page.locator(".leaflet-marker-icon").count() >= 6  # venues/clusters + workshops
    assert page.locator("img.workshop-icon").count() == 6
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "Acercar"
    legend = page.locator("#legend")
    assert "Biblioteca" in legend.inner_text() and "Talleres micro-barriales" in legend.inner_text()
    w.shot("map_es")
    w.assert_clean()


def test_switching_layers(make_page, base_url):
    w = make_page(base_url)
    w.goto("/")
    page = w.page
    layer_checkbox(page, "Unidades vecinales").uncheck()
    assert page.locator(INTERACTIVE_PATHS).count() == 0
    show_blocks(page)
    assert page.locator(INTERACTIVE_PATHS).count() == 634  # census blocks
    assert page.locator('.legend-section[data-layer="population"]').is_visible()
    assert not page.locator('.legend-section[data-layer="councils"]').is_visible()
    layer_checkbox(page, "Espacios culturales").uncheck()
    layer_checkbox(page, "Talleres micro-barriales").uncheck()
    assert page.locator(".leaflet-marker-icon").count() == 0
    w.shot("map_layers_population")
    layer_checkbox(page, "Unidades vecinales").check()
    assert page.locator(INTERACTIVE_PATHS).count() == 634 + 20
    w.assert_clean()


def test_clicking_a_council_opens_its_figures(make_page, base_url):
    council = get_json(f"{base_url}/api/councils/JV-05")
    w = make_page(base_url)
    w.goto("/")
    page = w.page
    hide_point_layers(page)
    click_at(page, council["lat"], council["lon"])
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert council["name"] in text
    residents = f"{council['residents']:,}".replace(",", ".")  # es-CL thousands separator
    assert f"Residentes\n{residents}" in text or f"Residentes\t{residents}" in text
    assert f"{council['gap_rank']} de 20" in text
    assert f"{round(council['share_within_threshold'] * 100)} %" in text
    report = popup.locator("a.report-link")
    assert report.get_attribute("href") == "/reportes/JV-05.html?lang=es"
    w.shot("map_council_popup")
    w.assert_clean()


def test_english_popup_writes_percentages_without_a_space(make_page, base_url):
    council = get_json(f"{base_url}/api/councils/JV-05")
    w = make_page(base_url)
    w.goto("/?lang=en")
    page = w.page
    hide_point_layers(page, ("Cultural venues", "Micro-neighbourhood workshops"))
    click_at(page, council["lat"], council["lon"])
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    share = round(council["share_within_threshold"] * 100)
    assert f"{share}%" in text and f"{share} %" not in text
    w.assert_clean()


def test_clicking_a_venue_shows_its_details(make_page, base_url):
    venue = get_json(f"{base_url}/collections/venues/items/V-003")
    lon, lat = venue["geometry"]["coordinates"]
    w = make_page(base_url)
    w.goto("/")
    page = w.page
    zoom_to(page, lat, lon, 19)
    marker = page.locator(f'img.venue-icon[title="{venue["properties"]["name"]}"]')
    marker.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    props = venue["properties"]
    assert props["name"] in text and props["address"] in text and props["source"] in text
    assert "Biblioteca" in text  # category label, translated
    w.shot("map_venue_popup")
    w.assert_clean()


def test_switching_language(make_page, base_url):
    w = make_page(base_url)
    w.goto("/")
    page = w.page
    page.click("#lang-switch")
    page.wait_for_selector("html[lang='en']")
    page.wait_for_selector("body[data-map-ready='1']", state="attached")
    assert MANIFEST["notice_en"] in page.locator("#synthetic-banner").inner_text()
    overlays = page.locator(".leaflet-control-layers-overlays").inner_text()
    assert "Cultural venues" in overlays and "Population density" in overlays
    assert "Library" in page.locator("#legend").inner_text()
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "Zoom in"
    w.shot("map_en")
    page.click("#lang-switch")  # and back
    page.wait_for_selector("html[lang='es-CL']")
    w.assert_clean()


def test_names_with_html_show_literally_and_never_run(make_page, nasty):
    base, venue_id = nasty
    venue = get_json(f"{base}/collections/venues/items/{venue_id}")
    lon, lat = venue["geometry"]["coordinates"]
    w = make_page(base)
    w.goto("/")
    page = w.page
    zoom_to(page, lat, lon, 19)
    page.locator(f"img.venue-{venue['properties']['category']}").first.wait_for()
    page.evaluate(
        "(id) => culturamap.layers.venues.eachLayer(l => {"
        " if (l.feature && l.feature.properties.id === id) { l.openPopup(); } })",
        venue_id,
    )
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.locator("h3").inner_text() == NASTY_NAME
    assert NASTY_ADDRESS in popup.inner_text()
    assert page.locator(".leaflet-popup-content script, .leaflet-popup-content img").count() == 0
    w.shot("map_escaped_venue")
    # the council with the same name: tooltip and popup show the text too
    council = get_json(f"{base}/api/councils/JV-01")
    assert council["name"] == NASTY_NAME
    page.evaluate("() => { culturamap.map.closePopup(); }")  # returns nothing to serialise
    page.wait_for_selector(".leaflet-popup", state="detached")
    hide_point_layers(page)
    zoom_to(page, council["lat"], council["lon"], 15)
    click_at(page, council["lat"], council["lon"])
    popup.wait_for()
    assert popup.locator("h3").inner_text() == NASTY_NAME
    w.shot("map_escaped_council")
    page.wait_for_timeout(300)  # give any injected script a chance to run
    w.assert_clean()  # no alert() dialog, no errors


def test_main_map_on_a_phone(make_page, base_url):
    w = make_page(base_url, viewport={"width": 390, "height": 844}, is_mobile=True,
                  has_touch=True, device_scale_factor=2)
    w.goto("/")
    page = w.page
    assert page.locator(INTERACTIVE_PATHS).count() == 20
    map_box = page.locator("#map-wrap").bounding_box()
    assert map_box["width"] == 390 and map_box["height"] > 300
    assert page.locator(".lang-switch").bounding_box()["height"] >= 40  # touch target
    assert page.locator(".topbar").bounding_box()["height"] < 100  # compact header
    overlays = page.locator(".leaflet-control-layers-overlays")
    assert not overlays.is_visible()  # folded so that it does not cover the map
    w.shot("map_phone")
    page.locator(".leaflet-control-layers-toggle").click()
    assert overlays.is_visible()
    show_blocks(page)
    assert page.locator(INTERACTIVE_PATHS).count() == 634 + 20
    w.shot("map_phone_layers")
    w.assert_clean()


def test_clicking_a_workshop_shows_when_where_and_who(make_page, base_url):
    workshop = get_json(f"{base_url}/collections/workshops/items/T-2")
    props = workshop["properties"]
    venue = get_json(f"{base_url}/collections/venues/items/{props['venue_id']}")
    first_council = get_json(f"{base_url}/api/councils/{props['councils'].split(';')[0]}")
    w = make_page(base_url)
    w.goto("/")
    page = w.page
    page.locator(f'img.workshop-icon[title="{props["title"]}"]').click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert props["title"] in text and props["date"] in text
    assert venue["properties"]["name"] in text and first_council["name"] in text
    w.shot("map_workshop_popup")
    w.assert_clean()
