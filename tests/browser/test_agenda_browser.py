"""The agenda in Chromium: from /cerca (a phone) to an activity's page and back, with the
title kept as text; the map's "this week" layer; pages run under their CSP."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.support.layers import copy_fixture_data
from tests.support.web import serve
from tests.support.workspace import page_token, sign_in, sqlite_url, workspace_app

pytestmark = pytest.mark.browser

TITLE = "Murga <b>barrial</b> & \"lectura\""
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def agenda_app(tmp_path, session_cache):
    app = workspace_app(copy_fixture_data(tmp_path / "data"), session_cache,
                        sqlite_url(tmp_path))
    app.config["AGENDA_NOW"] = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
    client = app.test_client()
    assert sign_in(client).status_code == 302
    token = page_token(client)
    for body in ({"title": TITLE, "start": "2026-11-27T19:00", "end": "2026-11-27T21:00",
                  "rrule": "FREQ=WEEKLY;BYDAY=FR;COUNT=6", "venue_id": "V-003",
                  "free": True, "audience": "youth"},
                 {"title": "Teatro lejano", "start": "2026-11-28T20:00",
                  "end": "2026-11-28T22:00", "venue_id": "V-001", "free": False}):
        answer = client.post("/planificar/actividades", json=body,
                             headers={"X-CSRFToken": token})
        assert answer.status_code == 201, answer.json
    yield app
    app.extensions["culturamap_workspace"].db.dispose()


def test_from_cerca_to_an_activity_and_back(make_page, agenda_app):
    with serve(agenda_app) as base:
        watched = make_page(base, **PHONE)
        page = watched.page
        watched.goto("/cerca?junta=JV-01")
        page.wait_for_selector("#agenda-list li.agenda-item")
        items = page.locator("#agenda-list li.agenda-item")
        # V-001 lies across the ravine from JV-01 (no walk): only the Friday murga, within
        # the next 30 days from 26 November: 27 Nov, 4, 11, 18 and 25 December
        assert items.count() == 5
        first = items.first
        assert first.locator("strong").inner_text() == TITLE
        assert "viernes 27 de noviembre de 2026, 19:00–21:00" in first.inner_text()
        watched.shot("agenda-cerca")
        page.check("#agenda-free")
        page.select_option("#agenda-minutes", "5")
        page.wait_for_selector("#agenda-list li.agenda-item", state="detached")
        assert "No hay actividades cerca" in page.inner_text("#agenda-status")
        page.select_option("#agenda-minutes", "15")
        page.wait_for_selector("#agenda-list li.agenda-item")
        with page.expect_navigation():
            page.locator("#agenda-list li.agenda-item a").first.click()
        assert "/actividades/1" in page.url
        assert page.inner_text("#activity-title") == TITLE
        data = json.loads(page.inner_text("script[type='application/ld+json']"))
        assert data["name"] == TITLE and data["startDate"].startswith("2026-11-27T19:00")
        watched.shot("agenda-activity")
        with page.expect_navigation():
            page.click("#activity-back")
        page.wait_for_selector("body[data-map-ready='1']", state="attached")
        assert "/cerca" in page.url and "junta=JV-01" in page.url
        page.wait_for_selector("#agenda-list li.agenda-item")
        watched.assert_clean()


def test_the_map_shows_this_weeks_activities_when_the_layer_is_on(make_page, agenda_app):
    with serve(agenda_app) as base:
        watched = make_page(base)
        page = watched.page
        watched.goto("/")
        page.get_by_label("Actividades esta semana").check()
        page.wait_for_selector("body[data-agenda-week]", state="attached")
        # 26 Nov 12:00 UTC + 7 days: the murga of 27 Nov and the play of 28 Nov
        assert page.evaluate("document.body.dataset.agendaWeek") == "2"
        watched.assert_clean()
