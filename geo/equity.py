"""Equity: for whom culture is far. The access figures broken down by social group.

Why: the programme exists to favour vulnerable neighbourhoods (Agenda 21 for culture,
section 28); an average over a council hides who is left out. For the area and each
council, every figure of ``geo.access.summarise`` (residents, share within each threshold,
mean and lower-90th-percentile walking time, 2SFCA score, unreachable residents) is given
for each group, computed from the SAME per-block times as the access figures:

- socio-economic group of the census 2024 block: ``gse`` (ABC1 most advantaged ... E
  least) and income ``quintil`` (Q1 lowest ... Q5); blocks without a value are left out of
  that breakdown only (counted in ``residents_without_group``);
- age group (0-14, 15-64, 65+): the census 2024 blocks carry no ages, so EACH BLOCK INHERITS
  THE AGE SHARES OF THE 2017 CENSUS ZONE CONTAINING ITS DEMAND POINT (its representative
  point), and its residents are split by those shares (:data:`AGE_METHOD`). Blocks outside
  every 2017 zone are left out of the age breakdown (``residents_without_zone``).

Headline per place: the gap in the share within the main threshold between the richest
and the poorest income quintile (Q5 minus Q1; positive = the richer are better served), the
same between the most and the least advantaged GSE classes present, and a concentration
index of walking time over the socio-economic score (:func:`concentration_index`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import METRIC_CRS
from geo.access import (
    AccessParams,
    AccessResult,
    plain_value,
    share_column,
    summarise,
    whole_people,
)
from geo.errors import CulturamapError
from geo.layers import Layers

GSE_ORDER: tuple[str, ...] = ("ABC1", "C1", "C2", "C3", "D", "E")  # most -> least advantaged
QUINTILES: tuple[str, ...] = ("Q1", "Q2", "Q3", "Q4", "Q5")  # Q1 = lowest income
AGE_GROUPS: tuple[str, ...] = ("age_0_14", "age_15_64", "age_65_plus")
AGE_METHOD = (
    "Census 2024 blocks carry no ages: each block inherits the age shares (0-14, 15-64, 65+) "
    "of the census 2017 zone containing its demand point, and its 2024 residents are split "
    "by those shares. Blocks outside every 2017 zone are left out of the age breakdown."
)
CI_METHOD = (
    "Concentration index of walking time over the socio-economic score (nse_score): "
    "CI = 2 cov(h, r) / mean(h), h = walking time of the block (minutes), r = residents-"
    "weighted fractional rank by nse_score, poorest first (Kakwani, Wagstaff & van "
    "Doorslaer 1997; O'Donnell et al. 2008). Negative: longer walks concentrate among the "
    "less advantaged. Blocks without a score or without a reachable offering are left out."
)


class EquityError(CulturamapError, ValueError):
    """The equity figures cannot be made from these inputs; the message says which."""


@dataclass
class EquityResult:
    """Equity figures of the whole area and of each council (plain JSON-ready dicts)."""

    area: dict[str, Any]
    councils: dict[str, dict[str, Any]] = field(default_factory=dict)


# --- the concentration index ---------------------------------------------------------------


def fractional_rank(values: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Weighted fractional rank in (0, 1), lowest value first: the midpoint of the share of
    the population each unit occupies in the ranking. Ties share the midpoint of their
    common interval, so the order of tied units does not matter."""
    v = np.asarray(values, dtype=float)
    w = np.ones(len(v)) if weights is None else np.asarray(weights, dtype=float)
    total = w.sum()
    order = np.argsort(v, kind="stable")
    sv, sw = v[order], w[order]
    starts = np.flatnonzero(np.r_[True, sv[1:] != sv[:-1]])
    group_w = np.add.reduceat(sw, starts)
    before = np.cumsum(group_w) - group_w
    mid = (before + group_w / 2.0) / total
    ranks = np.empty(len(v))
    ranks[order] = np.repeat(mid, np.diff(np.r_[starts, len(sv)]))
    return ranks


