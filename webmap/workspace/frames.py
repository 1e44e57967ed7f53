"""Database rows -> the venues, workshops and places-to-locate layers of a Study.

Why through ``geo.validation``: a layer from the database must obey the same rules as one
from a file (inside Coquimbo, known category, ids, dates...), so the rest of the pipeline
cannot tell where its layers came from.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo import WEB_CRS
from geo.layer_errors import LayerError
from geo.layers import TO_LOCATE_COLUMNS, Layers, cross_check, empty_layer, load_all
from geo.schema import VENUES, WORKSHOPS, LayerSpec
from geo.settings import Settings
from geo.study import Study
from geo.validation import validate_frame
from webmap.workspace.db import Database
from webmap.workspace.models import Venue, VenueToLocate, Workshop

DB_PATH = Path("base de datos/database")  # the "file" named by a problem in stored rows


def _frame(spec: LayerSpec, records: list[dict[str, Any]], points: list[tuple[float, float]],
           ) -> gpd.GeoDataFrame:
    """Check ``records`` as a layer file would be checked; LayerError if any problem."""
    path = DB_PATH / spec.name
    if not records:
        return empty_layer(spec, path)
    lon, lat = zip(*points, strict=True)
    raw = gpd.GeoDataFrame(pd.DataFrame.from_records(records),
                           geometry=gpd.points_from_xy(lon, lat), crs=WEB_CRS)
    clean, report = validate_frame(spec, raw, path)
    if report.problems:
        raise LayerError(path, report.problems, layer=spec.name)
    clean.attrs.update(warnings=[w.render() for w in report.warnings], source_path=str(path),
                       source_crs=WEB_CRS)
    return clean


def _with_extras(core: dict[str, Any], extra: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    row = dict(core)
    row.update({k: extra.get(k) for k in keys})
    return row


def _extra_keys(extras: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(k for e in extras for k in e))


def venue_record(venue: Venue) -> dict[str, Any]:
    return {"id": venue.id, "name": venue.name, "category": venue.category,
            "address": venue.address, "source": venue.source}


def venues_frame(session: Session) -> gpd.GeoDataFrame:
    """The venues in service (retired ones are history only), as the ``venues`` layer."""
    venues = list(session.scalars(select(Venue).where(Venue.retired.is_(False))
                                  .order_by(Venue.id)))
    keys = _extra_keys([v.extra for v in venues])
    records = [_with_extras(venue_record(v), v.extra, keys) for v in venues]
    if any(v.capacity is not None for v in venues):
        for record, venue in zip(records, venues, strict=True):
            record["capacity"] = venue.capacity
    return _frame(VENUES, records, [(v.lon, v.lat) for v in venues])


def workshops_frame(session: Session) -> gpd.GeoDataFrame:
    workshops = list(session.scalars(select(Workshop).where(Workshop.retired.is_(False))
                                     .order_by(Workshop.date, Workshop.id)))
    keys = _extra_keys([w.extra for w in workshops])
    records = [_with_extras({"id": w.id, "title": w.title, "date": w.date.isoformat(),
                             "venue_id": w.venue_id, "councils": w.councils,
                             "source": w.source}, w.extra, keys) for w in workshops]
    for name in ("attendance", "minutes"):  # typed in the workspace; served when recorded
        if any(getattr(w, name) is not None for w in workshops):
            for record, workshop in zip(records, workshops, strict=True):
                record[name] = getattr(workshop, name)
    return _frame(WORKSHOPS, records, [(w.lon, w.lat) for w in workshops])


def to_locate_frame(session: Session) -> pd.DataFrame:
    """The places still to locate (placed ones became venues)."""
    places = list(session.scalars(select(VenueToLocate)
                                  .where(VenueToLocate.placed_venue_id.is_(None))
                                  .order_by(VenueToLocate.id)))
    rows = [{"id": p.id, "name": p.name, "category": p.category, **p.extra} for p in places]
    table = pd.DataFrame.from_records(rows) if rows else pd.DataFrame(columns=TO_LOCATE_COLUMNS)
    for column in TO_LOCATE_COLUMNS:
        if column not in table.columns:
            table[column] = ""
    return table.fillna("")


def inventory_layers(base: Layers, session: Session, data_dir: Path | None = None) -> Layers:
    """``base`` (councils, population, manifest from the files) with the editable layers
    from the database, cross-checked like files (workshop councils and venues exist)."""
    layers = dataclasses.replace(base, venues=venues_frame(session),
                                 workshops=workshops_frame(session),
                                 to_locate=to_locate_frame(session))
    problems = cross_check(layers, data_dir)
    if problems:
        raise LayerError(DB_PATH / WORKSHOPS.name, problems, layer=WORKSHOPS.name)
    return layers


def workspace_study(settings: Settings, db: Database) -> Study:
    """The study of the map when the workspace is on: the files' fixed layers, the
    database's editable ones."""
    base = load_all(settings.data_dir)
    with db.session() as session:
        layers = inventory_layers(base, session, settings.data_dir)
    return Study(settings, layers=layers)
