"""Changes to the venue inventory: checked, versioned, and written with their history.

Why the file loaders' rules: a venue typed in a form must be refused for the same reasons,
with the same words, as a venue in a GeoJSON file (geo.validation), or the next start
would refuse the database. Why versions: two planners editing one venue must not silently
overwrite each other; the second one gets both versions (``EditConflict``) and decides.
Every function works inside the caller's session (one transaction); nothing is committed
here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo import WEB_CRS
from geo.layer_errors import Problem
from geo.schema import VENUES
from geo.validation import validate_frame
from webmap.workspace.agenda_models import Activity
from webmap.workspace.frames import DB_PATH
from webmap.workspace.history import record_change, snapshot
from webmap.workspace.models import (
    Change,
    Junta,
    Proposal,
    User,
    Venue,
    VenueToLocate,
    Workshop,
)
from webmap.workspace.versioning import (  # the errors of an edit are raised from here too
    EditConflict,
    EditRejected,
    RecordNotFound,
    add,
    editable,
    expect_version,
    next_id,
    retire,
    update,
)

NEW_ID_PREFIX = "CM-"  # venues added in the workspace: CM-001, CM-002...
TEXT_FIELDS = ("name", "category", "address", "source")
MAX_TEXT = 300


def _problem(es: str, en: str, hint_es: str = "", hint_en: str = "") -> Problem:
    return Problem(DB_PATH / VENUES.name, es, en, hint_es, hint_en)


def _number(raw: Any, name: str, problems: list[Problem], whole: bool = False) -> Any:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        problems.append(_problem(f"«{name}» no es un número", f"'{name}' is not a number"))
        return None
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        text = str(raw).strip().replace(",", ".")
        if not re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
            problems.append(_problem(f"«{name}» = {raw!r} no es un número",
                                     f"'{name}' = {raw!r} is not a number"))
            return None
        value = float(text)
    if whole:
        if not value.is_integer() or value < 0:
            problems.append(_problem(f"«{name}» debe ser un número entero positivo o cero",
                                     f"'{name}' must be a whole number, zero or more"))
            return None
        return int(value)
    return value


def parse_venue(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """Form or JSON values -> typed venue values, and the problems of their form
    (coordinates that are not numbers...). Rules of the layer come later (``check``)."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        raw = data.get(name)
        text = "" if raw is None else str(raw).strip()
        if len(text) > MAX_TEXT and name != "source":
            problems.append(_problem(f"«{name}» tiene más de {MAX_TEXT} caracteres",
                                     f"'{name}' is longer than {MAX_TEXT} characters"))
        values[name] = text or None
    values["lon"] = _number(data.get("lon"), "lon", problems)
    values["lat"] = _number(data.get("lat"), "lat", problems)
    if (values["lon"] is None or values["lat"] is None) and not problems:
        problems.append(_problem("faltan las coordenadas", "the coordinates are missing",
                                 "toque el mapa o escriba lon y lat",
                                 "click the map or type lon and lat"))
    values["capacity"] = _number(data.get("capacity"), "capacity", problems, whole=True)
    return values, problems


def check(record_id: str, values: dict[str, Any]) -> list[Problem]:
    """The rules of a venues file (geo.validation) applied to one venue."""
    frame = gpd.GeoDataFrame(
        pd.DataFrame.from_records([{"id": record_id, **{f: values[f] for f in TEXT_FIELDS}}]),
        geometry=[Point(values["lon"], values["lat"])], crs=WEB_CRS)
    _, report = validate_frame(VENUES, frame, DB_PATH / VENUES.name)
    return report.problems


