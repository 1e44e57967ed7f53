"""Benchmark of the walking-access analysis: prints figures, asserts only correctness.

    .venv/bin/python benchmarks/bench_access.py            # everything (a few minutes)
    .venv/bin/python benchmarks/bench_access.py --quick    # smaller synthetic city

(a) network build from the OSM file vs loading the .npz cache;
(b) the whole analysis for Parte Alta once the network is cached (target < 1 s);
(c) nearest-venue step: one scipy multi-source Dijkstra vs networkx shortest paths from
    each demand point, same data and the same edge-snapping semantics (a virtual node per
    point joined to both ends of its street segment), answers asserted equal (target >= 10x);
(d) a synthetic city of 200,000 street nodes, 1,000,000 demand points and 5,000 venues:
    time and peak memory of snapping + nearest venue (run in a child process so that its
    peak memory is its own);
(e) nearest-venue point queries of the web API (target well under 10 ms).
Speed targets live here, not in the tests (the team's rule).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.access import (  # noqa: E402
    AccessParams,
    analyse,
    build_nearest_index,
    nearest_venue,
    points_xy,
)
from geo.demand import demand_points  # noqa: E402
from geo.layers import load_all  # noqa: E402
from geo.network import WalkNetwork, build_network, csr_from_edges, load_network  # noqa: E402
from geo.schema import NETWORK_OSM  # noqa: E402


def timed(fn, repeat: int = 1):
    """(result of the last run, list of wall times in seconds)."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, times


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms" if seconds < 10 else f"{seconds:8.1f} s "


def part_network(cache_dir: Path) -> None:
    print("(a) street network (data/network/parte_alta.osm)")
    t0 = time.perf_counter()
    import osmnx  # noqa: F401

    print(f"    import osmnx                          {fmt(time.perf_counter() - t0)}")
    net, t_build = timed(lambda: build_network(NETWORK_OSM), 3)
    print(f"    build from OSM (osmnx -> CSR), median {fmt(statistics.median(t_build))}")
    load_network(NETWORK_OSM, cache_dir=cache_dir, memo=False)  # writes the cache
    _, t_load = timed(lambda: load_network(NETWORK_OSM, cache_dir=cache_dir, memo=False), 5)
    print(f"    load from .npz cache, median          {fmt(statistics.median(t_load))}")
    print(f"    -> {net.n_nodes} nodes, {net.graph.nnz // 2} street segments, "
          f"cache {statistics.median(t_build) / statistics.median(t_load):.0f}x faster")


def part_analysis(cache_dir: Path) -> None:
    print("(b) whole analysis, Parte Alta (634 blocks, 43 venues, 20 councils), cache warm")
    layers, t_layers = timed(load_all, 3)
    print(f"    load the four layers, median          {fmt(statistics.median(t_layers))}")

    def whole():
        fresh = load_all()
        net = load_network(NETWORK_OSM, cache_dir=cache_dir, memo=False)
        return analyse(fresh, AccessParams(), net)

    _, t_all = timed(whole, 7)
    print(f"    layers + cached network + analyse     {fmt(statistics.median(t_all))}  "
          f"(min {fmt(min(t_all)).strip()}; target < 1 s: "
          f"{'OK' if statistics.median(t_all) < 1 else 'MISSED'})")
    net = load_network(NETWORK_OSM, cache_dir=cache_dir)
    params = AccessParams(categories=("library", "cultural_centre", "theatre", "museum"))
    result = analyse(layers, params, net)
    from geo.siting import suggest_sites

    _, t_sites = timed(lambda: suggest_sites(result, layers, net, 5), 3)
    print(f"    suggest_sites k=5 (MCLP, CBC), median {fmt(statistics.median(t_sites))}")


