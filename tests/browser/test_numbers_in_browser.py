"""The numbers people read, as Chromium shows them, against hand computations (issue 15,
point 3): the map's headline, a council popup and the /cerca list, on the straight-street
world of tests/support/line_world.py (every walk |x1 - x2| metres at 75 m a minute)."""

from __future__ import annotations

import pytest

from tests.browser.test_map_page import click_at, hide_point_layers
from tests.support import line_world as world
from tests.support.line_world import Hand
from tests.support.network import lonlat
from tests.support.web import serve
from webmap.app import create_app

pytestmark = pytest.mark.browser
HAND = Hand()


@pytest.fixture(scope="module")
def line_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("line-browser")
    app = create_app({"TESTING": True, "DATA_DIR": tmp / "data", "CACHE_DIR": tmp / "cache"},
                     study=world.study(tmp))
    with serve(app) as url:
        yield url


def test_headline_and_council_popup_show_the_hand_figures(make_page, line_url):
    w = make_page(line_url)
    w.goto("/")
    page = w.page
    headline = page.locator("#area-figure").inner_text()
    assert round(HAND.share_within(15) * 100) == 35  # 332 of 946 residents
    assert "el 35 % de los residentes" in headline
    hide_point_layers(page)
    lon, lat = lonlat(world.council_point_x("JV-B"), 60.0)  # inside JV-B, off the street
    click_at(page, lat, lon)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "Junta JV-B" in text
    # 439 residents; 41+... beyond 15 min: 68 of 439 within = 15.5 % -> "15 %"; mean 18.3 min
    assert HAND.residents("JV-B") == 439
    assert round(HAND.share_within(15, "JV-B") * 100) == 15
    assert round(HAND.mean_minutes("JV-B")) == 18
    lines = [line.strip() for line in text.replace("\t", "\n").splitlines() if line.strip()]
    assert lines[lines.index("Residentes") + 1] == "439"
    assert lines[lines.index("A 15 min o menos a pie") + 1] == "15 %"
    assert lines[lines.index("Tiempo medio a pie") + 1] == "18 min"
    assert "1 de 3" in text
    w.assert_clean()


def test_nearby_list_shows_the_walk_along_the_street(make_page, line_url):
    """From JV-B's point (x = 1,400): the library 1,400 m (18.7 -> 19 min), the museum
    2,600 m (34.7 -> 35 min)."""
    w = make_page(line_url)
    w.goto("/cerca")
    page = w.page
    page.select_option("#council-select", "JV-B")
    page.wait_for_function(
        "() => document.querySelectorAll('#nearby-results .result-walk').length === 2")
    walks = page.locator("#nearby-results .result-walk").all_inner_texts()
    assert "19 min" in walks[0] and "1,4 km" in walks[0]
    assert "35 min" in walks[1] and "2,6 km" in walks[1]
    w.assert_clean()
