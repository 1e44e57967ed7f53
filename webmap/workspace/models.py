"""The tables of the workspace, as typed SQLAlchemy 2 models.

Coordinates are two columns, ``lon`` and ``lat`` in EPSG:4326, on every backend: the same
code and the same migrations run on SQLite and PostgreSQL. On PostgreSQL the migration adds
a PostGIS ``geom`` column computed from them (for QGIS and spatial SQL); the application
never writes it. ``version`` is SQLAlchemy's optimistic lock: an UPDATE of a row someone
else changed in the meantime matches nothing and fails instead of overwriting.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROLES: tuple[str, ...] = ("planner", "admin")  # admin = planner + accounts + revert


def utcnow() -> dt.datetime:
    """Naive UTC (both backends store it the same way), to the second."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON}


class User(UserMixin, Base):
    """A planner or an administrator; only a password hash is stored (argon2)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def is_active(self) -> bool:  # Flask-Login: a disabled account cannot sign in
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def session_stamp(self) -> str:
        """Changes with the password: a session made before a password change ends. A
        digest, so the (signed, not encrypted) session cookie holds nothing of the hash."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def get_id(self) -> str:  # Flask-Login keeps this in the session cookie
        return f"{self.id}:{self.session_stamp}"


class Venue(Base):
    """A located venue (the ``venues`` layer); ``retired`` ones stay for history only."""

    __tablename__ = "venues"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(Text)
    lon: Mapped[float]
    lat: Mapped[float]
    capacity: Mapped[int | None]
    # the file's other columns (status, sector, notes...), kept and served as they came
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    retired: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}


class VenueToLocate(Base):
    """A known place without coordinates ("por ubicar"); placing it makes a Venue."""

    __tablename__ = "venues_to_locate"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(40))
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)  # address, sector, status...
    placed_venue_id: Mapped[str | None] = mapped_column(ForeignKey("venues.id"))
    version: Mapped[int] = mapped_column(nullable=False)

    __mapper_args__ = {"version_id_col": version}


class Workshop(Base):
    """A micro-neighbourhood workshop (the ``workshops`` layer)."""

    __tablename__ = "workshops"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    date: Mapped[dt.date]
    venue_id: Mapped[str | None] = mapped_column(ForeignKey("venues.id"))
    councils: Mapped[str] = mapped_column(Text)  # council ids separated by ";"
    source: Mapped[str] = mapped_column(Text)
    lon: Mapped[float]
    lat: Mapped[float]
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attendance: Mapped[int | None]
    minutes: Mapped[str | None] = mapped_column(Text)  # short minutes of the session
    retired: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(nullable=False)

    __mapper_args__ = {"version_id_col": version}


class Proposal(Base):
    """A proposal for one or more councils: from a workshop (origin "taller", entered by a
    planner, published) or from residents (origin "vecinos", webmap.workspace.participation:
    "pendiente" until a planner publishes it; a point or a council, an optional photo)."""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[str | None] = mapped_column(ForeignKey("workshops.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    councils: Mapped[str] = mapped_column(Text)  # council ids separated by ";"
    retired: Mapped[bool] = mapped_column(default=False)
    origin: Mapped[str] = mapped_column(String(10), default="taller")
    moderation: Mapped[str] = mapped_column(String(12), default="publicada")
    held_reason: Mapped[str | None] = mapped_column(String(200))  # word list hit
    category: Mapped[str | None] = mapped_column(String(40))
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    photo: Mapped[str | None] = mapped_column(String(80))  # file name in the photo folder
    answer: Mapped[str | None] = mapped_column(String(12))  # public status
    answer_text: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None]
    supports: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime | None] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(nullable=False)

    __mapper_args__ = {"version_id_col": version}


class Junta(Base):
    """A junta de vecinos the programme works with. Its ``contact`` is private: shown to
    signed-in planners only, never in the map, the API or the downloads."""

    __tablename__ = "juntas"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    council_id: Mapped[str] = mapped_column(String(40))  # its neighbourhood unit
    sede_venue_id: Mapped[str | None] = mapped_column(ForeignKey("venues.id"))
    contact: Mapped[str | None] = mapped_column(Text)
    retired: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(nullable=False)

    __mapper_args__ = {"version_id_col": version}


class Change(Base):
    """One change of one record: who, when, the record before and after (JSON; None =
    did not exist). Seeding from the files writes the first row of every record."""

    __tablename__ = "changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))  # venue, to_locate, workshop, proposal, junta
    record_id: Mapped[str] = mapped_column(String(40), index=True)
    action: Mapped[str] = mapped_column(String(20))  # seed, add, edit, retire, place, revert
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reverts_id: Mapped[int | None] = mapped_column(ForeignKey("changes.id"))
