"""A walking network derived from census-block outlines, for places without a street layer.

Why: no OpenStreetMap extract or street-axis layer of Coquimbo is available, but the census
2024 block outlines (manzanas) are drawn to the block edge, so the open space between
neighbouring blocks traces the street grid. Its centre lines are the medial axis of that
space, which this module approximates in EPSG:32719 metres:

1. Every block ring (outer and inner, each polygon part its own "owner") is sampled every
   ``sample_m`` metres and the Voronoi diagram of all samples is built (read off scipy's
   Qhull Delaunay triangulation).
2. A Voronoi ridge separating samples of two DIFFERENT owners lies on the boundary between
   their territories, i.e. on the centre line of the gap between them. It is kept when its
   clearance (distance to the nearest block, the radius of the empty circle at each end)
   lies between ``min_clearance_m`` (touching blocks share an edge, not a street) and
   ``max_clearance_m`` (wider open land is not a street), and its midpoint is not inside a
   block. Dead ends that widen out of the town into open land are trimmed back to
   ``stub_clearance_m``.
3. Ridges are merged at degree-2 nodes (``shapely.line_merge``, as osmnx simplification
   does) and each chain is smoothed with Douglas-Peucker (``simplify_m``): Voronoi ridges of
   sampled points zigzag by a fraction of the spacing, which would inflate lengths. Every
   vertex of a smoothed chain stays a node and long segments are split with
   :func:`geo.network.densify`, so edge lengths equal the drawn geometry's length exactly.
4. Disconnected pieces (land without residential blocks: the industrial band between the
   peninsula and Tierras Blancas, hills, parks) are bridged by straight connectors between
   nodes of different pieces, at most ``max_connector_m`` long and costing length x
   ``connector_detour``. Candidates (the closest node pair of two pieces, and the closest
   pair per ``max_connector_m / 2`` square) are taken shortest first: Kruskal over pieces
   (a minimum spanning forest, repeated until no more bridges are possible), plus a greedy
   spanner: a candidate between pieces already joined is added when the walk between its
   ends is more than ``connector_stretch`` x its cost (a spanning forest joins two pieces
   at one point only, so every walk between them detours through it; on the census blocks
   the spanner lowers the median detour of random block pairs from 1.54 to 1.44). Remote
   localities (Tongoy, Guanaqueros, ...) stay in their own pieces: the network keeps every
   piece, so their residents reach their own places and are honestly unreachable (inf)
   from the city's.

The result is cached like the OSM network (``.npz`` keyed by the blocks file's SHA-256 and
the parameters) with the drawable lines in a second ``.npz`` beside it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import Delaunay, QhullError, cKDTree

from geo import METRIC_CRS
from geo.network import (
    MAX_SEGMENT_M,
    NetworkError,
    WalkNetwork,
    cache_path,
    csr_from_edges,
    default_cache_dir,
    densify,
    file_digest,
    read_cache,
    save_cache,
    save_npz_atomic,
)

BLOCK_NET_FORMAT = 2  # bump when the derivation changes its output for the same parameters
# Residents per block: "residents" in the product's layer (geo.schema), "n_per" in the census file.
RESIDENTS_COLUMNS = ("residents", "n_per")
STREET = "street"
CONNECTOR = "connector"


@dataclass(frozen=True)
class BlockNetworkParams:
    """Knobs of the derivation; every one is part of the cache key."""

    # Spacing of the samples along block outlines. Gaps between Coquimbo's census blocks are
    # mostly 2.5-8 m wide (median 3 m); the Voronoi boundary of samples zigzags by roughly
    # spacing^2 / (8 x gap), so 2 m keeps that well under half a metre (before smoothing).
    sample_m: float = 2.0
    # Half of the narrowest gap that still counts as a street: blocks closer than 1 m touch
    # (a shared lot line, 277 touching pairs in the census layer), nobody walks between them.
    min_clearance_m: float = 0.5
    # Half of the widest gap that still gets a centre line. 40 m keeps wide avenues, plazas
    # and a missing (non-residential) block of up to ~80 m across inside the grid; wider
    # empty land (hills, the industrial band, beaches) is left to the connectors.
    max_clearance_m: float = 40.0
    # Dead ends that widen into open land are trimmed back to where the centre line is this
    # far from the nearest block, i.e. just past the last block corners (gaps are 2-16 m).
    stub_clearance_m: float = 8.0
    # Douglas-Peucker tolerance for the merged chains: removes the Voronoi zigzag, well
    # below the gap widths, so the centre line stays inside the gap.
    simplify_m: float = 0.75
    # Longest straight connector between disconnected pieces. 500 m is about 6-7 minutes on
    # foot, the scale of the industrial band / ravines that cut Coquimbo's grid, while the
    # separate coastal localities (Guanaqueros, Tongoy: many km away) stay apart.
    max_connector_m: float = 500.0
    # A connector crosses land without mapped streets: the real walk bends around lots and
    # slopes, so its cost is its straight length times this factor (a typical street-network
    # detour ratio is 1.2-1.4; 1.5 errs towards "farther", never "nearer" than reality).
    connector_detour: float = 1.5
    # A further connector between pieces already joined is added when the walk between its
    # ends is more than this times its cost: with a spanning forest alone, the two halves
    # of the city would meet at one point only. inf = spanning forest only.
    connector_stretch: float = 2.0
    # Street segments are split at most this long (as the OSM network does).
    max_segment_m: float = MAX_SEGMENT_M

    def __post_init__(self) -> None:
        positive = {k: v for k, v in asdict(self).items() if k != "min_clearance_m"}
        bad = [k for k, v in positive.items()
               if not (v > 0 and (np.isfinite(v) or k == "connector_stretch"))]
        if bad or not (0 <= self.min_clearance_m < self.stub_clearance_m <= self.max_clearance_m):
            raise ValueError(f"BlockNetworkParams: invalid values {bad or asdict(self)}")
        if self.connector_detour < 1:
            raise ValueError("BlockNetworkParams: connector_detour must be >= 1")

    def key(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@dataclass
class DerivedNetwork:
    """The derived walking network, the lines to draw it and figures describing it."""

    network: WalkNetwork
    lines: gpd.GeoDataFrame  # EPSG:32719, columns kind ("street"/"connector"), length_m, cost_m
    stats: dict = field(default_factory=dict)


# --- step 1-2: Voronoi ridges between different blocks --------------------------------------


def _metric_polygons(blocks: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(polygon parts in EPSG:32719, index of the block each part came from)."""
    if not isinstance(blocks, gpd.GeoDataFrame) or blocks.crs is None:
        raise NetworkError("blocks: a GeoDataFrame with a CRS is needed")
    geoms = blocks.to_crs(METRIC_CRS).geometry.values
    parts, idx = shapely.get_parts(np.asarray(geoms, dtype=object), return_index=True)
    keep = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
    parts, idx = parts[keep], idx[keep]
    if len(parts) < 2:
        raise NetworkError("blocks: at least two polygon blocks are needed to find streets")
    if not shapely.is_valid(parts).all():
        parts = shapely.make_valid(parts)  # an invalid ring would put samples in odd places
        parts, sub = shapely.get_parts(parts, return_index=True)
        idx = idx[sub]
        keep = shapely.get_type_id(parts) == 3
        parts, idx = parts[keep], idx[keep]
    return parts, idx


