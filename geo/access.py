"""Access gaps: how far, on foot along the streets, residents live from cultural venues.

Every time here comes from the travel model (``geo.travel``): demand points and venues are
snapped onto it once, and the analysis reads minutes (nearest venue, who is within a
catchment). On a street network the walk goes to the nearest street, along it and through
the graph (``geo.network``); straight-line distance is never used as a walking distance.
Walking time = distance / walking speed (``Settings.walking_speed_kmh``).

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
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import METRIC_CRS, WEB_CRS
from geo.demand import demand_points
from geo.errors import CulturamapError
from geo.join import assign_councils
from geo.layers import Layers
from geo.network import to_metric
from geo.schema import COQUIMBO_BOUNDS, category_ids
from geo.settings import Settings, check_categories, check_minutes, check_speed
from geo.travel import MATCH_TOLERANCE_MIN, Placed, TravelModel

AREA_ID = "parte_alta"
AREA_NAME = "Parte Alta"
LEVELS: tuple[str, ...] = ("councils", "sectors")  # neighbourhood units, municipal sectors
PER_RESIDENTS = 10_000  # venues per 10,000 residents, and the 2SFCA score's unit
P90 = 0.9
SFCA_BLOCK_CELLS = 20_000_000  # venues x demand points held at once by sfca_scores


class AccessError(CulturamapError, ValueError):
    """The analysis cannot run on these inputs; the message says which input and why."""


def _fmt_minutes(t: float) -> str:
    return str(int(t)) if float(t).is_integer() else f"{t:g}"


def share_column(threshold_min: float) -> str:
    """Column name of the share of residents within ``threshold_min`` minutes."""
    return f"share_within_{_fmt_minutes(threshold_min)}min"


@dataclass(frozen=True)
class AccessParams:
    """The analysis' share of the settings (``geo.settings.Settings``, where the defaults
    and the checks live). By default only the cultural venues proper count as offerings;
    ``categories=None`` counts every venue, and a tuple such as ("library",
    "cultural_centre") counts only those."""

    walking_speed_kmh: float = Settings.walking_speed_kmh
    threshold_min: float = Settings.threshold_min  # the main threshold ("within walking reach")
    thresholds_min: tuple[float, ...] = Settings.thresholds_min
    categories: tuple[str, ...] | None = Settings.categories
    sfca_catchment_min: float = Settings.sfca_catchment_min
    focus_sectors: tuple[str, ...] = Settings.focus_sectors

    def __post_init__(self) -> None:
        checks = {  # field -> (how people call it, the settings' check)
            "walking_speed_kmh": ("walking speed", check_speed),
            "threshold_min": ("threshold", check_minutes),
            "sfca_catchment_min": ("catchment", check_minutes),
            "categories": ("categories", check_categories),
            "thresholds_min": ("thresholds", lambda ts: tuple(check_minutes(t) for t in ts)),
        }
        for name, (label, check) in checks.items():
            try:
                object.__setattr__(self, name, check(getattr(self, name)))
            except (TypeError, ValueError) as exc:
                raise AccessError(f"{label} {exc}, got {getattr(self, name)!r}") from None

    @classmethod
    def from_settings(cls, settings: Settings) -> AccessParams:
        return cls(
            walking_speed_kmh=settings.walking_speed_kmh,
            threshold_min=settings.threshold_min,
            thresholds_min=settings.thresholds_min,
            categories=settings.categories,
            sfca_catchment_min=settings.sfca_catchment_min,
            focus_sectors=settings.focus_sectors,
        )

    @property
    def metres_per_min(self) -> float:
        return self.walking_speed_kmh * 1000.0 / 60.0

    @property
    def all_thresholds(self) -> tuple[float, ...]:
        """The share thresholds, always including the main one, ascending."""
        return tuple(sorted({*self.thresholds_min, float(self.threshold_min)}))

    @property
    def counted_categories(self) -> tuple[str, ...]:
        return self.categories if self.categories is not None else category_ids()


@dataclass
class AccessResult:
    """Per demand point, per council and for the whole area (see module docstring)."""

    params: AccessParams
    demand: gpd.GeoDataFrame
    councils: gpd.GeoDataFrame
    area: dict = field(default_factory=dict)
    # the second territory level (municipal sectors), same columns as ``councils``
    sectors: gpd.GeoDataFrame | None = None
    # the focus area (Settings.focus_sectors): figures like ``area`` plus its sector ids;
    # None when no focus is set or none of its names is a known sector
    focus: dict | None = None
    focus_unknown: list[str] = field(default_factory=list)  # focus names matching no sector

    def territories(self, level: str) -> gpd.GeoDataFrame:
        """The figures of one territory level: "councils" or "sectors"."""
        if level not in LEVELS:
            raise AccessError(f"unknown territory level {level!r}; choose {', '.join(LEVELS)}")
        return self.councils if level == "councils" else self.sectors


# --- the travel steps ---------------------------------------------------------------------


def points_xy(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Point coordinates in EPSG:32719 metres, shape (n, 2)."""
    g = gdf.to_crs(METRIC_CRS).geometry
    return np.column_stack([g.x.to_numpy(), g.y.to_numpy()])


