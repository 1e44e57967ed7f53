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
        used |= set(re.findall(r't\(\s*"([a-z_.]+[a-z_])"', template.read_text("utf-8")))
    used |= {f"workspace.action.{a}" for a in
             ("seed", "add", "edit", "move", "retire", "place", "revert", "import")}
    used |= {f"workspace.role.{r}" for r in ("planner", "admin")}
    assert len(used) > 30
    for lang in ("es", "en"):
        assert used <= set(catalogue(lang)), used - set(catalogue(lang))
