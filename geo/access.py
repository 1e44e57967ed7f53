"""Access gaps: how far, on foot along the streets, residents live from cultural venues.

Every distance here is a network distance: demand points and venues are snapped onto their
nearest street segment (the perpendicular snap distance is added at both ends), walk along
that segment to either of its ends (or straight to a venue on the same segment) and the rest
of the walk follows the street graph (``geo.network``). Straight-line distance is never used as a
walking distance. Walking time = distance / walking speed (default 4.5 km/h).

Per council the result gives residents, venues, venues per 10,000 residents, the share of
residents within 5/10/15/20 minutes, the population-weighted mean and 90th-percentile
walking time, a two-step floating catchment (2SFCA) score and a gap rank (1 = worst).

- ``sfca_score``: per demand point A_i x 10,000 (see :func:`sfca_scores`: venues per 10,000
  residents within ``sfca_catchment_min``, each venue shared among all who can reach it);
  per council and for the area, the residents-weighted mean of the points' scores.
- ``gap_rank``: 1 = worst; lowest share within ``threshold_min`` first, then longer mean
  walking time, then council id (see :func:`gap_ranks`).
- ``p90_time_min``: the lower weighted 90th percentile (:func:`weighted_quantile`).
- Categories not counted (``AccessParams.categories``) still get their own
  ``time_min_<category>`` and ``venues_<category>`` columns; they only leave the overall
  figures (nearest venue, shares, means, 2SFCA, ``venues_total``, ``venues_per_10k``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import METRIC_CRS, WEB_CRS
from geo.demand import demand_points
from geo.join import assign_councils
from geo.layers import Layers
from geo.network import EdgeSnap, WalkNetwork, load_network, same_segment_pairs, to_metric
from geo.schema import CATEGORIES, COQUIMBO_BOUNDS, CULTURAL_CATEGORIES

AREA_ID = "parte_alta"
AREA_NAME = "Parte Alta"
PER_RESIDENTS = 10_000  # venues per 10,000 residents, and the 2SFCA score's unit
P90 = 0.9


class AccessError(ValueError):
    """The analysis cannot run on these inputs; the message says which input and why."""


def _fmt_minutes(t: float) -> str:
    return str(int(t)) if float(t).is_integer() else f"{t:g}"


def share_column(threshold_min: float) -> str:
    """Column name of the share of residents within ``threshold_min`` minutes."""
    return f"share_within_{_fmt_minutes(threshold_min)}min"


@dataclass(frozen=True)
class AccessParams:
    """What a planner can change. By default only the cultural venues proper count as
    offerings (``CULTURAL_CATEGORIES``: library, cultural centre, theatre, museum);
    ``categories=None`` counts every venue, and a tuple such as ("library",
    "cultural_centre") counts only those."""

    walking_speed_kmh: float = 4.5
    threshold_min: float = 15.0  # the main threshold ("within walking reach")
    thresholds_min: tuple[float, ...] = (5, 10, 15, 20)
    categories: tuple[str, ...] | None = CULTURAL_CATEGORIES
    sfca_catchment_min: float = 15.0

    def __post_init__(self) -> None:
        speed = self.walking_speed_kmh
        if not (isinstance(speed, int | float) and math.isfinite(speed) and 0 < speed <= 30):
            raise AccessError(f"walking speed must be a number of km/h in (0, 30], got {speed!r}")
        for name, t in [
            ("threshold", self.threshold_min),
            ("catchment", self.sfca_catchment_min),
            *[("thresholds", t) for t in self.thresholds_min],
        ]:
            if not (isinstance(t, int | float) and math.isfinite(t) and 0 < t <= 240):
                raise AccessError(f"{name} must be minutes in (0, 240], got {t!r}")
        object.__setattr__(self, "thresholds_min", tuple(float(t) for t in self.thresholds_min))
        if self.categories is not None:
            cats = tuple(dict.fromkeys(str(c).strip() for c in self.categories))
            unknown = [c for c in cats if c not in CATEGORIES]
            if unknown or not cats:
                raise AccessError(
                    f"unknown venue categories {unknown or '(none given)'}; "
                    f"choose from {', '.join(CATEGORIES)}"
                )
            object.__setattr__(self, "categories", cats)

    @property
    def metres_per_min(self) -> float:
        return self.walking_speed_kmh * 1000.0 / 60.0

    @property
    def all_thresholds(self) -> tuple[float, ...]:
        """The share thresholds, always including the main one, ascending."""
        return tuple(sorted({*self.thresholds_min, float(self.threshold_min)}))

    @property
    def counted_categories(self) -> tuple[str, ...]:
        return self.categories if self.categories is not None else CATEGORIES


@dataclass
class AccessResult:
    """Per demand point, per council and for the whole area (see module docstring)."""

    params: AccessParams
    demand: gpd.GeoDataFrame
    councils: gpd.GeoDataFrame
    area: dict = field(default_factory=dict)


# --- the network steps --------------------------------------------------------------------


def points_xy(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Point coordinates in EPSG:32719 metres, shape (n, 2)."""
    g = gdf.to_crs(METRIC_CRS).geometry
    return np.column_stack([g.x.to_numpy(), g.y.to_numpy()])


