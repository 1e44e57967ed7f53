"""The agenda of cultural activities: repeat rules expanded into dated sessions, and which
sessions are within walking reach of a place.

Why wall-clock expansion: a weekly workshop at 19:00 is at 19:00 in April and in September,
whatever Chile's daylight-saving clock does, so a rule (RFC 5545, python-dateutil) is
expanded from its first start in America/Santiago local time and each session is turned
into UTC only afterwards. Why the travel model: "within 15 minutes" means walking along the
streets, as everywhere else in culturamap, never a straight line.

Pure functions: no web code, no database; the workspace and the pages hand in plain
:class:`AgendaItem` values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
from dateutil.rrule import rrulestr

from geo.access import whole_people
from geo.errors import CulturamapError
from geo.network import to_metric
from geo.travel import TravelModel

SANTIAGO = ZoneInfo("America/Santiago")
UTC = dt.UTC
AUDIENCES: tuple[str, ...] = ("all", "children", "youth", "adults", "older")
# Sub-daily rules (hourly, every minute...) are not cultural programmes and could expand
# into millions of sessions; refused.
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
MAX_RULE = 500
REACH_TOLERANCE_MIN = 1e-6  # a tenth of a millimetre: "exactly 15 min" stays within
_UNTIL = re.compile(r"UNTIL=(\d{8})(T\d{6})?(Z?)", re.IGNORECASE)


class AgendaError(CulturamapError, ValueError):
    """A repeat rule or a time that cannot be used; the message says why (es / en)."""


@dataclass(frozen=True)
class AgendaItem:
    """One activity as the agenda sees it (start and end aware; lon/lat in EPSG:4326)."""

    id: int
    title: str
    start: dt.datetime
    end: dt.datetime
    rule: str | None = None
    free: bool = True
    audience: str = "all"
    cancelled: bool = False
    lon: float | None = None
    lat: float | None = None


@dataclass(frozen=True)
class Session:
    """One dated session of an activity (UTC, aware) and its walk from the asked place."""

    item: AgendaItem
    start: dt.datetime
    end: dt.datetime
    minutes: float | None = None

    @property
    def local_start(self) -> dt.datetime:
        return self.start.astimezone(SANTIAGO)

    @property
    def local_end(self) -> dt.datetime:
        return self.end.astimezone(SANTIAGO)


def aware_utc(value: dt.datetime) -> dt.datetime:
    """A stored naive UTC time (both databases keep it so) or an aware one -> aware UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def local_to_utc(value: dt.datetime) -> dt.datetime:
    """A wall-clock time in Coquimbo (naive) -> aware UTC. A time skipped by the September
    change (00:00-00:59) is read with the winter offset, i.e. one hour later on the clock."""
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    return value.replace(tzinfo=SANTIAGO).astimezone(UTC)


def _until_in_utc(match: re.Match[str]) -> str:
    """UNTIL as a date or a floating time is read as Coquimbo wall time (a date: the end of
    that day) and written in UTC, as RFC 5545 requires next to a DTSTART with a zone."""
    day, clock, zulu = match.group(1), match.group(2), match.group(3)
    if zulu:
        return match.group(0).upper()
    when = dt.datetime.strptime(day + (clock or "T235959"), "%Y%m%dT%H%M%S")
    return "UNTIL=" + local_to_utc(when).strftime("%Y%m%dT%H%M%SZ")


