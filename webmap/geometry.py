"""Make geometries light enough for a web page without tearing shared borders apart.

Councils and census blocks tile the ground: simplifying each polygon alone would open gaps
and overlaps between neighbours, so they are simplified as a coverage (shared edges are
simplified once). Tolerances are in metres (EPSG:32719), never degrees.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo import METRIC_CRS, WEB_CRS

COORD_DECIMALS = 5  # ~1 m at this latitude: finer than any tolerance used here


def simplify_coverage(gdf: gpd.GeoDataFrame, tolerance_m: float) -> gpd.GeoSeries:
    """Topology-preserving simplification of polygons that share borders."""
    metric = gdf.geometry.to_crs(METRIC_CRS)
    geoms = np.asarray(metric.values)
    valid = shapely.coverage_is_valid(geoms)
    simplified = (
        shapely.coverage_simplify(geoms, tolerance_m)
        if valid
        else shapely.simplify(geoms, tolerance_m, preserve_topology=True)
    )
    return gpd.GeoSeries(simplified, index=gdf.index, crs=METRIC_CRS).to_crs(WEB_CRS)


def simplify_lines(gdf: gpd.GeoDataFrame, tolerance_m: float) -> gpd.GeoSeries:
    metric = gdf.geometry.to_crs(METRIC_CRS)
    return metric.simplify(tolerance_m, preserve_topology=True).to_crs(WEB_CRS)


def rounded_geojson(geom: shapely.Geometry, decimals: int = COORD_DECIMALS) -> dict[str, Any]:
    """GeoJSON geometry dict with coordinates rounded (and consecutive duplicates dropped)."""
    mapping = shapely.geometry.mapping(geom)
    return {"type": mapping["type"], "coordinates": _round(mapping["coordinates"], decimals)}


def _round(coords: Any, decimals: int) -> Any:
    if isinstance(coords[0], int | float):
        return [round(float(c), decimals) for c in coords]
    out = [_round(c, decimals) for c in coords]
    if out and isinstance(out[0][0], float):  # a ring or line: drop repeated points
        deduped = [out[0]]
        for point in out[1:]:
            if point != deduped[-1]:
                deduped.append(point)
        return deduped
    return out