def concentration_index(h: np.ndarray, rank_by: np.ndarray,
                        weights: np.ndarray | None = None) -> float:
    """CI = 2 cov_w(h, r) / mean_w(h) with r the weighted fractional rank of ``rank_by``
    (see :data:`CI_METHOD`); NaN when fewer than two units or a zero mean."""
    h = np.asarray(h, dtype=float)
    w = np.ones(len(h)) if weights is None else np.asarray(weights, dtype=float)
    keep = np.isfinite(h) & np.isfinite(np.asarray(rank_by, dtype=float)) & (w > 0)
    if keep.sum() < 2:
        return float("nan")
    h, w, by = h[keep], w[keep], np.asarray(rank_by, dtype=float)[keep]
    mean_h = np.average(h, weights=w)
    if mean_h == 0:
        return float("nan")
    r = fractional_rank(by, w)
    cov = np.average((h - mean_h) * (r - np.average(r, weights=w)), weights=w)
    return float(2.0 * cov / mean_h)


# --- the per-block table -------------------------------------------------------------------


def load_zones(layers: Layers) -> gpd.GeoDataFrame | None:
    """The 2017 census zones with age groups (``layers.zones``, an optional layer read by
    ``geo.layers`` with the same checks as every layer); None when there are none."""
    zones = getattr(layers, "zones", None)
    return zones if zones is not None and len(zones) > 0 else None


