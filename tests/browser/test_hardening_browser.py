"""The pages run under their Content-Security-Policy in Chromium: the map and the nearby view
draw (folium's inline code is allowed by its hashes) and an injected inline script is refused.
"""

from __future__ import annotations

import socket
import threading
import urllib.request

import pytest

from tests.support.data import FIXTURE_DATA_DIR
from tests.support.web import app_for

pytestmark = pytest.mark.browser
INTERACTIVE_PATHS = ".leaflet-overlay-pane path.leaflet-interactive"


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


def _own_address() -> str | None:
    """This machine's non-loopback IPv4 address (a page from it is not a secure context)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("10.255.255.255", 9))  # no packet is sent for a UDP connect
        except OSError:
            return None
        address = sock.getsockname()[0]
    return None if address.startswith("127.") else address


def test_location_over_plain_http_says_https_is_needed(browser, tmp_path):
    """From another machine over http the page is not a secure context: the phone view must
    say that location needs https, not that the person refused it."""
    from werkzeug.serving import make_server

    address = _own_address()
    if address is None:
        pytest.skip("no non-loopback address to serve from")
    app = app_for(FIXTURE_DATA_DIR, tmp_path / "cache")
    server = make_server(address, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    context = browser.new_context(locale="es-CL", permissions=["geolocation"],
                                  geolocation={"latitude": -29.978, "longitude": -71.322})
    try:
        page = context.new_page()
        page.goto(f"http://{address}:{server.server_port}/cerca")
        page.wait_for_selector("body[data-map-ready='1']", state="attached")
        assert page.evaluate("() => window.isSecureContext") is False
        page.click("#locate-btn")
        status = page.locator("#nearby-status")
        assert "https://" in status.inner_text()
        assert "permiso" not in status.inner_text()
        assert "error" in (status.get_attribute("class") or "")
    finally:
        context.close()
        server.shutdown()
        thread.join(timeout=5)
