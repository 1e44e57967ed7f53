"""Security of the HTML pages: links built from the request never point to another site."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest

from tests.support.data import FIXTURE_DATA_DIR
from tests.support.web import app_for


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return app_for(FIXTURE_DATA_DIR, tmp_path_factory.mktemp("cache"))


def switch_href(page: str) -> str:
    return re.search(r'id="lang-switch" href="([^"]*)"', page).group(1)


@pytest.mark.parametrize(
    "path", ["/%5Cevil.example", "/%5C%5Cevil.example/x", "/%2F%2Fevil.example"]
)
def test_language_switch_on_a_404_stays_on_this_site(app, path):
    response = app.test_client().get(path)
    assert response.status_code == 404
    href = switch_href(response.get_data(as_text=True))
    assert href.startswith("/") and not href.startswith(("//", "/\\"))
    assert "evil" not in href
    # resolved like a browser would, against this site: same host
    assert urlsplit(urljoin("http://culturamap.test/x/y", href)).netloc == "culturamap.test"
    assert href == "/?lang=en"


def test_language_switch_for_a_double_slash_path(app):
    # the test client would read "//evil.example" as a host: send the raw path instead
    response = app.test_client().get("/", environ_overrides={"PATH_INFO": "//evil.example"})
    assert response.status_code == 404
    href = switch_href(response.get_data(as_text=True))
    assert href == "/?lang=en"


def test_language_switch_keeps_the_page_and_its_known_search(app):
    client = app.test_client()
    page = client.get("/cerca?junta=JV-05&categoria=library").get_data(as_text=True)
    assert switch_href(page) == "/cerca?junta=JV-05&amp;categoria=library&amp;lang=en"
    # unknown values are neither echoed nor cached
    page = client.get("/cerca?junta=%22%3E%3Cscript%3E&categoria=x").get_data(as_text=True)
    assert switch_href(page) == "/cerca?lang=en"
    assert "<script>" not in page.split("<main", 1)[0]
    english = client.get("/about?lang=en").get_data(as_text=True)
    assert switch_href(english) == "/about?lang=es"
