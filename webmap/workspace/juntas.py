"""Juntas de vecinos: the programme's partners, registered by planners (no public layer has
them). A junta's sede is a venue (a community hall, a host for workshops): an existing
venue, or a new one made from a clicked point with the venue rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.layer_errors import Problem
from webmap.workspace.edits import add_venue
from webmap.workspace.frames import DB_PATH
from webmap.workspace.models import Junta, User, Venue
from webmap.workspace.versioning import (
    EditRejected,
    add,
    editable,
    expect_version,
    retire,
    update,
)

SEDE_CATEGORY = "community_hall"
MAX_CONTACT = 500


def _problem(es: str, en: str) -> Problem:
    return Problem(DB_PATH / "juntas", es, en)


def checked(session: Session, data: Mapping[str, Any], known_councils: set[str],
             ) -> dict[str, Any]:
    """The junta's values, or EditRejected with every problem."""
    name = str(data.get("name") or "").strip()
    council = str(data.get("council_id") or "").strip()
    contact = str(data.get("contact") or "").strip() or None
    sede_id = str(data.get("sede_venue_id") or "").strip() or None
    problems = []
    if not name or len(name) > 300:
        problems.append(_problem("escriba el nombre de la junta (1 a 300 caracteres)",
                                 "write the junta's name (1 to 300 characters)"))
    if council not in known_councils:
        problems.append(_problem(f"unidad vecinal desconocida «{council}»",
                                 f"unknown neighbourhood unit '{council}'"))
    if contact and len(contact) > MAX_CONTACT:
        problems.append(_problem(f"el contacto tiene más de {MAX_CONTACT} caracteres",
                                 f"the contact is longer than {MAX_CONTACT} characters"))
    if sede_id:
        venue = session.get(Venue, sede_id)
        if venue is None or venue.retired:
            problems.append(_problem(f"la sede «{sede_id}» no es un espacio vigente",
                                     f"sede '{sede_id}' is not a venue in service"))
    if problems:
        raise EditRejected(problems)
    return {"name": name, "council_id": council, "contact": contact, "sede_venue_id": sede_id}


def sede_data(data: Mapping[str, Any], values: dict[str, Any], source: str,
              ) -> dict[str, Any]:
    """The venue values of a new sede made from the junta's point."""
    sede_name = str(data.get("sede_name") or "").strip() or f"Sede {values['name']}"
    return {"name": sede_name, "category": SEDE_CATEGORY, "address": data.get("address"),
            "source": source, "lon": data.get("lon"), "lat": data.get("lat")}


def new_sede(session: Session, user: User, data: Mapping[str, Any], values: dict[str, Any],
             source: str) -> None:
    """No sede chosen but a point given: the point becomes a community-hall venue."""
    if not values["sede_venue_id"] and (data.get("lon") or data.get("lat")):
        sede = add_venue(session, user, sede_data(data, values, source))
        values["sede_venue_id"] = sede.id


def add_junta(session: Session, user: User, data: Mapping[str, Any],
              known_councils: set[str], source: str = "registro de juntas") -> Junta:
    """Register a junta; a new sede (name + lon/lat) becomes a community-hall venue."""
    values = checked(session, data, known_councils)
    new_sede(session, user, data, values, source)
    return add(session, user, Junta(**values, retired=False))


def _editable(session: Session, junta_id: int) -> Junta:
    return editable(session, Junta, junta_id, "una junta", "junta")


def edit_junta(session: Session, user: User, junta_id: int, version: Any,
               data: Mapping[str, Any], known_councils: set[str],
               source: str = "registro de juntas") -> Junta:
    """Change name, unit, sede or contact; a stale version is a conflict (nothing lost)."""
    junta = _editable(session, junta_id)
    submitted = {k: data.get(k) for k in ("name", "council_id", "sede_venue_id", "contact")}
    expect_version(junta, version, submitted)
    values = checked(session, data, known_councils)
    new_sede(session, user, data, values, source)
    return update(session, user, junta, version, values, submitted)


def retire_junta(session: Session, user: User, junta_id: int, version: Any) -> Junta:
    """Hide a junta from the list; its row and history stay (its sede stays a venue)."""
    return retire(session, user, _editable(session, junta_id), version)


def juntas(session: Session) -> list[Junta]:
    return list(session.scalars(select(Junta).where(Junta.retired.is_(False))
                                .order_by(Junta.council_id, Junta.name)))


