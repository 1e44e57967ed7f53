"""The walking street network as a sparse matrix, built once from the shipped OSM file.

Why a CSR matrix and not a networkx graph: scipy's compiled Dijkstra answers "distance from
every venue to every street node" in milliseconds, which networkx cannot. The OSM file is
read with osmnx (never downloaded), nodes are projected to EPSG:32719, every edge length is
measured there in metres, and only the largest connected component is kept (a resident
snapped onto a detached fragment would otherwise look unreachable).

Points (doors, venues, clicked points) are snapped ONTO THE NEAREST STREET SEGMENT, not to
the nearest node: a door half-way along a block face walks to the street and then along it
to either end. :class:`EdgeSnap` holds that segment, the perpendicular snap distance and the
distances along the segment to both of its end nodes; sources (venues) start the Dijkstra
from both ends (one virtual node per source), targets take the better end, and a target on
the same segment as a source may walk straight along it. The result is cached as
``.npz`` keyed by the file's SHA-256, so a changed file rebuilds and an unchanged one loads
in milliseconds.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import shapely
from pyproj import Transformer
from scipy.sparse.csgraph import connected_components, dijkstra

from geo import METRIC_CRS, WEB_CRS
from geo.atomic import write_atomic
from geo.errors import CulturamapError

CACHE_FORMAT = 5  # bump when the cached arrays change meaning (5: walkable ways only)
MAX_SEGMENT_M = 50.0  # long edges are split: not needed for correctness since edge snapping,
# kept because it bounds the error of WalkNetwork.snap (node form) and costs nothing
SNAP_CHUNK = 50_000  # points per STRtree query in big batches (threads, bounded memory)
REPO_DIR = Path(__file__).resolve().parents[1]
CACHE_ENV = "CULTURAMAP_CACHE_DIR"


class NetworkError(CulturamapError, ValueError):
    """The street network cannot be built; the message names the file and the problem."""


@dataclass(frozen=True)
class EdgeSnap:
    """Points snapped onto their nearest street segment (all arrays one entry per point).

    ``edge`` indexes ``WalkNetwork.edge_u/edge_v``; ``u``/``v`` are its end nodes; ``snap_m``
    is the straight (perpendicular) walk from the point to the street; ``to_u``/``to_v`` the
    walk along the segment from the foot of that perpendicular to each end; ``along`` the
    position of the foot measured from ``u`` (= ``to_u``); ``xy`` the foot (EPSG:32719).
    """

    edge: np.ndarray
    u: np.ndarray
    v: np.ndarray
    to_u: np.ndarray
    to_v: np.ndarray
    snap_m: np.ndarray
    xy: np.ndarray

    def __len__(self) -> int:
        return len(self.edge)

    @property
    def along(self) -> np.ndarray:
        return self.to_u

    @property
    def ends(self) -> np.ndarray:
        """End nodes, shape (n, 2): the two ways onto the network."""
        return np.column_stack([self.u, self.v])

    @property
    def end_offsets(self) -> np.ndarray:
        """Walk (m) from each point to each of its two end nodes, shape (n, 2)."""
        return np.column_stack([self.snap_m + self.to_u, self.snap_m + self.to_v])

    def take(self, idx: np.ndarray | slice) -> EdgeSnap:
        return EdgeSnap(*(np.asarray(getattr(self, f))[idx] for f in _SNAP_FIELDS))


_SNAP_FIELDS = ("edge", "u", "v", "to_u", "to_v", "snap_m", "xy")


class WalkNetwork:
    """Street nodes in EPSG:32719 and a symmetric CSR matrix of edge lengths in metres."""

    def __init__(
        self,
        node_ids: np.ndarray,
        xy: np.ndarray,
        graph: sp.csr_matrix,
        source: str = "",
        source_hash: str = "",
    ) -> None:
        n = len(node_ids)
        if xy.shape != (n, 2) or graph.shape != (n, n):
            raise NetworkError(f"{source or 'network'}: inconsistent node/edge arrays")
        if n == 0:
            raise NetworkError(f"{source or 'network'}: the network has no nodes")
        self.node_ids = np.asarray(node_ids, dtype=np.int64)
        self.xy = np.ascontiguousarray(xy, dtype=np.float64)
        self.graph = graph.tocsr()
        self.source = source
        self.source_hash = source_hash
        self._edge_tree: shapely.STRtree | None = None
        upper = sp.triu(self.graph, k=1).tocoo()  # each street segment once, u < v
        order = np.lexsort((upper.col, upper.row))
        self.edge_u = upper.row[order].astype(np.int64)
        self.edge_v = upper.col[order].astype(np.int64)
        self.edge_len = upper.data[order].astype(np.float64)

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def edge_tree(self) -> shapely.STRtree:
        """STRtree of the street segments as straight LineStrings, built on first use."""
        if self._edge_tree is None:
            coords = np.stack([self.xy[self.edge_u], self.xy[self.edge_v]], axis=1)
            self._edge_tree = shapely.STRtree(shapely.linestrings(coords))
        return self._edge_tree

    def snap_edges(self, xy_metric: np.ndarray) -> EdgeSnap:
        """Each point (EPSG:32719) onto its nearest street segment; see :class:`EdgeSnap`.

        Ties (a point equally near two segments, e.g. at a crossing) go to the lowest segment
        index, so the answer does not depend on the tree's internal order.
        """
        pts = np.asarray(xy_metric, dtype=np.float64).reshape(-1, 2)
        if not np.isfinite(pts).all():
            raise ValueError("snap: coordinates must be finite numbers (EPSG:32719 metres)")
        if len(self.edge_u) == 0:
            raise NetworkError(f"{self.source or 'network'}: the network has no street segments")
        if len(pts) == 0:
            edge = np.empty(0, dtype=np.int64)
        else:
            pi, ei = self._nearest_segments(pts)
            order = np.lexsort((ei, pi))  # per point, the lowest segment index first
            pi, ei = pi[order], ei[order]
            first = np.ones(len(pi), dtype=bool)
            first[1:] = pi[1:] != pi[:-1]
            edge = np.empty(len(pts), dtype=np.int64)
            edge[pi[first]] = ei[first]
        u, v, length = self.edge_u[edge], self.edge_v[edge], self.edge_len[edge]
        a, b = self.xy[u], self.xy[v]
        ab = b - a
        den = np.einsum("ij,ij->i", ab, ab)
        t = np.divide(np.einsum("ij,ij->i", pts - a, ab), den, out=np.zeros(len(pts)),
                      where=den > 0)
        t = np.clip(t, 0.0, 1.0)
        foot = a + t[:, None] * ab
        return EdgeSnap(
            edge=edge,
            u=u,
            v=v,
            to_u=t * length,
            to_v=(1.0 - t) * length,
            snap_m=np.hypot(*(pts - foot).T),
            xy=foot,
        )

    def _nearest_segments(self, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(point index, segment index) of every nearest segment, ties included. Big batches
        go in chunks on a thread pool (GEOS releases the GIL): about twice as fast on two
        cores, and the temporary shapely points stay small."""
        tree = self.edge_tree
        if len(pts) <= SNAP_CHUNK:
            return tree.query_nearest(shapely.points(pts), all_matches=True)
        starts = range(0, len(pts), SNAP_CHUNK)

        def one(lo: int) -> np.ndarray:
            pi, ei = tree.query_nearest(shapely.points(pts[lo : lo + SNAP_CHUNK]), all_matches=True)
            return np.stack([pi + lo, ei])

        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            found = np.concatenate(list(pool.map(one, starts)), axis=1)
        return found[0], found[1]

    def snap(self, xy_metric: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Node form of :meth:`snap_edges`: the nearer end node of each point's nearest street
        segment and the walk to it (snap + along the segment), in metres.

        An honest upper bound for callers that need one node; the analysis itself uses
        :meth:`snap_edges`, which also lets a point leave by the segment's other end.
        """
        s = self.snap_edges(xy_metric)
        use_u = s.to_u <= s.to_v
        return np.where(use_u, s.u, s.v), s.snap_m + np.where(use_u, s.to_u, s.to_v)

    def _with_sources(self, source_nodes: np.ndarray, offsets: np.ndarray) -> sp.csr_matrix:
        """The graph plus one virtual node per source, joined to each of its street nodes
        (shape (m, k)) by an edge as long as that way in. Edges only leave the virtual
        nodes, so no route can pass through another source's driveway."""
        g = self.graph
        n, (m, k) = g.shape[0], source_nodes.shape
        indptr = np.concatenate([g.indptr, g.indptr[-1] + k * np.arange(1, m + 1)])
        indices = np.concatenate([g.indices, source_nodes.ravel().astype(g.indices.dtype)])
        data = np.concatenate([g.data, offsets.ravel().astype(np.float64)])
        return sp.csr_matrix((data, indices, indptr), shape=(n + m, n + m))

    def _prepare_sources(
        self, source_nodes: Sequence[int] | np.ndarray, offsets: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sources as (m, k) node and offset arrays: one node each (1-D input) or several
        ways in each (2-D input, e.g. :attr:`EdgeSnap.ends` / :attr:`EdgeSnap.end_offsets`)."""
        nodes = np.asarray(source_nodes, dtype=np.int64)
        nodes = nodes.reshape(-1, 1) if nodes.ndim <= 1 else nodes
        if nodes.size == 0:
            raise ValueError("at least one source node is needed")
        if nodes.min() < 0 or nodes.max() >= self.n_nodes:
            raise ValueError("source node index outside the network")
        off = np.zeros(nodes.shape) if offsets is None else np.asarray(offsets, dtype=float)
        off = off.reshape(nodes.shape) if off.size == nodes.size else off
        if off.shape != nodes.shape or not np.isfinite(off).all() or (off < 0).any():
            raise ValueError("source offsets must be finite, non-negative and one per source")
        return nodes, off

    def nearest_source(
        self, source_nodes: Sequence[int] | np.ndarray, offsets: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """For every node: network distance (m) to the nearest source and that source's index.

        One multi-source Dijkstra (``min_only``) from all sources at once; ``offsets`` (the
        sources' own snap distances) are part of the distance. Unreachable: inf and -1.
        ``source_nodes``/``offsets`` may be (m, k): k ways into the network per source.
        """
        nodes, off = self._prepare_sources(source_nodes, offsets)
        n = self.n_nodes
        aug = self._with_sources(nodes, off)
        dist, _pred, src = dijkstra(
            aug,
            directed=True,
            indices=np.arange(n, n + len(nodes)),
            min_only=True,
            return_predecessors=True,
        )
        src = src[:n].astype(np.int64)
        src[src >= 0] -= n
        return dist[:n], src

    def distances_from(
        self,
        source_nodes: Sequence[int] | np.ndarray,
        offsets: np.ndarray | None = None,
        limit: float = np.inf,
    ) -> np.ndarray:
        """Network distance (m) from each source to every node, shape (sources, nodes).

        With ``limit`` the search stops there (entries beyond are inf), which keeps
        catchment queries cheap.
        """
        nodes, off = self._prepare_sources(source_nodes, offsets)
        n = self.n_nodes
        aug = self._with_sources(nodes, off)
        dist = dijkstra(aug, directed=True, indices=np.arange(n, n + len(nodes)), limit=limit)
        return dist[:, :n]

    def nearest_snapped(
        self, sources: EdgeSnap, targets: EdgeSnap
    ) -> tuple[np.ndarray, np.ndarray]:
        """For every target: walking distance (m) to the nearest source and its index.

        Both ends of every source's segment start the Dijkstra (with snap + along as offset);
        a target takes the better end of its own segment, or walks straight along the
        segment to a source on the same one. Unreachable: inf and -1.
        """
        node_dist, node_src = self.nearest_source(sources.ends, sources.end_offsets)
        via_u = node_dist[targets.u] + targets.to_u
        via_v = node_dist[targets.v] + targets.to_v
        use_u = via_u <= via_v
        dist = np.where(use_u, via_u, via_v) + targets.snap_m
        src = np.where(use_u, node_src[targets.u], node_src[targets.v])
        ti, sj, direct = same_segment_pairs(sources, targets)
        if len(ti):
            order = np.lexsort((sj, direct, ti))  # per target its shortest, lowest index first
            ti, sj, direct = ti[order], sj[order], direct[order]
            first = np.ones(len(ti), dtype=bool)
            first[1:] = ti[1:] != ti[:-1]
            ti, sj, direct = ti[first], sj[first], direct[first]
            better = direct < dist[ti]
            dist[ti[better]] = direct[better]
            src[ti[better]] = sj[better]
        return dist, np.where(np.isfinite(dist), src, -1)

    def distances_snapped(
        self, sources: EdgeSnap, targets: EdgeSnap, limit: float = np.inf
    ) -> np.ndarray:
        """Walking distance (m) from each source to each target, shape (sources, targets).

        Same semantics as :meth:`nearest_snapped`. With ``limit`` the search stops there:
        every pair within ``limit`` is exact, pairs beyond may be inf.
        """
        d = self.distances_from(sources.ends, sources.end_offsets, limit=limit)
        return self.to_targets(d, targets, sources)

    def to_targets(
        self, node_dist: np.ndarray, targets: EdgeSnap, sources: EdgeSnap | None = None
    ) -> np.ndarray:
        """Distances from sources to street nodes (sources, nodes) -> to snapped targets
        (sources, targets): the better end of each target's segment plus its snap; with
        ``sources`` also the straight walk along a segment both lie on."""
        d = np.atleast_2d(node_dist)
        out = np.minimum(d[:, targets.u] + targets.to_u, d[:, targets.v] + targets.to_v)
        out += targets.snap_m
        if sources is not None:
            ti, sj, direct = same_segment_pairs(sources, targets)
            np.minimum.at(out, (sj, ti), direct)
        return out

    def to_lonlat(self, xy_metric: np.ndarray) -> np.ndarray:
        pts = np.asarray(xy_metric, dtype=float).reshape(-1, 2)
        lon, lat = _TO_WEB.transform(pts[:, 0], pts[:, 1])
        return np.column_stack([lon, lat])


def same_segment_pairs(
    sources: EdgeSnap, targets: EdgeSnap
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(target index, source index, direct walk m) for every target and source snapped onto
    the same segment: snap + |difference along the segment| + snap, no detour via an end."""
    order = np.argsort(sources.edge, kind="stable")
    s_edge = sources.edge[order]
    lo = np.searchsorted(s_edge, targets.edge, side="left")
    count = np.searchsorted(s_edge, targets.edge, side="right") - lo
    ti = np.repeat(np.arange(len(targets)), count)
    if len(ti) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    k = np.arange(len(ti)) - np.repeat(np.cumsum(count) - count, count)
    sj = order[np.repeat(lo, count) + k]
    direct = (targets.snap_m[ti] + np.abs(targets.to_u[ti] - sources.to_u[sj])
              + sources.snap_m[sj])
    return ti, sj, direct


def to_metric(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Longitude/latitude (EPSG:4326) to EPSG:32719 metres, shape (n, 2)."""
    x, y = _TO_METRIC.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])


_TO_METRIC = Transformer.from_crs(WEB_CRS, METRIC_CRS, always_xy=True)
_TO_WEB = Transformer.from_crs(METRIC_CRS, WEB_CRS, always_xy=True)


def csr_from_edges(n: int, u: np.ndarray, v: np.ndarray, length: np.ndarray) -> sp.csr_matrix:
    """Symmetric CSR adjacency from undirected edges; parallel edges keep the shortest."""
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    w = np.asarray(length, dtype=np.float64)
    keep = u != v  # a loop never shortens a walk
    rows = np.concatenate([u[keep], v[keep]])
    cols = np.concatenate([v[keep], u[keep]])
    w = np.concatenate([w[keep], w[keep]])
    order = np.lexsort((w, cols, rows))  # per (row, col) the shortest comes first
    rows, cols, w = rows[order], cols[order], w[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return sp.csr_matrix((w[first], (rows[first], cols[first])), shape=(n, n))


def largest_component(
    node_ids: np.ndarray, xy: np.ndarray, graph: sp.csr_matrix
) -> tuple[np.ndarray, np.ndarray, sp.csr_matrix]:
    """Keep only the largest connected component (walking is two-way, so weak = strong)."""
    n_comp, labels = connected_components(graph, directed=False)
    if n_comp <= 1:
        return node_ids, xy, graph
    keep = labels == np.bincount(labels).argmax()
    idx = np.flatnonzero(keep)
    return node_ids[idx], xy[idx], graph[idx][:, idx].tocsr()


def densify(
    node_ids: np.ndarray, xy: np.ndarray, u: np.ndarray, v: np.ndarray, max_segment_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split straight edges longer than ``max_segment_m`` into equal pieces.

    Why: originally residents were snapped to the nearest node, and a door in the middle of
    a 400 m block face would have been "200 m from the street". Edge snapping no longer needs
    it; it is kept because it bounds the node form :meth:`WalkNetwork.snap` and costs
    nothing. The added nodes lie on the street, so network distances do not change. They get
    negative ids (not OSM ids).
    """
    a, b = np.minimum(u, v), np.maximum(u, v)
    pairs = np.unique(np.column_stack([a, b])[a != b], axis=0)  # each street segment once
    a, b = pairs[:, 0], pairs[:, 1]
    seg = np.hypot(*(xy[a] - xy[b]).T)
    pieces = np.maximum(1, np.ceil(seg / max_segment_m - 1e-3)).astype(np.int64)  # mm slack
    extra = pieces - 1
    total = int(extra.sum())
    if total == 0:
        return node_ids, xy, a, b
    n = len(node_ids)
    edge_of = np.repeat(np.arange(len(a)), extra)  # which segment each new node splits
    step = np.arange(total) - np.repeat(np.cumsum(extra) - extra, extra) + 1  # 1..extra
    frac = (step / pieces[edge_of])[:, None]
    new_xy = xy[a[edge_of]] + frac * (xy[b[edge_of]] - xy[a[edge_of]])
    new_idx = n + np.arange(total)
    # chain per segment: a -> new_1 -> ... -> new_k -> b
    first = np.cumsum(extra) - extra  # position of each split segment's first new node
    chain_u = [a[extra == 0], new_idx]
    chain_v = [b[extra == 0], np.empty(total, dtype=np.int64)]
    nxt = new_idx + 1
    last = step == extra[edge_of]
    chain_v[1][~last] = nxt[~last]
    chain_v[1][last] = b[edge_of[last]]
    split = extra > 0
    chain_u.append(a[split])
    chain_v.append(n + first[split])
    ids = np.concatenate([node_ids, -1 - np.arange(total, dtype=np.int64)])
    return ids, np.vstack([xy, new_xy]), np.concatenate(chain_u), np.concatenate(chain_v)


# A way is walked when it has a highway tag and none of these tags matches (a regular
# expression searched in the value): osmnx's "walk" network filter (osmnx 2.1), which an
# extract downloaded by osmnx would already have applied. graph_from_xml reads every way of
# a file (rivers, buildings, motorways), so a hand-made or Geofabrik extract needs it here.
NOT_WALKABLE: dict[str, str] = {
    "highway": "abandoned|bus_guideway|construction|cycleway|motor|no|planned|platform|"
               "proposed|raceway|razed|rest_area|services",
    "area": "yes",
    "access": "private",
    "foot": "no",
    "service": "private",
    "sidewalk": "separate",  # the sidewalks are mapped as footways of their own
    "sidewalk:both": "separate",
    "sidewalk:left": "separate",
    "sidewalk:right": "separate",
}


def is_walkable(tags: dict) -> bool:
    """Whether an OSM way with these tags is walked (see :data:`NOT_WALKABLE`)."""
    if not tags.get("highway"):
        return False
    return not any(re.search(pattern, str(tags[key]))
                   for key, pattern in NOT_WALKABLE.items() if tags.get(key) is not None)


def build_network(
    osm_path: Path | str, max_segment_m: float = MAX_SEGMENT_M
) -> WalkNetwork:
    """Read the OSM XML with osmnx, keep its walkable ways (:func:`is_walkable`) and turn
    them into a :class:`WalkNetwork` (no cache)."""
    import osmnx as ox  # slow import: only when a build is really needed

    path = Path(osm_path)
    if not path.is_file():
        raise NetworkError(f"{path}: OpenStreetMap file not found")
    kept_tags = ox.settings.useful_tags_way
    ox.settings.useful_tags_way = sorted({*kept_tags, *NOT_WALKABLE})  # tags is_walkable reads
    try:
        g = ox.graph_from_xml(path, bidirectional=True, simplify=False, retain_all=True)
    except Exception as exc:  # noqa: BLE001 - any parser failure becomes one clear error
        raise NetworkError(f"{path}: cannot be read as OpenStreetMap XML ({exc})") from exc
    finally:
        ox.settings.useful_tags_way = kept_tags
    g.remove_edges_from([(a, b, k) for a, b, k, tags in g.edges(keys=True, data=True)
                         if not is_walkable(tags)])
    g.remove_nodes_from([node for node, degree in g.degree() if degree == 0])
    if g.number_of_edges() == 0:
        raise NetworkError(f"{path}: no walkable streets (highway ways) in the file")
    osm_ids = np.fromiter(g.nodes, dtype=np.int64, count=g.number_of_nodes())
    lon = np.array([g.nodes[i]["x"] for i in osm_ids], dtype=float)
    lat = np.array([g.nodes[i]["y"] for i in osm_ids], dtype=float)
    xy = to_metric(lon, lat)
    position = {int(i): k for k, i in enumerate(osm_ids)}
    # simplify=False: every edge is one straight OSM segment, measured here in metres
    u = np.array([position[a] for a, _b in g.edges()], dtype=np.int64)
    v = np.array([position[b] for _a, b in g.edges()], dtype=np.int64)
    node_ids, xy, u, v = densify(osm_ids, xy, u, v, max_segment_m)
    graph = csr_from_edges(len(node_ids), u, v, np.hypot(*(xy[u] - xy[v]).T))
    node_ids, xy, graph = largest_component(node_ids, xy, graph)
    return WalkNetwork(node_ids, xy, graph, source=str(path), source_hash=file_digest(path))


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (hex), read in blocks by the standard library."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def default_cache_dir() -> Path:
    """``$CULTURAMAP_CACHE_DIR`` if set, else ``<repo>/cache`` (git-ignored)."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else REPO_DIR / "cache"


def cache_path(osm_path: Path, digest: str, cache_dir: Path) -> Path:
    return cache_dir / f"walknet-{osm_path.stem}-{digest[:16]}-v{CACHE_FORMAT}.npz"


def save_npz_atomic(path: Path, prefix: str, **arrays: np.ndarray) -> None:
    """``np.savez`` to ``path`` whole or not at all (temp file in the same folder, fsync,
    rename): a crash or a second process never sees half a cache."""
    write_atomic(path, lambda fh: np.savez(fh, **arrays), prefix=prefix, suffix=".npz")


def save_cache(net: WalkNetwork, path: Path) -> None:
    """Write the network's arrays to ``path`` atomically."""
    meta = json.dumps({"format": CACHE_FORMAT, "source": net.source, "sha256": net.source_hash})
    save_npz_atomic(path, ".walknet-", node_ids=net.node_ids, xy=net.xy,
                    indptr=net.graph.indptr, indices=net.graph.indices, data=net.graph.data,
                    meta=np.array(meta))


def read_cache(path: Path) -> WalkNetwork:
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        if meta.get("format") != CACHE_FORMAT:
            raise NetworkError(f"{path}: cache format {meta.get('format')} is not {CACHE_FORMAT}")
        n = len(z["node_ids"])
        graph = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=(n, n))
        return WalkNetwork(z["node_ids"], z["xy"], graph, meta["source"], meta["sha256"])


_MEMO: dict[tuple[str, str], WalkNetwork] = {}


def load_network(
    osm_path: Path | str, cache_dir: Path | None = None, *, memo: bool = True
) -> WalkNetwork:
    """The walking network of ``osm_path``: from memory, else the ``.npz`` cache, else built.

    The cache is keyed by the file's SHA-256, so editing the OSM file rebuilds it. A cache
    that cannot be read is rebuilt; one that cannot be written is skipped (read-only tree).
    """
    path = Path(osm_path)
    if not path.is_file():
        raise NetworkError(f"{path}: OpenStreetMap file not found")
    digest = file_digest(path)
    key = (str(path.resolve()), digest)
    if memo and key in _MEMO:
        return _MEMO[key]
    cdir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cached = cache_path(path, digest, cdir)
    net: WalkNetwork | None = None
    if cached.is_file():
        try:
            net = read_cache(cached)
        except (OSError, ValueError, KeyError):
            net = None  # damaged or old cache: rebuild below
    if net is None:
        net = build_network(path)
        with contextlib.suppress(OSError):  # a read-only checkout still works, only slower
            save_cache(net, cached)
    _MEMO[key] = net
    return net
