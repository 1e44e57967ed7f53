"""What the web app serves: one :class:`geo.study.Study`, computed at start, plus caches.

Loading the layers, building the walking network and running the access analysis take
seconds; requests must take milliseconds, so the study's stages are all computed here,
before serving, and rendered pages and GeoJSON are kept in ``cache``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import METRIC_CRS
from geo.access import AccessResult, NearestIndex, share_column
from geo.layers import Layers
from geo.schema import category_ids
from geo.settings import Settings
from geo.study import Study
from geo.travel import TravelModel

EXTENT_PAD_DEG = 0.01  # ~1 km: people just outside the border still get an answer
HOME_SHARE = 0.9  # the first view frames the central 90 % of residents on each axis
SITES_PENDING = "sites_pending"  # cache flag: the sites are being computed after an edit
MIN_ZOOM = 9  # far localities (tens of km away) stay reachable by zooming out


@dataclass
class MapStore:
    """The study of one data folder and what the pages keep of it."""

    study: Study
    extent: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # lon/lat box served
    # the first view: where most residents live (a remote locality must not shrink the
    # city to a dot); lon/lat box like ``extent``
    home: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    cache: dict[str, Any] = field(default_factory=dict)  # rendered pages, GeoJSON...

    @property
    def settings(self) -> Settings:
        return self.study.settings

    @property
    def layers(self) -> Layers:
        return self.study.layers

    @property
    def travel(self) -> TravelModel:
        return self.study.travel

    @property
    def result(self) -> AccessResult:
        return self.study.access

    @property
    def councils(self) -> gpd.GeoDataFrame:
        """Council figures (EPSG:4326), one row per council."""
        return self.study.access.councils

    @property
    def area(self) -> dict[str, Any]:
        """The same figures for the whole area."""
        return self.study.access.area

    @property
    def nearest_index(self) -> NearestIndex:
        return self.study.nearest_index

    @property
    def sites_k(self) -> int:
        return self.settings.sites_k

    @property
    def sites(self) -> gpd.GeoDataFrame:
        """The ``sites_k`` best new workshop sites (area-wide)."""
        return self.study.sites()

    @property
    def sites_pending(self) -> bool:
        """True while the sites of a new inventory are computed in the background
        (webmap.workspace.refresh): pages say so instead of waiting or showing none."""
        return bool(self.cache.get(SITES_PENDING))

    def sites_for(self, k: int) -> gpd.GeoDataFrame:
        """The ``k`` best sites (an exact optimisation: seconds the first time, then kept)."""
        return self.study.sites(k)

    @property
    def threshold_min(self) -> float:
        return self.settings.threshold_min

    @property
    def share_column(self) -> str:
        return share_column(self.threshold_min)

    @property
    def counted_categories(self) -> tuple[str, ...]:
        """Categories that count as cultural offerings in the figures (geo.access)."""
        return tuple(self.result.params.counted_categories)

    @property
    def synthetic(self) -> bool:
        return bool(self.layers.manifest.get("synthetic"))

    def council_figures(self, council_id: str, level: str = "councils") -> dict[str, Any] | None:
        """The figures of one territory of ``level`` (a unit or a sector), None if unknown."""
        table = self.result.territories(level)
        rows = table[table["id"] == council_id]
        if rows.empty:
            return None
        return figures_of(rows.iloc[0], self.share_column)

    def nearest_records(self, lon: float, lat: float, categories: list[str] | None,
                        limit: int) -> list[dict[str, Any]]:
        """The ``limit`` nearest venues on foot as JSON-ready records (/api/nearest and
        the phone view's first answer, rendered in the page)."""
        # plain records, not a pandas frame: pandas was a third of a query's time (py-spy)
        rows = self.nearest_index.records(lon, lat, categories=categories, limit=limit)
        return [
            {
                "id": str(row["id"]),
                "name": str(row["name"]),
                "category": str(row["category"]),
                "address": _clean(row["address"]),
                "dist_m": round(row["dist_m"], 1),
                "time_min": round(row["time_min"], 1),
                "lon": round(row["lon"], 6),
                "lat": round(row["lat"], 6),
            }
            for row in rows
        ]

    def territory_layer(self, level: str) -> gpd.GeoDataFrame:
        """The boundaries of one territory level: the units (councils) or the sectors."""
        self.result.territories(level)  # refuses an unknown level
        return self.layers.councils if level == "councils" else self.layers.sectors

    @property
    def focus(self) -> dict[str, Any] | None:
        """The focus area's figures (``AccessResult.focus``), None without one."""
        return self.result.focus

    @property
    def first_view(self) -> tuple[float, float, float, float]:
        """Where the map opens: the focus area, else where most residents live."""
        focus = self.focus
        if not focus:
            return self.home
        sectors = self.layers.sectors
        chosen = sectors[sectors["id"].isin(focus["sectors"])]
        return tuple(float(v) for v in chosen.total_bounds)  # type: ignore[return-value]


def _clean(value: Any) -> Any:
    """JSON-safe scalar: numpy -> Python, NaN and pandas' NA -> None."""
    if value is None or value is pd.NA:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def figures_of(row: pd.Series, share_col: str) -> dict[str, Any]:
    """The figures shown for one council (popup, /api/councils/{id}, OGC properties)."""
    return {
        "id": str(row["id"]),
        "name": str(row["name"]),
        "residents": _clean(row.get("residents")),
        "venues_total": _clean(row.get("venues_total")),
        "venues_by_category": {c: _clean(row.get(f"venues_{c}")) or 0 for c in category_ids()},
        "share_within_threshold": _clean(row.get(share_col)),
        # residents in a piece of the walking network without any counted offering: never
        # within reach, left out of the mean (which describes the others; geo.access)
        "unreachable_residents": _clean(row.get("unreachable_residents")) or 0,
        "mean_time_min": _clean(row.get("mean_time_min")),
        "p90_time_min": _clean(row.get("p90_time_min")),
        "gap_rank": _clean(row.get("gap_rank")),
        "area_km2": _clean(row.get("area_km2")),
        **({"sector": _clean(row.get("sector"))} if "sector" in row else {}),
    }


def weighted_bounds(values: np.ndarray, weights: np.ndarray, share: float) -> tuple[float, float]:
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    tail = (1 - share) / 2 * cum[-1]
    lo = int(np.searchsorted(cum, tail, side="left"))
    hi = int(np.searchsorted(cum, cum[-1] - tail, side="left"))
    return float(values[order][lo]), float(values[order][min(hi, len(values) - 1)])


def home_bounds(layers: Layers, share: float = HOME_SHARE) -> tuple[float, float, float, float]:
    """The lon/lat box holding the central ``share`` of residents on each axis (block
    points), or the councils' bounds when there is nobody to weigh."""
    blocks = layers.population
    weights = blocks["residents"].to_numpy(dtype=float) if len(blocks) else np.zeros(0)
    if not len(blocks) or weights.sum() <= 0:
        return tuple(float(v) for v in layers.councils.total_bounds)  # type: ignore[return-value]
    points = blocks.geometry.to_crs(METRIC_CRS).representative_point().to_crs(blocks.crs)
    minx, maxx = weighted_bounds(points.x.to_numpy(), weights, share)
    miny, maxy = weighted_bounds(points.y.to_numpy(), weights, share)
    return (minx, miny, maxx, maxy)


def build_store(study: Study) -> MapStore:
    """Run every stage the pages need now, so that no request waits for them."""
    study.access, study.nearest_index, study.sites()  # noqa: B018 - computed for their cache
    minx, miny, maxx, maxy = study.layers.councils.total_bounds
    pad = EXTENT_PAD_DEG
    return MapStore(study=study, extent=(minx - pad, miny - pad, maxx + pad, maxy + pad),
                    home=home_bounds(study.layers))
