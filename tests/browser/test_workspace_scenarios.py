"""A planner in Chromium signs in, runs a scenario adding a library (placed by a click on the
map) inside the council with the worst access gap, and sees that council's share within the
threshold improve on the result page."""

from __future__ import annotations

import pytest

from tests.support.layers import copy_fixture_data
from tests.support.web import serve
from tests.support.workspace import PASSWORD, point_in_worst_council, sqlite_url, workspace_app

pytestmark = pytest.mark.browser

CLICK_JS = """([lat, lon]) => {
  const map = window.culturamapScenarios.map;
  map.setView([lat, lon], 16, {animate: false});
  const p = map.latLngToContainerPoint([lat, lon]);
  const box = document.getElementById('scenario-map').getBoundingClientRect();
  return [box.left + p.x, box.top + p.y];
}"""


def _percent(text: str) -> float:
    """'12,3 %' (es-CL) as 12.3."""
    return float(text.replace("%", "").replace("\u00a0", "").replace(".", "")
                 .replace(",", ".").strip())


def test_sign_in_run_a_scenario_and_see_a_council_improve(make_page, tmp_path, session_cache):
    data = copy_fixture_data(tmp_path / "data")
    app = workspace_app(data, session_cache, sqlite_url(tmp_path))
    worst, inside = point_in_worst_council(app, data)
    with serve(app) as base:
        watched = make_page(base)
        page = watched.page
        page.goto(base + "/planificar/escenarios")  # not signed in: sent to sign in
        assert "/entrar" in page.url
        page.fill("#name", "ana")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("#login-form button[type=submit]")
        assert page.url.endswith("/planificar/escenarios")
        assert page.locator("#no-scenarios").is_visible()

        form = "#scenario-form"
        page.fill(f"{form} input[name=name]", "Biblioteca en la unidad más lejana")
        page.fill(f"{form} input[name=add_name_1]", "Biblioteca nueva")
        page.select_option(f"{form} select[name=add_category_1]", "library")
        page.wait_for_selector("body[data-map-ready='1']", state="attached")
        page.locator("#scenario-map").scroll_into_view_if_needed()
        x, y = page.evaluate(CLICK_JS, [inside.y, inside.x])
        page.mouse.click(x, y)  # the click writes the point into the first empty row
        lon = float(page.input_value(f"{form} input[name=add_lon_1]"))
        lat = float(page.input_value(f"{form} input[name=add_lat_1]"))
        assert abs(lon - inside.x) < 1e-4 and abs(lat - inside.y) < 1e-4  # ~10 m at zoom 16
        assert page.input_value(f"{form} input[name=add_lon_2]") == ""
        with page.expect_navigation():
            page.click(f"{form} button[type=submit]")
        assert page.url.endswith("/planificar/escenarios/biblioteca-en-la-unidad-mas-lejana")
        row = page.locator(f'#council-changes tr[data-council="{worst}"]')
        before = _percent(row.locator("td.before").inner_text())
        after = _percent(row.locator("td.after").inner_text())
        assert after > before
        assert row.locator("td.change").inner_text().startswith("+")
        watched.shot("workspace_scenario_result")

        with page.expect_navigation():
            page.click("main a[href='/planificar/escenarios']")
        assert page.locator('#saved-scenarios tr[data-scenario]').count() == 1
        watched.assert_clean()
    app.extensions["culturamap_workspace"].db.dispose()
