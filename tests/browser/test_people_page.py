"""Issue 16 in Chromium: a resident proposes by clicking the map, a planner publishes it,
and it appears on the public map, its text shown as text (never run)."""

from __future__ import annotations

import pytest

from geo import METRIC_CRS, WEB_CRS
from tests.support.layers import copy_fixture_data
from tests.support.web import serve
from tests.support.workspace import PASSWORD, sqlite_url, workspace_app

pytestmark = pytest.mark.browser

TEXT = "Un mural en este muro <img src=x onerror=alert(1)>"
CLICK_JS = """([lat, lon]) => {
  const map = window.culturamapPeople.map;
  map.setView([lat, lon], 16, {animate: false});
  const p = map.latLngToContainerPoint([lat, lon]);
  const box = document.getElementById('people-map').getBoundingClientRect();
  return [box.left + p.x, box.top + p.y];
}"""


def test_propose_on_the_map_moderate_and_see_it_on_the_public_map(make_page, tmp_path,
                                                                   session_cache):
    data = copy_fixture_data(tmp_path / "data")
    app = workspace_app(data, session_cache, sqlite_url(tmp_path))
    councils = app.extensions["culturamap"].layers.councils
    row = councils.iloc[6]
    inside = (councils.iloc[[6]].to_crs(METRIC_CRS).representative_point().to_crs(WEB_CRS)
              .iloc[0])
    with serve(app) as base:
        resident = make_page(base)
        page = resident.page
        resident.goto("/participa")
        page.locator("#people-map").scroll_into_view_if_needed()
        x, y = page.evaluate(CLICK_JS, [inside.y, inside.x])
        page.mouse.click(x, y)
        assert abs(float(page.input_value("#proposal-lon")) - inside.x) < 1e-4
        page.fill("#proposal-text", TEXT)
        page.select_option("#proposal-category", "arte_urbano")
        with page.expect_navigation():
            page.click("#proposal-submit")
        assert "Recibimos su propuesta" in page.inner_text("#people-message")

        resident.goto("/")  # not published yet: no proposal layer on the map
        assert page.locator("path.proposal-marker").count() == 0

        planner = make_page(base)
        staff = planner.page
        staff.goto(base + "/entrar")
        staff.fill("#name", "ana")
        staff.fill("#password", PASSWORD)
        with staff.expect_navigation():
            staff.click("#login-form button[type=submit]")
        staff.goto(base + "/planificar/participacion")
        assert staff.locator("#queue-1 .proposal-text").inner_text() == TEXT
        with staff.expect_navigation():
            staff.click("#approve-1")
        assert staff.locator("#published-1 .proposal-text").inner_text() == TEXT
        planner.shot("people_moderation")

        resident.goto("/")
        marker = page.locator("path.proposal-marker")
        assert marker.count() == 1
        marker.first.click(force=True)
        popup = page.locator(".proposal-popup")
        popup.wait_for()
        assert popup.locator(".proposal-text").inner_text() == TEXT
        assert row["name"] in popup.inner_text()
        resident.shot("people_proposal_on_map")

        # /cerca for that council lists it; choosing another council offers a link instead
        page.goto(base + f"/cerca?junta={row['id']}")
        page.wait_for_selector("body[data-map-ready='1']", state="attached")
        assert page.locator("#nearby-proposals .proposal-text").inner_text() == TEXT
        assert page.locator("#people-link-row").is_hidden()
        other = str(councils.iloc[0]["id"])
        page.select_option("#council-select", other)
        assert page.locator("#nearby-people").is_hidden()
        assert f"junta={other}" in page.locator("#people-link").get_attribute("href")
        assert page.locator("#people-link-row").is_visible()
        resident.assert_clean()
        planner.assert_clean()
    app.extensions["culturamap_workspace"].db.dispose()


@pytest.mark.parametrize("lang", ["es", "en"])
def test_people_pages_have_no_wcag_violation(browser, tmp_path, session_cache, lang):
    """The public pages of issue 16 and the moderation pages, with a published proposal
    and a published creator in them."""
    from tests.browser.conftest import open_page
    from tests.browser.test_accessibility import BLOCKING, axe_violations, describe
    from webmap.workspace import creators, participation
    from webmap.workspace.models import User

    app = workspace_app(copy_fixture_data(tmp_path / "data"), session_cache,
                        sqlite_url(tmp_path))
    db = app.extensions["culturamap_workspace"].db
    with db.session() as s:
        ana = s.query(User).filter_by(name="ana").one()
        p = participation.submit(s, {"text": "Un club de lectura", "category": "lectura",
                                     "council": "JV-05"}, {"JV-05"}, lambda *_: None)
        participation.submit(s, {"text": "Otra", "category": "otra", "council": "JV-05"},
                             {"JV-05"}, lambda *_: None)
        participation.approve(s, ana, p.id)
        creators.register(s, ana, {"name": "Colectivo", "kind": "colectivo",
                                   "disciplines": ["teatro"], "councils": ["JV-05"],
                                   "links": "https://example.org"}, {"JV-05"}, set())
    from webmap.workspace.people_views import publication_changed

    publication_changed(app)
    public_pages = ["/participa", f"/participa/propuestas/{p.id}", "/creadores",
                    "/creadores/registro", "/creadores/1/contacto", "/privacidad",
                    "/cerca?junta=JV-05"]
    with serve(app) as base:
        w = open_page(browser, base, bypass_csp=True)  # axe is injected inline
        page = w.page
        found = {}
        for path in public_pages:
            page.goto(f"{base}{path}{'&' if '?' in path else '?'}lang={lang}")
            found[path] = axe_violations(page)
        page.goto(f"{base}/entrar")
        page.fill("#name", "root")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("#login-form button[type=submit]")
        for path in ("/planificar/participacion", "/planificar/privacidad"):
            page.goto(f"{base}{path}?lang={lang}")
            found[path] = axe_violations(page)
    db.dispose()
    blocking = {k: v for k, v in found.items() if any(x["impact"] in BLOCKING for x in v)}
    assert blocking == {}, "\n".join(f"{k}:\n{describe(v)}" for k, v in blocking.items())