def part_versus_networkx(cache_dir: Path) -> None:
    import networkx as nx

    print("(c) nearest venue for every demand point: scipy multi-source vs networkx")
    layers = load_all()
    net = load_network(NETWORK_OSM, cache_dir=cache_dir)
    demand = demand_points(layers)
    d = net.snap_edges(points_xy(demand))
    v = net.snap_edges(points_xy(layers.venues))

    (fast, _src), t_fast = timed(lambda: nearest_venue(net, d, v), 7)
    graph = nx.from_scipy_sparse_array(net.graph)  # same lengths, as a networkx graph
    n = net.n_nodes
    for j in range(len(v)):  # a virtual node per venue on both ends of its segment
        graph.add_edge(("venue", j), int(v.u[j]), weight=v.snap_m[j] + v.to_u[j])
        graph.add_edge(("venue", j), int(v.v[j]), weight=v.snap_m[j] + v.to_v[j])

    def with_networkx() -> np.ndarray:
        out = np.empty(len(d))
        for i in range(len(d)):
            home = ("home", i)
            graph.add_edge(home, int(d.u[i]), weight=d.snap_m[i] + d.to_u[i])
            graph.add_edge(home, int(d.v[i]), weight=d.snap_m[i] + d.to_v[i])
            lengths = nx.single_source_dijkstra_path_length(graph, home, weight="weight")
            graph.remove_node(home)
            best = min(lengths[("venue", j)] for j in range(len(v)))
            for j in np.flatnonzero(v.edge == d.edge[i]):  # same segment: straight along it
                best = min(best, d.snap_m[i] + abs(d.to_u[i] - v.to_u[j]) + v.snap_m[j])
            out[i] = best
        return out

    assert graph.number_of_nodes() == n + len(v)
    slow, t_slow = timed(with_networkx, 1)
    assert np.allclose(fast, slow, rtol=0, atol=1e-6), "the two methods disagree"
    f, s = statistics.median(t_fast), t_slow[0]
    print(f"    scipy csgraph, one multi-source run   {fmt(f)}")
    print(f"    networkx, {len(d)} single-source runs   {fmt(s)}")
    print(f"    -> same answers (max diff {np.abs(fast - slow).max():.2e} m), "
          f"speed-up {s / f:.0f}x (target >= 10x: {'OK' if s / f >= 10 else 'MISSED'})")


def part_queries(cache_dir: Path) -> None:
    print("(e) nearest-venue point queries (web API)")
    layers = load_all()
    net = load_network(NETWORK_OSM, cache_dir=cache_dir)
    index, t_build = timed(lambda: build_nearest_index(net, layers.venues), 3)
    rng = np.random.default_rng(7)
    lon0, lat0, lon1, lat1 = layers.councils.total_bounds
    pts = np.column_stack([rng.uniform(lon0, lon1, 2000), rng.uniform(lat0, lat1, 2000)])
    index.query(*pts[0])
    t0 = time.perf_counter()
    for lon, lat in pts:
        index.query(lon, lat, limit=10)
    per = (time.perf_counter() - t0) / len(pts)
    print(f"    build index (venues x nodes), median  {fmt(statistics.median(t_build))}")
    print(f"    one query (snap + 2 rows + argpart.)  {per * 1000:8.3f} ms  "
          f"(target well under 10 ms: {'OK' if per < 0.010 else 'MISSED'})")


def synthetic_city(n_nodes: int, rng: np.random.Generator) -> WalkNetwork:
    """A jittered street grid, built directly as a CSR matrix (no OSM file)."""
    cols = int(round(np.sqrt(n_nodes * 1.25)))
    rows = n_nodes // cols
    spacing = 60.0
    gx, gy = np.meshgrid(np.arange(cols) * spacing, np.arange(rows) * spacing)
    xy = np.column_stack([gx.ravel(), gy.ravel()]) + rng.uniform(-12, 12, (rows * cols, 2))
    xy += (270_000.0, 6_640_000.0)
    ids = np.arange(rows * cols).reshape(rows, cols)
    u = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    v = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    keep = rng.random(len(u)) > 0.08  # some blocks have no through street
    u, v = u[keep], v[keep]
    graph = csr_from_edges(rows * cols, u, v, np.hypot(*(xy[u] - xy[v]).T))
    from geo.network import largest_component

    node_ids, xy, graph = largest_component(np.arange(rows * cols), xy, graph)
    return WalkNetwork(node_ids, xy, graph, source="synthetic")


def peak_rss() -> float:
    """Peak resident memory (MiB): VmHWM on Linux, else getrusage's ru_maxrss."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> float:
    """Reset the peak to the current RSS (Linux clear_refs 5) so the work's own peak shows."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        pass
    return peak_rss()


