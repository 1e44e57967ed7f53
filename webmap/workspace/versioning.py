"""Optimistic locking for any versioned record (juntas, proposals): the form's version must
be the stored one, and a concurrent writer that got there first is the same conflict.

Why one place: every kind must answer a stale edit the same way (409 with both versions).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from webmap.workspace.edits import EditConflict
from webmap.workspace.history import KIND_OF, snapshot


def expect_version(record: Any, version: Any, submitted: dict[str, Any]) -> None:
    """EditConflict (current and submitted values) unless ``version`` is the stored one."""
    try:
        expected = int(version)
    except (TypeError, ValueError):
        expected = -1
    if expected != record.version:
        raise EditConflict(KIND_OF[type(record)], str(record.id), snapshot(record), submitted)


def flush_versioned(session: Session, record: Any, before: dict[str, Any],
                    submitted: dict[str, Any]) -> None:
    """Write now; a versioned UPDATE that matches no row (someone else saved first) is a
    conflict, not a silent overwrite."""
    try:
        session.flush()
    except StaleDataError:
        raise EditConflict(KIND_OF[type(record)], str(before["id"]), before,
                           submitted) from None
