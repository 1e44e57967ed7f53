"""HTTP as an attacker or a strict client sees it: headers on every response, 405 with Allow,
a malformed Host answered 400 (never 500, never echoed into links), HEAD without rendering.
"""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser

import pytest

from tests.support.data import FIXTURE_DATA_DIR
from tests.support.web import app_for

LONG_LABEL_HOST = "a" * 64 + ".example.cl"  # DNS labels are at most 63 octets
PATHS = ["/", "/cerca", "/acerca", "/descargas", "/ogc", "/ogc/collections",
         "/api/councils", "/static/js/common.js", "/no-such-page"]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    application = app_for(FIXTURE_DATA_DIR, tmp_path_factory.mktemp("cache"))
    application.testing = False  # errors go through the handlers, as in production
    return application


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


def directives(csp: str) -> dict[str, list[str]]:
    out = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


class InlineScripts(HTMLParser):
    """Executable inline scripts of a page, found by the standard library's HTML parser."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.bodies: list[str] = []
        self._inside = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        kind = (attrs.get("type") or "text/javascript").lower()
        self._inside = tag == "script" and "src" not in attrs and "json" not in kind
        if self._inside:
            self.bodies.append("")

    def handle_data(self, data):
        if self._inside:
            self.bodies[-1] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._inside = False


# --- headers on every response ----------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "geolocation=(self)" in headers["Permissions-Policy"]
    csp = directives(headers["Content-Security-Policy"])
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'self'"]
    assert csp["script-src"][0] == "'self'"
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]


@pytest.mark.parametrize("path", ["/", "/?lang=en", "/cerca"])
def test_script_src_lists_exactly_the_hashes_of_the_page_scripts(client, path):
    response = client.get(path)
    parser = InlineScripts()
    parser.feed(response.get_data(as_text=True))
    expected = {
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in parser.bodies
    }
    listed = set(directives(response.headers["Content-Security-Policy"])["script-src"][1:])
    assert listed == expected
    if path != "/cerca":
        assert len(expected) >= 2  # folium's map code and the page's start-up call


def test_the_policy_of_a_compressed_page_lists_its_script_hashes(client):
    """Pages are sent gzip-compressed to browsers that accept it: the hashes must still be
    those of the page's scripts, not of nothing found in compressed bytes."""
    import gzip

    response = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("Content-Encoding") == "gzip"
    parser = InlineScripts()
    parser.feed(gzip.decompress(response.data).decode("utf-8"))
    expected = {
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in parser.bodies
    }
    listed = set(directives(response.headers["Content-Security-Policy"])["script-src"][1:])
    assert expected and listed == expected


# --- methods -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/api/councils", "/ogc/collections", "/descargas"])
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_a_wrong_method_is_405_with_allow(client, path, method):
    response = client.open(path, method=method)
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allowed == {"GET", "HEAD", "OPTIONS"}


# --- Host -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_a_host_label_over_63_characters_is_400_not_500(client, path):
    response = client.get(path, headers={"Host": LONG_LABEL_HOST})
    assert response.status_code == 400
    assert LONG_LABEL_HOST not in response.get_data(as_text=True)
    assert "Content-Security-Policy" in response.headers


def test_a_63_character_label_is_a_valid_host(client):
    response = client.get("/acerca", headers={"Host": "a" * 63 + ".example.cl"})
    assert response.status_code == 200


def _all_hrefs(body) -> list[str]:
    found = []
    if isinstance(body, dict):
        for key, value in body.items():
            if key == "href":
                found.append(value)
            else:
                found.extend(_all_hrefs(value))
    elif isinstance(body, list):
        for value in body:
            found.extend(_all_hrefs(value))
    return found


OGC_PATHS = ["/ogc", "/ogc/collections", "/ogc/collections/venues",
             "/ogc/collections/population/items?limit=5&offset=5", "/collections",
             "/ogc/collections/venues/items/V-001"]


@pytest.mark.parametrize("path", OGC_PATHS)
def test_ogc_links_never_come_from_the_host_header(client, path):
    response = client.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 200
    hrefs = _all_hrefs(response.get_json())
    assert hrefs and all(h.startswith("/") and not h.startswith("//") for h in hrefs)
    assert "evil.example" not in response.get_data(as_text=True)


def test_ogc_links_use_the_configured_public_url(tmp_path):
    app = app_for(FIXTURE_DATA_DIR, tmp_path / "cache", PUBLIC_URL="https://mapa.example.cl/")
    client = app.test_client()
    for path in OGC_PATHS:
        body = client.get(path, headers={"Host": "evil.example"}).get_json()
        hrefs = _all_hrefs(body)
        assert hrefs and all(h.startswith("https://mapa.example.cl/") for h in hrefs), hrefs
    servers = client.get("/ogc/api").get_json()["servers"]
    assert [s["url"] for s in servers] == ["https://mapa.example.cl/ogc", "https://mapa.example.cl/"]
