"""The planner workspace in Chromium: sign in, add a venue by clicking the map, and see the
access figures of the council where it was added improve."""

from __future__ import annotations

import geopandas as gpd
import pytest

from geo import METRIC_CRS, WEB_CRS
from tests.support.layers import copy_fixture_data
from tests.support.web import serve
from tests.support.workspace import PASSWORD, sqlite_url, workspace_app

pytestmark = pytest.mark.browser

CLICK_JS = """([lat, lon]) => {
  const map = window.culturamapWorkspace.map;
  map.setView([lat, lon], 16, {animate: false});
  const p = map.latLngToContainerPoint([lat, lon]);
  const box = document.getElementById('workspace-map').getBoundingClientRect();
  return [box.left + p.x, box.top + p.y];
}"""


def test_sign_in_add_a_venue_by_clicking_and_see_the_council_figures_change(
        make_page, tmp_path, session_cache):
    data = copy_fixture_data(tmp_path / "data")
    app = workspace_app(data, session_cache, sqlite_url(tmp_path))
    figures = app.extensions["culturamap"].councils
    worst = str(figures.sort_values("gap_rank").iloc[0]["id"])  # gap_rank 1: the worst gap
    councils = gpd.read_file(data / "boundaries" / "councils.geojson")
    inside = (councils[councils["id"] == worst].to_crs(METRIC_CRS).representative_point()
              .to_crs(WEB_CRS).iloc[0])
    with serve(app) as base:
        watched = make_page(base)
        page = watched.page
        page.goto(base + "/planificar")  # not signed in: sent to the sign-in page
        assert "/entrar" in page.url
        page.fill("#name", "ana")
        page.fill("#password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("body[data-map-ready='1']", state="attached")
        assert page.url.endswith("/planificar")
        mean = f'tr[data-council="{worst}"] td.mean'
        before = float(page.locator(mean).inner_text())

        page.locator("#workspace-map").scroll_into_view_if_needed()
        x, y = page.evaluate(CLICK_JS, [inside.y, inside.x])
        page.mouse.click(x, y)
        lon = float(page.input_value("#add-form input[name=lon]"))
        lat = float(page.input_value("#add-form input[name=lat]"))
        assert abs(lon - inside.x) < 1e-4 and abs(lat - inside.y) < 1e-4  # ~10 m at zoom 16
        page.fill("#add-form input[name=name]", "Biblioteca <b>nueva</b>")
        page.select_option("#add-form select[name=category]", "library")
        page.fill("#add-form input[name=source]", "prueba de navegador")
        with page.expect_navigation():
            page.click("#add-form button[type=submit]")
        page.wait_for_selector("body[data-map-ready='1']", state="attached")
        assert page.locator("#venue-CM-001 .venue-name").inner_text() == \
            "Biblioteca <b>nueva</b>"
        after = float(page.locator(mean).inner_text())
        assert after < before
        page.evaluate("window.scrollTo(0, 0)")
        watched.shot("workspace_after_add")
        watched.assert_clean()
    app.extensions["culturamap_workspace"].db.dispose()
