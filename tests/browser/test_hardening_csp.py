"""The pages run under their Content-Security-Policy in Chromium: the map and the nearby view
draw (folium's inline code is allowed by its hashes) and an injected inline script is refused.
"""

from __future__ import annotations

import urllib.request

import pytest

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
