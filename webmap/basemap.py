"""A light grey street basemap drawn from the travel model, so the map needs no tile server.

The model gives its walkable lines (OSM ways, or the streets and connectors derived from
the census blocks); they are simplified in metres and merged per kind to keep the page small.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import shapely

from geo.travel import TravelModel
from webmap.geometry import rounded_geojson, simplify_lines

STREET_TOLERANCE_M = 4.0  # derived streets zigzag by ~1 m; 4 m keeps every turn a walker sees


def street_lines(travel: TravelModel) -> gpd.GeoDataFrame:
    """The travel model's walkable lines (EPSG:4326, ``kind``), simplified in metres."""
    lines = travel.lines().copy()
    lines["geometry"] = simplify_lines(lines, STREET_TOLERANCE_M)
    return lines[["kind", "geometry"]]


def streets_geojson(lines: gpd.GeoDataFrame) -> dict[str, Any]:
    """One merged feature per street kind (fewer, longer lines = smaller page)."""
    features = []
    for kind, group in lines.groupby("kind"):
        merged = shapely.line_merge(shapely.union_all(group.geometry.values))
        features.append(
            {
                "type": "Feature",
                "id": str(kind),
                "properties": {"kind": str(kind)},
                "geometry": rounded_geojson(merged),
            }
        )
    return {"type": "FeatureCollection", "features": features}
