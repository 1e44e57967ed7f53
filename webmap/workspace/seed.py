"""Fill a new database from the shipped files (venues, workshops, places to locate).

Why once: after the first start the database is the source of truth; seeding again would
bring back venues that planners retired. A database that holds any history row has been
seeded. The whole seed is one transaction: a bad file leaves the database empty.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.layers import layer_path, load_layer, load_to_locate
from geo.schema import VENUES, WORKSHOPS
from webmap.workspace.history import json_safe, record_change, snapshot
from webmap.workspace.models import Change, Venue, VenueToLocate, Workshop

VENUE_COLUMNS = ("id", "name", "category", "address", "source")
WORKSHOP_COLUMNS = ("id", "title", "date", "venue_id", "councils", "source")
TO_LOCATE_CORE = ("id", "name", "category")


def is_seeded(session: Session) -> bool:
    return session.scalar(select(Change.id).limit(1)) is not None


def _extras(row: dict[str, Any], core: tuple[str, ...]) -> dict[str, Any]:
    return {k: json_safe(v) for k, v in row.items() if k not in core and k != "geometry"}


def _rows(gdf: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    return gdf.to_dict("records")


def venue_from_row(row: dict[str, Any]) -> Venue:
    extra = _extras(row, VENUE_COLUMNS)
    capacity = extra.pop("capacity", None)
    point = row["geometry"]
    return Venue(id=row["id"], name=row["name"], category=row["category"],
                 address=json_safe(row.get("address")), source=row["source"],
                 lon=float(point.x), lat=float(point.y),
                 capacity=int(capacity) if capacity is not None else None,
                 extra=extra, retired=False)


def seed(session: Session, data_dir: Path | str) -> dict[str, int]:
    """Load the files (checked like everywhere else) and store them, with a 'seed' history
    row per record. Returns how many records of each kind were stored."""
    venues = load_layer(VENUES, layer_path(VENUES, data_dir))
    workshops = load_layer(WORKSHOPS, layer_path(WORKSHOPS, data_dir))
    to_locate = load_to_locate(data_dir)
    records: list[Venue | VenueToLocate | Workshop] = [venue_from_row(r) for r in _rows(venues)]
    session.add_all(records)
    session.flush()  # venues first: workshops refer to them
    for row in _rows(workshops):
        point = row["geometry"]
        workshop = Workshop(id=row["id"], title=row["title"], date=row["date"].date(),
                            venue_id=json_safe(row.get("venue_id")), councils=row["councils"],
                            source=row["source"], lon=float(point.x), lat=float(point.y),
                            extra=_extras(row, WORKSHOP_COLUMNS), retired=False)
        records.append(workshop)
        session.add(workshop)
    for row in to_locate.to_dict("records"):
        place = VenueToLocate(id=row["id"], name=row["name"], category=row["category"],
                              extra=_extras(row, TO_LOCATE_CORE))
        records.append(place)
        session.add(place)
    session.flush()
    for record in records:
        data = snapshot(record)
        kind = {Venue: "venue", Workshop: "workshop", VenueToLocate: "to_locate"}[type(record)]
        record_change(session, None, kind, record.id, "seed", None, data)
    return {"venues": len(venues), "workshops": len(workshops), "to_locate": len(to_locate)}


def seed_if_new(session: Session, data_dir: Path | str) -> dict[str, int] | None:
    """Seed a database that was never seeded; None when it already was."""
    if is_seeded(session):
        return None
    return seed(session, data_dir)
