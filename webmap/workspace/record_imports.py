"""Import workshop proposals and juntas de vecinos from CSV or GeoJSON: preview, then all or
nothing.

Why the form rules: a row is checked by the very functions that check the planner's forms
(``workshop_edits.proposal_values``, ``juntas.checked``), so a file cannot store what a form
would refuse. Why a preview that only reads: every row's problems are listed before anything
is written; the apply step runs in the caller's single transaction. The place columns of an
export (``lon``/``lat``: the workshop's or the sede's point) are read back only to make a new
sede for a junta that names none.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from geo.layer_errors import LayerError, Problem
from geo.layer_reading import check_utf8
from webmap.workspace import edits, imports, juntas, workshop_edits
from webmap.workspace.imports import SUFFIXES, Preview, _renamed
from webmap.workspace.models import Junta, Proposal, User, Workshop

PROPOSAL_COLUMNS = ("id", "workshop_id", "text", "councils")
JUNTA_COLUMNS = ("id", "name", "council_id", "sede_venue_id", "contact")


def _problem(name: str, es: str, en: str, hint_es: str = "", hint_en: str = "",
             row: int | None = None, feature_id: str | None = None) -> Problem:
    return Problem(Path(name), es, en, hint_es, hint_en, row=row, feature_id=feature_id)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def read_records(filename: str, content: bytes, layer: str) -> list[dict[str, str]]:
    """The rows of a CSV, or the properties (plus lon/lat of a point) of a GeoJSON, as text;
    LayerError naming the uploaded file otherwise."""
    name = Path(filename or "subido.csv").name
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise LayerError.single(
            Path(name), f"formato no admitido «{suffix or name}»",
            f"unsupported format '{suffix or name}'", "suba un .csv o un .geojson",
            "upload a .csv or a .geojson", layer=layer)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        try:
            check_utf8(path, layer)
        except LayerError as exc:  # name the uploaded file, not the temporary folder
            raise LayerError(Path(name), [_renamed(p, name) for p in exc.problems],
                             layer=layer) from None
        if suffix == ".csv":
            table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
            return [{str(k).strip().lower(): _cell(v) for k, v in r.items()}
                    for r in table.to_dict("records")]
    try:
        collection = json.loads(content.decode("utf-8"))
        features = collection["features"]
        rows = []
        for feature in features:
            row = {str(k).lower(): _cell(v) for k, v in
                   (feature.get("properties") or {}).items()}
            geometry = feature.get("geometry") or {}
            if geometry.get("type") == "Point":
                row.setdefault("lon", _cell(geometry["coordinates"][0]))
                row.setdefault("lat", _cell(geometry["coordinates"][1]))
            rows.append(row)
        return rows
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        raise LayerError.single(
            Path(name), "no es un GeoJSON FeatureCollection legible",
            "not a readable GeoJSON FeatureCollection",
            "exporte la capa de nuevo o use un CSV", "export the layer again or use a CSV",
            layer=layer) from None


def _existing(session: Session, model: type, raw_id: str, label: tuple[str, str],
              filename: str, row: int) -> tuple[Any, list[Problem]]:
    """The record a row updates (its numeric id), None to add one, and the id's problems."""
    if not raw_id:
        return None, []
    record = session.get(model, int(raw_id)) if raw_id.isdigit() else None
    if record is None or record.retired:
        return None, [_problem(
            filename, f"no hay {label[0]} vigente n.º {raw_id}",
            f"no {label[1]} #{raw_id} in service",
            "deje «id» vacío para agregar una nueva", "leave 'id' empty to add a new one",
            row=row, feature_id=raw_id)]
    return record, []


def _row_problems(filename: str, row: int, raw_id: str, check: Callable[[], Any],
                  ) -> tuple[Any, list[Problem]]:
    """The values ``check`` returns, or its problems placed at this row."""
    try:
        return check(), []
    except edits.EditRejected as exc:
        return None, [_renamed(p, filename, row, raw_id or None) for p in exc.problems]


def _preview(session: Session, filename: str, content: bytes, layer: str,
             check_row: Callable[[dict[str, str], int], tuple[Any, list[Problem], str]],
             ) -> Preview:
    result = Preview(filename=Path(filename or "").name, layer=layer)
    try:
        rows = read_records(filename, content, layer)
    except LayerError as exc:
        result.problems = list(exc.problems)
        return result
    checked = []
    for i, row in enumerate(rows, start=1):
        values, problems, label = check_row(row, i)
        result.problems += problems
        result.rows.append({"row": i, "id": row.get("id", ""), "name": label[:80],
                            "category": None, "action": "update" if row.get("id") else "add"})
        checked.append((row, values))
    if not rows:
        result.problems.append(_problem(result.filename, "el archivo no tiene filas",
                                        "the file has no rows"))
    if not result.problems:
        result.records = checked
    return result