def normalise_rule(rule: str | None) -> str | None:
    """The rule as stored and served (``RRULE:`` prefix dropped, UNTIL in UTC), or None for
    a one-off activity; AgendaError when the rule cannot be used."""
    text = (rule or "").strip()
    if not text:
        return None
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:"):]
    if len(text) > MAX_RULE or "\n" in text or ":" in text:
        raise AgendaError(f"regla de repetición no válida «{text[:80]}» / invalid repeat "
                          f"rule '{text[:80]}'")
    try:
        text = _UNTIL.sub(_until_in_utc, text)
    except ValueError:
        raise AgendaError(f"fecha UNTIL no válida en «{text}» / invalid UNTIL date in "
                          f"'{text}'") from None
    parts = dict(p.split("=", 1) for p in text.upper().split(";") if "=" in p)
    if parts.get("FREQ") not in FREQUENCIES:
        raise AgendaError(
            f"la regla debe repetir por día, semana, mes o año (FREQ={'|'.join(FREQUENCIES)}):"
            f" «{text}» / the rule must repeat daily, weekly, monthly or yearly: '{text}'")
    try:
        rrulestr(text, dtstart=dt.datetime(2026, 1, 1, tzinfo=SANTIAGO))
    except (ValueError, TypeError) as exc:
        raise AgendaError(f"regla de repetición no válida «{text}» ({exc}) / invalid repeat "
                          f"rule '{text}' ({exc})") from None
    return text


def _first_and_length(item: AgendaItem) -> tuple[dt.datetime, dt.timedelta]:
    """The first start in Coquimbo wall time and the first session's wall-clock length."""
    first = aware_utc(item.start).astimezone(SANTIAGO)
    length = aware_utc(item.end).astimezone(SANTIAGO).replace(tzinfo=None) - first.replace(
        tzinfo=None)
    return first, length


def _session_at(item: AgendaItem, start: dt.datetime, length: dt.timedelta) -> Session:
    """The session starting at ``start`` (Coquimbo time), as long on the wall clock as the
    first one (across a change of the clocks)."""
    local_end = (start.replace(tzinfo=None) + length).replace(tzinfo=SANTIAGO)
    return Session(item, start.astimezone(UTC), local_end.astimezone(UTC))


def sessions(item: AgendaItem, since: dt.datetime, until: dt.datetime) -> list[Session]:
    """The item's sessions that overlap [since, until), in order (none when cancelled).

    The rule's DTSTART is the first start in Coquimbo wall time; every session keeps that
    clock time and the first session's wall-clock length.
    """
    if item.cancelled:
        return []
    since, until = aware_utc(since), aware_utc(until)
    first, length = _first_and_length(item)
    if item.rule:
        rule = rrulestr(item.rule, dtstart=first)
        starts = rule.between(since - length - dt.timedelta(days=1), until, inc=True)
    else:
        starts = [first]
    found = [_session_at(item, start, length) for start in starts]
    return [s for s in found if s.start < until and s.end > since]


def has_sessions_ahead(item: AgendaItem, now: dt.datetime) -> bool:
    """Whether the activity, cancelled or not, has a session ending after ``now``, however
    far ahead: a cancelled one is then still announced as cancelled in the feeds, so that a
    subscribed calendar shows it called off. A rule without an end always has one."""
    now = aware_utc(now)
    first, length = _first_and_length(item)
    if not item.rule:
        return _session_at(item, first, length).end > now
    rule = rrulestr(item.rule, dtstart=first)
    for start in rule.xafter(now - length - dt.timedelta(days=1), inc=True):
        if _session_at(item, start, length).end > now:
            return True
    return False


def walking_minutes(travel: TravelModel, origin: tuple[float, float],
                    points: Sequence[tuple[float, float]]) -> np.ndarray:
    """Minutes on foot from ``origin`` (lon, lat) to each point (lon, lat), snapped onto
    the walking network like every venue and clicked point; inf where unreachable."""
    if not len(points):
        return np.zeros(0)
    xy = np.asarray(points, dtype=float)
    start = travel.snap(to_metric(np.array([origin[0]]), np.array([origin[1]])))
    targets = travel.snap(to_metric(xy[:, 0], xy[:, 1]))
    return travel.minutes(start, targets)[0]


def within(minutes: float, limit_min: float) -> bool:
    return bool(np.isfinite(minutes)) and minutes <= limit_min + REACH_TOLERANCE_MIN


