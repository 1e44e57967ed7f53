"""Benchmark of siting with equity (issue 11, item 4) on the shipped data: prints figures.

    .venv/bin/python benchmarks/bench_siting_equity.py [--cache-dir cache] [--k 3]

Runs a ``Study`` on the shipped ``data/`` (real urban Coquimbo, census 2024 blocks with
income quintile and GSE class) with the derived walking network from the cache folder, and
compares for k sites (k = 3 and 5 by default):

(a) the plain suggestion (every uncovered resident counts once) and
(b) the weighted one (residents of quintiles 1 and 2 count double, ``Q1=2,Q2=2``):
    sites chosen, residents newly covered in total, per quintile and per GSE class, time;
(c) the capacitated model's solve time on the same instance with a HYPOTHETICAL uniform
    capacity per candidate (the shipped data has no capacities; the figure is a timing of
    the model size only, not a suggestion).
No speed target is asserted (the team's rule: speed figures live here, not in tests).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.settings import load_settings  # noqa: E402
from geo.siting import default_candidates, suggest_sites  # noqa: E402
from geo.study import Study  # noqa: E402

WEIGHTED = "Q1=2,Q2=2"
HYPOTHETICAL_CAPACITIES = (500, 20000)  # residents per candidate, for timing only


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def show(label: str, sites, seconds: float) -> list[str]:
    a = sites.attrs
    groups = a["newly_covered_by_group"]
    lines = [f"{label}: {seconds:.2f} s (exact MCLP, CBC), weights {a['group_weights'] or 'all 1'}"]
    for _, r in sites.iterrows():
        lines.append(f"    {r['rank']}. {r['candidate_id']} {r['name']} ({r['category']}): "
                     f"+{r['newly_covered']} residents (weighted +{r['weighted_gain']})")
    lines.append(f"    newly covered: {a['newly_covered']} residents of "
                 f"{a['uncovered_residents']} uncovered (weighted total {a['weighted_covered']})")
    lines.append("    by quintile: " + ", ".join(f"{q} {n}" for q, n in groups["quintile"].items()))
    lines.append("    by GSE:      " + ", ".join(f"{g} {n}" for g, n in groups["gse"].items()))
    lines.append(f"    without group: {groups['without_group']}")
    return lines


def compare(study: Study, k: int) -> list[str]:
    """Plain vs weighted for k sites: what each covers, by group, and how long it takes."""
    plain, t_plain = timed(lambda: study.sites(k))
    weighted_study = study.with_settings(siting_weights=WEIGHTED)
    weighted, t_weighted = timed(lambda: weighted_study.sites(k))
    out = show(f"k={k} (a) plain", plain, t_plain)
    out += show(f"k={k} (b) weighted {WEIGHTED}", weighted, t_weighted)
    same = set(plain["candidate_id"]) == set(weighted["candidate_id"])
    pq = plain.attrs["newly_covered_by_group"]["quintile"]
    wq = weighted.attrs["newly_covered_by_group"]["quintile"]
    d = ", ".join(f"{g} {wq.get(g, 0) - pq.get(g, 0):+g}" for g in ("Q1", "Q2"))
    out.append(f"k={k} (a) vs (b): {'same sites' if same else 'different sites'}; weighted "
               f"minus plain: {d}, total "
               f"{weighted.attrs['newly_covered'] - plain.attrs['newly_covered']:+g} residents")
    return out


def capacitated(study: Study, access, k: int, capacity: int) -> str:
    """Solve time of the capacitated model with every default candidate given ``capacity``
    (the venues as the workspace would store it). Timing only: no real capacities exist."""
    layers = dataclasses.replace(study.layers,
                                 venues=study.layers.venues.assign(capacity=capacity))
    cands = default_candidates(layers, access.params.counted_categories)
    weights = dict(load_settings({"siting_weights": WEIGHTED}).siting_weights)
    cap, t_cap = timed(lambda: suggest_sites(access, layers, study.travel, k, None, weights))
    return (f"(c) capacitated MCLP (assignment variables), k={k}, HYPOTHETICAL capacity "
            f"{capacity} per candidate, {len(cands)} candidates, weights {WEIGHTED}: "
            f"{t_cap:.2f} s; newly covered {cap.attrs['newly_covered']} "
            "(timing only: the shipped data has no capacities)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--k", default="3,5", help="site counts to compare (3,5)")
    args = parser.parse_args()
    flags = {"cache_dir": args.cache_dir} if args.cache_dir else {}
    study = Study(load_settings(flags))
    access, prep = timed(lambda: study.siting_access)
    out = [f"bench_siting_equity  {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
           f"data: {study.settings.data_dir} (travel model {study.settings.travel_model}); "
           f"layers + network + access {prep:.1f} s; "
           f"threshold {access.params.threshold_min:g} min at "
           f"{access.params.walking_speed_kmh:g} km/h; "
           f"counted: {', '.join(access.params.counted_categories)}"]
    for k in (int(x) for x in args.k.split(",")):
        out += compare(study, k)
    for capacity in HYPOTHETICAL_CAPACITIES:
        out.append(capacitated(study, access, 3, capacity))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    from benchmarks._record import recorded

    with recorded("siting_equity"):  # benchmarks/results/siting_equity.txt and .json
        main()
