"""The agenda as the public pages, feeds and reports read it: activities from the workspace
database (none without it), and which of their sessions are within walking reach.

Why kept apart from the pages: /cerca, the activity page, the feeds, the OGC collection and
the council reports all ask the same two questions (which activities, how far on foot), and
must answer them the same way. Activities are read once and kept until a planner changes
one (``invalidate``); walking minutes come from ``geo.agenda`` on the served travel model.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from geo.agenda import (
    AgendaItem,
    Session,
    agenda,
    has_sessions_ahead,
    reachable,
    walking_minutes,
)
from webmap.store import MapStore

CACHE_KEY = "culturamap_agenda"
DEFAULT_MINUTES = 15.0
_lock = threading.Lock()


@dataclass(frozen=True)
class AgendaRecord:
    """An activity (in force, or cancelled: ``item.cancelled``) with what its page shows
    besides the agenda values."""

    item: AgendaItem
    description: str | None
    venue_id: str | None
    venue_name: str | None
    accessibility: str | None
    organiser: str | None
    source_url: str | None


def _read(app: Flask) -> list[AgendaRecord]:
    from webmap.workspace.web import workspace_of

    workspace = workspace_of(app)
    if workspace is None:  # the public map without the database: no agenda yet
        return []
    from webmap.workspace.activities import agenda_items, all_activities
    from webmap.workspace.models import Venue

    with workspace.db.session() as session:
        items = {i.id: i for i in agenda_items(session, include_cancelled=True)}
        names = {v.id: v.name for v in session.query(Venue)}
        return [AgendaRecord(items[a.id], a.description, a.venue_id, names.get(a.venue_id),
                             a.accessibility, a.organiser, a.source_url)
                for a in all_activities(session, include_cancelled=True)]


def _kept(app: Flask | None = None) -> tuple[list[AgendaRecord], list[AgendaRecord]]:
    """(activities in force, every activity), read once until ``invalidate``."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    store = app.extensions.get("culturamap")  # a venue edit swaps the store: read again,
    cached = app.extensions.get(CACHE_KEY)    # activities follow their venue's new place
    if cached is None or cached[0] is not store:
        with _lock:
            cached = app.extensions.get(CACHE_KEY)
            if cached is None or cached[0] is not store:
                every = _read(app)
                in_force = [r for r in every if not r.item.cancelled]
                cached = app.extensions[CACHE_KEY] = (store, in_force, every)
    return cached[1], cached[2]


def records(app: Flask | None = None) -> list[AgendaRecord]:
    """Every activity in force (not cancelled): what pages, reports and maps show."""
    return _kept(app)[0]


def cancelled_ahead(at: dt.datetime) -> list[AgendaRecord]:
    """Cancelled activities that would still have had a session after ``at``: the feeds
    announce them as cancelled (a calendar that copied one then knows)."""
    return [r for r in _kept()[1] if r.item.cancelled and has_sessions_ahead(r.item, at)]


def record(activity_id: int) -> AgendaRecord | None:
    return next((r for r in records() if r.item.id == activity_id), None)


def invalidate(app: Flask) -> None:
    """After a planner's change: the agenda is read again, and pages and reports that show
    it are made again."""
    app.extensions.pop(CACHE_KEY, None)
    store: MapStore = app.extensions["culturamap"]
    store.cache["pages"] = {}
    from webmap.report_routes import drop_reports

    drop_reports(app)


NOW_KEY = "AGENDA_NOW"  # Flask config: a fixed "now" (aware) for tests and reproductions


def now() -> dt.datetime:
    """The present, or the app's fixed clock (``AGENDA_NOW``) so that "upcoming" can be
    checked against hand-written dates."""
    fixed = current_app.config.get(NOW_KEY) if current_app else None
    return fixed or dt.datetime.now(dt.UTC).replace(microsecond=0)


def local_today() -> dt.date:
    from geo.agenda import SANTIAGO

    return now().astimezone(SANTIAGO).date()


def council_point(store: MapStore, council_id: str) -> tuple[float, float] | None:
    """The point /cerca walks from for a council (``webmap.app`` keeps one per council)."""
    return store.cache["council_points"].get(council_id)


def near(store: MapStore, origin: tuple[float, float], limit_min: float,
         since: dt.datetime, until: dt.datetime, audience: str | None = None,
         free_only: bool = False) -> list[Session]:
    """Sessions in [since, until) of activities within ``limit_min`` on foot of origin."""
    items = [r.item for r in records()]
    return agenda(reachable(store.travel, origin, items, limit_min), since, until, audience,
                  free_only)


def everywhere(since: dt.datetime, until: dt.datetime) -> list[Session]:
    """Every session in [since, until), walk unknown (the whole comuna)."""
    return agenda([(r.item, None) for r in records()], since, until)


def minutes_from(store: MapStore, origin: tuple[float, float],
                 items: list[AgendaItem]) -> dict[int, float]:
    """Minutes on foot from origin to each located item (by id)."""
    located = [i for i in items if i.lon is not None and i.lat is not None]
    minutes = walking_minutes(store.travel, origin, [(i.lon, i.lat) for i in located])
    return {i.id: float(m) for i, m in zip(located, minutes, strict=True)}


def session_json(session: Session, lang: str) -> dict[str, Any]:
    """One session as the browser and the API get it (times in Coquimbo)."""
    from webmap.agenda_format import when_text

    item = session.item
    return {"id": item.id, "title": item.title, "start": session.local_start.isoformat(),
            "end": session.local_end.isoformat(), "when": when_text(session, lang),
            "free": item.free, "audience": item.audience,
            "time_min": None if session.minutes is None else round(session.minutes, 1),
            "lon": item.lon, "lat": item.lat}


def activities_collection() -> Any:
    """The OGC collection ``activities``: every located session of the next 30 days, one
    feature each (id ``<activity>-<start UTC>``), times in Coquimbo."""
    from webmap.features import geojson_collection

    since = now()
    found = [s for s in everywhere(since, since + dt.timedelta(days=30)) if s.item.lon is not None]
    features = []
    for s in found:
        item = s.item
        fid = f"{item.id}-{s.start:%Y%m%dT%H%MZ}"
        features.append({"type": "Feature", "id": fid,
                         "geometry": {"type": "Point", "coordinates": [item.lon, item.lat]},
                         "properties": {"id": fid, "activity_id": item.id, "title": item.title,
                                        "start": s.local_start.isoformat(),
                                        "end": s.local_end.isoformat(), "free": item.free,
                                        "audience": item.audience, "rrule": item.rule}})
    return geojson_collection("activities", features)