def zone_age_shares(points: gpd.GeoSeries, zones: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Age shares of the 2017 zone containing each point (NaN outside every zone), one
    column per :data:`AGE_GROUPS`. Shares are of the zone's three age groups together."""
    out = pd.DataFrame(np.nan, index=range(len(points)), columns=list(AGE_GROUPS))
    if zones is None or len(zones) == 0:
        return out
    missing = [c for c in AGE_GROUPS if c not in zones]
    if missing:
        raise EquityError(f"zones: missing age columns {missing}")
    z = zones.to_crs(METRIC_CRS).reset_index(drop=True)
    counts = z[list(AGE_GROUPS)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.full_like(counts, np.nan), where=totals > 0)
    pts = gpd.GeoSeries(points.to_numpy(), crs=points.crs).to_crs(METRIC_CRS)
    pi, zi = z.sindex.query(pts, predicate="within")
    first = pd.Series(zi).groupby(pi).min()  # a point on a shared border: the first zone
    out.iloc[first.index.to_numpy()] = shares[first.to_numpy()]
    return out


def block_table(access: AccessResult, layers: Layers,
                zones: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """One row per demand point: council, residents, time (NaN unreachable), 2SFCA score,
    the block's gse / quintil / nse_score (None or NaN when the census lacks them) and the
    age shares of its 2017 zone."""
    demand = access.demand.reset_index(drop=True)
    table = pd.DataFrame({
        "id": demand["id"].astype(str).to_numpy(),
        "council_id": demand["council_id"].astype(str).to_numpy(),
        "residents": demand["residents"].to_numpy(dtype=float),
        "time_min": demand["time_min"].to_numpy(dtype=float),
        "sfca_score": demand["sfca_score"].to_numpy(dtype=float),
    })
    pop = layers.population
    by_id = pop.assign(id=pop["id"].astype(str)).drop_duplicates("id").set_index("id")
    for column in ("gse", "quintil"):
        raw = (by_id[column].reindex(table["id"]).tolist() if column in by_id
               else [None] * len(table))
        table[column] = pd.Series([_label(v) for v in raw], dtype=object)
    nse = by_id["nse_score"].reindex(table["id"]) if "nse_score" in by_id else None
    table["nse_score"] = (pd.to_numeric(nse, errors="coerce").to_numpy(dtype=float)
                          if nse is not None else np.nan)
    ages = zone_age_shares(demand.geometry, zones)
    for column in AGE_GROUPS:
        table[f"share_{column}"] = ages[column].to_numpy()
    return table


# --- the figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rows:
    """The block table as arrays (pandas indexing per group is ten times slower)."""

    residents: np.ndarray
    time: np.ndarray
    sfca: np.ndarray
    gse: np.ndarray  # object: labels, "" where missing
    quintil: np.ndarray
    nse: np.ndarray
    ages: np.ndarray  # (n, 3) zone shares, NaN outside every zone

    @classmethod
    def of(cls, table: pd.DataFrame) -> _Rows:
        def labels(column: str) -> np.ndarray:  # NaN too: a table from elsewhere may hold it
            return np.array([_label(v) or "" for v in table[column]], dtype=object)

        return cls(table["residents"].to_numpy(dtype=float),
                   table["time_min"].to_numpy(dtype=float),
                   table["sfca_score"].to_numpy(dtype=float), labels("gse"), labels("quintil"),
                   table["nse_score"].to_numpy(dtype=float),
                   table[[f"share_{a}" for a in AGE_GROUPS]].to_numpy(dtype=float))

    def take(self, idx: np.ndarray) -> _Rows:
        return _Rows(*(getattr(self, f.name)[idx] for f in dataclasses.fields(self)))


def _figures(rows: _Rows, params: AccessParams, sel: np.ndarray | None = None,
             weights: np.ndarray | None = None) -> dict[str, Any]:
    sel = np.ones(len(rows.residents), dtype=bool) if sel is None else sel
    w = rows.residents[sel] if weights is None else weights[sel]
    out = summarise(rows.time[sel], w, rows.sfca[sel], params)
    out = {k: plain_value(v) for k, v in out.items()}
    for key in ("residents", "unreachable_residents"):
        out[key] = whole_people(out.get(key))
    return out


def _by_group(rows: _Rows, labels: np.ndarray, order: tuple[str, ...],
              params: AccessParams) -> dict[str, dict[str, Any]]:
    found = set(labels) - {""}
    present = [g for g in order if g in found] + sorted(found - set(order))  # unknown last
    return {g: _figures(rows, params, labels == g) for g in present}


def place_equity(table: pd.DataFrame | _Rows, params: AccessParams) -> dict[str, Any]:
    """Every figure for one place (a council or the area) from its rows of the block
    table: overall, by GSE, by quintile, by age group, and the headline."""
    rows = table if isinstance(table, _Rows) else _Rows.of(table)
    share_col = share_column(params.threshold_min)
    by_gse = _by_group(rows, rows.gse, GSE_ORDER, params)
    by_quintile = _by_group(rows, rows.quintil, QUINTILES, params)
    by_age: dict[str, dict[str, Any]] = {}
    zoned = np.isfinite(rows.ages).all(axis=1)
    if zoned.any():
        for k, age in enumerate(AGE_GROUPS):
            weights = rows.residents * np.nan_to_num(rows.ages[:, k])
            by_age[age] = _figures(rows, params, zoned, weights)
    residents = rows.residents

    def share(groups: dict[str, dict[str, Any]], key: str) -> float | None:
        return (groups.get(key) or {}).get(share_col)

    q1, q5 = share(by_quintile, "Q1"), share(by_quintile, "Q5")
    gse_present = [g for g in GSE_ORDER if g in by_gse and by_gse[g]["residents"]]
    most = gse_present[0] if gse_present else None
    least = gse_present[-1] if gse_present else None
    g_most, g_least = share(by_gse, most or ""), share(by_gse, least or "")
    scored = np.isfinite(rows.nse) & np.isfinite(rows.time)
    ci = concentration_index(rows.time, rows.nse, residents)
    return {
        **_figures(rows, params),
        "headline": {
            "share_gap_q5_minus_q1": _gap(q5, q1),
            "share_q1": q1,
            "share_q5": q5,
            "gse_most_advantaged": most,
            "gse_least_advantaged": least,
            "share_gap_gse": _gap(g_most, g_least) if most != least else None,
            "concentration_index_time_nse": plain_value(ci),
            "concentration_index_residents": round(float(residents[scored].sum())),
        },
        "by_gse": by_gse,
        "by_quintile": by_quintile,
        "by_age": by_age,
        "residents_without_gse": round(float(residents[rows.gse == ""].sum())),
        "residents_without_quintile": round(float(residents[rows.quintil == ""].sum())),
        "residents_without_zone": round(float(residents[~zoned].sum())),
    }


def _label(value: Any) -> str | None:
    """A group label as text; None for missing values (None, NaN, blank)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _gap(high: float | None, low: float | None) -> float | None:
    return None if high is None or low is None else float(high) - float(low)


def method(params: AccessParams) -> dict[str, Any]:
    """How the figures were made, stated next to them (API, downloads)."""
    return {
        "threshold_min": params.threshold_min,
        "share_column": share_column(params.threshold_min),
        "gse_order": list(GSE_ORDER),
        "quintiles": list(QUINTILES),
        "groups": "census 2024 block gse / quintil (geochile-compass); nse_score for the CI",
        "share_gap": "share within the threshold of Q5 minus Q1 (and of the most minus the "
                     "least advantaged GSE class present); positive = the advantaged are "
                     "better served",
        "age_method": AGE_METHOD,
        "concentration_index": CI_METHOD,
    }


def analyse_equity(access: AccessResult, layers: Layers) -> EquityResult:
    """Equity figures of the area and of each council (see module docstring)."""
    table = block_table(access, layers, load_zones(layers))
    params = access.params
    rows = _Rows.of(table)
    area = {"id": access.area.get("id"), "name": access.area.get("name"),
            **place_equity(rows, params), "method": method(params)}
    councils = {}
    by_council = pd.Series(np.arange(len(table))).groupby(table["council_id"].to_numpy())
    index = {str(k): v.to_numpy() for k, v in by_council}
    for cid, name in zip(access.councils["id"], access.councils["name"], strict=True):
        own = rows.take(index.get(str(cid), np.empty(0, dtype=np.int64)))
        councils[str(cid)] = {"id": str(cid), "name": str(name), **place_equity(own, params)}
    return EquityResult(area=area, councils=councils)


def _slug(label: str) -> str:
    return label.strip().lower()


def council_table(result: EquityResult, councils: gpd.GeoDataFrame,
                  params: AccessParams) -> gpd.GeoDataFrame:
    """The downloadable equity layer: one row per council (its polygon, EPSG:4326) with a
    FIXED set of flat columns (every quintile, GSE class and age group, empty where a
    council has none), so that files of different councils and data sets line up."""
    share_col = share_column(params.threshold_min)
    rows = []
    for cid in councils["id"].astype(str):
        figures = result.councils.get(cid) or {}
        head = figures.get("headline") or {}
        row: dict[str, Any] = {"id": cid, "name": figures.get("name"),
                               "residents": figures.get("residents"),
                               share_col: figures.get(share_col),
                               "mean_time_min": figures.get("mean_time_min"),
                               "p90_time_min": figures.get("p90_time_min"),
                               "sfca_score": figures.get("sfca_score")}
        groups = [("by_quintile", q, _slug(q)) for q in QUINTILES]
        groups += [("by_gse", g, "gse_" + _slug(g)) for g in GSE_ORDER]
        groups += [("by_age", a, a) for a in AGE_GROUPS]
        for kind, key, name in groups:
            group = (figures.get(kind) or {}).get(key) or {}
            row[f"residents_{name}"] = group.get("residents")
            row[f"share_{name}"] = group.get(share_col)
            row[f"mean_time_{name}"] = group.get("mean_time_min")
        row.update({k: head.get(k) for k in ("share_gap_q5_minus_q1", "gse_most_advantaged",
                                              "gse_least_advantaged", "share_gap_gse",
                                              "concentration_index_time_nse")})
        rows.append(row)
    table = pd.DataFrame(rows)
    for column in table.columns:  # numbers stay numbers even where every value is empty
        if column not in ("id", "name", "gse_most_advantaged", "gse_least_advantaged"):
            table[column] = pd.to_numeric(table[column], errors="coerce").astype(float)
    return gpd.GeoDataFrame(table, geometry=councils.geometry.to_numpy(), crs=councils.crs)
