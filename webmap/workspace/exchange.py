"""Export the editable layers of the workspace (venues, workshops, proposals, juntas) as CSV
(``lon``/``lat`` columns) or GeoJSON, in the shape the importers read back.

Why from the database and not from the public downloads: the public files leave out what
only planners see (a junta's contact) and the workspace's own columns (attendance, minutes,
proposals). Proposals and juntas have no point of their own: they carry their workshop's
and their sede's, so a spreadsheet or QGIS can place them. Files go through the same
writer as the CLI and the public downloads (``geo.export``: EPSG:4326, spreadsheet formulas
neutralised).
"""

from __future__ import annotations

import io

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo import WEB_CRS
from geo.export import layer_bytes, neutralise_cell
from webmap.workspace.frames import venues_frame, workshops_frame
from webmap.workspace.models import Junta, Proposal, Venue, Workshop
from webmap.workspace.record_imports import JUNTA_COLUMNS, PROPOSAL_COLUMNS

LAYERS = ("venues", "workshops", "proposals", "juntas")
FORMATS = ("csv", "geojson")


def _point(record: Venue | Workshop | None) -> Point | None:
    return Point(record.lon, record.lat) if record is not None else None


def proposals_frame(session: Session) -> gpd.GeoDataFrame:
    """The workshop proposals in service, each at its workshop's point (residents'
    proposals, without a workshop, are moderated on their own pages: people_views)."""
    rows = session.execute(select(Proposal, Workshop).join(Workshop)
                           .where(Proposal.retired.is_(False)).order_by(Proposal.id)).all()
    records = [{"id": p.id, "workshop_id": p.workshop_id, "text": p.text,
                "councils": p.councils} for p, _ in rows]
    return gpd.GeoDataFrame(pd.DataFrame.from_records(records, columns=PROPOSAL_COLUMNS),
                            geometry=[_point(w) for _, w in rows], crs=WEB_CRS)


def juntas_frame(session: Session) -> gpd.GeoDataFrame:
    """The juntas in service with their private contact, at their sede (none: no point)."""
    juntas = list(session.scalars(select(Junta).where(Junta.retired.is_(False))
                                  .order_by(Junta.id)))
    records = [{c: getattr(j, c) for c in JUNTA_COLUMNS} for j in juntas]
    points = [_point(session.get(Venue, j.sede_venue_id)) if j.sede_venue_id else None
              for j in juntas]
    return gpd.GeoDataFrame(pd.DataFrame.from_records(records, columns=JUNTA_COLUMNS),
                            geometry=points, crs=WEB_CRS)


FRAMES = {"venues": venues_frame, "workshops": workshops_frame,
          "proposals": proposals_frame, "juntas": juntas_frame}


def _csv_with_gaps(gdf: gpd.GeoDataFrame) -> bytes:
    """CSV of a layer where some rows have no point (a junta without sede): empty lon/lat."""
    table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    table = table.apply(lambda column: column.map(neutralise_cell))
    table["lon"] = [round(p.x, 7) if p is not None else None for p in gdf.geometry]
    table["lat"] = [round(p.y, 7) if p is not None else None for p in gdf.geometry]
    buffer = io.StringIO()
    table.to_csv(buffer, index=False, lineterminator="\r\n")
    return buffer.getvalue().encode("utf-8")


def export_bytes(session: Session, layer: str, fmt: str) -> bytes:
    """The file content of one editable layer in ``fmt`` (csv or geojson)."""
    gdf = FRAMES[layer](session)
    if fmt == "csv" and gdf.geometry.isna().any():
        return _csv_with_gaps(gdf)
    return layer_bytes(gdf, fmt, layer)
