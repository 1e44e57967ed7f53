"""iCalendar feeds of the agenda (RFC 5545, built with the ``icalendar`` package) that a
phone calendar can subscribe to: one per council (activities within its walking threshold)
and one for the whole comuna.

Why the rule is kept (RRULE with DTSTART;TZID=America/Santiago and a VTIMEZONE) rather than
expanded sessions: the subscribed calendar repeats the activity itself, at the same wall
clock time across the clock changes. A cancelled activity stays in the feeds while it would
still have had a session, with STATUS:CANCELLED and its title prefixed ("Cancelada: ..."):
a subscribed calendar, even one that ignores STATUS, then shows it called off at its next
sync instead of dropping it silently (a file imported once is not fetched again: only a
fresh import of the feed tells). Imported back, the prefix is taken off again
(webmap.workspace.agenda_import).
UIDs are ``actividad-<id>@culturamap``: stable, so an edit updates the event in place.
The ``X-CULTURAMAP-*`` properties carry what iCalendar has no field for (venue id,
audience, free, accessibility), so a feed can be imported back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import icalendar

from geo.agenda import SANTIAGO, aware_utc
from webmap.agenda_data import AgendaRecord
from webmap.i18n import translate

PRODID = "-//culturamap//agenda cultural Coquimbo//ES"
UID_DOMAIN = "culturamap"


def uid_of(activity_id: int) -> str:
    return f"actividad-{activity_id}@{UID_DOMAIN}"


def event_of(record: AgendaRecord, url: str | None, stamp: dt.datetime,
             cancelled_word: str) -> icalendar.Event:
    item = record.item
    event = icalendar.Event()
    event.add("UID", uid_of(item.id))
    event.add("DTSTAMP", stamp)
    event.add("SUMMARY", f"{cancelled_word}: {item.title}" if item.cancelled else item.title)
    event.add("DTSTART", aware_utc(item.start).astimezone(SANTIAGO))
    event.add("DTEND", aware_utc(item.end).astimezone(SANTIAGO))
    if item.rule:
        event.add("RRULE", icalendar.vRecur.from_ical(item.rule))
    if record.description:
        event.add("DESCRIPTION", record.description)
    if record.venue_name:
        event.add("LOCATION", record.venue_name)
    if item.lat is not None and item.lon is not None:
        event.add("GEO", (item.lat, item.lon))
    if url:
        event.add("URL", url)
    if record.organiser:
        event.add("ORGANIZER", "mailto:agenda@culturamap.invalid",
                  parameters={"CN": record.organiser})
    event.add("STATUS", "CANCELLED" if item.cancelled else "CONFIRMED")
    if record.venue_id:
        event.add("X-CULTURAMAP-VENUE", record.venue_id)
    event.add("X-CULTURAMAP-FREE", "yes" if item.free else "no")
    event.add("X-CULTURAMAP-AUDIENCE", item.audience)
    if record.accessibility:
        event.add("X-CULTURAMAP-ACCESSIBILITY", record.accessibility)
    return event


def calendar(records: Iterable[AgendaRecord], name: str, urls: dict[int, str] | None = None,
             stamp: dt.datetime | None = None, cancelled_word: str | None = None) -> bytes:
    """The records as one VCALENDAR (with the VTIMEZONE of America/Santiago); cancelled ones
    carry ``cancelled_word`` (the feed's language; Spanish by default) before their title."""
    cal = icalendar.Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("METHOD", "PUBLISH")
    cal.add("X-WR-CALNAME", name)
    cal.add("X-WR-TIMEZONE", "America/Santiago")
    stamp = stamp or dt.datetime.now(dt.UTC).replace(microsecond=0)
    cancelled_word = cancelled_word or translate("agenda.feed.cancelled", "es")
    for record in sorted(records, key=lambda r: (r.item.start, r.item.id)):
        cal.add_component(event_of(record, (urls or {}).get(record.item.id), stamp,
                                   cancelled_word))
    cal.add_missing_timezones()
    return cal.to_ical()
