"""The shipped real data in a real browser: the walking network derived from the census
2024 blocks drawn over the blocks (the picture a planner checks the model against), and
the map opening on the focus area. Screenshots go to tests/screenshots/."""

from __future__ import annotations

import pytest

from tests.browser.conftest import open_page
from tests.browser.test_map_page import layer_checkbox, show_blocks
from tests.support.data import SHIPPED_DATA
from tests.support.web import app_for, serve

PARTE_ALTA = (-29.9745, -71.3235)  # lat, lon: a street grid of the Parte Alta sector


@pytest.fixture(scope="module")
def real_url(session_cache):
    with serve(app_for(SHIPPED_DATA, session_cache)) as url:
        yield url


def test_map_opens_on_the_focus_area(browser, real_url):
    w = open_page(browser, real_url)
    w.goto("/")
    page = w.page
    bounds = page.evaluate("culturamap.map.getBounds().toBBoxString()").split(",")
    west, south, east, north = map(float, bounds)
    lat, lon = PARTE_ALTA
    assert west < lon < east and south < lat < north
    assert east - west < 0.2  # the focus area, not the whole comuna with its far localities
    assert "Área foco (Parte Alta)" in page.locator("#focus-figure").inner_text()
    w.shot("real_map_focus")
    w.assert_clean()


def test_real_network_over_the_real_blocks(browser, real_url):
    w = open_page(browser, real_url)
    w.goto("/")
    page = w.page
    layer_checkbox(page, "Unidades vecinales").uncheck()
    show_blocks(page)
    lat, lon = PARTE_ALTA
    page.evaluate(f"culturamap.map.setView([{lat}, {lon}], 16, {{animate: false}})")
    w.shot("real_network_over_blocks")
    page.evaluate("culturamap.map.setView([-29.985, -71.31], 14, {animate: false})")
    dashed = page.locator('.leaflet-overlay-pane path[stroke-dasharray="4 4"]')
    assert dashed.count() >= 1  # connectors in their own style
    w.shot("real_network_over_blocks_wide")
    w.assert_clean()
