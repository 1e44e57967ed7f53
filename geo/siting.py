"""Where to hold the next workshops: sites that bring the most uncovered residents within
walking reach (maximal covering location problem, solved exactly).

Why exact and not greedy: picking the best site, then the next best, can miss the best
pair (two sites that each cover a little less but together much more). spopt's MCLP is
solved to optimality with pulp's bundled CBC; the greedy order is used only to *report*
each chosen site's marginal gain ("residents newly covered").

Coverage is by walking time from the travel model (``geo.travel``), the same as the access
analysis: a resident is covered by a site if the walk, snap distances included, takes at
most the threshold. Only residents not already within the threshold of a counted venue carry weight.

Equity (issue 11): a resident may count more than once. Each demand point's weight is its
residents times the weight of its group (``settings.siting_weights``, e.g. ``Q1=2,Q2=2``;
a block in several named groups, a quintile and a GSE class, takes the LARGEST of their
weights; unnamed groups and blocks without a group weigh 1). All weights 1 is the plain
problem, solved exactly as before. ``newly_covered`` always counts residents, not weight.

Capacity: a candidate with a known ``capacity`` (the workspace stores one per venue; empty =
unknown = no limit) covers at most that many residents. When any candidate has one, the
problem is the capacitated MCLP with assignment variables (:func:`solve_capacitated`): a
block's residents may be split between sites, so covered counts can be fractional.
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
from geo.equity import GSE_ORDER, QUINTILES, block_table
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
    "capacity",
    "weighted_gain",
]
# residents newly covered by each site, per group (a fixed set, so files line up)
GROUP_COLUMNS = [f"covered_{q.lower()}" for q in QUINTILES] + [
    f"covered_gse_{g.lower()}" for g in GSE_ORDER
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
    out["capacity"] = _capacities(c, source)
    return out


def _capacities(c: pd.DataFrame, source: str) -> np.ndarray:
    """Residents each candidate can take (NaN = unknown, no limit); refuses negatives/text."""
    if "capacity" not in c:
        return np.full(len(c), np.nan)
    raw = c["capacity"]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    given = raw.notna() & (raw.astype(str).str.strip() != "")
    bad = (given.to_numpy() & ~np.isfinite(values)) | (values < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        shown = raw.iloc[i].item() if isinstance(raw.iloc[i], np.generic) else raw.iloc[i]
        raise SitingError(  # -1, not numpy's repr np.int64(-1)
            f"{source}: row {i + 1} has capacity {shown!r}; give a number of residents "
            "(0 or more) or leave it empty"
        )
    return values


def group_multipliers(
    quintil: np.ndarray, gse: np.ndarray, weights: dict[str, float] | None
) -> np.ndarray:
    """Per demand point: the largest weight among its groups (quintile, GSE class) named in
    ``weights``; 1 when none is named (see module docstring)."""
    out = np.ones(len(quintil))
    if not weights:
        return out
    named = np.full(len(quintil), -np.inf)
    for labels in (quintil, gse):
        for label, w in weights.items():
            named = np.where(labels == label, np.maximum(named, w), named)
    return np.where(np.isfinite(named), named, out)


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
        # pragma: no mutate start -- solver log and time limit only (README, mutation tests)
        model = model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=SOLVER_TIME_LIMIT_S))
        # pragma: no mutate end
    status = pulp.LpStatus[model.problem.status]
    if status != "Optimal":
        raise SitingError(f"the site optimisation ended as {status!r}, not optimal")
    chosen = [j for j, var in enumerate(model.fac_vars) if (var.varValue or 0) > 0.5]
    return np.array(chosen, dtype=np.int64)


def solve_capacitated(
    covers: np.ndarray,
    residents: np.ndarray,
    per_resident: np.ndarray,
    capacity: np.ndarray,
    k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Capacitated MCLP, exact (PuLP + CBC): open ``k`` sites (x_j binary) and assign a
    share y_ij in [0, 1] of block i to an open site j that covers it, maximising
    sum w_i r_i y_ij subject to sum_j y_ij <= 1, y_ij <= x_j and, where capacity c_j is
    known, sum_i r_i y_ij <= c_j. Returns the chosen columns and the (demand, chosen)
    matrix of assigned shares."""
    with warnings.catch_warnings():  # PuLP 3.3 warns about its own 4.0 API
        warnings.simplefilter("ignore", DeprecationWarning)
        n, m = covers.shape
        prob = pulp.LpProblem("capacitated_mclp", pulp.LpMaximize)
        x = [pulp.LpVariable(f"x_{j}", cat="Binary") for j in range(m)]
        rows, cols = np.nonzero(covers)
        y = {(i, j): pulp.LpVariable(f"y_{i}_{j}", 0, 1) for i, j in zip(rows, cols, strict=True)}
        prob += pulp.lpSum(per_resident[i] * residents[i] * v for (i, j), v in y.items())
        prob += pulp.lpSum(x) == k
        by_row: dict[int, list] = {}
        by_col: dict[int, list] = {}
        for (i, j), v in y.items():
            by_row.setdefault(i, []).append(v)
            by_col.setdefault(j, []).append((i, v))
            prob += v <= x[j]
        for vs in by_row.values():
            prob += pulp.lpSum(vs) <= 1
        for j, items in by_col.items():
            if np.isfinite(capacity[j]):
                prob += pulp.lpSum(residents[i] * v for i, v in items) <= capacity[j] * x[j]
        # pragma: no mutate start -- solver log and time limit only (README, mutation tests)
        prob.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=SOLVER_TIME_LIMIT_S))
        # pragma: no mutate end
    status = pulp.LpStatus[prob.status]
    if status != "Optimal":
        raise SitingError(f"the site optimisation ended as {status!r}, not optimal")
    chosen = np.array([j for j in range(m) if (x[j].varValue or 0) > 0.5], dtype=np.int64)
    share = np.zeros((n, len(chosen)))
    where = {j: c for c, j in enumerate(chosen)}
    for (i, j), v in y.items():
        if j in where:
            share[i, where[j]] = min(max(v.varValue or 0.0, 0.0), 1.0)
    return chosen, share


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
    group_weights: dict[str, float] | None = None,
) -> gpd.GeoDataFrame:
    """Up to ``k`` (1..10) sites that together cover the most residents (weighted by
    ``group_weights``, e.g. ``{"Q1": 2, "Q2": 2}``) who are not yet within
    ``result.params.threshold_min`` of a counted venue.

    Rows are ordered by marginal (weighted) gain; ``newly_covered`` is the residents each
    site adds to those above it, ``cumulative_covered`` the running total, ``covered_q1``...
    and ``covered_gse_*`` the same by group. Sites that would add nobody are left out (so
    fewer than ``k`` rows can come back). ``attrs`` holds the totals, by group in
    ``newly_covered_by_group``.
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
    groups = block_table(result, layers, None)
    quintil = np.array([v or "" for v in groups["quintil"]], dtype=object)
    gse = np.array([v or "" for v in groups["gse"]], dtype=object)
    multiplier = group_multipliers(quintil, gse, group_weights)
    people = np.where(uncovered, residents, 0.0)
    weights = people * multiplier
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
    capacity = cands["capacity"].to_numpy(dtype=float)
    capacitated = bool(np.isfinite(capacity).any())
    rows_used = np.flatnonzero((weights > 0) & covers.any(axis=1))
    out_rows: list[dict] = []
    # every quintile (when the data has any), and the GSE classes the area's blocks carry
    by_quintile = dict.fromkeys(QUINTILES if (quintil != "").any() else (), 0.0)
    by_gse = dict.fromkeys(_ordered(dict.fromkeys(set(gse) - {""}), GSE_ORDER), 0.0)
    without_group = 0.0
    if len(rows_used):
        sub_cov, sub_w = covers[rows_used], weights[rows_used]
        sub_people = people[rows_used]
        if capacitated:
            chosen, share = solve_capacitated(
                sub_cov, sub_people, multiplier[rows_used], capacity, k
            )
            gains = sub_w @ share
            order = [(j, float(gains[c]), share[:, c]) for c, j in enumerate(chosen)]
            order.sort(key=lambda t: -t[1])
        else:
            chosen = solve_mclp(sub_cov, sub_w, k)
            order = [(j, g, newly.astype(float)) for j, g, newly in
                     greedy_order(sub_cov, sub_w, chosen)]
        council = demand["council_id"].to_numpy()[rows_used]
        sub_q, sub_g = quintil[rows_used], gse[rows_used]
        total = 0.0
        for j, gain, part in order:
            if gain <= 0:
                continue
            added = sub_people * part  # residents this site newly covers, per block
            total += float(added.sum())
            taken = added > 0
            gained = pd.Series(added[taken]).groupby(council[taken]).sum()
            row = {
                "rank": len(out_rows) + 1,
                "candidate_id": cands["candidate_id"].iloc[j],
                "name": cands["name"].iloc[j],
                "category": cands["category"].iloc[j],
                "newly_covered": _as_count(float(added.sum())),
                "cumulative_covered": _as_count(total),
                "councils": ";".join(gained.sort_values(ascending=False).index),
                "snap_m": float(snap[j]),
                "capacity": float(capacity[j]),
                "weighted_gain": _as_count(gain),
                "geometry": cands.geometry.iloc[j],
            }
            for label, column in zip(QUINTILES, GROUP_COLUMNS[: len(QUINTILES)], strict=True):
                row[column] = _as_count(float(added[sub_q == label].sum()))
            for label, column in zip(GSE_ORDER, GROUP_COLUMNS[len(QUINTILES):], strict=True):
                row[column] = _as_count(float(added[sub_g == label].sum()))
            for labels, into in ((sub_q, by_quintile), (sub_g, by_gse)):
                for label, n in pd.Series(added).groupby(labels).sum().items():
                    if label:
                        into[label] = into.get(label, 0.0) + float(n)
            without_group += float(added[(sub_q == "") & (sub_g == "")].sum())
            out_rows.append(row)
    out = gpd.GeoDataFrame(
        pd.DataFrame(out_rows, columns=[*OUTPUT_COLUMNS, *GROUP_COLUMNS, "geometry"]),
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
        uncovered_residents=_as_count(people.sum()),
        reachable_uncovered=_as_count(people[rows_used].sum()),
        newly_covered=_as_count(sum(float(r["newly_covered"]) for r in out_rows)),
        group_weights=dict(group_weights or {}),
        weighted_covered=_as_count(sum(float(r["weighted_gain"]) for r in out_rows)),
        capacitated=capacitated,
        newly_covered_by_group={
            "quintile": {q: _as_count(n) for q, n in by_quintile.items()},
            "gse": {g: _as_count(by_gse[g]) for g in _ordered(by_gse, GSE_ORDER)},
            "without_group": _as_count(without_group),
        },
    )
    return out


def _ordered(found: dict[str, object], order: tuple[str, ...]) -> list[str]:
    return [g for g in order if g in found] + sorted(set(found) - set(order))


def _as_count(x: float) -> int | float:
    """Residents are whole people when the input is; keep fractions if it is not."""
    return int(round(x)) if math.isclose(x, round(x), abs_tol=1e-6) else float(x)

