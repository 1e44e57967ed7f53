"""Import activities from an iCalendar (.ics) or CSV file: preview every problem, then all or
nothing (like ``webmap.workspace.imports`` for venues and workshops).

Why our own pass over the .ics lines: the ``icalendar`` package reads the properties, but a
planner needs to know WHERE a file is wrong, so every VEVENT and every property keeps the
line it starts on (after RFC 5545 unfolding) and each problem names it. An event with the
UID of an activity already imported updates it; otherwise it is added.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import icalendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.layer_errors import Problem
from geo.settings import LANGUAGES
from webmap.i18n import translate
from webmap.workspace.activities import (
    FORM_FIELDS,
    add_activity,
    edit_activity,
    parse_activity,
)
from webmap.workspace.agenda_models import Activity
from webmap.workspace.history import record_change, snapshot
from webmap.workspace.models import User

SUFFIXES = (".ics", ".csv")
CSV_COLUMNS = (*FORM_FIELDS, "uid")
X_VENUE, X_FREE = "X-CULTURAMAP-VENUE", "X-CULTURAMAP-FREE"
X_AUDIENCE, X_ACCESS = "X-CULTURAMAP-AUDIENCE", "X-CULTURAMAP-ACCESSIBILITY"


@dataclass
class AgendaPreview:
    """What the import would do: one entry per activity, every problem, the parsed values."""

    filename: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.records)


def _at(name: str, line: int | None, es: str, en: str, row: int | None = None) -> Problem:
    """A problem of the uploaded file, at a line of the .ics (or a CSV row)."""
    if line is not None:
        es, en = f"línea {line}: {es}", f"line {line}: {en}"
    return Problem(Path(name), es, en, row=row)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """RFC 5545 unfolding, keeping the physical line each logical line starts on."""
    out: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw[:1] in (" ", "\t") and out:
            out[-1] = (out[-1][0], out[-1][1] + raw[1:])
        elif raw.strip():
            out.append((number, raw))
    return out


def _prop_name(line: str) -> str:
    return line.split(":", 1)[0].split(";", 1)[0].strip().upper()


def _events(name: str, text: str, problems: list[Problem],
            ) -> list[tuple[int, list[tuple[int, str]]]]:
    """The VEVENT blocks as (start line, their logical lines); structural problems noted."""
    lines = _logical_lines(text)
    if not lines or lines[0][1].strip().upper() != "BEGIN:VCALENDAR":
        problems.append(_at(name, lines[0][0] if lines else 1,
                            "el archivo no empieza con BEGIN:VCALENDAR",
                            "the file does not start with BEGIN:VCALENDAR"))
        return []
    events: list[tuple[int, list[tuple[int, str]]]] = []
    current: list[tuple[int, str]] | None = None
    begin = 0
    depth = 0  # components nested in a VEVENT (VALARM)
    for number, line in lines:
        upper = line.strip().upper()
        if ":" not in line:
            problems.append(_at(name, number, f"«{line[:40]}» no es una propiedad "
                                "(NOMBRE:valor)", f"'{line[:40]}' is not a property "
                                "(NAME:value)"))
            continue
        if upper == "BEGIN:VEVENT":
            if current is not None:
                problems.append(_at(name, begin, "VEVENT sin END:VEVENT",
                                    "VEVENT without END:VEVENT"))
            current, begin, depth = [(number, line)], number, 0
        elif current is not None:
            current.append((number, line))
            if upper.startswith("BEGIN:"):
                depth += 1
            elif upper.startswith("END:") and depth:
                depth -= 1
            elif upper == "END:VEVENT":
                events.append((begin, current))
                current = None
    if current is not None:
        problems.append(_at(name, begin, "VEVENT sin END:VEVENT", "VEVENT without END:VEVENT"))
    if lines[-1][1].strip().upper() != "END:VCALENDAR":
        problems.append(_at(name, lines[-1][0], "el archivo no termina con END:VCALENDAR",
                            "the file does not end with END:VCALENDAR"))
    return events


def _when(value: Any) -> Any:
    """A DTSTART/DTEND value: an aware or floating time as is; a date = its midnight."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return value


def _without_cancelled_word(title: str) -> str:
    """A cancelled event of this product's feeds reads "Cancelada: <title>" (or English):
    imported back, the activity keeps its own title (webmap.agenda_feed)."""
    for lang in LANGUAGES:
        prefix = f"{translate('agenda.feed.cancelled', lang)}: "
        if title.startswith(prefix):
            return title[len(prefix):]
    return title


def _event_data(name: str, begin: int, block: list[tuple[int, str]],
                problems: list[Problem]) -> dict[str, Any] | None:
    """One VEVENT's values in the form's names, or None with its problems noted."""
    line_of = {}
    for number, line in block:
        line_of.setdefault(_prop_name(line), number)
    try:
        event = icalendar.Event.from_ical("\r\n".join(line for _, line in block) + "\r\n")
    except (ValueError, KeyError, IndexError) as exc:
        problems.append(_at(name, begin, f"VEVENT ilegible ({exc})", f"unreadable VEVENT "
                            f"({exc})"))
        return None
    bad = False
    for prop, message in event.errors:
        problems.append(_at(name, line_of.get(str(prop).upper(), begin),
                            f"{prop} no válido: {message}", f"invalid {prop}: {message}"))
        bad = True
    if bad:
        return None
    raw_start = event.decoded("DTSTART") if "DTSTART" in event else None
    all_day = isinstance(raw_start, dt.date) and not isinstance(raw_start, dt.datetime)
    start = _when(raw_start) if raw_start is not None else None
    end = _when(event.decoded("DTEND")) if "DTEND" in event else None
    if end is None and start is not None and "DURATION" in event:
        end = start + event.decoded("DURATION")
    if end is None and all_day:
        end = start + dt.timedelta(days=1)  # an all-day event lasts its day
    organiser = event.get("ORGANIZER")
    geo = event.get("GEO")
    rule = event.get("RRULE")
    cancelled = str(event.get("STATUS") or "").upper() == "CANCELLED"
    title = str(event.get("SUMMARY") or "")
    return {
        "title": _without_cancelled_word(title) if cancelled else title,
        "description": event.get("DESCRIPTION"),
        "start": start or "", "end": end or "",
        "rrule": rule.to_ical().decode() if rule is not None else None,
        "venue_id": event.get(X_VENUE), "lon": geo.longitude if geo is not None else None,
        "lat": geo.latitude if geo is not None else None,
        "free": event.get(X_FREE), "audience": event.get(X_AUDIENCE),
        "accessibility": event.get(X_ACCESS),
        "organiser": (organiser.params.get("CN") or str(organiser).removeprefix("mailto:"))
        if organiser is not None else None,
        "source_url": event.get("URL"), "uid": event.get("UID"),
        "cancelled": cancelled,
        "_line": begin, "_lines": line_of,
    }


