"""Import venues from a CSV (lon/lat columns) or GeoJSON file: preview first, then all or
nothing.

Why a preview: a planner must see every row's problems (same rules and messages as the file
loaders) before anything is written. Why one transaction: a file that fails half-way (a
crash, a row refused by the database) must leave the inventory exactly as it was.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy.orm import Session

from geo import WEB_CRS
from geo.layer_errors import LayerError, Problem
from geo.layer_reading import check_utf8
from geo.layers import load_layer
from geo.schema import VENUES
from geo.validation import validate_frame
from webmap.workspace.edits import _number
from webmap.workspace.history import json_safe, record_change, snapshot
from webmap.workspace.models import User, Venue
from webmap.workspace.seed import VENUE_COLUMNS, venue_from_row

SUFFIXES = (".csv", ".geojson", ".json")
LON_NAMES = ("lon", "lng", "longitude", "longitud", "x")
LAT_NAMES = ("lat", "latitude", "latitud", "y")


@dataclass
class Preview:
    """What an import would do: one entry per row, and every problem found."""

    filename: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    frame: gpd.GeoDataFrame | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.frame is not None


def _column(table: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lowered = {str(c).strip().lower(): c for c in table.columns}
    return next((lowered[n] for n in names if n in lowered), None)


def _csv_frame(path: Path) -> gpd.GeoDataFrame:
    """A CSV with lon/lat columns -> a checked venues layer (LayerError with every row)."""
    check_utf8(path, VENUES.name)
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    lon_col, lat_col = _column(table, LON_NAMES), _column(table, LAT_NAMES)
    if lon_col is None or lat_col is None:
        raise LayerError.single(
            path, "faltan las columnas de coordenadas «lon» y «lat»",
            "the coordinate columns 'lon' and 'lat' are missing",
            "agregue dos columnas lon y lat en grados (EPSG:4326), p. ej. -71.33 y -29.96",
            "add two columns lon and lat in degrees (EPSG:4326), e.g. -71.33 and -29.96",
            layer=VENUES.name)
    lon = pd.to_numeric(table[lon_col].str.replace(",", ".", regex=False), errors="coerce")
    lat = pd.to_numeric(table[lat_col].str.replace(",", ".", regex=False), errors="coerce")
    frame = gpd.GeoDataFrame(table.drop(columns=[lon_col, lat_col]),
                             geometry=gpd.points_from_xy(lon, lat), crs=WEB_CRS)
    clean, report = validate_frame(VENUES, frame, path)
    if report.problems:
        raise LayerError(path, report.problems, layer=VENUES.name)
    return clean


def read_venues(filename: str, content: bytes) -> gpd.GeoDataFrame:
    """The uploaded file as a checked venues layer, or LayerError naming the file and rows."""
    name = Path(filename or "subido.csv").name
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise LayerError.single(
            Path(name), f"formato no admitido «{suffix or name}»",
            f"unsupported format '{suffix or name}'", "suba un .csv (con lon y lat) o un .geojson",
            "upload a .csv (with lon and lat) or a .geojson", layer=VENUES.name)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        try:
            frame = _csv_frame(path) if suffix == ".csv" else load_layer(VENUES, path)
        except LayerError as exc:  # name the uploaded file, not the temporary folder
            raise LayerError(Path(name), [_renamed(p, name) for p in exc.problems],
                             layer=VENUES.name, omitted=exc.omitted) from None
    return frame


def _renamed(problem: Problem, name: str, row: int | None = None,
             feature_id: str | None = None) -> Problem:
    return Problem(Path(name), problem.problem_es, problem.problem_en, problem.hint_es,
                   problem.hint_en, row=row or problem.row,
                   feature_id=feature_id or problem.feature_id)


def preview(session: Session, filename: str, content: bytes) -> Preview:
    """Read and check the file, and say for each row whether it adds or updates a venue."""
    result = Preview(filename=Path(filename or "").name)
    try:
        frame = read_venues(filename, content)
    except LayerError as exc:
        result.problems = list(exc.problems)
        return result
    for i, row in enumerate(frame.to_dict("records")):
        capacity: list[Problem] = []
        _number(row.get("capacity"), "capacity", capacity, whole=True)
        result.problems += [_renamed(p, result.filename, i + 1, row["id"]) for p in capacity]
        existing = session.get(Venue, row["id"])
        action = "add" if existing is None else "update"
        if existing is not None and existing.retired:
            result.problems.append(Problem(
                Path(result.filename), f"el espacio «{row['id']}» está retirado",
                f"venue '{row['id']}' is retired", "use otro id o pida a un admin que lo "
                "revierta", "use another id or ask an admin to revert it", row=i + 1,
                feature_id=row["id"]))
        result.rows.append({"row": i + 1, "id": row["id"], "name": row["name"],
                            "category": row["category"], "action": action})
    result.frame = frame
    return result


def apply(session: Session, user: User, frame: gpd.GeoDataFrame) -> int:
    """Add or update every row, each with a history row, in the caller's transaction."""
    count = 0
    for row in frame.to_dict("records"):
        incoming = venue_from_row(row)
        venue = session.get(Venue, incoming.id)
        if venue is None:
            session.add(incoming)
            session.flush()
            record_change(session, user, "venue", incoming.id, "import", None,
                          snapshot(incoming))
        else:
            before = snapshot(venue)
            for name in (*VENUE_COLUMNS[1:], "lon", "lat", "capacity"):
                setattr(venue, name, getattr(incoming, name))
            venue.extra = {**venue.extra, **{k: json_safe(v) for k, v in
                                             incoming.extra.items()}}
            session.flush()
            record_change(session, user, "venue", venue.id, "import", before, snapshot(venue))
        count += 1
    return count
