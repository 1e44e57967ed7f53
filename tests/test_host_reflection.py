"""HTML pages never write the Host header back: a forged Host must not reach a page a shared
cache could keep (the OGC links have their own test in test_hardening_http.py)."""
from __future__ import annotations

import pytest

from tests.support.data import FIXTURE_DATA_DIR
from tests.support.web import app_for

HTML_PATHS = ["/", "/cerca", "/acerca", "/about?lang=en", "/descargas"]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return app_for(FIXTURE_DATA_DIR, tmp_path_factory.mktemp("cache")).test_client()


@pytest.mark.parametrize("path", HTML_PATHS)
def test_html_pages_do_not_reflect_a_forged_host(client, path):
    response = client.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 200
    assert "evil.example" not in response.get_data(as_text=True)


def test_about_page_leaves_the_origin_to_the_browser_without_public_url(client):
    body = client.get("/acerca").get_data(as_text=True)
    assert '<span data-page-origin></span>/ogc' in body


def test_about_page_gives_the_configured_public_address(tmp_path):
    app = app_for(FIXTURE_DATA_DIR, tmp_path / "cache", PUBLIC_URL="https://mapa.example.cl/")
    body = app.test_client().get("/acerca", headers={"Host": "evil.example"}).get_data(
        as_text=True)
    assert "https://mapa.example.cl/ogc/api" in body
    assert "evil.example" not in body and "data-page-origin" not in body
