"""The pages run under their Content-Security-Policy in Chromium: the map and the nearby view
draw (folium's inline code is allowed by its hashes) and an injected inline script is refused.
"""

from __future__ import annotations

import urllib.request

import pytest

from tests.support.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.support.data import FIXTURE_DATA_DIR
from tests.support.web import app_for, serve

pytestmark = pytest.mark.browser
INTERACTIVE_PATHS = ".leaflet-overlay-pane path.leaflet-interactive"
OTHER_HOST = "culturamap.test"  # resolved to loopback by Chromium only: not a secure origin


@pytest.mark.parametrize("path", ["/", "/cerca", "/?lang=en"])
def test_pages_draw_under_their_csp_without_violations(make_page, base_url, path):
    with urllib.request.urlopen(base_url + path) as response:
        csp = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    w = make_page(base_url)
    w.goto(path)  # waits until the page's script says the map is ready
    assert w.page.locator(INTERACTIVE_PATHS).count() > 0  # council outlines drawn
    w.assert_clean()  # no page error, no CSP violation in the console


def test_an_injected_inline_script_is_refused_and_reported(make_page, base_url):
    """The control of the test above: the console watcher does see a violation."""
    w = make_page(base_url)
    w.goto("/")
    w.page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = 1;'; document.head.appendChild(s); }"
    )
    w.page.wait_for_timeout(200)
    assert w.page.evaluate("() => window.injected") is None
    assert any("Content Security Policy" in e for e in w.errors), w.errors


def test_location_over_plain_http_says_https_is_needed(browser, tmp_path):
    """From another machine over http the page is not a secure context: the phone view must
    say that location needs https, not that the person refused it. A host name that Chromium
    resolves to this machine (not "localhost") is such an origin, on any CI machine."""
    app = app_for(FIXTURE_DATA_DIR, tmp_path / "cache")
    other = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {OTHER_HOST} 127.0.0.1"])
    with serve(app) as base:
        port = base.rsplit(":", 1)[1]
        context = other.new_context(locale="es-CL", permissions=["geolocation"],
                                    geolocation={"latitude": -29.978, "longitude": -71.322})
        try:
            page = context.new_page()
            page.goto(f"http://{OTHER_HOST}:{port}/cerca")
            page.wait_for_selector("body[data-map-ready='1']", state="attached")
            assert page.evaluate("() => window.isSecureContext") is False
            page.click("#locate-btn")
            status = page.locator("#nearby-status")
            assert "https://" in status.inner_text()
            assert "permiso" not in status.inner_text()
            assert "error" in (status.get_attribute("class") or "")
        finally:
            context.close()
            other.close()


def test_about_page_shows_the_address_the_browser_used(make_page, base_url):
    """Without public_url the server writes no host at all; the page shows the origin the
    reader's browser really used, so the address copied into QGIS is the right one."""
    w = make_page(base_url)
    w.page.goto(base_url + "/acerca")
    shown = w.page.locator("main li", has_text="OGC API").first.inner_text()
    assert shown.startswith(base_url + "/ogc"), shown
    w.assert_clean()
