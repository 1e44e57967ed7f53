"""Dates and times of the agenda as people in Coquimbo read them: America/Santiago clock,
es-CL words ("martes 7 de abril, 19:00–21:00"), English second.

Why here and not strftime: the server's locale is not the reader's; month and day names
come from the translation files, like every other word shown.
"""

from __future__ import annotations

from geo.agenda import Session
from webmap.i18n import translate


def day_text(when, lang: str) -> str:  # noqa: ANN001 - a date or datetime
    weekday = translate(f"agenda.weekday.{when.weekday()}", lang)
    month = translate(f"agenda.month.{when.month}", lang)
    return translate("agenda.day", lang, weekday=weekday, day=when.day, month=month,
                     year=when.year)


def when_text(session: Session, lang: str) -> str:
    """'martes 7 de abril de 2026, 19:00–21:00' (same day) or both ends in full."""
    start, end = session.local_start, session.local_end
    if start.date() == end.date():
        return f"{day_text(start, lang)}, {start:%H:%M}–{end:%H:%M}"
    return f"{day_text(start, lang)}, {start:%H:%M} – {day_text(end, lang)}, {end:%H:%M}"
