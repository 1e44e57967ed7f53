"""Public side of the agenda: the list /cerca shows (``/api/agenda``), each activity's page
(with schema.org Event JSON-LD), the iCalendar feeds and this week's map layer.

Routes stay thin over ``webmap.agenda_data`` (which activities, how far on foot) and
``geo.agenda`` (sessions). Without the workspace database there are no activities, and every
view says so plainly instead of showing an empty list that reads like an empty city.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, g, render_template, request, url_for

from geo.agenda import AUDIENCES, SANTIAGO, aware_utc, reachable, sessions
from webmap import agenda_data
from webmap.agenda_feed import calendar
from webmap.agenda_format import when_text
from webmap.errors import bad_request
from webmap.i18n import translate
from webmap.language import t
from webmap.report_format import format_setting
from webmap.store import MapStore

bp = Blueprint("agenda_pages", __name__)

UPCOMING_DAYS = 30  # "próximas": the next 30 days
MAX_MINUTES = 60
MAX_LISTED = 50
NEXT_DATES = 5


def _store() -> MapStore:
    return current_app.extensions["culturamap"]


def filters(args: Any, store: MapStore) -> dict[str, Any]:
    """minutos (1-60, default the study's threshold), publico, gratis=1 from a query."""
    raw = args.get("minutos") or args.get("minutes")
    minutes = store.threshold_min
    if raw:
        try:
            minutes = float(str(raw).replace(",", "."))
        except ValueError:
            minutes = -1
        if not 1 <= minutes <= MAX_MINUTES:
            raise bad_request("agenda_minutes", low=1, high=MAX_MINUTES)
    audience = args.get("publico") or args.get("audience") or None
    if audience is not None and audience not in AUDIENCES:
        raise bad_request("agenda_audience", allowed=", ".join(AUDIENCES))
    free_only = (args.get("gratis") or args.get("free") or "") in ("1", "true", "on")
    return {"minutes": minutes, "audience": audience, "free_only": free_only}


def upcoming_near(store: MapStore, origin: tuple[float, float], wanted: dict[str, Any],
                  days: int = UPCOMING_DAYS) -> list[Any]:
    since = agenda_data.now()
    return agenda_data.near(store, origin, wanted["minutes"], since,
                            since + dt.timedelta(days=days), wanted["audience"],
                            wanted["free_only"])[:MAX_LISTED]


def rows(found: list[Any], lang: str) -> list[dict[str, Any]]:
    """Sessions as the page lists them (the same texts nearby_agenda.js writes)."""
    return [{"id": s.item.id, "title": s.item.title, "when": when_text(s, lang),
             "walk": t("agenda.walk", minutes=max(1, int(s.minutes + 0.5)))
             if s.minutes is not None else "",
             "free": s.item.free, "audience": t(f"agenda.audience.{s.item.audience}"),
             "url": url_for("agenda_pages.activity", activity_id=s.item.id, lang=lang)}
            for s in found]


def nearby_section(store: MapStore, council_id: str | None, lang: str) -> dict[str, Any]:
    """What /cerca shows under "Próximas actividades" before any script runs."""
    registered = len(agenda_data.records())
    wanted = filters({}, store)  # the kept page holds the defaults; the script applies more
    listed = None
    if council_id and registered:
        origin = agenda_data.council_point(store, council_id)
        listed = rows(upcoming_near(store, origin, wanted), lang) if origin else None
    return {"registered": registered, "rows": listed, "council": council_id,
            "minutes": format_setting(wanted["minutes"], lang), "days": UPCOMING_DAYS,
            "audiences": AUDIENCES, "filters": wanted,
            "feed_url": url_for("agenda_pages.council_feed", council_id=council_id)
            if council_id else None}


def _origin(store: MapStore) -> tuple[float, float]:
    council = request.args.get("junta") or request.args.get("council")
    if council:
        point = agenda_data.council_point(store, council)
        if point is None:
            abort(404)
        return point
    try:
        lon, lat = float(request.args["lon"]), float(request.args["lat"])
    except (KeyError, ValueError):
        raise bad_request("agenda_point") from None
    x0, y0, x1, y1 = store.extent
    if not (x0 <= lon <= x1 and y0 <= lat <= y1):
        raise bad_request("agenda_point")
    return lon, lat


@bp.get("/api/agenda")
def api_agenda() -> Response:
    """Upcoming sessions (30 days) within the walk asked for, from a council or a point;
    without either, every session of the comuna (no walk)."""
    store = _store()
    wanted = filters(request.args, store)
    registered = len(agenda_data.records())
    if not any(request.args.get(k) for k in ("junta", "council", "lat", "lon")):
        since = agenda_data.now()  # no place: the whole comuna, walks unknown
        found = agenda_data.everywhere(since, since + dt.timedelta(days=UPCOMING_DAYS))
        found = [s for s in found if (not wanted["free_only"] or s.item.free) and (
            not wanted["audience"] or s.item.audience in (wanted["audience"], "all"))]
    else:
        origin = _origin(store)
        found = upcoming_near(store, origin, wanted) if registered else []
    body = {"registered": registered, "minutes": wanted["minutes"], "days": UPCOMING_DAYS,
            "sessions": [{**agenda_data.session_json(s, g.lang),
                          "url": url_for("agenda_pages.activity", activity_id=s.item.id)}
                         for s in found]}
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")


def json_ld(record: agenda_data.AgendaRecord, upcoming: list[Any], url: str) -> dict[str, Any]:
    """schema.org Event of an activity (its next session, or its first)."""
    item = record.item
    first = upcoming[0] if upcoming else None
    start = first.local_start if first else aware_utc(item.start).astimezone(SANTIAGO)
    end = first.local_end if first else aware_utc(item.end).astimezone(SANTIAGO)
    data: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "Event", "name": item.title,
        "startDate": start.isoformat(), "endDate": end.isoformat(),
        "eventStatus": "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "isAccessibleForFree": item.free, "url": url,
        "audience": {"@type": "Audience", "audienceType": item.audience},
    }
    if record.description:
        data["description"] = record.description
    if item.lat is not None:
        data["location"] = {"@type": "Place", "name": record.venue_name or item.title,
                            "geo": {"@type": "GeoCoordinates", "latitude": item.lat,
                                    "longitude": item.lon}}
    if record.organiser:
        data["organizer"] = {"@type": "Organization", "name": record.organiser}
    if record.accessibility:
        data["accessibilityFeature"] = record.accessibility
    if item.rule:
        data["eventSchedule"] = {"@type": "Schedule", "scheduleTimezone": "America/Santiago",
                                 "repeatFrequency": item.rule}
    return data


