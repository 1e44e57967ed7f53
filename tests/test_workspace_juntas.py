"""Editing and retiring juntas de vecinos and workshop proposals, on SQLite and PostgreSQL:
history rows, optimistic locking (409 with both versions), sign-in and CSRF."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.support.workspace import db_of, page_token, sign_in
from webmap.workspace import juntas, workshop_edits
from webmap.workspace.edits import EditConflict
from webmap.workspace.models import Change, Junta, Proposal, User

CONTACT = "secretaria: +56 9 8765 4321"


@pytest.fixture
def app(workspace):
    """The workspace app of tests/conftest.py (both backends, ana and root)."""
    return workspace


def _post(client, path, body, token):
    return client.post(path, json=body, headers={"X-CSRFToken": token})


def _junta(client, token) -> dict:
    added = _post(client, "/planificar/juntas", {
        "name": "Junta Las Rosas", "council_id": "JV-02", "contact": CONTACT,
        "sede_venue_id": "V-001"}, token)
    assert added.status_code == 201, added.json
    return added.json["junta"]


def _proposal(client, token) -> dict:
    added = _post(client, "/planificar/talleres/T-1/propuestas",
                  {"text": "Luminarias en la plaza", "councils": ["JV-08", "JV-10"]}, token)
    assert added.status_code == 201, added.json
    return added.json["proposal"]


def _changes(app, kind: str, record_id) -> list[tuple[str, object, object]]:
    with db_of(app).session() as session:
        rows = session.scalars(select(Change).where(Change.kind == kind,
                                                    Change.record_id == str(record_id))
                               .order_by(Change.id))
        return [(c.action, c.before, c.after) for c in rows]


def _count(app) -> int:
    with db_of(app).session() as session:
        return session.scalar(select(func.count()).select_from(Change))


def test_edit_a_junta_writes_history_and_a_stale_edit_gets_409_with_both_versions(
        app, planner):
    token = page_token(planner)
    junta = _junta(planner, token)
    path = f"/planificar/juntas/{junta['id']}"
    edited = _post(planner, path, {"version": 1, "name": "Junta Las Rosas Norte",
                                   "council_id": "JV-03", "contact": CONTACT,
                                   "sede_venue_id": "V-001"}, token)
    assert edited.status_code == 200, edited.json
    assert (edited.json["junta"]["name"], edited.json["junta"]["council_id"],
            edited.json["junta"]["version"]) == ("Junta Las Rosas Norte", "JV-03", 2)
    actions = _changes(app, "junta", junta["id"])
    assert [a for a, _, _ in actions] == ["add", "edit"]
    _, before, after = actions[1]
    assert (before["name"], before["council_id"], after["name"], after["council_id"]) == \
        ("Junta Las Rosas", "JV-02", "Junta Las Rosas Norte", "JV-03")
    # a second planner still holding version 1: refused, both versions given, nothing lost
    written = _count(app)
    stale = _post(planner, path, {"version": 1, "name": "Otra", "council_id": "JV-02"}, token)
    assert stale.status_code == 409
    assert stale.json["current"]["name"] == "Junta Las Rosas Norte"
    assert stale.json["current"]["version"] == 2
    assert stale.json["submitted"]["name"] == "Otra"
    page = planner.post(path, data={"csrf_token": token, "version": "1", "name": "Otra",
                                    "council_id": "JV-02"})
    assert page.status_code == 409 and 'id="conflict-current"' in page.get_data(as_text=True)
    assert _count(app) == written
    with db_of(app).session() as session:
        assert session.get(Junta, junta["id"]).name == "Junta Las Rosas Norte"
    # the rules of a new junta apply to an edit too
    bad = _post(planner, path, {"version": 2, "name": "X", "council_id": "JV-99"}, token)
    assert bad.status_code == 400
    assert "unidad vecinal desconocida «JV-99»" in bad.json["problems"][0]


def test_a_concurrent_writer_that_saved_first_is_a_conflict_not_an_overwrite(app, planner):
    junta_id = _junta(planner, page_token(planner))["id"]
    db = db_of(app)
    with db.session() as first:
        ana = first.scalars(select(User).where(User.name == "ana")).one()
        loaded = first.get(Junta, junta_id)
        assert loaded.version == 1
        with db.session() as second:  # another request saves while the first one works
            juntas.edit_junta(second, ana, junta_id, 1, {
                "name": "Guardada primero", "council_id": "JV-02"}, {"JV-02"})
        with pytest.raises(EditConflict):
            juntas.edit_junta(first, ana, junta_id, 1, {
                "name": "Guardada después", "council_id": "JV-02"}, {"JV-02"})
    with db.session() as session:
        assert session.get(Junta, junta_id).name == "Guardada primero"


def test_retire_a_junta_hides_it_and_keeps_its_history(app, planner):
    token = page_token(planner)
    junta = _junta(planner, token)
    assert f'id="junta-{junta["id"]}"' in planner.get("/planificar").get_data(as_text=True)
    retired = _post(planner, f"/planificar/juntas/{junta['id']}/retirar", {"version": 1},
                    token)
    assert retired.status_code == 200 and retired.json["junta"]["retired"] is True
    assert f'id="junta-{junta["id"]}"' not in planner.get("/planificar").get_data(as_text=True)
    assert _post(planner, f"/planificar/juntas/{junta['id']}", {
        "version": 2, "name": "X", "council_id": "JV-02"}, token).status_code == 404
    history = planner.get(f"/planificar/juntas/{junta['id']}/historial")
    html = history.get_data(as_text=True)
    assert history.status_code == 200 and "Junta Las Rosas" in html
    assert html.count("<tr data-change=") == 2 and "retirado" in html
    assert [a for a, _, _ in _changes(app, "junta", junta["id"])] == ["add", "retire"]


def test_edit_and_retire_a_proposal_with_history(app, planner):
    token = page_token(planner)
    proposal = _proposal(planner, token)
    path = f"/planificar/propuestas/{proposal['id']}"
    edited = _post(planner, path, {"version": 1, "text": "Luminarias y bancas",
                                   "councils": ["JV-08"]}, token)
    assert edited.status_code == 200, edited.json
    assert (edited.json["proposal"]["text"], edited.json["proposal"]["councils"]) == \
        ("Luminarias y bancas", "JV-08")
    stale = _post(planner, path, {"version": 1, "text": "Otra", "councils": ["JV-08"]}, token)
    assert stale.status_code == 409 and stale.json["current"]["text"] == "Luminarias y bancas"
    unknown = _post(planner, path, {"version": 2, "text": "x", "councils": ["JV-99"]}, token)
    assert unknown.status_code == 400 and "desconocidas: JV-99" in unknown.json["problems"][0]
    assert "Luminarias y bancas" in planner.get("/planificar").get_data(as_text=True)

    retired = _post(planner, f"{path}/retirar", {"version": 2}, token)
    assert retired.status_code == 200 and retired.json["proposal"]["retired"] is True
    page = planner.get("/planificar").get_data(as_text=True)
    assert "Luminarias y bancas" not in page
    assert f'id="proposal-{proposal["id"]}"' not in page
    with db_of(app).session() as session:
        listed = workshop_edits.proposals_by_workshop(session)
        assert proposal["id"] not in [p.id for p in listed.get("T-1", [])]
        assert session.get(Proposal, proposal["id"]).retired is True  # the row stays
    assert [a for a, _, _ in _changes(app, "proposal", proposal["id"])] == \
        ["add", "edit", "retire"]
    history = planner.get(f"/planificar/propuestas/{proposal['id']}/historial")
    html = history.get_data(as_text=True)
    assert history.status_code == 200 and html.count("<tr data-change=") == 3
    assert "Luminarias y bancas" in html
    assert "/revertir" not in html  # only admins see the revert buttons


def test_admin_reverts_a_junta_edit_and_a_proposal_retirement(app, planner):
    token = page_token(planner)
    junta = _junta(planner, token)
    proposal = _proposal(planner, token)
    assert _post(planner, f"/planificar/juntas/{junta['id']}", {
        "version": 1, "name": "Nombre equivocado", "council_id": "JV-04"},
        token).status_code == 200
    assert _post(planner, f"/planificar/propuestas/{proposal['id']}/retirar",
                 {"version": 1}, token).status_code == 200
    with db_of(app).session() as session:
        edit_id, retire_id = (session.scalars(select(Change.id).where(
            Change.kind == kind, Change.record_id == str(record), Change.action == action))
            .one() for kind, record, action in (("junta", junta["id"], "edit"),
                                                ("proposal", proposal["id"], "retire")))
    assert _post(planner, f"/planificar/cambios/{edit_id}/revertir", {},
                 token).status_code == 403
    admin = app.test_client()
    sign_in(admin, "root")
    admin_token = page_token(admin)
    page = admin.get(f"/planificar/juntas/{junta['id']}/historial").get_data(as_text=True)
    assert f"/planificar/cambios/{edit_id}/revertir" in page
    back = _post(admin, f"/planificar/cambios/{edit_id}/revertir", {}, admin_token)
    assert back.status_code == 200, back.json
    assert (back.json["junta"]["name"], back.json["junta"]["council_id"],
            back.json["junta"]["contact"]) == ("Junta Las Rosas", "JV-02", CONTACT)
    restored = _post(admin, f"/planificar/cambios/{retire_id}/revertir", {}, admin_token)
    assert restored.status_code == 200 and restored.json["proposal"]["retired"] is False
    assert "Luminarias en la plaza" in planner.get("/planificar").get_data(as_text=True)
    assert [a for a, _, _ in _changes(app, "proposal", proposal["id"])] == \
        ["add", "retire", "revert"]


def test_edits_without_sign_in_are_refused_and_write_nothing(app, planner):
    token = page_token(planner)
    junta = _junta(planner, token)
    proposal = _proposal(planner, token)
    written = _count(app)
    public = app.test_client()
    from tests.support.workspace import csrf_token

    anon_token = csrf_token(public.get("/entrar").get_data(as_text=True))
    for path, body in (
        (f"/planificar/juntas/{junta['id']}", {"version": 1, "name": "X",
                                                "council_id": "JV-02"}),
        (f"/planificar/juntas/{junta['id']}/retirar", {"version": 1}),
        (f"/planificar/propuestas/{proposal['id']}", {"version": 1, "text": "X",
                                                      "councils": ["JV-08"]}),
        (f"/planificar/propuestas/{proposal['id']}/retirar", {"version": 1}),
    ):
        api = _post(public, path, body, anon_token)
        assert api.status_code == 401, path
        form = public.post(path, data={**body, "csrf_token": anon_token})
        assert form.status_code == 302 and form.location.startswith("/entrar"), path
    for path in (f"/planificar/juntas/{junta['id']}/historial",
                 f"/planificar/propuestas/{proposal['id']}/historial"):
        assert public.get(path).status_code == 302, path
    assert _count(app) == written


def test_missing_csrf_token_is_refused_with_400(app, planner):
    token = page_token(planner)
    junta = _junta(planner, token)
    proposal = _proposal(planner, token)
    written = _count(app)
    for path, body in (
        (f"/planificar/juntas/{junta['id']}", {"version": 1, "name": "X",
                                                "council_id": "JV-02"}),
        (f"/planificar/propuestas/{proposal['id']}/retirar", {"version": 1}),
    ):
        assert planner.post(path, data=body).status_code == 400, path
        assert planner.post(path, json=body).status_code == 400, path
    assert _count(app) == written
