"""Where to hold the next workshops: sites that bring the most uncovered residents within
walking reach (maximal covering location problem, solved exactly).

Why exact and not greedy: picking the best site, then the next best, can miss the best
pair (two sites that each cover a little less but together much more). spopt's MCLP is
solved to optimality with pulp's bundled CBC; the greedy order is used only to *report*
each chosen site's marginal gain ("residents newly covered").

Coverage is by walking time from the travel model (``geo.travel``), the same as the access
analysis: a resident is covered by a site if the walk, snap distances included, takes at
most the threshold. Only residents not already within the threshold of a counted venue carry weight.
"""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pulp
from spopt.locate import MCLP

from geo import WEB_CRS
from geo.access import AccessResult, points_xy
from geo.errors import CulturamapError
from geo.layers import Layers
from geo.schema import COQUIMBO_BOUNDS, HOST, OFFERING, category_ids
from geo.settings import SITES_K_RANGE
from geo.travel import MATCH_TOLERANCE_MIN, TravelModel

MIN_K, MAX_K = SITES_K_RANGE
MAX_CANDIDATE_SNAP_M = 500.0  # a candidate farther than this from any street is an error
SNAP_TOLERANCE_M = 1e-6  # lon/lat <-> UTM round trips move a point by nanometres
SOLVER_TIME_LIMIT_S = 60

OUTPUT_COLUMNS = [
    "rank",
    "candidate_id",
    "name",
    "category",
    "newly_covered",
    "cumulative_covered",
    "councils",
    "snap_m",
]


class SitingError(CulturamapError, ValueError):
    """Bad input to site suggestion; the message names the input, the row and the problem."""


def check_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not MIN_K <= k <= MAX_K:
        raise SitingError(f"k must be a whole number from {MIN_K} to {MAX_K}, got {k!r}")
    return int(k)


def default_candidates(layers: Layers, counted: tuple[str, ...]) -> gpd.GeoDataFrame:
    """Venues that can host a workshop and are not already counted as offerings."""
    v = layers.venues
    keep = v["category"].isin(category_ids(HOST)) & ~v["category"].isin(counted)
    if not keep.any():
        raise SitingError(
            f"no default candidate sites: every venue that can host a workshop "
            f"({', '.join(category_ids(HOST))}) already counts as a cultural offering. Count "
            f"fewer categories (for example {','.join(category_ids(OFFERING))}) or give "
            "candidate sites"
        )
    return clean_candidates(v[keep], "venues")


def clean_candidates(candidates: gpd.GeoDataFrame, source: str = "candidates") -> gpd.GeoDataFrame:
    """Check planner-given sites: points with a CRS, inside Coquimbo. Returns EPSG:4326
    with candidate_id, name, category (generated when the input lacks them)."""
    if not isinstance(candidates, gpd.GeoDataFrame) or len(candidates) == 0:
        raise SitingError(f"{source}: no candidate sites given")
    if candidates.crs is None:
        raise SitingError(f"{source}: the candidate layer has no CRS")
    c = candidates.to_crs(WEB_CRS).reset_index(drop=True)
    x0, y0, x1, y1 = COQUIMBO_BOUNDS
    for i, geom in enumerate(c.geometry):
        if geom is None or geom.is_empty or geom.geom_type != "Point":
            kind = "empty" if geom is None or geom.is_empty else geom.geom_type
            raise SitingError(f"{source}: row {i + 1} is {kind}, not a point")
        if not (x0 <= geom.x <= x1 and y0 <= geom.y <= y1):
            raise SitingError(
                f"{source}: row {i + 1} ({geom.x:.5f}, {geom.y:.5f}) lies outside Coquimbo "
                f"(lon {x0}..{x1}, lat {y0}..{y1}); are longitude and latitude swapped?"
            )
    ids = c["id"].astype(str) if "id" in c else pd.Series([f"C-{i + 1:03d}" for i in c.index])
    if ids.duplicated().any():
        raise SitingError(f"{source}: candidate id {ids[ids.duplicated()].iloc[0]!r} repeats")
    out = gpd.GeoDataFrame(
        {
            "candidate_id": ids.to_numpy(),
            "name": c["name"].fillna("").astype(str).to_numpy() if "name" in c else "",
            "category": c["category"].fillna("").astype(str).to_numpy()
            if "category" in c
            else "candidate",
        },
        geometry=c.geometry.to_numpy(),
        crs=WEB_CRS,
    )
    return out


def walk_times(
    travel: TravelModel, demand_xy: np.ndarray, site_xy: np.ndarray, limit_min: float
) -> tuple[np.ndarray, np.ndarray]:
    """Walking time (min) from every site to every demand point, shape (demand, sites);
    inf beyond ``limit_min``. Also returns the sites' snap distances (m)."""
    demand = travel.snap(demand_xy)
    sites = travel.snap(site_xy)
    return travel.minutes(sites, demand, limit_min).T, sites.snap_m


