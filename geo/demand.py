"""Demand points: where residents live, as weighted points in EPSG:32719.

Why points: walking distance is measured from a door, not from a polygon. Each population
block becomes one point inside it (its representative point, which unlike a centroid is
always inside a concave block) carrying its residents. Without a population layer a
regular grid clipped to the councils stands in, each council's population shared evenly
among its grid points.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from geo import METRIC_CRS
from geo.errors import CulturamapError
from geo.join import assign_councils
from geo.layers import Layers

GRID_SPACING_M = 100.0
COUNCIL_SNAP_M = 250.0  # a block point just outside every council joins the nearest one


class DemandError(CulturamapError, ValueError):
    """Demand points cannot be made from the layers; the message says which rows and why."""


def assign_council_ids(points: gpd.GeoDataFrame, councils: gpd.GeoDataFrame) -> pd.Series:
    """Council id of each point: the council containing it, else the nearest within
    ``COUNCIL_SNAP_M`` (slivers between hand-drawn boundaries), else a clear error."""
    joined = assign_councils(points, councils, tolerance_m=COUNCIL_SNAP_M)
    ids = joined["council_id"]
    missing = ids.isna()
    if missing.any():
        rows = ", ".join(str(points.loc[i, "id"]) for i in points.index[missing][:10])
        raise DemandError(
            f"population: {int(missing.sum())} block(s) lie more than {COUNCIL_SNAP_M:.0f} m "
            f"outside every council: {rows}"
        )
    return ids.astype(str)


def demand_points(layers: Layers) -> gpd.GeoDataFrame:
    """One row per demand point in EPSG:32719: id, council_id, residents, geometry."""
    councils = layers.councils.to_crs(METRIC_CRS)
    pop = layers.population
    if pop is not None and len(pop) > 0:
        blocks = pop.to_crs(METRIC_CRS)
        residents = pd.to_numeric(blocks["residents"], errors="coerce")
        bad = np.flatnonzero((residents.isna() | (residents < 0)).to_numpy())
        if len(bad):
            i = int(bad[0])  # counted from 1, like every other loader's message
            raise DemandError(
                f"population: block {blocks['id'].iloc[i]} (row {i + 1}) has no valid "
                "non-negative residents count"
            )
        pts = gpd.GeoDataFrame(
            {"id": blocks["id"].astype(str).to_numpy(), "residents": residents.to_numpy()},
            geometry=blocks.geometry.representative_point().to_numpy(),
            crs=METRIC_CRS,
        )
        pts["council_id"] = assign_council_ids(pts, councils).to_numpy()
    else:
        pts = grid_points(councils)
    return pts[["id", "council_id", "residents", "geometry"]].reset_index(drop=True)


def grid_points(councils: gpd.GeoDataFrame, spacing_m: float = GRID_SPACING_M) -> gpd.GeoDataFrame:
    """A regular grid clipped to each council (EPSG:32719), residents shared evenly.

    A council without a population figure gives each of its points weight 1, so it still
    shows distances, but its resident totals are then point counts, not people.
    """
    rows = []
    for _, c in councils.iterrows():
        minx, miny, maxx, maxy = c.geometry.bounds
        xs = np.arange(minx + spacing_m / 2, maxx, spacing_m)
        ys = np.arange(miny + spacing_m / 2, maxy, spacing_m)
        gx, gy = np.meshgrid(xs, ys)
        cand = gpd.GeoSeries(gpd.points_from_xy(gx.ravel(), gy.ravel()), crs=METRIC_CRS)
        inside = cand[cand.within(c.geometry)]
        if len(inside) == 0:
            inside = gpd.GeoSeries([c.geometry.representative_point()], crs=METRIC_CRS)
        pop = c.get("population")
        weight = float(pop) / len(inside) if pd.notna(pop) else 1.0
        for k, geom in enumerate(inside):
            rows.append((f"{c['id']}-G{k + 1:04d}", c["id"], weight, Point(geom.x, geom.y)))
    if not rows:
        raise DemandError("councils: no council polygon to place demand points in")
    ids, council_ids, weights, geoms = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {"id": ids, "council_id": council_ids, "residents": weights},
        geometry=list(geoms),
        crs=METRIC_CRS,
    )