def _samples(parts: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Points every ``spacing`` m along every ring, and the polygon part owning each."""
    rings, owner = shapely.get_rings(parts, return_index=True)
    rings = shapely.segmentize(rings, spacing)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    last = np.ones(len(xy), dtype=bool)
    last[:-1] = ring_of[1:] != ring_of[:-1]  # a ring's closing point repeats its first
    xy, ring_of = xy[~last], ring_of[~last]
    # identical points (blocks sharing a vertex) would go to one owner only: drop them all
    _u, inv, cnt = np.unique(xy, axis=0, return_inverse=True, return_counts=True)
    single = cnt[inv.ravel()] == 1
    return xy[single], owner[ring_of[single]]


def _circumcentres(tri: np.ndarray, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Circumcentre and circumradius of each triangle: the Voronoi vertices and the radius
    of their empty circles (the clearance to the nearest samples)."""
    a, b, c = pts[tri[:, 0]], pts[tri[:, 1]], pts[tri[:, 2]]
    b, c = b - a, c - a
    den = 2.0 * (b[:, 0] * c[:, 1] - b[:, 1] * c[:, 0])
    bb, cc = (b * b).sum(axis=1), (c * c).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ux = (c[:, 1] * bb - b[:, 1] * cc) / den
        uy = (b[:, 0] * cc - c[:, 0] * bb) / den
    centre = np.column_stack([ux, uy])
    radius = np.hypot(ux, uy)
    radius[~np.isfinite(radius)] = np.inf  # flat triangle: its "circle" is never a street
    return centre + a, radius


def _street_ridges(
    parts: np.ndarray, params: BlockNetworkParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Voronoi ridges on the centre lines of the gaps: (vertex xy, ridge vertex pairs,
    vertex clearance), vertices merged at 1 mm.

    The Voronoi diagram is read off the Delaunay triangulation (twice as fast as
    ``scipy.spatial.Voronoi`` here): a Voronoi vertex is a triangle's circumcentre, and the
    ridge dual to a Delaunay edge (p, q) joins the circumcentres of the two triangles
    sharing it and separates p from q.
    """
    pts, owner = _samples(parts, params.sample_m)
    origin = pts.min(axis=0)
    local = pts - origin  # better conditioned for Qhull and the circumcentres
    tri = Delaunay(local)
    simplices, neighbours = tri.simplices, tri.neighbors
    centre, clear = _circumcentres(simplices, local)
    t, k = np.nonzero(neighbours > np.arange(len(simplices))[:, None])  # each pair once
    nb = neighbours[t, k]
    p, q = simplices[t, (k + 1) % 3], simplices[t, (k + 2) % 3]
    c0, c1 = clear[t], clear[nb]
    ok = owner[p] != owner[q]
    ok &= np.minimum(c0, c1) >= params.min_clearance_m
    ok &= np.maximum(c0, c1) <= params.max_clearance_m
    rv = np.column_stack([t[ok], nb[ok]])
    # a ridge whose middle lies inside a block is no street (e.g. beside a touching pair)
    mid = shapely.points((centre[rv[:, 0]] + centre[rv[:, 1]]) / 2 + origin)
    inside = shapely.STRtree(parts).query(mid, predicate="within")[0]
    rv = np.delete(rv, np.unique(inside), axis=0)
    # merge Voronoi vertices closer than 1 mm (cocircular samples, e.g. at square crossings)
    used = np.unique(rv)
    key = np.round(centre[used] * 1000).astype(np.int64)
    uniq, first, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
    remap = np.empty(len(simplices), dtype=np.int64)
    remap[used] = inv.ravel()
    vclear = np.zeros(len(uniq))
    np.maximum.at(vclear, inv.ravel(), clear[used])
    ridges = remap[rv]
    ridges = ridges[ridges[:, 0] != ridges[:, 1]]
    ridges = np.unique(np.sort(ridges, axis=1), axis=0)
    return centre[used[first]] + origin, ridges, vclear


def _trim_stubs(
    vxy: np.ndarray, ridges: np.ndarray, clear: np.ndarray, stub: float, cap: float
) -> np.ndarray:
    """Drop dead-end ridges whose loose end is more than ``stub`` from any block and farther
    than the ridge's inner end, repeatedly (peeling from the loose end inwards), at most
    ``cap`` metres from each loose end.

    Why: past the last block corners the Voronoi boundary of two edge blocks runs on into
    open land, widening until the clearance cap. Clearance grows at most 1 m per metre
    along a ridge, so such a spike is at most about ``max_clearance_m`` long; a longer
    widening dead end (a tapering road between two big blocks) is kept.
    """
    n = len(clear)
    m = len(ridges)
    ends = np.concatenate([ridges[:, 0], ridges[:, 1]])
    order = np.argsort(ends, kind="stable")
    start = np.searchsorted(ends[order], np.arange(n + 1))
    edge_at = order % m  # incident ridges of vertex v: edge_at[start[v]:start[v + 1]]
    deg = np.bincount(ends, minlength=n)
    seg = np.hypot(*(vxy[ridges[:, 0]] - vxy[ridges[:, 1]]).T)
    peeled = np.zeros(n)  # length already peeled off behind each vertex
    alive = np.ones(m, dtype=bool)
    far = clear > stub
    stack = list(np.flatnonzero((deg == 1) & far))
    while stack:
        v = stack.pop()
        if deg[v] != 1:
            continue
        inc = edge_at[start[v] : start[v + 1]]
        e = inc[alive[inc]][0]
        w = ridges[e, 1] if ridges[e, 0] == v else ridges[e, 0]
        if clear[v] <= clear[w] or peeled[v] + seg[e] > cap:
            continue  # not widening outwards, or too long for a spike: a way, kept
        alive[e] = False
        deg[v] = 0
        deg[w] -= 1
        peeled[w] = max(peeled[w], peeled[v] + seg[e])
        if deg[w] == 1 and far[w]:
            stack.append(w)
    return ridges[alive]


# --- step 3: chains, nodes and edges ---------------------------------------------------------


def _street_lines(vxy: np.ndarray, ridges: np.ndarray, tolerance: float) -> np.ndarray:
    """Ridges merged at degree-2 nodes into chains, smoothed (end points kept exactly)."""
    if len(ridges) == 0:
        return np.empty(0, dtype=object)
    segs = shapely.linestrings(np.stack([vxy[ridges[:, 0]], vxy[ridges[:, 1]]], axis=1))
    merged = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(segs)))
    if tolerance > 0:
        merged = shapely.simplify(merged, tolerance, preserve_topology=False)
    return merged[~shapely.is_empty(merged) & (shapely.length(merged) > 0)]


def _lines_to_edges(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(node xy, edge u, edge v): every vertex of every line is a node (equal coordinates
    are one node, which joins chains at their shared junction)."""
    xy, line_of = shapely.get_coordinates(lines, return_index=True)
    nodes, inv = np.unique(xy, axis=0, return_inverse=True)
    inv = inv.ravel()
    same = line_of[1:] == line_of[:-1]
    u, v = inv[:-1][same], inv[1:][same]
    keep = u != v
    return nodes, u[keep], v[keep]


# --- step 4: bridge disconnected pieces ------------------------------------------------------


def _candidate_bridges(
    xy: np.ndarray, labels: np.ndarray, max_gap: float
) -> list[tuple[float, int, int, int, int]]:
    """(length, node a, node b, piece i, piece j) of possible bridges, shortest first: for
    each pair of pieces within ``max_gap``, the closest node pair and, per square of
    ``max_gap / 2`` (a minimum spacing between bridges of the same two pieces), the closest
    pair starting there."""
    n_comp = int(labels.max()) + 1
    members = [np.flatnonzero(labels == c) for c in range(n_comp)]
    lo = np.array([xy[m].min(axis=0) for m in members])
    hi = np.array([xy[m].max(axis=0) for m in members])
    trees: dict[int, cKDTree] = {}
    out: list[tuple[float, int, int, int, int]] = []
    for i in range(n_comp):
        # bounding boxes closer than max_gap (cheap filter, exact test below)
        gap = np.maximum(0, np.maximum(lo[i] - hi, lo - hi[i]))
        near = np.flatnonzero(np.hypot(gap[:, 0], gap[:, 1]) <= max_gap)
        for j in near[near > i]:
            small, big = (i, j) if len(members[i]) <= len(members[j]) else (j, i)
            if big not in trees:
                trees[big] = cKDTree(xy[members[big]])
            # a hair above the limit, then the exact test: a gap of exactly max_gap is bridged
            _d, k = trees[big].query(xy[members[small]], distance_upper_bound=max_gap * 1.000001)
            found = k < len(members[big])
            a_all, b_all = members[small][found], members[big][k[found]]
            d_all = np.hypot(*(xy[a_all] - xy[b_all]).T)
            ok = d_all <= max_gap
            a_all, b_all, d_all = a_all[ok], b_all[ok], d_all[ok]
            if len(d_all) == 0:
                continue
            cell = np.floor(xy[a_all] / (max_gap / 2)).astype(np.int64)
            order = np.lexsort((d_all, cell[:, 1], cell[:, 0]))  # per cell the shortest first
            cell = cell[order]
            first = np.ones(len(order), dtype=bool)
            first[1:] = (cell[1:] != cell[:-1]).any(axis=1)
            for q in order[first]:
                a, b = int(a_all[q]), int(b_all[q])
                out.append((float(d_all[q]), min(a, b), max(a, b), int(i), int(j)))
    out.sort()
    return out


def _connectors(
    xy: np.ndarray,
    labels: np.ndarray,
    street: tuple[np.ndarray, np.ndarray, np.ndarray],
    params: BlockNetworkParams,
) -> list[tuple[int, int, float]]:
    """Bridges (node a, node b, straight length) between the pieces of the street network.

    Kruskal over pieces: the shortest candidate joining two groups not yet connected is
    always taken (a minimum spanning forest). A candidate between pieces already joined is
    also taken when the walk between its ends, over the network built so far, is more than
    ``connector_stretch`` times its cost (a greedy spanner): one bridge between two halves
    of a city would otherwise send every walk across to that single point.
    """
    candidates = _candidate_bridges(xy, labels, params.max_connector_m)
    n_comp = int(labels.max()) + 1
    parent = list(range(n_comp))

    def find(c: int) -> int:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    u, v, length = street
    chosen: list[tuple[int, int, float]] = []
    graph = None
    for d, a, b, i, j in candidates:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[ri] = rj
            chosen.append((a, b, d))
            graph = None
            continue
        if not np.isfinite(params.connector_stretch):
            continue
        cost = d * params.connector_detour
        limit = params.connector_stretch * cost
        if graph is None:  # rebuilt only after a bridge was added
            ca = np.array([c[0] for c in chosen], dtype=np.int64)
            cb = np.array([c[1] for c in chosen], dtype=np.int64)
            cl = np.array([c[2] for c in chosen]) * params.connector_detour
            graph = csr_from_edges(len(xy), np.concatenate([u, ca]), np.concatenate([v, cb]),
                                   np.concatenate([length, cl]))
        walk = dijkstra(graph, directed=False, indices=a, limit=limit)[b]
        if walk > limit:
            chosen.append((a, b, d))
            graph = None
    return chosen


# --- the whole derivation --------------------------------------------------------------------


def derive_block_network(
    blocks: gpd.GeoDataFrame, params: BlockNetworkParams = BlockNetworkParams()  # noqa: B008
) -> DerivedNetwork:
    """Derive the walking network from block outlines (see the module docstring); no cache.

    ``blocks`` may be in any CRS; a ``n_per`` column, if present, gives the resident figures
    in ``stats`` (each block's representative point snapped to the nearest network edge).
    """
    parts, _block_of = _metric_polygons(blocks)
    try:
        vxy, ridges, clear = _street_ridges(parts, params)
    except QhullError as exc:
        raise NetworkError(f"blocks: the outlines cannot be triangulated ({exc})") from exc
    ridges = _trim_stubs(vxy, ridges, clear, params.stub_clearance_m,
                         2 * params.max_clearance_m)
    street_geoms = _street_lines(vxy, ridges, params.simplify_m)
    if len(street_geoms) == 0:
        raise NetworkError("blocks: no gaps between blocks, so no streets could be derived")
    nodes, u, v = _lines_to_edges(street_geoms)
    _ids, xy, u, v = densify(np.arange(len(nodes)), nodes, u, v, params.max_segment_m)
    length = np.hypot(*(xy[u] - xy[v]).T)
    n_raw, street_labels = connected_components(
        csr_from_edges(len(xy), u, v, length), directed=False
    )
    bridges = _connectors(xy, street_labels, (u, v, length), params) if n_raw > 1 else []
    ca = np.array([b[0] for b in bridges], dtype=np.int64)
    cb = np.array([b[1] for b in bridges], dtype=np.int64)
    clen = np.array([b[2] for b in bridges], dtype=np.float64)
    graph = csr_from_edges(
        len(xy),
        np.concatenate([u, ca]),
        np.concatenate([v, cb]),
        np.concatenate([length, clen * params.connector_detour]),
    )
    net = WalkNetwork(np.arange(len(xy), dtype=np.int64), xy, graph, source="census blocks")
    conn_geoms = list(shapely.linestrings(np.stack([xy[ca], xy[cb]], axis=1))) if len(ca) else []
    street_len = shapely.length(street_geoms)
    lines = gpd.GeoDataFrame(
        {
            "kind": [STREET] * len(street_geoms) + [CONNECTOR] * len(ca),
            "length_m": np.concatenate([street_len, clen]),
            "cost_m": np.concatenate([street_len, clen * params.connector_detour]),
        },
        geometry=list(street_geoms) + conn_geoms,
        crs=METRIC_CRS,
    )
    stats = {
        "nodes": int(net.n_nodes),
        "edges": int(len(net.edge_u)),
        "total_km": round(float(length.sum()) / 1000, 3),
        "connectors": len(ca),
        "connectors_km": round(float(clen.sum()) / 1000, 3),
        "components_before_connectors": int(n_raw),
        "components": int(connected_components(graph, directed=False)[0]),
    }
    stats.update(resident_figures(net, blocks))
    before = resident_figures(net, blocks, labels=street_labels)
    if before:
        stats["residents_largest_share_before_connectors"] = before["residents_largest_share"]
    return DerivedNetwork(network=net, lines=lines, stats=stats)


def block_components(
    net: WalkNetwork, blocks: gpd.GeoDataFrame, labels: np.ndarray | None = None
) -> np.ndarray:
    """Connected piece of each block: its representative point snapped to the nearest
    network edge (the way the access analysis places residents). ``labels`` (one per node)
    overrides the pieces of ``net`` itself, e.g. the streets before bridging."""
    pts = blocks.to_crs(METRIC_CRS).geometry.representative_point()
    snap = net.snap_edges(shapely.get_coordinates(pts.values))
    if labels is None:
        labels = connected_components(net.graph, directed=False)[1]
    return np.asarray(labels)[snap.u]


def resident_figures(
    net: WalkNetwork,
    blocks: gpd.GeoDataFrame,
    mask: np.ndarray | None = None,
    labels: np.ndarray | None = None,
) -> dict:
    """Residents of the blocks (``RESIDENTS_COLUMNS``), selected by ``mask`` if given, and the
    share of them in the piece holding the most of them. Empty without a residents column."""
    column = next((c for c in RESIDENTS_COLUMNS if c in blocks.columns), None)
    if column is None or len(blocks) == 0:
        return {}
    sel = np.ones(len(blocks), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    comp = block_components(net, blocks, labels)[sel]
    people = pd.to_numeric(blocks[column], errors="coerce").to_numpy(dtype=float)
    people = np.nan_to_num(people[sel], nan=0.0)
    total = float(people.sum())
    per = np.bincount(comp, weights=people) if len(comp) else np.zeros(1)
    big = int(per.argmax())
    return {
        "residents_total": int(round(total)),
        "residents_largest": int(round(per[big])),
        "residents_largest_share": round(float(per[big] / total), 4) if total > 0 else None,
        "residents_other_pieces": int(round(total - per[big])),
    }


# --- cache -----------------------------------------------------------------------------------


def _cache_files(blocks_path: Path, digest: str, params: BlockNetworkParams,
                 cache_dir: Path) -> tuple[Path, Path]:
    """(network .npz, lines .npz); the name carries a hash of file digest + parameters."""
    h = hashlib.sha256(f"{digest}|{params.key()}|{BLOCK_NET_FORMAT}".encode()).hexdigest()
    net_path = cache_path(blocks_path, h, cache_dir)
    net_path = net_path.with_name("blocknet-" + net_path.name.removeprefix("walknet-"))
    return net_path, net_path.with_name(net_path.stem + "-lines.npz")


def _save_lines(derived: DerivedNetwork, path: Path) -> None:
    """Lines as flat coordinates + line index, and the stats, written atomically."""
    xy, line_of = shapely.get_coordinates(derived.lines.geometry.values, return_index=True)
    save_npz_atomic(
        path,
        ".blocknet-",
        xy=xy,
        line_of=line_of,
        kind=derived.lines["kind"].to_numpy(dtype=str),
        length_m=derived.lines["length_m"].to_numpy(dtype=float),
        cost_m=derived.lines["cost_m"].to_numpy(dtype=float),
        stats=np.array(json.dumps(derived.stats)),
    )


def _read_lines(path: Path) -> tuple[gpd.GeoDataFrame, dict]:
    with np.load(path, allow_pickle=False) as z:
        geoms = shapely.linestrings(z["xy"], indices=z["line_of"])
        lines = gpd.GeoDataFrame(
            {"kind": z["kind"].astype(object), "length_m": z["length_m"], "cost_m": z["cost_m"]},
            geometry=geoms,
            crs=METRIC_CRS,
        )
        return lines, json.loads(str(z["stats"]))


def read_blocks(blocks_path: Path) -> gpd.GeoDataFrame:
    """The blocks file as a GeoDataFrame, or a NetworkError naming the file."""
    path = Path(blocks_path)
    if not path.is_file():
        raise NetworkError(f"{path}: census blocks file not found")
    try:
        blocks = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes one clear error
        raise NetworkError(f"{path}: cannot be read as a vector layer ({exc})") from exc
    if blocks.crs is None:
        raise NetworkError(f"{path}: the layer has no coordinate reference system")
    kinds = shapely.get_type_id(np.asarray(blocks.geometry.values, dtype=object))
    if not np.isin(kinds, [3, 6]).any():  # Polygon, MultiPolygon
        raise NetworkError(f"{path}: no polygon blocks in the file")
    return blocks


def load_block_network(
    blocks_path: Path,
    cache_dir: Path | None = None,
    params: BlockNetworkParams = BlockNetworkParams(),  # noqa: B008
) -> DerivedNetwork:
    """The derived network of ``blocks_path``: from the ``.npz`` cache, else derived.

    The cache is keyed by the file's SHA-256 and the parameters, so editing either derives
    again. A cache that cannot be read is rebuilt; one that cannot be written is skipped.
    """
    path = Path(blocks_path)
    if not path.is_file():
        raise NetworkError(f"{path}: census blocks file not found")
    digest = file_digest(path)
    cdir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    net_file, lines_file = _cache_files(path, digest, params, cdir)
    if net_file.is_file() and lines_file.is_file():
        try:
            net = read_cache(net_file)
            lines, stats = _read_lines(lines_file)
            return DerivedNetwork(network=net, lines=lines, stats=stats)
        except (OSError, ValueError, KeyError):
            pass  # damaged or old cache: derive below
    blocks = read_blocks(path)
    try:
        derived = derive_block_network(blocks, params)
    except NetworkError as exc:
        raise NetworkError(f"{path}: {exc}") from exc
    derived.network.source = str(path)
    derived.network.source_hash = digest
    with contextlib.suppress(OSError):  # a read-only checkout still works, only slower
        save_cache(derived.network, net_file)
        _save_lines(derived, lines_file)
    return derived
