"""What every editable kind (venues, workshops, juntas, proposals) shares: the errors of an
edit, optimistic locking, finding a record still in service, new ids, and retiring.

Why one place: every kind must answer a stale edit the same way (409 with both versions),
refuse a retired record the same way, and keep a retired record's row and history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.orm.exc import StaleDataError

from geo.errors import CulturamapError
from geo.layer_errors import Problem
from webmap.workspace.history import KIND_OF, record_change, snapshot
from webmap.workspace.models import User


class EditRejected(CulturamapError, ValueError):
    """The values break a rule of the layer; ``problems`` says which, in both languages."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.render(with_path=False) for p in problems))


class EditConflict(CulturamapError):
    """Someone changed the record since the editor loaded it (version mismatch)."""

    def __init__(self, kind: str, record_id: str, current: dict[str, Any],
                 submitted: dict[str, Any]) -> None:
        self.kind, self.record_id = kind, record_id
        self.current, self.submitted = current, submitted
        super().__init__(f"{kind} {record_id}: changed by someone else (now version "
                         f"{current.get('version')})")


class RecordNotFound(CulturamapError, LookupError):
    """No such record (or no longer editable, e.g. retired)."""


def editable(session: Session, model: type, record_id: Any, what_es: str,
             what_en: str) -> Any:
    """The record in service with this id, else RecordNotFound ("no hay <what_es> ...")."""
    record = session.get(model, record_id)
    if record is None or record.retired:
        raise RecordNotFound(f"no hay {what_es} vigente {record_id!r} / no {what_en} in "
                             f"service {record_id!r}")
    return record


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


def add(session: Session, user: User | None, record: Any, action: str = "add",
        kind: str | None = None, describe: Callable[[Any], dict[str, Any]] = snapshot) -> Any:
    """Store a new record (version 1) with its history row: ``action`` (add, submit,
    import...) by ``user`` (None: a resident or the files), ``describe`` giving the values
    the row keeps (the record's own fields, or a wider ``state``)."""
    session.add(record)
    session.flush()
    record_change(session, user, kind or KIND_OF[type(record)], str(record.id), action, None,
                  describe(record))
    return record


def update(session: Session, user: User, record: Any, version: Any, values: dict[str, Any],
           submitted: dict[str, Any], action: str = "edit") -> Any:
    """Set ``values`` on a record of the given version, with its history row."""
    expect_version(record, version, submitted)
    before = snapshot(record)
    for name, value in values.items():
        setattr(record, name, value)
    flush_versioned(session, record, before, submitted)
    record_change(session, user, KIND_OF[type(record)], str(record.id), action, before,
                  snapshot(record))
    return record


def retire(session: Session, user: User, record: Any, version: Any) -> Any:
    """Hide a record from the map, the figures and the lists; its row and history stay."""
    return update(session, user, record, version, {"retired": True}, {"retired": True},
                  "retire")


def next_id(session: Session, column: InstrumentedAttribute, prefix: str) -> str:
    """The next free id of the workspace's own series: CM-001, CM-002... (venues)."""
    taken = session.scalars(select(column).where(column.like(f"{prefix}%")))
    numbers = [int(t[len(prefix):]) for t in taken if t[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"
