"""Query parameters of OGC API – Features items beyond paging and bbox: ``datetime``
(Part 1, 7.15.4) and filters on feature properties (Part 1, 7.15.5, published as
queryables after Part 3), plus the rule that an undeclared parameter is an error.

WHY a module of its own: the items view only combines selections; parsing what the
standard allows, and only that, is easier to check (and to test on each limit) here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from webmap.errors import bad_request

# The data are of Coquimbo: a date without time (a workshop's day) is that day there.
LOCAL_TZ: tzinfo = ZoneInfo("America/Santiago")
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
# Each collection's temporal geometry: a day (one property, a local date) or an interval of
# instants (start and end properties, ISO 8601 with offset); others have none.
TEMPORAL_PROPERTY = {"workshops": "date"}
TEMPORAL_INTERVAL = {"activities": ("start", "end")}
# Parameters of the standard (and ?lang=, which every page of the app accepts).
COMMON_PARAMETERS = ("f", "lang")
ITEMS_PARAMETERS = (*COMMON_PARAMETERS, "bbox", "bbox-crs", "limit", "offset", "datetime")

_DATE_TIME = re.compile(  # RFC 3339, 5.6 date-time ('T' and 'Z' may be lower case, 5.6 NOTE)
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
# RFC 3339 full-date; GDAL's OAPIF driver sends a date comparison as "2026-04-11T".
_FULL_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})T?")
_INTEGER = re.compile(r"[+-]?\d+")


def check_known(args: Any, allowed: tuple[str, ...] | set[str]) -> None:
    """400 naming every query parameter that the API definition does not declare
    (Part 1, /req/core/query-param-unknown)."""
    unknown = sorted(set(args.keys()) - set(allowed))
    if unknown:
        raise bad_request("unknown_parameter", names=", ".join(unknown),
                          allowed=", ".join(sorted(allowed)))


@dataclass(frozen=True)
class TimeFilter:
    """The instants asked for: from ``start`` (None: open) to ``end`` (None: open), the
    end included unless ``end_excluded`` (a date ends where the next day begins)."""

    start: datetime | None
    end: datetime | None
    end_excluded: bool = False

    def meets_day(self, day: date) -> bool:
        """Whether the whole local ``day`` [midnight, next midnight) meets these instants."""
        return self.meets(*day_bounds(day))

    def meets(self, first: datetime, until: datetime) -> bool:
        """Whether the instants [first, until) meet these (an instant: first == until)."""
        if self.start is not None and not (self.start < until or self.start == first):
            return False
        if self.end is None:
            return True
        return first < self.end if self.end_excluded else first <= self.end


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """Local midnight of ``day`` and of the next day (a DST change keeps them local)."""
    start = datetime.combine(day, time(), LOCAL_TZ)
    return start, datetime.combine(day + timedelta(days=1), time(), LOCAL_TZ)


def _instant(text: str, raw: str) -> tuple[datetime, datetime, bool]:
    """(start, end, end_excluded) of one date-time (an instant) or date (a local day)."""
    match = _DATE_TIME.fullmatch(text)
    try:
        if match:
            year, month, day, hour, minute, second, fraction, offset = match.groups()
            if offset in ("Z", "z"):
                zone: tzinfo = UTC
            else:
                sign = -1 if offset[0] == "-" else 1
                hours, minutes = int(offset[1:3]), int(offset[4:6])
                if hours > 23 or minutes > 59:
                    raise ValueError(offset)
                zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
            micro = int((fraction or ".0")[1:7].ljust(6, "0"))
            moment = datetime(int(year), int(month), int(day), int(hour), int(minute),
                              int(second), micro, zone)
            return moment, moment, False
        match = _FULL_DATE.fullmatch(text)
        if match:
            start, end = day_bounds(date(*(int(g) for g in match.groups())))
            return start, end, True
    except ValueError:  # a 31 February, an hour 25...
        pass
    raise bad_request("invalid_datetime", value=raw)


def parse_datetime(raw: str | None) -> TimeFilter | None:
    """The ``datetime`` parameter: a date-time, or an interval ``start/end`` where either
    end may be open (``..`` or empty), never both (Part 1, /req/core/fc-time-definition).
    A full date stands for that whole day in Chile. Anything else, or an interval that
    ends before it starts: 400."""
    if raw is None or raw == "":
        return None
    parts = raw.split("/")
    if len(parts) == 1:
        start, end, excluded = _instant(raw, raw)
        return TimeFilter(start, end, excluded)
    if len(parts) != 2:
        raise bad_request("invalid_datetime", value=raw)
    low, high = (None if p in ("", "..") else p for p in parts)
    if low is None and high is None:
        raise bad_request("invalid_datetime", value=raw)
    start = _instant(low, raw)[0] if low is not None else None
    end, excluded = (None, False)
    if high is not None:
        _s, end, excluded = _instant(high, raw)
    if start is not None and end is not None and (end < start or
                                                  (excluded and end == start)):
        raise bad_request("invalid_datetime", value=raw)
    return TimeFilter(start, end, excluded)


def _type_of(values: list[Any]) -> dict[str, str] | None:
    """The JSON Schema of a property whose values are simple (text, whole numbers, yes/no),
    or None: numbers with decimals (computed figures) are no use in an equality filter."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    if all(isinstance(v, bool) for v in present):
        return {"type": "boolean"}
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return {"type": "integer"}
    if all(isinstance(v, str) for v in present):
        return {"type": "string"}
    return None