def sfca_scores(
    travel: TravelModel,
    demand: Placed,
    residents: np.ndarray,
    venues: Placed,
    catchment_min: float,
    supply: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Two-step floating catchment (Luo & Wang 2003), binary catchment by walking time.

    Step 1: each venue j's ratio R_j = S_j / (residents within ``catchment_min`` of j), with
    S_j = 1 per venue (no capacity data) and R_j = 0 if nobody lives within reach.
    Step 2: each demand point's A_i = sum of R_j over venues within ``catchment_min`` of i.
    Returns (A_i * 10,000, R_j): A_i * 10,000 reads as "venues per 10,000 residents within
    walking reach, after sharing every venue with all who can reach it".
    """
    m = len(venues)
    s = np.ones(m) if supply is None else np.asarray(supply, dtype=float)
    a = np.zeros(len(demand))
    ratio = np.zeros(m)
    chunk = max(1, SFCA_BLOCK_CELLS // max(1, len(demand)))  # bounded memory per block of venues
    for lo in range(0, m, chunk):
        hi = min(m, lo + chunk)
        within = travel.within(venues.take(slice(lo, hi)), demand, catchment_min)
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
    """Residents-weighted figures of one group of demand points (a council or the area).

    A resident who cannot reach any counted venue (a piece of the walking network without
    one, e.g. a remote locality) is never within a threshold, is counted in
    ``unreachable_residents`` and left out of the mean (which describes those who can walk
    to one); the 90th percentile counts them as infinitely far (None when they exceed 10%).
    """
    times = np.where(np.isfinite(times), times, np.inf)
    reach = np.isfinite(times)
    total = float(residents.sum())
    reachable = float(residents[reach].sum())
    out: dict[str, float] = {"residents": total, "unreachable_residents": total - reachable}
    for t in params.all_thresholds:
        within = float(residents[times <= t + MATCH_TOLERANCE_MIN].sum())
        out[share_column(t)] = within / total if total > 0 else float("nan")
    if total > 0:
        out["mean_time_min"] = (float(np.dot(times[reach], residents[reach]) / reachable)
                                if reachable > 0 else float("nan"))
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
    mean_t = councils["mean_time_min"].fillna(np.inf)  # nobody reaches an offering: worst
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
    known = category_ids()
    bad = np.flatnonzero(~venues["category"].isin(known).to_numpy())
    if len(bad):
        i = int(bad[0])  # counted from 1, like every other loader's message
        raise AccessError(
            f"venues: venue {venues['id'].iloc[i]} (row {i + 1}) has unknown category "
            f"{venues['category'].iloc[i]!r}; expected one of {', '.join(known)}"
        )
    if not venues.geometry.geom_type.eq("Point").all():
        raise AccessError("venues: every venue must be a Point")


def analyse(layers: Layers, params: AccessParams, travel: TravelModel) -> AccessResult:
    """The whole access analysis for the councils of ``layers`` (see module docstring)."""
    travel = travel.at_speed(params.walking_speed_kmh)
    demand = demand_points(layers)  # refuses a study with neither blocks nor councils
    venues = layers.venues.to_crs(METRIC_CRS).reset_index(drop=True)
    _check_venues(venues)
    counted = venues["category"].isin(params.counted_categories).to_numpy()
    if not counted.any():
        raise AccessError(
            f"venues: no venue of the chosen categories ({', '.join(params.counted_categories)})"
        )
    residents = demand["residents"].to_numpy(dtype=float)
    d_snap = travel.snap(points_xy(demand))
    v_snap = travel.snap(points_xy(venues))

    idx = np.flatnonzero(counted)
    times, src = travel.nearest(v_snap.take(idx), d_snap)
    out = demand[["id", "council_id"]].copy()
    out["residents"] = demand["residents"].to_numpy()
    near = np.where(src >= 0, idx[np.maximum(src, 0)], -1)
    out["nearest_venue_id"] = np.where(near >= 0, venues["id"].to_numpy()[near], None)
    out["nearest_venue_name"] = np.where(near >= 0, venues["name"].to_numpy()[near], None)
    unreachable = ~np.isfinite(times)  # a piece of the network without a counted venue
    out["dist_m"] = np.where(unreachable, np.nan, times * params.metres_per_min)
    out["time_min"] = np.where(unreachable, np.nan, times)
    out["snap_m"] = d_snap.snap_m
    out["within_threshold"] = times <= params.threshold_min + MATCH_TOLERANCE_MIN
    for cat in category_ids():
        cidx = np.flatnonzero(venues["category"].to_numpy() == cat)
        if len(cidx) == 0:
            out[f"time_min_{cat}"] = np.nan
            continue
        cat_times, _ = travel.nearest(v_snap.take(cidx), d_snap)
        out[f"time_min_{cat}"] = np.where(np.isfinite(cat_times), cat_times, np.nan)
    sfca, _ratio = sfca_scores(
        travel, d_snap, residents, v_snap.take(idx), params.sfca_catchment_min
    )
    out["sfca_score"] = sfca
    demand_gdf = gpd.GeoDataFrame(out, geometry=demand.geometry.to_numpy(), crs=METRIC_CRS)

    whole_people = pd.api.types.is_integer_dtype(demand["residents"])
    councils_m = layers.councils.to_crs(METRIC_CRS).reset_index(drop=True)
    venue_council = _venues_by_council(venues, councils_m)
    tables = TerritoryTables(params, times, residents, sfca, venues, counted, whole_people)
    councils_gdf = tables.table(councils_m, demand_gdf["council_id"].to_numpy(), venue_council)
    if "sector" in councils_m:  # each unit's municipal sector (largest overlap), for readers
        councils_gdf.insert(2, "sector", councils_m["sector"].to_numpy())

    sectors_m = layers.sectors.to_crs(METRIC_CRS).reset_index(drop=True)
    demand_sector = sector_of(demand_gdf, sectors_m)
    demand_gdf.insert(2, "sector_id", demand_sector)
    venue_sector = (_venues_by_council(venues, sectors_m).to_numpy(dtype=object)
                    if len(sectors_m) else np.full(len(venues), None, dtype=object))
    sectors_gdf = tables.table(sectors_m, demand_sector, venue_sector)

    named = layers.manifest.get("study_area") or {}
    area = {"id": named.get("id", AREA_ID), "name": named.get("name_es", AREA_NAME)}
    area.update(tables.figures(np.ones(len(times), dtype=bool), venue_council.notna(),
                               councils_m.geometry.union_all().area))
    area["venues_outside_councils"] = int((venue_council.isna().to_numpy() & counted).sum())
    # residents of blocks in no municipal sector (far localities): in the area, in no sector
    without = float(residents[pd.isna(demand_sector)].sum())
    area["residents_without_sector"] = round(without) if whole_people else without

    focus_ids, unknown = resolve_focus(layers.sectors, params.focus_sectors)
    focus = None
    if focus_ids:
        chosen = sectors_m.set_index("id").loc[focus_ids].reset_index()  # the planner's order
        focus = {"id": FOCUS_ID, "name": join_names(list(chosen["name"])),
                 "sectors": list(chosen["id"])}
        focus.update(tables.figures(np.isin(demand_sector, focus_ids),
                                    pd.Series(np.isin(venue_sector, focus_ids)),
                                    chosen.geometry.union_all().area))
    return AccessResult(params, demand_gdf.to_crs(WEB_CRS), councils_gdf, area,
                        sectors=sectors_gdf, focus=focus, focus_unknown=unknown)


FOCUS_ID = "focus"
SECTOR_SNAP_M = 250.0  # as for councils: a block point in a sliver joins the nearest sector


def sector_of(
    points: gpd.GeoDataFrame, sectors_m: gpd.GeoDataFrame, tolerance_m: float = SECTOR_SNAP_M
) -> np.ndarray:
    """Sector id of each point (the sector containing it, else the nearest within
    ``tolerance_m``), None where no sector is near: those residents count in the area and
    their council, and in no sector (they are reported, never dropped)."""
    if len(sectors_m) == 0:
        return np.full(len(points), None, dtype=object)
    joined = assign_councils(points, sectors_m, tolerance_m=tolerance_m)
    return joined["council_id"].to_numpy(dtype=object)


def resolve_focus(
    sectors: gpd.GeoDataFrame, names: Sequence[str]
) -> tuple[list[str], list[str]]:
    """The sector ids the focus names refer to (by id or name, ignoring case and accents),
    and the names that match no sector."""
    from geo.layers import sector_id

    by_key = {}
    for sid, name in zip(sectors["id"], sectors["name"], strict=True):
        by_key.setdefault(sector_id(sid), str(sid))
        by_key.setdefault(sector_id(name), str(sid))
    ids, unknown = [], []
    for name in names:
        sid = by_key.get(sector_id(name))
        if sid is None:
            unknown.append(name)
        elif sid not in ids:
            ids.append(sid)
    return ids, unknown


def join_names(names: Sequence[str]) -> str:
    """'A', 'A y B', 'A, B y C' (Spanish list, as the programme writes it)."""
    names = [str(n) for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " y " + names[-1]


@dataclass
class TerritoryTables:
    """The figures of any grouping of the demand points (councils, sectors, the focus area,
    the whole area), from one set of per-point times: one place, so every level agrees."""

    params: AccessParams
    times: np.ndarray
    residents: np.ndarray
    sfca: np.ndarray
    venues: gpd.GeoDataFrame
    counted: np.ndarray
    whole_people: bool

    def figures(self, points: np.ndarray, venues_in: pd.Series, area_m2: float) -> dict:
        """The summary of the demand points selected by ``points`` and the venues selected
        by ``venues_in`` (JSON-ready: plain numbers, None for NaN)."""
        out = {}
        out.update(summarise(self.times[points], self.residents[points], self.sfca[points],
                             self.params))
        out["area_km2"] = float(area_m2 / 1e6)
        out.update(_venue_counts(self.venues, venues_in, self.counted, out["residents"]))
        if self.whole_people:
            out["residents"] = round(out["residents"])
            out["unreachable_residents"] = round(out["unreachable_residents"])
        columns = council_columns(self.params)
        return {k: plain_value(out[k]) for k in columns if k in out}

    def table(
        self, territories_m: gpd.GeoDataFrame, point_territory: np.ndarray,
        venue_territory: pd.Series | np.ndarray,
    ) -> gpd.GeoDataFrame:
        """One row per territory (EPSG:4326), with its gap rank among them."""
        venue_territory = pd.Series(venue_territory)
        rows = []
        for _, t in territories_m.iterrows():
            sel = point_territory == t["id"]
            row = {"id": t["id"], "name": t["name"]}
            row.update(summarise(self.times[sel], self.residents[sel], self.sfca[sel],
                                 self.params))
            row["area_km2"] = t.geometry.area / 1e6
            row.update(_venue_counts(self.venues, venue_territory == t["id"], self.counted,
                                     row["residents"]))
            rows.append(row)
        columns = council_columns(self.params)
        table = pd.DataFrame(rows, columns=[c for c in columns if c != "gap_rank"])
        table["gap_rank"] = gap_ranks(table, self.params.threshold_min)
        if self.whole_people:  # block counts are people: keep them whole in the tables
            for column in ("residents", "unreachable_residents"):
                table[column] = table[column].round().astype("int64")
        return gpd.GeoDataFrame(
            table[columns], geometry=territories_m.geometry.to_numpy(), crs=METRIC_CRS
        ).to_crs(WEB_CRS)


def _venue_counts(
    venues: gpd.GeoDataFrame, in_place: pd.Series, counted: np.ndarray, residents: float
) -> dict:
    in_place = in_place.fillna(False).to_numpy(dtype=bool)
    out = {"venues_total": int((in_place & counted).sum())}
    for cat in category_ids():
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
        *[f"venues_{c}" for c in category_ids()],
        "venues_per_10k",
        *[share_column(t) for t in params.all_thresholds],
        "mean_time_min",
        "p90_time_min",
        "sfca_score",
        "unreachable_residents",
        "gap_rank",
    ]


def plain_value(v: Any) -> Any:
    """numpy scalars to plain Python (JSON); NaN and inf to None."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def whole_people(value: Any) -> Any:
    """A count of residents as people read it: whole blocks give a whole number (1100, not
    1100.0; float noise under a billionth rounded away), grid weights keep their fraction."""
    value = plain_value(value)
    if isinstance(value, float) and abs(value - round(value)) < 1e-9:
        return int(round(value))
    return value


# --- point queries for the web API --------------------------------------------------------


class NearestIndex:
    """Nearest venues to any clicked point, in well under 10 ms per query.

    Built once: the travel model's field of minutes from every venue (for a street network,
    the walk from every venue to every street node). A query snaps the point, reads its row
    of minutes and picks the ``limit`` smallest with ``argpartition``; no graph search at
    query time.
    """

    def __init__(self, travel: TravelModel, venues: gpd.GeoDataFrame) -> None:
        venues = venues.reset_index(drop=True)
        _check_venues(venues.to_crs(METRIC_CRS))
        self.travel = travel
        self.metres_per_min = travel.walking_speed_kmh * 1000.0 / 60.0
        self._field = travel.field(travel.snap(points_xy(venues)))
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
        # The same attributes as plain Python values, for answers built without pandas
        # (a web query is a few rows: pandas' per-call overhead was most of its cost).
        self._plain = self._attrs.astype(object).where(self._attrs.notna(), None).to_dict(
            "records")

    def query(
        self,
        lon: float,
        lat: float,
        categories: Sequence[str] | None = None,
        limit: int = 10,
    ) -> pd.DataFrame:
        """The ``limit`` nearest venues (optionally of some categories) by walking time."""
        cand, minutes = self.ranked(lon, lat, categories, limit)
        out = self._attrs.iloc[cand].reset_index(drop=True)
        out.insert(4, "dist_m", minutes * self.metres_per_min)
        out.insert(5, "time_min", minutes)
        return out[["id", "name", "category", "address", "dist_m", "time_min", "lon", "lat"]]

    def records(
        self,
        lon: float,
        lat: float,
        categories: Sequence[str] | None = None,
        limit: int = 10,
    ) -> list[dict[str, Any]]:
        """``query`` as plain dicts (Python values, None for missing): the web API's path."""
        cand, minutes = self.ranked(lon, lat, categories, limit)
        return [
            {**self._plain[i], "dist_m": m * self.metres_per_min, "time_min": m}
            for i, m in zip(cand.tolist(), minutes.tolist(), strict=True)
        ]

    def ranked(
        self,
        lon: float,
        lat: float,
        categories: Sequence[str] | None = None,
        limit: int = 10,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(venue positions, minutes) of the ``limit`` nearest venues, nearest first."""
        lon, lat = float(lon), float(lat)
        x0, y0, x1, y1 = COQUIMBO_BOUNDS
        if not (math.isfinite(lon) and math.isfinite(lat) and x0 <= lon <= x1 and y0 <= lat <= y1):
            raise ValueError(
                f"point ({lon}, {lat}) is not a longitude/latitude inside Coquimbo "
                f"(lon {x0}..{x1}, lat {y0}..{y1})"
            )
        if not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a positive whole number, got {limit!r}")
        minutes = self._field.to(self.travel.snap(to_metric([lon], [lat])))[0]
        cand = np.flatnonzero(np.isfinite(minutes))
        if categories is not None:
            unknown = [c for c in categories if c not in category_ids()]
            if unknown:
                raise ValueError(f"unknown venue categories {unknown}")
            cand = cand[np.isin(self._category[cand], list(categories))]
        if limit < len(cand):
            cand = cand[np.argpartition(minutes[cand], limit - 1)[:limit]]
        cand = cand[np.argsort(minutes[cand], kind="stable")]
        return cand, minutes[cand]
