"""A light grey street basemap drawn from the OSM file, so the map needs no tile server.

GDAL's OSM driver (through pyogrio) reads the ways as lines directly; lines are simplified
in metres and merged per street kind to keep the page small.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import shapely

from webmap.geometry import rounded_geojson, simplify_lines

STREET_TOLERANCE_M = 2.0
KINDS = {"primary", "secondary", "tertiary", "residential", "footway", "path", "pedestrian"}


def read_street_lines(osm_path: Path) -> gpd.GeoDataFrame:
    """Street lines (EPSG:4326) with a ``kind`` column; empty if the file has no ways."""
    lines = pyogrio.read_dataframe(osm_path, layer="lines", columns=["highway"])
    lines = lines[lines["highway"].notna()].copy()
    lines["kind"] = [k if k in KINDS else "other" for k in lines["highway"]]
    lines = lines.set_crs("EPSG:4326", allow_override=True)
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
