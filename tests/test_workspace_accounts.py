"""Accounts: ``culturamap users add`` (argon2 hashes, never the password) and the session
key kept outside the repository."""

from __future__ import annotations

import io
import stat
import sys

from sqlalchemy import select

from culturamap.cli import main
from geo.settings import load_settings
from webmap.workspace.auth import authenticate
from webmap.workspace.db import open_database
from webmap.workspace.models import User
from webmap.workspace.web import SECRET_ENV, secret_key


def _add(monkeypatch, database_url, fixture_copy, *args, password="contraseña-larga-1"):
    monkeypatch.setenv("CULTURAMAP_DATABASE_URL", database_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return main(["users", "add", *args, "--password-stdin", "--data-dir", str(fixture_copy)])


def test_users_add_stores_an_argon2_hash_and_the_role(monkeypatch, database_url, fixture_copy,
                                                      capsys):
    assert _add(monkeypatch, database_url, fixture_copy, "eva", "--role", "admin") == 0
    assert "eva (admin)" in capsys.readouterr().out
    db = open_database(database_url)
    with db.session() as session:
        user = session.scalars(select(User)).one()
        assert user.role == "admin" and user.password_hash.startswith("$argon2id$")
        assert "contraseña-larga-1" not in user.password_hash
        assert authenticate(session, "eva", "contraseña-larga-1").id == user.id
        assert authenticate(session, "eva", "contraseña-larga-2") is None
    db.dispose()


def test_users_add_refuses_duplicates_and_short_passwords(monkeypatch, database_url,
                                                          fixture_copy, capsys):
    assert _add(monkeypatch, database_url, fixture_copy, "eva") == 0
    assert _add(monkeypatch, database_url, fixture_copy, "eva") == 1
    assert "already exists" in capsys.readouterr().err
    # exactly the minimum length (10) is accepted, one less is refused
    assert _add(monkeypatch, database_url, fixture_copy, "leo", password="x" * 9) == 1
    assert "at least 10 characters" in capsys.readouterr().err
    assert _add(monkeypatch, database_url, fixture_copy, "leo", password="x" * 10) == 0


def test_secret_key_file_is_private_and_stable(tmp_path, monkeypatch):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    settings = load_settings({"data_dir": tmp_path})
    first = secret_key(settings)
    path = tmp_path / ".secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 64 and secret_key(settings) == first
    monkeypatch.setenv(SECRET_ENV, "from-the-environment")
    assert secret_key(settings) == "from-the-environment"


def test_workspace_texts_exist_in_both_languages():
    """Every key the workspace pages use is in Spanish and English, with the same
    placeholders (the shared test covers the other templates)."""
    import json
    import re
    from pathlib import Path

    from webmap.i18n import catalogue

    root = Path(__file__).resolve().parents[1] / "webmap"
    es = json.loads((root / "translations" / "workspace.es.json").read_text("utf-8"))
    en = json.loads((root / "translations" / "workspace.en.json").read_text("utf-8"))
    assert set(es) == set(en)
    for key in es:
        assert set(re.findall(r"\{\w+\}", es[key])) == set(re.findall(r"\{\w+\}", en[key])), key
    used = set()
    for template in (root / "templates" / "workspace").glob("*.html"):
        # a key ending in "_" is a prefix completed in the template (listed below)
        used |= set(re.findall(r't\(\s*"([a-z_.]+[a-z])"', template.read_text("utf-8")))
    used |= {f"workspace.import.layer_{n}" for n in ("venues", "workshops", "proposals",
                                                     "juntas")}
    used |= {f"workspace.import.done_{n}" for n in ("workshops", "proposals", "juntas")}
    used |= {f"workspace.action.{a}" for a in
             ("seed", "add", "edit", "move", "retire", "place", "revert", "import")}
    used |= {f"workspace.role.{r}" for r in ("planner", "admin")}
    assert len(used) > 30
    for lang in ("es", "en"):
        assert used <= set(catalogue(lang)), used - set(catalogue(lang))


# --- passwords and disabled accounts (web and command line) ---------------------------------

NEW_PASSWORD = "otra-clave-larga-2"


def _users(monkeypatch, database_url, fixture_copy, *args, stdin=""):
    monkeypatch.setenv("CULTURAMAP_DATABASE_URL", database_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(["users", *args, "--data-dir", str(fixture_copy)])


def test_users_list_passwd_disable_and_enable(monkeypatch, database_url, fixture_copy,
                                              capsys):
    assert _add(monkeypatch, database_url, fixture_copy, "eva", "--role", "admin") == 0
    assert _add(monkeypatch, database_url, fixture_copy, "leo") == 0
    capsys.readouterr()
    assert _users(monkeypatch, database_url, fixture_copy, "list") == 0
    listed = [line.split("\t")[:3] for line in capsys.readouterr().out.splitlines()]
    assert listed == [["eva", "admin", "activa/active"], ["leo", "planner", "activa/active"]]
    assert _users(monkeypatch, database_url, fixture_copy, "passwd", "leo",
                  "--password-stdin", stdin=NEW_PASSWORD + "\n") == 0
    assert _users(monkeypatch, database_url, fixture_copy, "passwd", "leo",
                  "--password-stdin", stdin="x" * 9 + "\n") == 1
    assert _users(monkeypatch, database_url, fixture_copy, "passwd", "nadie",
                  "--password-stdin", stdin=NEW_PASSWORD + "\n") == 1
    assert "no user 'nadie'" in capsys.readouterr().err
    db = open_database(database_url)
    with db.session() as session:
        assert authenticate(session, "leo", NEW_PASSWORD) is not None
        assert authenticate(session, "leo", "contraseña-larga-1") is None
    assert _users(monkeypatch, database_url, fixture_copy, "disable", "leo") == 0
    with db.session() as session:
        assert authenticate(session, "leo", NEW_PASSWORD) is None
    assert _users(monkeypatch, database_url, fixture_copy, "enable", "leo") == 0
    with db.session() as session:
        assert authenticate(session, "leo", NEW_PASSWORD) is not None
    db.dispose()


def _password_form(client, **fields):
    from tests.support.workspace import csrf_token

    token = csrf_token(client.get("/planificar/clave").get_data(as_text=True))
    return client.post("/planificar/clave", data={"csrf_token": token, **fields})


def test_a_planner_changes_their_own_password_and_other_sessions_end(workspace, planner):
    from tests.support.workspace import PASSWORD, sign_in

    other = workspace.test_client()  # the same account signed in elsewhere
    assert sign_in(other).status_code == 302
    wrong = _password_form(planner, current="no-es-la-clave", new=NEW_PASSWORD,
                           repeat=NEW_PASSWORD)
    assert wrong.status_code == 400 and "current password is wrong" in wrong.get_data(
        as_text=True)
    differ = _password_form(planner, current=PASSWORD, new=NEW_PASSWORD, repeat="otra")
    assert differ.status_code == 400
    done = _password_form(planner, current=PASSWORD, new=NEW_PASSWORD, repeat=NEW_PASSWORD)
    assert done.status_code == 302
    assert planner.get("/planificar").status_code == 200  # this session goes on
    assert other.get("/planificar").status_code == 302  # the other one ended
    assert sign_in(workspace.test_client(), "ana", PASSWORD).status_code == 401
    assert sign_in(workspace.test_client(), "ana", NEW_PASSWORD).status_code == 302
    # without the CSRF token: refused, nothing changed
    forged = planner.post("/planificar/clave", data={"current": NEW_PASSWORD,
                                                     "new": "x" * 12, "repeat": "x" * 12})
    assert forged.status_code == 400
    assert sign_in(workspace.test_client(), "ana", NEW_PASSWORD).status_code == 302
    # the public is sent to sign in
    assert workspace.test_client().get("/planificar/clave").status_code == 302


def test_guessing_the_current_password_is_throttled_at_the_eleventh_try(workspace, planner):
    statuses = [_password_form(planner, current=f"intento-{i}", new=NEW_PASSWORD,
                               repeat=NEW_PASSWORD).status_code for i in range(11)]
    assert statuses == [400] * 10 + [429]


def test_an_admin_resets_a_password_and_the_account_sessions_end(workspace, planner):
    from tests.support.workspace import PASSWORD, page_token, sign_in

    admin = workspace.test_client()
    assert sign_in(admin, "root").status_code == 302
    token = page_token(admin)
    with workspace.extensions["culturamap_workspace"].db.session() as session:
        ana = session.scalars(select(User).where(User.name == "ana")).one().id
    short = admin.post("/planificar/cuentas", data={"action": "password", "user_id": ana,
                                                    "password": "x" * 9, "csrf_token": token})
    assert short.status_code == 400
    assert planner.get("/planificar").status_code == 200
    reset = admin.post("/planificar/cuentas", data={"action": "password", "user_id": ana,
                                                    "password": NEW_PASSWORD,
                                                    "csrf_token": token})
    assert reset.status_code == 302
    assert planner.get("/planificar").status_code == 302  # ana's open session ended
    assert sign_in(workspace.test_client(), "ana", PASSWORD).status_code == 401
    assert sign_in(workspace.test_client(), "ana", NEW_PASSWORD).status_code == 302
    # a planner cannot reset anyone's password
    other = workspace.test_client()
    sign_in(other, "ana", NEW_PASSWORD)
    assert other.post("/planificar/cuentas", data={
        "action": "password", "user_id": ana, "password": "y" * 12,
        "csrf_token": page_token(other)}).status_code == 403


def test_db_backup_copies_the_database_while_it_is_open(monkeypatch, database_url,
                                                        fixture_copy, tmp_path, capsys):
    import sqlite3
    import subprocess

    assert _add(monkeypatch, database_url, fixture_copy, "eva") == 0
    db = open_database(database_url)  # an open connection, as the running map has
    out = tmp_path / "copias" / "respaldo.db"
    assert main(["db", "backup", str(out), "--data-dir", str(fixture_copy)]) == 0
    assert str(out) in capsys.readouterr().out
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    if database_url.startswith("sqlite"):
        copy = sqlite3.connect(out)
        assert copy.execute("SELECT name FROM users").fetchall() == [("eva",)]
        copy.close()
    else:  # a pg_dump custom archive: pg_restore lists the users table's data
        listed = subprocess.run(["pg_restore", "--list", str(out)], capture_output=True,
                                text=True, check=True).stdout
        assert "TABLE DATA public users" in listed
    assert [p.name for p in out.parent.iterdir()] == ["respaldo.db"]  # no temporary left
    db.dispose()


def test_db_backup_of_a_missing_sqlite_file_is_a_clear_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CULTURAMAP_DATABASE_URL", f"sqlite:///{tmp_path / 'nada.sqlite'}")
    assert main(["db", "backup", str(tmp_path / "copia.db")]) == 1
    assert "no database at" in capsys.readouterr().err
    assert not (tmp_path / "copia.db").exists() and not (tmp_path / "nada.sqlite").exists()
