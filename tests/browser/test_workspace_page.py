"""The planner workspace in Chromium: sign in, add a venue by clicking the map, and see the
access figures of the council where it was added improve."""

from __future__ import annotations

import pytest

from tests.support.layers import copy_fixture_data
from tests.support.web import serve
from tests.support.workspace import (
    PASSWORD,
    TO_LOCATE_CSV,
    point_in_worst_council,
    sqlite_url,
    workspace_app,
)

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
    worst, inside = point_in_worst_council(app, data)
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


def _sign_in(page, base: str) -> None:
    page.goto(base + "/entrar")
    page.fill("#name", "ana")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")
    page.wait_for_selector("body[data-map-ready='1']", state="attached")


def test_place_a_venue_to_locate_and_see_a_conflict(make_page, tmp_path, session_cache):
    data = copy_fixture_data(tmp_path / "data")
    (data / "venues" / "por_ubicar.csv").write_text(TO_LOCATE_CSV, "utf-8")
    app = workspace_app(data, session_cache, sqlite_url(tmp_path))
    with serve(app) as base:
        first, second = make_page(base), make_page(base)
        for watched in (first, second):
            _sign_in(watched.page, base)
        page = first.page
        page.click("#place-PU-01 button.pick")
        assert "Biblioteca por ubicar" in page.inner_text("#map-target")
        page.locator("#workspace-map").scroll_into_view_if_needed()
        x, y = page.evaluate(CLICK_JS, [-29.978, -71.322])
        page.mouse.click(x, y)
        assert page.input_value("#place-form-PU-01 input[name=lon]") != ""
        with page.expect_navigation():
            page.click("#place-form-PU-01 button[type=submit]")
        assert page.locator("#place-PU-01").count() == 0
        assert page.locator("#venue-PU-01 .venue-name").inner_text() == "Biblioteca por ubicar"

        # two planners on V-002: the first saves, the second's older form gets the conflict
        other = second.page
        other.click("#venue-V-002 summary")
        other.fill("#edit-form-V-002 input[name=name]", "Nombre de la segunda")
        page.click("#venue-V-002 summary")
        page.fill("#edit-form-V-002 input[name=name]", "Nombre de la primera")
        with page.expect_navigation():
            page.click("#edit-form-V-002 button[type=submit]")
        with other.expect_navigation():
            other.click("#edit-form-V-002 button[type=submit]")
        assert other.locator("#conflict").is_visible()
        assert "Nombre de la primera" in other.inner_text("#conflict-current")
        assert "Nombre de la segunda" in other.inner_text("#conflict-yours")
        second.shot("workspace_conflict")
        first.assert_clean()
        second.assert_clean()
    app.extensions["culturamap_workspace"].db.dispose()


def test_record_a_workshop_with_a_proposal(make_page, tmp_path, session_cache):
    data = copy_fixture_data(tmp_path / "data")
    app = workspace_app(data, session_cache, sqlite_url(tmp_path))
    with serve(app) as base:
        watched = make_page(base)
        page = watched.page
        _sign_in(page, base)
        page.click("#add-workshop summary")
        page.fill("#workshop-form input[name=title]", "Taller <i>de</i> teatro")
        page.fill("#workshop-form input[name=date]", "2026-06-13")
        page.select_option("#workshop-form select[name=venue_id]", "V-012")
        page.check("#workshop-form input[name=councils][value='JV-03']")
        page.check("#workshop-form input[name=councils][value='JV-04']")
        page.fill("#workshop-form input[name=attendance]", "31")
        page.fill("#workshop-form input[name=source]", "acta")
        with page.expect_navigation():
            page.click("#workshop-form button[type=submit]")
        item = page.locator("#workshop-TM-001")
        assert item.locator(".workshop-title").inner_text() == "Taller <i>de</i> teatro"
        item.locator("summary").click()
        form = item.locator("#proposal-form-TM-001")
        form.locator("textarea[name=text]").fill("Un elenco juvenil en la sede")
        form.locator("input[name=councils][value='JV-04']").uncheck()
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        page.locator("#workshop-TM-001 summary").click()
        proposal = page.locator("#workshop-TM-001 li.proposal")
        assert proposal.inner_text() == "Un elenco juvenil en la sede (JV-03)"
        watched.assert_clean()
    app.extensions["culturamap_workspace"].db.dispose()
