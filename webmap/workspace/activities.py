"""Activities of the agenda: checked, versioned, written with their history; and read back
as ``geo.agenda.AgendaItem`` values for the public pages and feeds.

Why the same machinery as venues (``EditRejected``, ``EditConflict``, ``record_change``,
``expect_version``): a planner meets the same messages, the same history and the same
conflict page whatever record they edit. Times typed in a form are Coquimbo wall-clock
times; they are stored in UTC. Nothing is committed here (the caller's transaction).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.access import COQUIMBO_BOUNDS
from geo.agenda import AUDIENCES, AgendaError, AgendaItem, local_to_utc, normalise_rule
from geo.layer_errors import Problem
from webmap.workspace.agenda_models import Activity
from webmap.workspace.edits import EditRejected, RecordNotFound, _number
from webmap.workspace.frames import DB_PATH
from webmap.workspace.models import User, Venue
from webmap.workspace.versioning import add, expect_version, update

LAYER = "activities"
TEXT_LIMITS = {"title": 300, "description": 4000, "accessibility": 2000, "organiser": 300,
               "source_url": 1000}
FORM_FIELDS = ("title", "description", "venue_id", "lon", "lat", "start", "end", "rrule",
               "free", "audience", "accessibility", "organiser", "source_url")
TRUE_WORDS = {"1", "true", "on", "yes", "si", "sí", "gratis", "gratuita", "free"}
FALSE_WORDS = {"0", "false", "off", "no", "pagada", "pago", "paid", ""}


def problem(es: str, en: str, row: int | None = None) -> Problem:
    return Problem(DB_PATH / LAYER, es, en, row=row)


def parse_time(raw: Any, name: str, problems: list[Problem]) -> dt.datetime | None:
    """'2026-04-07T19:00' (Coquimbo wall time, as a datetime-local field sends it) or an
    ISO time with an offset -> naive UTC for the database."""
    if isinstance(raw, dt.datetime):
        return local_to_utc(raw).replace(tzinfo=None)
    text = str(raw or "").strip()
    if not text:
        problems.append(problem(f"falta «{name}» (fecha y hora)",
                                f"'{name}' (date and time) is missing"))
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        problems.append(problem(
            f"«{name}» = «{text[:40]}» no es una fecha y hora (AAAA-MM-DDTHH:MM)",
            f"'{name}' = '{text[:40]}' is not a date and time (YYYY-MM-DDTHH:MM)"))
        return None
    return local_to_utc(value).replace(tzinfo=None)


def parse_flag(raw: Any, name: str, problems: list[Problem], default: bool) -> bool:
    if raw is None:
        return default
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    problems.append(problem(f"«{name}» = «{text[:20]}» no es sí/no",
                            f"'{name}' = '{text[:20]}' is not yes/no"))
    return default


def parse_activity(session: Session, data: Mapping[str, Any],
                   ) -> tuple[dict[str, Any], list[Problem]]:
    """Form, JSON, CSV or iCalendar values -> the columns of an activity, and every problem
    (never only the first)."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for name, limit in TEXT_LIMITS.items():
        raw = data.get(name)
        text = "" if raw is None else str(raw).strip()
        if len(text) > limit:
            problems.append(problem(f"«{name}» tiene más de {limit} caracteres",
                                    f"'{name}' is longer than {limit} characters"))
        values[name] = text or None
    if not values["title"]:
        problems.append(problem("falta el título", "the title is missing"))
    url = values["source_url"]
    if url and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc):
        problems.append(problem(f"el enlace de la fuente debe empezar con http:// o https:// "
                                f"(«{url[:60]}»)", f"the source link must start with http:// "
                                f"or https:// ('{url[:60]}')"))
    values["start_utc"] = parse_time(data.get("start"), "start", problems)
    values["end_utc"] = parse_time(data.get("end"), "end", problems)
    if values["start_utc"] and values["end_utc"] and values["end_utc"] <= values["start_utc"]:
        problems.append(problem("el término debe ser posterior al inicio",
                                "the end must come after the start"))
    try:
        values["rrule"] = normalise_rule(data.get("rrule"))
    except AgendaError as exc:
        values["rrule"] = None
        es, _, en = str(exc).partition(" / ")
        problems.append(problem(es, en or es))
    values["free"] = parse_flag(data.get("free"), "free", problems, default=False)
    audience = str(data.get("audience") or "all").strip().lower()
    if audience not in AUDIENCES:
        problems.append(problem(f"público desconocido «{audience[:20]}» (use "
                                f"{', '.join(AUDIENCES)})", f"unknown audience "
                                f"'{audience[:20]}' (use {', '.join(AUDIENCES)})"))
    values["audience"] = audience
    _place(session, data, values, problems)
    return values, problems


