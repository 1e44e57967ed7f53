"""The walking network derived from the census blocks, drawn over the blocks in a real
browser: the picture a planner checks the model against (tests/screenshots/)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import open_page
from tests.browser.test_map_page import show_blocks
from tests.support.data import FIXTURE_DATA_DIR
from tests.support.web import app_for, serve

CONNECTOR_DASH = "4 4"  # webmap.map_builder.STREET_STYLES


@pytest.fixture(scope="module")
def blocks_model_url(tmp_path_factory):
    """The fixture served with the travel model derived from its blocks (not its OSM file)."""
    app = app_for(FIXTURE_DATA_DIR, tmp_path_factory.mktemp("cache"), TRAVEL_MODEL="blocks")
    with serve(app) as url:
        yield url


def test_derived_network_over_the_blocks(browser, blocks_model_url):
    w = open_page(browser, blocks_model_url)
    w.goto("/")
    page = w.page
    show_blocks(page)
    dashed = page.locator(f'.leaflet-overlay-pane path[stroke-dasharray="{CONNECTOR_DASH}"]')
    assert dashed.count() >= 1  # the connectors, in their own style
    note = page.locator('.legend-section[data-layer="streets"]').inner_text()
    assert "conectores rectos" in note
    w.shot("network_over_blocks")
    page.evaluate("culturamap.map.setZoom(culturamap.map.getZoom() + 2, {animate: false})")
    w.shot("network_over_blocks_zoomed")
    w.assert_clean()
