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
            pytest.skip(f"{SKIP_POSTGRES_ENV}=1: PostgreSQL cases skipped by request")
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