def _place(session: Session, data: Mapping[str, Any], values: dict[str, Any],
           problems: list[Problem]) -> None:
    """A venue in service, or a point inside Coquimbo: one of the two."""
    venue_id = str(data.get("venue_id") or "").strip() or None
    values["venue_id"], values["lon"], values["lat"] = venue_id, None, None
    if venue_id:
        venue = session.get(Venue, venue_id)
        if venue is None or venue.retired:
            problems.append(problem(f"«venue_id» = «{venue_id[:40]}» no es un espacio vigente",
                                    f"'venue_id' = '{venue_id[:40]}' is not a venue in "
                                    "service"))
        return
    lon = _number(data.get("lon"), "lon", problems)
    lat = _number(data.get("lat"), "lat", problems)
    if lon is None or lat is None:
        problems.append(problem("falta el lugar: elija un espacio o toque el mapa",
                                "the place is missing: choose a venue or click the map"))
        return
    x0, y0, x1, y1 = COQUIMBO_BOUNDS
    if not (math.isfinite(lon) and math.isfinite(lat) and x0 <= lon <= x1 and y0 <= lat <= y1):
        problems.append(problem(f"el punto ({lon}, {lat}) no está en Coquimbo",
                                f"the point ({lon}, {lat}) is not in Coquimbo"))
        return
    values["lon"], values["lat"] = lon, lat


def checked(session: Session, data: Mapping[str, Any]) -> dict[str, Any]:
    values, problems = parse_activity(session, data)
    if problems:
        raise EditRejected(problems)
    return values


def add_activity(session: Session, user: User | None, data: Mapping[str, Any],
                 action: str = "add", uid: str | None = None) -> Activity:
    return add(session, user, Activity(cancelled=False, uid=uid, **checked(session, data)),
               action)


def editable(session: Session, activity_id: int) -> Activity:
    activity = session.get(Activity, activity_id)
    if activity is None or activity.cancelled:
        raise RecordNotFound(f"no hay una actividad vigente n.º {activity_id} / no activity "
                             f"#{activity_id}")
    return activity


def edit_activity(session: Session, user: User | None, activity_id: int, version: Any,
                  data: Mapping[str, Any], action: str = "edit") -> Activity:
    """Change any field; a stale version is a conflict with both versions (nothing lost)."""
    activity = editable(session, activity_id)
    submitted = {k: data.get(k) for k in FORM_FIELDS}
    expect_version(activity, version, submitted)  # a stale form is a conflict before a mistake
    return update(session, user, activity, version, checked(session, data), submitted, action)


def cancel_activity(session: Session, user: User, activity_id: int, version: Any) -> Activity:
    """Cancelled: out of every public view and feed; its row and history stay."""
    return update(session, user, editable(session, activity_id), version, {"cancelled": True},
                  {"cancelled": True}, "cancel")


def all_activities(session: Session, include_cancelled: bool = False) -> list[Activity]:
    query = select(Activity).order_by(Activity.start_utc, Activity.id)
    if not include_cancelled:
        query = query.where(Activity.cancelled.is_(False))
    return list(session.scalars(query))


def agenda_items(session: Session, include_cancelled: bool = False) -> list[AgendaItem]:
    """Activities in force (and cancelled ones if asked) as plain values; an activity at a
    venue is placed where the venue is now (a retired venue leaves it without a place)."""
    venues = {v.id: v for v in session.scalars(select(Venue))}
    items = []
    for a in all_activities(session, include_cancelled):
        lon, lat = a.lon, a.lat
        if a.venue_id:
            venue = venues.get(a.venue_id)
            lon, lat = (venue.lon, venue.lat) if venue and not venue.retired else (None, None)
        items.append(AgendaItem(
            id=a.id, title=a.title, start=a.start_utc.replace(tzinfo=dt.UTC),
            end=a.end_utc.replace(tzinfo=dt.UTC), rule=a.rrule, free=a.free,
            audience=a.audience, cancelled=a.cancelled, lon=lon, lat=lat))
    return items


def form_values(activity: Activity) -> dict[str, Any]:
    """The activity as its edit form shows it (times in Coquimbo wall time)."""
    from geo.agenda import SANTIAGO

    def local(value: dt.datetime) -> str:
        return value.replace(tzinfo=dt.UTC).astimezone(SANTIAGO).strftime("%Y-%m-%dT%H:%M")

    return {"title": activity.title, "description": activity.description or "",
            "venue_id": activity.venue_id or "", "lon": activity.lon or "",
            "lat": activity.lat or "", "start": local(activity.start_utc),
            "end": local(activity.end_utc), "rrule": activity.rrule or "",
            "free": activity.free, "audience": activity.audience,
            "accessibility": activity.accessibility or "",
            "organiser": activity.organiser or "", "source_url": activity.source_url or "",
            "version": activity.version}