def solve_mclp(covers: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` columns of the boolean (demand, sites) matrix that together
    cover the largest total weight, solved exactly with spopt's MCLP and CBC."""
    cost = np.where(covers, 0.0, 2.0)  # covered <=> cost <= 1
    with warnings.catch_warnings():
        # PuLP 3.3 warns about its own 4.0 API (Python >= 3.12 only); spopt 0.7 uses the 3.x one
        warnings.simplefilter("ignore", DeprecationWarning)
        model = MCLP.from_cost_matrix(cost, weights, service_radius=1.0, p_facilities=k)
        model = model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=SOLVER_TIME_LIMIT_S))
    status = pulp.LpStatus[model.problem.status]
    if status != "Optimal":
        raise SitingError(f"the site optimisation ended as {status!r}, not optimal")
    chosen = [j for j, var in enumerate(model.fac_vars) if (var.varValue or 0) > 0.5]
    return np.array(chosen, dtype=np.int64)


def greedy_order(covers: np.ndarray, weights: np.ndarray, chosen: np.ndarray) -> list:
    """Order the chosen sites by marginal gain (largest first) and give each its gain."""
    left = list(chosen)
    covered = np.zeros(covers.shape[0], dtype=bool)
    order = []
    while left:
        gains = [float(weights[covers[:, j] & ~covered].sum()) for j in left]
        best = int(np.argmax(gains))
        j = left.pop(best)
        order.append((j, gains[best], covers[:, j] & ~covered))
        covered |= covers[:, j]
    return order


def suggest_sites(
    result: AccessResult,
    layers: Layers,
    travel: TravelModel,
    k: int,
    candidates: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Up to ``k`` (1..10) sites that together cover the most residents who are not yet
    within ``result.params.threshold_min`` of a counted venue.

    Rows are ordered by marginal gain; ``newly_covered`` is what each site adds to those
    above it, ``cumulative_covered`` the running total. Sites that would add nobody are left
    out (so fewer than ``k`` rows can come back). ``attrs`` holds the totals.
    """
    k = check_k(k)
    params = result.params
    cands = (
        default_candidates(layers, params.counted_categories)
        if candidates is None
        else clean_candidates(candidates)
    )
    if k > len(cands):
        raise SitingError(f"k={k} but there are only {len(cands)} candidate sites")
    demand = result.demand
    residents = demand["residents"].to_numpy(dtype=float)
    uncovered = ~(demand["time_min"].to_numpy() <= params.threshold_min + MATCH_TOLERANCE_MIN)
    weights = np.where(uncovered, residents, 0.0)
    times, snap = walk_times(
        travel.at_speed(params.walking_speed_kmh),
        points_xy(demand),
        points_xy(cands),
        params.threshold_min,
    )
    far = snap > MAX_CANDIDATE_SNAP_M + SNAP_TOLERANCE_M  # exactly 500 m is usable
    if far.any() and candidates is not None:  # a planner's site: say which one and why
        j = int(np.flatnonzero(far)[0])
        raise SitingError(
            f"candidates: {cands['candidate_id'].iloc[j]} lies {snap[j]:.0f} m from the "
            f"nearest street of the network (more than {MAX_CANDIDATE_SNAP_M:.0f} m)"
        )
    covers = (times <= params.threshold_min + MATCH_TOLERANCE_MIN) & ~far  # far: not usable
    rows_used = np.flatnonzero((weights > 0) & covers.any(axis=1))
    out_rows: list[dict] = []
    if len(rows_used):
        sub_cov, sub_w = covers[rows_used], weights[rows_used]
        chosen = solve_mclp(sub_cov, sub_w, k)
        council = demand["council_id"].to_numpy()[rows_used]
        total = 0.0
        for j, gain, newly in greedy_order(sub_cov, sub_w, chosen):
            if gain <= 0:
                continue
            total += gain
            gained = pd.Series(sub_w[newly]).groupby(council[newly]).sum()
            out_rows.append(
                {
                    "rank": len(out_rows) + 1,
                    "candidate_id": cands["candidate_id"].iloc[j],
                    "name": cands["name"].iloc[j],
                    "category": cands["category"].iloc[j],
                    "newly_covered": _as_count(gain),
                    "cumulative_covered": _as_count(total),
                    "councils": ";".join(gained.sort_values(ascending=False).index),
                    "snap_m": float(snap[j]),
                    "geometry": cands.geometry.iloc[j],
                }
            )
    out = gpd.GeoDataFrame(
        pd.DataFrame(out_rows, columns=[*OUTPUT_COLUMNS, "geometry"]),
        geometry="geometry",
        crs=WEB_CRS,
    )
    out.attrs.update(
        k=k,
        threshold_min=params.threshold_min,
        walking_speed_kmh=params.walking_speed_kmh,
        counted_categories=list(params.counted_categories),
        candidates=len(cands),
        candidates_off_network=int(far.sum()),  # default candidates too far to be used
        uncovered_residents=_as_count(weights.sum()),
        reachable_uncovered=_as_count(weights[rows_used].sum()),
        newly_covered=_as_count(sum(r["newly_covered"] for r in out_rows)),
    )
    return out


def _as_count(x: float) -> int | float:
    """Residents are whole people when the input is; keep fractions if it is not."""
    return int(round(x)) if math.isclose(x, round(x), abs_tol=1e-6) else float(x)

