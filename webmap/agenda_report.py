"""The agenda in a council report: the activities within reach of the council in the next
30 days (issue 14), from the same point and by the same walk as /cerca.

Kept out of ``webmap.reports`` (one concern per module): the report only asks for rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from geo.agenda import SANTIAGO, agenda, reachable
from webmap.agenda_format import when_text
from webmap.i18n import translate

REPORT_DAYS = 30


def report_day(data: Any) -> dt.date | None:
    """The local day the reports' agenda was made for (None: no activity registered)."""
    if not getattr(data, "agenda", None):
        return None
    return (data.agenda_now or dt.datetime.now(dt.UTC)).astimezone(SANTIAGO).date()


def agenda_digest(data: Any) -> str:
    """What the agenda section depends on (the activities and the day: "the next 30 days"
    move with it), so that a kept PDF is never one made with another agenda."""
    day = report_day(data)
    if day is None:
        return ""
    return hashlib.sha256(repr((day, data.agenda)).encode()).hexdigest()[:16]


def council_rows(data: Any, council_id: str, lang: str) -> dict[str, Any]:
    """{'registered': n, 'rows': [...]} for a council report (``data``: ReportData with its
    ``agenda`` records and ``agenda_now``)."""
    from webmap.app import _council_points

    records = list(getattr(data, "agenda", None) or [])
    if not records:
        return {"registered": 0, "rows": []}
    points = _council_points(data)  # ReportData answers territory_layer like the store
    origin = points.get(council_id)
    if origin is None:
        return {"registered": len(records), "rows": []}
    since = data.agenda_now or dt.datetime.now(dt.UTC)
    near = reachable(data.study.travel, origin, [r.item for r in records], data.threshold)
    found = agenda(near, since, since + dt.timedelta(days=REPORT_DAYS))
    return {"registered": len(records), "rows": [
        {"id": s.item.id, "title": s.item.title, "when": when_text(s, lang),
         "walk": translate("agenda.walk", lang, minutes=max(1, int(s.minutes + 0.5))),
         "free": s.item.free} for s in found]}
