"""Benchmark of the what-if scenarios on the shipped data: prints figures.

    .venv/bin/python benchmarks/bench_scenarios.py [--runs 10]

Runs on the shipped ``data/`` (real urban Coquimbo, every block: 3,111 blocks, 231,724
residents) with the travel model the settings pick. Target: recompute a scenario under
1 s (the access analysis and the equity figures with the changed venues, plus the
comparison). Speed targets live here, not in the tests; nothing is asserted.

(a) the study's own figures (the "before"), computed once;
(b) adding one library at a seeded random block point, ``--runs`` times: median, p95, max;
    the split analysis / equity / comparison for one run;
(c) closing each located cultural offering in turn.
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
from geo.access import analyse  # noqa: E402
from geo.equity import analyse_equity  # noqa: E402
from geo.scenarios import compare, run_scenario, scenario_from_dict, scenario_venues  # noqa: E402
from geo.settings import load_settings  # noqa: E402
from geo.study import Study  # noqa: E402
from geo.travel import chosen_model  # noqa: E402

TARGET_S = 1.0


def summary(times: list[float]) -> str:
    p95 = float(np.percentile(times, 95))
    verdict = "OK" if p95 < TARGET_S else "MISSED"
    return (f"median {statistics.median(times):.3f} s, p95 {p95:.3f} s, max {max(times):.3f} s"
            f"  (target < {TARGET_S:g} s at p95: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    print(f"{datetime.datetime.now():%Y-%m-%d %H:%M} nproc={len(os.sched_getaffinity(0))} "
          f"load average {os.getloadavg()[0]:.1f} (the 2 cores are shared)")
    settings = load_settings()
    print(f"culturamap scenario benchmark — shipped data {settings.data_dir} (real, urban "
          f"Coquimbo), travel model {chosen_model(settings)!r}")
    study = Study(settings)
    t0 = time.perf_counter()
    study.equity  # noqa: B018 - the "before"
    residents = int(study.access.demand["residents"].sum())
    print(f"(a) the study's own access + equity figures (incl. loading) "
          f"{time.perf_counter() - t0:.1f} s: {len(study.access.demand):,} blocks, "
          f"{residents:,} residents, {len(study.layers.venues):,} venues")

    blocks = study.layers.population.to_crs(METRIC_CRS).representative_point().to_crs(WEB_CRS)
    rng = np.random.default_rng(2026)
    times, newly = [], []
    for k, i in enumerate(rng.choice(len(blocks), size=args.runs, replace=False)):
        scenario = scenario_from_dict({"name": f"bench {k}", "add": [
            {"id": f"BENCH-{k}", "name": "Biblioteca hipotética", "category": "library",
             "lon": float(blocks.x.iloc[i]), "lat": float(blocks.y.iloc[i])}]})
        t0 = time.perf_counter()
        result = run_scenario(study, scenario)
        times.append(time.perf_counter() - t0)
        newly.append(result.summary["area"]["newly_within"])
    print(f"(b) add one library at a random block point, {args.runs} runs: {summary(times)}")
    print(f"    residents newly within {settings.threshold_min:g} min: median "
          f"{statistics.median(newly):,.0f}, max {max(newly):,}")
    import dataclasses

    t0 = time.perf_counter()
    layers = dataclasses.replace(study.layers,
                                 venues=scenario_venues(study.layers.venues, scenario))
    after = analyse(layers, study.params, study.travel)
    t1 = time.perf_counter()
    eq_after = analyse_equity(after, layers)
    t2 = time.perf_counter()
    compare(scenario, study.access, after, study.equity, eq_after)
    t3 = time.perf_counter()
    print(f"    split of one run: access analysis {t1 - t0:.3f} s, equity {t2 - t1:.3f} s, "
          f"comparison {t3 - t2:.3f} s")

    venues = study.layers.venues
    offerings = venues[venues["category"].isin(study.params.counted_categories)]
    if len(offerings) > 1:
        times = []
        for vid, name in zip(offerings["id"], offerings["name"], strict=True):
            t0 = time.perf_counter()
            result = run_scenario(study, scenario_from_dict({"name": f"close {vid}",
                                                             "close": [str(vid)]}))
            times.append(time.perf_counter() - t0)
            print(f"(c) close {vid} ({name}): {times[-1]:.3f} s; residents no longer within "
                  f"{settings.threshold_min:g} min: {result.summary['area']['no_longer_within']:,}")


if __name__ == "__main__":
    from benchmarks._record import recorded

    with recorded("scenarios"):  # benchmarks/results/scenarios.txt and .json
        main()
