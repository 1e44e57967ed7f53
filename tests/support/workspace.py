"""Databases for the workspace tests: a new SQLite file, or a new PostgreSQL database made
from the PostGIS template that tools/start_postgres.sh prepares (``make test`` starts it and
exports CULTURAMAP_TEST_POSTGRES_URL). Real databases, never mocks."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from tests.support.needs import require

POSTGRES_URL_ENV = "CULTURAMAP_TEST_POSTGRES_URL"
# Running a single test file by hand without PostgreSQL: set this to skip (never in CI).
SKIP_POSTGRES_ENV = "CULTURAMAP_TEST_SKIP_POSTGRES"
BACKENDS = ("sqlite", "postgresql")


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'workspace.sqlite'}"


def postgres_database() -> Iterator[str]:
    """A fresh database (copy of the PostGIS template), dropped afterwards."""
    base = os.environ.get(POSTGRES_URL_ENV)
    if not base:
        if os.environ.get(SKIP_POSTGRES_ENV) == "1":
            require(False, f"PostgreSQL ({SKIP_POSTGRES_ENV}=1: cases skipped by request)",
                    f"start it with `export {POSTGRES_URL_ENV}=$(tools/start_postgres.sh)`")
        pytest.fail(f"{POSTGRES_URL_ENV} is not set: start PostgreSQL with "
                    f"`export {POSTGRES_URL_ENV}=$(tools/start_postgres.sh)` (make test does), "
                    f"or set {SKIP_POSTGRES_ENV}=1 to skip these cases by hand")
    url = make_url(base)
    name = f"cm_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def database_url_for(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield sqlite_url(folder)
    else:
        yield from postgres_database()


# --- apps with the workspace on ---------------------------------------------------------------

PASSWORD = "a-long-test-password"
TO_LOCATE_CSV = (
    "id,name,category,address,sector,status,source_urls\n"
    "PU-01,Biblioteca por ubicar,library,Calle Falsa 1,Demo,open,https://example.org/a\n"
    "PU-02,Museo por ubicar,museum,,Demo,open,\n"
)


def workspace_app(data_dir: Path, cache_dir: Path, database_url: str, **extra: object):
    """The web app with the workspace on (its own database), users ``ana`` (planner) and
    ``root`` (admin) made through the accounts code."""
    from tests.support.web import TEST_REPORT_WAIT_S
    from webmap.app import create_app
    from webmap.workspace.auth import add_user

    app = create_app({"DATA_DIR": data_dir, "CACHE_DIR": cache_dir, "TESTING": True,
                      "WORKSPACE": True, "DATABASE_URL": database_url,
                      "SECRET_KEY": "test-only-secret", "REPORT_WAIT_S": TEST_REPORT_WAIT_S,
                      **extra})
    with app.extensions["culturamap_workspace"].db.session() as session:
        add_user(session, "ana", PASSWORD, "planner")
        add_user(session, "root", PASSWORD, "admin")
    return app


def csrf_token(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client, name: str = "ana", password: str = PASSWORD):
    token = csrf_token(client.get("/entrar").get_data(as_text=True))
    return client.post("/entrar", data={"name": name, "password": password,
                                        "csrf_token": token})


def page_token(client) -> str:
    """The CSRF token of a signed-in planner's page."""
    return csrf_token(client.get("/planificar").get_data(as_text=True))


def crash_on_second_row(monkeypatch) -> dict[str, int]:
    """Make an import crash ("power cut") while writing its second row's history, after
    the first row was written in the transaction. Returns the call count."""
    from webmap.workspace import imports

    calls = {"n": 0}
    real = imports.record_change

    def crash(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "record_change", crash)
    return calls


def point_in_worst_council(app, data_dir: Path) -> tuple[str, object]:
    """The council with the worst access gap (gap_rank 1) in ``app``'s figures, and a point
    inside it (a shapely Point, EPSG:4326): where a new venue must improve its figures."""
    import geopandas as gpd

    from geo import METRIC_CRS, WEB_CRS

    figures = app.extensions["culturamap"].councils
    worst = str(figures.sort_values("gap_rank").iloc[0]["id"])
    councils = gpd.read_file(data_dir / "boundaries" / "councils.geojson")
    inside = (councils[councils["id"] == worst].to_crs(METRIC_CRS).representative_point()
              .to_crs(WEB_CRS).iloc[0])
    return worst, inside


def db_of(app):
    """The workspace database of ``app``."""
    return app.extensions["culturamap_workspace"].db


def upload(client, name: str, text: str | bytes, step: str = "preview",
           layer: str | None = None):
    """Send a file to the import page (``step`` preview or apply) with the page's token."""
    import io

    data = text.encode("utf-8") if isinstance(text, str) else text
    form = {"csrf_token": page_token(client), "step": step, "file": (io.BytesIO(data), name)}
    if layer is not None:
        form["layer"] = layer
    return client.post("/planificar/importar", content_type="multipart/form-data", data=form)
