"""Everything the web app serves, computed once at start and kept in ``app.extensions``.

Loading the layers, building the walking network and running the access analysis take
seconds; requests must take milliseconds, so all of it happens here, before serving.
"""

from __future__ import annotations

import contextlib
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.access import (
    AccessParams,
    AccessResult,
    NearestIndex,
    analyse,
    build_nearest_index,
)
from geo.access import share_column as access_share_column
from geo.layers import Layers, load_all
from geo.network import WalkNetwork, load_network
from geo.schema import CATEGORIES


@dataclass
class MapStore:
    """Layers, access results and the nearest-venue index of one data directory."""

    layers: Layers
    settings: dict[str, Any]
    councils: gpd.GeoDataFrame  # council figures (EPSG:4326), one row per council
    area: dict[str, Any]  # the same figures for the whole of Parte Alta
    nearest_index: NearestIndex
    result: AccessResult | None = None  # kept for the reports (webmap.report_routes)
    network: WalkNetwork | None = None
    extent: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # lon/lat box served
    cache: dict[str, Any] = field(default_factory=dict)  # rendered pages, GeoJSON...
    sites: gpd.GeoDataFrame | None = None  # the SITES_K best new workshop sites (area-wide)
    _sites_by_k: dict[int, gpd.GeoDataFrame] = field(default_factory=dict, repr=False)
    _sites_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def sites_k(self) -> int:
        return int(self.settings.get("SITES_K", 3))

    def sites_for(self, k: int) -> gpd.GeoDataFrame:
        """The ``k`` best sites; the configured k was computed at start, others on first ask
        (an exact optimisation takes up to a few seconds) and then kept."""
        if k not in self._sites_by_k:
            with self._sites_lock:
                if k not in self._sites_by_k:
                    self._sites_by_k[k] = area_sites(self.layers, self.network, self.result, k)
        return self._sites_by_k[k]

    @property
    def threshold_min(self) -> float:
        return float(self.settings["THRESHOLD_MIN"])

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

    def council_figures(self, council_id: str) -> dict[str, Any] | None:
        rows = self.councils[self.councils["id"] == council_id]
        if rows.empty:
            return None
        return figures_of(rows.iloc[0], self.share_column)


def share_column(threshold_min: float) -> str:
    """Name of the council column with the share of residents within the threshold."""
    return access_share_column(threshold_min)


def _clean(value: Any) -> Any:
    """JSON-safe scalar: numpy -> Python, NaN -> None."""
    if value is None:
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
        "venues_by_category": {c: _clean(row.get(f"venues_{c}")) or 0 for c in CATEGORIES},
        "share_within_threshold": _clean(row.get(share_col)),
        "mean_time_min": _clean(row.get("mean_time_min")),
        "p90_time_min": _clean(row.get("p90_time_min")),
        "gap_rank": _clean(row.get("gap_rank")),
        "area_km2": _clean(row.get("area_km2")),
    }


def _run_access(
    layers: Layers, settings: dict[str, Any]
) -> tuple[AccessResult, NearestIndex, WalkNetwork]:
    """The access analysis and the nearest-venue index, with the configured speed/threshold."""
    data_dir = Path(settings["DATA_DIR"])
    cache_dir = Path(settings["CACHE_DIR"])
    with contextlib.suppress(OSError):  # a read-only place only loses the network cache
        cache_dir.mkdir(parents=True, exist_ok=True)
    network = load_network(data_dir / "network" / "parte_alta.osm", cache_dir=cache_dir)
    params = AccessParams(
        walking_speed_kmh=float(settings["WALKING_SPEED_KMH"]),
        threshold_min=float(settings["THRESHOLD_MIN"]),
    )
    result = analyse(layers, params, network=network)
    index = build_nearest_index(network, layers.venues, params.walking_speed_kmh)
    return result, index, network


def area_sites(
    layers: Layers, network: WalkNetwork, result: AccessResult, k: int
) -> gpd.GeoDataFrame:
    """Where ``k`` new workshops would bring the most residents within walking reach of
    Parte Alta's cultural offerings: the same suggestion the downloads and reports show
    (``geo.export.suggest_default_sites``: exact MCLP over halls, schools, other venues)."""
    from geo.export import suggest_default_sites

    return suggest_default_sites(layers, network, result, k=k)


def build_store(settings: dict[str, Any]) -> MapStore:
    layers = load_all(settings["DATA_DIR"])
    result, index, network = _run_access(layers, settings)
    minx, miny, maxx, maxy = layers.councils.total_bounds
    pad = 0.01  # ~1 km: people just outside the border still get an answer
    store = MapStore(
        layers=layers,
        settings=settings,
        councils=result.councils,
        area=dict(result.area),
        nearest_index=index,
        result=result,
        network=network,
        extent=(minx - pad, miny - pad, maxx + pad, maxy + pad),
    )
    store.sites = store.sites_for(store.sites_k)
    return store