def part_synthetic(n_nodes: int, n_demand: int, n_venues: int) -> None:
    """Runs in a child process: its peak RSS is this part's own."""
    rng = np.random.default_rng(2026)
    base_rss = reset_peak_rss()
    tracemalloc.start()
    net, (t_net,) = timed(lambda: synthetic_city(n_nodes, rng))
    x0, y0 = net.xy.min(axis=0)
    x1, y1 = net.xy.max(axis=0)
    demand = np.column_stack([rng.uniform(x0, x1, n_demand), rng.uniform(y0, y1, n_demand)])
    venues = np.column_stack([rng.uniform(x0, x1, n_venues), rng.uniform(y0, y1, n_venues)])
    categories = rng.integers(0, 8, n_venues)
    _, (t_tree,) = timed(lambda: net.edge_tree)
    d, (t_snap,) = timed(lambda: net.snap_edges(demand))
    v, _ = timed(lambda: net.snap_edges(venues))
    (dist, src), (t_near,) = timed(lambda: nearest_venue(net, d, v))

    def per_category():
        for c in range(8):
            nearest_venue(net, d, v.take(np.flatnonzero(categories == c)))

    _, (t_cat,) = timed(per_category)
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = peak_rss()
    assert np.isfinite(dist).all() and (src >= 0).all()
    # spot-check a few answers against a plain single-source Dijkstra from the chosen venue
    from scipy.sparse.csgraph import dijkstra

    # (from both ends of the venue's segment to both ends of the point's, or straight along)
    for i in rng.choice(n_demand, 3, replace=False):
        j = src[i]
        from_ends = dijkstra(net.graph, indices=v.ends[j])[:, d.ends[i]]  # (2, 2)
        ref = (from_ends + v.end_offsets[j][:, None] + d.end_offsets[i][None, :]).min()
        if v.edge[j] == d.edge[i]:
            ref = min(ref, d.snap_m[i] + abs(d.to_u[i] - v.to_u[j]) + v.snap_m[j])
        assert abs(ref - dist[i]) < 1e-6
    print(f"    city: {net.n_nodes:,} nodes, {net.graph.nnz // 2:,} segments, "
          f"{n_demand:,} demand points, {n_venues:,} venues")
    print(f"    build CSR street grid                 {fmt(t_net)}")
    print(f"    STRtree of street segments            {fmt(t_tree)}")
    print(f"    snap {n_demand:,} demand points onto segments {fmt(t_snap)}")
    print(f"    nearest venue (one multi-source run)  {fmt(t_near)}")
    print(f"    snapping + nearest venue              {fmt(t_tree + t_snap + t_near)}")
    print(f"    nearest venue per category (8 runs)   {fmt(t_cat)}")
    print(f"    peak memory: traced by tracemalloc {peak / 2**20:.0f} MiB; process peak RSS "
          f"{rss:.0f} MiB, of which {base_rss:.0f} MiB before the work (imports)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 20x smaller synthetic city")
    parser.add_argument("--part", choices=["synthetic"], help=argparse.SUPPRESS)
    parser.add_argument("--nodes", type=int, default=200_000)
    parser.add_argument("--demand", type=int, default=1_000_000)
    parser.add_argument("--venues", type=int, default=5_000)
    args = parser.parse_args()
    if args.quick:
        args.nodes, args.demand, args.venues = 10_000, 50_000, 250
    if args.part == "synthetic":
        part_synthetic(args.nodes, args.demand, args.venues)
        return
    print(f"culturamap access benchmark — {os.cpu_count()} CPU(s), SYNTHETIC demo data")
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        part_network(cache)
        part_analysis(cache)
        part_versus_networkx(cache)
        part_queries(cache)
    print("(d) synthetic city (child process)")
    sys.stdout.flush()
    cmd = [sys.executable, __file__, "--part", "synthetic", "--nodes", str(args.nodes),
           "--demand", str(args.demand), "--venues", str(args.venues)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    print(f"    child process wall time (incl. imports) {fmt(time.perf_counter() - t0)}")


if __name__ == "__main__":
    main()
