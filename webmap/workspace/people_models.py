"""Tables of the creators directory (issue 16): creators and the messages relayed to them.

Why contact data in their own columns: they are the only personal data of the directory;
keeping them apart lets every public view and every history snapshot leave them out by
construction, and lets an admin export or delete them on request.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webmap.workspace.models import Base, utcnow


class Creator(Base):
    """An artist, collective, cultural organisation or craft teacher. Where they work is a
    list of councils and/or municipal sectors, never a point or an address."""

    __tablename__ = "creators"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    disciplines: Mapped[str] = mapped_column(Text)  # ids separated by ";"
    councils: Mapped[str] = mapped_column(Text)  # council ids separated by ";"
    area: Mapped[str | None] = mapped_column(String(120))  # sector ids separated by ";"
    links: Mapped[str | None] = mapped_column(Text)  # http(s) addresses, one per line
    contact_email: Mapped[str | None] = mapped_column(String(254))  # planners only
    contact_phone: Mapped[str | None] = mapped_column(String(40))  # planners only
    origin: Mapped[str] = mapped_column(String(12))  # "registro" (themselves), "equipo"
    moderation: Mapped[str] = mapped_column(String(12))  # pendiente, publicada, rechazada
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(nullable=False)

    __mapper_args__ = {"version_id_col": version}


class CreatorMessage(Base):
    """A message to a creator, kept for planners to relay (the creator's contact is never
    shown to the sender); ``reply_to`` is the sender's own address, private too."""

    __tablename__ = "creator_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"),
                                            index=True)
    text: Mapped[str] = mapped_column(Text)
    reply_to: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    relayed: Mapped[bool] = mapped_column(default=False)
