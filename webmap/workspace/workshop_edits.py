"""Workshops and the proposals that came out of them: checked, versioned, with history.

Why the workshops file's rules (geo.validation, WORKSHOPS): the database must always load
like a file would; the councils and the venue a workshop names are checked by the same
cross-check when the change is saved (webmap.workspace.views).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo import WEB_CRS
from geo.layer_errors import Problem
from geo.schema import WORKSHOPS
from geo.validation import LIST_SEPARATOR, validate_frame
from webmap.workspace.edits import _number
from webmap.workspace.frames import DB_PATH
from webmap.workspace.models import Proposal, User, Venue, Workshop
from webmap.workspace.versioning import (
    EditRejected,
    add,
    editable,
    expect_version,
    next_id,
    retire,
    update,
)

NEW_ID_PREFIX = "TM-"  # workshops recorded in the workspace: TM-001, TM-002...
MAX_MINUTES_TEXT = 4000
MAX_PROPOSAL = 2000


def _problem(es: str, en: str, layer: str = "workshops") -> Problem:
    return Problem(DB_PATH / layer, es, en)


def council_list(raw: Any) -> str:
    """["JV-01", "JV-02"], "JV-01;JV-02" or "JV-01" -> "JV-01;JV-02" (order kept)."""
    items: Iterable[Any] = raw if isinstance(raw, list | tuple) else str(raw or "").split(
        LIST_SEPARATOR)
    ids = [str(i).strip() for i in items if str(i).strip()]
    return LIST_SEPARATOR.join(dict.fromkeys(ids))


def _text(data: Mapping[str, Any], name: str) -> str | None:
    raw = data.get(name)
    text = "" if raw is None else str(raw).strip()
    return text or None


def parse_workshop(session: Session, data: Mapping[str, Any],
                   ) -> tuple[dict[str, Any], list[Problem]]:
    """Form/JSON values -> typed workshop values; a venue gives the workshop its place,
    otherwise the clicked/typed point does."""
    problems: list[Problem] = []
    values: dict[str, Any] = {
        "title": _text(data, "title"), "date": _text(data, "date"),
        "venue_id": _text(data, "venue_id"), "councils": council_list(data.get("councils")),
        "source": _text(data, "source"), "minutes": _text(data, "minutes"),
        "attendance": _number(data.get("attendance"), "attendance", problems, whole=True),
    }
    if values["minutes"] and len(values["minutes"]) > MAX_MINUTES_TEXT:
        problems.append(_problem(f"el acta tiene más de {MAX_MINUTES_TEXT} caracteres",
                                 f"the minutes are longer than {MAX_MINUTES_TEXT} characters"))
    if values["venue_id"]:
        venue = session.get(Venue, values["venue_id"])
        if venue is None or venue.retired:
            problems.append(_problem(
                f"«venue_id» = «{values['venue_id']}» no existe en la capa de espacios "
                "culturales", f"'venue_id' = '{values['venue_id']}' is not in the venues layer"))
        else:
            values["lon"], values["lat"] = venue.lon, venue.lat
    if "lon" not in values:
        values["lon"] = _number(data.get("lon"), "lon", problems)
        values["lat"] = _number(data.get("lat"), "lat", problems)
        if (values["lon"] is None or values["lat"] is None) and not problems:
            problems.append(_problem(
                "falta el lugar: elija un espacio o toque el mapa",
                "the place is missing: choose a venue or click the map"))
    return values, problems


def check(record_id: str, values: dict[str, Any]) -> list[Problem]:
    """The rules of a workshops file (geo.validation) applied to one workshop."""
    columns = ("title", "date", "venue_id", "councils", "source")
    frame = gpd.GeoDataFrame(
        pd.DataFrame.from_records([{"id": record_id, **{c: values[c] for c in columns}}]),
        geometry=[Point(values["lon"], values["lat"])], crs=WEB_CRS)
    _, report = validate_frame(WORKSHOPS, frame, DB_PATH / WORKSHOPS.name)
    return report.problems


def _checked(session: Session, record_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    values, problems = parse_workshop(session, data)
    problems = problems or check(record_id, values)
    if problems:
        raise EditRejected(problems)
    values["date"] = pd.Timestamp(values["date"]).date()
    return values


def next_workshop_id(session: Session) -> str:
    return next_id(session, Workshop.id, NEW_ID_PREFIX)


def add_workshop(session: Session, user: User, data: Mapping[str, Any]) -> Workshop:
    workshop_id = next_workshop_id(session)
    return add(session, user, Workshop(id=workshop_id, extra={}, retired=False,
                                       **_checked(session, workshop_id, data)))


def _editable(session: Session, workshop_id: str) -> Workshop:
    return editable(session, Workshop, workshop_id, "un taller", "workshop")


def edit_workshop(session: Session, user: User, workshop_id: str, version: Any,
                  data: Mapping[str, Any]) -> Workshop:
    workshop = _editable(session, workshop_id)
    expect_version(workshop, version, dict(data))  # a stale form: a conflict before checks
    return update(session, user, workshop, version, _checked(session, workshop_id, data),
                  dict(data))


def retire_workshop(session: Session, user: User, workshop_id: str, version: Any) -> Workshop:
    return retire(session, user, _editable(session, workshop_id), version)


def proposal_values(data: Mapping[str, Any], known_councils: set[str]) -> dict[str, Any]:
    text = _text(data, "text")
    councils = council_list(data.get("councils"))
    problems = []
    if not text or len(text) > MAX_PROPOSAL:
        problems.append(_problem(f"escriba la propuesta (1 a {MAX_PROPOSAL} caracteres)",
                                 f"write the proposal (1 to {MAX_PROPOSAL} characters)",
                                 "proposals"))
    unknown = [c for c in councils.split(LIST_SEPARATOR) if c and c not in known_councils]
    if not councils or unknown:
        problems.append(_problem(
            "elija una o más juntas de vecinos" + (
                f" (desconocidas: {', '.join(unknown)})" if unknown else ""),
            "choose one or more councils" + (
                f" (unknown: {', '.join(unknown)})" if unknown else ""), "proposals"))
    if problems:
        raise EditRejected(problems)
    return {"text": text, "councils": councils}


def add_proposal(session: Session, user: User, workshop_id: str, data: Mapping[str, Any],
                 known_councils: set[str]) -> Proposal:
    """A proposal of a workshop, for one or more known councils."""
    workshop = _editable(session, workshop_id)
    values = proposal_values(data, known_councils)
    return add(session, user, Proposal(workshop_id=workshop.id, retired=False, **values))


def _editable_proposal(session: Session, proposal_id: int) -> Proposal:
    return editable(session, Proposal, proposal_id, "una propuesta", "proposal")


def edit_proposal(session: Session, user: User, proposal_id: int, version: Any,
                  data: Mapping[str, Any], known_councils: set[str]) -> Proposal:
    """Change a proposal's text or councils; a stale version is a conflict."""
    proposal = _editable_proposal(session, proposal_id)
    submitted = {"text": data.get("text"), "councils": data.get("councils")}
    expect_version(proposal, version, submitted)
    return update(session, user, proposal, version, proposal_values(data, known_councils),
                  submitted)


def retire_proposal(session: Session, user: User, proposal_id: int, version: Any) -> Proposal:
    """Hide a proposal from the lists; its row and history stay."""
    return retire(session, user, _editable_proposal(session, proposal_id), version)


def proposals_by_workshop(session: Session) -> dict[str, list[Proposal]]:
    out: dict[str, list[Proposal]] = {}
    for proposal in session.scalars(select(Proposal).where(Proposal.retired.is_(False))
                                    .order_by(Proposal.id)):
        out.setdefault(proposal.workshop_id, []).append(proposal)
    return out