def _setter(values: dict[str, Any]) -> Callable[[Any], None]:
    def change(record: Any) -> None:
        for name, value in values.items():
            setattr(record, name, value)

    return change


# --- proposals -----------------------------------------------------------------------------


def preview_proposals(session: Session, filename: str, content: bytes,
                      councils: set[str]) -> Preview:
    """Each row: a workshop in service, a text, one or more known councils; an ``id`` names
    the proposal it updates."""
    name = Path(filename or "").name

    def check_row(row: dict[str, str], i: int) -> tuple[Any, list[Problem], str]:
        raw_id = row.get("id", "")
        record, problems = _existing(session, Proposal, raw_id,
                                     ("una propuesta de taller", "workshop proposal"), name, i)
        if record is not None and record.workshop_id is None:  # a residents' proposal
            problems.append(_problem(
                name, f"la propuesta n.º {raw_id} es de vecinos, no de un taller",
                f"proposal #{raw_id} is a residents' proposal, not a workshop's",
                "se modera en su propia página", "it is moderated on its own page", row=i,
                feature_id=raw_id))
        workshop_id = row.get("workshop_id", "")
        workshop = session.get(Workshop, workshop_id) if workshop_id else None
        if workshop is None or workshop.retired:
            problems.append(_problem(
                name, f"«workshop_id» = «{workshop_id}» no es un taller vigente",
                f"'workshop_id' = '{workshop_id}' is not a workshop in service",
                "use el id de un taller de /planificar", "use the id of a workshop in "
                "/planificar", row=i, feature_id=raw_id or None))
        values, found = _row_problems(name, i, raw_id, lambda: workshop_edits.proposal_values(
            row, councils))
        return values, problems + found, row.get("text", "")

    return _preview(session, filename, content, "proposals", check_row)


def apply_proposals(session: Session, user: User, records: list[tuple[dict, dict]]) -> int:
    """Add or update every proposal, each with a history row, in the caller's transaction."""
    for row, values in records:
        values = {"workshop_id": row["workshop_id"], **values}
        raw_id = row.get("id", "")
        imports.save_imported(session, user, "proposal",
                              session.get(Proposal, int(raw_id)) if raw_id else None,
                              Proposal(retired=False, **values), _setter(values))
    return len(records)


# --- juntas --------------------------------------------------------------------------------


def preview_juntas(session: Session, filename: str, content: bytes,
                   councils: set[str]) -> Preview:
    """Each row: a name, a known unit, a sede in service (or lon/lat for a new community
    hall, checked with the venue rules), a short contact; an ``id`` names the junta it
    updates."""
    name = Path(filename or "").name

    def check_row(row: dict[str, str], i: int) -> tuple[Any, list[Problem], str]:
        raw_id = row.get("id", "")
        _, problems = _existing(session, Junta, raw_id, ("una junta", "junta"), name, i)
        values, found = _row_problems(name, i, raw_id,
                                      lambda: juntas.checked(session, row, councils))
        problems += found
        if values is not None and not values["sede_venue_id"] and (row.get("lon") or
                                                                   row.get("lat")):
            _, sede = _row_problems(name, i, raw_id, lambda: edits.checked_venue(
                "sede", juntas.sede_data(row, values, "importación de juntas")))
            problems += sede
        return values, problems, row.get("name", "")

    return _preview(session, filename, content, "juntas", check_row)


def apply_juntas(session: Session, user: User, records: list[tuple[dict, dict]]) -> int:
    """Add or update every junta (a new sede from lon/lat becomes a community-hall venue),
    each with a history row, in the caller's transaction."""
    for row, values in records:
        values = dict(values)
        juntas.new_sede(session, user, row, values, "importación de juntas")
        raw_id = row.get("id", "")
        imports.save_imported(session, user, "junta",
                              session.get(Junta, int(raw_id)) if raw_id else None,
                              Junta(retired=False, **values), _setter(values))
    return len(records)


# layer -> (preview(session, filename, content, known councils), apply(session, user, checked))
IMPORTERS: dict[str, tuple[Callable[..., Preview], Callable[..., int]]] = {
    "venues": (lambda session, filename, content, _councils: imports.preview(
        session, filename, content), imports.apply),
    "workshops": (imports.preview_workshops, imports.apply_workshops),
    "proposals": (preview_proposals, apply_proposals),
    "juntas": (preview_juntas, apply_juntas),
}
