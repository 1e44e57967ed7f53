"""The planner workspace through HTTP, on SQLite and on PostgreSQL: sign-in, edits, history,
conflicts, and the security rules (sign-in, CSRF, escaping, literal SQL, throttling)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from geo import METRIC_CRS, WEB_CRS
from tests.support.layers import copy_fixture_data
from tests.support.web import app_for
from tests.support.workspace import (
    PASSWORD,
    TO_LOCATE_CSV,
    db_of,
    page_token,
    sign_in,
    workspace_app,
)
from webmap.workspace.models import Change, User, Venue

NASTY = '<script>alert("x")</script>'
SQLISH = "Robert'); DROP TABLE venues;-- \" % _ \\"


@pytest.fixture
def workspace_data(tmp_path):
    """The fixture data with two places still to locate ("por ubicar")."""
    data = copy_fixture_data(tmp_path / "data")
    (data / "venues" / "por_ubicar.csv").write_text(TO_LOCATE_CSV, "utf-8")
    return data


@pytest.fixture
def data_dir(workspace_data):
    return workspace_data


@pytest.fixture
def app(workspace):
    """The workspace app of tests/conftest.py (both backends, ana and root)."""
    return workspace


def _venue(**changes):
    values = {"name": "Biblioteca nueva", "category": "library", "address": "Calle 1",
              "source": "visita a terreno 2026", "lon": -71.322, "lat": -29.978}
    values.update(changes)
    return values


def _post_json(client, path, body, token):
    return client.post(path, json=body, headers={"X-CSRFToken": token})


# --- sign-in and the public ------------------------------------------------------------------


def test_public_pages_stay_open_and_planning_needs_sign_in(app):
    client = app.test_client()
    for path in ("/", "/cerca", "/acerca", "/api/councils", "/ogc/collections/venues/items"):
        assert client.get(path).status_code == 200, path
    page = client.get("/planificar")
    assert page.status_code == 302 and page.location.startswith("/entrar")
    # a valid CSRF token but nobody signed in: the edit is refused, nothing is written
    token = page_token_anonymous(client)
    form = client.post("/planificar/espacios", data={**_venue(), "csrf_token": token})
    assert form.status_code == 302 and form.location.startswith("/entrar")
    api = _post_json(client, "/planificar/espacios", _venue(), token)
    assert api.status_code == 401 and api.json["error"] == "unauthorized"
    with db_of(app).session() as session:
        assert session.scalar(select(func.count()).select_from(Venue)
                              .where(Venue.id.like("CM-%"))) == 0


def page_token_anonymous(client) -> str:
    from tests.support.workspace import csrf_token

    return csrf_token(client.get("/entrar").get_data(as_text=True))


def test_sign_in_sets_safe_cookies_and_refuses_wrong_passwords(app):
    client = app.test_client()
    wrong = sign_in(client, password="not-the-password")
    assert wrong.status_code == 401
    assert "incorrectos" in wrong.get_data(as_text=True)
    unknown = sign_in(client, name="nobody")
    assert unknown.status_code == 401
    ok = sign_in(client)
    assert ok.status_code == 302 and ok.location == "/planificar"
    cookie = next(c for c in ok.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get("/planificar").status_code == 200


def test_secure_cookies_setting_marks_the_session_cookie_secure(data_dir, session_cache,
                                                                database_url):
    app = workspace_app(data_dir, session_cache, database_url, SECURE_COOKIES="true")
    response = sign_in(app.test_client())
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "; Secure" in cookie
    db_of(app).dispose()


def test_a_redirect_after_sign_in_stays_on_this_site(app):
    client = app.test_client()
    token = page_token_anonymous(client)
    response = client.post("/entrar?next=//evil.example/x",
                           data={"name": "ana", "password": PASSWORD, "csrf_token": token})
    assert response.location == "/planificar"


def test_twenty_wrong_passwords_are_throttled_at_the_eleventh(app):
    """10 per minute per address and user name: attempts 1-10 are answered, 11-20 are
    refused with 429, and so is the right password after them."""
    client = app.test_client()
    statuses = [sign_in(client, password=f"wrong-{i}").status_code for i in range(20)]
    assert statuses == [401] * 10 + [429] * 10
    assert sign_in(client).status_code == 429
    # another user name from the same address is not locked out by ana's attempts
    assert sign_in(client, name="root").status_code == 302


def test_trying_many_user_names_from_one_address_is_throttled_at_the_31st(app):
    """Guessing across names (30 per minute per address): 30 answered, then 429."""
    client = app.test_client()
    statuses = [sign_in(client, name=f"user{i}").status_code for i in range(32)]
    assert statuses == [401] * 30 + [429] * 2


# --- CSRF ------------------------------------------------------------------------------------


def test_missing_or_wrong_csrf_token_is_refused_with_400(app, planner):
    for token in (None, "not-a-token"):
        data = _venue() | ({"csrf_token": token} if token else {})
        assert planner.post("/planificar/espacios", data=data).status_code == 400
        headers = {"X-CSRFToken": token} if token else {}
        api = planner.post("/planificar/espacios", json=_venue(), headers=headers)
        assert api.status_code == 400 and api.json["error"] == "csrf"
    assert planner.post("/salir").status_code == 400  # signing out is a change too
    with db_of(app).session() as session:
        assert session.scalar(select(func.count()).select_from(Change)
                              .where(Change.action != "seed")) == 0


# --- edits, history, figures -----------------------------------------------------------------


def test_add_venue_writes_history_and_changes_the_figures_like_a_file_would(
        app, planner, data_dir, session_cache, tmp_path):
    token = page_token(planner)
    before = {c["id"]: c for c in planner.get("/api/councils").json["councils"]}
    worst = next(c for c in before.values() if c["gap_rank"] == 1)  # the worst gap
    import geopandas as gpd

    councils = gpd.read_file(data_dir / "boundaries" / "councils.geojson")
    inside = (councils[councils["id"] == worst["id"]].to_crs(METRIC_CRS)
              .representative_point().to_crs(WEB_CRS).iloc[0])
    added = _post_json(planner, "/planificar/espacios",
                       _venue(lon=round(inside.x, 6), lat=round(inside.y, 6)), token)
    assert added.status_code == 201
    venue_id = added.json["venue"]["id"]
    assert venue_id == "CM-001" and added.json["venue"]["version"] == 1

    after = {c["id"]: c for c in planner.get("/api/councils").json["councils"]}
    assert after[worst["id"]]["mean_time_min"] < worst["mean_time_min"]
    items = planner.get("/ogc/collections/venues/items?limit=1000").json["features"]
    assert venue_id in {f["id"] for f in items}
    # oracle: the same venue written into the venues FILE, analysed without the workspace
    files = copy_fixture_data(tmp_path / "files")
    path = files / "venues" / "venues.geojson"
    fc = json.loads(path.read_text("utf-8"))
    props = {k: v for k, v in _venue().items() if k not in ("lon", "lat")}
    fc["features"].append({"type": "Feature", "properties": {"id": venue_id, **props},
                           "geometry": {"type": "Point", "coordinates": [
                               round(inside.x, 6), round(inside.y, 6)]}})
    path.write_text(json.dumps(fc), "utf-8")
    oracle = app_for(files, session_cache).test_client()
    assert planner.get("/api/councils").json == oracle.get("/api/councils").json
    # the suggested sites follow in the background; a request for them waits until ready
    assert planner.get("/api/sites").json == oracle.get("/api/sites").json
    app.extensions["culturamap_last_refresh"].wait(60)
    for path in ("/ogc/collections/sites/items", "/api/nearest?lat=-29.978&lon=-71.322"):
        assert planner.get(path).json == oracle.get(path).json, path

    with db_of(app).session() as session:
        change = session.scalars(select(Change).where(Change.record_id == venue_id)).one()
        assert change.action == "add" and change.before is None
        assert change.after["name"] == "Biblioteca nueva"
        assert session.get(User, change.user_id).name == "ana"


def test_edit_move_retire_and_history(app, planner):
    token = page_token(planner)
    edited = _post_json(planner, "/planificar/espacios/V-001",
                        _venue(version=1, name="Biblioteca renombrada", capacity="40"), token)
    assert edited.status_code == 200 and edited.json["venue"]["version"] == 2
    moved = _post_json(planner, "/planificar/espacios/V-001",
                       {**edited.json["venue"], "version": 2, "lon": -71.3225}, token)
    assert moved.status_code == 200
    retired = planner.post("/planificar/espacios/V-001/retirar",
                           data={"version": 3, "csrf_token": token})
    assert retired.status_code == 302
    ids = {f["id"] for f in
           planner.get("/ogc/collections/venues/items?limit=1000").json["features"]}
    assert "V-001" not in ids and "V-002" in ids
    page = planner.get("/planificar/espacios/V-001/historial").get_data(as_text=True)
    assert "retirado" in page and "Biblioteca renombrada" in page
    with db_of(app).session() as session:
        actions = [c.action for c in session.scalars(
            select(Change).where(Change.record_id == "V-001").order_by(Change.id))]
        assert actions == ["seed", "edit", "move", "retire"]
        venue = session.get(Venue, "V-001")
        assert venue.retired and venue.capacity == 40 and venue.lon == -71.3225
    # a retired venue can no longer be edited
    again = _post_json(planner, "/planificar/espacios/V-001", _venue(version=4), token)
    assert again.status_code == 404


def test_stale_edit_gets_409_with_both_versions_and_loses_nothing(app, planner):
    token = page_token(planner)
    first = _post_json(planner, "/planificar/espacios/V-002",
                       _venue(version=1, name="Primera"), token)
    assert first.status_code == 200
    second = _post_json(planner, "/planificar/espacios/V-002",
                        _venue(version=1, name="Segunda"), token)
    assert second.status_code == 409
    assert second.json["current"]["name"] == "Primera"
    assert second.json["current"]["version"] == 2
    assert second.json["submitted"]["name"] == "Segunda"
    form = planner.post("/planificar/espacios/V-002",
                        data={**_venue(version=1, name="Tercera"), "csrf_token": token})
    assert form.status_code == 409
    html = form.get_data(as_text=True)
    assert "Primera" in html and "Tercera" in html
    with db_of(app).session() as session:
        assert session.get(Venue, "V-002").name == "Primera"


@pytest.mark.parametrize(("changes", "message"), [
    ({"lon": -72.5}, "fuera del área de Coquimbo"),
    ({"lon": -29.978, "lat": -71.322}, "latitud y longitud parecen invertidas"),
    ({"category": "biblioteca"}, "categoría desconocida «biblioteca» (¿quiso decir «library»?)"),
    ({"name": "  "}, "la columna «name» está vacía"),
    ({"lon": "abc"}, "«lon» = &#39;abc&#39; no es un número"),
    ({"capacity": "-3"}, "«capacity» debe ser un número entero positivo o cero"),
])
def test_invalid_venues_are_refused_with_the_file_loader_messages(app, planner, changes,
                                                                  message):
    token = page_token(planner)
    response = planner.post("/planificar/espacios",
                            data={**_venue(**changes), "csrf_token": token})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with db_of(app).session() as session:
        assert session.scalar(select(func.count()).select_from(Change)
                              .where(Change.action != "seed")) == 0


def test_coordinates_on_the_edge_of_the_area_are_accepted(app, planner):
    """COQUIMBO_BOUNDS is inclusive: a venue exactly on the western edge is inside."""
    token = page_token(planner)
    response = _post_json(planner, "/planificar/espacios", _venue(lon=-71.75, lat=-30.0),
                          token)
    assert response.status_code == 201


def test_place_a_venue_to_locate(app, planner):
    token = page_token(planner)
    assert "Biblioteca por ubicar" in planner.get("/acerca").get_data(as_text=True)
    placed = _post_json(planner, "/planificar/por-ubicar/PU-01/ubicar",
                        {"version": 1, "lon": -71.33, "lat": -29.97}, token)
    assert placed.status_code == 200
    venue = placed.json["venue"]
    assert venue["id"] == "PU-01" and venue["address"] == "Calle Falsa 1"
    assert venue["source"] == "https://example.org/a" and venue["category"] == "library"
    ids = {f["id"] for f in
           planner.get("/ogc/collections/venues/items?limit=1000").json["features"]}
    assert "PU-01" in ids
    plan = planner.get("/planificar").get_data(as_text=True)
    assert 'id="place-PU-01"' not in plan and 'id="place-PU-02"' in plan
    again = _post_json(planner, "/planificar/por-ubicar/PU-01/ubicar",
                       {"version": 1, "lon": -71.33, "lat": -29.97}, token)
    assert again.status_code == 409


def test_admin_reverts_a_change_planner_cannot(app, planner):
    token = page_token(planner)
    _post_json(planner, "/planificar/espacios/V-003", _venue(version=1, name="Mal nombre"),
               token)
    with db_of(app).session() as session:
        change_id = session.scalars(select(Change.id).where(
            Change.record_id == "V-003", Change.action == "edit")).one()
    refused = planner.post(f"/planificar/cambios/{change_id}/revertir",
                           data={"csrf_token": token})
    assert refused.status_code == 403
    admin = app.test_client()
    sign_in(admin, "root")
    reverted = _post_json(admin, f"/planificar/cambios/{change_id}/revertir", {},
                          page_token(admin))
    assert reverted.status_code == 200
    assert reverted.json["venue"]["name"] == "Biblioteca Demo 3"
    with db_of(app).session() as session:
        last = session.scalars(select(Change).where(Change.record_id == "V-003")
                               .order_by(Change.id.desc())).first()
        assert last.action == "revert" and last.reverts_id == change_id
        assert last.before["name"] == "Mal nombre"


def test_script_in_a_name_is_shown_as_text_and_sql_is_stored_literally(app, planner):
    token = page_token(planner)
    nasty = _post_json(planner, "/planificar/espacios", _venue(name=NASTY), token)
    sqlish = _post_json(planner, "/planificar/espacios",
                        _venue(name=SQLISH, address=SQLISH, lon=-71.33), token)
    assert nasty.status_code == sqlish.status_code == 201
    for path in ("/planificar", f"/planificar/espacios/{nasty.json['venue']['id']}/historial"):
        html = planner.get(path).get_data(as_text=True)
        assert NASTY not in html and "<script>alert" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html or \
            "\\u003cscript\\u003e" in html
    with db_of(app).session() as session:
        stored = session.get(Venue, sqlish.json["venue"]["id"])
        assert stored.name == SQLISH and stored.address == SQLISH
        assert session.scalar(select(func.count()).select_from(Venue)) == 43 + 2


def test_retiring_a_workshop_venue_is_refused_and_nothing_changes(app, planner):
    """Workshop T-1 is held at V-011: retiring V-011 would leave the workshop pointing
    nowhere (the file loader's cross-check refuses that), so the retirement is rolled back."""
    token = page_token(planner)
    response = planner.post("/planificar/espacios/V-011/retirar",
                            data={"version": 1, "csrf_token": token})
    assert response.status_code == 400
    assert "«venue_id» = «V-011» no existe en la capa de espacios culturales" in \
        response.get_data(as_text=True)
    with db_of(app).session() as session:
        assert not session.get(Venue, "V-011").retired
        assert session.get(Venue, "V-011").version == 1
        assert session.scalar(select(func.count()).select_from(Change)
                              .where(Change.action != "seed")) == 0


# --- workshops and proposals -----------------------------------------------------------------


def _workshop(**changes):
    values = {"title": "Taller de murales", "date": "2026-05-09", "venue_id": "V-012",
              "councils": ["JV-01", "JV-02"], "source": "acta municipal",
              "attendance": "25", "minutes": "Se acordó pintar la sede."}
    values.update(changes)
    return values


def test_record_a_workshop_at_a_venue_with_a_proposal(app, planner):
    token = page_token(planner)
    added = _post_json(planner, "/planificar/talleres", _workshop(), token)
    assert added.status_code == 201, added.json
    workshop = added.json["workshop"]
    assert workshop["id"] == "TM-001" and workshop["councils"] == "JV-01;JV-02"
    assert workshop["date"] == "2026-05-09" and workshop["attendance"] == 25
    with db_of(app).session() as session:
        venue = session.get(Venue, "V-012")
        assert (workshop["lon"], workshop["lat"]) == (venue.lon, venue.lat)  # the venue's place
    served = {f["id"]: f for f in
              planner.get("/ogc/collections/workshops/items?limit=1000").json["features"]}
    assert served["TM-001"]["properties"]["councils"] == "JV-01;JV-02"
    assert served["TM-001"]["properties"]["date"] == "2026-05-09"

    form = planner.post("/planificar/talleres/TM-001/propuestas",
                        data={"text": "Biblioteca móvil los sábados", "councils": ["JV-01"],
                              "csrf_token": token})
    assert form.status_code == 302
    page = planner.get("/planificar").get_data(as_text=True)
    assert "Biblioteca móvil los sábados" in page and "1 propuesta(s)" in page
    bad = _post_json(planner, "/planificar/talleres/TM-001/propuestas",
                     {"text": "x", "councils": ["JV-99"]}, token)
    assert bad.status_code == 400 and "desconocidas: JV-99" in bad.json["problems"][0]
    empty = _post_json(planner, "/planificar/talleres/TM-001/propuestas",
                       {"text": " ", "councils": ["JV-01"]}, token)
    assert empty.status_code == 400
    history = planner.get("/planificar/talleres/TM-001/historial").get_data(as_text=True)
    assert "Taller de murales" in history and "agregado" in history


def test_a_workshop_at_a_clicked_point_and_its_checks(app, planner):
    token = page_token(planner)
    point = _post_json(planner, "/planificar/talleres",
                       _workshop(venue_id="", lon=-71.322, lat=-29.978), token)
    assert point.status_code == 201 and point.json["workshop"]["venue_id"] is None
    for changes, message in (
        ({"councils": ["JV-01", "JV-99"]},
         "«councils» nombra juntas de vecinos que no existen: JV-99"),
        ({"date": "09/05/2026"}, "«date» = '09/05/2026' no es una fecha válida"),
        ({"venue_id": "", "lon": "", "lat": ""}, "falta el lugar"),
        ({"councils": []}, "la columna «councils» está vacía"),
    ):
        response = _post_json(planner, "/planificar/talleres", _workshop(**changes), token)
        assert response.status_code == 400, changes
        assert any(message in p for p in response.json["problems"]), response.json
    stale = _post_json(planner, "/planificar/talleres/TM-001",
                       _workshop(version=1, title="Primera"), token)
    assert stale.status_code == 200
    second = _post_json(planner, "/planificar/talleres/TM-001",
                        _workshop(version=1, title="Segunda"), token)
    assert second.status_code == 409 and second.json["current"]["title"] == "Primera"


# --- juntas de vecinos -----------------------------------------------------------------------

CONTACT = "presidenta: +56 9 1234 5678"


def test_register_a_junta_whose_new_sede_hosts_workshops_and_whose_contact_stays_private(
        app, planner):
    token = page_token(planner)
    added = _post_json(planner, "/planificar/juntas", {
        "name": "Junta de Vecinos Los Pinos", "council_id": "JV-05", "contact": CONTACT,
        "sede_name": "Sede Los Pinos", "lon": -71.322, "lat": -29.978}, token)
    assert added.status_code == 201, added.json
    sede_id = added.json["junta"]["sede_venue_id"]
    assert sede_id == "CM-001"
    with db_of(app).session() as session:
        sede = session.get(Venue, sede_id)
        assert (sede.name, sede.category) == ("Sede Los Pinos", "community_hall")
    # the sede is a workshop host on the public map; the contact appears nowhere public
    venues = {f["id"]: f for f in
              planner.get("/ogc/collections/venues/items?limit=1000").json["features"]}
    assert venues[sede_id]["properties"]["category"] == "community_hall"
    public = app.test_client()
    for path in ("/", "/acerca", "/cerca", "/ogc/collections/venues/items?limit=1000",
                 "/api/councils", "/planificar"):
        assert "1234 5678" not in public.get(path).get_data(as_text=True), path
    assert CONTACT in planner.get("/planificar").get_data(as_text=True)
    unknown = _post_json(planner, "/planificar/juntas",
                         {"name": "X", "council_id": "JV-99"}, token)
    assert unknown.status_code == 400
    assert "unidad vecinal desconocida «JV-99»" in unknown.json["problems"][0]


def test_admin_reverts_a_workshop_edit(app, planner):
    token = page_token(planner)
    assert _post_json(planner, "/planificar/talleres", _workshop(), token).status_code == 201
    edited = _post_json(planner, "/planificar/talleres/TM-001",
                        _workshop(version=1, title="Título equivocado", date="2026-05-10",
                                  councils=["JV-03"]), token)
    assert edited.status_code == 200
    with db_of(app).session() as session:
        change_id = session.scalars(select(Change.id).where(
            Change.record_id == "TM-001", Change.action == "edit")).one()
    admin = app.test_client()
    sign_in(admin, "root")
    page = admin.get("/planificar/talleres/TM-001/historial").get_data(as_text=True)
    assert f"/planificar/cambios/{change_id}/revertir" in page
    reverted = _post_json(admin, f"/planificar/cambios/{change_id}/revertir", {},
                          page_token(admin))
    assert reverted.status_code == 200
    workshop = reverted.json["workshop"]
    assert (workshop["title"], workshop["date"], workshop["councils"]) == \
        ("Taller de murales", "2026-05-09", "JV-01;JV-02")
    served = {f["id"]: f for f in
              admin.get("/ogc/collections/workshops/items?limit=1000").json["features"]}
    assert served["TM-001"]["properties"]["title"] == "Taller de murales"


def test_admins_manage_accounts_planners_cannot(app, planner):
    token = page_token(planner)
    assert planner.get("/planificar/cuentas").status_code == 403
    assert planner.post("/planificar/cuentas", data={
        "action": "add", "name": "intruso", "role": "admin", "password": PASSWORD,
        "csrf_token": token}).status_code == 403
    admin = app.test_client()
    sign_in(admin, "root")
    admin_token = page_token(admin)
    created = admin.post("/planificar/cuentas", data={
        "action": "add", "name": "leo", "role": "planner", "password": PASSWORD,
        "csrf_token": admin_token})
    assert created.status_code == 302
    short = admin.post("/planificar/cuentas", data={
        "action": "add", "name": "eva", "role": "planner", "password": "x" * 9,
        "csrf_token": admin_token})
    assert short.status_code == 400 and "10 caracteres" in short.get_data(as_text=True)
    assert sign_in(app.test_client(), "leo").status_code == 302
    with db_of(app).session() as session:
        leo = session.scalars(select(User).where(User.name == "leo")).one()
        ana = session.scalars(select(User).where(User.name == "ana")).one()
        root = session.scalars(select(User).where(User.name == "root")).one()
    admin.post("/planificar/cuentas", data={"action": "disable", "user_id": leo.id,
                                            "csrf_token": admin_token})
    assert sign_in(app.test_client(), "leo").status_code == 401
    # a disabled account's open session ends too
    admin.post("/planificar/cuentas", data={"action": "disable", "user_id": ana.id,
                                            "csrf_token": admin_token})
    assert planner.get("/planificar").status_code == 302
    own = admin.post("/planificar/cuentas", data={"action": "disable", "user_id": root.id,
                                                  "csrf_token": admin_token})
    assert own.status_code == 400
