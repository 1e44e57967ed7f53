"""Alembic environment: migrations run on the connection ``webmap.workspace.db.upgrade``
passes in (no alembic.ini, no URL here), so the installed package migrates itself."""

from __future__ import annotations

from alembic import context

from webmap.workspace.models import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable from the alembic command line
    raise RuntimeError("run migrations through webmap.workspace.db.upgrade(engine)")
context.configure(connection=connection, target_metadata=target_metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
