"""The activities table of the agenda (issue 14), a SQLAlchemy 2 model on the workspace's
``Base`` (its own module: the agenda is one concern, ``models.py`` stays the inventory's).

Why ``start_utc``/``end_utc`` naive UTC: both backends store them the same way (like
``Change.at``); pages show them in America/Santiago (``geo.agenda``). An activity at a venue
keeps only the venue id, so moving the venue moves its activities; one at a point keeps
``lon``/``lat`` (EPSG:4326).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webmap.workspace.models import Base


class Activity(Base):
    """A cultural activity (one-off or repeated by an RFC 5545 rule); cancelled ones stay
    for history and are left out of every public view."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    venue_id: Mapped[str | None] = mapped_column(ForeignKey("venues.id"))
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    start_utc: Mapped[dt.datetime] = mapped_column(index=True)
    end_utc: Mapped[dt.datetime]
    rrule: Mapped[str | None] = mapped_column(String(500))
    free: Mapped[bool] = mapped_column(default=True)
    audience: Mapped[str] = mapped_column(String(20))
    accessibility: Mapped[str | None] = mapped_column(Text)
    organiser: Mapped[str | None] = mapped_column(String(300))
    source_url: Mapped[str | None] = mapped_column(String(1000))
    uid: Mapped[str | None] = mapped_column(String(300), unique=True)  # from an imported .ics
    cancelled: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(nullable=False)

    __mapper_args__ = {"version_id_col": version}
