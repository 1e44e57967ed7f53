"""Benchmark of the agenda's walking questions on the shipped data: prints figures.

    .venv/bin/python benchmarks/bench_agenda.py [--activities 200]

Runs on the shipped ``data/`` (real urban Coquimbo, the network derived from the census
blocks). The shipped agenda is EMPTY (no public record of activities): the activities here
are placed, in memory only, at a seeded random sample of census block points, each repeating
weekly; nothing is written to data/. Measured:
(a) ``reachable`` from every council's /cerca point (one walk from the point to every
    activity): what /cerca, /api/agenda and a council feed do per request;
(b) ``activity_equity`` for one month (every activity's walk to every block, cut at the
    threshold): the planner's equity page.
Target: (a) under 100 ms per council. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo import METRIC_CRS, WEB_CRS  # noqa: E402
from geo.access import points_xy  # noqa: E402
from geo.agenda import AgendaItem, activity_equity, month_window, reachable  # noqa: E402
from geo.equity import GSE_ORDER, block_table  # noqa: E402
from geo.settings import load_settings  # noqa: E402
from geo.study import Study  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=200)
    args = parser.parse_args()
    study = Study(load_settings())
    t0 = time.perf_counter()
    access = study.access
    print(f"study ready in {time.perf_counter() - t0:.1f} s "
          f"(travel model {study.travel.name}, threshold {study.settings.threshold_min:g} min)")
    demand = access.demand
    rng = np.random.default_rng(14)
    pick = rng.choice(len(demand), size=args.activities, replace=False)
    web = demand.to_crs(WEB_CRS).geometry.to_numpy()[pick]
    start = dt.datetime(2026, 12, 1, 22, 0, tzinfo=dt.UTC)
    items = [AgendaItem(id=i, title=f"a{i}", start=start + dt.timedelta(days=int(i % 7)),
                        end=start + dt.timedelta(days=int(i % 7), hours=2),
                        rule="FREQ=WEEKLY", lon=p.x, lat=p.y) for i, p in enumerate(web)]
    councils = study.layers.councils
    points = councils.geometry.to_crs(METRIC_CRS).representative_point().to_crs(WEB_CRS)
    times, found = [], []
    for p in points:
        t0 = time.perf_counter()
        found.append(len(reachable(study.travel, (p.x, p.y), items,
                                   study.settings.threshold_min)))
        times.append(time.perf_counter() - t0)
    ms = sorted(t * 1000 for t in times)
    print(f"(a) reachable, {args.activities} activities, {len(points)} council points: "
          f"median {statistics.median(ms):.0f} ms, p95 {ms[int(0.95 * (len(ms) - 1))]:.0f} ms,"
          f" max {ms[-1]:.0f} ms; activities within reach median {statistics.median(found):g}")
    table = block_table(access, study.layers, None)
    t0 = time.perf_counter()
    got = activity_equity(study.travel, points_xy(demand), table["residents"].to_numpy(),
                          table["council_id"].tolist(), table["gse"].tolist(), GSE_ORDER,
                          items, *month_window(2026, 12), study.settings.threshold_min)
    print(f"(b) activity_equity, {args.activities} activities x {len(demand):,} blocks, "
          f"December 2026: {time.perf_counter() - t0:.2f} s; area sessions "
          f"{got['area']['all']['sessions']:,}")


if __name__ == "__main__":
    from benchmarks._record import recorded

    with recorded("agenda"):
        main()