# which property a problem of parse_activity is about (to point at its line)
FIELD_PROPERTY = {"title": "SUMMARY", "start": "DTSTART", "end": "DTEND", "rrule": "RRULE",
                  "venue_id": X_VENUE, "source_url": "URL", "audience": X_AUDIENCE,
                  "free": X_FREE, "lon": "GEO", "lat": "GEO"}


def _line_for(problem: Problem, record: dict[str, Any]) -> int:
    text = problem.problem_en
    for name, prop in FIELD_PROPERTY.items():
        if f"'{name}'" in text and prop in record["_lines"]:
            return record["_lines"][prop]
    if "end must" in text and "DTEND" in record["_lines"]:
        return record["_lines"]["DTEND"]
    if "rule" in text and "RRULE" in record["_lines"]:
        return record["_lines"]["RRULE"]
    return record["_line"]


def _ics_records(name: str, content: bytes, problems: list[Problem]) -> list[dict[str, Any]]:
    text = content.decode("utf-8")
    records = []
    for begin, block in _events(name, text, problems):
        data = _event_data(name, begin, block, problems)
        if data is not None:
            records.append(data)
    if not records and not problems:
        problems.append(_at(name, None, "el archivo no tiene ningún VEVENT",
                            "the file has no VEVENT"))
    return records


def _csv_records(name: str, content: bytes, problems: list[Problem]) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    columns = {c.strip().lower() for c in reader.fieldnames or []}
    missing = [c for c in ("title", "start", "end") if c not in columns]
    if missing:
        problems.append(_at(name, None, f"faltan las columnas {', '.join(missing)}",
                            f"the columns {', '.join(missing)} are missing"))
        return []
    records = []
    for number, row in enumerate(reader, start=1):
        clean = {str(k).strip().lower(): (v or "").strip() for k, v in row.items() if k}
        records.append({**{c: clean.get(c) or None for c in CSV_COLUMNS},
                        "cancelled": False, "_row": number})
    return records


def preview(session: Session, filename: str, content: bytes) -> AgendaPreview:
    """Read and check the whole file; nothing is written."""
    name = Path(filename or "subido.ics").name
    result = AgendaPreview(filename=name)
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        result.problems.append(_at(name, None, f"formato no admitido «{suffix or name}»: suba "
                                   "un .ics o un .csv", f"unsupported format "
                                   f"'{suffix or name}': upload an .ics or a .csv"))
        return result
    try:
        read = _ics_records if suffix == ".ics" else _csv_records
        records = read(name, content, result.problems)
    except UnicodeDecodeError as exc:
        result.problems.append(_at(name, None, f"el archivo no está en UTF-8 (byte "
                                   f"{exc.start})", f"the file is not UTF-8 (byte {exc.start})"))
        return result
    known = {a.uid: a for a in session.scalars(select(Activity).where(Activity.uid.is_not(None)))}
    for i, record in enumerate(records, start=1):
        _, found = parse_activity(session, record)
        for p in found:
            if "_line" in record:
                result.problems.append(_at(name, _line_for(p, record), p.problem_es,
                                           p.problem_en))
            else:
                result.problems.append(Problem(Path(name), p.problem_es, p.problem_en,
                                               row=record["_row"]))
        uid = str(record.get("uid") or "") or None
        action = "update" if uid in known else "add"
        result.rows.append({"row": record.get("_line") or record.get("_row") or i,
                            "title": record.get("title"), "start": str(record.get("start")),
                            "action": action, "cancelled": record.get("cancelled")})
    result.records = records
    return result


def apply(session: Session, user: User, records: list[dict[str, Any]]) -> int:
    """Add or update every activity with its history row, in the caller's transaction
    (any failure rolls back the whole file)."""
    count = 0
    for record in records:
        data = {k: v for k, v in record.items() if not k.startswith("_")}
        uid = str(data.get("uid") or "") or None
        existing = session.scalar(select(Activity).where(Activity.uid == uid)) if uid else None
        if existing is None:
            activity = add_activity(session, user, data, action="import", uid=uid)
        else:
            if existing.cancelled:  # an imported update brings it back
                existing.cancelled = False
                session.flush()  # now, not inside the edit's venue check (a version later)
            activity = edit_activity(session, user, existing.id, existing.version, data,
                                     action="import")
        if data.get("cancelled") and not activity.cancelled:
            before = snapshot(activity)
            activity.cancelled = True
            session.flush()
            record_change(session, user, "activity", str(activity.id), "cancel", before,
                          snapshot(activity))
        count += 1
    return count