@dataclass
class Queryables:
    """The properties of one collection that items can be filtered on (name=value)."""

    collection_id: str
    schemas: dict[str, dict[str, str]]

    @classmethod
    def of(cls, collection_id: str, features: list[dict[str, Any]]) -> Queryables:
        names: dict[str, None] = {}
        for feature in features:
            names.update(dict.fromkeys(feature["properties"]))
        schemas = {}
        for name in names:
            if name in ITEMS_PARAMETERS:  # a property may not hide a parameter
                continue
            schema = _type_of([f["properties"].get(name) for f in features])
            if schema is not None:
                if TEMPORAL_PROPERTY.get(collection_id) == name:
                    schema = {**schema, "format": "date"}
                schemas[name] = schema
        return cls(collection_id, schemas)

    def json_schema(self, url: str, title: str) -> dict[str, Any]:
        """The queryables resource (Part 3, /req/queryables/get-queryables-response)."""
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": url,
            "type": "object",
            "title": title,
            "properties": {name: {"title": name, **schema}
                           for name, schema in self.schemas.items()},
            "additionalProperties": False,
        }

    def filters(self, args: Any) -> dict[str, Any]:
        """{property: value} asked for in ``args``, each value of the property's type
        (an empty value asks nothing, like the other parameters)."""
        wanted: dict[str, Any] = {}
        for name, schema in self.schemas.items():
            raw = args.get(name)
            if raw is None or raw == "":
                continue
            kind = schema["type"]
            if kind == "integer":
                if not _INTEGER.fullmatch(raw):
                    raise bad_request("invalid_filter", name=name, value=raw, kind=kind)
                wanted[name] = int(raw)
            elif kind == "boolean":
                if raw not in ("true", "false"):
                    raise bad_request("invalid_filter", name=name, value=raw, kind=kind)
                wanted[name] = raw == "true"
            else:
                wanted[name] = raw
        return wanted


def feature_time(collection_id: str, props: dict[str, Any]) -> tuple[datetime, datetime] | None:
    """The instants [first, until) a feature covers: its local day, or its start and end;
    None for a feature (or a collection) without time."""
    day_name = TEMPORAL_PROPERTY.get(collection_id)
    if day_name is not None:
        day = props.get(day_name)
        return day_bounds(date.fromisoformat(day)) if day else None
    names = TEMPORAL_INTERVAL.get(collection_id)
    if names is not None and props.get(names[0]):
        first = datetime.fromisoformat(props[names[0]])
        until = datetime.fromisoformat(props[names[1]]) if props.get(names[1]) else first
        return first, max(first, until)
    return None


def select(features: list[dict[str, Any]], positions: list[int], wanted: dict[str, Any],
           collection_id: str, when: TimeFilter | None) -> list[int]:
    """The positions whose properties equal every wanted value and whose time (if the
    collection has time) meets ``when``; a feature without time matches any ``when``
    (Part 1, /req/core/fc-time-response C)."""
    timed = collection_id in TEMPORAL_PROPERTY or collection_id in TEMPORAL_INTERVAL
    if not wanted and (when is None or not timed):
        return positions
    kept = []
    for i in positions:
        props = features[i]["properties"]
        if any(props.get(name) != value for name, value in wanted.items()):
            continue
        if when is not None and timed:
            covered = feature_time(collection_id, props)
            if covered is not None and not when.meets(*covered):
                continue
        kept.append(i)
    return kept


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def temporal_extent(collection_id: str, features: list[dict[str, Any]]) -> dict | None:
    """``extent.temporal`` of a collection with time, else None."""
    spans = [t for f in features if (t := feature_time(collection_id, f["properties"]))]
    if not spans:
        return None
    first, last = min(t[0] for t in spans), max(t[1] for t in spans)
    return {"interval": [[_utc(first), _utc(last)]], "trs": GREGORIAN}