def reachable(travel: TravelModel, origin: tuple[float, float], items: Iterable[AgendaItem],
              limit_min: float) -> list[tuple[AgendaItem, float]]:
    """The located items within ``limit_min`` on foot of ``origin``, with their minutes."""
    located = [i for i in items if i.lon is not None and i.lat is not None]
    minutes = walking_minutes(travel, origin, [(i.lon, i.lat) for i in located])
    return [(i, float(m)) for i, m in zip(located, minutes, strict=True) if within(m, limit_min)]


def agenda(items: Iterable[tuple[AgendaItem, float | None]], since: dt.datetime,
           until: dt.datetime, audience: str | None = None, free_only: bool = False,
           ) -> list[Session]:
    """Every session of the given items (with their walks) in [since, until), ordered by
    start then title; ``audience`` keeps that audience and activities for everyone."""
    out = []
    for item, minutes in items:
        if free_only and not item.free:
            continue
        if audience and audience != "all" and item.audience not in (audience, "all"):
            continue
        out += [Session(item, s.start, s.end, minutes) for s in sessions(item, since, until)]
    return sorted(out, key=lambda s: (s.start, s.item.title.casefold(), s.item.id))


# --- equity: where the programme's activities went ----------------------------------------


def month_window(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """The month in Coquimbo (local midnight to local midnight), as aware UTC."""
    start = dt.datetime(year, month, 1)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1)
    return local_to_utc(start), local_to_utc(end)


def _figures(reach: np.ndarray, counts: np.ndarray, residents: np.ndarray,
             sel: np.ndarray) -> dict[str, float | int | None]:
    """Sessions within reach of a group of demand points, and per 10,000 of its residents."""
    people = float(residents[sel].sum())
    reached = reach[:, sel].any(axis=1) if sel.any() else np.zeros(len(counts), bool)
    sessions_in_reach = int(counts[reached].sum())
    per_point = counts @ reach[:, sel] if sel.any() else np.zeros(0)
    mean = float((per_point * residents[sel]).sum() / people) if people > 0 else None
    return {"residents": whole_people(people),
            "activities": int((reached & (counts > 0)).sum()),
            "sessions": sessions_in_reach,
            "per_10k": sessions_in_reach / people * 10_000 if people > 0 else None,
            "mean_per_resident": mean}


def activity_equity(travel: TravelModel, demand_xy: np.ndarray, residents: np.ndarray,
                    councils: Sequence[str], groups: Sequence[str | None],
                    group_order: Sequence[str], items: Iterable[AgendaItem],
                    since: dt.datetime, until: dt.datetime, limit_min: float,
                    ) -> dict[str, dict[str, dict[str, float | int | None]]]:
    """Per council, per socio-economic group and for the whole area: the sessions in
    [since, until) of activities within ``limit_min`` on foot of at least one of its demand
    points (``sessions``), that number per 10,000 of its residents (``per_10k``), and the
    sessions within reach of its average resident (``mean_per_resident``).

    ``demand_xy``: EPSG:32719 metres of the demand points (census blocks), with their
    residents, council and group (None: no group; left out of the group figures only).
    """
    located = [i for i in items if i.lon is not None and i.lat is not None]
    counts = np.array([len(sessions(i, since, until)) for i in located], dtype=float)
    residents = np.asarray(residents, dtype=float)
    if located:
        xy = np.array([(i.lon, i.lat) for i in located], dtype=float)
        reach = travel.within(travel.snap(to_metric(xy[:, 0], xy[:, 1])),
                              travel.snap(np.asarray(demand_xy, dtype=float)), limit_min)
    else:
        reach = np.zeros((0, len(residents)), dtype=bool)
    council_arr = np.asarray([str(c) for c in councils], dtype=object)
    group_arr = np.asarray([g or "" for g in groups], dtype=object)
    return {
        "area": {"all": _figures(reach, counts, residents, np.ones(len(residents), bool))},
        "councils": {c: _figures(reach, counts, residents, council_arr == c)
                     for c in sorted(set(council_arr))},
        "groups": {g: _figures(reach, counts, residents, group_arr == g)
                   for g in group_order if (group_arr == g).any()},
    }
