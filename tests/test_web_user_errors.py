"""Every user-facing error (geo.errors.CulturamapError) becomes a clean 400 on the web:
JSON with the error's message for the APIs, the HTML error page elsewhere (issue 8, 5)."""

from __future__ import annotations

import pytest

from geo.siting import SitingError
from tests.support.data import FIXTURE_DATA_DIR
from tests.support.web import app_for


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = app_for(FIXTURE_DATA_DIR, tmp_path_factory.mktemp("cache"))

    def fails():
        raise SitingError("candidates: row 3 lies outside Coquimbo")

    app.add_url_rule("/api/fails", "api_fails", fails)
    app.add_url_rule("/fails", "page_fails", fails)
    return app.test_client()


def test_api_gets_json_400_with_the_message(client):
    response = client.get("/api/fails?lang=en")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_input"
    assert body["detail"] == "Invalid data or parameters: candidates: row 3 lies outside Coquimbo"


def test_page_gets_the_html_error_page(client):
    response = client.get("/fails")
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "Traceback" not in response.get_data(as_text=True)
