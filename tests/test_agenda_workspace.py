"""The agenda in the planner workspace and its public pages, on SQLite and PostgreSQL:
create / edit / cancel with history and optimistic locking, sign-in and CSRF, the .ics and
CSV imports (every problem with its line, all or nothing), escaping, JSON-LD, feeds."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import subprocess

import icalendar
import pytest
from sqlalchemy import func, select

from tests.support.layers import copy_fixture_data
from tests.support.web import app_for
from tests.support.workspace import csrf_token, page_token, sign_in, workspace_app
from webmap.workspace.agenda_models import Activity
from webmap.workspace.models import Change

SCRIPT_TITLE = '<script>alert("x")</script> Club de lectura'
WEEKLY = {"title": "Taller de murga", "start": "2026-12-01T19:00", "end": "2026-12-01T21:00",
          "rrule": "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270302", "venue_id": "V-003", "free": True,
          "audience": "youth", "organiser": "Junta JV-01", "accessibility": "Acceso a nivel",
          "source_url": "https://example.org/murga"}


@pytest.fixture
def app(tmp_path, session_cache, database_url):
    app = workspace_app(copy_fixture_data(tmp_path / "data"), session_cache, database_url)
    yield app
    app.extensions["culturamap_workspace"].db.dispose()


@pytest.fixture
def planner(app):
    client = app.test_client()
    assert sign_in(client).status_code == 302
    return client


def _post(client, path, body, token):
    return client.post(path, json=body, headers={"X-CSRFToken": token})


def _db(app):
    return app.extensions["culturamap_workspace"].db


def _counts(app) -> tuple[int, int]:
    with _db(app).session() as session:
        return (session.scalar(select(func.count()).select_from(Activity)),
                session.scalar(select(func.count()).select_from(Change)
                               .where(Change.kind == "activity")))


def test_add_edit_cancel_with_history_and_a_stale_edit_gets_409(app, planner):
    token = page_token(planner)
    added = _post(planner, "/planificar/actividades", WEEKLY, token)
    assert added.status_code == 201, added.json
    activity = added.json["activity"]
    # typed as 19:00 in Coquimbo on 1 December (summer time, UTC-3): stored 22:00 UTC
    assert activity["start_utc"] == "2026-12-01T22:00:00"
    assert activity["rrule"] == "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270303T025959Z"
    path = f"/planificar/actividades/{activity['id']}"
    edited = _post(planner, path, {**WEEKLY, "title": "Taller de murga (sala 2)",
                                   "version": 1}, token)
    assert edited.status_code == 200, edited.json
    assert edited.json["activity"]["version"] == 2
    stale = _post(planner, path, {**WEEKLY, "title": "otra", "version": 1}, token)
    assert stale.status_code == 409
    assert stale.json["current"]["title"] == "Taller de murga (sala 2)"
    assert stale.json["submitted"]["title"] == "otra"
    assert planner.get(f"/actividades/{activity['id']}").status_code == 200
    cancelled = _post(planner, f"{path}/cancelar", {"version": 2}, token)
    assert cancelled.status_code == 200
    assert planner.get(f"/actividades/{activity['id']}").status_code == 404
    with _db(app).session() as session:
        actions = [c.action for c in session.scalars(
            select(Change).where(Change.kind == "activity").order_by(Change.id))]
    assert actions == ["add", "edit", "cancel"]
    history = planner.get(f"{path}/historial").get_data(as_text=True)
    assert "Taller de murga (sala 2)" in history


def test_admin_reverts_an_activity_change_a_planner_cannot(app, planner):
    token = page_token(planner)
    activity = _post(planner, "/planificar/actividades", WEEKLY, token).json["activity"]
    path = f"/planificar/actividades/{activity['id']}"
    moved = {**WEEKLY, "title": "Murga movida", "start": "2026-12-02T10:00",
             "end": "2026-12-02T12:00", "version": 1}
    assert _post(planner, path, moved, token).status_code == 200
    with _db(app).session() as session:
        add_id, edit_id = session.scalars(select(Change.id).where(
            Change.kind == "activity").order_by(Change.id)).all()
    revert = f"/planificar/actividades/cambios/{edit_id}/revertir"
    assert _post(planner, revert, {}, token).status_code == 403
    admin = app.test_client()
    sign_in(admin, "root")
    admin_token = page_token(admin)
    reverted = _post(admin, revert, {}, admin_token)
    assert reverted.status_code == 200, reverted.json
    back = reverted.json["activity"]
    assert back["title"] == "Taller de murga"
    assert (back["start_utc"], back["end_utc"]) == ("2026-12-01T22:00:00", "2026-12-02T00:00:00")
    assert "Taller de murga" in admin.get(f"/actividades/{activity['id']}").get_data(
        as_text=True)
    history = admin.get(f"{path}/historial").get_data(as_text=True)
    assert f'action="{revert}"' in history  # the admin's button posts to this route
    # reverting the addition withdraws the activity from every public view
    undone = _post(admin, f"/planificar/actividades/cambios/{add_id}/revertir", {}, admin_token)
    assert undone.status_code == 200 and undone.json["activity"]["cancelled"] is True
    assert admin.get(f"/actividades/{activity['id']}").status_code == 404
    # an activity's change is not reverted by the inventory's route, nor a venue's by this one
    assert _post(admin, f"/planificar/cambios/{edit_id}/revertir", {},
                 admin_token).status_code == 404
    with _db(app).session() as session:
        actions = [c.action for c in session.scalars(
            select(Change).where(Change.kind == "activity").order_by(Change.id))]
    assert actions == ["add", "edit", "revert", "revert"]


@pytest.mark.parametrize(("change", "words"), [
    ({"rrule": "FREQ=HOURLY"}, "FREQ"),
    ({"end": "2026-12-01T18:00"}, "posterior al inicio"),
    ({"venue_id": "NO-SUCH"}, "NO-SUCH"),
    ({"source_url": "javascript:alert(1)"}, "http"),
    ({"audience": "everyone"}, "everyone"),
    ({"start": "mañana"}, "mañana"),
])
def test_refused_values_say_why_and_write_nothing(app, planner, change, words):
    token = page_token(planner)
    answer = _post(planner, "/planificar/actividades", {**WEEKLY, **change}, token)
    assert answer.status_code == 400
    assert any(words in p for p in answer.json["problems"]), answer.json
    assert _counts(app) == (0, 0)


def test_edit_without_sign_in_is_refused_and_missing_csrf_is_400(app, planner):
    anonymous = app.test_client()
    # a valid CSRF token of the anonymous session, but nobody signed in
    token = csrf_token(anonymous.get("/entrar").get_data(as_text=True))
    api = _post(anonymous, "/planificar/actividades", WEEKLY, token)
    assert api.status_code == 401 and api.json["error"] == "unauthorized"
    form = anonymous.post("/planificar/actividades", data={**WEEKLY, "csrf_token": token})
    assert form.status_code == 302 and form.location.startswith("/entrar")
    assert anonymous.get("/planificar/actividades").status_code == 302
    assert anonymous.post("/planificar/actividades/1/cancelar",
                          data={"version": 1, "csrf_token": token}).status_code == 302
    no_token = planner.post("/planificar/actividades", data={**WEEKLY, "free": "1"})
    assert no_token.status_code == 400
    wrong = _post(planner, "/planificar/actividades", WEEKLY, "not-a-token")
    assert wrong.status_code == 400 and wrong.json["error"] == "csrf"
    assert _counts(app) == (0, 0)


def test_a_script_in_a_title_is_text_in_the_page_the_json_ld_and_the_list(app, planner):
    token = page_token(planner)
    added = _post(planner, "/planificar/actividades", {**WEEKLY, "title": SCRIPT_TITLE}, token)
    assert added.status_code == 201
    page = planner.get(f"/actividades/{added.json['activity']['id']}")
    html = page.get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(match.group(1))
    assert data["@type"] == "Event" and data["name"] == SCRIPT_TITLE
    assert data["startDate"] == "2026-12-01T19:00:00-03:00"
    assert data["isAccessibleForFree"] is True
    csp = page.headers["Content-Security-Policy"]
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src  # the JSON-LD is data, not a script to allow
    listing = planner.get("/planificar/actividades").get_data(as_text=True)
    assert "<script>alert" not in listing


BROKEN_ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//test//ES
BEGIN:VEVENT
UID:ok-1@test
SUMMARY:Lectura en la biblioteca
DTSTART;TZID=America/Santiago:20261201T190000
DTEND;TZID=America/Santiago:20261201T200000
X-CULTURAMAP-VENUE:V-003
END:VEVENT
BEGIN:VEVENT
UID:bad-1@test
SUMMARY:Fecha rota
DTSTART;TZID=America/Santiago:2026XX01T190000
DTEND;TZID=America/Santiago:20261201T200000
X-CULTURAMAP-VENUE:V-003
END:VEVENT
BEGIN:VEVENT
UID:bad-2@test
SUMMARY:Regla rota
DTSTART;TZID=America/Santiago:20261202T190000
DTEND;TZID=America/Santiago:20261202T200000
RRULE:FREQ=HOURLY
X-CULTURAMAP-VENUE:V-003
END:VEVENT
BEGIN:VEVENT
UID:bad-3@test
SUMMARY:Sin fin
END:VCALENDAR
"""


