"""Spatial join of venues, workshops and population blocks to council territories.

Why a tolerance: a venue digitised a few metres outside its council (on the street, over
a boundary drawn at a different scale) still belongs to that council; it is assigned to the
nearest territory within ``tolerance_m`` and flagged ``"nearest"`` so it can be checked.
Everything is measured in EPSG:32719 (metres), never in degrees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import METRIC_CRS, WEB_CRS
from geo.schema import category_ids

if TYPE_CHECKING:
    from geo.layers import Layers

DEFAULT_TOLERANCE_M = 50.0
WITHIN = "within"
NEAREST = "nearest"


def assign_councils(
    points: gpd.GeoDataFrame,
    councils: gpd.GeoDataFrame,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> gpd.GeoDataFrame:
    """Return a copy of ``points`` with ``council_id``, ``council_match`` and ``council_dist_m``.

    ``council_match`` is ``"within"`` when a territory contains the point (a point on a
    shared border goes to the first such council in file order), ``"nearest"`` when none
    does but one lies within ``tolerance_m`` metres (the first in file order of those
    equally near), and None otherwise (council_id None).
    ``council_dist_m`` is 0 for within and the distance to the nearest territory otherwise.
    """
    if points.crs is None or councils.crs is None:
        raise ValueError("assign_councils needs layers with a CRS / capas sin CRS")
    if tolerance_m < 0:
        raise ValueError("tolerance_m must be >= 0")
    pts = points.to_crs(METRIC_CRS).geometry.to_numpy()
    polys = councils.to_crs(METRIC_CRS).geometry.to_numpy()
    ids = councils["id"].to_numpy()
    n = len(pts)
    council_idx = np.full(n, -1)
    match = np.full(n, None, dtype=object)
    dist = np.full(n, np.nan)

    usable = ~(shapely.is_missing(pts) | shapely.is_empty(pts))
    tree = shapely.STRtree(polys)
    # Points as representative points so that the function also accepts polygons (blocks).
    probes = np.array(pts, dtype=object)
    probes[usable] = shapely.point_on_surface(pts[usable])
    pi, ci = tree.query(probes[usable], predicate="intersects")
    rows = np.flatnonzero(usable)[pi]
    order = np.lexsort((ci, rows))  # first council in file order wins on a shared border
    rows, ci = rows[order], ci[order]
    first = np.unique(rows, return_index=True)[1]
    council_idx[rows[first]] = ci[first]
    match[rows[first]] = WITHIN
    dist[rows[first]] = 0.0

    rest = np.flatnonzero(usable & (council_idx < 0))
    if rest.size and len(polys):
        (qi, ni), d = tree.query_nearest(probes[rest], return_distance=True, all_matches=True)
        order = np.lexsort((ni, qi))  # equally near: the first council in file order, as on
        qi, ni, d = qi[order], ni[order], d[order]  # a border (the tree's order is not it)
        first = np.unique(qi, return_index=True)[1]
        rows, ni, d = rest[qi[first]], ni[first], d[first]
        dist[rows] = d
        near = d <= tolerance_m
        council_idx[rows[near]] = ni[near]
        match[rows[near]] = NEAREST

    out = points.copy()
    out["council_id"] = pd.Series(
        [ids[c] if c >= 0 else None for c in council_idx], index=points.index, dtype=object
    )
    out["council_match"] = pd.Series(match, index=points.index, dtype=object)
    out["council_dist_m"] = pd.Series(dist, index=points.index)
    return out


def council_summary(layers: Layers, tolerance_m: float = DEFAULT_TOLERANCE_M) -> gpd.GeoDataFrame:
    """One row per council (EPSG:4326): venue counts by category, population, area in km².

    ``population`` is the council's own figure when the file has it, else the sum of the
    residents of the blocks whose representative point falls in the territory
    (``population_source`` says which); ``residents_blocks`` always holds that block sum so
    the two can be compared. ``area_km2`` is measured in EPSG:32719.
    """
    councils = layers.councils
    venues = assign_councils(layers.venues, councils, tolerance_m)
    workshops = assign_councils(layers.workshops, councils, tolerance_m)
    blocks = assign_councils(layers.population, councils, tolerance_m=0.0)

    out = councils[["id", "name", "code", "sector"]].copy()
    by_id = out["id"]
    counts = (
        venues.dropna(subset=["council_id"])
        .groupby(["council_id", "category"])
        .size()
        .unstack(fill_value=0)
    )
    known = category_ids()
    for category in known:
        col = counts[category] if category in counts.columns else pd.Series(dtype="int64")
        out[f"venues_{category}"] = by_id.map(col).fillna(0).astype("int64").to_numpy()
    out["venues_total"] = out[[f"venues_{c}" for c in known]].sum(axis=1).astype("int64")
    flagged = venues[venues["council_match"] == NEAREST].groupby("council_id").size()
    out["venues_flagged_nearest"] = by_id.map(flagged).fillna(0).astype("int64").to_numpy()
    hosted = workshops.dropna(subset=["council_id"]).groupby("council_id").size()
    out["workshops_hosted"] = by_id.map(hosted).fillna(0).astype("int64").to_numpy()

    block_sum = blocks.dropna(subset=["council_id"]).groupby("council_id")["residents"].sum()
    residents_blocks = by_id.map(block_sum).fillna(0).astype("int64")
    own = pd.array(councils["population"], dtype="Int64")
    has_own = ~pd.isna(own)
    out["population"] = np.where(has_own, own.fillna(0), residents_blocks).astype("int64")
    out["population_source"] = np.where(has_own, "council", "blocks")
    out["residents_blocks"] = residents_blocks.to_numpy()
    out["area_km2"] = councils.to_crs(METRIC_CRS).geometry.area.to_numpy() / 1e6
    summary = gpd.GeoDataFrame(out, geometry=councils.geometry.to_crs(WEB_CRS), crs=WEB_CRS)
    summary.attrs = {}  # not the councils file's load warnings
    summary.attrs["unassigned_venues"] = venues.loc[venues["council_id"].isna(), "id"].tolist()
    summary.attrs["unassigned_blocks"] = blocks.loc[blocks["council_id"].isna(), "id"].tolist()
    summary.attrs["tolerance_m"] = tolerance_m
    return summary
