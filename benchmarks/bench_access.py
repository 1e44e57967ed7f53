"""Benchmark of the walking-access analysis on the shipped data: prints figures and targets.

    .venv/bin/python benchmarks/bench_access.py            # everything (a few minutes)
    .venv/bin/python benchmarks/bench_access.py --quick    # smaller synthetic city

Runs on the shipped ``data/`` (real urban Coquimbo: census blocks, venues, neighbourhood
units) with the travel model the settings pick (``blocks``: a walking network derived from
the census block outlines, as no OSM file is shipped). No speed target is asserted; each is
printed next to the measured figure. Only correctness (same answers) is asserted.

(a) travel model: derived cold into an empty temp cache vs loaded from the .npz cache;
(b) the whole analysis once the network is cached: a fresh ``Study`` (layers + cached
    network + analyse), median of 7 (target < 1 s); suggest_sites for k=3 and k=5;
(c) nearest-venue step: one scipy multi-source Dijkstra vs networkx shortest paths from
    each of a random sample of 200 demand points (networkx over every demand point would
    take minutes), same edge-snapping semantics (a virtual node per point joined to both
    ends of its segment), answers asserted equal (target >= 10x);
(d) a SYNTHETIC city of 200,000 street nodes, 1,000,000 demand points and 5,000 venues:
    time of snapping + nearest venue WITHOUT the memory tracer (tracemalloc slows numpy and
    shapely work down), then peak memory in a second, traced pass (run in a child process
    so that its peak memory is its own);
(e) nearest-venue point queries of the web API (target well under 10 ms).
Speed targets live here, not in the tests (the team's rule). The printout is kept in
benchmarks/results/access.txt and the figures, with the machine, in access.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
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

from geo.access import NearestIndex, analyse, points_xy  # noqa: E402
from geo.demand import demand_points  # noqa: E402
from geo.network import WalkNetwork, csr_from_edges  # noqa: E402
from geo.settings import Settings, load_settings  # noqa: E402
from geo.siting import suggest_sites  # noqa: E402
from geo.study import Study  # noqa: E402
from geo.travel import chosen_model, load_travel_model  # noqa: E402

FIGURES: dict = {}  # what goes to benchmarks/results/access.json
CHILD_FIGURES = "FIGURES "  # the synthetic child's figures line, read back by the parent


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


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def part_network(settings: Settings) -> None:
    kind = chosen_model(settings)
    print(f"(a) travel model {kind!r} from {settings.data_dir.name}/ (no OSM file shipped)")
    with tempfile.TemporaryDirectory() as tmp:
        cold_settings = settings.with_changes(cache_dir=Path(tmp))
        travel, (t_cold,) = timed(lambda: load_travel_model(cold_settings))
        print(f"    derive cold (empty temp cache), incl. writing the cache {fmt(t_cold)}")
        _, t_load = timed(lambda: load_travel_model(cold_settings), 5)
        print(f"    load from .npz cache, median          {fmt(statistics.median(t_load))}")
    net = travel.network
    FIGURES.update(derive_cold_s=round(t_cold, 1),
                   cache_load_ms=round(statistics.median(t_load) * 1000, 1),
                   network_nodes=int(net.n_nodes), network_km=round(net.edge_len.sum() / 1000))
    print(f"    -> {net.n_nodes:,} nodes, {len(net.edge_u):,} street segments, "
          f"{net.edge_len.sum() / 1000:.0f} km; cache "
          f"{t_cold / statistics.median(t_load):.0f}x faster than deriving")


def part_analysis(settings: Settings) -> None:
    study = Study(settings)
    layers = study.layers
    print(f"(b) whole analysis, urban Coquimbo ({len(layers.population):,} blocks, "
          f"{int(layers.population['residents'].sum()):,} residents, "
          f"{len(layers.venues)} venues, {len(layers.councils)} councils), cache warm")
    _ = study.access  # warm the repo cache (derives once if it is missing)
    _, t_layers = timed(lambda: Study(settings).layers, 3)
    print(f"    load the four layers, median          {fmt(statistics.median(t_layers))}")
    _, t_travel = timed(lambda: Study(settings, layers=layers).travel, 3)
    print(f"    load the cached travel model, median  {fmt(statistics.median(t_travel))}")
    travel = study.travel
    _, t_an = timed(lambda: analyse(layers, study.params, travel), 3)
    print(f"    analyse only (layers, model given)    {fmt(statistics.median(t_an))}")
    _, t_all = timed(lambda: Study(settings).access, 7)
    med = statistics.median(t_all)
    FIGURES["study_median_s"] = round(med, 2)
    print(f"    fresh Study: layers + cached network + analyse, median of 7 {fmt(med)}  "
          f"(min {fmt(min(t_all)).strip()}; target < 1 s on 2 cores: {verdict(med < 1)})")
    base = study.siting_access
    for k in (3, 5):
        _, t_sites = timed(lambda k=k: suggest_sites(base, layers, travel, k=k), 3)
        print(f"    suggest_sites k={k} (MCLP, CBC), median {fmt(statistics.median(t_sites))}")
        FIGURES[f"sites_k{k}_s"] = round(statistics.median(t_sites), 1)


def part_versus_networkx(settings: Settings, sample: int = 200) -> None:
    import networkx as nx

    study = Study(settings)
    layers = study.layers
    net = study.travel.network
    demand = demand_points(layers)
    print(f"(c) nearest venue (all {len(layers.venues)} venues): scipy multi-source vs "
          f"networkx, random sample of {sample} of {len(demand):,} demand points")
    print("    (networkx over every demand point would take minutes: one full Dijkstra "
          f"over {net.n_nodes:,} nodes per point)")
    d_all = net.snap_edges(points_xy(demand))
    rng = np.random.default_rng(11)
    d = d_all.take(np.sort(rng.choice(len(d_all), min(sample, len(d_all)), replace=False)))
    v = net.snap_edges(points_xy(layers.venues))

    (fast, _src), t_fast = timed(lambda: net.nearest_snapped(v, d), 7)
    _, t_fast_all = timed(lambda: net.nearest_snapped(v, d_all), 3)
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
            best = min(lengths.get(("venue", j), np.inf) for j in range(len(v)))
            for j in np.flatnonzero(v.edge == d.edge[i]):  # same segment: straight along it
                best = min(best, d.snap_m[i] + abs(d.to_u[i] - v.to_u[j]) + v.snap_m[j])
            out[i] = best
        return out

    assert graph.number_of_nodes() == n + len(v)
    slow, t_slow = timed(with_networkx, 1)
    finite = np.isfinite(fast)
    assert (finite == np.isfinite(slow)).all(), "the two methods disagree on reachability"
    assert np.allclose(fast[finite], slow[finite], rtol=0, atol=1e-6), "the methods disagree"
    f, s = statistics.median(t_fast), t_slow[0]
    FIGURES.update(nearest_csgraph_ms=round(f * 1000, 1), nearest_networkx_s=round(s, 1),
                   nearest_speedup=round(s / f))
    print(f"    scipy csgraph, one multi-source run ({len(d)} points)   {fmt(f)}")
    f_all = statistics.median(t_fast_all)
    print(f"    scipy csgraph, one multi-source run (all {len(d_all):,}) {fmt(f_all)}")
    print(f"    networkx, {len(d)} single-source runs      {fmt(s)}  "
          f"(~{s / len(d) * len(d_all):.0f} s extrapolated to all {len(d_all):,})")
    print(f"    -> same answers (max diff {np.abs(fast[finite] - slow[finite]).max():.2e} m, "
          f"{int((~finite).sum())} unreachable in both), "
          f"speed-up {s / f:.0f}x on the sample (target >= 10x: {verdict(s / f >= 10)})")


def part_queries(settings: Settings) -> None:
    print("(e) nearest-venue point queries (web API)")
    study = Study(settings)
    layers, travel = study.layers, study.travel
    index, t_build = timed(lambda: NearestIndex(travel, layers.venues), 3)
    rng = np.random.default_rng(7)
    lon0, lat0, lon1, lat1 = layers.councils.total_bounds
    pts = np.column_stack([rng.uniform(lon0, lon1, 2000), rng.uniform(lat0, lat1, 2000)])
    index.query(*pts[0])
    t0 = time.perf_counter()
    for lon, lat in pts:
        index.query(lon, lat, limit=10)
    per = (time.perf_counter() - t0) / len(pts)
    FIGURES["query_ms"] = round(per * 1000, 1)
    print(f"    build index ({len(layers.venues)} venues x {travel.network.n_nodes:,} nodes), "
          f"median {fmt(statistics.median(t_build))}")
    print(f"    one query (snap + row + argpartition), 2,000 random points in the councils' "
          f"bounds {per * 1000:8.3f} ms  (target well under 10 ms: {verdict(per < 0.010)})")


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
    net, (t_net,) = timed(lambda: synthetic_city(n_nodes, rng))
    x0, y0 = net.xy.min(axis=0)
    x1, y1 = net.xy.max(axis=0)
    demand = np.column_stack([rng.uniform(x0, x1, n_demand), rng.uniform(y0, y1, n_demand)])
    venues = np.column_stack([rng.uniform(x0, x1, n_venues), rng.uniform(y0, y1, n_venues)])
    categories = rng.integers(0, 8, n_venues)
    _, (t_tree,) = timed(lambda: net.edge_tree)
    d, (t_snap,) = timed(lambda: net.snap_edges(demand))
    v, _ = timed(lambda: net.snap_edges(venues))
    (dist, src), (t_near,) = timed(lambda: net.nearest_snapped(v, d))

    def per_category():
        for c in range(8):
            net.nearest_snapped(v.take(np.flatnonzero(categories == c)), d)

    _, (t_cat,) = timed(per_category)
    rss = peak_rss()
    # the memory pass: the same work again under tracemalloc (its times are not reported)
    tracemalloc.start()
    fresh = WalkNetwork(net.node_ids, net.xy, net.graph, source="synthetic")
    d2 = fresh.snap_edges(demand)
    fresh.nearest_snapped(fresh.snap_edges(venues), d2)
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del fresh, d2
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
    print(f"    peak memory (separate traced pass: STRtree + snap + nearest): tracemalloc "
          f"{peak / 2**20:.0f} MiB; process peak RSS of the timed pass {rss:.0f} MiB, of which "
          f"{base_rss:.0f} MiB before the work (imports)")
    print(CHILD_FIGURES + json.dumps({
        "synthetic_nodes": int(net.n_nodes), "synthetic_demand": n_demand,
        "synthetic_venues": n_venues, "synthetic_snap_s": round(t_snap, 1),
        "synthetic_nearest_s": round(t_near, 2),
        "synthetic_snap_nearest_s": round(t_tree + t_snap + t_near, 1),
        "synthetic_traced_peak_mib": round(peak / 2**20), "synthetic_peak_rss_mib": round(rss),
    }))


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
    from benchmarks._record import recorded

    with recorded("access") as figures:
        run_all(args)
        figures.update(FIGURES)


def run_all(args: argparse.Namespace) -> None:
    print(f"{datetime.datetime.now():%Y-%m-%d %H:%M} nproc={len(os.sched_getaffinity(0))}")
    settings = load_settings()
    print(f"culturamap access benchmark — shipped data {settings.data_dir} (real, urban "
          f"Coquimbo), travel model {chosen_model(settings)!r}")
    part_network(settings)
    part_analysis(settings)
    part_versus_networkx(settings)
    part_queries(settings)
    print("(d) SYNTHETIC city (not the shipped data; child process)")
    sys.stdout.flush()
    cmd = [sys.executable, __file__, "--part", "synthetic", "--nodes", str(args.nodes),
           "--demand", str(args.demand), "--venues", str(args.venues)]
    t0 = time.perf_counter()
    child = subprocess.run(cmd, check=True, capture_output=True, text=True)
    for line in child.stdout.splitlines():
        if line.startswith(CHILD_FIGURES):
            FIGURES.update(json.loads(line[len(CHILD_FIGURES):]))
        else:
            print(line)
    print(f"    child process wall time (incl. imports) {fmt(time.perf_counter() - t0)}")


if __name__ == "__main__":
    main()
