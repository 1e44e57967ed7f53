"""Snapshots of records and the history rows that hold them.

Why snapshots as JSON: a history row must show the record as it was, whatever columns the
table has later, and an admin's revert puts exactly that back.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from webmap.workspace.agenda_models import Activity
from webmap.workspace.models import (
    Change,
    Junta,
    Proposal,
    User,
    Venue,
    VenueToLocate,
    Workshop,
)

VENUE_FIELDS = ("name", "category", "address", "source", "lon", "lat", "capacity", "extra",
                "retired")
TO_LOCATE_FIELDS = ("name", "category", "extra", "placed_venue_id")
WORKSHOP_FIELDS = ("title", "date", "venue_id", "councils", "source", "lon", "lat",
                   "attendance", "minutes", "extra", "retired")
PROPOSAL_FIELDS = ("workshop_id", "text", "councils", "retired")
JUNTA_FIELDS = ("name", "council_id", "sede_venue_id", "contact", "retired")
ACTIVITY_FIELDS = ("title", "description", "venue_id", "lon", "lat", "start_utc", "end_utc",
                   "rrule", "free", "audience", "accessibility", "organiser", "source_url",
                   "uid", "cancelled")
FIELDS: dict[str, tuple[str, ...]] = {
    "venue": VENUE_FIELDS, "to_locate": TO_LOCATE_FIELDS, "workshop": WORKSHOP_FIELDS,
    "proposal": PROPOSAL_FIELDS, "junta": JUNTA_FIELDS, "activity": ACTIVITY_FIELDS}
KIND_OF = {Venue: "venue", VenueToLocate: "to_locate", Workshop: "workshop",
           Proposal: "proposal", Junta: "junta", Activity: "activity"}


def json_safe(value: Any) -> Any:
    """A value from a GeoDataFrame as plain JSON: NaN/NA -> None, numpy -> Python,
    dates -> ISO text."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.datetime) and not isinstance(value, pd.Timestamp):
        return value.isoformat()  # a time of day matters (activities); dates stay dates
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()[:10] if isinstance(value, dt.date) else value.isoformat()
    return value


def snapshot(record: Venue | VenueToLocate | Workshop | Proposal | Junta) -> dict[str, Any]:
    """The record's values (plus id and version) as JSON-ready data."""
    kind = KIND_OF[type(record)]
    data: dict[str, Any] = {"id": record.id, "version": record.version}
    data.update({f: json_safe(getattr(record, f)) for f in FIELDS[kind]})
    return data


def record_change(
    session: Session,
    user: User | None,
    kind: str,
    record_id: str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reverts: Change | None = None,
) -> Change:
    change = Change(user_id=user.id if user is not None else None, kind=kind,
                    record_id=record_id, action=action, before=before, after=after,
                    reverts_id=reverts.id if reverts is not None else None)
    session.add(change)
    return change


def history_of(session: Session, kind: str, record_id: str) -> list[Change]:
    """The record's changes, newest first."""
    query = (select(Change).where(Change.kind == kind, Change.record_id == record_id)
             .order_by(Change.id.desc()))
    return list(session.scalars(query))


def user_names(session: Session) -> dict[int, str]:
    return {u.id: u.name for u in session.scalars(select(User))}