def _upload(client, token, name, text, step="preview", **extra):
    data = {"csrf_token": token, "step": step, **extra}
    if step == "preview":
        data["file"] = (io.BytesIO(text.encode("utf-8")), name)
    else:
        data["filename"] = name
        data["content"] = base64.b64encode(text.encode("utf-8")).decode()
    return client.post("/planificar/actividades/importar", data=data,
                       content_type="multipart/form-data")


def test_a_broken_ics_names_its_lines_and_writes_nothing(app, planner):
    token = csrf_token(planner.get("/planificar/actividades/importar").get_data(as_text=True))
    preview = _upload(planner, token, "agenda.ics", BROKEN_ICS)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 400
    # by hand: line 14 is the broken DTSTART, 23 the hourly RRULE, 26 a VEVENT never closed
    assert "línea 14: DTSTART" in html
    assert "línea 23: la regla" in html and "FREQ=HOURLY" in html
    assert "línea 26: VEVENT sin END:VEVENT" in html
    assert 'id="import-apply"' not in html
    applied = _upload(planner, token, "agenda.ics", BROKEN_ICS, step="apply")
    assert applied.status_code == 400
    assert _counts(app) == (0, 0)


GOOD_ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//test//ES
BEGIN:VEVENT
UID:murga@test
SUMMARY:Murga
DTSTART;TZID=America/Santiago:20261201T190000
DTEND;TZID=America/Santiago:20261201T210000
RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20270302T000000Z
X-CULTURAMAP-VENUE:V-003
X-CULTURAMAP-FREE:yes
X-CULTURAMAP-AUDIENCE:youth
END:VEVENT
BEGIN:VEVENT
UID:paseo@test
SUMMARY:Paseo patrimonial
DTSTART:20261205T130000Z
DURATION:PT2H
GEO:-29.9710;-71.3415
STATUS:CANCELLED
END:VEVENT
END:VCALENDAR
"""


def test_a_good_ics_imports_all_then_updates_by_uid(app, planner):
    token = csrf_token(planner.get("/planificar/actividades/importar").get_data(as_text=True))
    preview = _upload(planner, token, "agenda.ics", GOOD_ICS)
    assert preview.status_code == 200, preview.get_data(as_text=True)
    assert _counts(app) == (0, 0)
    applied = _upload(planner, token, "agenda.ics", GOOD_ICS, step="apply")
    assert applied.status_code == 200
    assert _counts(app) == (2, 3)  # two imports and the cancellation of the walk
    again = _upload(planner, token, "agenda.ics", GOOD_ICS.replace("Murga", "Murga 2"),
                    step="apply")
    assert again.status_code == 200
    with _db(app).session() as session:
        rows = {a.uid: a for a in session.scalars(select(Activity))}
    assert len(rows) == 2
    murga = rows["murga@test"]
    assert (murga.title, murga.free, murga.audience, murga.version) == ("Murga 2", True,
                                                                         "youth", 2)
    assert murga.start_utc.isoformat() == "2026-12-01T22:00:00"
    assert rows["paseo@test"].cancelled
    assert rows["paseo@test"].end_utc.isoformat() == "2026-12-05T15:00:00"


def test_a_csv_names_its_rows_and_writes_nothing(app, planner):
    token = csrf_token(planner.get("/planificar/actividades/importar").get_data(as_text=True))
    text = ("title,start,end,venue_id,lon,lat,audience\n"
            "Lectura,2026-12-01T19:00,2026-12-01T20:00,V-003,,,all\n"
            ",2026-12-02T19:00,2026-12-02T20:00,V-003,,,all\n"
            "Cine,2026-12-03T19:00,2026-12-03T18:00,,-71.34,-29.97,nobody\n")
    preview = _upload(planner, token, "agenda.csv", text)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 400
    assert "elemento/feature 2" in html and "falta el título" in html
    assert "elemento/feature 3" in html and "nobody" in html and "posterior" in html
    assert _upload(planner, token, "agenda.csv", text, step="apply").status_code == 400
    assert _counts(app) == (0, 0)


def test_feeds_are_subscribable_calendars_with_stable_uids_and_the_rule(app, planner):
    token = page_token(planner)
    added = _post(planner, "/planificar/actividades", WEEKLY, token)
    activity_id = added.json["activity"]["id"]
    feed = planner.get("/agenda/comuna.ics")
    assert feed.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(feed.data)
    events = [c for c in cal.walk("VEVENT")]
    assert [str(e["UID"]) for e in events] == [f"actividad-{activity_id}@culturamap"]
    assert cal.walk("VTIMEZONE")[0]["TZID"] == "America/Santiago"
    event = events[0]
    assert event["RRULE"].to_ical() == b"FREQ=WEEKLY;UNTIL=20270303T025959Z;BYDAY=TU"
    start = event.decoded("DTSTART")
    assert (start.hour, str(start.tzinfo)) == (19, "America/Santiago")
    assert str(event["URL"]).endswith(f"/actividades/{activity_id}")
    assert planner.get("/agenda/comuna.ics").data.count(b"UID:") == 1
    assert planner.get("/agenda/unidad/NO-SUCH.ics").status_code == 404


def test_a_cancelled_activity_stays_in_the_feeds_as_cancelled_until_its_last_session_ends(
        app, planner):
    """A calendar that copied the weekly workshop must learn it is called off: the feeds keep
    it, same UID, STATUS:CANCELLED and "Cancelada: ..." (English "Cancelled: ..."), without
    a link to its page (gone), until its last session (Tuesday 2 March 2027, 19:00-21:00 in
    Coquimbo = 3 March 00:00 UTC) has ended: a second before it is still there, at that
    instant it is not. The pages and the API never list it."""
    token = page_token(planner)
    added = _post(planner, "/planificar/actividades", WEEKLY, token).json["activity"]
    assert _post(planner, f"/planificar/actividades/{added['id']}/cancelar", {"version": 1},
                 token).status_code == 200
    last_end = dt.datetime(2027, 3, 3, 0, 0, tzinfo=dt.UTC)

    def events(path: str, at: dt.datetime) -> list:
        app.config["AGENDA_NOW"] = at
        return icalendar.Calendar.from_ical(planner.get(path).data).walk("VEVENT")

    for path, word in (("/agenda/comuna.ics", "Cancelada"), ("/agenda/unidad/JV-01.ics",
                                                             "Cancelada"),
                       ("/agenda/comuna.ics?lang=en", "Cancelled")):
        [event] = events(path, dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC))
        assert str(event["UID"]) == f"actividad-{added['id']}@culturamap"
        assert str(event["STATUS"]) == "CANCELLED"
        assert str(event["SUMMARY"]) == f"{word}: Taller de murga"
        assert "URL" not in event
        assert len(events(path, last_end - dt.timedelta(seconds=1))) == 1
        assert events(path, last_end) == []
    app.config["AGENDA_NOW"] = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
    assert planner.get("/api/agenda?junta=JV-01").json["sessions"] == []
    assert "Taller de murga" not in planner.get("/cerca?junta=JV-01").get_data(as_text=True)
    # the feed imported (into another workspace, or here: a copy keyed by the feed's UID),
    # in Spanish then in English, keeps the activity's own title, cancelled; the second
    # import updates the first (a cancelled one at a venue, re-imported, is no conflict)
    uid = f"actividad-{added['id']}@culturamap"
    for path in ("/agenda/comuna.ics", "/agenda/comuna.ics?lang=en"):
        feed = planner.get(path).get_data(as_text=True)
        import_page = planner.get("/planificar/actividades/importar").get_data(as_text=True)
        done = _upload(planner, csrf_token(import_page), "feed.ics", feed, step="apply")
        assert done.status_code == 200, done.get_data(as_text=True)
        with _db(app).session() as session:
            [copy] = session.scalars(select(Activity).where(Activity.uid == uid)).all()
            assert (copy.title, copy.cancelled, copy.venue_id) == ("Taller de murga", True,
                                                                   "V-003")


def test_an_activity_in_force_is_confirmed_in_the_feeds(app, planner):
    _post(planner, "/planificar/actividades", WEEKLY, page_token(planner))
    [event] = icalendar.Calendar.from_ical(
        planner.get("/agenda/comuna.ics").data).walk("VEVENT")
    assert (str(event["STATUS"]), str(event["SUMMARY"])) == ("CONFIRMED", "Taller de murga")


def test_ogc_collection_lists_the_next_30_days_sessions(app, planner):
    app.config["AGENDA_NOW"] = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
    token = page_token(planner)
    _post(planner, "/planificar/actividades", WEEKLY, token)
    meta = planner.get("/ogc/collections").json
    assert "activities" in [c["id"] for c in meta["collections"]]
    items = planner.get("/ogc/collections/activities/items?limit=1000").json
    # by hand: Tuesdays 19:00 from 1 December, until 26 December 12:00 UTC
    assert [f["properties"]["start"] for f in items["features"]] == [
        "2026-12-01T19:00:00-03:00", "2026-12-08T19:00:00-03:00",
        "2026-12-15T19:00:00-03:00", "2026-12-22T19:00:00-03:00"]
    assert items["features"][0]["id"] == "1-20261201T2200Z"
    one = planner.get("/ogc/collections/activities/items/1-20261208T2200Z")
    assert one.status_code == 200 and one.json["properties"]["title"] == "Taller de murga"


@pytest.mark.parametrize(("when", "days"), [
    # the sessions are Tuesdays 19:00-21:00 in Coquimbo (UTC-3): 22:00-24:00 UTC
    ("2026-12-08T22:00:00Z", ["12-08"]),            # exactly a start: inside
    ("2026-12-08T21:59:59Z", []),                   # a second before
    ("2026-12-08T23:59:59Z", ["12-08"]),            # the last second
    ("2026-12-09T00:00:00Z", []),                   # exactly the end: over
    ("2026-12-09T00:00:00Z/..", ["12-15", "12-22"]),
    ("../2026-12-08T22:00:00Z", ["12-01", "12-08"]),  # an interval's end is included
    ("2026-12-15", ["12-15"]),                       # a local day
    ("2026-12-02T00:00:00Z/2026-12-08T21:59:59Z", []),
])
def test_ogc_activities_answer_datetime_by_their_sessions(app, planner, when, days):
    app.config["AGENDA_NOW"] = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
    _post(planner, "/planificar/actividades", WEEKLY, page_token(planner))
    items = planner.get(f"/ogc/collections/activities/items?datetime={when}").json
    assert [f["properties"]["start"][5:10] for f in items["features"]] == days
    extent = planner.get("/ogc/collections/activities").json["extent"]["temporal"]
    assert extent["interval"] == [["2026-12-01T22:00:00Z", "2026-12-23T00:00:00Z"]]


def test_without_activities_every_view_says_none_are_registered(tmp_path, session_cache):
    app = app_for(copy_fixture_data(tmp_path / "data"), session_cache)
    client = app.test_client()
    page = client.get("/cerca?junta=JV-01").get_data(as_text=True)
    assert "Aún no hay actividades registradas" in page
    assert client.get("/api/agenda?junta=JV-01").json["registered"] == 0
    english = client.get("/cerca?lang=en").get_data(as_text=True)
    assert "No activities have been registered yet" in english
    cal = icalendar.Calendar.from_ical(client.get("/agenda/comuna.ics").data)
    assert cal.walk("VEVENT") == []
    assert client.get("/actividades/1").status_code == 404
    assert client.get("/api/agenda?junta=JV-01&minutos=500").status_code == 400


def test_cerca_the_api_and_the_council_report_list_the_same_sessions_with_the_same_walk(
        app, planner):
    app.config["AGENDA_NOW"] = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
    token = page_token(planner)
    _post(planner, "/planificar/actividades", WEEKLY, token)  # at V-003, Tuesdays 19:00
    _post(planner, "/planificar/actividades", {**WEEKLY, "title": "Pagada", "free": False,
                                               "audience": "adults", "rrule": ""}, token)
    point = app.extensions["culturamap"].cache["council_points"]["JV-01"]
    venue = planner.get(f"/api/nearest?lon={point[0]}&lat={point[1]}&limit=50").json
    walk = next(r["time_min"] for r in venue["results"] if r["id"] == "V-003")
    answer = planner.get("/api/agenda?junta=JV-01").json
    # by hand: Tuesdays from 1 December until 26 December 12:00 UTC, plus the one-off
    assert [(s["title"], s["start"]) for s in answer["sessions"]] == [
        ("Pagada", "2026-12-01T19:00:00-03:00"), ("Taller de murga", "2026-12-01T19:00:00-03:00"),
        ("Taller de murga", "2026-12-08T19:00:00-03:00"),
        ("Taller de murga", "2026-12-15T19:00:00-03:00"),
        ("Taller de murga", "2026-12-22T19:00:00-03:00")]
    assert {s["time_min"] for s in answer["sessions"]} == {walk}  # the walk /cerca shows
    assert answer["sessions"][1]["when"] == "martes 1 de diciembre de 2026, 19:00–21:00"
    comuna = planner.get("/api/agenda").json["sessions"]  # no place: the whole comuna
    assert len(comuna) == 5 and {s["time_min"] for s in comuna} == {None}
    assert planner.get("/api/agenda?lat=-29.97").status_code == 400
    free = planner.get("/api/agenda?junta=JV-01&gratis=1&publico=youth").json
    assert {s["title"] for s in free["sessions"]} == {"Taller de murga"}
    shorter = planner.get(f"/api/agenda?junta=JV-01&minutos={int(walk)}").json
    assert shorter["sessions"] == []  # the walk is longer than its whole minutes
    page = planner.get("/cerca?junta=JV-01").get_data(as_text=True)
    assert page.count('class="agenda-item"') == 5
    assert "martes 8 de diciembre de 2026, 19:00–21:00" in page
    report = planner.get("/reportes/JV-01.html").get_data(as_text=True)
    section = report[report.index('<section id="agenda">'):]
    section = section[:section.index("</section>")]
    assert section.count("data-activity=") == 5
    english = planner.get("/reportes/JV-01.html?lang=en").get_data(as_text=True)
    assert "Tuesday 1 December 2026, 19:00–21:00" in english


def _pdf_text(response) -> str:
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    return subprocess.run(["pdftotext", "-", "-"], input=response.data, capture_output=True,
                          check=True).stdout.decode()


def test_a_kept_council_pdf_is_never_one_made_with_another_agenda(app, planner):
    """PDFs are kept on disk; adding an activity, or a new day, must give a new PDF."""
    app.config["AGENDA_NOW"] = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
    token = page_token(planner)
    _post(planner, "/planificar/actividades", {**WEEKLY, "title": "Primera actividad"}, token)
    first = _pdf_text(planner.get("/reportes/JV-01.pdf"))
    assert "Primera actividad" in first and "Murga del martes" not in first
    _post(planner, "/planificar/actividades", {**WEEKLY, "title": "Murga del martes"}, token)
    assert "Murga del martes" in _pdf_text(planner.get("/reportes/JV-01.pdf"))
    # 22 December: the weekly sessions until 26 December 12:00 UTC leave, 29 December enters
    app.config["AGENDA_NOW"] = dt.datetime(2026, 12, 22, 12, 0, tzinfo=dt.UTC)
    html = planner.get("/reportes/JV-01.html").get_data(as_text=True)
    assert "martes 29 de diciembre de 2026" in html
    assert "martes 1 de diciembre de 2026" not in html
    assert "29 de diciembre" in _pdf_text(planner.get("/reportes/JV-01.pdf"))


def test_the_equity_page_counts_the_month_sessions_per_council_and_group(app, planner):
    token = page_token(planner)
    _post(planner, "/planificar/actividades", WEEKLY, token)  # Tuesdays from 1 December
    page = planner.get("/planificar/actividades/equidad?mes=2026-12")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # December 2026 has 5 Tuesdays (1, 8, 15, 22, 29): the area row counts them all
    area = re.search(r'<th scope="row">Toda el área</th><td>[^<]*</td><td>(\d+)</td>'
                     r'<td>(\d+)</td>', html)
    assert area.groups() == ("1", "5")
    assert "Por grupo socioeconómico" in html
    assert planner.get("/planificar/actividades/equidad?mes=diciembre").status_code == 400
    assert app.test_client().get("/planificar/actividades/equidad").status_code == 302


def test_the_equity_table_downloads_for_a_spreadsheet(app, planner):
    """The equity page as CSV (and the es-CL Excel flavour): the area, every council (and
    every GSE group when the blocks have one), plain numbers; December 2026 has 5 Tuesday
    sessions of the one workshop; sessions per 10,000 residents is sessions x 10,000 /
    residents on every row."""
    import csv

    _post(planner, "/planificar/actividades", WEEKLY, page_token(planner))
    page = planner.get("/planificar/actividades/equidad?mes=2026-12").get_data(as_text=True)
    assert 'href="/planificar/actividades/equidad.csv?mes=2026-12"' in page
    response = planner.get("/planificar/actividades/equidad.csv?mes=2026-12")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert ('filename="actividades-equidad-2026-12.csv"'
            in response.headers["Content-Disposition"])
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    area = rows[0]
    assert (area["scope"], area["month"], area["activities"], area["sessions"]) == (
        "area", "2026-12", "1", "5")
    assert area["residents"].isdigit()  # whole people, not "1234.0"
    # the page shows the same area share as the file (es-CL: "12,3 %")
    share = float(area["share_within_threshold"]) * 100
    shown = re.search(r'Toda el área</th>(?:<td>[^<]*</td>){5}<td>([^<]*)</td>', page)
    assert shown.group(1) == f"{share:.1f}".replace(".", ",") + "\u00a0%"
    councils = [r for r in rows if r["scope"] == "council"]
    assert sorted(r["id"] for r in councils) == sorted(
        c["id"] for c in planner.get("/api/councils").json["councils"])
    assert {r["scope"] for r in rows} == {"area", "council"}  # the fixture has no GSE
    for r in rows:
        residents, sessions = float(r["residents"]), int(r["sessions"])
        if residents > 0:
            assert float(r["sessions_per_10k_residents"]) == pytest.approx(
                sessions * 10_000 / residents)
    assert sum(float(r["residents"]) for r in councils) == pytest.approx(
        float(area["residents"]))
    excel = planner.get("/planificar/actividades/equidad.excel?mes=2026-12").data
    assert excel.startswith("\ufeff".encode()) and b"month;scope;id;name" in excel
    assert planner.get("/planificar/actividades/equidad.csv?mes=13-2026").status_code == 400
    assert app.test_client().get(
        "/planificar/actividades/equidad.csv").status_code == 302


def test_the_equity_table_has_a_row_per_gse_group_when_the_blocks_have_one(
        tmp_path, session_cache, database_url):
    """With GSE classes on the blocks (a fixture: every other block ABC1, the rest E), one
    row per class, in the census order, whose residents add up to the area's."""
    import csv

    from tests.support.layers import with_gse_classes

    app = workspace_app(with_gse_classes(copy_fixture_data(tmp_path / "data")), session_cache,
                        database_url)
    client = app.test_client()
    assert sign_in(client).status_code == 302
    _post(client, "/planificar/actividades", WEEKLY, page_token(client))
    rows = list(csv.DictReader(io.StringIO(client.get(
        "/planificar/actividades/equidad.csv?mes=2026-12").get_data(as_text=True))))
    groups = [r for r in rows if r["scope"] == "group"]
    assert [r["id"] for r in groups] == ["ABC1", "E"]
    assert sum(float(r["residents"]) for r in groups) == pytest.approx(
        float(rows[0]["residents"]))
    assert all(r["share_within_threshold"] == "" for r in groups)
    app.extensions["culturamap_workspace"].db.dispose()


def test_an_activity_follows_its_venue_when_the_venue_moves(app, planner):
    token = page_token(planner)
    added = _post(planner, "/planificar/actividades", WEEKLY, token).json["activity"]
    before = planner.get("/agenda/semana.geojson").json  # fills the agenda cache
    assert before["registered"] == 1
    venue = planner.get("/ogc/collections/venues/items/V-003").json
    lon, lat = venue["geometry"]["coordinates"]
    moved = _post(planner, "/planificar/espacios/V-003", {
        **{k: venue["properties"][k] for k in ("name", "category", "address", "source")},
        "lon": lon + 0.001, "lat": lat, "version": 1}, token)
    assert moved.status_code == 200, moved.json
    page = planner.get(f"/actividades/{added['id']}").get_data(as_text=True)
    data = json.loads(re.search(r'ld\+json">(.*?)</script>', page, re.S).group(1))
    assert data["location"]["geo"]["longitude"] == pytest.approx(lon + 0.001, abs=1e-9)
