"""Walking-time areas (isochrones): where one can walk to in 5, 10, 15, 20 minutes.

Why not circles: a 15-minute circle crosses hills, the railway and blocks without a way
through. The area is built from the REACHED PART OF THE TRAVEL MODEL, as in osmnx's
isochrone example: one Dijkstra from the snapped point (``geo.network``, cut at the
largest band), every street segment reached within a band kept (a segment reached only in
part is cut where the remaining time runs out, from either end), each kept piece widened
by :data:`REACH_M` and the pieces unioned per band.

- Bands are NESTED: the 10-minute area contains the 5-minute one (each feature is "within
  N minutes", not the ring between two bands); draw the largest first.
- Residents inside a band are counted BY EACH BLOCK'S OWN WALKING TIME (its demand point,
  snapped like every other point of the analysis), not by overlaying the polygons on the
  blocks: a block touched by the widened street may still be a long walk away, and the
  counts must agree with the access figures. Broken down by the census block's socio-
  economic group (``gse``, ``quintil``) when the population layer carries those columns.
- The walk from the point to the street (its snap) is part of every time, as everywhere.
- Segments are drawn straight between their end nodes, as the travel model snaps onto them
  (on the derived block network of the real data 98.8 % of segments are straight lines of
  their own length; the rest are the straight connectors, costed 1.5 x their length, whose
  reached part is cut in proportion to the cost).

Works on any :class:`geo.travel.NetworkTravelModel` (OSM or the derived block network);
polygons are made in EPSG:32719 and served in EPSG:4326.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import METRIC_CRS, WEB_CRS
from geo.access import whole_people
from geo.demand import demand_points
from geo.errors import CulturamapError
from geo.layers import Layers
from geo.network import EdgeSnap, WalkNetwork, to_metric
from geo.travel import MATCH_TOLERANCE_MIN, TravelModel

# How far either side of a reached street the area extends. Why 50 m: the census blocks
# of Coquimbo are 40-100 m deep, so 50 m covers the doors that open onto a reached street
# face (half a block deep plus the street's own half-width, ~5-8 m) without spilling into
# the next street, which has its own time. Smaller leaves holes between parallel streets
# that are reached; larger swallows unreached streets behind the blocks.
REACH_M = 50.0
BUFFER_QUAD_SEGS = 2  # round ends with 8 segments per circle: ample at 50 m
# The reached pieces are merged into chains and simplified by this much before widening:
# invisible at a 100 m wide band, and it cuts the buffer's cost by a third on the real
# network.
SIMPLIFY_M = 2.0
DEFAULT_BANDS: tuple[float, ...] = (5.0, 10.0, 15.0, 20.0)
MIN_MINUTES, MAX_MINUTES = 1.0, 60.0  # an hour's walk is the most a walking area means
MAX_BANDS = 6
# A point farther than this from every street is not "on the network": the straight walk to
# it would be most of the answer. 300 m is about 4 minutes, three or four blocks.
MAX_SNAP_M = 300.0
GROUP_COLUMNS: tuple[str, ...] = ("gse", "quintil")  # census block columns, when present
GROUP_PREFIX = {"gse": "residents_gse_", "quintil": "residents_"}  # residents_q1, ..._gse_abc1


class IsochroneError(CulturamapError, ValueError):
    """Bad bands or a model without streets; the message names the parameter."""


class OffNetworkError(IsochroneError):
    """The point is farther than :data:`MAX_SNAP_M` from every street."""

    def __init__(self, snap_m: float) -> None:
        super().__init__(
            f"the point is {snap_m:.0f} m from the nearest street of the walking network "
            f"(at most {MAX_SNAP_M:.0f} m); choose a point on or near a street"
        )
        self.snap_m = snap_m


def check_bands(minutes: Iterable[float | str]) -> tuple[float, ...]:
    """Band limits as sorted unique minutes, each ``MIN_MINUTES``..``MAX_MINUTES``, at most
    ``MAX_BANDS`` of them; raises :class:`IsochroneError` naming the bad value."""
    values = []
    for raw in minutes:
        try:
            value = float(str(raw).strip())
        except ValueError:
            raise IsochroneError(f"minutes: {raw!r} is not a number") from None
        if not math.isfinite(value) or not MIN_MINUTES <= value <= MAX_MINUTES:
            raise IsochroneError(
                f"minutes: {raw!r} is outside {MIN_MINUTES:g}..{MAX_MINUTES:g}"
            )
        values.append(value)
    bands = tuple(sorted(set(values)))
    if not bands:
        raise IsochroneError("minutes: give at least one band (e.g. 5,10,15,20)")
    if len(bands) > MAX_BANDS:
        raise IsochroneError(f"minutes: at most {MAX_BANDS} bands, got {len(bands)}")
    return bands


def default_bands(thresholds_min: Iterable[float]) -> tuple[float, ...]:
    """The bands drawn when none are asked for: the settings' share thresholds that fit
    the limits (at most ``MAX_BANDS``), else :data:`DEFAULT_BANDS`."""
    fit = sorted({float(t) for t in thresholds_min if MIN_MINUTES <= float(t) <= MAX_MINUTES})
    return tuple(fit[:MAX_BANDS]) or DEFAULT_BANDS


def group_column_name(column: str, value: object) -> str:
    """Flat property name of a group count: residents_gse_abc1, residents_q1."""
    return f"{GROUP_PREFIX.get(column, column + '_')}{str(value).strip().lower()}"


@dataclass(frozen=True)
class Isochrone:
    """Nested walking areas from one origin (EPSG:32719) and who lives inside each."""

    bands: tuple[float, ...]
    origin_xy: np.ndarray  # the point asked for (EPSG:32719)
    snap_m: float  # its straight walk onto the network
    polygons: tuple[shapely.Geometry, ...]  # one per band, nested, may be empty
    residents: tuple[dict[str, float], ...]  # one per band: residents + group counts

    def frame(self) -> gpd.GeoDataFrame:
        """One row per band (largest first, the drawing order) in EPSG:4326."""
        rows = [{"minutes": m, **r} for m, r in zip(self.bands, self.residents, strict=True)]
        gdf = gpd.GeoDataFrame(rows, geometry=list(self.polygons), crs=METRIC_CRS)
        return gdf.iloc[::-1].reset_index(drop=True).to_crs(WEB_CRS)


class IsochroneIndex:
    """Everything a request needs prepared once: the street graph, the segment ends and
    every block's demand point snapped with its residents and groups.

    A request is then one Dijkstra cut at the largest band, a few numpy passes and one
    buffer per band (see ``benchmarks/bench_isochrones.py``).
    """

    def __init__(self, travel: TravelModel, layers: Layers) -> None:
        network = getattr(travel, "network", None)
        if not isinstance(network, WalkNetwork):
            raise IsochroneError(
                f"travel model {getattr(travel, 'name', '?')!r} has no street graph to draw "
                "walking areas from"
            )
        self.travel = travel
        self.network = network
        self.metres_per_min = travel.walking_speed_kmh * 1000.0 / 60.0
        self._a = network.xy[network.edge_u]
        self._b = network.xy[network.edge_v]
        demand = demand_points(layers)
        self.residents = demand["residents"].to_numpy(dtype=float)
        g = demand.geometry
        self.demand: EdgeSnap = travel.snap(np.column_stack([g.x.to_numpy(), g.y.to_numpy()]))
        self.groups = block_groups(layers.population, demand["id"].to_numpy())

    def from_lonlat(self, lon: float, lat: float, bands: Sequence[float]) -> Isochrone:
        return self.from_point(to_metric([lon], [lat])[0], bands)

    def from_point(self, xy_metric: np.ndarray, bands: Sequence[float]) -> Isochrone:
        """Nested walking areas of ``bands`` minutes from a point (EPSG:32719 metres)."""
        bands = check_bands(bands)
        xy = np.asarray(xy_metric, dtype=float).reshape(1, 2)
        origin: EdgeSnap = self.travel.snap(xy)  # type: ignore[assignment]
        snap_m = float(origin.snap_m[0])
        if snap_m > MAX_SNAP_M:
            raise OffNetworkError(snap_m)
        budgets = [b * self.metres_per_min for b in bands]
        node_dist = self.network.distances_from(origin.ends, origin.end_offsets,
                                                limit=budgets[-1])[0]
        polygons = tuple(self.areas(node_dist, origin, xy[0], budgets))
        block_min = self.network.to_targets(node_dist, self.demand, origin)[0]
        block_min = block_min / self.metres_per_min
        residents = tuple(self._residents(block_min, b) for b in bands)
        return Isochrone(bands, xy[0], snap_m, polygons, residents)

    def reached_pieces(self, node_dist: np.ndarray, origin: EdgeSnap,
                       budget_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Segments (k, 2, 2) of the network walkable within ``budget_m`` (EPSG:32719):
        from each reached end as far as the remaining budget goes, and along the origin's
        own segment in both directions from the foot of its snap. Also returns the street
        segment of each piece and the mask of segments reached whole."""
        net = self.network
        w = net.edge_len
        du, dv = node_dist[net.edge_u], node_dist[net.edge_v]
        from_u = np.clip(budget_m - du, 0.0, None)  # inf distances give 0
        from_v = np.clip(budget_m - dv, 0.0, None)
        whole = (du <= budget_m) & (dv <= budget_m) & (from_u + from_v >= w)
        safe_w = np.where(w > 0, w, 1.0)
        part_u = (du <= budget_m) & ~whole
        part_v = (dv <= budget_m) & ~whole
        starts = [np.zeros(int(whole.sum())), np.zeros(int(part_u.sum())),
                  1.0 - np.minimum(from_v[part_v] / safe_w[part_v], 1.0)]
        ends = [np.ones(int(whole.sum())), np.minimum(from_u[part_u] / safe_w[part_u], 1.0),
                np.ones(int(part_v.sum()))]
        edges = [np.flatnonzero(whole), np.flatnonzero(part_u), np.flatnonzero(part_v)]
        own = budget_m - float(origin.snap_m[0])
        if own > 0:  # straight along the origin's segment, without going to an end first
            e = int(origin.edge[0])
            along, length = float(origin.to_u[0]), safe_w[e]
            starts.append(np.array([max(0.0, along - own) / length]))
            ends.append(np.array([min(length, along + own) / length]))
            edges.append(np.array([e]))
        edge = np.concatenate(edges)
        t0, t1 = np.concatenate(starts)[:, None], np.concatenate(ends)[:, None]
        a, ab = self._a[edge], self._b[edge] - self._a[edge]
        return np.stack([a + t0 * ab, a + t1 * ab], axis=1), edge, whole

    def areas(self, node_dist: np.ndarray, origin: EdgeSnap, xy: np.ndarray,
              budgets_m: Sequence[float]) -> list[shapely.Geometry]:
        """The widened reached pieces of each band (ascending budgets), nested.

        Built band on band: a band is the previous one plus the widened pieces of the
        segments the previous band had not reached whole (the others are already in it),
        which halves the buffering and union work of four independent bands.
        """
        snap_m = float(origin.snap_m[0])
        out: list[shapely.Geometry] = []
        previous: shapely.Geometry | None = None
        done = np.zeros(len(self.network.edge_u), dtype=bool)  # reached whole before
        for budget in budgets_m:
            if snap_m > budget:  # the street itself is farther than the band
                out.append(shapely.Polygon())
                continue
            pieces, edge, whole = self.reached_pieces(node_dist, origin, budget)
            lines = list(shapely.linestrings(pieces[~done[edge]]))
            if snap_m > 0:  # the walk from the point onto the street
                lines.append(shapely.LineString([xy, origin.xy[0]]))
            # one buffer per merged chain, then one union: GEOS unions many small polygons
            # far faster (cascaded) than it buffers one big overlapping MultiLineString
            chains = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(lines)))
            chains = shapely.simplify(chains, SIMPLIFY_M)
            parts = list(shapely.buffer(chains, REACH_M, quad_segs=BUFFER_QUAD_SEGS))
            if previous is not None:
                parts.append(previous)
            previous = shapely.union_all(parts)
            out.append(previous)
            done = whole
        return out

    def _residents(self, block_min: np.ndarray, band: float) -> dict[str, float]:
        inside = block_min <= band + MATCH_TOLERANCE_MIN
        out: dict[str, float] = {"residents": whole_people(self.residents[inside].sum())}
        for column, values in self.groups.items():
            sums = pd.Series(self.residents[inside]).groupby(values[inside]).sum()
            for value in sorted(set(values[values != ""])):
                out[group_column_name(column, value)] = whole_people(sums.get(value, 0.0))
        return out


def block_groups(population: gpd.GeoDataFrame, block_ids: np.ndarray) -> dict[str, np.ndarray]:
    """The socio-economic group of each demand point's block, per column present in the
    population layer ("" where a block has none); columns the layer lacks are left out."""
    out: dict[str, np.ndarray] = {}
    if population is None or "id" not in population:
        return out
    ids = population["id"].astype(str)
    for column in GROUP_COLUMNS:
        if column not in population:
            continue
        by_id = dict(zip(ids, population[column], strict=True))
        values = [by_id.get(str(b)) for b in block_ids]
        out[column] = np.array(["" if v is None or v != v else str(v).strip() for v in values],
                               dtype=object)
    return out