def nearest_venue(
    network: WalkNetwork, demand: EdgeSnap, venues: EdgeSnap
) -> tuple[np.ndarray, np.ndarray]:
    """Network distance (m) from each demand point to its nearest venue, and that venue's
    position. One multi-source Dijkstra from both ends of every venue's street segment;
    snap and along-the-segment walks at both ends (see ``WalkNetwork.nearest_snapped``)."""
    return network.nearest_snapped(venues, demand)


def sfca_scores(
    network: WalkNetwork,
    demand: EdgeSnap,
    residents: np.ndarray,
    venues: EdgeSnap,
    catchment_m: float,
    supply: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Two-step floating catchment (Luo & Wang 2003), binary catchment by network distance.

    Step 1: each venue j's ratio R_j = S_j / (residents within ``catchment_m`` of j), with
    S_j = 1 per venue (no capacity data) and R_j = 0 if nobody lives within reach.
    Step 2: each demand point's A_i = sum of R_j over venues within ``catchment_m`` of i.
    Returns (A_i * 10,000, R_j): A_i * 10,000 reads as "venues per 10,000 residents within
    walking reach, after sharing every venue with all who can reach it".
    """
    m = len(venues)
    s = np.ones(m) if supply is None else np.asarray(supply, dtype=float)
    a = np.zeros(len(demand))
    ratio = np.zeros(m)
    chunk = max(1, 20_000_000 // max(1, len(demand), network.n_nodes))
    for lo in range(0, m, chunk):
        hi = min(m, lo + chunk)
        d = network.distances_snapped(venues.take(slice(lo, hi)), demand, limit=catchment_m)
        within = d <= catchment_m  # (venues, demand)
        pop = within @ residents
        r = np.divide(s[lo:hi], pop, out=np.zeros(hi - lo), where=pop > 0)
        ratio[lo:hi] = r
        a += within.T @ r
    return a * PER_RESIDENTS, ratio


# --- aggregation ---------------------------------------------------------------------------


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Smallest value v such that residents with value <= v make up at least q of all.

    (The lower weighted quantile: "90% of residents walk at most this long".)
    """
    w = np.asarray(weights, dtype=float)
    v = np.asarray(values, dtype=float)
    keep = w > 0
    if not keep.any():
        return float("nan")
    v, w = v[keep], w[keep]
    order = np.argsort(v, kind="stable")
    cum = np.cumsum(w[order])
    k = int(np.searchsorted(cum, q * cum[-1] * (1 - 1e-12), side="left"))
    return float(v[order][min(k, len(v) - 1)])


def summarise(
    times: np.ndarray, residents: np.ndarray, sfca: np.ndarray, params: AccessParams
) -> dict[str, float]:
    """Residents-weighted figures of one group of demand points (a council or the area)."""
    total = float(residents.sum())
    out: dict[str, float] = {"residents": total}
    for t in params.all_thresholds:
        within = float(residents[times <= t + 1e-9].sum())
        out[share_column(t)] = within / total if total > 0 else float("nan")
    if total > 0:
        out["mean_time_min"] = float(np.dot(times, residents) / total)
        out["p90_time_min"] = weighted_quantile(times, residents, P90)
        out["sfca_score"] = float(np.dot(sfca, residents) / total)
    else:
        out.update(mean_time_min=np.nan, p90_time_min=np.nan, sfca_score=np.nan)
    return out


def gap_ranks(councils: pd.DataFrame, threshold_min: float) -> np.ndarray:
    """Gap rank, 1 = worst: lowest share of residents within the main threshold first;
    ties broken by the longer mean walking time, then by council id. Councils without
    residents have no gap to rank and come last."""
    share = councils[share_column(threshold_min)].fillna(np.inf)
    mean_t = councils["mean_time_min"].fillna(-np.inf)
    order = np.lexsort(
        (councils["id"].astype(str).to_numpy(), -mean_t.to_numpy(), share.to_numpy())
    )
    ranks = np.empty(len(councils), dtype=np.int64)
    ranks[order] = np.arange(1, len(councils) + 1)
    return ranks


def _venues_by_council(venues_m: gpd.GeoDataFrame, councils_m: gpd.GeoDataFrame) -> pd.Series:
    """Council of each venue, as in the layers summary (``geo.join``, same tolerance)."""
    return assign_councils(venues_m, councils_m)["council_id"]


# --- the entry point -----------------------------------------------------------------------


def _check_venues(venues: gpd.GeoDataFrame) -> None:
    bad = ~venues["category"].isin(CATEGORIES)
    if bad.any():
        row = venues.index[bad][0]
        raise AccessError(
            f"venues: venue {venues.loc[row, 'id']} (row {row}) has unknown category "
            f"{venues.loc[row, 'category']!r}; expected one of {', '.join(CATEGORIES)}"
        )
    if not venues.geometry.geom_type.eq("Point").all():
        raise AccessError("venues: every venue must be a Point")


def analyse(
    layers: Layers, params: AccessParams | None = None, network: WalkNetwork | None = None
) -> AccessResult:
    """The whole access analysis for the councils of ``layers`` (see module docstring)."""
    params = params or AccessParams()
    net = network if network is not None else load_network()
    demand = demand_points(layers)
    if len(demand) == 0:
        raise AccessError("population: no demand points (no blocks and no councils)")
    venues = layers.venues.to_crs(METRIC_CRS).reset_index(drop=True)
    _check_venues(venues)
    counted = venues["category"].isin(params.counted_categories).to_numpy()
    if not counted.any():
        raise AccessError(
            f"venues: no venue of the chosen categories ({', '.join(params.counted_categories)})"
        )
    residents = demand["residents"].to_numpy(dtype=float)
    d_snap = net.snap_edges(points_xy(demand))
    v_snap = net.snap_edges(points_xy(venues))
    speed = params.metres_per_min

    idx = np.flatnonzero(counted)
    dist, src = nearest_venue(net, d_snap, v_snap.take(idx))
    times = dist / speed
    out = demand[["id", "council_id"]].copy()
    out["residents"] = demand["residents"].to_numpy()
    near = np.where(src >= 0, idx[np.maximum(src, 0)], -1)
    out["nearest_venue_id"] = np.where(near >= 0, venues["id"].to_numpy()[near], None)
    out["nearest_venue_name"] = np.where(near >= 0, venues["name"].to_numpy()[near], None)
    out["dist_m"] = dist
    out["time_min"] = times
    out["snap_m"] = d_snap.snap_m
    out["within_threshold"] = times <= params.threshold_min + 1e-9
    for cat in CATEGORIES:
        cidx = np.flatnonzero(venues["category"].to_numpy() == cat)
        if len(cidx) == 0:
            out[f"time_min_{cat}"] = np.nan
            continue
        cd, _ = nearest_venue(net, d_snap, v_snap.take(cidx))
        out[f"time_min_{cat}"] = np.where(np.isfinite(cd), cd / speed, np.nan)
    sfca, _ratio = sfca_scores(
        net,
        d_snap,
        residents,
        v_snap.take(idx),
        params.sfca_catchment_min * speed,
    )
    out["sfca_score"] = sfca
    if not np.isfinite(times).all():  # cannot happen on one connected component
        raise AccessError("network: some residents cannot reach any venue along the streets")
    demand_gdf = gpd.GeoDataFrame(out, geometry=demand.geometry.to_numpy(), crs=METRIC_CRS)

    councils_m = layers.councils.to_crs(METRIC_CRS).reset_index(drop=True)
    venue_council = _venues_by_council(venues, councils_m)
    rows = []
    for _, c in councils_m.iterrows():
        sel = (demand_gdf["council_id"] == c["id"]).to_numpy()
        row = {"id": c["id"], "name": c["name"]}
        row.update(summarise(times[sel], residents[sel], sfca[sel], params))
        row["area_km2"] = c.geometry.area / 1e6
        row.update(_venue_counts(venues, venue_council == c["id"], counted, row["residents"]))
        rows.append(row)
    table = pd.DataFrame(rows)
    table["gap_rank"] = gap_ranks(table, params.threshold_min)
    whole_people = pd.api.types.is_integer_dtype(demand["residents"])
    if whole_people:  # block counts are people: keep them whole in the tables
        table["residents"] = table["residents"].round().astype("int64")
    columns = council_columns(params)
    councils_gdf = gpd.GeoDataFrame(
        table[columns], geometry=councils_m.geometry.to_numpy(), crs=METRIC_CRS
    ).to_crs(WEB_CRS)

    area = {"id": AREA_ID, "name": AREA_NAME}
    area.update(summarise(times, residents, sfca, params))
    area["area_km2"] = float(councils_m.geometry.union_all().area / 1e6)
    area.update(_venue_counts(venues, venue_council.notna(), counted, area["residents"]))
    if whole_people:
        area["residents"] = round(area["residents"])
    area = {k: _plain(area[k]) for k in columns if k in area}
    area["venues_outside_councils"] = int((venue_council.isna().to_numpy() & counted).sum())
    return AccessResult(params, demand_gdf.to_crs(WEB_CRS), councils_gdf, area)


def _venue_counts(
    venues: gpd.GeoDataFrame, in_place: pd.Series, counted: np.ndarray, residents: float
) -> dict:
    in_place = in_place.fillna(False).to_numpy(dtype=bool)
    out = {"venues_total": int((in_place & counted).sum())}
    for cat in CATEGORIES:
        out[f"venues_{cat}"] = int((in_place & (venues["category"].to_numpy() == cat)).sum())
    out["venues_per_10k"] = (
        out["venues_total"] / residents * PER_RESIDENTS if residents > 0 else float("nan")
    )
    return out


def council_columns(params: AccessParams) -> list[str]:
    """The councils table's columns, in order (without geometry)."""
    return [
        "id",
        "name",
        "residents",
        "area_km2",
        "venues_total",
        *[f"venues_{c}" for c in CATEGORIES],
        "venues_per_10k",
        *[share_column(t) for t in params.all_thresholds],
        "mean_time_min",
        "p90_time_min",
        "sfca_score",
        "gap_rank",
    ]


def _plain(v):
    """numpy scalars to plain Python (JSON); NaN to None."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


# --- point queries for the web API --------------------------------------------------------


class NearestIndex:
    """Nearest venues to any clicked point, in well under 10 ms per query.

    Built once: the full network distance from every venue to every street node (float32,
    nodes x venues), Dijkstra started from both ends of each venue's segment. A query snaps
    the point onto its nearest segment (STRtree), takes the better end of it (two rows),
    lets a venue on the same segment be reached straight along it, and picks the ``limit``
    smallest with ``argpartition``; no graph search at query time.
    """

    def __init__(
        self, network: WalkNetwork, venues: gpd.GeoDataFrame, walking_speed_kmh: float = 4.5
    ) -> None:
        AccessParams(walking_speed_kmh=walking_speed_kmh)  # same validation
        venues = venues.reset_index(drop=True)
        _check_venues(venues.to_crs(METRIC_CRS))
        self.network = network
        self.metres_per_min = walking_speed_kmh * 1000.0 / 60.0
        self._venues = network.snap_edges(points_xy(venues))
        self._dist = np.ascontiguousarray(
            network.distances_from(self._venues.ends, self._venues.end_offsets).T, np.float32
        )
        web = venues.to_crs(WEB_CRS)
        self._attrs = pd.DataFrame(
            {
                "id": web["id"].astype(str).to_numpy(),
                "name": web["name"].astype(str).to_numpy(),
                "category": web["category"].astype(str).to_numpy(),
                "address": web["address"].to_numpy() if "address" in web else None,
                "lon": web.geometry.x.to_numpy(),
                "lat": web.geometry.y.to_numpy(),
            }
        )
        self._category = self._attrs["category"].to_numpy()

    def query(
        self,
        lon: float,
        lat: float,
        categories: Sequence[str] | None = None,
        limit: int = 10,
    ) -> pd.DataFrame:
        """The ``limit`` nearest venues (optionally of some categories) by walking distance."""
        lon, lat = float(lon), float(lat)
        x0, y0, x1, y1 = COQUIMBO_BOUNDS
        if not (math.isfinite(lon) and math.isfinite(lat) and x0 <= lon <= x1 and y0 <= lat <= y1):
            raise ValueError(
                f"point ({lon}, {lat}) is not a longitude/latitude inside Coquimbo "
                f"(lon {x0}..{x1}, lat {y0}..{y1})"
            )
        if not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a positive whole number, got {limit!r}")
        here = self.network.snap_edges(to_metric([lon], [lat]))
        via_u = self._dist[here.u[0]].astype(np.float64) + here.to_u[0]
        via_v = self._dist[here.v[0]].astype(np.float64) + here.to_v[0]
        dist = np.minimum(via_u, via_v) + here.snap_m[0]
        _ti, same, direct = same_segment_pairs(self._venues, here)  # straight along the street
        np.minimum.at(dist, same, direct)
        cand = np.flatnonzero(np.isfinite(dist))
        if categories is not None:
            unknown = [c for c in categories if c not in CATEGORIES]
            if unknown:
                raise ValueError(f"unknown venue categories {unknown}")
            cand = cand[np.isin(self._category[cand], list(categories))]
        if limit < len(cand):
            cand = cand[np.argpartition(dist[cand], limit - 1)[:limit]]
        cand = cand[np.argsort(dist[cand], kind="stable")]
        out = self._attrs.iloc[cand].reset_index(drop=True)
        out.insert(4, "dist_m", dist[cand])
        out.insert(5, "time_min", dist[cand] / self.metres_per_min)
        return out[["id", "name", "category", "address", "dist_m", "time_min", "lon", "lat"]]


def build_nearest_index(
    network: WalkNetwork, venues: gpd.GeoDataFrame, walking_speed_kmh: float = 4.5
) -> NearestIndex:
    return NearestIndex(network, venues, walking_speed_kmh)