@bp.get("/activities/<int:activity_id>")
@bp.get("/actividades/<int:activity_id>")
def activity(activity_id: int) -> str:
    record = agenda_data.record(activity_id)
    if record is None:
        abort(404)
    since = agenda_data.now()
    upcoming = sessions(record.item, since, since + dt.timedelta(days=366))[:NEXT_DATES]
    url = url_for("agenda_pages.activity", activity_id=activity_id, _external=True)
    back = request.args.get("junta")
    if back not in agenda_data_councils():
        back = None
    return render_template(
        "activity.html", record=record, item=record.item, jsonld=json_ld(record, upcoming, url),
        dates=[when_text(s, g.lang) for s in upcoming],
        back_url=_nearby_url(back),
        feed_url=url_for("agenda_pages.comuna_feed"))


def _nearby_url(council: str | None) -> str:
    """/cerca (Spanish first; /nearby in English) for the council the visitor came from."""
    path = "/cerca" if g.lang == "es" else "/nearby"
    query = urlencode({k: v for k, v in (("junta", council), ("lang", g.lang)) if v})
    return f"{request.script_root}{path}?{query}"


def agenda_data_councils() -> set[str]:
    return set(_store().cache["council_points"])


def _ics(body: bytes, name: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Cache-Control"] = "public, max-age=900"
    return response


def _urls() -> dict[int, str]:
    return {r.item.id: url_for("agenda_pages.activity", activity_id=r.item.id, _external=True)
            for r in agenda_data.records()}


def council_calendar(store: MapStore, council_id: str, recs: list[agenda_data.AgendaRecord],
                     lang: str, urls: dict[int, str] | None = None) -> bytes | None:
    """The feed of one council: the activities within the study's walking threshold of the
    point /cerca walks from; None for an unknown council."""
    origin = agenda_data.council_point(store, council_id)
    if origin is None:
        return None
    near = {i.id for i, _ in reachable(store.travel, origin, [r.item for r in recs],
                                       store.threshold_min)}
    names = dict(zip(store.layers.councils["id"].astype(str), store.layers.councils["name"],
                     strict=True))
    title = translate("agenda.feed.council", lang, name=names.get(council_id, council_id),
                      minutes=format_setting(store.threshold_min, lang))
    return calendar([r for r in recs if r.item.id in near], title, urls,
                    cancelled_word=translate("agenda.feed.cancelled", lang))


def _feed_records() -> list[agenda_data.AgendaRecord]:
    """What a feed lists: the activities in force and the cancelled ones that would still
    have had a session (announced as cancelled)."""
    return [*agenda_data.records(), *agenda_data.cancelled_ahead(agenda_data.now())]


@bp.get("/agenda/unidad/<council_id>.ics")
def council_feed(council_id: str) -> Response:
    body = council_calendar(_store(), council_id, _feed_records(), g.lang, _urls())
    if body is None:
        abort(404)
    return _ics(body, f"agenda-{council_id}.ics")


@bp.get("/agenda/comuna.ics")
def comuna_feed() -> Response:
    return _ics(calendar(_feed_records(), t("agenda.feed.all"), _urls(),
                         cancelled_word=t("agenda.feed.cancelled")), "agenda-comuna.ics")


@bp.get("/agenda/semana.geojson")
def week_layer() -> Response:
    """This week's sessions (the next 7 days) as points, for the map's layer."""
    since = agenda_data.now()
    features = []
    for s in agenda_data.everywhere(since, since + dt.timedelta(days=7)):
        item = s.item
        if item.lon is None:
            continue
        features.append({"type": "Feature", "id": f"{item.id}-{s.start:%Y%m%dT%H%M}",
                         "geometry": {"type": "Point", "coordinates": [item.lon, item.lat]},
                         "properties": {**agenda_data.session_json(s, g.lang),
                                        "url": url_for("agenda_pages.activity",
                                                       activity_id=item.id)}})
    body = {"type": "FeatureCollection", "features": features,
            "registered": len(agenda_data.records())}
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/geo+json")
