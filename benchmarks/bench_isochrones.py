"""Benchmark of the walking-time areas (isochrones) on the shipped data: prints figures.

    .venv/bin/python benchmarks/bench_isochrones.py [--points 200] [--http 50]

Runs on the shipped ``data/`` (real urban Coquimbo) with the travel model the settings pick
(``blocks``: the network derived from the census blocks, ~28k nodes). Target: under
200 ms per request for four bands (5, 10, 15, 20 min). Speed targets live here, not in
the tests (the team's rule); nothing is asserted but that every request answers.

(a) preparing the index (snapping every block's demand point once);
(b) ``IsochroneIndex.from_point`` with four bands from every counted cultural venue and
    from a seeded random sample of block points (the places a planner taps): median, p95
    and max, plus the split Dijkstra / areas / residents for the slowest case;
(c) the whole HTTP request ``/api/isochrone?lat=&lon=`` through the Flask app (validation,
    the same work, GeoJSON encoding), on a sample of the same points.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo import METRIC_CRS, WEB_CRS  # noqa: E402
from geo.access import points_xy  # noqa: E402
from geo.isochrones import IsochroneIndex  # noqa: E402
from geo.settings import load_settings  # noqa: E402
from geo.study import Study  # noqa: E402
from geo.travel import chosen_model  # noqa: E402

BANDS = (5.0, 10.0, 15.0, 20.0)
TARGET_MS = 200.0


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def summary(times: list[float]) -> str:
    p95 = float(np.percentile(times, 95))
    verdict = "OK" if p95 * 1000 < TARGET_MS else "MISSED"
    return (f"median {ms(statistics.median(times))}, p95 {ms(p95)}, max {ms(max(times))}"
            f"  (target < {TARGET_MS:.0f} ms at p95: {verdict})")


def sample_points(study: Study, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(venue points, random block points) in EPSG:32719, the venues counted as offerings."""
    venues = study.layers.venues
    venues = venues[venues["category"].isin(study.params.counted_categories)]
    blocks = study.layers.population.to_crs(METRIC_CRS).representative_point()
    rng = np.random.default_rng(2026)
    pick = rng.choice(len(blocks), size=min(n, len(blocks)), replace=False)
    block_xy = np.column_stack([blocks.x.to_numpy()[pick], blocks.y.to_numpy()[pick]])
    return points_xy(venues), block_xy


def part_core(study: Study, index: IsochroneIndex, n: int) -> np.ndarray:
    venue_xy, block_xy = sample_points(study, n)
    print(f"(b) IsochroneIndex.from_point, bands {', '.join(f'{b:g}' for b in BANDS)} min")
    index.from_point(block_xy[0], BANDS)  # warm-up (imports, first allocations)
    for label, pts in (("cultural venues", venue_xy), ("random block points", block_xy)):
        times, residents, vertices = [], [], []
        for xy in pts:
            t0 = time.perf_counter()
            iso = index.from_point(xy, BANDS)
            times.append(time.perf_counter() - t0)
            residents.append(iso.residents[-1]["residents"])
            vertices.append(sum(len(np.asarray(p.exterior.coords)) if p.geom_type == "Polygon"
                                else sum(len(q.exterior.coords) for q in p.geoms)
                                for p in iso.polygons if not p.is_empty))
        print(f"    {len(pts):4d} {label:22s} {summary(times)}")
        print(f"         residents within 20 min: median {statistics.median(residents):,.0f}, "
              f"max {max(residents):,.0f}; outline vertices (4 bands) median "
              f"{statistics.median(vertices):,.0f}")
    return block_xy


def part_split(index: IsochroneIndex, xy: np.ndarray) -> None:
    """Where the time of one request goes."""
    travel, net = index.travel, index.network
    origin = travel.snap(xy[None, :])
    budgets = [b * index.metres_per_min for b in BANDS]
    t0 = time.perf_counter()
    node_dist = net.distances_from(origin.ends, origin.end_offsets, limit=budgets[-1])[0]
    t1 = time.perf_counter()
    index.areas(node_dist, origin, xy, budgets)
    t2 = time.perf_counter()
    block_min = net.to_targets(node_dist, index.demand, origin)[0] / index.metres_per_min
    for band in BANDS:
        index._residents(block_min, band)
    t3 = time.perf_counter()
    print(f"    split of one request: Dijkstra cut at 20 min {ms(t1 - t0)}; areas (pieces, "
          f"merge, buffer, union; 4 bands) {ms(t2 - t1)}; residents {ms(t3 - t2)}; "
          f"{int(np.isfinite(node_dist).sum()):,} nodes reached")


def part_http(study: Study, block_xy: np.ndarray, n: int) -> None:
    import geopandas as gpd

    from webmap.app import create_app

    t0 = time.perf_counter()
    app = create_app(study=study)
    print(f"(c) HTTP /api/isochrone through the Flask app (app start on this study "
          f"{time.perf_counter() - t0:.1f} s; the OGC isochrone collection is built on first use)")
    client = app.test_client()
    pts = gpd.GeoSeries(gpd.points_from_xy(*block_xy[:n].T), crs=METRIC_CRS).to_crs(WEB_CRS)
    times, sizes = [], []
    for p in pts:
        url = f"/api/isochrone?lat={p.y:.6f}&lon={p.x:.6f}&minutes=5,10,15,20"
        t0 = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - t0)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.get_data(as_text=True)}")
        sizes.append(len(response.get_data()))
    print(f"    {len(pts):4d} random block points   {summary(times)}")
    print(f"         response size median {statistics.median(sizes) / 1024:.0f} KiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200, help="random block points (b)")
    parser.add_argument("--http", type=int, default=50, help="HTTP requests (c)")
    args = parser.parse_args()
    print(f"{datetime.datetime.now():%Y-%m-%d %H:%M} nproc={len(os.sched_getaffinity(0))} "
          f"load average {os.getloadavg()[0]:.1f} (the 2 cores are shared)")
    settings = load_settings()
    print(f"culturamap isochrone benchmark — shipped data {settings.data_dir} (real, urban "
          f"Coquimbo), travel model {chosen_model(settings)!r}")
    study = Study(settings)
    t0 = time.perf_counter()
    travel = study.travel
    net = travel.network  # type: ignore[attr-defined]
    print(f"    travel model loaded in {time.perf_counter() - t0:.1f} s: {net.n_nodes:,} nodes, "
          f"{len(net.edge_u):,} segments; walking {settings.walking_speed_kmh:g} km/h")
    t0 = time.perf_counter()
    index = IsochroneIndex(travel, study.layers)
    print(f"(a) prepare the index ({len(index.residents):,} block points snapped) "
          f"{ms(time.perf_counter() - t0)}")
    block_xy = part_core(study, index, args.points)
    part_split(index, block_xy[0])
    part_http(study, block_xy, args.http)


if __name__ == "__main__":
    from benchmarks._record import recorded

    with recorded("isochrones"):  # benchmarks/results/isochrones.txt and .json
        main()