def checked_venue(record_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    values, problems = parse_venue(data)
    problems = problems or check(record_id, values)
    if problems:
        raise EditRejected(problems)
    return values


def next_venue_id(session: Session) -> str:
    return next_id(session, Venue.id, NEW_ID_PREFIX)


def add_venue(session: Session, user: User, data: Mapping[str, Any]) -> Venue:
    venue_id = next_venue_id(session)
    values = checked_venue(venue_id, data)
    return add(session, user, Venue(id=venue_id, extra={}, retired=False, **values))


def _editable(session: Session, venue_id: str) -> Venue:
    return editable(session, Venue, venue_id, "un espacio", "venue")


def edit_venue(session: Session, user: User, venue_id: str, version: Any,
               data: Mapping[str, Any]) -> Venue:
    """Change name, category, address, source, capacity and/or place (a move)."""
    venue = _editable(session, venue_id)
    submitted = {k: data.get(k) for k in (*TEXT_FIELDS, "lon", "lat", "capacity")}
    expect_version(venue, version, submitted)  # a stale form: a conflict before any check
    values = checked_venue(venue_id, data)
    moved_only = all(getattr(venue, k) == values[k] for k in (*TEXT_FIELDS, "capacity"))
    return update(session, user, venue, version, values, submitted,
                  "move" if moved_only else "edit")


def retire_venue(session: Session, user: User, venue_id: str, version: Any) -> Venue:
    """Hide a venue from the map and the figures; its rows and history stay."""
    return retire(session, user, _editable(session, venue_id), version)


def place_venue(session: Session, user: User, place_id: str, version: Any,
                data: Mapping[str, Any]) -> Venue:
    """Give a place "por ubicar" its coordinates: it becomes a venue of the map."""
    place = session.get(VenueToLocate, place_id)
    if place is None:
        raise RecordNotFound(f"no hay un lugar por ubicar {place_id!r} / no place to locate "
                             f"{place_id!r}")
    if place.placed_venue_id is not None:  # placed by someone else meanwhile
        raise EditConflict("to_locate", place.id, snapshot(place), dict(data))
    expect_version(place, version, dict(data))
    extra = dict(place.extra)
    address = extra.pop("address", None) or None
    source = extra.pop("source_urls", None) or extra.pop("source", None) or "por ubicar"
    venue_id = place.id if session.get(Venue, place.id) is None else next_venue_id(session)
    values = checked_venue(venue_id, {"name": place.name, "category": place.category,
                                      "address": address, "source": source, **data})
    venue = Venue(id=venue_id, extra=extra, retired=False, **values)
    session.add(venue)
    session.flush()
    before = snapshot(place)
    place.placed_venue_id = venue.id
    session.flush()
    record_change(session, user, "to_locate", place.id, "place", before, snapshot(place))
    record_change(session, user, "venue", venue.id, "place", None, snapshot(venue))
    return venue


REVERTIBLE = {
    "activity": (Activity, ("title", "description", "venue_id", "lon", "lat", "start_utc",
                            "end_utc", "rrule", "free", "audience", "accessibility",
                            "organiser", "source_url", "cancelled")),
    "venue": (Venue, ("name", "category", "address", "source", "lon", "lat", "capacity",
                      "retired")),
    "workshop": (Workshop, ("title", "date", "venue_id", "councils", "source", "lon", "lat",
                            "attendance", "minutes", "retired")),
    "junta": (Junta, ("name", "council_id", "sede_venue_id", "contact", "retired")),
    "proposal": (Proposal, ("text", "councils", "retired")),
}


INVENTORY_KINDS = ("venue", "workshop", "junta", "proposal")  # the map's inventory
WITHDRAWN = {"activity": "cancelled"}  # the flag that hides a record; "retired" for others


def record_of(session: Session, change: Change) -> Any:
    """The record a history row is about (juntas, proposals, activities: numeric ids)."""
    model = REVERTIBLE[change.kind][0]
    key = int(change.record_id) if model in (Junta, Proposal, Activity) else change.record_id
    return session.get(model, key)


def _stored(name: str, value: Any) -> Any:
    """A value of a history row (JSON) as the column keeps it (dates were written as text)."""
    if isinstance(value, str) and name == "date":
        return dt.date.fromisoformat(value)
    if isinstance(value, str) and name.endswith("_utc"):
        return dt.datetime.fromisoformat(value)
    return value


def revert(session: Session, admin: User, change_id: int,
           kinds: tuple[str, ...] = INVENTORY_KINDS) -> Change:
    """Put a record of one of ``kinds`` back as it was before ``change_id`` (admin only; a
    new history row). Reverting an addition or a placement withdraws the record (and a
    placed venue's place goes back to the list to locate)."""
    change = session.get(Change, change_id)
    if change is None or change.kind not in kinds or change.action == "seed":
        raise RecordNotFound(f"no hay un cambio reversible n.º {change_id} / no revertible "
                             f"change #{change_id}")
    names = REVERTIBLE[change.kind][1]
    record = record_of(session, change)
    if record is None:  # pragma: no cover - records are never deleted
        raise RecordNotFound(change.record_id)
    before = snapshot(record)
    target = change.before
    if target is None:
        setattr(record, WITHDRAWN.get(change.kind, "retired"), True)
    else:
        for name in names:
            setattr(record, name, _stored(name, target[name]))
    session.flush()
    revert_row = record_change(session, admin, change.kind, str(record.id), "revert", before,
                               snapshot(record), reverts=change)
    if change.kind == "venue" and change.action == "place":
        place = session.scalar(select(VenueToLocate)
                               .where(VenueToLocate.placed_venue_id == record.id))
        if place is not None:
            place_before = snapshot(place)
            place.placed_venue_id = None
            session.flush()
            record_change(session, admin, "to_locate", place.id, "revert", place_before,
                          snapshot(place), reverts=change)
    return revert_row
