"""Import venues or workshops from a CSV (lon/lat columns; for workshops a venue_id may
give the place instead) or GeoJSON file: preview first, then all or nothing.

Why a preview: a planner must see every row's problems (same rules and messages as the file
loaders) before anything is written. Why one transaction: a file that fails half-way (a
crash, a row refused by the database) must leave the inventory exactly as it was.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo import WEB_CRS
from geo.layer_errors import LayerError, Problem
from geo.layer_reading import check_utf8, read_vector, to_web_crs
from geo.layers import cross_check, load_layer
from geo.schema import VENUES, WORKSHOPS
from geo.validation import validate_frame
from webmap.workspace.edits import _number
from webmap.workspace.history import json_safe, record_change, snapshot
from webmap.workspace.models import User, Venue, Workshop
from webmap.workspace.seed import VENUE_COLUMNS, WORKSHOP_COLUMNS, venue_from_row
from webmap.workspace.workshop_edits import MAX_MINUTES_TEXT

SUFFIXES = (".csv", ".geojson", ".json")
LON_NAMES = ("lon", "lng", "longitude", "longitud", "x")
LAT_NAMES = ("lat", "latitude", "latitud", "y")


@dataclass
class Preview:
    """What an import would do: one entry per row, and every problem found."""

    filename: str
    layer: str = VENUES.name
    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    frame: gpd.GeoDataFrame | None = None
    records: list[Any] | None = None  # checked rows of layers without a file loader

    @property
    def ok(self) -> bool:
        return not self.problems and (self.frame is not None or self.records is not None)

    @property
    def checked(self) -> Any:
        """What the apply step writes: the checked layer, or the checked rows."""
        return self.frame if self.frame is not None else self.records


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


def uploaded_name(filename: str, layer: str, columns_es: str, columns_en: str,
                  ) -> tuple[str, str]:
    """The uploaded file's own name and suffix; LayerError unless it is CSV or GeoJSON."""
    name = Path(filename or "subido.csv").name
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise LayerError.single(
            Path(name), f"formato no admitido «{suffix or name}»",
            f"unsupported format '{suffix or name}'",
            f"suba un .csv ({columns_es}) o un .geojson",
            f"upload a .csv ({columns_en}) or a .geojson", layer=layer)
    return name, suffix


def save_imported(session: Session, user: User, kind: str, record: Any, new: Any,
                  change: Callable[[Any], None]) -> Any:
    """One imported row: add ``new`` when there is no ``record`` yet, else ``change`` it;
    written in the caller's transaction, with a history row unless nothing changed (a file
    exported and imported back as it was)."""
    before = None if record is None else snapshot(record)
    if record is None:
        record = new
        session.add(record)
    else:
        change(record)
    session.flush()
    after = snapshot(record)
    if after != before:
        record_change(session, user, kind, str(record.id), "import", before, after)
    return record


def read_venues(filename: str, content: bytes) -> gpd.GeoDataFrame:
    """The uploaded file as a checked venues layer, or LayerError naming the file and rows."""
    name, suffix = uploaded_name(filename, VENUES.name, "con lon y lat", "with lon and lat")
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
    rows = frame.to_dict("records")
    for row in rows:
        incoming = venue_from_row(row)

        def change(venue: Venue, incoming: Venue = incoming) -> None:
            for name in (*VENUE_COLUMNS[1:], "lon", "lat", "capacity"):
                setattr(venue, name, getattr(incoming, name))
            venue.extra = {**venue.extra, **incoming.extra}

        save_imported(session, user, "venue", session.get(Venue, incoming.id), incoming,
                      change)
    return len(rows)


# --- workshops -----------------------------------------------------------------------------

WORKSHOP_FIELDS = ("title", "date", "venue_id", "councils", "source", "lon", "lat",
                   "attendance", "minutes")


def _workshop_csv(path: Path, places: Mapping[str, tuple[float, float]]) -> gpd.GeoDataFrame:
    """A workshops CSV -> a raw layer; a row without lon/lat takes its venue's place."""
    check_utf8(path, WORKSHOPS.name)
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    lon_col, lat_col = _column(table, LON_NAMES), _column(table, LAT_NAMES)
    if (lon_col is None or lat_col is None) and "venue_id" not in table.columns:
        raise LayerError.single(
            path, "faltan las columnas de coordenadas «lon» y «lat» (o «venue_id»)",
            "the coordinate columns 'lon' and 'lat' (or 'venue_id') are missing",
            "agregue lon y lat en grados (EPSG:4326) o el id del espacio en venue_id",
            "add lon and lat in degrees (EPSG:4326) or the venue's id in venue_id",
            layer=WORKSHOPS.name)
    missing = pd.Series([""] * len(table), index=table.index, dtype=object)

    def numbers(col: str | None) -> pd.Series:
        raw = table[col] if col is not None else missing
        return pd.to_numeric(raw.str.replace(",", ".", regex=False), errors="coerce")

    lon, lat = numbers(lon_col), numbers(lat_col)
    venue = table["venue_id"].str.strip() if "venue_id" in table.columns else missing
    fill = lon.isna() & lat.isna() & venue.isin(list(places))
    lon[fill] = [places[v][0] for v in venue[fill]]
    lat[fill] = [places[v][1] for v in venue[fill]]
    table = table.drop(columns=[c for c in (lon_col, lat_col) if c is not None])
    if "venue_id" in table.columns:
        table["venue_id"] = table["venue_id"].str.strip().replace("", None)
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(lon, lat), crs=WEB_CRS)


def _workshop_raw(filename: str, content: bytes,
                  places: Mapping[str, tuple[float, float]]) -> gpd.GeoDataFrame:
    name, suffix = uploaded_name(filename, WORKSHOPS.name, "con lon y lat o venue_id",
                                 "with lon and lat or venue_id")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        try:
            if suffix == ".csv":
                return _workshop_csv(path, places)
            return to_web_crs(read_vector(path, WORKSHOPS), path, WORKSHOPS)
        except LayerError as exc:  # name the uploaded file, not the temporary folder
            raise LayerError(Path(name), [_renamed(p, name) for p in exc.problems],
                             layer=WORKSHOPS.name, omitted=exc.omitted) from None


class _Layers:
    """Just what ``geo.layers.cross_check`` reads: the ids of councils and venues."""

    def __init__(self, councils: set[str], venues: set[str], workshops: pd.DataFrame) -> None:
        self.councils = pd.DataFrame({"id": sorted(councils)})
        self.venues = pd.DataFrame({"id": sorted(venues)})
        self.workshops = workshops


def _details(row: Mapping[str, Any], problems: list[Problem]) -> tuple[Any, Any]:
    """The workspace's own columns (attendance, minutes), checked like its forms."""
    attendance = _number(json_safe(row.get("attendance")), "attendance", problems, whole=True)
    minutes = json_safe(row.get("minutes"))
    minutes = str(minutes).strip() or None if minutes is not None else None
    if minutes and len(minutes) > MAX_MINUTES_TEXT:
        problems.append(Problem(Path(WORKSHOPS.name),
                                f"el acta tiene más de {MAX_MINUTES_TEXT} caracteres",
                                f"the minutes are longer than {MAX_MINUTES_TEXT} characters"))
    return attendance, minutes


def preview_workshops(session: Session, filename: str, content: bytes,
                      councils: set[str]) -> Preview:
    """Every row's problems: the workshops file's rules (dates, inside Coquimbo, ids), the
    loader's cross-check (known councils, a venue in service), attendance and minutes."""
    result = Preview(filename=Path(filename or "").name, layer=WORKSHOPS.name)
    venues = list(session.scalars(select(Venue).where(Venue.retired.is_(False))))
    places = {v.id: (v.lon, v.lat) for v in venues}
    try:
        raw = _workshop_raw(filename, content, places)
    except LayerError as exc:
        result.problems = list(exc.problems)
        return result
    clean, report = validate_frame(WORKSHOPS, raw, Path(result.filename))
    problems = list(report.problems)
    if {"id", "councils"} <= set(raw.columns):
        links = pd.DataFrame({
            "id": raw["id"].astype(str),
            "councils": [str(json_safe(c) or "") for c in raw["councils"]],
            "venue_id": [json_safe(v) or None for v in raw.get("venue_id", [None] * len(raw))]})
        problems += cross_check(_Layers(councils, set(places), links))
    for i, row in enumerate(raw.to_dict("records")):
        found: list[Problem] = []
        _details(row, found)
        problems += [_renamed(p, result.filename, i + 1, str(row.get("id"))) for p in found]
        record_id = str(json_safe(row.get("id")) or "")
        existing = session.get(Workshop, record_id) if record_id else None
        if existing is not None and existing.retired:
            problems.append(Problem(
                Path(result.filename), f"el taller «{record_id}» está retirado",
                f"workshop '{record_id}' is retired", "use otro id o pida a un admin que lo "
                "revierta", "use another id or ask an admin to revert it", row=i + 1,
                feature_id=record_id))
        result.rows.append({"row": i + 1, "id": record_id,
                            "name": json_safe(row.get("title")), "category": None,
                            "action": "add" if existing is None else "update"})
    problems.sort(key=lambda p: (p.row is not None, p.row or 0))
    result.problems = [_renamed(p, result.filename) for p in problems]
    if not result.problems:
        result.frame = clean
    return result


def apply_workshops(session: Session, user: User, frame: gpd.GeoDataFrame) -> int:
    """Add or update every workshop, each with a history row, in the caller's
    transaction."""
    rows = frame.to_dict("records")
    for row in rows:
        attendance, minutes = _details(row, [])
        point = row["geometry"]
        values = {"title": row["title"], "date": row["date"].date(),
                  "venue_id": json_safe(row.get("venue_id")) or None,
                  "councils": row["councils"], "source": row["source"],
                  "lon": float(point.x), "lat": float(point.y), "attendance": attendance,
                  "minutes": minutes}
        extra = {k: json_safe(v) for k, v in row.items()
                 if k not in (*WORKSHOP_COLUMNS, "geometry", "attendance", "minutes")}

        def change(workshop: Workshop, values: dict[str, Any] = values,
                   extra: dict[str, Any] = extra) -> None:
            for name, value in values.items():
                setattr(workshop, name, value)
            workshop.extra = {**workshop.extra, **extra}

        save_imported(session, user, "workshop", session.get(Workshop, row["id"]),
                      Workshop(id=row["id"], extra=extra, retired=False, **values), change)
    return len(rows)
